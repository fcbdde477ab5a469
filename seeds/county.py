"""One real county as a stream of nodes and relationships, in load order and bounded memory.

Areas, the three-level alliance, organisations and resources come first (a few thousand items);
then households stream one at a time, each followed by its cases, so memory does not grow with the
number of households.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from graph.model import Area, Node, NodeRef, PartOf, Rel
from seeds.cases import CaseGenerator
from seeds.context import SeedContext, World, load_areas
from seeds.organisations import build_alliance, build_organisations
from seeds.people import PeopleGenerator
from seeds.policies import build_resources


@dataclass
class SeedReport:
    """What a generation run made, counted as it streams."""

    nodes: Counter[str] = field(default_factory=Counter)
    rels: Counter[str] = field(default_factory=Counter)
    households: int = 0

    def count(self, item: Node | Rel) -> None:
        if isinstance(item, Node):
            self.nodes[item.LABEL] += 1
        else:
            self.rels[item.TYPE] += 1


def area_items(areas: list[Area]) -> Iterator[Node | Rel]:
    """The areas and their PART_OF ties (parents come before children in the extracts)."""
    yield from areas
    known = {a.code for a in areas}
    for area in areas:
        if area.parent_code in known:
            yield PartOf(start=area.ref, end=NodeRef(Area.LABEL, area.parent_code))


def generate_county(
    county: str, households: int, *, seed: int, now: datetime, report: SeedReport | None = None
) -> Iterator[Node | Rel]:
    """Everything of one county with `households` generated households, deterministically."""
    ctx = SeedContext(seed=seed, now=now, areas=load_areas(county))
    world = World()
    report = report if report is not None else SeedReport()

    def counted(items: Iterator[Node | Rel] | list[Node | Rel]) -> Iterator[Node | Rel]:
        for item in items:
            report.count(item)
            yield item

    yield from counted(area_items(ctx.areas))
    yield from counted(build_alliance(ctx, world))
    yield from counted(build_organisations(ctx, world))
    yield from counted(build_resources(ctx, world))
    cases = CaseGenerator(ctx, world)
    for bundle in PeopleGenerator(ctx).households(households):
        yield from counted(bundle.items)
        yield from counted(cases.for_household(bundle.household, bundle.members))
        report.households += 1
