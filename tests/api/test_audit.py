"""The audit trail: every write leaves an entry with its actor and changes, and tampering is found."""

from __future__ import annotations

import itertools
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from graph.model import AuditEntry, Consent, Household, Session, User
from graph.sqlite.store import SqliteStore
from graph.store import Order, UnitOfWork, where
from referral.accounts import service as accounts
from referral.audit import service as audit
from tests.api.conftest import PASSWORD, World, login


def head_seq(world: World) -> int:
    return audit.verify(world.store).head_seq


def entries_after(store: SqliteStore | Any, seq: int) -> list[AuditEntry]:
    found: list[AuditEntry] = store.run(
        lambda uow: uow.find(AuditEntry, where(seq__gt=seq), order_by=[Order("seq")]), write=False
    )
    return found


def only(entries: list[AuditEntry], action: str) -> AuditEntry:
    matching = [e for e in entries if e.action == action]
    assert len(matching) == 1, [(e.action, e.object_id) for e in entries]
    return matching[0]


def changes(entry: AuditEntry) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(entry.changes_json)
    return found


# -- what is recorded ----------------------------------------------------------------------------
def test_a_household_patch_records_actor_object_and_before_after(
    world: World, client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    hid = world.scenario.hh_provider
    read = client.get(f"/api/v1/households/{hid}", headers=headers("township"))
    start = head_seq(world)
    new_address = read.json()["address"] + " (已核实)"
    response = client.patch(
        f"/api/v1/households/{hid}",
        headers={**headers("township"), "If-Match": read.headers["etag"]},
        json={"address": new_address, "housing_safe": read.json()["housing_safe"]},
    )
    assert response.status_code == 200, response.text
    entry = only(entries_after(world.store, start), "update")
    assert (entry.actor, entry.object_label, entry.object_id) == ("user:township", Household.LABEL, hid)
    recorded = changes(entry)
    assert recorded["address"] == [read.json()["address"], new_address]
    assert "housing_safe" not in recorded  # sent but unchanged: not a change
    version = read.json()["version"]
    assert recorded["version"] == [version, version + 1]
    assert entry.at == world.clock.now


def test_recording_and_revoking_consent_are_recorded(
    world: World, client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    hid, org = world.scenario.hh_provider, world.scenario.other_provider_org
    start = head_seq(world)
    created = client.post(
        f"/api/v1/households/{hid}/consents",
        headers=headers("township"),
        json={"organisation_id": org, "scopes": ["phone"], "purpose": "送餐服务联系"},
    )
    assert created.status_code == 201, created.text
    consent_id = created.json()["id"]
    revoked = client.post(
        f"/api/v1/households/{hid}/consents/{consent_id}/revoke",
        headers=headers("township"),
        json={"reason": "户主撤回"},
    )
    assert revoked.status_code == 200, revoked.text
    entries = entries_after(world.store, start)
    record = only(entries, "record_consent")
    assert (record.actor, record.object_label, record.object_id) == (
        "user:township",
        Consent.LABEL,
        consent_id,
    )
    assert changes(record)["organisation_id"] == [None, org]
    assert changes(record)["scopes"] == [None, ["phone"]]
    revoke = only(entries, "revoke_consent")
    assert revoke.object_id == consent_id and changes(revoke)["reason"] == [None, "户主撤回"]
    assert changes(revoke)["revoked_at"][0] is None


def test_user_administration_login_and_logout_are_recorded(
    world: World, client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    admin = headers("admin")
    start = head_seq(world)
    created = client.post(
        "/api/v1/users",
        headers=admin,
        json={
            "username": "audited.worker",
            "display_name": "审计测试",
            "roles": ["village_worker"],
            "area_codes": [world.scenario.village],
        },
    )
    assert created.status_code == 201, created.text
    user_id = created.json()["user"]["id"]
    assert client.post("/api/v1/users/audited.worker/reset-password", headers=admin).status_code == 200
    assert client.post("/api/v1/users/audited.worker/disable", headers=admin).status_code == 200
    entries = entries_after(world.store, start)
    added = only(entries, "add_user")
    assert (added.actor, added.object_label, added.object_id) == ("user:admin", User.LABEL, user_id)
    assert changes(added)["username"] == [None, "audited.worker"]
    assert changes(added)["roles"] == [None, ["village_worker"]]
    reset = only(entries, "reset_password")
    assert reset.object_id == user_id and changes(reset)["password"] == ["***", "***"]
    disabled = only(entries, "disable_user")
    assert disabled.object_id == user_id and changes(disabled)["disabled"] == [False, True]
    # No password or hash ever reaches the trail.
    one_time = created.json()["one_time_password"]
    assert all(one_time not in e.changes_json and "argon2" not in e.changes_json for e in entries)

    start = head_seq(world)
    auditor = login(client, "auditor")
    assert client.post("/api/v1/auth/logout", headers=auditor).status_code == 204
    entries = entries_after(world.store, start)
    signed_in, signed_out = only(entries, "login"), only(entries, "logout")
    assert signed_in.actor == signed_out.actor == "user:auditor"
    assert signed_in.object_label == Session.LABEL and signed_in.object_id == signed_out.object_id
    assert PASSWORD not in signed_in.changes_json


def test_a_refused_write_leaves_no_entry(
    world: World, client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    hid = world.scenario.hh_provider
    start = head_seq(world)
    stale = client.patch(
        f"/api/v1/households/{hid}",
        headers={**headers("township"), "If-Match": '"999"'},
        json={"urban": True},
    )
    assert stale.status_code == 409
    assert entries_after(world.store, start) == []


# -- the chain -----------------------------------------------------------------------------------
def test_entries_have_gapless_seq_and_each_prev_hash_is_the_previous_hash(world: World) -> None:
    entries = entries_after(world.store, 0)
    assert len(entries) >= 10  # the setup's users at least
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert entries[0].prev_hash == audit.GENESIS
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.hash
    assert all(audit.entry_hash(e) == e.hash for e in entries)
    report = audit.verify(world.store)
    assert report.ok, report.problems
    assert report.entries == len(entries) == report.head_seq


def test_the_verify_endpoint_reports_an_intact_trail(
    client: TestClient, headers: Callable[[str], dict[str, str]]
) -> None:
    response = client.get("/api/v1/audit/verify", headers=headers("auditor"))
    assert response.status_code == 200, response.text
    assert response.json()["ok"] is True and response.json()["problems"] == []
    assert client.get("/api/v1/audit/verify", headers=headers("village")).status_code == 403


# -- tampering, on a copy of the store -----------------------------------------------------------
@pytest.fixture
def copy(world: World, tmp_path: Path) -> Iterator[SqliteStore]:
    """A copy of the world's store (WAL included), so tampering leaves other tests alone."""
    target = tmp_path / "copy.db"
    source = sqlite3.connect(world.path)
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)
    finally:
        source.close()
        destination.close()
    store = SqliteStore(target)
    try:
        yield store
    finally:
        store.close()


def _middle(store: SqliteStore) -> list[AuditEntry]:
    entries = entries_after(store, 0)
    assert len(entries) >= 10
    return entries


def _problems(store: SqliteStore) -> list[tuple[int, str | None, str]]:
    report = audit.verify(store)
    assert not report.ok
    return [(p.seq, p.entry_id, p.problem) for p in report.problems]


def test_verify_names_an_entry_changed_in_place(copy: SqliteStore) -> None:
    victim = _middle(copy)[4]
    copy.run(lambda uow: uow.upsert(victim.model_copy(update={"actor": "user:someone-else"})))
    problems = _problems(copy)
    assert problems == [(victim.seq, victim.id, "content changed: hash does not match")]
    assert audit.verify(copy).problems[0].describe().startswith(f"entry {victim.seq} ({victim.id})")


def test_verify_names_a_removed_entry(copy: SqliteStore) -> None:
    entries = _middle(copy)
    victim = entries[4]
    copy.run(lambda uow: uow.delete(victim.ref))
    problems = _problems(copy)
    assert (victim.seq, None, f"entries {victim.seq} are missing (removed)") in problems
    assert any(p[0] == victim.seq + 1 and p[2].startswith("chain broken") for p in problems)


def test_verify_names_swapped_entries_as_a_broken_chain(copy: SqliteStore) -> None:
    entries = _middle(copy)
    first, second = entries[3], entries[4]

    def swap(uow: UnitOfWork) -> None:
        # Each keeps a valid hash for its new place, so only the chain can show the swap.
        uow.upsert(first.model_copy(update={"seq": 10**9}))
        moved_second = second.model_copy(update={"seq": first.seq})
        uow.upsert(moved_second.model_copy(update={"hash": audit.entry_hash(moved_second)}))
        moved_first = first.model_copy(update={"seq": second.seq})
        uow.upsert(moved_first.model_copy(update={"hash": audit.entry_hash(moved_first)}))

    copy.run(swap)
    problems = _problems(copy)
    assert not any(p[2].startswith("content changed") for p in problems)
    broken = {p[0]: p for p in problems if p[2].startswith("chain broken")}
    assert broken[first.seq][1] == second.id  # the entry now at first.seq is named
    assert first.seq + 1 in broken


def test_verify_finds_the_newest_entry_removed(copy: SqliteStore) -> None:
    newest = _middle(copy)[-1]
    copy.run(lambda uow: uow.delete(newest.ref))
    problems = _problems(copy)
    assert len(problems) == 1
    seq, _id, problem = problems[0]
    assert seq == newest.seq
    assert f"the head names entry {newest.seq} but the trail ends at entry {newest.seq - 1}" in problem


# -- concurrency ---------------------------------------------------------------------------------
def test_concurrent_appends_get_gapless_seq_and_a_valid_chain(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "audit.db", create=True)
    store.ensure_schema()
    at = datetime(2026, 11, 2, tzinfo=UTC)
    failures: list[BaseException] = []

    def writer(number: int) -> None:
        def append_one(uow: UnitOfWork, i: int) -> AuditEntry:
            return audit.append(
                uow,
                actor=f"test:thread-{number}",
                action="append",
                object_label="Test",
                object_id=f"{number}-{i}",
                at=at,
            )

        try:
            for i in range(20):
                store.run(partial(append_one, i=i))
        except BaseException as exc:  # noqa: BLE001 (reported by the main thread)
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not failures, failures
        entries = entries_after(store, 0)
        assert [e.seq for e in entries] == list(range(1, 161))
        assert len({e.object_id for e in entries}) == 160
        report = audit.verify(store)
        assert report.ok and report.entries == report.head_seq == 160
    finally:
        store.close()


def test_disabling_a_user_through_the_service_is_recorded(world: World, new_user: Callable[..., str]) -> None:
    name = new_user()
    start = head_seq(world)
    world.store.run(lambda uow: accounts.disable_user(uow, name, actor="cli:ops", now=world.clock.now))
    entry = only(entries_after(world.store, start), "disable_user")
    assert entry.actor == "cli:ops" and changes(entry)["disabled"] == [False, True]


def test_a_first_append_that_loses_the_race_for_the_head_is_retried_not_refused() -> None:
    """On Neo4j two first appends can both find no head; the loser's create fails on the key and the
    unit of work is retried (StoreBusy), instead of a 409 to the user."""
    from unittest.mock import MagicMock

    from graph.errors import ConstraintViolation, StoreBusy

    uow = MagicMock()
    uow.get.return_value = None
    uow.create.side_effect = ConstraintViolation("a node with the same key exists")
    with pytest.raises(StoreBusy, match="retrying"):
        audit.append(uow, actor="a", action="x", object_label="Test", object_id="1", at=datetime.now(UTC))
