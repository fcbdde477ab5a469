"""The Neo4j adapter without a server: the compare-and-set it sends and how it meets the driver's retries.

The contract suite checks behaviour against a real server when ZHULIAN_NEO4J_URI is set; these check
what can be shown without one. The fakes stand in for the driver and follow its documented contract:
`execute_write` runs the function again on a retryable error and re-raises any other exception.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import neo4j
import pytest
from neo4j.exceptions import ServiceUnavailable, TransientError

from graph.errors import StoreBusy, StoreUnavailable, ZhulianError
from graph.model import Need, new_id
from graph.model.enums import NeedStatus
from graph.neo4j import cypher
from graph.neo4j.cypher import CAS_LOCK
from graph.neo4j.store import Neo4jStore, Neo4jUnitOfWork
from graph.store import UnitOfWork
from tests.contract.test_nodes import need

DEADLOCK = "Neo.TransientError.Transaction.DeadlockDetected"


def clauses(text: str) -> list[str]:
    return re.split(r" (?=MATCH|SET|WITH|REMOVE|RETURN)", text)


# -- the statement ----------------------------------------------------------------------------------
def test_compare_and_set_takes_the_write_lock_before_it_reads_the_expected_values() -> None:
    # Neo4j reads without locks (read committed): a condition read before the lock lets two
    # transactions both see the old status and both write. The MATCH reads only the key.
    statement = cypher.compare_and_set("Need", "n1", {"id": "n1"}, {"status": NeedStatus.OPEN, "version": 3})
    assert clauses(statement.text) == [
        "MATCH (n:Need {id: $key})",
        f"SET n.{CAS_LOCK} = true",
        "WITH n, (n.status = $e0 AND n.version = $e1) AS hit",
        f"REMOVE n.{CAS_LOCK}",
        "WITH n, hit WHERE hit",
        "SET n = $props",
        "RETURN count(n) AS c",
    ]
    assert statement.params == {"key": "n1", "props": {"id": "n1"}, "e0": "open", "e1": 3}


def test_an_expected_none_means_the_property_is_absent() -> None:
    statement = cypher.compare_and_set("Need", "n1", {}, {"status": "referred", "closed_at": None})
    assert "WITH n, (n.status = $e0 AND n.closed_at IS NULL) AS hit" in statement.text
    assert statement.params == {"key": "n1", "props": {}, "e0": "referred"}


def test_the_lock_property_cannot_be_a_model_property() -> None:
    assert not re.match(r"^[A-Za-z]", CAS_LOCK)  # model names start with a letter


def test_compare_and_set_without_expectations_replaces_without_a_lock() -> None:
    statement = cypher.compare_and_set("Need", "n1", {}, {})
    assert statement.text == "MATCH (n:Need {id: $key}) SET n = $props RETURN count(n) AS c"


# -- fakes of the driver ------------------------------------------------------------------------------
Reply = list[dict[str, Any]] | Exception


class FakeTx:
    """A transaction that answers each statement with the next reply (rows, or an error to raise)."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.sent: list[str] = []

    def run(self, text: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        self.sent.append(text)
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply


class FakeSession:
    def __init__(self, attempts: Iterator[FakeTx]) -> None:
        self.attempts = attempts

    def __enter__(self) -> FakeSession:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def execute_write(self, work: Callable[[Any], Any]) -> Any:
        """The driver's contract: a retryable error reruns `work` in a new transaction."""
        last: Exception | None = None
        for tx in self.attempts:
            try:
                return work(tx)
            except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as exc:
                if not exc.is_retryable():
                    raise
                last = exc
        assert last is not None
        raise last


class FakeDriver:
    def __init__(self, *attempts: FakeTx, reachable: bool = True) -> None:
        self.attempts = iter(attempts)
        self.reachable = reachable
        self.closed = False

    def verify_connectivity(self) -> None:
        if not self.reachable:
            raise ServiceUnavailable("Couldn't connect to 127.0.0.1:1")

    def session(self, **config: object) -> FakeSession:
        return FakeSession(self.attempts)

    def close(self) -> None:
        self.closed = True


def fake_store(monkeypatch: pytest.MonkeyPatch, driver: FakeDriver) -> Neo4jStore:
    monkeypatch.setattr(neo4j.GraphDatabase, "driver", lambda uri, auth: driver)
    return Neo4jStore("bolt://fake:7687", user="neo4j", password="x")


class Lost(ZhulianError):
    status_code = 409


def claim(node: Need) -> Callable[[UnitOfWork], bool]:
    """A claim as the routing service makes it: compare-and-set, and 409 when someone was first."""

    def fn(uow: UnitOfWork) -> bool:
        if not uow.update_if(node, {"status": NeedStatus.OPEN, "version": 1}):
            raise Lost("already claimed")
        return True

    return fn


# -- update_if and run ------------------------------------------------------------------------------
def test_update_if_is_one_conditional_statement_answered_by_its_count() -> None:
    node = need(new_id(), status=NeedStatus.REFERRED, version=2)
    tx = FakeTx([{"c": 1}], [{"c": 0}])
    uow = Neo4jUnitOfWork(tx, managed=True, write=True)
    assert uow.update_if(node, {"status": NeedStatus.OPEN, "version": 1}) is True
    assert uow.update_if(node, {"status": NeedStatus.OPEN, "version": 1}) is False
    expected = {"status": NeedStatus.OPEN, "version": 1}
    assert tx.sent == [cypher.compare_and_set("Need", node.id, node.to_props(), expected).text] * 2


def test_a_deadlock_reruns_the_claim_and_the_rerun_that_finds_it_taken_is_a_409(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    node = need(new_id(), status=NeedStatus.REFERRED, version=2)
    first, second = FakeTx(TransientError(DEADLOCK)), FakeTx([{"c": 0}])
    store = fake_store(monkeypatch, FakeDriver(first, second))
    with pytest.raises(Lost) as lost:
        store.run(claim(node))
    assert lost.value.status_code == 409
    assert len(first.sent) == len(second.sent) == 1  # the rerun asked the server again


def test_a_deadlock_reruns_the_claim_and_the_rerun_may_win(monkeypatch: pytest.MonkeyPatch) -> None:
    node = need(new_id(), status=NeedStatus.REFERRED, version=2)
    first, second = FakeTx(TransientError(DEADLOCK)), FakeTx([{"c": 1}])
    store = fake_store(monkeypatch, FakeDriver(first, second))
    assert store.run(claim(node)) is True


def test_retries_used_up_are_a_busy_store_not_a_server_error(monkeypatch: pytest.MonkeyPatch) -> None:
    node = need(new_id(), status=NeedStatus.REFERRED, version=2)
    attempts = [FakeTx(TransientError(DEADLOCK)) for _ in range(3)]
    store = fake_store(monkeypatch, FakeDriver(*attempts))
    with pytest.raises(StoreBusy) as busy:
        store.run(claim(node))
    assert busy.value.status_code == 503


def test_a_server_that_cannot_be_reached_leaves_no_driver_open(monkeypatch: pytest.MonkeyPatch) -> None:
    driver = FakeDriver(reachable=False)
    with pytest.raises(StoreUnavailable, match="cannot reach Neo4j at bolt://fake:7687"):
        fake_store(monkeypatch, driver)
    assert driver.closed
