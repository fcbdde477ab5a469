"""The alliance, organisation and resource generators (seeds/organisations.py, seeds/policies.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from stdnum.cn import uscc

from graph.model import (
    AllianceBody,
    MemberOfAlliance,
    Node,
    NodeRef,
    Organisation,
    Rel,
    ReportsTo,
    Resource,
    parent_code,
)
from graph.model.enums import (
    MONITORING_GROUPS,
    AllianceLevel,
    AssistanceKind,
    Department,
    OrganisationKind,
    ResourceKind,
    TargetGroup,
)
from seeds.context import SeedContext, World, load_areas
from seeds.organisations import build_alliance, build_organisations
from seeds.policies import SKILLS, build_resources

NOW = datetime(2026, 11, 1, tzinfo=UTC)
COUNTY = "360783000000"


@dataclass
class Built:
    ctx: SeedContext
    world: World
    alliance: list[Node | Rel]
    organisations: list[Node | Rel]
    resources: list[Node | Rel]

    @property
    def all(self) -> list[Node | Rel]:
        return self.alliance + self.organisations + self.resources

    def policies(self) -> list[Resource]:
        return [r for r in self.world.resources if r.kind is ResourceKind.POLICY]


def build(seed: int = 1) -> Built:
    ctx = SeedContext(seed=seed, now=NOW, areas=load_areas("360783"))
    world = World()
    alliance = build_alliance(ctx, world)
    organisations = build_organisations(ctx, world)
    resources = build_resources(ctx, world)
    return Built(ctx, world, alliance, organisations, resources)


@pytest.fixture(scope="module")
def built() -> Built:
    return build()


def dumped(items: list[Node | Rel]) -> list[tuple[str, dict[str, object]]]:
    return [(type(item).__name__, item.model_dump(mode="json")) for item in items]


def short(code: str) -> str:
    """A resource code without its county prefix (360783-MA-TEKUN -> MA-TEKUN)."""
    county, _, rest = code.partition("-")
    assert county == COUNTY[:6]
    return rest


def test_same_seed_and_clock_give_identical_output(built: Built) -> None:
    again = build()
    assert dumped(again.all) == dumped(built.all)
    other = build(seed=2)
    assert [b.id for b in other.world.bodies.values()] != [b.id for b in built.world.bodies.values()]


def test_one_alliance_body_per_county_township_and_village(built: Built) -> None:
    bodies = [item for item in built.alliance if isinstance(item, AllianceBody)]
    assert Counter(b.level for b in bodies) == {
        AllianceLevel.COUNTY: 1,
        AllianceLevel.TOWNSHIP: 16,
        AllianceLevel.VILLAGE: 108,
    }
    assert built.world.bodies == {b.area_code: b for b in bodies}
    assert built.world.bodies[COUNTY].name == "龙南市助联体"
    assert built.world.bodies["360783100201"].name == "龙南镇红杨村助联体"


def test_every_reports_to_goes_one_level_up(built: Built) -> None:
    by_ref = {b.ref: b for b in built.world.bodies.values()}
    up = {AllianceLevel.VILLAGE: AllianceLevel.TOWNSHIP, AllianceLevel.TOWNSHIP: AllianceLevel.COUNTY}
    reports = [item for item in built.alliance if isinstance(item, ReportsTo)]
    assert len(reports) == 16 + 108
    for rel in reports:
        child, parent = by_ref[rel.start], by_ref[rel.end]
        assert parent.level is up[child.level]
        assert parent.area_code == parent_code(child.area_code)


def test_seventeen_departments_serve_the_county(built: Built) -> None:
    departments = built.world.departments
    assert set(departments) == set(Department)
    assert len(departments) == 17
    for department, org in departments.items():
        assert org.kind is OrganisationKind.DEPARTMENT
        assert org.department is department
        assert org.home_area_code == COUNTY
        assert org.service_area_codes == [COUNTY]
    assert departments[Department.CIVIL_AFFAIRS].name == "龙南市民政局"


def test_providers_of_every_kind_with_varied_service_areas(built: Built) -> None:
    providers = built.world.providers
    assert {p.kind for p in providers} == set(OrganisationKind) - {OrganisationKind.DEPARTMENT}
    assert all(p.department is None and p.capacity and p.contact_name for p in providers)
    levels = {len(code.rstrip("0")) > 6 for p in providers for code in p.service_area_codes}
    assert levels == {False, True}  # county-wide and local service areas
    teams = [p for p in providers if p.kind is OrganisationKind.VOLUNTEER_TEAM]
    assert {p.home_area_code for p in teams} >= {t.code for t in built.ctx.townships}
    names = {p.name for p in providers}
    assert {"龙南市慈善总会", "龙南市爱心助学基金会", "龙南镇志愿服务队"} <= names


def test_credit_codes_are_valid_and_unique(built: Built) -> None:
    orgs = [*built.world.departments.values(), *built.world.providers]
    codes = [o.credit_code for o in orgs if o.credit_code is not None]
    assert len(codes) == len(set(codes))
    assert all(uscc.is_valid(c) and c[2:8] == "360783" for c in codes)
    # Only volunteer teams (not legal persons) go without one.
    assert {o.kind for o in orgs if o.credit_code is None} == {OrganisationKind.VOLUNTEER_TEAM}


def test_members_of_the_body_covering_each_served_area(built: Built) -> None:
    memberships = {(rel.start, rel.end) for rel in built.organisations if isinstance(rel, MemberOfAlliance)}
    for org in [*built.world.departments.values(), *built.world.providers]:
        for code in org.service_area_codes:
            assert (org.ref, built.world.bodies[code].ref) in memberships


def test_policy_pool_covers_the_five_kinds_of_assistance(built: Built) -> None:
    policies = built.policies()
    assert len(policies) >= 34
    assert {p.assistance_kind for p in policies} == set(AssistanceKind)
    for policy in policies:
        owner = built.world.departments[policy.department] if policy.department else None
        assert owner is not None and policy.provider_id == owner.id
        assert policy.capacity is None and policy.service_area_codes == [COUNTY]
    codes = {short(p.code) for p in policies}
    assert {"DIBAO-URBAN", "DIBAO-RURAL", "YULU-PLAN", "TEMP-ASSIST", "DISABILITY-CARE"} <= codes
    by_code = {short(p.code): p for p in policies}
    assert by_code["DIBAO-URBAN"].benefit_amount_fen == 71_400
    assert by_code["DIBAO-RURAL"].benefit_amount_fen == 52_100


def test_medical_assistance_terms_of_domain_section_4(built: Built) -> None:
    by_code = {short(p.code): p for p in built.policies()}
    terms = {
        code: (p.benefit_rate_pct, p.deductible_fen, p.yearly_cap_fen, p.stacking_group)
        for code, p in by_code.items()
        if code.startswith("MA-")
    }
    assert terms == {
        "MA-TEKUN": (80, 0, None, "medical_assistance"),
        "MA-DIBAO": (75, 0, None, "medical_assistance"),
        "MA-MONITOR": (60, 300_000, 5_000_000, "medical_assistance"),
    }
    assert TargetGroup.TEKUN in by_code["MA-TEKUN"].target_groups
    assert by_code["MA-DIBAO"].target_groups == [TargetGroup.DIBAO]
    assert set(by_code["MA-MONITOR"].target_groups) == MONITORING_GROUPS
    premium = {short(p.code): p for p in by_code.values() if p.stacking_group == "medical_insurance_premium"}
    assert premium["PREMIUM-MONITOR"].benefit_rate_pct == 50
    tilted, ordinary = by_code["CII-TILTED"], by_code["CII-ORDINARY"]
    assert tilted.stacking_group == ordinary.stacking_group
    assert tilted.deductible_fen is not None and ordinary.deductible_fen is not None
    assert tilted.deductible_fen * 2 == ordinary.deductible_fen
    assert tilted.benefit_rate_pct == (ordinary.benefit_rate_pct or 0) + 5
    assert tilted.yearly_cap_fen is None


def test_thirteen_measures_reach_only_monitoring_objects(built: Built) -> None:
    """Source 002: 13 of the 34 measures reach only anti-poverty objects.

    A measure whose terms differ by group has one policy per group in a shared stacking group
    (MA-MONITOR beside MA-DIBAO); such a variant reaches only monitoring objects but the measure does not.
    """
    policies = built.policies()
    groups_by_stack: dict[str, set[TargetGroup]] = {}
    for p in policies:
        if p.stacking_group:
            groups_by_stack.setdefault(p.stacking_group, set()).update(p.target_groups)
    only_monitoring = [
        short(p.code)
        for p in policies
        if set(p.target_groups) == MONITORING_GROUPS
        and (p.stacking_group is None or groups_by_stack[p.stacking_group] == MONITORING_GROUPS)
    ]
    assert len(only_monitoring) == 13
    assert {"YULU-PLAN", "DRINKING-WATER", "MICRO-CREDIT", "PUBLIC-WELFARE-JOB"} <= set(only_monitoring)
    variants = [p for p in policies if set(p.target_groups) == MONITORING_GROUPS and p.stacking_group]
    assert {short(p.code) for p in variants} == {
        "MA-MONITOR",
        "PREMIUM-MONITOR",
        "CII-ORDINARY",
        "HOUSING-MONITOR",
    }


def test_resource_codes_are_unique(built: Built) -> None:
    codes = [r.code for r in built.world.resources]
    assert len(codes) == len(set(codes))
    assert [item for item in built.resources if isinstance(item, Resource)] == built.world.resources
    assert {r.kind for r in built.world.resources} >= {
        ResourceKind.POLICY,
        ResourceKind.SERVICE,
        ResourceKind.JOB,
        ResourceKind.TRAINING,
        ResourceKind.VOLUNTEER,
    }


def test_every_relationship_follows_both_of_its_endpoints(built: Built) -> None:
    """Load order: areas first (they come from another generator), then the three lists in turn."""
    seen: set[NodeRef] = {area.ref for area in built.ctx.areas}
    for item in built.all:
        if isinstance(item, Rel):
            assert item.start in seen and item.end in seen, item
        else:
            seen.add(item.ref)


def test_every_resource_is_provided_and_available_where_its_provider_serves(built: Built) -> None:
    orgs: dict[str, Organisation] = {
        o.id: o for o in [*built.world.departments.values(), *built.world.providers]
    }
    for resource in built.world.resources:
        assert resource.provider_id in orgs
        if resource.kind is not ResourceKind.POLICY:
            assert resource.service_area_codes == orgs[resource.provider_id].service_area_codes


def test_jobs_need_skills_and_training_teaches_them(built: Built) -> None:
    jobs = [r for r in built.world.resources if r.kind is ResourceKind.JOB]
    assert jobs
    for job in jobs:
        assert job.required_skills and set(job.required_skills) <= set(SKILLS)
        assert job.labour_abilities and job.capacity and job.lat is not None and job.lon is not None
        assert job.min_age is not None and job.max_age is not None
    trainings = [r for r in built.world.resources if r.kind is ResourceKind.TRAINING]
    assert trainings and all(not t.required_skills and t.capacity for t in trainings)
    taught = {skill for t in trainings for skill in SKILLS if skill in (t.description or "")}
    assert taught == set(SKILLS)
