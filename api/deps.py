"""Request dependencies: the app's services, the signed-in caller and their policy.

`get_policy` is the one door to authorization: every endpoint under /api/v1 except sign-in and
refresh depends on it (tests/api/test_policy_wiring.py checks that), so no handler decides access.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from api.ratelimit import LoginLimiter
from api.settings import Settings
from api.tokens import AccessClaims, TokenCodec
from graph.store import GraphStore
from referral.access.errors import NotAuthenticated, PasswordChangeRequired
from referral.access.policy import Policy, Principal
from referral.accounts import service as accounts
from referral.routing.deadlines import Deadlines

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


@dataclass(slots=True)
class AppServices:
    """What the app was started with; one per app, on `app.state.services`."""

    store: GraphStore
    settings: Settings
    tokens: TokenCodec
    limiter: LoginLimiter
    clock: Callable[[], datetime]

    @property
    def deadlines(self) -> Deadlines:
        return self.settings.deadlines()


def services(request: Request) -> AppServices:
    found: AppServices = request.app.state.services
    return found


Services = Annotated[AppServices, Depends(services)]


@dataclass(frozen=True, slots=True)
class Caller:
    principal: Principal
    claims: AccessClaims
    password_change_required: bool


def _caller(svc: Services, token: Annotated[str | None, Depends(oauth2)]) -> Caller:
    if not token:
        raise NotAuthenticated("需要登录 / sign in first (Authorization: Bearer <access token>)")
    now = svc.clock()
    claims = svc.tokens.check(token, now=now)
    _session, user = svc.store.run(
        lambda uow: accounts.active_session(uow, claims.session_id, now), write=False
    )
    if user.id != claims.user_id:
        raise NotAuthenticated("令牌无效 / invalid access token")
    principal = Principal(
        user_id=user.id,
        username=user.username,
        roles=frozenset(user.roles),
        area_codes=tuple(user.area_codes),
        organisation_id=user.organisation_id,
    )
    return Caller(principal, claims, user.must_change_password)


def caller_allowing_password_change(caller: Annotated[Caller, Depends(_caller)]) -> Caller:
    """The caller, even one who must still change a one-time password (for that change only)."""
    return caller


def get_policy(svc: Services, caller: Annotated[Caller, Depends(_caller)]) -> Policy:
    """The caller's policy: every protected endpoint depends on this."""
    if caller.password_change_required:
        raise PasswordChangeRequired(
            "请先修改一次性密码 / change your one-time password first (POST /api/v1/auth/password)"
        )
    return Policy(caller.principal, svc.clock())


CurrentPolicy = Annotated[Policy, Depends(get_policy)]
