"""Account administration through the policy: an admin manages users bound inside the admin's areas."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from graph.errors import NodeNotFound
from graph.model import User
from graph.model.enums import Role
from graph.model.identity import DivisionCode
from graph.store import Order, UnitOfWork, where
from referral.access.policy import Action, Policy
from referral.accounts import service as accounts


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{2,63}$")
    display_name: str = Field(min_length=1, max_length=100, pattern=r"\S")
    roles: list[Role] = Field(min_length=1, max_length=8)
    area_codes: list[DivisionCode] = Field(min_length=1, max_length=200)
    organisation_id: str | None = Field(default=None, min_length=1, max_length=64)


class UserView(BaseModel):
    id: str
    username: str
    display_name: str
    roles: list[Role]
    area_codes: list[str]
    organisation_id: str | None
    disabled: bool
    must_change_password: bool


class CreatedUser(BaseModel):
    user: UserView
    one_time_password: str = Field(description="shown once: give it to the user, who must change it")


def view(user: User) -> UserView:
    return UserView(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=user.roles,
        area_codes=user.area_codes,
        organisation_id=user.organisation_id,
        disabled=user.disabled,
        must_change_password=user.must_change_password,
    )


def _managed(policy: Policy, user: User) -> bool:
    return bool(user.area_codes) and all(policy.covers_area(code) for code in user.area_codes)


def list_users(uow: UnitOfWork, policy: Policy) -> list[UserView]:
    policy.require(Action.MANAGE_USERS)
    return [view(u) for u in uow.find(User, order_by=[Order("username")]) if _managed(policy, u)]


def _require_managed(uow: UnitOfWork, policy: Policy, username: str) -> None:
    policy.require(Action.MANAGE_USERS)
    users = uow.find(User, where(username=username))
    if not users or not _managed(policy, users[0]):
        raise NodeNotFound(f"用户 {username} 不存在 / user {username} not found", key=username)


def create_user(uow: UnitOfWork, policy: Policy, body: UserCreate) -> CreatedUser:
    policy.require(Action.MANAGE_USERS)
    outside = [code for code in body.area_codes if not policy.covers_area(code)]
    if outside:
        raise NodeNotFound(
            f"区域不在您的范围内 / unknown area codes: {', '.join(outside)}", field="area_codes"
        )
    account = accounts.add_user(
        uow,
        username=body.username,
        display_name=body.display_name,
        roles=body.roles,
        area_codes=body.area_codes,
        organisation_id=body.organisation_id,
        password=None,
        actor=policy.principal.actor,
        now=policy.now,
    )
    assert account.one_time_password is not None
    return CreatedUser(user=view(account.user), one_time_password=account.one_time_password)


def disable_user(uow: UnitOfWork, policy: Policy, username: str) -> UserView:
    _require_managed(uow, policy, username)
    return view(accounts.disable_user(uow, username, actor=policy.principal.actor, now=policy.now))


def enable_user(uow: UnitOfWork, policy: Policy, username: str) -> UserView:
    _require_managed(uow, policy, username)
    return view(accounts.enable_user(uow, username, actor=policy.principal.actor, now=policy.now))


def reset_password(uow: UnitOfWork, policy: Policy, username: str) -> CreatedUser:
    _require_managed(uow, policy, username)
    password = accounts.reset_password(uow, username, actor=policy.principal.actor, now=policy.now)
    return CreatedUser(user=view(accounts.require_user(uow, username)), one_time_password=password)
