"""Account administration and the audit trail's integrity check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from api.deps import CurrentPolicy, Services, get_policy
from api.problems import responses
from api.routes import UNREADABLE_BODY
from graph.model.identity import canonical_code
from referral.access.policy import Action
from referral.accounts import admin
from referral.audit import service as audit

router = APIRouter(
    prefix="/api/v1",
    tags=["admin 管理"],
    dependencies=[Depends(get_policy)],
    responses=responses(401, 403, 422, 503),
)
Username = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_.-]{2,63}$")]
NOT_FOUND = responses(404)


_NONZERO3 = "(?:[0-9]{2}[1-9]|[0-9][1-9][0-9]|[1-9][0-9]{2})"
# A division code as users are bound to it: a province's 2 digits (not 00), or the 4, 6, 9 and
# 12-digit forms under it; or a grid, a village code plus 3 digits (neither last part all zeros).
_AREA_CODE = (
    r"^[1-9][0-9](?:[0-9]{2}(?:[0-9]{2}(?:[0-9]{3}(?:[0-9]{3})?)?)?)?$"
    rf"|^[1-9][0-9]{{8}}{_NONZERO3}{_NONZERO3}$"
)

# Every code the pattern admits is a valid division code once padded (what `DivisionCode` checks,
# but stated where the API document shows it).
AreaCode = Annotated[str, StringConstraints(pattern=_AREA_CODE), AfterValidator(canonical_code)]


class NewUser(admin.UserCreate):
    """A user to add. The display name must not be blank (the stored user strips whitespace)."""

    # Narrowed here because a blank name passed `admin.UserCreate` and then failed as a 500, and
    # so that the OpenAPI document states which area codes are valid (12 digits or a short form).
    display_name: str = Field(min_length=1, max_length=100, pattern=r"\S")
    area_codes: list[AreaCode] = Field(min_length=1, max_length=200)


class AuditProblemView(BaseModel):
    seq: int
    entry_id: str | None
    problem: str


class AuditReportView(BaseModel):
    ok: bool
    entries: int
    head_seq: int
    problems: list[AuditProblemView]


@router.get("/users", summary="用户列表 / users in my areas")
def list_users(policy: CurrentPolicy, svc: Services) -> list[admin.UserView]:
    return svc.store.run(lambda uow: admin.list_users(uow, policy), write=False)


@router.post(
    "/users",
    status_code=201,
    responses={**responses(404, 409), **UNREADABLE_BODY},
    summary="新增用户 / add a user (one-time password)",
)
def create_user(body: NewUser, policy: CurrentPolicy, svc: Services) -> admin.CreatedUser:
    return svc.store.run(lambda uow: admin.create_user(uow, policy, body))


@router.post("/users/{username}/disable", responses=NOT_FOUND, summary="停用用户 / disable a user")
def disable_user(username: Username, policy: CurrentPolicy, svc: Services) -> admin.UserView:
    return svc.store.run(lambda uow: admin.disable_user(uow, policy, username))


@router.post("/users/{username}/enable", responses=NOT_FOUND, summary="启用用户 / enable a user")
def enable_user(username: Username, policy: CurrentPolicy, svc: Services) -> admin.UserView:
    return svc.store.run(lambda uow: admin.enable_user(uow, policy, username))


@router.post("/users/{username}/reset-password", responses=NOT_FOUND, summary="重置密码 / reset a password")
def reset_password(username: Username, policy: CurrentPolicy, svc: Services) -> admin.CreatedUser:
    return svc.store.run(lambda uow: admin.reset_password(uow, policy, username))


@router.get("/audit/verify", summary="校验审计链 / verify the audit trail")
def verify_audit(policy: CurrentPolicy, svc: Services) -> AuditReportView:
    policy.require(Action.VERIFY_AUDIT)
    report = audit.verify(svc.store)
    return AuditReportView(
        ok=report.ok,
        entries=report.entries,
        head_seq=report.head_seq,
        problems=[
            AuditProblemView(seq=p.seq, entry_id=p.entry_id, problem=p.problem) for p in report.problems
        ],
    )
