"""Where data came from and who changed what: imports, source records and the audit trail."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from graph.model.base import Node, NonEmptyStr, UtcDateTime
from graph.model.enums import ImportStatus, RecordStatus, SourceSystem
from graph.model.identity import DivisionCode


class ImportBatch(Node):
    """One imported file: its source format, checksum, where it stands and its counts.

    `file_sha256` is unique: importing the same file again finds this batch and changes nothing.
    `report_json` holds the merge report of the run once linking has finished.
    """

    LABEL: ClassVar[str] = "ImportBatch"
    UNIQUE: ClassVar[tuple[str, ...]] = ("file_sha256",)
    INDEXED: ClassVar[tuple[str, ...]] = ("area_code", "status")

    id: NonEmptyStr
    source: SourceSystem
    file_name: NonEmptyStr
    file_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    mapping: NonEmptyStr
    area_code: DivisionCode  # the area the file covers: who may see the batch and its records
    status: ImportStatus = ImportStatus.QUEUED
    file_format: str = Field(default="csv", pattern=r"^(csv|xlsx)$")
    encoding: str | None = None  # of a CSV file, as declared or detected
    rows_total: int = Field(default=0, ge=0)
    rows_loaded: int = Field(default=0, ge=0)
    rows_rejected: int = Field(default=0, ge=0)
    rows_flagged: int = Field(default=0, ge=0)
    rows_linked: int = Field(default=0, ge=0)
    rows_in_review: int = Field(default=0, ge=0)
    error: str | None = Field(default=None, max_length=2_000)  # why a failed import failed
    report_json: str = "{}"
    started_at: UtcDateTime
    finished_at: UtcDateTime | None = None
    imported_by: NonEmptyStr


class SourceRecord(Node):
    """One input row exactly as a source gave it, kept for provenance, and what it produced.

    Every row of a file becomes one: a row that cannot be used is `rejected` with its errors
    (field, value, reason) and produces nothing; a usable one holds its parsed values and, once
    linked, the person and household it was merged into (also `DERIVED_FROM` from them).
    """

    LABEL: ClassVar[str] = "SourceRecord"
    INDEXED: ClassVar[tuple[str, ...]] = ("batch_id", "status", "person_id", "village_code")
    PII: ClassVar[frozenset[str]] = frozenset({"raw_json", "parsed_json", "errors_json"})

    # Key: "<batch id>:<row number>", so re-importing a row finds the same record.
    id: NonEmptyStr
    batch_id: NonEmptyStr
    source: SourceSystem
    row_number: int = Field(ge=1)
    sheet: str | None = None  # the XLSX sheet the row came from
    raw_json: str  # the row's raw values as a JSON object
    parsed_json: str = "{}"  # the row's values as the mapping read them (referral.imports.rows)
    errors_json: str = "[]"  # why a rejected row cannot be used: [{field, value, reason}]
    flags: list[str] = Field(default_factory=list)  # questionable values that went in flagged
    status: RecordStatus = RecordStatus.STAGED
    household_key: str | None = Field(default=None, max_length=100)  # the source's household number
    village_code: str | None = None  # as the mapping resolved it
    person_id: str | None = None  # the registry person it was linked to (also DERIVED_FROM)
    household_id: str | None = None  # the registry household it was linked to (also DERIVED_FROM)
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
