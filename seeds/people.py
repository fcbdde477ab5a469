"""Low-income households of one county and their members, with their kin and neighbour ties.

Each household gets a target group (分层分类, in the shares of a county registry), a family structure
that fits it, members with ages, sex, health, disability, labour ability, skills and schooling, and
income by component that fits the group under the standard that identifies it (DOMAIN.md 3-4):
counted income (wage, operating, property, transfer) per person per month below the guarantee
standard for 低保, 1x-1.5x for 低保边缘, above it but below after rigid expenditure for 刚性支出困难,
and around 9,048 yuan per person per year (pension included) for the anti-poverty monitoring groups.
Everything is drawn from `ctx.rng("people")`: the same seed and `now` give the same households.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from stdnum.cn import ric

from graph.model import Household, KinOf, LivesIn, MemberOf, NeighbourOf, Node, NodeRef, Person, Rel
from graph.model.enums import (
    MONITORING_GROUPS,
    DisabilityKind,
    HealthStatus,
    KinRelation,
    LabourAbility,
    RelationToHead,
    SchoolingStage,
    Sex,
    SourceSystem,
    TargetGroup,
)
from seeds import people_tables as t
from seeds.context import SeedContext
from seeds.regions import birth_region

_M, _F, _G, _H = Sex.MALE, Sex.FEMALE, TargetGroup, RelationToHead
_SPOUSE, _PARENT, _CHILD = KinRelation.SPOUSE, KinRelation.PARENT, KinRelation.CHILD
_SIBLING, _GRANDPARENT, _GRANDCHILD = KinRelation.SIBLING, KinRelation.GRANDPARENT, KinRelation.GRANDCHILD
_RELATIVE = KinRelation.OTHER_RELATIVE
_ELDER_KIN = {_H.CHILD: _PARENT, _H.GRANDCHILD: _GRANDPARENT, _H.SIBLING: _SIBLING}  # elder to child
_SERIOUS, _CHRONIC = HealthStatus.SERIOUS, HealthStatus.CHRONIC
_FULL, _NONE, _LOST = LabourAbility.FULL, LabourAbility.NONE, LabourAbility.LOST
_ABLE = frozenset({_FULL, LabourAbility.WEAK})
_STUDENT = frozenset(t.SCHOOLING_COST)
_ON_GUARANTEE = frozenset({_G.DIBAO, _G.TEKUN})
_CIVIL_GROUPS = {_G.DIBAO, _G.TEKUN, _G.DIBAO_EDGE, _G.RIGID_EXPENDITURE, _G.LEFT_DIBAO_RECENT}
_SOURCES = (
    (SourceSystem.CIVIL_AFFAIRS, _CIVIL_GROUPS),
    (SourceSystem.RURAL_REVITALISATION, MONITORING_GROUPS),
    (SourceSystem.DISABILITY_FEDERATION, {_G.DISABLED}),
)
_THREE_YEARS_S = 3 * 365 * 86_400
_MONEY_FIELDS = (
    *("income_wage_fen", "income_operating_fen", "income_property_fen", "income_transfer_fen"),
    *("income_pension_fen", "income_excluded_fen", "expense_medical_fen", "expense_disability_fen"),
    *("expense_schooling_fen", "expense_job_fen"),
)


@dataclass(frozen=True)
class HouseholdBundle:
    """One generated household: its node, its members (head first) and every item to load, in order."""

    household: Household
    members: list[Person]
    items: list[Node | Rel]


@dataclass(slots=True)
class _Member:
    """A member while the household is drawn, before its Person is validated."""

    relation: RelationToHead
    age: int
    sex: Sex
    surname: str
    ties: list[tuple[int, KinRelation]]  # (index of another member, what that member is to this one)
    force: t.Force = ""
    id: str = ""
    health: HealthStatus = HealthStatus.HEALTHY
    illnesses: list[str] = field(default_factory=list)
    grade: int | None = None
    kind: DisabilityKind | None = None
    labour: LabourAbility | None = None
    schooling: SchoolingStage | None = None
    employed: bool | None = None
    outside: bool = False
    skills: list[str] = field(default_factory=list)
    wage: int = 0


@dataclass(frozen=True, slots=True)
class _Village:
    """A village or community households are placed in."""

    ref: NodeRef
    code: str
    address: str  # township and village names, the start of an address
    urban: bool


class PeopleGenerator:
    """Streams households of the county in `ctx`; the state kept between households is bounded.

    Neighbour and kin ties across households point only to households already yielded (the last
    few of each village), so the stream loads in order, after the county's areas. A generator makes
    one chunk of households (its context's); ties do not cross chunks.
    """

    def __init__(self, ctx: SeedContext) -> None:
        if not ctx.villages:
            raise ValueError(f"county {ctx.county.code} has no villages to place households in")
        self._r = ctx.rng("people").random
        sizes_r = ctx.rng("village-sizes", county_wide=True).random
        self._new_id = ctx.new_id
        self._county = ctx.county.code[:6]
        self._now = ctx.now
        self._today = ctx.now.date().toordinal()
        self._births: dict[int, tuple[date, str, int]] = {}  # ordinal -> date, ID digits 1-14, era
        villages, sizes = [], []
        for area in ctx.villages:
            urban = area.name.endswith(("社区", "居委会")) or "社区" in area.name
            short = area.name.removesuffix("村民委员会").removesuffix("居民委员会").removesuffix("委会")
            short = short.removesuffix("居")
            short += "" if short.endswith(("村", "社区")) else "社区" if urban else "村"
            township = ctx.by_code.get(area.code[:9] + "000")
            villages.append(_Village(area.ref, area.code, (township.name if township else "") + short, urban))
            sizes.append(0.3 + 1.7 * sizes_r())  # villages differ in how many households they register
        self._villages = t.Weighted.of(zip(villages, sizes, strict=True))
        rural = [(v, s) for v, s in zip(villages, sizes, strict=True) if not v.urban]
        self._rural = t.Weighted.of(rural) if rural else self._villages
        self._recent: dict[str, deque[tuple[NodeRef, NodeRef, int]]] = {
            v.code: deque(maxlen=t.RECENT_PER_VILLAGE) for v in villages
        }

    def households(self, n: int) -> Iterator[HouseholdBundle]:
        """The next `n` households, one bundle at a time."""
        for _ in range(n):
            yield self._household()

    # -- one household ---------------------------------------------------------------------------
    def _household(self) -> HouseholdBundle:
        r = self._r
        group = t.PRIMARY_CATEGORY.pick(r())
        monitored = group in MONITORING_GROUPS
        village = (self._rural if monitored else self._villages).pick(r())
        shape = t.SHAPES[t.STRUCTURES[group].pick(r())]
        drafts = self._draft(shape, group)
        categories = [_G.DIBAO, group] if monitored and r() < t.DIBAO_MONITORING_OVERLAP else [group]
        disaster = group is _G.SUDDEN_HARDSHIP and r() < 0.3
        if group in (_G.RIGID_EXPENDITURE, _G.SUDDEN_HARDSHIP) and not disaster:
            drafts[int(r() * len(drafts))].force = "serious"  # the illness behind the hardship
        for m in drafts:
            self._fill(m, village.urban, group is _G.TEKUN)
        if any(m.grade is not None for m in drafts):
            categories.append(_G.DISABLED)
        categories.extend(shape.extra.pick(r()))
        money = self._money(drafts, categories, group, village.urban)
        return self._bundle(village, drafts, categories, money, disaster)

    def _bundle(
        self, village: _Village, drafts: list[_Member], categories: list[TargetGroup], money: dict[str, int],
        disaster: bool,
    ) -> HouseholdBundle:  # fmt: skip
        r, now, new_id = self._r, self._now, self._new_id
        household_id = new_id("people")
        refs = []
        for m in drafts:
            m.id = new_id("people")
            refs.append(NodeRef("Person", m.id))
        created = now - timedelta(seconds=int(r() * _THREE_YEARS_S))
        updated = created + timedelta(seconds=int(r() * (now - created).total_seconds()))
        rural = not village.urban
        place = (
            f"{village.address}{1 + int(r() * 12)}组{1 + int(r() * 90)}号"
            if rural
            else f"{village.address}{1 + int(r() * 40)}栋{101 + int(r() * 18) * 100 + int(r() * 4)}室"
        )
        household = Household(
            id=household_id,
            village_code=village.code,
            address=place,
            urban=village.urban,
            head_person_id=drafts[0].id,
            member_count=len(drafts),
            categories=categories,
            sources=[source for source, groups in _SOURCES if not groups.isdisjoint(categories)],
            housing_safe=not disaster and r() > (0.05 if rural else 0.005),
            drinking_water_safe=not rural or r() > 0.03,
            medical_insured=r() > 0.015,
            **money,
            created_at=created,
            updated_at=updated,
        )
        href = NodeRef("Household", household_id)
        items: list[Node | Rel] = [household, LivesIn(start=href, end=village.ref)]
        people = []
        for m, ref in zip(drafts, refs, strict=True):
            person = self._person(m, household_id, created, updated)
            people.append(person)
            items += (person, MemberOf(start=ref, end=href, relation_to_head=m.relation))
        for i, m in enumerate(drafts):
            for j, relation in m.ties:  # one KIN_OF per pair, read from both ends (docs/graph-model.md)
                items.append(KinOf(start=refs[i], end=refs[j], relation=relation))
        recent = self._recent[village.code]
        if recent:
            if r() < t.KIN_ACROSS_SHARE:  # a relative heads a household nearby
                _, other, other_age = recent[int(r() * len(recent))]
                age = drafts[0].age
                relation = (
                    _PARENT if other_age - age >= 20 else _CHILD if age - other_age >= 20
                    else _SIBLING if r() < 0.5 else _RELATIVE
                )  # fmt: skip
                items.append(KinOf(start=refs[0], end=other, relation=relation))
            for neighbour, _, _ in list(recent)[-1 - int(r() * 3) :]:
                distance = int(r() * 600) + 15 if rural else int(r() * 200) + 5
                items.append(NeighbourOf(start=href, end=neighbour, distance_m=distance))
        recent.append((href, refs[0], drafts[0].age))
        return HouseholdBundle(household, people, items)

    def _person(self, m: _Member, household_id: str, created: datetime, updated: datetime) -> Person:
        r = self._r
        ordinal = self._today - 1 - int((m.age + 0.997 * r()) * 365.2425)
        birth = self._births.get(ordinal)
        if birth is None:
            day = date.fromordinal(ordinal)
            era = 0 if day.year < 1960 else 1 if day.year < 1990 else 2
            digits = f"{birth_region(self._county, day.year)}{day.year:04d}{day.month:02d}{day.day:02d}"
            birth = self._births[ordinal] = (day, digits, era)
        serials = t.SERIALS[m.sex]
        body = birth[1] + serials[int(r() * 500)]
        given = t.GIVEN_NAMES[m.sex, birth[2]]
        phone = None
        if m.relation is _H.HEAD:
            prefixes = t.MOBILE_PREFIXES
            phone = f"{prefixes[int(r() * len(prefixes))]}{int(r() * 100_000_000):08d}"
        if m.age < 4:  # registered after birth
            born = datetime(birth[0].year, birth[0].month, birth[0].day, tzinfo=UTC)
            created, updated = max(created, born), max(updated, born)
        return Person(
            id=m.id,
            household_id=household_id,
            name=m.surname + given[int(r() * len(given))],
            id_number=body + ric.calc_check_digit(body + "0"),
            sex=m.sex,
            birth_date=birth[0],
            relation_to_head=m.relation,
            phone=phone,
            health=m.health,
            illnesses=m.illnesses,
            disability_grade=m.grade,
            disability_kind=m.kind,
            labour_ability=m.labour,
            skills=m.skills,
            schooling=m.schooling,
            employed=m.employed,
            works_outside_city=m.outside,
            income_wage_fen=m.wage,
            created_at=created,
            updated_at=updated,
        )

    # -- members ---------------------------------------------------------------------------------
    def _draft(self, shape: t.Shape, group: TargetGroup) -> list[_Member]:
        """Relations, ages, sex, surnames and kin ties of a family of the given shape, head first."""
        r, surnames = self._r, t.SURNAMES
        lo, hi = shape.head_age
        force = t.TEKUN_FORCE if group is _G.TEKUN and shape.head_force else shape.head_force
        head = _Member(
            _H.HEAD, lo + int((hi - lo + 1) * (r() + r()) * 0.5), _M if r() < shape.head_male else _F,
            surnames.pick(r()), [], force.pick(r()) if force else "",
        )  # fmt: skip
        members = [head]
        if shape.spouse and r() < shape.spouse:
            gap = int(r() * 10) - 6 if head.sex is _M else int(r() * 10) - 3
            sex = _F if head.sex is _M else _M
            members.append(
                _Member(_H.SPOUSE, max(20, head.age + gap), sex, surnames.pick(r()), [(0, _SPOUSE)])
            )
        couple = len(members)
        if shape.couple_force:
            members[int(r() * couple)].force = shape.couple_force.pick(r())
        u, (one, two) = r(), shape.parents
        for k in range(2 if u < two else 1 if u < one + two else 0):
            sex = (_F if k else _M) if u < two else _M if r() < 0.3 else _F
            ties = [(0, _CHILD), (couple, _SPOUSE)] if k else [(0, _CHILD)]
            surname = head.surname if sex is _M else surnames.pick(r())
            members.append(_Member(_H.PARENT, min(98, head.age + 20 + int(r() * 15)), sex, surname, ties))
        count = shape.children.pick(r())
        youngest = min(m.age for m in members[:couple])
        lo, hi = shape.child_age[0], min(shape.child_age[1], youngest - shape.child_gap)
        if count and hi >= lo:
            fathers = [m.surname for m in members[:couple] if m.sex is _M]
            if shape.child is _H.SIBLING:
                surname = head.surname
            elif fathers and r() < (1.0 if shape.child is _H.CHILD else 0.6):
                surname = fathers[0]
            else:
                surname = head.surname if shape.child is _H.CHILD and r() < 0.4 else surnames.pick(r())
            kin = _ELDER_KIN[shape.child]
            elders = [(i, kin) for i in range(couple)] + [
                (i, _GRANDPARENT) for i in range(couple, len(members))
            ]
            first = len(members)
            for _ in range(count):
                ties = elders + [(k, _SIBLING) for k in range(first, len(members))]
                child_force = shape.child_force.pick(r()) if shape.child_force else ""
                sex = _M if r() < 0.53 else _F
                members.append(
                    _Member(shape.child, lo + int(r() * (hi - lo + 1)), sex, surname, ties, child_force)
                )
        return members

    def _fill(self, m: _Member, urban: bool, supported: bool) -> None:
        """Health, disability, schooling, labour ability, work and skills of a drafted member."""
        r, age, force = self._r, m.age, m.force
        p_serious, p_chronic, p_disabled = t.BY_DECADE[min(age // 10, 9)]
        u = r()
        if force == "serious" or (force == "ill" and u < 0.4) or (not force and u < p_serious):
            m.health = _SERIOUS
            m.illnesses = [(t.CHILD_SERIOUS if age < 18 else t.SERIOUS[m.sex]).pick(r())]
            if age >= 40 and r() < 0.3:
                m.illnesses.append(t.CHRONIC.pick(r()))
        elif force == "ill" or (not force and u < p_serious + p_chronic):
            m.health = _CHRONIC
            m.illnesses = [(t.CHILD_CHRONIC if age < 18 else t.CHRONIC).pick(r())]
            if age >= 45 and r() < 0.25 and (second := t.CHRONIC.pick(r())) != m.illnesses[0]:
                m.illnesses.append(second)
        if force == "severe" or force == "disabled" or r() < p_disabled:
            m.grade = (t.SEVERE_GRADE if force == "severe" else t.DISABILITY_GRADE).pick(r())
            m.kind = t.DISABILITY_KIND.pick(r())
            if m.kind is DisabilityKind.MENTAL:
                m.illnesses.append(t.MENTAL_ILLNESS.pick(r()))
                m.health = _SERIOUS if m.health is _SERIOUS else _CHRONIC
        m.schooling = t.SCHOOLING_BY_AGE[age].pick(r()) if age < 23 else SchoolingStage.NOT_IN_SCHOOL
        if age < 16:
            return
        severe = m.grade is not None and m.grade <= 2
        band = 0 if age < 60 else 1 if age < 70 else 2
        condition = 2 if m.health is _SERIOUS or severe else 1 if m.health is _CHRONIC or m.grade else 0
        m.labour = t.LABOUR[band][condition].pick(r())
        if m.labour is _LOST and severe and m.kind in t.CONGENITAL:
            m.labour = _NONE
        student = m.schooling in _STUDENT
        m.employed = not (supported or student) and r() < t.EMPLOYED[band].get(m.labour, 0.0)
        m.outside = m.employed and age < 55 and r() < 0.3
        if m.labour in _ABLE and not student and age < 65 and (u := r()) >= 0.3:
            table = t.SKILLS[m.sex, urban]
            m.skills = [table.pick(r())]
            if u >= 0.8 and (second := table.pick(r())) != m.skills[0]:
                m.skills.append(second)

    # -- money -----------------------------------------------------------------------------------
    def _money(
        self, members: list[_Member], categories: list[TargetGroup], group: TargetGroup, urban: bool
    ) -> dict[str, int]:
        """Income by component fitting the household's group; rigid expenditure tied to its members."""
        r, n = self._r, len(members)
        guarantee = (t.URBAN_GUARANTEE_FEN if urban else t.RURAL_GUARANTEE_FEN) * 12 * n // 100  # yuan/year
        low, high = t.PENSION_MONTHLY_YUAN
        pension = sum(low + int(r() * (high - low)) for m in members if m.age >= 60) * 12  # yuan/year
        if group in t.MONITORING_INCOME and categories[0] is not _G.DIBAO:
            lo, hi = t.MONITORING_INCOME[group]
            counted = max(0, int(t.ANTI_POVERTY_LINE_FEN // 100 * n * (lo + (hi - lo) * r())) - pension)
        else:
            lo, hi = t.GUARANTEE_INCOME[categories[0]]
            counted = int(guarantee * (lo + (hi - lo) * r()))
        on_guarantee = not _ON_GUARANTEE.isdisjoint(categories)
        medical = disability = schooling = job = excluded = 0  # yuan/year
        for m in members:
            if m.health is _SERIOUS:
                medical += 6_000 + int(54_000 * r() * r())
            elif m.health is _CHRONIC:
                medical += 300 + int(4_700 * r() * r())
            if m.grade is not None:
                if m.grade <= 2:
                    excluded += 1_080  # care subsidy for the severely disabled
                    disability += int(500 + 7_500 * r()) if r() < 0.7 else 0
                elif r() < 0.35:
                    disability += int(200 + 2_300 * r())
                excluded += 960 if on_guarantee else 0  # living subsidy for disabled persons in hardship
            if m.schooling in _STUDENT:
                low, high = t.SCHOOLING_COST[m.schooling]
                schooling += low + int((high - low) * r())
            if m.outside:
                job += 3_000 + int(6_000 * r())
            if m.age >= 60 and r() < 0.08:
                excluded += 960  # family-planning award
        if group is _G.RIGID_EXPENDITURE:  # below the guarantee once rigid expenditure is deducted
            gap = counted - medical - disability - schooling - job - guarantee
            medical += max(0, gap + int(guarantee * (0.05 + 0.45 * r())))
        if _G.DIBAO in categories:
            excluded += int((guarantee - counted) * (0.85 + 0.15 * r()))  # the guarantee payment
        if _G.TEKUN in categories:
            excluded += int(guarantee * t.TEKUN_SUPPORT_FACTOR)
            excluded += 1_200 + int(4_800 * r()) if any(m.labour not in _ABLE for m in members) else 0
        if group is _G.SUDDEN_HARDSHIP:
            excluded += 1_000 + int(7_000 * r())  # temporary assistance
        if r() < 0.01:
            excluded += 4_000 + int(16_000 * r())  # preferential care payment
        u = r() * r()
        if on_guarantee:
            deposits, vehicles = guarantee * 0.8 * u, int(r() < 0.005)
        elif group in MONITORING_GROUPS:
            deposits, vehicles = t.ANTI_POVERTY_LINE_FEN // 100 * n * 1.2 * u, int(r() < 0.06)
        else:
            deposits, vehicles = guarantee * 2.0 * u, int(r() < 0.06)
        houses = int(r() < (0.55 if urban else 0.9)) + int(not on_guarantee and r() < 0.02)
        wage, operating, prop, transfer = self._split(counted, members, urban)
        yuan = (wage, operating, prop, transfer, pension, excluded, medical, disability, schooling, job)
        money = {name: amount * 100 for name, amount in zip(_MONEY_FIELDS, yuan, strict=True)}
        money |= {
            "deposits_fen": int(deposits) // 10 * 1_000,
            "house_count": houses,
            "vehicle_count": vehicles,
        }
        return money

    def _split(self, counted: int, members: list[_Member], urban: bool) -> tuple[int, int, int, int]:
        """Counted yuan split into wage, operating, property and transfer income; wages to the workers."""
        r = self._r
        workers = [m for m in members if m.employed]
        able = any(m.labour in _ABLE for m in members)
        w_wage = 1.0 + 2.0 * r() if workers else 0.0
        w_operating = (0.1 * r() if urban else 0.4 + 1.2 * r()) if able else 0.0
        w_property, w_transfer = 0.08 * r(), 0.2 + 0.8 * r()
        scale = counted / (w_wage + w_operating + w_property + w_transfer)
        wage, operating, prop = int(w_wage * scale), int(w_operating * scale), int(w_property * scale)
        left = wage
        for m in workers[1:]:
            m.wage = int(wage * (1.0 if m.labour is _FULL else 0.5) / len(workers))
            left -= m.wage
            m.wage *= 100
        if workers:
            workers[0].wage = left * 100
        return wage, operating, prop, counted - wage - operating - prop
