"""The county's resources: policy pool (政策池), service projects, jobs, training places, volunteer offers.

The policy pool is data (seeds/data/policy_pool.toml); the social resources are drawn from small tables
for the providers `seeds.organisations.build_organisations` made. Run after it: every resource is
PROVIDED_BY an organisation in `world` and AVAILABLE_IN each area of its service area.
"""

from __future__ import annotations

import random
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from graph.model import AvailableIn, Node, Organisation, ProvidedBy, Rel, Resource
from graph.model.enums import Department, LabourAbility, NeedType, OrganisationKind, ResourceKind
from seeds.context import SeedContext, World
from seeds.organisations import industry_of

STREAM = "policies"
POOL_FILE = "data/policy_pool.toml"

_N = NeedType
_CODE_PREFIX = {
    ResourceKind.SERVICE: "SVC",
    ResourceKind.JOB: "JOB",
    ResourceKind.TRAINING: "TRN",
    ResourceKind.VOLUNTEER: "VOL",
    ResourceKind.DONATION: "DON",
}
_FULL = (LabourAbility.FULL,)
_ABLE = (LabourAbility.FULL, LabourAbility.WEAK)


@dataclass(frozen=True)
class _Offer:
    """A template of a non-policy resource."""

    name: str
    need_types: tuple[NeedType, ...]
    description: str
    capacity: tuple[int, int]  # drawn between these bounds
    benefit: str | None = None
    benefit_amount_fen: int | None = None
    min_age: int | None = None
    max_age: int | None = None
    requires_disability: bool = False
    labour_abilities: tuple[LabourAbility, ...] = ()
    required_skills: tuple[str, ...] = ()


def _job(
    name: str, skill: str, wage_yuan: int, ages: tuple[int, int], abilities: tuple[LabourAbility, ...]
) -> _Offer:
    return _Offer(
        name=name,
        need_types=(_N.EMPLOYMENT,),
        description=f"招聘{name}，要求具备{skill}技能，签订劳动合同，缴纳社会保险。",
        capacity=(2, 12),
        benefit=f"月薪{wage_yuan:,}元起",
        benefit_amount_fen=wage_yuan * 100,
        min_age=ages[0],
        max_age=ages[1],
        labour_abilities=abilities,
        required_skills=(skill,),
    )


# Jobs by the industry of the enterprise (seeds.organisations.ENTERPRISES).
_JOBS: dict[str, tuple[_Offer, ...]] = {
    "electronics": (
        _job("电子装配工", "机械操作", 3800, (18, 50), _ABLE),
        _job("设备维修电工", "电工", 5200, (20, 50), _FULL),
    ),
    "construction": (
        _job("建筑工", "建筑", 5500, (20, 55), _FULL),
        _job("电焊工", "电焊", 6500, (20, 55), _FULL),
        _job("泥瓦工", "泥瓦工", 6000, (20, 58), _FULL),
        _job("水电安装工", "水电安装", 6000, (20, 55), _FULL),
    ),
    "garment": (_job("缝纫工", "缝纫", 3600, (18, 55), _ABLE),),
    "housekeeping": (
        _job("家政服务员", "家政", 3500, (25, 58), _ABLE),
        _job("养老护理员", "养老护理", 3800, (25, 55), _FULL),
        _job("育婴员", "育婴", 4500, (22, 50), _FULL),
    ),
    "logistics": (
        _job("货车司机", "驾驶", 6000, (22, 55), _FULL),
        _job("快递配送员", "快递配送", 4500, (18, 50), _FULL),
    ),
    "food": (
        _job("厨师", "厨师", 4500, (20, 55), _FULL),
        _job("电商运营专员", "电子商务", 4000, (18, 45), _ABLE),
    ),
    "property": (
        _job("保洁员", "保洁", 2600, (25, 60), _ABLE),
        _job("保安员", "保安", 3000, (20, 58), _FULL),
    ),
    "tea": (_job("茶园管护采摘工", "种植", 3000, (18, 65), _ABLE),),
    "orchard": (_job("果园管护工", "种植", 3200, (18, 60), _ABLE),),
    "livestock": (_job("饲养员", "养殖", 3800, (18, 60), _ABLE),),
}

_SOCIAL_WORK_PROJECTS = (
    _Offer("居家养老照护", (_N.CARE,), "为失能、独居老人上门助餐助洁和健康监测。", (10, 30), min_age=60),
    _Offer("心理疏导", (_N.PSYCHOLOGICAL,), "为遭遇重病、亡故、失业的家庭成员提供心理疏导。", (10, 25)),
    _Offer(
        "困境儿童关爱",
        (_N.CARE, _N.PSYCHOLOGICAL, _N.SOCIAL_INTEGRATION),
        "为孤儿、事实无人抚养儿童和留守困境儿童提供监护评估、学业陪伴和心理支持。",
        (10, 30),
        max_age=17,
    ),
    _Offer(
        "残障人士社区融合",
        (_N.SOCIAL_INTEGRATION, _N.CARE),
        "组织康复互助小组和社区活动，帮助残疾人融入社区、链接辅具和就业资源。",
        (8, 20),
        requires_disability=True,
    ),
    _Offer(
        "个案管理与一户一策",
        (_N.TEMPORARY, _N.SOCIAL_INTEGRATION),
        "社工入户评估家庭需求，协助制定和跟进一户一策帮扶方案，链接政策和社会资源。",
        (10, 40),
    ),
    _Offer(
        "独居老人社会支持网络",
        (_N.SOCIAL_INTEGRATION, _N.PSYCHOLOGICAL),
        "为独居、空巢老人建立邻里、亲属和志愿者组成的支持网络，定期探访。",
        (10, 30),
        min_age=60,
    ),
    _Offer("家庭教育指导", (_N.EDUCATION, _N.PSYCHOLOGICAL), "为困难家庭家长提供家庭教育指导。", (8, 20)),
)
# Charity projects by a word of the charity's name: a charity offers every project of the first word
# found in its name ("" is found in every name).
_CHARITY_PROJECTS = (
    (
        "助学",
        _Offer("爱心助学金", (_N.EDUCATION,), "资助困难家庭在读学生。", (20, 60), "每生每年2,000元", 200000),
    ),
    (
        "助学",
        _Offer("困境学生学习用品包", (_N.EDUCATION,), "开学季发放书包、文具和校服。", (30, 100), max_age=17),
    ),
    (
        "慈善总会",
        _Offer(
            "大病医疗救助金", (_N.MEDICAL,), "救助医保报销后自付仍高的患者。", (10, 30), "最高2万元", 2000000
        ),
    ),
    ("慈善总会", _Offer("临时生活物资", (_N.TEMPORARY, _N.BASIC_LIVING), "发放米、油和生活用品。", (30, 80))),
    (
        "慈善总会",
        _Offer("助残辅具", (_N.CARE,), "免费适配轮椅、助行器和助听器。", (10, 30), requires_disability=True),
    ),
    (
        "红十字会",
        _Offer(
            "博爱送万家", (_N.BASIC_LIVING, _N.TEMPORARY), "节日慰问困难家庭。", (30, 80), "每户500元", 50000
        ),
    ),
    (
        "红十字会",
        _Offer("应急救灾物资", (_N.DISASTER, _N.TEMPORARY), "发放家庭救灾箱、棉被和饮用水。", (20, 60)),
    ),
    (
        "乡贤",
        _Offer(
            "乡贤助学", (_N.EDUCATION,), "乡贤捐资资助本乡镇困难家庭学生。", (5, 20), "每生1,000元", 100000
        ),
    ),
    ("乡贤", _Offer("节日慰问", (_N.BASIC_LIVING, _N.TEMPORARY), "春节、中秋慰问困难老人和家庭。", (10, 40))),
    (
        "",
        _Offer(
            "临时救急金",
            (_N.TEMPORARY, _N.BASIC_LIVING),
            "补充政府临时救助的小额救急金。",
            (10, 30),
            "最高2,000元",
            200000,
        ),
    ),
)
_VOLUNTEER_SERVICES = (
    _Offer(
        "陪伴探访",
        (_N.PSYCHOLOGICAL, _N.SOCIAL_INTEGRATION),
        "定期上门陪伴独居老人、病人和困境儿童。",
        (5, 20),
    ),
    _Offer("代购代办", (_N.CARE, _N.TEMPORARY), "为行动不便者代购生活用品、代办证照和申请。", (5, 20)),
    _Offer("助浴助洁", (_N.CARE,), "为失能、半失能老人提供助浴、理发和居室清洁。", (5, 15)),
    _Offer("课业辅导", (_N.EDUCATION,), "为困难家庭中小学生辅导功课。", (5, 20), max_age=17),
    _Offer("农忙帮工", (_N.TEMPORARY,), "农忙时节为缺少劳动力的家庭帮收帮种。", (5, 15)),
    _Offer("义诊与健康宣教", (_N.MEDICAL,), "医务志愿者进村义诊，宣传医保和医疗救助政策。", (10, 40)),
)
_VILLAGE_MUTUAL_CARE = _Offer(
    "村级互助养老", (_N.CARE, _N.SOCIAL_INTEGRATION), "组织邻里结对照看高龄、独居老人。", (3, 8), min_age=60
)
# Training places of the human-resources department, one for every skill: (skill taught, course, days).
# The skills are words of the people generator's skill table (seeds/people_tables.py).
_TRAININGS = (
    ("种植", "果树栽培与果园管理", 7),
    ("养殖", "畜禽养殖技术", 7),
    ("电焊", "电焊工", 20),
    ("建筑", "建筑施工", 15),
    ("泥瓦工", "砌筑工", 15),
    ("电工", "低压电工", 15),
    ("水电安装", "水电安装工", 15),
    ("驾驶", "叉车与货车驾驶", 20),
    ("机械操作", "机械设备操作工", 10),
    ("厨师", "中式烹调师", 20),
    ("家政", "家政服务员", 10),
    ("保洁", "保洁员", 5),
    ("缝纫", "缝纫工", 10),
    ("育婴", "育婴员", 10),
    ("养老护理", "养老护理员", 15),
    ("快递配送", "快递配送员", 5),
    ("保安", "保安员", 5),
    ("电子商务", "农村电商", 10),
)
# Skills jobs require and training places teach.
SKILLS = tuple(skill for skill, _course, _days in _TRAININGS)


def policy_pool() -> list[dict[str, Any]]:
    """The rows of the policy pool as shipped (seeds/data/policy_pool.toml)."""
    text = resources.files("seeds").joinpath(POOL_FILE).read_text(encoding="utf-8")
    rows: list[dict[str, Any]] = tomllib.loads(text)["policy"]
    fixed = {"id", "kind", "provider_id", "service_area_codes", "capacity", "created_at"}
    for row in rows:
        unknown = set(row) - (set(Resource.model_fields) - fixed)
        if unknown:
            raise ValueError(f"policy {row.get('code')}: unknown keys {sorted(unknown)}")
    return rows


def build_resources(ctx: SeedContext, world: World) -> list[Node | Rel]:
    """The policy pool and the social resources of the county; appends every resource to `world.resources`."""
    rng = ctx.rng(STREAM)
    county = ctx.county
    out: list[Node | Rel] = []

    def add(resource: Resource, provider: Organisation) -> None:
        world.resources.append(resource)
        out.append(resource)
        out.append(ProvidedBy(start=resource.ref, end=provider.ref))
        out.extend(
            AvailableIn(start=resource.ref, end=ctx.by_code[c].ref) for c in resource.service_area_codes
        )

    for row in policy_pool():
        department = world.departments[Department(row["department"])]
        fields = {
            **row,
            # Codes are unique across the store, which may hold every county of a province.
            "code": f"{county.code[:6]}-{row['code']}",
            "id": ctx.new_id(STREAM),
            "kind": ResourceKind.POLICY,
            "provider_id": department.id,
            "service_area_codes": [county.code],
            "capacity": None,
            "created_at": ctx.now,
        }
        add(Resource.model_validate(fields), department)

    counters: dict[ResourceKind, int] = {}

    def offer(provider: Organisation, template: _Offer, kind: ResourceKind, *, at: str | None = None) -> None:
        counters[kind] = counters.get(kind, 0) + 1
        place = ctx.by_code[at or provider.home_area_code]
        # Jobs are spread around their township so that distances differ; the rest sit at their area's point.
        lat, lon = _near(rng, place.lat, place.lon, 0.01 if kind is ResourceKind.JOB else 0.0)
        fields = {
            "id": ctx.new_id(STREAM),
            "code": f"{county.code[:6]}-{_CODE_PREFIX[kind]}-{counters[kind]:04d}",
            "kind": kind,
            "name": template.name,
            "description": template.description,
            "department": provider.department,
            "provider_id": provider.id,
            "need_types": list(template.need_types),
            "benefit": template.benefit,
            "benefit_amount_fen": template.benefit_amount_fen,
            "min_age": template.min_age,
            "max_age": template.max_age,
            "requires_disability": template.requires_disability,
            "labour_abilities": list(template.labour_abilities),
            "required_skills": list(template.required_skills),
            "service_area_codes": list(provider.service_area_codes),
            "capacity": rng.randint(*template.capacity),
            "lat": lat,
            "lon": lon,
            "created_at": ctx.now,
        }
        add(Resource.model_validate(fields), provider)

    for provider in world.providers:
        for kind, template in _offers_of(provider, rng, county.code):
            offer(provider, template, kind)

    human_resources = world.departments[Department.HUMAN_RESOURCES]
    for skill, course, days in _TRAININGS:
        host = rng.choice(ctx.townships)
        template = _Offer(
            name=f"{course}技能培训班（{host.name}）",
            need_types=(_N.EMPLOYMENT,),
            description=f"补贴性职业技能培训：{skill}技能，{days}天，结业考核合格发放职业技能等级证书。",
            capacity=(20, 40),
            benefit="免费培训，培训期间每人每天生活费补贴50元",
            min_age=16,
            max_age=60,
            labour_abilities=_ABLE,
        )
        offer(human_resources, template, ResourceKind.TRAINING, at=host.code)
    return out


def _offers_of(
    provider: Organisation, rng: random.Random, county_code: str
) -> Iterable[tuple[ResourceKind, _Offer]]:
    """What a provider offers, by its kind; county-wide teams offer one more than township ones."""
    extra = 1 if provider.service_area_codes == [county_code] else 0
    if provider.kind is OrganisationKind.CHARITY:
        word = next(w for w, _project in _CHARITY_PROJECTS if w in provider.name)
        return [(ResourceKind.SERVICE, p) for w, p in _CHARITY_PROJECTS if w == word]
    if provider.kind is OrganisationKind.SOCIAL_WORK:
        return [(ResourceKind.SERVICE, p) for p in rng.sample(_SOCIAL_WORK_PROJECTS, k=3 + extra)]
    if provider.kind is OrganisationKind.ENTERPRISE:
        return [(ResourceKind.JOB, j) for j in _JOBS.get(industry_of(provider) or "", ())]
    if provider.kind is OrganisationKind.VOLUNTEER_TEAM:
        return [(ResourceKind.VOLUNTEER, v) for v in rng.sample(_VOLUNTEER_SERVICES, k=2 + extra)]
    if provider.kind is OrganisationKind.COMMUNITY:
        return [(ResourceKind.SERVICE, _VILLAGE_MUTUAL_CARE)]
    return []


def _near(
    rng: random.Random, lat: float | None, lon: float | None, spread: float
) -> tuple[float | None, float | None]:
    """A point within `spread` degrees of (lat, lon), rounded to 5 decimals; None when unknown."""
    if lat is None or lon is None:
        return None, None
    return round(lat + rng.uniform(-spread, spread), 5), round(lon + rng.uniform(-spread, spread), 5)
