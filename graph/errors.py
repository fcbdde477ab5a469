"""Error types shared by every layer.

`ZhulianError` is the one base class: it carries the HTTP status the API renders it with, so
domain and store code can say *what* went wrong without knowing about HTTP.
"""

from __future__ import annotations

from typing import Any


class ZhulianError(Exception):
    """Base of every error Zhulian raises on purpose."""

    status_code: int = 500
    title: str = "Internal error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ConfigurationError(ZhulianError):
    """The settings (environment, store URL) are not usable."""

    status_code = 500
    title = "Configuration error"


class StoreError(ZhulianError):
    """Base of the errors a graph store raises."""

    status_code = 500
    title = "Store error"


class StoreUnavailable(StoreError):
    """The store cannot be reached or opened."""

    status_code = 503
    title = "Store unavailable"


class StoreBusy(StoreUnavailable):
    """Another writer held the store for longer than the busy timeout; trying again may work."""


class ReadOnlyTransaction(StoreError):
    """A write was attempted in a unit of work opened for reading."""

    status_code = 500
    title = "Read-only transaction"


class ConstraintViolation(StoreError):
    """A write broke a uniqueness constraint or referred to a node that does not exist."""

    status_code = 409
    title = "Conflict"


class NodeNotFound(StoreError):
    """A node named by label and key does not exist."""

    status_code = 404
    title = "Not found"


class TransactionClosed(StoreError):
    """A unit of work was used after it was committed or rolled back."""


class InvalidQuery(StoreError):
    """A query named a label, relationship type or property the model does not define."""

    status_code = 422
    title = "Invalid query"


class InvalidInput(ZhulianError):
    """A value given to a service breaks a rule of the model (names the field and the value)."""

    status_code = 422
    title = "Invalid input"

    def __init__(self, message: str, errors: list[dict[str, object]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []

    @classmethod
    def from_validation(cls, exc: Any, prefix: str = "") -> InvalidInput:
        """From a pydantic ValidationError: one entry per field with the value given."""
        errors: list[dict[str, object]] = []
        for error in exc.errors():
            location = ".".join(str(p) for p in error.get("loc", ())) or "(model)"
            field = f"{prefix}:{location}" if prefix else location
            errors.append({"field": field, "value": error.get("input"), "message": error.get("msg", "")})
        fields = ", ".join(str(e["field"]) for e in errors)
        return cls(f"输入无效 / invalid values in: {fields}", errors)
