"""docs/graph-model.md states the model's facts exactly as graph/model/*.py defines them.

The page is written by hand; these tests fail when the model and the page disagree on a label's
required, unique, indexed or private properties, its property table, or the relationship table.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from graph.model import NODE_TYPES, REL_TYPES, Node

DOC = Path(__file__).resolve().parents[2] / "docs" / "graph-model.md"
TEXT = DOC.read_text(encoding="utf-8")

# The fact lines of a label section ("- Required: `id`, ...") and what each must list.
FACT_LINES: dict[str, Callable[[type[Node]], set[str]]] = {
    "Required": lambda cls: {name for name, field in cls.model_fields.items() if field.is_required()},
    "Unique (UNIQUE)": lambda cls: set(cls.UNIQUE),
    "Indexed (INDEXED)": lambda cls: set(cls.INDEXED),
    "Private data (PII)": lambda cls: set(cls.PII),
}


def _names(text: str) -> set[str]:
    """The backticked names in a piece of text."""
    return set(re.findall(r"`(\w+)`", text))


def _cells(row: str) -> list[str]:
    """The cells of a table row (a `\\|` inside a cell is not a separator)."""
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]]


def _parts(pattern: str, text: str) -> tuple[str, ...]:
    """The groups of `pattern` matching all of `text`; fails the test when it does not match."""
    match = re.fullmatch(pattern, text)
    assert match is not None, f"not in the page's format: {text!r}"
    return match.groups()


def _label_section(label: str) -> str:
    """The text under the heading `#### <label>`, up to the next heading."""
    match = re.search(rf"^#### {label}\b(.*?)(?=^#)", TEXT + "\n#", re.MULTILINE | re.DOTALL)
    assert match is not None, f"docs/graph-model.md has no section '#### {label}'"
    return match.group(1)


def _rel_rows() -> dict[str, list[str]]:
    """The rows of the relationship table, by type."""
    rows = (_cells(line) for line in TEXT.splitlines() if re.match(r"^\| `[A-Z_]+` \|", line))
    return {cells[0].strip("`"): cells for cells in rows}


def _markers(cls: type[Node], name: str) -> str:
    """The markers a property row must carry, e.g. "indexed, PII"."""
    flags = {
        "key": name == cls.KEY,
        "unique": name in cls.UNIQUE,
        "indexed": name in cls.INDEXED,
        "PII": name in cls.PII,
    }
    return ", ".join(flag for flag, on in flags.items() if on)


def test_the_page_has_one_section_per_label_and_one_row_per_relationship_type() -> None:
    assert set(re.findall(r"^#### (\w+)", TEXT, re.MULTILINE)) == set(NODE_TYPES)
    assert set(_rel_rows()) == set(REL_TYPES)


@pytest.mark.parametrize("label", sorted(NODE_TYPES))
def test_the_fact_lines_of_a_label_list_exactly_the_model(label: str) -> None:
    section, cls = _label_section(label), NODE_TYPES[label]
    for heading, expected in FACT_LINES.items():
        line = re.search(rf"^- {re.escape(heading)}: (.*)$", section, re.MULTILINE)
        assert line is not None, f"section '#### {label}' has no line '- {heading}:'"
        assert _names(line.group(1)) == expected(cls), f"'#### {label}': '- {heading}:' is wrong"


@pytest.mark.parametrize("label", sorted(NODE_TYPES))
def test_the_property_table_of_a_label_matches_the_model(label: str) -> None:
    cls = NODE_TYPES[label]
    rows = {}
    for cells in map(_cells, re.findall(r"^\| `.*$", _label_section(label), re.MULTILINE)):
        name, markers = _parts(r"`(\w+)`(?: \*\((.*)\)\*)?", cells[0])
        rows[name] = (markers or "", cells[2] == "**required**")
    expected = {name: (_markers(cls, name), f.is_required()) for name, f in cls.model_fields.items()}
    assert rows == expected, f"the table of '#### {label}' differs: (markers, required) per property"


@pytest.mark.parametrize("type_name", sorted(REL_TYPES))
def test_the_relationship_row_matches_the_model(type_name: str) -> None:
    cls = REL_TYPES[type_name]
    _, pairs, properties, _ = _rel_rows()[type_name]
    allowed = {f"{start} -> {end}" for start, end in cls.ENDPOINTS}
    assert set(pairs.split("<br>")) == allowed, f"the row of {type_name} lists the wrong pairs"
    listed = {}
    for item in [] if properties == "-" else properties.split("<br>"):
        name, pii, rest = _parts(r"`(\w+)`( \*\(PII\)\*)?: (.*)", item)
        listed[name] = (bool(pii), rest.endswith(", required"))
    fields = {name: f for name, f in cls.model_fields.items() if name in cls.property_names()}
    expected = {name: (name in cls.PII, f.is_required()) for name, f in fields.items()}
    assert listed == expected, f"the row of {type_name} differs: (PII, required) per property"


def test_the_diagrams_draw_every_label_and_relationship_type() -> None:
    diagrams = "\n".join(re.findall(r"```mermaid\n(.*?)```", TEXT, re.DOTALL))
    for label in NODE_TYPES:
        assert re.search(rf"\b{label}\b", diagrams), f"no diagram draws {label}"
    for type_name, cls in REL_TYPES.items():
        for start, end in cls.ENDPOINTS:
            edge = f"{start} -->|{type_name}| {end}"
            assert edge in diagrams, f"no diagram draws {edge}"
