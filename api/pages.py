"""The web pages: static HTML shells, our own static files and an allow-list of npm assets.

Pages read nothing from the store: their scripts call /api/v1 with the user's bearer token, so a page
shows exactly what the API allows (decision 0010). Every response here carries a strict
Content-Security-Policy (no inline scripts or styles).
"""

from __future__ import annotations

import enum
import inspect
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from graph.model import enums
from graph.model.base import LabelledEnum
from referral.matching import models as matching_models

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# The only files of web/node_modules the app serves: URL name -> path under node_modules.
VENDOR: dict[str, str] = {
    "echarts.min.js": "echarts/dist/echarts.min.js",
    "cytoscape.min.js": "cytoscape/dist/cytoscape.min.js",
    "leaflet.js": "leaflet/dist/leaflet.js",
    "leaflet.css": "leaflet/dist/leaflet.css",
    "images/marker-icon.png": "leaflet/dist/images/marker-icon.png",
    "images/marker-icon-2x.png": "leaflet/dist/images/marker-icon-2x.png",
    "images/marker-shadow.png": "leaflet/dist/images/marker-shadow.png",
    "images/layers.png": "leaflet/dist/images/layers.png",
    "images/layers-2x.png": "leaflet/dist/images/layers-2x.png",
    "axe.min.js": "axe-core/axe.min.js",
}


class Page(enum.StrEnum):
    """The page shells (file names under web/pages)."""

    LOGIN = "login"
    HOME = "home"
    HOUSEHOLD = "household"
    NEED_NEW = "need-new"
    TASKS = "tasks"
    TASK = "task"
    TRACE = "trace"
    # The county coordinator's pages (issue 6 items 5 and 9).
    DISPATCH = "dispatch"
    FIGURES = "figures"
    MAP = "map"


# Vendor assets each page loads: the trace draws its graph with cytoscape, figures their charts with
# echarts, the map with Leaflet.
PAGE_VENDOR: dict[Page, tuple[str, ...]] = dict.fromkeys(Page, ()) | {
    Page.TRACE: ("cytoscape.min.js",),
    Page.FIGURES: ("echarts.min.js",),
    Page.MAP: ("leaflet.js", "leaflet.css"),
}

MISSING_ASSETS = (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>助联 Zhulian</title></head>'
    "<body><h1>前端资源未安装 / Front-end assets are not installed</h1>"
    "<p>请运行 <code>scripts/setup</code>（即 <code>npm ci --prefix web</code>）后重启服务。 / "
    "Run <code>scripts/setup</code> (that is <code>npm ci --prefix web</code>) and restart the server.</p>"
    "<p>缺少 / missing: {missing}</p></body></html>"
)


# Modules whose labelled enums the pages show: the model's, and matching's reason codes and score
# parts (the dispatch board explains candidates, exclusions and unmet needs with them).
ENUM_MODULES = (enums, matching_models)


def enum_labels() -> dict[str, dict[str, dict[str, str]]]:
    """Every labelled enum of the model and of matching: name -> value -> {zh, en} (the pages' enum
    catalogue)."""
    found: dict[str, dict[str, dict[str, str]]] = {}
    for module in ENUM_MODULES:
        for name, member in inspect.getmembers(module, inspect.isclass):
            if issubclass(member, LabelledEnum) and member is not LabelledEnum:
                found[name] = {item.value: {"zh": item.zh, "en": item.en} for item in member}
    return found


def missing_vendor(web_dir: Path, names: tuple[str, ...]) -> list[str]:
    """The allow-listed assets among `names` that are not installed."""
    return [name for name in names if not (web_dir / "node_modules" / VENDOR[name]).is_file()]


def pages_router(web_dir: Path) -> APIRouter:
    """The page routes, the enum catalogue and the vendor assets (outside /api/v1: no policy here)."""
    router = APIRouter(include_in_schema=False)
    labels = enum_labels()

    def page(which: Page) -> Response:
        missing = missing_vendor(web_dir, PAGE_VENDOR[which])
        if missing:
            return HTMLResponse(MISSING_ASSETS.format(missing=", ".join(missing)), status_code=503)
        return FileResponse(web_dir / "pages" / f"{which.value}.html", media_type="text/html")

    @router.get("/")
    def root() -> Response:
        return RedirectResponse("/home", status_code=307)

    @router.get("/login")
    def login_page() -> Response:
        return page(Page.LOGIN)

    @router.get("/home")
    def home_page() -> Response:
        return page(Page.HOME)

    @router.get("/households/{household_id}")
    def household_page(household_id: str) -> Response:
        # The id is read by the page's script; the API decides whether it exists for this user.
        return page(Page.HOUSEHOLD)

    @router.get("/needs/new")
    def need_new_page() -> Response:
        return page(Page.NEED_NEW)

    @router.get("/tasks")
    def tasks_page() -> Response:
        return page(Page.TASKS)

    @router.get("/tasks/{hop_id}")
    def task_page(hop_id: str) -> Response:
        return page(Page.TASK)

    @router.get("/referrals/{referral_id}")
    def referral_page(referral_id: str) -> Response:
        # The same page, on the referral's last hop (a verification request names the referral).
        return page(Page.TASK)

    @router.get("/trace")
    def trace_page() -> Response:
        # ?household=ID or ?need=ID, read by the page's script.
        return page(Page.TRACE)

    @router.get("/dispatch")
    def dispatch_page() -> Response:
        return page(Page.DISPATCH)

    @router.get("/figures")
    def figures_page() -> Response:
        return page(Page.FIGURES)

    @router.get("/map")
    def map_page() -> Response:
        return page(Page.MAP)

    @router.get("/i18n/enums.json")
    def enums_json() -> Response:
        return JSONResponse(labels)

    @router.get("/vendor/{name:path}")
    def vendor(name: str) -> Response:
        if name not in VENDOR:
            return JSONResponse({"detail": "not found"}, status_code=404)
        path = web_dir / "node_modules" / VENDOR[name]
        if not path.is_file():
            return JSONResponse(
                {"detail": "前端资源未安装 / not installed: run scripts/setup (npm ci --prefix web)"},
                status_code=404,
            )
        return FileResponse(path)

    return router


def _is_page_path(path: str) -> bool:
    return not (path.startswith("/api/") or path in ("/docs", "/redoc", "/openapi.json"))


def install(app: FastAPI, web_dir: Path = WEB_DIR) -> None:
    """Add the pages to the app: routes, /static (our own files) and the security headers."""
    app.include_router(pages_router(web_dir))
    static = web_dir / "static"
    if static.is_dir():
        app.mount("/static", StaticFiles(directory=static), name="static")

    @app.middleware("http")
    async def page_headers(request: Request, call_next: Callable[[Request], Awaitable[Any]]) -> Any:
        response = await call_next(request)
        if _is_page_path(request.url.path):
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
        return response
