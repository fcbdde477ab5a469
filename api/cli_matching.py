"""CLI commands of the referral workflow (matching), added to the `zhulian` app by `register`."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.settings import Settings
from graph.model.enums import Role
from graph.model.identity import canonical_code
from referral.access.policy import Policy, Principal
from referral.matching import service as matching
from referral.matching.models import BatchProposal

console = Console()


def _operator() -> str:
    try:
        return f"cli.{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli.unknown"


def _print_proposal(proposal: BatchProposal) -> None:
    table = Table(title=f"批量匹配方案 Batch proposal: {proposal.area_code}", show_edge=False)
    table.add_column("项目 Item")
    table.add_column("数值 Value", justify="right")
    rows = [
        ("待匹配需求 Open needs", f"{proposal.needs:,}"),
        ("可用资源 Resources", f"{proposal.resources:,}"),
        ("可选配对 Eligible pairs (arcs)", f"{proposal.arcs:,}"),
        ("已匹配 Assigned", f"{proposal.assigned:,}"),
        ("未满足 Unmet", f"{len(proposal.unmet):,}"),
    ]
    rows += [
        (f"  未满足: {reason.zh} {reason.en}", f"{count:,}")
        for reason, count in proposal.unmet_by_reason.items()
    ]
    rows += [
        ("总成本 Total cost (optimum)", f"{proposal.total_cost:,}"),
        ("其中匹配成本 of which assignments", f"{proposal.assigned_cost:,}"),
        ("求解用时 Solver time", f"{proposal.solver_ms:,.1f} ms"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    console.print("方案仅为建议，未派单 / a proposal only: nothing was dispatched")


def match(
    area: Annotated[str, typer.Option("--area", help="区域代码 / county, township or village code")],
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出 / print JSON")] = False,
) -> None:
    """区域批量匹配(最小费用流) / Propose the optimal assignment of an area's open needs."""
    from api.app import open_configured_store

    try:
        code = canonical_code(area)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--area") from None
    now = datetime.now(UTC)
    principal = Principal("cli", _operator(), frozenset({Role.COUNTY_COORDINATOR}), (code,))
    policy = Policy(principal, now)
    with open_configured_store(Settings()) as store:
        proposal = store.run(lambda uow: matching.batch(uow, policy, code), write=False)
    if as_json:
        typer.echo(proposal.model_dump_json(indent=2))
    else:
        _print_proposal(proposal)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main CLI."""
    app.command("match")(match)
