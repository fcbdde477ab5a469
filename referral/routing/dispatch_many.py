"""批量派单: dispatch several needs, each in its own transaction, and report each one's result.

The dispatch board's "dispatch the proposal" button. Each item is exactly `service.dispatch` in its own
`store.run`, so one refused item (a need no longer open, outside the caller's scope, a target that
cannot take it) rolls back only itself: the report says, per need, dispatched (with the referral) or
refused (with the problem its own request would have answered). Store failures are reported per item
too (without internals), so a client always learns which needs were dispatched.
"""

from __future__ import annotations

import logging
from functools import partial

from graph.errors import InvalidInput, ZhulianError
from graph.model import new_id
from graph.store import GraphStore, UnitOfWork
from referral.access.policy import Action, Policy
from referral.routing.deadlines import DEFAULT_DEADLINES, Deadlines
from referral.routing.models import (
    DispatchItem,
    DispatchManyRequest,
    DispatchReport,
    DispatchRequest,
    DispatchResult,
    ItemProblem,
    ReferralView,
)
from referral.routing.service import dispatch

log = logging.getLogger("zhulian.routing")


def item_problem(exc: ZhulianError) -> ItemProblem:
    """The problem fields of a refused item (5xx: a title and an incident id, the cause only logged)."""
    if exc.status_code >= 500:
        incident = new_id()
        log.error("incident %s: batch dispatch item: %s", incident, exc.message)
        return ItemProblem(
            title=exc.title, status=exc.status_code, detail=f"{exc.title} (incident {incident})"
        )
    errors: list[dict[str, object]] | None = None
    if isinstance(exc, InvalidInput) and exc.errors:
        errors = [dict(e) for e in exc.errors]
    elif "field" in exc.details:
        errors = [{"field": exc.details["field"], "value": None, "message": exc.message}]
    return ItemProblem(title=exc.title, status=exc.status_code, detail=exc.message, errors=errors)


def _repeat(index: int, need_id: str) -> ItemProblem:
    """A need listed again after an earlier item of the same batch: refused, not tried twice."""
    message = "同一需求在本批中已列出 / this need is listed earlier in the batch"
    return ItemProblem(
        title="Invalid input",
        status=422,
        detail=message,
        errors=[{"field": f"body:items.{index}.need_id", "value": need_id, "message": message}],
    )


def _dispatch_one(
    uow: UnitOfWork, *, policy: Policy, item: DispatchItem, request: DispatchRequest, deadlines: Deadlines
) -> ReferralView:
    return dispatch(uow, policy, item.need_id, request, deadlines)


def dispatch_many(
    store: GraphStore,
    policy: Policy,
    body: DispatchManyRequest,
    deadlines: Deadlines = DEFAULT_DEADLINES,
) -> DispatchReport:
    """Dispatch each item on its own; 403 up front for a role that may not dispatch at all. A need
    listed again is refused (422) at its repeat, never dispatched twice."""
    policy.require(Action.DISPATCH)
    results: list[DispatchResult] = []
    seen: set[str] = set()
    for index, item in enumerate(body.items):
        if item.need_id in seen:
            results.append(
                DispatchResult(need_id=item.need_id, outcome="refused", problem=_repeat(index, item.need_id))
            )
            continue
        seen.add(item.need_id)
        request = DispatchRequest.model_validate(item.model_dump(exclude={"need_id"}))
        try:
            referral = store.run(
                partial(_dispatch_one, policy=policy, item=item, request=request, deadlines=deadlines)
            )
        except ZhulianError as exc:
            results.append(DispatchResult(need_id=item.need_id, outcome="refused", problem=item_problem(exc)))
        else:
            results.append(DispatchResult(need_id=item.need_id, outcome="dispatched", referral=referral))
    done = sum(r.outcome == "dispatched" for r in results)
    return DispatchReport(dispatched=done, refused=len(results) - done, results=results)
