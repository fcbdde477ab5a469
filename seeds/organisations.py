"""The county's three-level alliance (三级助联体), its member departments and the social-resource providers.

`build_alliance` runs first: `build_organisations` makes every organisation a member of the alliance
body covering each area it serves (the county body for county-wide ones, a township body for township
ones, a village body for a village committee).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from stdnum.cn import uscc

from graph.model import AllianceBody, Covers, MemberOfAlliance, Node, Organisation, Rel, ReportsTo, Serves
from graph.model.areas import Area
from graph.model.enums import AllianceLevel, Department, OrganisationKind
from seeds.context import SeedContext, World

STREAM = "organisations"

_DEPARTMENT_NAMES: dict[Department, str] = {
    Department.CIVIL_AFFAIRS: "{county}民政局",
    Department.EDUCATION: "{county}教育局",
    Department.HUMAN_RESOURCES: "{county}人力资源和社会保障局",
    Department.HOUSING: "{county}住房和城乡建设局",
    Department.AGRICULTURE: "{county}农业农村局（乡村振兴局）",
    Department.HEALTH: "{county}卫生健康委员会",
    Department.EMERGENCY: "{county}应急管理局",
    Department.MEDICAL_INSURANCE: "{county}医疗保障局",
    Department.DISABILITY: "{county}残疾人联合会",
    Department.TRADE_UNION: "{county}总工会",
    Department.WOMEN: "{county}妇女联合会",
    Department.YOUTH: "共青团{county}委员会",
    Department.FINANCE: "{county}财政局",
    Department.JUSTICE: "{county}司法局",
    Department.VETERANS: "{county}退役军人事务局",
    Department.WATER: "{county}水利局",
    Department.NATURAL_RESOURCES: "{county}自然资源局",
}
# People's organisations (群团) carry category 3 of the staffing authority in their credit code.
_PEOPLES_ORGANISATIONS = frozenset(
    {Department.DISABILITY, Department.TRADE_UNION, Department.WOMEN, Department.YOUTH}
)

# County-wide charities: (name, first two characters of the credit code, capacity).
# 51 social group (社会团体), 53 foundation (基金会), 13 people's organisation (红十字会).
_COUNTY_CHARITIES = (
    ("{county}慈善总会", "51", 40),
    ("{county}爱心助学基金会", "53", 25),
    ("{county}红十字会", "13", 20),
    ("{county}仁爱济困协会", "51", 15),
)
_SOCIAL_WORK_WORDS = (
    "同心",
    "启航",
    "暖阳",
    "春晖",
    "益心",
    "和美",
    "乐善",
    "馨和",
    "善行",
    "博爱",
    "向日葵",
    "守望",
)
# Enterprises: (name, industry, recruits county-wide, prefers an industrial park).
# The industry keys the job table of seeds/policies.py.
ENTERPRISES = (
    ("{county}鑫源电子科技有限公司", "electronics", True, True),
    ("{county}宏达建筑工程有限公司", "construction", True, False),
    ("{county}锦绣服装有限公司", "garment", False, True),
    ("{county}安居家政服务有限公司", "housekeeping", True, False),
    ("{county}通达物流有限公司", "logistics", True, True),
    ("{county}客家风味食品有限公司", "food", False, False),
    ("{county}洁美物业管理有限公司", "property", False, False),
    ("{county}绿野生态茶业有限公司", "tea", False, False),
    ("{county}丰收果业专业合作社", "orchard", False, False),
    ("{county}绿源生态养殖有限公司", "livestock", False, False),
)
# Office lines by prefecture (the first four digits of the county code); other counties get mobiles.
_PHONE_AREA_CODES = {"3607": "0797", "5111": "0833"}
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗钟赖廖曾谢叶蔡邱"
_GIVEN = "华明国建平军芳秀英玉兰红梅丽强伟刚勇文辉春霞燕桂珍志荣海"
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


@dataclass(frozen=True)
class _ProviderSpec:
    kind: OrganisationKind
    name: str
    home: Area
    serves: tuple[Area, ...]
    capacity: int
    credit_prefix: str | None  # None: an unregistered team, no credit code
    new_style: bool = True  # registered after 2015: organisation code "MA..."


def build_alliance(ctx: SeedContext, world: World) -> list[Node | Rel]:
    """An alliance body for the county and each township and village, covering it, reporting one up."""
    out: list[Node | Rel] = []
    county = _body(ctx, ctx.county, AllianceLevel.COUNTY, ctx.county.name)
    world.bodies[ctx.county.code] = county
    out += [county, Covers(start=county.ref, end=ctx.county.ref)]
    for township in ctx.townships:
        body = _body(ctx, township, AllianceLevel.TOWNSHIP, township.name)
        world.bodies[township.code] = body
        out += [body, Covers(start=body.ref, end=township.ref), ReportsTo(start=body.ref, end=county.ref)]
    for village in ctx.villages:
        township = ctx.township_of(village.code)
        body = _body(ctx, village, AllianceLevel.VILLAGE, township.name + _village_short_name(village.name))
        world.bodies[village.code] = body
        parent = world.bodies[township.code]
        out += [body, Covers(start=body.ref, end=village.ref), ReportsTo(start=body.ref, end=parent.ref)]
    return out


def build_organisations(ctx: SeedContext, world: World) -> list[Node | Rel]:
    """The county's departments and the providers of social resources.

    Providers are charities, social-work organisations, enterprises, volunteer teams and village
    committees, serving the county or one or a few townships or a village. Needs `world.bodies` from
    `build_alliance`; fills `world.departments` and `world.providers`.
    """
    rng = ctx.rng(STREAM)
    codes = _CreditCodes(rng, ctx.county.code[:6])
    out: list[Node | Rel] = []
    county = ctx.county
    for department in Department:
        org = Organisation(
            id=ctx.new_id(STREAM),
            kind=OrganisationKind.DEPARTMENT,
            department=department,
            name=_DEPARTMENT_NAMES[department].format(county=county.name),
            credit_code=codes.draw("13" if department in _PEOPLES_ORGANISATIONS else "11", new_style=False),
            home_area_code=county.code,
            service_area_codes=[county.code],
            contact_name=_person_name(rng),
            contact_phone=_office_phone(rng, county.code),
            created_at=ctx.now,
        )
        world.departments[department] = org
        role = "牵头单位" if department is Department.CIVIL_AFFAIRS else "成员单位"
        out += [
            org,
            Serves(start=org.ref, end=county.ref),
            MemberOfAlliance(start=org.ref, end=world.bodies[county.code].ref, role=role),
        ]
    for spec in _provider_specs(ctx, rng):
        org = Organisation(
            id=ctx.new_id(STREAM),
            kind=spec.kind,
            name=spec.name,
            credit_code=None
            if spec.credit_prefix is None
            else codes.draw(spec.credit_prefix, spec.new_style),
            home_area_code=spec.home.code,
            service_area_codes=[a.code for a in spec.serves],
            capacity=spec.capacity,
            contact_name=_person_name(rng),
            contact_phone=_office_phone(rng, county.code),
            created_at=ctx.now,
        )
        world.providers.append(org)
        out.append(org)
        for area in spec.serves:
            out.append(Serves(start=org.ref, end=area.ref))
            body = world.bodies[area.code]
            out.append(MemberOfAlliance(start=org.ref, end=body.ref, role=spec.kind.zh))
    return out


def _provider_specs(ctx: SeedContext, rng: random.Random) -> list[_ProviderSpec]:
    """Every non-department organisation, in a fixed order."""
    county, townships = ctx.county, ctx.townships
    fmt = {"county": county.name}
    specs = [
        _ProviderSpec(OrganisationKind.CHARITY, name.format(**fmt), county, (county,), cap, prefix, False)
        for name, prefix, cap in _COUNTY_CHARITIES
    ]
    # A few townships have a home-town charity of their own (乡贤爱心协会): township-wide service.
    rural = [t for t in townships if t.name.endswith(("镇", "乡", "街道"))] or townships
    for township in sorted(rng.sample(rural, k=max(1, len(rural) // 4)), key=lambda a: a.code):
        specs.append(
            _ProviderSpec(
                OrganisationKind.CHARITY, f"{township.name}乡贤爱心协会", township, (township,), 8, "51"
            )
        )
    # Social work: one county-wide centre, then one centre for every group of about three townships.
    words = rng.sample(_SOCIAL_WORK_WORDS, k=len(_SOCIAL_WORK_WORDS))
    specs.append(
        _ProviderSpec(
            OrganisationKind.SOCIAL_WORK, f"{county.name}阳光社会工作服务中心", county, (county,), 25, "52"
        )
    )
    for index, group in enumerate(_groups_of_about(townships, 3)):
        name = f"{county.name}{words[index % len(words)]}社会工作服务中心"
        capacity = rng.randint(10, 20)
        specs.append(
            _ProviderSpec(OrganisationKind.SOCIAL_WORK, name, group[0], tuple(group), capacity, "52")
        )
    parks = [t for t in townships if "开发区" in t.name or "工业园" in t.name]
    for name, _industry, county_wide, in_park in ENTERPRISES:
        home = rng.choice(parks if in_park and parks else townships)
        prefix = "93" if name.endswith("合作社") else "91"  # farmers' cooperative or enterprise
        serves = (county,) if county_wide else (home,)
        capacity = rng.randint(2, 5)
        specs.append(
            _ProviderSpec(OrganisationKind.ENTERPRISE, name.format(**fmt), home, serves, capacity, prefix)
        )
    specs.append(
        _ProviderSpec(
            OrganisationKind.VOLUNTEER_TEAM,
            f"{county.name}新时代文明实践志愿服务总队",
            county,
            (county,),
            20,
            None,
        )
    )
    for township in townships:
        capacity = rng.randint(6, 12)
        specs.append(
            _ProviderSpec(
                OrganisationKind.VOLUNTEER_TEAM,
                f"{township.name}志愿服务队",
                township,
                (township,),
                capacity,
                None,
            )
        )
    # Village and residents' committees (村(居)委会) for about a third of the villages.
    villages = sorted(rng.sample(ctx.villages, k=max(1, len(ctx.villages) // 3)), key=lambda a: a.code)
    for village in villages:
        name = ctx.township_of(village.code).name + village.name
        # 59: civil affairs, "other" category (GB 32100 lists 1, 2, 3 and 9 under civil affairs).
        specs.append(
            _ProviderSpec(
                OrganisationKind.COMMUNITY, name, village, (village,), rng.randint(3, 6), "59", False
            )
        )
    return specs


def industry_of(organisation: Organisation) -> str | None:
    """The industry of an enterprise made here (a key of the job table), from its name."""
    for template, industry, _county_wide, _in_park in ENTERPRISES:
        if organisation.name.endswith(template.removeprefix("{county}")):
            return industry
    return None


def _body(ctx: SeedContext, area: Area, level: AllianceLevel, place: str) -> AllianceBody:
    return AllianceBody(
        id=ctx.new_id(STREAM), level=level, area_code=area.code, name=f"{place}助联体", created_at=ctx.now
    )


def _village_short_name(name: str) -> str:
    """`红杨村委会` -> `红杨村`, `金都居委会` -> `金都社区`, `中山社区居委会` -> `中山社区`."""
    for suffix, replacement in (
        ("社区居民委员会", "社区"),
        ("社区居委会", "社区"),
        ("居民委员会", "社区"),
        ("居委会", "社区"),
        ("村民委员会", "村"),
        ("村委会", "村"),
    ):
        if name.endswith(suffix):
            return name[: -len(suffix)] + replacement
    return name


def _groups_of_about(areas: Sequence[Area], size: int) -> list[list[Area]]:
    """Consecutive groups of `size` areas; a short remainder joins the last group."""
    groups = [list(areas[i : i + size]) for i in range(0, len(areas), size)]
    if len(groups) > 1 and len(groups[-1]) < size:
        groups[-2].extend(groups.pop())
    return groups


def _person_name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choices(_GIVEN, k=rng.randint(1, 2)))


def _office_phone(rng: random.Random, county_code: str) -> str:
    area_code = _PHONE_AREA_CODES.get(county_code[:4])
    if area_code is None:
        return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
    return f"{area_code}-{rng.randrange(3_000_000, 8_000_000)}"


class _CreditCodes:
    """Unique unified social credit codes (统一社会信用代码, GB 32100) registered in one county.

    The organisation code inside (GB 11714) and the final character both carry correct check digits.
    """

    def __init__(self, rng: random.Random, region: str) -> None:
        self._rng = rng
        self._region = region
        self._issued: set[str] = set()

    def draw(self, prefix: str, new_style: bool = True) -> str:
        """A new code; `prefix` is the registering authority and category (e.g. 91 enterprise)."""
        while True:
            if new_style:
                body = "MA" + "".join(self._rng.choices(_USCC_CHARS, k=6))
            else:
                body = f"{self._rng.randrange(10**8):08d}"
            first17 = prefix + self._region + body + _organisation_check(body)
            code = first17 + str(uscc.calc_check_digit(first17))
            if code not in self._issued:
                self._issued.add(code)
                return code


def _organisation_check(body: str) -> str:
    """The check character of an 8-character organisation code body (GB 11714)."""
    values = (int(c) if c.isdigit() else ord(c) - ord("A") + 10 for c in body)
    check = 11 - sum(v * w for v, w in zip(values, _ORG_CODE_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(check, str(check))
