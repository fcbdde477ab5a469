"""What every seed generator shares: deterministic randomness, the clock, the county's areas.

Generators are deterministic: the same seed, county and `now` give the same data, keys included.
Each generator draws from its own stream (`ctx.rng("people")`), so adding draws to one generator does
not change what another produces.
"""

from __future__ import annotations

import csv
import hashlib
import random
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from importlib import resources

from ulid import ULID

from graph.model import AllianceBody, Area, Organisation, Resource
from graph.model.enums import AreaLevel, Department
from graph.model.identity import canonical_code, subtree_prefix

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_BASE32_PAIRS = [a + b for a in _CROCKFORD for b in _CROCKFORD]
_SHIFTS = range(70, -1, -10)


def load_areas(county: str) -> list[Area]:
    """The real areas of a county (统计用区划代码 2023) from the extracts shipped in seeds/data.

    `county` is a 6-digit county code (or its 12-digit form); the extract may be the county's own
    file or its prefecture's (areas-5111.csv holds the 11 counties of 乐山市).
    """
    code = canonical_code(county)[:6]
    data = resources.files("seeds").joinpath("data")
    for name in (f"areas-{code}.csv", f"areas-{code[:4]}.csv", f"areas-{code[:2]}.csv"):
        source = data.joinpath(name)
        if source.is_file():
            break
    else:
        shipped = sorted(p.name for p in data.iterdir() if p.name.startswith("areas-"))
        raise ValueError(
            f"no area extract for county {code} (shipped: {', '.join(shipped)}); "
            "make one with `python -m seeds.extract_areas CODE --out seeds/data/areas-CODE.csv`"
        )
    areas = []
    for row in csv.DictReader(source.read_text(encoding="utf-8").splitlines()):
        if not row["code"].startswith(code):
            continue
        level = AreaLevel(row["level"])
        areas.append(
            Area(
                code=row["code"],
                name=row["name"],
                level=level,
                parent_code=(row["parent_code"] or None) if level is not AreaLevel.COUNTY else None,
                lat=float(row["lat"]) if row.get("lat") else None,
                lon=float(row["lon"]) if row.get("lon") else None,
            )
        )
    if not any(a.level is AreaLevel.COUNTY for a in areas):
        raise ValueError(f"county {code} is not in {source.name}")
    return areas


@dataclass
class SeedContext:
    """Seed, clock and areas for one county's generators."""

    seed: int
    now: datetime
    areas: list[Area]
    _streams: dict[str, random.Random] = field(default_factory=dict, repr=False)
    _counters: dict[str, int] = field(default_factory=dict, repr=False)

    def rng(self, stream: str) -> random.Random:
        """The random stream of one generator (created on first use from the seed and name)."""
        if stream not in self._streams:
            digest = hashlib.sha256(f"{self.seed}:{stream}".encode()).digest()
            self._streams[stream] = random.Random(int.from_bytes(digest[:8], "big"))
        return self._streams[stream]

    def new_id(self, stream: str) -> str:
        """A ULID that is the same for the same seed, and increases within a stream.

        Time part: `now`; random part: a per-stream random start, then a counter. Keys made one
        after another sort one after another, as real time-ordered ULIDs do, so index inserts land
        at the end of the B-tree instead of at random pages (which made large loads slow).
        """
        if stream not in self._counters:
            self._counters[stream] = int.from_bytes(self.rng(stream).randbytes(10), "big") >> 16
        self._counters[stream] = counter = self._counters[stream] + 1
        # The ULID's text: its time part (fixed) and the 80-bit counter in Crockford base32, 10 bits
        # (two characters) at a time; what `str(ULID.from_bytes(...))` gives, about 4x faster.
        return self._id_prefix + "".join([_BASE32_PAIRS[(counter >> shift) & 0x3FF] for shift in _SHIFTS])

    @cached_property
    def _id_prefix(self) -> str:
        millis = int(self.now.timestamp() * 1000)
        return str(ULID.from_bytes(millis.to_bytes(6, "big") + bytes(10)))[:10]

    @cached_property
    def county(self) -> Area:
        return next(a for a in self.areas if a.level is AreaLevel.COUNTY)

    @cached_property
    def townships(self) -> list[Area]:
        return [a for a in self.areas if a.level is AreaLevel.TOWNSHIP]

    @cached_property
    def villages(self) -> list[Area]:
        return [a for a in self.areas if a.level is AreaLevel.VILLAGE]

    @cached_property
    def by_code(self) -> dict[str, Area]:
        return {a.code: a for a in self.areas}

    def township_of(self, village_code: str) -> Area:
        """The township a village lies in."""
        return self.by_code[village_code[:9] + "000"]


@dataclass
class World:
    """What the organisation and resource generators made, for the generators that come after."""

    bodies: dict[str, AllianceBody] = field(default_factory=dict)  # by the area code they cover
    departments: dict[Department, Organisation] = field(default_factory=dict)
    providers: list[Organisation] = field(default_factory=list)  # charities, social work, ...
    resources: list[Resource] = field(default_factory=list)

    def providers_serving(self, village_code: str) -> list[Organisation]:
        """Providers whose service area contains the village."""
        return [p for p in self.providers if serves(p.service_area_codes, village_code)]


def serves(service_area_codes: list[str], code: str) -> bool:
    """Whether `code` lies in one of the service areas' subtrees."""
    return any(code.startswith(subtree_prefix(area)) for area in service_area_codes)
