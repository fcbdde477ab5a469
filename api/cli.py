"""The `zhulian` command line. Commands only translate arguments and call the store or services."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import pydantic
import typer
from platformdirs import user_data_dir
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.cli_accounts import audit_app, users
from api.cli_matching import register as register_matching_commands
from api.cli_referrals import register as register_referral_commands
from api.settings import Settings
from graph.errors import ZhulianError
from graph.factory import open_store
from graph.store import GraphStore, LoadProgress, where

app = typer.Typer(
    help="助联 Zhulian: 社会救助转介与支持网络 / referral and social-support network for social assistance.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
app.add_typer(users, name="user")
app.add_typer(audit_app, name="audit")
register_referral_commands(app)
register_matching_commands(app)


def _open(*, create: bool = False) -> GraphStore:
    settings = Settings()
    password = settings.neo4j_password.get_secret_value() if settings.neo4j_password else None
    return open_store(
        settings.store,
        create=create,
        neo4j_user=settings.neo4j_user,
        neo4j_password=password,
        neo4j_database=settings.neo4j_database,
    )


def _info_document(store: GraphStore) -> dict[str, object]:
    counts = store.counts()
    schema = store.schema()
    return {
        "store": store.describe(),
        "nodes": counts.nodes,
        "relationships": counts.rels,
        "constraints": schema.constraints,
        "indexes": schema.indexes,
    }


def _print_info(store: GraphStore) -> None:
    document = _info_document(store)
    console.print(f"[bold]存储 Store[/bold]: {document['store']}")
    for title, key in (("节点 Nodes", "nodes"), ("关系 Relationships", "relationships")):
        table = Table(title=title, show_edge=False)
        table.add_column("类型 Type")
        table.add_column("数量 Count", justify="right")
        counts = document[key]
        assert isinstance(counts, dict)
        for name, count in counts.items():
            if count:
                table.add_row(name, f"{count:,}")
        console.print(table)
    constraints, indexes = document["constraints"], document["indexes"]
    assert isinstance(constraints, list) and isinstance(indexes, list)
    console.print(f"约束 Constraints: {len(constraints)}, 索引 Indexes: {len(indexes)}")


@app.command()
def init() -> None:
    """建立存储与模式(可重复执行) / Create the store and its schema (idempotent)."""
    with _open(create=True) as store:
        store.ensure_schema()
        schema = store.schema()
        console.print(
            f"已就绪 Ready: {store.describe()} "
            f"({len(schema.constraints)} 约束 constraints, {len(schema.indexes)} 索引 indexes)"
        )


@app.command()
def info(
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出 / print JSON")] = False,
) -> None:
    """显示存储位置与各类节点、关系数量 / Show the store's location and counts."""
    with _open() as store:
        if as_json:
            typer.echo(json.dumps(_info_document(store), ensure_ascii=False, indent=2))
        else:
            _print_info(store)


def _load_county(store: GraphStore, county: str, households: int, seed: int, now: datetime) -> LoadProgress:
    """Seed a county into `store` with a progress bar; generation runs in other processes."""
    from seeds.context import load_areas
    from seeds.county import CountyPlan
    from seeds.pipeline import load_in_parallel

    try:
        areas = load_areas(county)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--county") from None
    county_area = next(a for a in areas if a.level.value == "county")
    console.print(
        f"生成 Generating {county_area.name} ({county_area.code}): {households:,} 户 households, seed {seed}"
    )
    store.ensure_schema()
    progress = Progress(
        TextColumn("[bold]载入 Loading"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("items"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    # About 21 items per household (docs/performance.md) plus the county's areas, bodies and resources.
    estimate = households * 21 + len(areas) * 5
    with progress:
        task = progress.add_task("load", total=estimate)

        def report(done: LoadProgress) -> None:
            progress.update(task, completed=min(done.nodes + done.rels, estimate - 1))

        return load_in_parallel(store, CountyPlan(county, households, seed, now), progress=report)


def _summary(store: GraphStore, now: datetime) -> Table:
    """What the store holds, as a coordinator would want to see it."""
    from graph.model import Area, Household, Need, Organisation, Person, Referral, ReferralHop, Resource
    from graph.model.enums import AreaLevel, HopStatus, NeedStatus, OrganisationKind, ReferralStatus

    open_hops = [
        s
        for s in HopStatus
        if s.value not in ("completed", "rejected", "failed", "cancelled", "entered-in-error")
    ]
    table = Table(title="演示数据 Demo data", show_edge=False)
    table.add_column("项目 Item")
    table.add_column("数量 Count", justify="right")
    with store.unit_of_work(write=False) as uow:
        counties = uow.find(Area, where(level=AreaLevel.COUNTY))
        townships = uow.find(Area, where(level=AreaLevel.TOWNSHIP))
        rows = [
            ("区县 County", ", ".join(f"{a.name} {a.code}" for a in counties)),
            ("乡镇/街道 Townships", f"{len(townships)} ({'、'.join(a.name for a in townships[:4])}…)"),
            ("村/社区 Villages", f"{uow.count(Area, where(level=AreaLevel.VILLAGE)):,}"),
            ("户 Households", f"{uow.count(Household):,}"),
            ("人 Persons", f"{uow.count(Person):,}"),
        ]
        rows += [
            (f"机构 {kind.zh} {kind.en}", f"{uow.count(Organisation, where(kind=kind)):,}")
            for kind in OrganisationKind
        ]
        rows.append(("资源 Resources (policies, services, jobs, training)", f"{uow.count(Resource):,}"))
        rows += [(f"需求 Needs: {s.zh} {s.en}", f"{uow.count(Need, where(status=s)):,}") for s in NeedStatus]
        rows += [
            (f"转介 Referrals: {s.zh} {s.en}", f"{uow.count(Referral, where(status=s)):,}")
            for s in ReferralStatus
        ]
        rows += [
            (f"环节 Hops: {s.zh} {s.en}", f"{uow.count(ReferralHop, where(status=s)):,}") for s in HopStatus
        ]
        overdue = uow.count(ReferralHop, where(status__in=open_hops, due_at__lt=now))
        rows.append(("[bold red]超时环节 Overdue hops[/bold red]", f"{overdue:,}"))
    for name, value in rows:
        table.add_row(name, value)
    return table


def _clock(now: datetime | None) -> datetime:
    """The generators' `now`: as given, or the start of today (UTC), so that seeding the same county
    with the same seed twice in a day writes the same keys and doubles nothing."""
    if now is None:
        return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return now if now.tzinfo else now.replace(tzinfo=UTC)


NowOption = Annotated[
    datetime | None, typer.Option(help="数据的当前时间 / the data's 'now' (default: today 00:00 UTC)")
]


@app.command()
def seed(
    county: Annotated[str, typer.Option(help="区县代码 / county code (6 digits)")] = "360783",
    households: Annotated[int, typer.Option(min=1, help="户数 / households")] = 1_000,
    seed: Annotated[int, typer.Option(help="随机种子 / random seed")] = 1,
    now: NowOption = None,
) -> None:
    """生成一个真实区县的数据并载入当前存储 / Generate a real county's data into the configured store."""
    now = _clock(now)
    with _open(create=True) as store:
        done = _load_county(store, county, households, seed, now)
        console.print(
            f"已载入 Loaded {done.nodes:,} nodes, {done.rels:,} relationships into {store.describe()}"
        )


def default_demo_store() -> Path:
    """The demo's own store, kept apart from the configured one so a demo never touches real data."""
    return Path(user_data_dir("zhulian", appauthor=False)) / "demo.db"


HostOption = Annotated[str | None, typer.Option(help="监听地址 / address to listen on (ZHULIAN_HOST)")]
PortOption = Annotated[int | None, typer.Option(min=1, max=65535, help="端口 / port (ZHULIAN_PORT)")]


def _serve(settings: Settings, host: str | None, port: int | None, banner: str = "") -> None:
    import uvicorn

    from api.app import create_app

    host, port = host or settings.host, port or settings.port
    application = create_app(settings)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 (only to print a usable URL)
    console.print(f"{banner}[bold green]服务地址 Serving at http://{shown}:{port}/[/bold green]")
    console.print(f"网页 Pages: http://{shown}:{port}/login  (用 Chromium 等浏览器打开 / open in a browser)")
    console.print(f"接口文档 API docs: http://{shown}:{port}/docs  (Ctrl+C 停止 / to stop)")
    uvicorn.run(application, host=host, port=port, log_level="warning")


@app.command()
def serve(host: HostOption = None, port: PortOption = None) -> None:
    """启动服务 / Serve the API on the configured store."""
    settings = Settings()
    with _open() as store:
        store.ensure_schema()
    _serve(settings, host, port)


@app.command()
def demo(
    households: Annotated[int, typer.Option(min=1, max=1_000_000, help="户数 / households")] = 8_000,
    seed: Annotated[int, typer.Option(help="随机种子 / random seed")] = 1,
    county: Annotated[str, typer.Option(help="区县代码 / county code")] = "360783",
    store_path: Annotated[
        Path | None,
        typer.Option("--store", help="演示库文件 / demo store file (default: demo.db in the data dir)"),
    ] = None,
    now: NowOption = None,
    host: HostOption = None,
    port: PortOption = None,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="只建库不启动服务 / build, do not serve")
    ] = False,
) -> None:
    """演示: 新建真实区县(默认龙南市)约8000户的演示库, 每个角色一个演示账号, 并启动服务 /
    Demo: a fresh store of a real county (~8,000 households), one account per role, and the server."""
    from graph.sqlite.store import SqliteStore
    from seeds.demo_users import create_demo_users

    path = store_path or default_demo_store()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    now = _clock(now)
    with SqliteStore(path, create=True) as store:
        done = _load_county(store, county, households, seed, now)
        console.print(f"已载入 Loaded {done.nodes:,} nodes, {done.rels:,} relationships")
        console.print(_summary(store, now))
        accounts = create_demo_users(store, datetime.now(UTC))
        # The deadline check, as the server runs it: overdue tasks escalate, unstarted claims go back.
        from referral.routing.escalation import escalate

        report = store.run(lambda uow: escalate(uow, now))
        escalated = sum(a.action == "escalated" for a in report.actions)
        console.print(
            f"超时检查 Deadline check: 升级 {escalated} escalated, "
            f"退回任务池 {len(report.actions) - escalated} returned to the pool"
        )
    # Plain lines, not a table: a narrow terminal must never wrap or cut a password short.
    console.print(
        "[bold]演示账号 Demo accounts[/bold] (密码每次演示重新生成 / new passwords on every demo run)"
    )
    width = max(len(a.username) for a in accounts)
    for account in accounts:
        organisation = f"  {account.organisation}" if account.organisation else ""
        console.print(
            f"  {account.username:<{width}}  {account.password}  {account.role.zh} {account.role.value}"
            f"  {account.area_name} {account.area_code}{organisation}",
            soft_wrap=True,
            markup=False,
            highlight=False,
        )
    console.print(f"演示库 Demo store: {path}")
    if no_serve:
        console.print(f"启动 Serve it: ZHULIAN_STORE={path} zhulian serve")
        return
    _serve(Settings(store=str(path)), host, port)


def main() -> None:
    """Entry point: run the CLI and turn known errors into one clear line."""
    try:
        app()
    except ZhulianError as exc:
        print(f"zhulian: {exc.title}: {exc.message}", file=sys.stderr)
        sys.exit(1)
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"ZHULIAN_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        print(f"zhulian: configuration error: {problems}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
