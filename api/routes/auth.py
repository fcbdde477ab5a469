"""Sign-in, token refresh, sign-out and the user's own password."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Caller, CurrentPolicy, Services, caller_allowing_password_change
from api.problems import responses
from api.routes import UNREADABLE_BODY
from graph.model import User
from graph.model.enums import Role
from graph.store import UnitOfWork
from referral.access.errors import NotAuthenticated, WrongCurrentPassword
from referral.access.policy import Action
from referral.accounts import service as accounts

router = APIRouter(prefix="/api/v1/auth", tags=["auth 登录"], responses=responses(401, 422, 503))


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=512)


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class TokenPair(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the OAuth2 token type, not a secret)
    expires_in: int = Field(description="seconds the access token is valid")
    refresh_token: str
    refresh_expires_in: int = Field(description="seconds the session lasts without a refresh")
    password_change_required: bool


class Me(BaseModel):
    id: str
    username: str
    display_name: str
    roles: list[Role]
    area_codes: list[str]
    organisation_id: str | None
    permissions: list[Action] = Field(
        description="角色允许的操作（不涉及具体对象）/ what the caller's roles may do at all: pages use it "
        "to leave out what the API would refuse (403); scope is still decided per object (404)"
    )


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _pair(svc: Services, issued: accounts.IssuedSession) -> TokenPair:
    now = svc.clock()
    access = svc.tokens.issue(
        user_id=issued.user.id,
        session_id=issued.session.id,
        password_change_required=issued.user.must_change_password,
        now=now,
    )
    return TokenPair(
        access_token=access,
        expires_in=int(svc.tokens.lifetime.total_seconds()),
        refresh_token=issued.refresh_token,
        refresh_expires_in=int((issued.session.expires_at - now).total_seconds()),
        password_change_required=issued.user.must_change_password,
    )


def _sign_in(svc: Services, username: str, password: str, address: str) -> TokenPair:
    now = svc.clock()
    svc.limiter.check(username, address, now)
    lifetime = timedelta(days=svc.settings.session_days)

    def sign_in(uow: UnitOfWork) -> accounts.IssuedSession:
        user = accounts.authenticate(uow, username, password)
        return accounts.start_session(uow, user, now=now, lifetime=lifetime, client_address=address)

    try:
        issued = svc.store.run(sign_in)
    except NotAuthenticated:
        svc.limiter.failed(username, address, now)
        raise
    svc.limiter.succeeded(username)
    return _pair(svc, issued)


@router.post("/login", responses={**responses(429), **UNREADABLE_BODY}, summary="登录 / sign in (JSON)")
def login(body: LoginRequest, request: Request, svc: Services) -> TokenPair:
    """Exchange a user name and password for a short-lived access token and a refresh token."""
    return _sign_in(svc, body.username, body.password, _client(request))


@router.post(
    "/token",
    responses={**responses(429), **UNREADABLE_BODY},
    summary="登录 / sign in (OAuth2 password form, for the API docs)",
)
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, svc: Services
) -> TokenPair:
    return _sign_in(svc, form.username, form.password, _client(request))


@router.post(
    "/refresh", responses=UNREADABLE_BODY, summary="刷新令牌 / new access token from a refresh token"
)
def refresh(body: RefreshRequest, svc: Services) -> TokenPair:
    """Rotate the refresh token: the old one stops working; using it again ends the session."""
    now = svc.clock()
    lifetime = timedelta(days=svc.settings.session_days)

    def rotate(uow: UnitOfWork) -> accounts.IssuedSession | NotAuthenticated:
        try:
            return accounts.refresh_session(uow, body.refresh_token, now=now, lifetime=lifetime)
        except NotAuthenticated as refused:
            # Returned, not raised, so the transaction commits what the refusal wrote (a replayed
            # token revokes its session) instead of rolling it back.
            return refused

    outcome = svc.store.run(rotate)
    if isinstance(outcome, NotAuthenticated):
        raise outcome
    return _pair(svc, outcome)


@router.post("/logout", status_code=204, summary="退出 / sign out (revokes the session)")
def logout(caller: Annotated[Caller, Depends(caller_allowing_password_change)], svc: Services) -> Response:
    now = svc.clock()
    svc.store.run(
        lambda uow: accounts.end_session(uow, caller.claims.session_id, actor=caller.principal.actor, now=now)
    )
    return Response(status_code=204)


@router.post(
    "/password",
    status_code=204,
    responses={**responses(409), **UNREADABLE_BODY},
    summary="修改密码 / change my password",
)
def change_password(
    body: PasswordChange, caller: Annotated[Caller, Depends(caller_allowing_password_change)], svc: Services
) -> Response:
    """Needs the current password. Other sessions of the user end; this one goes on."""
    now = svc.clock()
    # Wrong current passwords count against the account like failed sign-ins (a stolen token
    # must not allow guessing the password).
    svc.limiter.check(caller.principal.username, "password-change", now)

    def change(uow: UnitOfWork) -> None:
        accounts.change_password(
            uow,
            caller.principal.user_id,
            body.current_password,
            body.new_password,
            now=now,
            keep_session=caller.claims.session_id,
        )

    try:
        svc.store.run(change)
    except WrongCurrentPassword:
        svc.limiter.failed(caller.principal.username, "password-change", now)
        raise
    return Response(status_code=204)


@router.get("/me", responses=responses(403), summary="当前用户 / who am I")
def me(policy: CurrentPolicy, svc: Services) -> Me:
    user = svc.store.run(lambda uow: uow.require(User, policy.principal.user_id), write=False)
    return Me(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=user.roles,
        area_codes=user.area_codes,
        organisation_id=user.organisation_id,
        permissions=[action for action in Action if policy.allows(action)],
    )
