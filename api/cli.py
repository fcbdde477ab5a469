"""The `zhulian` command line. Commands only translate arguments and call the store or services."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import pydantic
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.settings import Settings
from graph.errors import ZhulianError
from graph.factory import open_store
from graph.store import GraphStore, LoadProgress

app = typer.Typer(
    help="助联 Zhulian: 社会救助转介与支持网络 / referral and social-support network for social assistance.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()


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


@app.command()
def demo(
    households: Annotated[int, typer.Option(min=1, max=100_000, help="户数 / households")] = 300,
    seed: Annotated[int, typer.Option(help="随机种子 / random seed")] = 1,
) -> None:
    """载入演示县(龙南市)数据并显示概况 / Load the demo county (龙南市) and show what it holds."""
    from seeds.demo import generate

    with _open(create=True) as store:
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
        with progress:
            task = progress.add_task("load", total=None)

            def report(done: LoadProgress) -> None:
                progress.update(task, completed=done.nodes + done.rels)

            done = store.bulk_load(generate(households=households, seed=seed), progress=report)
        console.print(
            f"已载入 Loaded {done.nodes:,} nodes, {done.rels:,} relationships "
            f"({households} 户 households, seed {seed})"
        )
        _print_info(store)


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
