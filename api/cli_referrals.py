"""CLI commands of the referral workflow (referrals), added to the `zhulian` app by `register`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from referral.routing.models import EscalationReport

console = Console()


def _print_report(report: EscalationReport) -> None:
    table = Table(title=f"超时检查 Deadline check at {report.now.isoformat()}", show_edge=False)
    for column in (
        "环节 Hop",
        "转介 Referral",
        "处理 Action",
        "升级至 Level",
        "通知 Notified",
        "超时自 Overdue since",
    ):
        table.add_column(column)
    labels = {"escalated": "超时升级 escalated", "returned_to_pool": "退回任务池 back to the pool"}
    for a in report.actions:
        table.add_row(
            a.hop_id,
            a.referral_id,
            labels[a.action],
            f"{a.level.zh} {a.level.en}" if a.level else "-",
            a.recipient_id or "-",
            a.overdue_since.isoformat() if a.overdue_since else "-",
        )
    console.print(table)
    escalated = sum(a.action == "escalated" for a in report.actions)
    returned = len(report.actions) - escalated
    console.print(f"升级 Escalated: {escalated}, 退回任务池 Returned to the pool: {returned}")


def escalate_command(
    now: Annotated[
        datetime | None, typer.Option("--now", help="检查时刻 / the moment to check at (default: now, UTC)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出 / print JSON")] = False,
) -> None:
    """执行超时检查与升级 / Run the deadline check: escalate overdue tasks, return unstarted claims."""
    from api.app import open_configured_store
    from api.settings import Settings
    from referral.routing.escalation import escalate

    moment = now or datetime.now(UTC)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    settings = Settings()
    with open_configured_store(settings) as store:
        report = store.run(lambda uow: escalate(uow, moment, settings.deadlines()))
    if as_json:
        typer.echo(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        _print_report(report)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main CLI."""
    app.command("escalate")(escalate_command)
