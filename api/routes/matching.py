"""Routes of the referral workflow: matching 匹配 (decision 0007). Every route goes through the policy."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from api.deps import CurrentPolicy, Services, get_policy
from api.problems import responses
from api.routes import UNREADABLE_BODY
from graph.model.enums import NeedStatus
from referral.matching import board as boards
from referral.matching import plan as plans
from referral.matching import service as matching
from referral.matching.models import BatchProposal, BatchRequest, CandidateList, NeedBoard, PlanView

router = APIRouter(
    prefix="/api/v1",
    tags=["matching 匹配"],
    dependencies=[Depends(get_policy)],
    responses=responses(401, 403, 422, 503),
)

ObjectId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]
NOT_FOUND = responses(404)


@router.get(
    "/needs/{need_id}/candidates",
    responses=NOT_FOUND,
    summary="需求的候选资源 / ranked candidate resources for a need, and why others are excluded",
)
def need_candidates(
    need_id: ObjectId,
    policy: CurrentPolicy,
    svc: Services,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> CandidateList:
    """Eligible resources with score parts; excluded resources of the need's type with reason codes."""
    # A write transaction: showing details derived from members' data appends an audit entry.
    return svc.store.run(lambda uow: matching.candidates(uow, policy, need_id, limit))


@router.post(
    "/matching/batch",
    responses={**NOT_FOUND, **UNREADABLE_BODY},
    summary="区域批量匹配方案 / the optimal assignment of an area's open needs (a proposal)",
)
def batch_matching(body: BatchRequest, policy: CurrentPolicy, svc: Services) -> BatchProposal:
    """Min-cost flow over the area's open needs and eligible resources; nothing is dispatched."""
    return svc.store.run(lambda uow: matching.batch(uow, policy, body.area_code), write=False)


@router.get(
    "/matching/board",
    responses=NOT_FOUND,
    summary="派单台 / the dispatch board: an area's open needs with their best candidates, urgent first",
)
def dispatch_board(
    policy: CurrentPolicy,
    svc: Services,
    area: Annotated[
        str | None, Query(pattern=r"^[0-9]{12}$", description="an area within my scope (default: all of it)")
    ] = None,
    status: NeedStatus = NeedStatus.OPEN,
    candidates: Annotated[int, Query(ge=0, le=5, description="best candidates per need (0: none)")] = 3,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> NeedBoard:
    """Needs urgent first, then oldest first; each with its `candidates` best resources and score parts
    (the excluded ones and why: `GET /needs/{id}/candidates`). Names and descriptions shown are audited."""
    return svc.store.run(
        lambda uow: boards.dispatch_board(
            uow, policy, area_code=area, status=status, limit=limit, offset=offset, candidates=candidates
        )
    )


@router.get(
    "/households/{household_id}/plan",
    responses=NOT_FOUND,
    summary="一户一策 / the household's plan (regenerated when the household or its open needs changed)",
)
def household_plan(household_id: ObjectId, policy: CurrentPolicy, svc: Services) -> PlanView:
    return svc.store.run(lambda uow: plans.household_plan(uow, policy, household_id))


@router.post(
    "/households/{household_id}/plan",
    status_code=201,
    responses=NOT_FOUND,
    summary="重新生成一户一策 / regenerate the household's plan now",
)
def regenerate_plan(household_id: ObjectId, policy: CurrentPolicy, svc: Services) -> PlanView:
    return svc.store.run(lambda uow: plans.household_plan(uow, policy, household_id, force=True))
