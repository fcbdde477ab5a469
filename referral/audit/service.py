"""The audit trail: append-only, hash-chained entries for every write and every unmasked read of PII.

Each entry's hash covers its own fields and the previous entry's hash, and the head node records the
newest entry. An entry changed in place no longer matches its hash; a removed entry leaves a gap in
the sequence; reordered entries break the chain of `prev_hash`; removed newest entries leave the
head pointing past the end. `verify` names the entry for each.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from graph.errors import ConstraintViolation, StoreBusy
from graph.model import AuditEntry, AuditHead, new_id
from graph.model.base import format_timestamp
from graph.store import GraphStore, Order, UnitOfWork, where

GENESIS = "0" * 64
HEAD_ID = "head"
_VERIFY_PAGE = 2_000


class AuditConflict(StoreBusy):
    """Another transaction appended at the same time; the whole unit of work is retried."""


def entry_hash(entry: AuditEntry) -> str:
    """SHA-256 over the entry's fields (all but `hash`) in a canonical JSON form."""
    document = {
        "seq": entry.seq,
        "id": entry.id,
        "actor": entry.actor,
        "action": entry.action,
        "object_label": entry.object_label,
        "object_id": entry.object_id,
        "changes_json": entry.changes_json,
        "at": format_timestamp(entry.at),
        "prev_hash": entry.prev_hash,
    }
    canonical = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """`{"field": [before, after]}` for every field whose value differs."""
    names = sorted(set(before) | set(after))
    return {n: [before.get(n), after.get(n)] for n in names if before.get(n) != after.get(n)}


def append(
    uow: UnitOfWork,
    *,
    actor: str,
    action: str,
    object_label: str,
    object_id: str,
    at: datetime,
    changes: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry in the caller's unit of work, so it commits or rolls back with the change."""
    head = uow.get(AuditHead, HEAD_ID)
    prev_seq, prev_hash = (head.seq, head.hash) if head else (0, GENESIS)
    draft = AuditEntry(
        id=new_id(),
        seq=prev_seq + 1,
        actor=actor,
        action=action,
        object_label=object_label,
        object_id=object_id,
        changes_json=json.dumps(changes or {}, ensure_ascii=False, sort_keys=True, default=str),
        at=at,
        prev_hash=prev_hash,
        hash=GENESIS,
    )
    entry = draft.model_copy(update={"hash": entry_hash(draft)})
    new_head = AuditHead(id=HEAD_ID, seq=entry.seq, hash=entry.hash, at=at)
    if head is None:
        try:
            uow.create(new_head)
        except ConstraintViolation:  # a concurrent first append made the head: retry on top of it
            raise AuditConflict("the audit trail was started while appending; retrying") from None
    elif not uow.update_if(new_head, {"seq": head.seq, "hash": head.hash}):
        raise AuditConflict("the audit trail moved while appending; retrying")
    uow.create(entry)
    return entry


@dataclass(frozen=True, slots=True)
class AuditProblem:
    """One place where the trail is not what was appended."""

    seq: int
    entry_id: str | None
    problem: str

    def describe(self) -> str:
        who = f"entry {self.seq}" + (f" ({self.entry_id})" if self.entry_id else "")
        return f"{who}: {self.problem}"


@dataclass(frozen=True, slots=True)
class AuditReport:
    """What `verify` found: how many entries it checked and every problem."""

    entries: int
    head_seq: int
    problems: tuple[AuditProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _entries(store: GraphStore) -> Iterator[AuditEntry]:
    """Every entry in sequence order, a page at a time."""
    after = 0
    while True:

        def page_after(uow: UnitOfWork, after: int = after) -> list[AuditEntry]:
            return uow.find(AuditEntry, where(seq__gt=after), order_by=[Order("seq")], limit=_VERIFY_PAGE)

        page = store.run(page_after, write=False)
        yield from page
        if len(page) < _VERIFY_PAGE:
            return
        after = page[-1].seq


def verify(store: GraphStore) -> AuditReport:
    """Check every entry's hash, the sequence, the chain of hashes and the head."""
    problems: list[AuditProblem] = []
    expected_seq, prev_hash, count = 1, GENESIS, 0
    for entry in _entries(store):
        count += 1
        if entry.seq > expected_seq:
            missing = (
                f"{expected_seq}" if entry.seq == expected_seq + 1 else f"{expected_seq}-{entry.seq - 1}"
            )
            problems.append(AuditProblem(expected_seq, None, f"entries {missing} are missing (removed)"))
        if entry_hash(entry) != entry.hash:
            problems.append(AuditProblem(entry.seq, entry.id, "content changed: hash does not match"))
        if entry.prev_hash != prev_hash:
            problems.append(
                AuditProblem(
                    entry.seq,
                    entry.id,
                    "chain broken: prev_hash is not the hash of the entry before (reordered or removed)",
                )
            )
        expected_seq, prev_hash = entry.seq + 1, entry.hash
    head = store.run(lambda uow: uow.get(AuditHead, HEAD_ID), write=False)
    head_seq = head.seq if head else 0
    if head_seq != expected_seq - 1 or (head is not None and head.hash != prev_hash):
        problems.append(
            AuditProblem(
                head_seq,
                None,
                f"the head names entry {head_seq} but the trail ends at entry {expected_seq - 1}"
                " (newest entries removed or changed)",
            )
        )
    return AuditReport(entries=count, head_seq=head_seq, problems=tuple(problems))
