"""Base classes of the graph model: nodes, relationships, and the value types they share.

Every node and relationship is a pydantic model validated before it reaches a store. Properties
are flat (scalars and lists of scalars) so that both stores hold exactly the same thing: SQLite as
JSON, Neo4j as native properties. Timestamps are stored in one portable form, an ISO 8601 UTC string
with fixed microsecond precision, so that string order is time order in both stores.
"""

from __future__ import annotations

import enum
import re
import types
import typing
from datetime import UTC, date, datetime
from typing import Annotated, Any, ClassVar, NamedTuple, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    Strict,
    model_validator,
)
from ulid import ULID

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def new_id() -> str:
    """A new surrogate key: a ULID, sortable by creation time, made on the client."""
    return str(ULID())


def _require_utc(value: datetime) -> datetime:
    if value.tzinfo is UTC:  # the common case, answered without a call
        return value
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp must be timezone-aware (UTC)")
    return value.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    """The stored form of a timestamp: `2026-11-23T10:37:08.123456Z`."""
    value = _require_utc(value)
    if value.year >= 1000:  # the same text as strftime(TIMESTAMP_FORMAT), a third of the time
        return value.isoformat(timespec="microseconds")[:-6] + "Z"
    return value.strftime(TIMESTAMP_FORMAT)


UtcDateTime = Annotated[
    datetime,
    AfterValidator(_require_utc),
    PlainSerializer(format_timestamp, return_type=str, when_used="json"),
]
"""A timezone-aware timestamp, normalised to UTC; naive datetimes are rejected."""

Fen = Annotated[int, Strict()]
"""An amount of money in integer fen (1 yuan = 100 fen). Floats are rejected."""

NonEmptyStr = Annotated[str, Field(min_length=1, max_length=2000)]


class LabelledEnum(enum.StrEnum):
    """A string enum whose members carry a Simplified Chinese and an English label.

    Members are declared as `NAME = ("value", "中文", "English")`.
    """

    zh: str
    en: str

    def __new__(cls, value: str, zh: str = "", en: str = "") -> Self:
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.zh = zh or value
        obj.en = en or value
        return obj

    def label(self, lang: str = "zh") -> str:
        """The member's label in `lang` ("zh" or "en")."""
        return self.zh if lang.startswith("zh") else self.en


class NodeRef(NamedTuple):
    """A reference to a node by its label and key."""

    label: str
    key: str

    def __str__(self) -> str:
        return f"{self.label}:{self.key}"


_LEAF_TYPES = (str, int, float, bool, date, datetime)


def _is_flat(annotation: Any, *, in_list: bool = False) -> bool:
    """Whether a field annotation maps onto a store property: a scalar or a list of scalars."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _is_flat(typing.get_args(annotation)[0], in_list=in_list)
    if origin in (typing.Union, types.UnionType):
        return all(arg is type(None) or _is_flat(arg, in_list=in_list) for arg in typing.get_args(annotation))
    if origin is typing.Literal:
        return True
    if origin in (list, tuple, frozenset, set) and not in_list:
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        return all(_is_flat(a, in_list=True) for a in args)
    if isinstance(annotation, type):
        return issubclass(annotation, _LEAF_TYPES) or issubclass(annotation, enum.Enum)
    return False


class GraphElement(BaseModel):
    """Shared configuration of nodes and relationships."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, str_strip_whitespace=True)

    # Fields that hold private data (ID numbers, phones, health, income, exact addresses).
    PII: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def _check_flat_fields(cls, excluded: frozenset[str] = frozenset()) -> None:
        for name, info in cls.model_fields.items():
            if name in excluded:
                continue
            if not _is_flat(info.annotation):
                raise TypeError(
                    f"{cls.__name__}.{name}: property must be a scalar or a list of scalars, "
                    f"got {info.annotation!r}"
                )
            if not _IDENTIFIER.match(name):
                raise TypeError(f"{cls.__name__}.{name}: property name is not an identifier")

    @classmethod
    def property_names(cls) -> frozenset[str]:
        """Names of the properties stored for this element."""
        return frozenset(cls.model_fields)


class Node(GraphElement):
    """A node of the graph. Subclasses set LABEL and KEY and declare their properties."""

    LABEL: ClassVar[str]
    KEY: ClassVar[str] = "id"
    UNIQUE: ClassVar[tuple[str, ...]] = ()
    INDEXED: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "LABEL" not in cls.__dict__:
            return  # an abstract intermediate class
        if not _IDENTIFIER.match(cls.LABEL):
            raise TypeError(f"label {cls.LABEL!r} is not an identifier")
        cls._check_flat_fields()
        for name in (cls.KEY, *cls.UNIQUE, *cls.INDEXED):
            if name not in cls.model_fields:
                raise TypeError(f"{cls.__name__}: {name!r} is not a property")
            if not _is_flat(cls.model_fields[name].annotation, in_list=True):
                raise TypeError(f"{cls.__name__}.{name}: keys and indexed properties must be scalars")
        from graph.model.registry import register_node

        register_node(cls)

    @property
    def key(self) -> str:
        """The value of the node's key property."""
        return str(getattr(self, self.KEY))

    @property
    def ref(self) -> NodeRef:
        """A reference to this node."""
        return NodeRef(self.LABEL, self.key)

    def to_props(self) -> dict[str, Any]:
        """The stored properties: JSON-compatible scalars and lists."""
        return self.model_dump(mode="json")

    @classmethod
    def from_props(cls, props: dict[str, Any]) -> Self:
        """Rebuild a node from stored properties."""
        return cls.model_validate(props)


class Rel(GraphElement):
    """A relationship. Subclasses set TYPE and the (start label, end label) pairs it may join.

    A relationship is identified by its type and its two endpoints: there is at most one of a
    type between the same two nodes, so writing it again updates it (idempotent loads).
    """

    TYPE: ClassVar[str]
    ENDPOINTS: ClassVar[frozenset[tuple[str, str]]]

    start: NodeRef
    end: NodeRef

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "TYPE" not in cls.__dict__:
            return
        if not re.match(r"^[A-Z][A-Z0-9_]*$", cls.TYPE):
            raise TypeError(f"relationship type {cls.TYPE!r} must be UPPER_SNAKE_CASE")
        cls._check_flat_fields(excluded=frozenset({"start", "end"}))
        from graph.model.registry import register_rel

        register_rel(cls)

    @model_validator(mode="after")
    def _check_endpoints(self) -> Self:
        if (self.start.label, self.end.label) not in self.ENDPOINTS:
            allowed = ", ".join(f"{a}->{b}" for a, b in sorted(self.ENDPOINTS))
            raise ValueError(
                f"{self.TYPE} cannot join {self.start.label}->{self.end.label} (allowed: {allowed})"
            )
        return self

    @classmethod
    def property_names(cls) -> frozenset[str]:
        return frozenset(cls.model_fields) - {"start", "end"}

    def to_props(self) -> dict[str, Any]:
        """The stored properties of the relationship (without its endpoints)."""
        return self.model_dump(mode="json", exclude={"start", "end"})

    @classmethod
    def from_props(cls, start: NodeRef, end: NodeRef, props: dict[str, Any]) -> Self:
        """Rebuild a relationship from its endpoints and stored properties."""
        return cls.model_validate({**props, "start": start, "end": end})
