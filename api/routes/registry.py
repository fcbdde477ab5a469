"""The registry within the caller's scope: areas, households, consent, figures."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from api.deps import CurrentPolicy, Services, get_policy
from api.problems import responses
from api.routes import UNREADABLE_BODY
from graph.model.enums import TargetGroup
from referral.access.errors import PreconditionRequired
from referral.registry import service as registry
from referral.registry.models import (
    AreaNode,
    ConsentCreate,
    ConsentRevoke,
    ConsentView,
    HouseholdDetail,
    HouseholdFigures,
    HouseholdPage,
    HouseholdUpdate,
)

router = APIRouter(
    prefix="/api/v1",
    tags=["registry 登记"],
    dependencies=[Depends(get_policy)],
    responses=responses(401, 403, 422, 503),
)

ObjectId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]
NOT_FOUND = responses(404)


def _etag(version: int) -> str:
    return f'"{version}"'


_VERSION_TAG = re.compile(r'\s*(?:W/)?"?([0-9]{1,9})"?\s*', re.ASCII)
# If-Match is read by hand rather than declared with `Header`: a missing or malformed one is 428
# (not FastAPI's 422), and the document still states that the operation needs it.
IF_MATCH: dict[str, Any] = {
    "parameters": [
        {
            "name": "If-Match",
            "in": "header",
            "required": True,
            "description": 'the ETag of the version read, e.g. "3" (428 when missing or malformed)',
            "schema": {"type": "string", "pattern": r'^(W/)?"[0-9]{1,9}"$', "maxLength": 14},
        }
    ]
}


def _expected_version(if_match: str | None) -> int:
    if if_match is None:
        raise PreconditionRequired(
            "请带上 If-Match 版本号 / send If-Match with the version you read (the ETag)", field="If-Match"
        )
    # ASCII digits only: str.isdigit() also accepts e.g. "²", which int() then refuses (a 500).
    match = _VERSION_TAG.fullmatch(if_match)
    if match is None:
        shown = if_match if len(if_match) <= 40 else if_match[:40] + "…"
        raise PreconditionRequired(f"If-Match 无效 / If-Match {shown!r} is not a version", field="If-Match")
    return int(match.group(1))


@router.get("/areas", summary="区域树 / the area tree within my scope")
def areas(policy: CurrentPolicy, svc: Services) -> list[AreaNode]:
    return svc.store.run(lambda uow: registry.area_tree(uow, policy), write=False)


@router.get("/households", summary="查询家庭 / search households in my areas")
def search_households(
    policy: CurrentPolicy,
    svc: Services,
    name: Annotated[
        str | None, Query(min_length=1, max_length=50, description="member name or its start")
    ] = None,
    id_number: Annotated[
        str | None, Query(min_length=15, max_length=18, pattern=r"^[0-9]{14,17}[0-9Xx]$")
    ] = None,
    category: TargetGroup | None = None,
    risk_level: Annotated[int | None, Query(ge=1, le=3)] = None,
    village: Annotated[str | None, Query(pattern=r"^[0-9]{12}$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HouseholdPage:
    return svc.store.run(
        lambda uow: registry.search_households(
            uow,
            policy,
            name=name,
            id_number=id_number,
            category=category,
            risk_level=risk_level,
            village=village,
            limit=limit,
            offset=offset,
        )
    )


@router.get("/households/{household_id}", responses=NOT_FOUND, summary="家庭详情 / one household")
def household(
    household_id: ObjectId, policy: CurrentPolicy, svc: Services, response: Response
) -> HouseholdDetail:
    """Members, groups, needs and consent; private data masked per role and consent."""
    detail = svc.store.run(lambda uow: registry.household_detail(uow, policy, household_id))
    response.headers["ETag"] = _etag(detail.version)
    return detail


@router.patch(
    "/households/{household_id}",
    responses={**responses(404, 409, 428), **UNREADABLE_BODY},
    summary="修改家庭 / update a household",
    openapi_extra=IF_MATCH,
)
def update_household(
    household_id: ObjectId,
    body: HouseholdUpdate,
    policy: CurrentPolicy,
    svc: Services,
    request: Request,
    response: Response,
) -> HouseholdDetail:
    """Needs If-Match with the version read; 409 when someone else changed it since."""
    expected = _expected_version(request.headers.get("if-match"))
    detail = svc.store.run(lambda uow: registry.update_household(uow, policy, household_id, expected, body))
    response.headers["ETag"] = _etag(detail.version)
    return detail


@router.post(
    "/households/{household_id}/consents",
    status_code=201,
    responses={**responses(404, 409), **UNREADABLE_BODY},
    summary="登记授权 / record a household's consent",
)
def record_consent(
    household_id: ObjectId, body: ConsentCreate, policy: CurrentPolicy, svc: Services
) -> ConsentView:
    return svc.store.run(lambda uow: registry.record_consent(uow, policy, household_id, body))


@router.post(
    "/households/{household_id}/consents/{consent_id}/revoke",
    responses={**NOT_FOUND, **UNREADABLE_BODY},
    summary="撤回授权 / revoke a consent",
)
def revoke_consent(
    household_id: ObjectId, consent_id: ObjectId, body: ConsentRevoke, policy: CurrentPolicy, svc: Services
) -> ConsentView:
    return svc.store.run(lambda uow: registry.revoke_consent(uow, policy, household_id, consent_id, body))


@router.get("/figures/households", summary="汇总数据 / household counts by area, risk level and group")
def household_figures(policy: CurrentPolicy, svc: Services) -> HouseholdFigures:
    return svc.store.run(lambda uow: registry.household_figures(uow, policy), write=False)
