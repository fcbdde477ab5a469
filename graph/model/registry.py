"""The whitelist of labels and relationship types: every store query is checked against it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from graph.errors import InvalidQuery

if TYPE_CHECKING:
    from graph.model.base import Node, Rel

NODE_TYPES: dict[str, type[Node]] = {}
REL_TYPES: dict[str, type[Rel]] = {}


def register_node(cls: type[Node]) -> None:
    """Add a node class to the whitelist (called when the class is defined)."""
    existing = NODE_TYPES.get(cls.LABEL)
    if existing is not None and existing.__qualname__ != cls.__qualname__:
        raise TypeError(f"label {cls.LABEL!r} defined twice: {existing.__name__}, {cls.__name__}")
    NODE_TYPES[cls.LABEL] = cls


def register_rel(cls: type[Rel]) -> None:
    """Add a relationship class to the whitelist (called when the class is defined)."""
    existing = REL_TYPES.get(cls.TYPE)
    if existing is not None and existing.__qualname__ != cls.__qualname__:
        raise TypeError(f"relationship type {cls.TYPE!r} defined twice")
    REL_TYPES[cls.TYPE] = cls


def node_type(label: str) -> type[Node]:
    """The node class for `label`, or InvalidQuery if the model has no such label."""
    try:
        return NODE_TYPES[label]
    except KeyError:
        raise InvalidQuery(f"unknown node label {label!r}", label=label) from None


def rel_type(name: str) -> type[Rel]:
    """The relationship class for `name`, or InvalidQuery if the model has no such type."""
    try:
        return REL_TYPES[name]
    except KeyError:
        raise InvalidQuery(f"unknown relationship type {name!r}", type=name) from None
