"""The FastAPI application: built by `create_app` from settings (and, in tests, a store and a clock)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel
from starlette.routing import Match

from api import pages, problems
from api.deps import AppServices, Services
from api.ratelimit import LoginLimiter
from api.routes import admin, auth, matching, referrals, registry, tracking
from api.settings import Settings
from api.tokens import TokenCodec, signing_key
from graph.errors import StoreError
from graph.factory import open_store
from graph.store import GraphStore
from referral.routing.deadlines import Deadlines

API_VERSION = "1"
log = logging.getLogger("zhulian.api")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    store: str


def open_configured_store(settings: Settings) -> GraphStore:
    password = settings.neo4j_password.get_secret_value() if settings.neo4j_password else None
    return open_store(
        settings.store,
        neo4j_user=settings.neo4j_user,
        neo4j_password=password,
        neo4j_database=settings.neo4j_database,
    )


def create_app(
    settings: Settings | None = None,
    *,
    store: GraphStore | None = None,
    clock: Callable[[], datetime] = _utc_now,
    web_dir: Path = pages.WEB_DIR,
) -> FastAPI:
    """The app. Without `store`, it opens the configured one when it starts and closes it at shutdown.

    `web_dir` holds the pages and their installed assets (decision 0010).
    """
    settings = settings or Settings()
    tokens = TokenCodec(signing_key(settings), timedelta(minutes=settings.access_token_minutes))
    limiter = LoginLimiter(
        per_account=settings.login_failures_per_account,
        per_address=settings.login_failures_per_address,
        window=timedelta(minutes=settings.login_window_minutes),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = store is None
        active = store if store is not None else open_configured_store(settings)
        app.state.services = AppServices(active, settings, tokens, limiter, clock)
        scheduler = None
        if settings.escalation_interval_minutes > 0:
            scheduler = asyncio.create_task(
                _escalate_every(active, clock, settings.escalation_interval_minutes, settings.deadlines())
            )
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.cancel()
                with suppress(asyncio.CancelledError):
                    await scheduler
            if owned:
                active.close()

    app = FastAPI(
        title="助联 Zhulian API",
        summary="社会救助转介与支持网络 / referral and social-support network for social assistance",
        version=f"{API_VERSION}.0",
        lifespan=lifespan,
    )
    if store is not None:  # usable before startup too (tests that skip the lifespan)
        app.state.services = AppServices(store, settings, tokens, limiter, clock)
    problems.install(app)

    @app.get("/health", tags=["ops 运维"], summary="存活 / the process is up")
    def health() -> Health:
        return Health(status="ok")

    @app.get(
        "/ready",
        tags=["ops 运维"],
        summary="就绪 / the store answers",
        responses={503: {"description": "the store is unavailable"}},
    )
    def ready(svc: Services, response: Response) -> Readiness:
        try:
            svc.store.run(lambda uow: uow.count(_marker()), write=False)
        except StoreError:
            response.status_code = 503
            return Readiness(status="unavailable", store=svc.store.describe())
        return Readiness(status="ready", store=svc.store.describe())

    for router in (
        auth.router,
        registry.router,
        admin.router,
        referrals.router,
        matching.router,
        tracking.router,
    ):
        app.include_router(router)
    pages.install(app, web_dir)

    @app.middleware("http")
    async def allow_every_method(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        """On 405, `Allow` lists every method of the path (Starlette names only one route's)."""
        response = await call_next(request)
        if response.status_code == 405:
            allowed = _methods_at(app, request)
            if allowed:
                response.headers["Allow"] = ", ".join(allowed)
        return response

    return app


async def _escalate_every(
    store: GraphStore, clock: Callable[[], datetime], minutes: int, deadlines: Deadlines
) -> None:
    """Run the deadline check every `minutes` (in a worker thread, so requests go on meanwhile)."""
    from referral.routing.escalation import escalate

    while True:
        await asyncio.sleep(minutes * 60)
        now = clock()
        try:
            report = await asyncio.to_thread(store.run, partial(escalate, now=now, deadlines=deadlines))
            if report.actions:
                log.info("escalation at %s: %d actions", now.isoformat(), len(report.actions))
        except Exception:  # the schedule must survive a failed run; the next one tries again
            log.exception("escalation run failed")


def _methods_at(app: FastAPI, request: Request) -> list[str]:
    """The methods of every route whose path matches the request's."""
    methods: set[str] = set()
    for route in iter_route_contexts(app.routes):
        match, _ = route.matches(request.scope)
        if match is not Match.NONE and route.methods:
            methods |= set(route.methods)
    return sorted(methods)


def _marker() -> type:
    from graph.model import Area

    return Area
