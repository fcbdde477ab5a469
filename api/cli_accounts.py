"""`zhulian user ...` and `zhulian audit ...`: accounts and the audit trail from the command line.

Commands act as `cli:<OS user>` in the audit trail. No account exists until one is added here.
"""

from __future__ import annotations

import getpass
import sys
from datetime import UTC, datetime
from typing import Annotated

import pydantic
import typer
from rich.console import Console
from rich.table import Table

from api.settings import Settings
from graph.model import User
from graph.model.enums import Role
from graph.model.identity import canonical_code
from graph.store import GraphStore, Order
from referral.accounts import service as accounts
from referral.audit import service as audit

users = typer.Typer(help="用户管理 / manage user accounts", no_args_is_help=True)
audit_app = typer.Typer(help="审计链 / the audit trail", no_args_is_help=True)
console = Console()


def _store() -> GraphStore:
    from api.app import open_configured_store

    return open_configured_store(Settings())


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def _now() -> datetime:
    return datetime.now(UTC)


@users.command("add")
def add(
    username: Annotated[str, typer.Argument(help="登录名 / sign-in name (lower case)")],
    role: Annotated[list[Role], typer.Option("--role", help="角色, 可多次 / role (repeatable)")],
    area: Annotated[list[str], typer.Option("--area", help="区域代码, 可多次 / area code (repeatable)")],
    name: Annotated[str | None, typer.Option(help="显示名 / display name")] = None,
    organisation: Annotated[
        str | None, typer.Option(help="机构ID / organisation id (providers, liaisons)")
    ] = None,
    password_prompt: Annotated[
        bool, typer.Option("--password", help="输入密码而非生成一次性密码 / type a password instead")
    ] = False,
) -> None:
    """新增用户 / Add a user. Prints a one-time password unless --password is given."""
    password = _read_password() if password_prompt else None
    codes = [canonical_code(code) for code in area]
    with _store() as store:
        try:
            account = store.run(
                lambda uow: accounts.add_user(
                    uow,
                    username=username,
                    display_name=name or username,
                    roles=role,
                    area_codes=codes,
                    organisation_id=organisation,
                    password=password,
                    actor=_actor(),
                    now=_now(),
                )
            )
        except pydantic.ValidationError as exc:
            # A value the User model refuses (e.g. an upper-case name): the argument's fault, not the
            # configuration's, which is how `main` would otherwise report a ValidationError.
            fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise typer.BadParameter(fields) from None
    console.print(
        f"已新增 Added [bold]{account.user.username}[/bold]"
        f" ({', '.join(r.value for r in account.user.roles)})"
    )
    if account.one_time_password:
        _show_password(
            f"一次性密码 One-time password: {account.one_time_password}  (首次登录须修改 / must be changed)"
        )


def _read_password() -> str:
    """Typed twice at a terminal; otherwise the first line of standard input (for scripts)."""
    if sys.stdin.isatty():
        return str(typer.prompt("密码 Password", hide_input=True, confirmation_prompt=True))
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise typer.BadParameter("standard input held no password", param_hint="--password")
    return password


def _show_password(line: str) -> None:
    """A line with a password, never wrapped or cut (it must be copied whole)."""
    console.print(line, soft_wrap=True, markup=False, highlight=False)


@users.command("disable")
def disable(username: str) -> None:
    """停用用户并结束其会话 / Disable a user and end their sessions."""
    with _store() as store:
        store.run(lambda uow: accounts.disable_user(uow, username, actor=_actor(), now=_now()))
    console.print(f"已停用 Disabled {username}")


@users.command("enable")
def enable(username: str) -> None:
    """重新启用用户 / Enable a disabled user."""
    with _store() as store:
        store.run(lambda uow: accounts.enable_user(uow, username, actor=_actor(), now=_now()))
    console.print(f"已启用 Enabled {username}")


@users.command("reset-password")
def reset_password(username: str) -> None:
    """重置为一次性密码 / Set a new one-time password (printed once) and end the user's sessions."""
    with _store() as store:
        password = store.run(lambda uow: accounts.reset_password(uow, username, actor=_actor(), now=_now()))
    _show_password(
        f"{username} 的一次性密码 one-time password: {password}  (首次登录须修改 / must be changed)"
    )


@users.command("list")
def list_users() -> None:
    """列出用户 / List users."""
    with _store() as store:
        found = store.run(lambda uow: uow.find(User, order_by=[Order("username")]), write=False)
    table = Table(show_edge=False)
    for column in ("用户 User", "角色 Roles", "区域 Areas", "机构 Organisation", "状态 State"):
        table.add_column(column)
    for u in found:
        state = (
            "停用 disabled"
            if u.disabled
            else ("须改密 must change password" if u.must_change_password else "正常 active")
        )
        table.add_row(
            u.username,
            ", ".join(r.value for r in u.roles),
            ", ".join(u.area_codes),
            u.organisation_id or "",
            state,
        )
    console.print(table)


@audit_app.command("verify")
def verify() -> None:
    """校验审计链: 发现被改、被删或被调序的条目 / Find changed, removed or reordered entries."""
    with _store() as store:
        report = audit.verify(store)
    if report.ok:
        console.print(
            f"[green]审计链完好 Audit trail intact[/green]: {report.entries:,} entries,"
            f" head {report.head_seq}"
        )
        return
    for problem in report.problems:
        console.print(f"[red]✗[/red] {problem.describe()}")
    console.print(
        f"[red]审计链被篡改 The audit trail was tampered with[/red]: {len(report.problems)} problem(s)"
    )
    raise typer.Exit(code=3)
