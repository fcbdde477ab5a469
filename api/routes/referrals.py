"""Routes of the referral workflow: referrals 转介 (decision 0007). Every route goes through the policy.

Handlers only translate: each calls one routing service in the store's managed transaction.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from api.deps import CurrentPolicy, Services, get_policy
from api.problems import responses
from api.routes import UNREADABLE_BODY
from graph.model.enums import HopStatus
from referral.routing import closing, dispatch_many, needs, notifications
from referral.routing import service as routing
from referral.routing.escalation import run_escalation
from referral.routing.models import (
    CancelRequest,
    CompleteRequest,
    DispatchManyRequest,
    DispatchReport,
    DispatchRequest,
    EscalationReport,
    NeedCreate,
    NeedView,
    NotificationPage,
    NotificationView,
    OfferRequest,
    PoolPage,
    ReasonRequest,
    ReferralView,
    ReleaseRequest,
    ReopenRequest,
    Target,
    TaskNote,
    TaskView,
    VerifyRequest,
    WithdrawRequest,
)

router = APIRouter(
    prefix="/api/v1",
    tags=["referrals 转介"],
    dependencies=[Depends(get_policy)],
    responses=responses(401, 403, 422, 503),
)

ObjectId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]
READ = responses(404)
WRITE = {**responses(404, 409), **UNREADABLE_BODY}


# -- needs ----------------------------------------------------------------------------------------
@router.post("/needs", status_code=201, responses=WRITE, summary="报告需求 / report a need")
def report_need(body: NeedCreate, policy: CurrentPolicy, svc: Services) -> NeedView:
    """A repeat of an open need of the same type is attached to it (report_count + 1)."""
    return svc.store.run(lambda uow: needs.report_need(uow, policy, body))


@router.get("/needs/{need_id}", responses=READ, summary="需求详情 / one need")
def need(need_id: ObjectId, policy: CurrentPolicy, svc: Services) -> NeedView:
    return svc.store.run(lambda uow: needs.need_detail(uow, policy, need_id))


@router.post("/needs/{need_id}/withdraw", responses=WRITE, summary="撤销需求 / withdraw an open need")
def withdraw_need(need_id: ObjectId, body: WithdrawRequest, policy: CurrentPolicy, svc: Services) -> NeedView:
    return svc.store.run(lambda uow: needs.withdraw_need(uow, policy, need_id, body))


@router.post(
    "/needs/{need_id}/referrals", status_code=201, responses=WRITE, summary="派单 / dispatch a referral"
)
def dispatch(need_id: ObjectId, body: DispatchRequest, policy: CurrentPolicy, svc: Services) -> ReferralView:
    """From the county: to the household's township body. From a township: to a target or the pool."""
    return svc.store.run(lambda uow: routing.dispatch(uow, policy, need_id, body, svc.deadlines))


@router.post(
    "/dispatches",
    responses={**UNREADABLE_BODY, **responses(422)},
    summary="批量派单 / dispatch many needs, each on its own; the result of each",
)
def dispatch_batch(body: DispatchManyRequest, policy: CurrentPolicy, svc: Services) -> DispatchReport:
    """Each item as `POST /needs/{need_id}/referrals` in its own transaction: a refused item (its
    problem in the report: 404 outside scope, 409 not open, 422 a bad target) leaves the others
    dispatched; a need listed again is refused at its repeat. 403 when the role may not dispatch."""
    return dispatch_many.dispatch_many(svc.store, policy, body, svc.deadlines)


# -- referrals ------------------------------------------------------------------------------------
@router.get("/referrals/{referral_id}", responses=READ, summary="转介详情 / a referral and its chain")
def referral(referral_id: ObjectId, policy: CurrentPolicy, svc: Services) -> ReferralView:
    return svc.store.run(lambda uow: closing.referral_detail(uow, policy, referral_id))


@router.post("/referrals/{referral_id}/verify", responses=WRITE, summary="核验办结 / verify and close")
def verify(referral_id: ObjectId, body: VerifyRequest, policy: CurrentPolicy, svc: Services) -> ReferralView:
    return svc.store.run(lambda uow: closing.verify(uow, policy, referral_id, body))


@router.post("/referrals/{referral_id}/reopen", responses=WRITE, summary="重新办理 / reopen with a reason")
def reopen(referral_id: ObjectId, body: ReopenRequest, policy: CurrentPolicy, svc: Services) -> ReferralView:
    return svc.store.run(lambda uow: closing.reopen(uow, policy, referral_id, body))


@router.post("/referrals/{referral_id}/cancel", responses=WRITE, summary="取消转介 / cancel a referral")
def cancel(referral_id: ObjectId, body: CancelRequest, policy: CurrentPolicy, svc: Services) -> ReferralView:
    return svc.store.run(lambda uow: closing.cancel(uow, policy, referral_id, body))


# -- tasks ----------------------------------------------------------------------------------------
@router.get("/tasks/pool", summary="任务池 / open tasks my organisation may claim, soonest deadline first")
def task_pool(
    policy: CurrentPolicy,
    svc: Services,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> PoolPage:
    return svc.store.run(lambda uow: routing.pool(uow, policy, limit, offset))


@router.get("/tasks/{hop_id}", responses=READ, summary="任务详情 / one task")
def task(hop_id: ObjectId, policy: CurrentPolicy, svc: Services) -> TaskView:
    return svc.store.run(lambda uow: routing.task_detail(uow, policy, hop_id))


def _move(
    svc: Services,
    policy: CurrentPolicy,
    hop_id: str,
    to: HopStatus,
    body: TaskNote | None,
    only_from: frozenset[HopStatus] | None = None,
) -> TaskView:
    return svc.store.run(lambda uow: routing.move_task(uow, policy, hop_id, to, body, only_from=only_from))


@router.post("/tasks/{hop_id}/receive", responses=WRITE, summary="接收 / receive a task")
def receive(hop_id: ObjectId, policy: CurrentPolicy, svc: Services, body: TaskNote | None = None) -> TaskView:
    return _move(svc, policy, hop_id, HopStatus.RECEIVED, body)


@router.post("/tasks/{hop_id}/accept", responses=WRITE, summary="受理 / accept a task")
def accept(hop_id: ObjectId, policy: CurrentPolicy, svc: Services, body: TaskNote | None = None) -> TaskView:
    return _move(svc, policy, hop_id, HopStatus.ACCEPTED, body)


@router.post("/tasks/{hop_id}/reject", responses=WRITE, summary="退回 / reject a task with a reason")
def reject(hop_id: ObjectId, body: ReasonRequest, policy: CurrentPolicy, svc: Services) -> TaskView:
    return svc.store.run(lambda uow: routing.return_task(uow, policy, hop_id, HopStatus.REJECTED, body))


@router.post("/tasks/{hop_id}/start", responses=WRITE, summary="开始办理 / start a task")
def start(hop_id: ObjectId, policy: CurrentPolicy, svc: Services, body: TaskNote | None = None) -> TaskView:
    return _move(svc, policy, hop_id, HopStatus.IN_PROGRESS, body, frozenset({HopStatus.ACCEPTED}))


@router.post("/tasks/{hop_id}/hold", responses=WRITE, summary="暂停 / put a task on hold")
def hold(hop_id: ObjectId, policy: CurrentPolicy, svc: Services, body: TaskNote | None = None) -> TaskView:
    return _move(svc, policy, hop_id, HopStatus.ON_HOLD, body)


@router.post("/tasks/{hop_id}/resume", responses=WRITE, summary="恢复办理 / resume a task")
def resume(hop_id: ObjectId, policy: CurrentPolicy, svc: Services, body: TaskNote | None = None) -> TaskView:
    return _move(svc, policy, hop_id, HopStatus.IN_PROGRESS, body, frozenset({HopStatus.ON_HOLD}))


@router.post("/tasks/{hop_id}/fail", responses=WRITE, summary="办理失败 / fail a task with a reason")
def fail(hop_id: ObjectId, body: ReasonRequest, policy: CurrentPolicy, svc: Services) -> TaskView:
    return svc.store.run(lambda uow: routing.return_task(uow, policy, hop_id, HopStatus.FAILED, body))


@router.post("/tasks/{hop_id}/complete", responses=WRITE, summary="办结 / complete a task with a delivery")
def complete(hop_id: ObjectId, body: CompleteRequest, policy: CurrentPolicy, svc: Services) -> TaskView:
    return svc.store.run(lambda uow: routing.complete_task(uow, policy, hop_id, body))


@router.post("/tasks/{hop_id}/claim", responses=WRITE, summary="认领 / claim a task from the pool")
def claim(hop_id: ObjectId, policy: CurrentPolicy, svc: Services) -> TaskView:
    """Exactly one of any number of concurrent claims wins; the others get 409."""
    return svc.store.run(lambda uow: routing.claim(uow, policy, hop_id, svc.deadlines))


@router.post(
    "/tasks/{hop_id}/release", responses=WRITE, summary="交回任务池 / give a claimed task back to the pool"
)
def release(hop_id: ObjectId, body: ReleaseRequest, policy: CurrentPolicy, svc: Services) -> TaskView:
    """Only the organisation holding the task, before it starts; it is open to every provider again."""
    return svc.store.run(lambda uow: routing.release(uow, policy, hop_id, body))


@router.post(
    "/tasks/{hop_id}/assign",
    status_code=201,
    responses=WRITE,
    summary="转派 / assign the case to an organisation or the village body",
)
def assign(hop_id: ObjectId, body: Target, policy: CurrentPolicy, svc: Services) -> ReferralView:
    return svc.store.run(
        lambda uow: routing.route_onward(uow, policy, hop_id, body, svc.deadlines, note=body.note)
    )


@router.post(
    "/tasks/{hop_id}/offer", status_code=201, responses=WRITE, summary="发布到任务池 / offer to the pool"
)
def offer(
    hop_id: ObjectId, policy: CurrentPolicy, svc: Services, body: OfferRequest | None = None
) -> ReferralView:
    return svc.store.run(
        lambda uow: routing.offer(uow, policy, hop_id, body or OfferRequest(), svc.deadlines)
    )


# -- notifications and escalation -----------------------------------------------------------------
@router.get("/notifications", summary="我的通知 / my notifications")
def my_notifications(
    policy: CurrentPolicy,
    svc: Services,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> NotificationPage:
    return svc.store.run(
        lambda uow: notifications.list_notifications(
            uow, policy, unread_only=unread, limit=limit, offset=offset
        ),
        write=False,
    )


@router.post("/notifications/{notification_id}/read", responses=READ, summary="标为已读 / mark read")
def read_notification(notification_id: ObjectId, policy: CurrentPolicy, svc: Services) -> NotificationView:
    return svc.store.run(lambda uow: notifications.mark_read(uow, policy, notification_id))


@router.post("/escalation/run", summary="执行超时检查 / run the deadline check now")
def escalation(policy: CurrentPolicy, svc: Services) -> EscalationReport:
    return svc.store.run(lambda uow: run_escalation(uow, policy, svc.deadlines))
