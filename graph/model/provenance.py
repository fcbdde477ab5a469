"""Where data came from and who changed what: imports, source records and the audit trail."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from graph.model.base import Node, NonEmptyStr, UtcDateTime
from graph.model.enums import SourceSystem


class ImportBatch(Node):
    """One imported file: its source format, checksum and counts."""

    LABEL: ClassVar[str] = "ImportBatch"
    UNIQUE: ClassVar[tuple[str, ...]] = ("file_sha256",)

    id: NonEmptyStr
    source: SourceSystem
    file_name: NonEmptyStr
    file_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    mapping: NonEmptyStr
    rows_total: int = Field(default=0, ge=0)
    rows_loaded: int = Field(default=0, ge=0)
    rows_rejected: int = Field(default=0, ge=0)
    rows_flagged: int = Field(default=0, ge=0)
    started_at: UtcDateTime
    finished_at: UtcDateTime | None = None
    imported_by: NonEmptyStr


class SourceRecord(Node):
    """One input row exactly as a source gave it, kept for provenance."""

    LABEL: ClassVar[str] = "SourceRecord"
    INDEXED: ClassVar[tuple[str, ...]] = ("batch_id",)
    PII: ClassVar[frozenset[str]] = frozenset({"raw_json"})

    # Key: "<batch id>:<row number>", so re-importing a row finds the same record.
    id: NonEmptyStr
    batch_id: NonEmptyStr
    source: SourceSystem
    row_number: int = Field(ge=1)
    raw_json: str  # the row's raw values as a JSON object
    flags: list[str] = Field(default_factory=list)
    imported_at: UtcDateTime


class AuditEntry(Node):
    """An append-only, hash-chained record of a write or an unmasked read of private data."""

    LABEL: ClassVar[str] = "AuditEntry"
    UNIQUE: ClassVar[tuple[str, ...]] = ("seq",)
    INDEXED: ClassVar[tuple[str, ...]] = ("object_id", "actor", "at")
    PII: ClassVar[frozenset[str]] = frozenset({"changes_json"})  # before/after values of any field

    id: NonEmptyStr
    seq: int = Field(ge=1)
    actor: NonEmptyStr
    action: NonEmptyStr
    object_label: NonEmptyStr
    object_id: NonEmptyStr
    changes_json: str = "{}"  # {"field": [before, after]}
    at: UtcDateTime
    prev_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")


class AuditHead(Node):
    """The newest entry of the audit trail: its sequence number and hash.

    Appending moves the head with compare-and-set, so entries get gapless sequence numbers, and
    removing the newest entries is detectable because the head no longer matches.
    """

    LABEL: ClassVar[str] = "AuditHead"

    id: NonEmptyStr
    seq: int = Field(ge=0)
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    at: UtcDateTime
