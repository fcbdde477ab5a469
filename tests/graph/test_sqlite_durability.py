"""The embedded store survives SIGKILL and two writing processes at once.

Each test runs real child processes: one killed with SIGKILL in the middle of a bulk load or of a
large update, or two writing at the same time as the API server and a CLI import would.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from contextlib import closing
from pathlib import Path

import pytest

from graph.model import Household
from graph.sqlite.store import SqliteStore
from graph.store import where
from tests.builders import make_areas
from tests.graph.crash_items import households

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
BATCH = 500

PRELUDE = textwrap.dedent(
    """
    import sys
    from graph.model import Household
    from graph.sqlite.store import SqliteStore
    from tests.graph.crash_items import households
    store = SqliteStore(sys.argv[1])
    """
)


def child(script: str, db: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(script), str(db), *args],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "zhulian.db"
    store = SqliteStore(path, create=True)
    store.ensure_schema()
    with store.unit_of_work() as uow:
        make_areas(uow)
        uow.commit()
    store.close()
    return path


def integrity(db: Path) -> str:
    with closing(sqlite3.connect(db)) as conn:  # closed at once: an open connection is a user of the store
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def wait_for(proc: subprocess.Popen[str], marker: str) -> list[str]:
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line.strip())
        if line.startswith(marker):
            return lines
    raise AssertionError(f"child ended before {marker!r}: {proc.stderr.read() if proc.stderr else ''}")


def test_sigkill_during_bulk_load_keeps_every_committed_batch_and_no_partial_one(db: Path) -> None:
    proc = child(
        """
        def report(done):
            print(f"committed {done.batches} {done.nodes}", flush=True)
        store.bulk_load(households("h", 1_000_000), batch_size=int(sys.argv[2]), progress=report)
        """,
        db,
        str(2 * BATCH),
    )
    lines = wait_for(proc, "committed 4 ")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    committed = int(lines[-1].split()[2])
    assert integrity(db) == "ok"
    store = SqliteStore(db)
    with store.unit_of_work(write=False) as uow:
        loaded = uow.count(Household)
        lived = len(uow.neighbours(uow.require(Household, "h-0000000").ref, ["LIVES_IN"]))
        # The load into an empty store had put off its secondary indexes: queries are still right.
        assert "ix_Household_village_code" not in store.schema().indexes
        assert uow.count(Household, where(village_code="360783100201")) == loaded
    counts = store.counts()
    assert loaded >= committed  # batches the child saw committed are all there
    assert loaded % BATCH == 0  # and no batch is there in part (a batch is BATCH households)
    assert counts.rels["LIVES_IN"] == loaded and lived == 1
    # Loading again completes the data idempotently, and builds the indexes.
    store.bulk_load(households("h", loaded + BATCH), batch_size=2 * BATCH)
    assert store.counts().nodes["Household"] == loaded + BATCH
    assert "ix_Household_village_code" in store.schema().indexes
    store.close()


def test_sigkill_in_the_middle_of_an_update_leaves_nothing_of_it(db: Path) -> None:
    setup = child("store.bulk_load(households('u', 2000), batch_size=1000)", db)
    assert setup.wait(timeout=60) == 0, setup.stderr.read() if setup.stderr else ""
    proc = child(
        """
        with store.unit_of_work() as uow:
            for i, h in enumerate(uow.find(Household)):
                uow.upsert(h.model_copy(update={"risk_level": 1}))
                if i == 1500:
                    print("half-way", flush=True)
                    sys.stdin.readline()  # wait here, inside the transaction, to be killed
            uow.commit()
        """,
        db,
    )
    wait_for(proc, "half-way")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert integrity(db) == "ok"
    store = SqliteStore(db)
    with store.unit_of_work(write=False) as uow:
        assert uow.count(Household) == 2000
        assert uow.count(Household, where(risk_level=1)) == 0
    # The store is writable again straight away (no stale lock).
    store.run(
        lambda uow: uow.upsert(uow.require(Household, "u-0000001").model_copy(update={"risk_level": 2}))
    )
    store.close()


def test_two_processes_write_at_once_without_losing_a_transaction(db: Path) -> None:
    script = """
        prefix = sys.argv[2]
        for i, item in enumerate(households(prefix, 300)):
            store.run(lambda uow, item=item: uow.upsert(item) if hasattr(item, "LABEL") else uow.relate(item))
        with store.unit_of_work(write=False) as uow:
            print("seen", uow.count(Household), flush=True)
        """
    procs = [child(script, db, prefix) for prefix in ("api", "cli")]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert out.startswith("seen")
    store = SqliteStore(db)
    assert store.counts().nodes["Household"] == 600
    assert store.counts().rels["LIVES_IN"] == 600
    store.close()


def test_sigkill_during_a_load_built_beside_an_empty_store_leaves_it_empty(tmp_path: Path) -> None:
    """Into an empty store the load builds a new file beside it (decision 0009); killed half-way,
    the store is exactly as it was and the next load clears the half-built file."""
    db = tmp_path / "empty.db"
    store = SqliteStore(db, create=True)
    store.ensure_schema()
    store.close()
    proc = child(
        """
        from graph.model import Household
        def report(done):
            print(f"written {done.batches} {done.nodes}", flush=True)
        only_households = (i for i in households("h", 1_000_000) if isinstance(i, Household))
        store.bulk_load(only_households, batch_size=int(sys.argv[2]), progress=report)
        """,
        db,
        str(BATCH),
    )
    wait_for(proc, "written 4 ")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert [p.name for p in tmp_path.glob("empty.db.loading-*")] == [f"empty.db.loading-{proc.pid}"]
    assert integrity(db) == "ok"
    store = SqliteStore(db)
    assert sum(store.counts().nodes.values()) == 0
    store.bulk_load(h for h in households("h", 3 * BATCH) if isinstance(h, Household))
    assert store.counts().nodes["Household"] == 3 * BATCH
    assert list(tmp_path.glob("empty.db.loading-*")) == []
    store.close()
