"""User accounts and sessions: add, disable, reset and change passwords, sign in, refresh, sign out.

Passwords are hashed with argon2id (pwdlib). A session is a stored node; the access token names it,
so revoking the session (logout, password reset, disabling the user, a replayed refresh token)
ends every token issued for it at once. Each change appends an audit entry.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pwdlib import PasswordHash

from graph.errors import ConstraintViolation, NodeNotFound
from graph.model import Area, BoundTo, Organisation, Session, User, WorksFor, new_id
from graph.model.enums import OrganisationKind, Role
from graph.store import UnitOfWork, where
from referral.access.errors import NotAuthenticated, WrongCurrentPassword
from referral.audit import service as audit

MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHash.recommended()
# Verified against when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
_ORGANISATION_ROLES = {
    Role.PROVIDER: {
        OrganisationKind.CHARITY,
        OrganisationKind.SOCIAL_WORK,
        OrganisationKind.ENTERPRISE,
        OrganisationKind.VOLUNTEER_TEAM,
    },
    Role.DEPARTMENT_LIAISON: {OrganisationKind.DEPARTMENT},
}


def one_time_password() -> str:
    """A random password for a new or reset account, shown once."""
    return secrets.token_urlsafe(12)


def check_password_rules(password: str, username: str, *, field: str = "password") -> None:
    """Reject passwords that are too short or contain the user name; `field` names the input."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ConstraintViolation(
            f"密码至少 {MIN_PASSWORD_LENGTH} 位 / password needs {MIN_PASSWORD_LENGTH}+ characters",
            field=field,
        )
    if username.lower() in password.lower():
        raise ConstraintViolation("密码不能包含用户名 / password must not contain the user name", field=field)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _log(
    uow: UnitOfWork, actor: str, action: str, label: str, key: str, at: datetime, **changes: object
) -> None:
    audit.append(uow, actor=actor, action=action, object_label=label, object_id=key, at=at, changes=changes)


@dataclass(frozen=True, slots=True)
class NewAccount:
    user: User
    one_time_password: str | None  # set when the password was generated: show it once


def add_user(
    uow: UnitOfWork,
    *,
    username: str,
    display_name: str,
    roles: Sequence[Role],
    area_codes: Sequence[str],
    organisation_id: str | None,
    password: str | None,
    actor: str,
    now: datetime,
) -> NewAccount:
    """Create an account bound to areas (and an organisation for providers and liaisons).

    Without `password` a one-time password is generated and must be changed at first sign-in.
    """
    if not roles:
        raise ConstraintViolation("至少一个角色 / give at least one role", field="roles")
    if not area_codes:
        raise ConstraintViolation("至少绑定一个区域 / bind the user to at least one area", field="area_codes")
    areas = uow.get_many(Area, area_codes)
    unknown = sorted(set(area_codes) - set(areas))
    if unknown:
        raise NodeNotFound(f"区域不存在 / unknown area codes: {', '.join(unknown)}", field="area_codes")
    organisation = _check_organisation(uow, roles, organisation_id)
    generated = None
    if password is None:
        password = generated = one_time_password()
    else:
        check_password_rules(password, username)
    user = User(
        id=new_id(),
        username=username,
        display_name=display_name,
        roles=sorted(set(roles)),
        area_codes=sorted(set(area_codes)),
        organisation_id=organisation.id if organisation else None,
        password_hash=_hasher.hash(password),
        must_change_password=generated is not None,
        created_at=now,
        updated_at=now,
    )
    uow.create(user)  # ConstraintViolation (409) when the user name is taken
    for code in user.area_codes:
        uow.relate(BoundTo(start=user.ref, end=areas[code].ref))
    if organisation is not None:
        uow.relate(WorksFor(start=user.ref, end=organisation.ref))
    _log(
        uow,
        actor,
        "add_user",
        User.LABEL,
        user.id,
        now,
        username=[None, username],
        roles=[None, [r.value for r in user.roles]],
        area_codes=[None, user.area_codes],
        organisation_id=[None, user.organisation_id],
    )
    return NewAccount(user, generated)


def _check_organisation(
    uow: UnitOfWork, roles: Sequence[Role], organisation_id: str | None
) -> Organisation | None:
    needs = [r for r in roles if r in _ORGANISATION_ROLES]
    if not needs:
        if organisation_id is not None:
            raise ConstraintViolation(
                "只有服务机构和部门联络员绑定机构 / only providers and liaisons belong to an organisation",
                field="organisation_id",
            )
        return None
    if organisation_id is None:
        raise ConstraintViolation(
            f"角色 {needs[0].value} 需要绑定机构 / role {needs[0].value} needs an organisation",
            field="organisation_id",
        )
    organisation = uow.get(Organisation, organisation_id)
    if organisation is None:
        raise NodeNotFound(f"机构 {organisation_id} 不存在 / organisation not found", field="organisation_id")
    for role in needs:
        if organisation.kind not in _ORGANISATION_ROLES[role]:
            raise ConstraintViolation(
                f"角色 {role.value} 不能属于 {organisation.kind.value} 类机构 / "
                f"a {role.value} cannot belong to a {organisation.kind.value}",
                field="organisation_id",
            )
    return organisation


def require_user(uow: UnitOfWork, username: str) -> User:
    users = uow.find(User, where(username=username))
    if not users:
        raise NodeNotFound(f"用户 {username} 不存在 / user {username} not found", field="username")
    return users[0]


def _save_user(uow: UnitOfWork, before: User, **update: object) -> User:
    after = User.model_validate({**before.to_props(), **update, "version": before.version + 1})
    if not uow.update_if(after, {"version": before.version}):
        raise ConstraintViolation(f"用户 {before.username} 已被修改 / user changed meanwhile; try again")
    return after


def revoke_sessions(
    uow: UnitOfWork, user_id: str, reason: str, now: datetime, keep: str | None = None
) -> int:
    """End every open session of a user (but `keep`); returns how many."""
    count = 0
    for session in uow.find(Session, where(user_id=user_id, revoked_at__is_null=True)):
        if session.id == keep:
            continue
        uow.update_if(
            session.model_copy(update={"revoked_at": now, "revoked_reason": reason}), {"revoked_at": None}
        )
        count += 1
    return count


def disable_user(uow: UnitOfWork, username: str, *, actor: str, now: datetime) -> User:
    """Stop a user signing in and end their sessions (their tokens stop working at once)."""
    user = require_user(uow, username)
    if user.disabled:
        return user
    after = _save_user(uow, user, disabled=True, updated_at=now)
    ended = revoke_sessions(uow, user.id, "user disabled", now)
    _log(uow, actor, "disable_user", User.LABEL, user.id, now, disabled=[False, True], sessions_revoked=ended)
    return after


def enable_user(uow: UnitOfWork, username: str, *, actor: str, now: datetime) -> User:
    user = require_user(uow, username)
    if not user.disabled:
        return user
    after = _save_user(uow, user, disabled=False, updated_at=now)
    _log(uow, actor, "enable_user", User.LABEL, user.id, now, disabled=[True, False])
    return after


def reset_password(uow: UnitOfWork, username: str, *, actor: str, now: datetime) -> str:
    """Set a new one-time password (returned, to show once) and end the user's sessions."""
    user = require_user(uow, username)
    password = one_time_password()
    _save_user(uow, user, password_hash=_hasher.hash(password), must_change_password=True, updated_at=now)
    ended = revoke_sessions(uow, user.id, "password reset", now)
    _log(
        uow,
        actor,
        "reset_password",
        User.LABEL,
        user.id,
        now,
        password=["***", "***"],
        sessions_revoked=ended,
    )
    return password


def change_password(
    uow: UnitOfWork, user_id: str, current: str, new: str, *, now: datetime, keep_session: str | None = None
) -> User:
    """The user's own change: needs the current password; their other sessions end."""
    user = uow.get(User, user_id)
    if user is None or user.disabled:
        raise NotAuthenticated("账号已停用 / the account is disabled")
    if not _verify(current, user.password_hash):
        raise WrongCurrentPassword("当前密码错误 / the current password is wrong", field="current_password")
    check_password_rules(new, user.username, field="new_password")
    if secrets.compare_digest(current, new):
        raise ConstraintViolation(
            "新密码不能与旧密码相同 / choose a different password", field="new_password"
        )
    after = _save_user(uow, user, password_hash=_hasher.hash(new), must_change_password=False, updated_at=now)
    ended = revoke_sessions(uow, user.id, "password changed", now, keep=keep_session)
    _log(
        uow,
        f"user:{user.username}",
        "change_password",
        User.LABEL,
        user.id,
        now,
        password=["***", "***"],
        sessions_revoked=ended,
    )
    return after


def _verify(password: str, password_hash: str | None) -> bool:
    valid, _ = _hasher.verify_and_update(password, password_hash or _DUMMY_HASH)
    return bool(valid and password_hash)


def authenticate(uow: UnitOfWork, username: str, password: str) -> User:
    """The user whose password this is; NotAuthenticated (one message for every reason) otherwise."""
    users = uow.find(User, where(username=username.strip().lower()))
    user = users[0] if users else None
    if not _verify(password, user.password_hash if user else None) or user is None or user.disabled:
        raise NotAuthenticated("用户名或密码错误 / wrong user name or password")
    return user


@dataclass(frozen=True, slots=True)
class IssuedSession:
    session: Session
    user: User
    refresh_token: str  # "<session id>.<secret>": shown to the client once, stored only as a hash


def _refresh_token(session_id: str) -> str:
    return f"{session_id}.{secrets.token_urlsafe(32)}"


def start_session(
    uow: UnitOfWork, user: User, *, now: datetime, lifetime: timedelta, client_address: str | None
) -> IssuedSession:
    """A new session for a user who just proved their password."""
    session_id = new_id()
    token = _refresh_token(session_id)
    session = Session(
        id=session_id,
        user_id=user.id,
        refresh_hash=_token_hash(token),
        created_at=now,
        refreshed_at=now,
        expires_at=now + lifetime,
        client_address=client_address,
    )
    uow.create(session)
    _log(uow, f"user:{user.username}", "login", Session.LABEL, session.id, now)
    return IssuedSession(session, user, token)


def refresh_session(
    uow: UnitOfWork, refresh_token: str, *, now: datetime, lifetime: timedelta
) -> IssuedSession:
    """Rotate a refresh token. A replayed (already rotated) token ends the session: it was stolen."""
    session_id, _, _secret = refresh_token.partition(".")
    session = uow.get(Session, session_id) if session_id else None
    if session is None or session.revoked_at is not None or session.expires_at <= now:
        raise NotAuthenticated("会话已结束, 请重新登录 / the session has ended; sign in again")
    user = uow.get(User, session.user_id)
    if user is None or user.disabled:
        raise NotAuthenticated("会话已结束, 请重新登录 / the session has ended; sign in again")
    if not hmac.compare_digest(session.refresh_hash, _token_hash(refresh_token)):
        revoked = session.model_copy(update={"revoked_at": now, "revoked_reason": "refresh token replayed"})
        uow.update_if(revoked, {"refresh_hash": session.refresh_hash})
        _log(uow, f"user:{user.username}", "refresh_replayed", Session.LABEL, session.id, now)
        raise NotAuthenticated(
            "刷新令牌已失效, 会话已结束 / refresh token already used; the session has ended"
        )
    token = _refresh_token(session.id)
    rotated = session.model_copy(
        update={"refresh_hash": _token_hash(token), "refreshed_at": now, "expires_at": now + lifetime}
    )
    if not uow.update_if(rotated, {"refresh_hash": session.refresh_hash}):
        raise NotAuthenticated("刷新令牌已失效 / refresh token already used")
    _log(uow, f"user:{user.username}", "refresh", Session.LABEL, session.id, now)
    return IssuedSession(rotated, user, token)


def end_session(uow: UnitOfWork, session_id: str, *, actor: str, now: datetime) -> None:
    """Logout: revoke the session; every token issued for it stops working."""
    session = uow.get(Session, session_id)
    if session is None or session.revoked_at is not None:
        return
    uow.update_if(
        session.model_copy(update={"revoked_at": now, "revoked_reason": "logout"}), {"revoked_at": None}
    )
    _log(uow, actor, "logout", Session.LABEL, session.id, now)


def active_session(uow: UnitOfWork, session_id: str, now: datetime) -> tuple[Session, User]:
    """The session an access token names and its user, if both are still good."""
    session = uow.get(Session, session_id)
    if session is None or session.revoked_at is not None or session.expires_at <= now:
        raise NotAuthenticated("会话已结束, 请重新登录 / the session has ended; sign in again")
    user = uow.get(User, session.user_id)
    if user is None or user.disabled:
        raise NotAuthenticated("账号已停用 / the account is disabled")
    return session, user
