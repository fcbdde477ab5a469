"""A small deterministic demo data set: the real areas of one county, its alliance, some households.

This is the foundation's demo; it loads through the store interface only (no SQL or Cypher).
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from importlib import resources

from stdnum.cn import ric
from ulid import ULID

from graph.model import (
    AllianceBody,
    Area,
    Covers,
    Household,
    LivesIn,
    MemberOf,
    Node,
    NodeRef,
    Organisation,
    PartOf,
    Person,
    Rel,
    ReportsTo,
    Serves,
)
from graph.model.enums import (
    AllianceLevel,
    AreaLevel,
    Department,
    HealthStatus,
    LabourAbility,
    OrganisationKind,
    RelationToHead,
    Sex,
    TargetGroup,
)
from seeds.regions import birth_region

DEMO_COUNTY = "360783"
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗钟赖廖曾谢"
_GIVEN = "华明国建平军芳秀英玉兰红梅丽强伟刚勇文辉春霞燕桂珍"
_CATEGORY_SHARES = [
    (TargetGroup.DIBAO, 45),
    (TargetGroup.TEKUN, 8),
    (TargetGroup.DIBAO_EDGE, 15),
    (TargetGroup.RIGID_EXPENDITURE, 8),
    (TargetGroup.UNSTABLE_LIFTED, 10),
    (TargetGroup.EDGE_AT_RISK, 9),
    (TargetGroup.SUDDEN_HARDSHIP, 5),
]


def seeded_id(rng: random.Random) -> str:
    """A ULID drawn from `rng`, so that the same seed gives the same keys."""
    return str(ULID.from_bytes(int(EPOCH.timestamp() * 1000).to_bytes(6, "big") + rng.randbytes(10)))


def load_areas(county: str = DEMO_COUNTY) -> list[Area]:
    """The shipped extract of a county's real areas (统计用区划代码 2023)."""
    text = resources.files("seeds").joinpath(f"data/areas-{county}.csv").read_text(encoding="utf-8")
    return [
        Area(
            code=row["code"],
            name=row["name"],
            level=AreaLevel(row["level"]),
            parent_code=row["parent_code"] or None,
            lat=float(row["lat"]) if row.get("lat") else None,
            lon=float(row["lon"]) if row.get("lon") else None,
        )
        for row in csv.DictReader(text.splitlines())
    ]


def id_number(rng: random.Random, county: str, birth: date, sex: Sex) -> str:
    """A valid 18-digit ID number for someone born in `county` on `birth`."""
    region = birth_region(county, birth.year)
    serial = rng.randrange(0, 50) * 2 + (1 if sex is Sex.MALE else 0)
    body = f"{region}{birth:%Y%m%d}{rng.randrange(0, 10)}{serial:02d}"
    return body + ric.calc_check_digit(body + "0")


def _person(
    rng: random.Random, household_id: str, relation: RelationToHead, age: int, sex: Sex, county: str
) -> Person:
    birth = date(2026 - age, rng.randint(1, 12), rng.randint(1, 28))
    ill = rng.random()
    health = (
        HealthStatus.SERIOUS if ill < 0.08 else HealthStatus.CHRONIC if ill < 0.3 else HealthStatus.HEALTHY
    )
    if age >= 65 or health is HealthStatus.SERIOUS:
        labour = LabourAbility.NONE
    elif age < 16:
        labour = None
    else:
        labour = rng.choice([LabourAbility.FULL, LabourAbility.FULL, LabourAbility.WEAK])
    return Person(
        id=seeded_id(rng),
        household_id=household_id,
        name=rng.choice(_SURNAMES) + "".join(rng.choices(_GIVEN, k=rng.randint(1, 2))),
        id_number=id_number(rng, county, birth, sex),
        sex=sex,
        birth_date=birth,
        relation_to_head=relation,
        phone=f"1{rng.choice('3578')}{rng.randrange(10**9):09d}" if relation is RelationToHead.HEAD else None,
        health=health,
        labour_ability=labour,
        created_at=EPOCH,
        updated_at=EPOCH,
    )


def generate(households: int = 300, seed: int = 1, county: str = DEMO_COUNTY) -> Iterator[Node | Rel]:
    """Areas, the three-level alliance, county departments and `households` households."""
    rng = random.Random(seed)
    areas = load_areas(county)
    yield from areas
    for area in areas:
        if area.parent_code:
            yield PartOf(start=area.ref, end=NodeRef(Area.LABEL, area.parent_code))
    bodies: dict[str, AllianceBody] = {}
    level_of = {
        AreaLevel.COUNTY: AllianceLevel.COUNTY,
        AreaLevel.TOWNSHIP: AllianceLevel.TOWNSHIP,
        AreaLevel.VILLAGE: AllianceLevel.VILLAGE,
    }
    for area in areas:
        body = AllianceBody(
            id=seeded_id(rng),
            level=level_of[area.level],
            area_code=area.code,
            name=f"{area.name}{level_of[area.level].zh}",
            created_at=EPOCH,
        )
        bodies[area.code] = body
        yield body
        yield Covers(start=body.ref, end=area.ref)
        if area.parent_code in bodies:
            yield ReportsTo(start=body.ref, end=bodies[area.parent_code].ref)
    county_code = county.ljust(12, "0")
    for department in Department:
        org = Organisation(
            id=seeded_id(rng),
            kind=OrganisationKind.DEPARTMENT,
            department=department,
            name=f"龙南市{department.zh}",
            home_area_code=county_code,
            service_area_codes=[county_code],
            created_at=EPOCH,
        )
        yield org
        yield Serves(start=org.ref, end=NodeRef(Area.LABEL, county_code))
    villages = [a for a in areas if a.level is AreaLevel.VILLAGE]
    groups, weights = zip(*_CATEGORY_SHARES, strict=True)
    for _ in range(households):
        village = rng.choice(villages)
        household_id = seeded_id(rng)
        head_age = rng.randint(25, 85)
        head_sex = rng.choice(list(Sex))
        members = [_person(rng, household_id, RelationToHead.HEAD, head_age, head_sex, county)]
        if head_age < 80 and rng.random() < 0.6:
            other = Sex.FEMALE if head_sex is Sex.MALE else Sex.MALE
            members.append(
                _person(
                    rng,
                    household_id,
                    RelationToHead.SPOUSE,
                    max(20, head_age + rng.randint(-5, 5)),
                    other,
                    county,
                )
            )
        for _child in range(rng.choice([0, 0, 1, 1, 2, 3]) if head_age < 60 else 0):
            members.append(
                _person(
                    rng,
                    household_id,
                    RelationToHead.CHILD,
                    max(0, head_age - rng.randint(20, 35)),
                    rng.choice(list(Sex)),
                    county,
                )
            )
        household = Household(
            id=household_id,
            village_code=village.code,
            address=f"{village.name}{rng.randint(1, 200)}号",
            head_person_id=members[0].id,
            member_count=len(members),
            categories=[rng.choices(groups, weights)[0]],
            housing_safe=rng.random() > 0.05,
            drinking_water_safe=rng.random() > 0.03,
            income_wage_fen=rng.randrange(0, 3_000_000, 100),
            income_transfer_fen=rng.randrange(0, 600_000, 100),
            expense_medical_fen=rng.randrange(0, 2_000_000, 100) if rng.random() < 0.3 else 0,
            created_at=EPOCH - timedelta(days=rng.randrange(0, 700)),
            updated_at=EPOCH,
        )
        yield household
        yield LivesIn(start=household.ref, end=village.ref)
        for person in members:
            yield person
            yield MemberOf(start=person.ref, end=household.ref, relation_to_head=person.relation_to_head)
