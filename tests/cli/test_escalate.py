"""`zhulian escalate --now T` runs the deadline check on the configured store and says what it did."""

from __future__ import annotations

import json
from pathlib import Path

from graph.sqlite.store import SqliteStore
from seeds.county import generate_county
from tests.api.conftest import SEED_NOW
from tests.cli.test_cli import zhulian


def test_escalate_prints_a_table_then_does_nothing_new(tmp_path: Path) -> None:
    db = tmp_path / "z.db"
    store = SqliteStore(db, create=True)
    store.ensure_schema()
    store.bulk_load(generate_county("360783", 60, seed=3, now=SEED_NOW))
    store.close()
    later = "2026-12-01T08:00:00"
    first = zhulian("escalate", "--now", later, store=db)
    assert first.returncode == 0, first.stderr
    assert "超时检查 Deadline check" in first.stdout and "升级 Escalated:" in first.stdout
    assert "超时升级" in first.stdout and "升级 Escalated: 0," not in first.stdout
    again = zhulian("escalate", "--now", later, "--json", store=db)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["actions"] == []
    store = SqliteStore(db)
    try:
        from graph.model import ReferralHop
        from graph.store import where

        marked = store.run(
            lambda uow: uow.count(ReferralHop, where(escalation_level__is_null=False)), write=False
        )
    finally:
        store.close()
    assert marked > 0
