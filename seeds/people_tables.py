"""Tables behind the people generator: standards, category and structure shares, names, illnesses, skills.

Weights are relative; `Weighted` turns them into cumulative shares once, so that a draw is one
`random()` and one bisection. Figures come from DOMAIN.md sections 3 and 4 where it gives them.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Generic, Literal, TypeVar

from graph.model.enums import DisabilityKind, LabourAbility, RelationToHead, SchoolingStage, Sex, TargetGroup

T = TypeVar("T")

# -- money and shares ------------------------------------------------------------------------------
URBAN_GUARANTEE_FEN = 71_400  # per person per month (Henan 2024, DOMAIN.md 4)
RURAL_GUARANTEE_FEN = 52_100
ANTI_POVERTY_LINE_FEN = 904_800  # per person per year
TEKUN_SUPPORT_FACTOR = 1.3  # 特困 basic support as a multiple of the guarantee standard
PENSION_MONTHLY_YUAN = (140, 260)  # residents' basic pension, 60 and over
DIBAO_MONITORING_OVERLAP = 0.25  # share of monitoring households also on 低保 (two databases)
KIN_ACROSS_SHARE = 0.10  # households with a relative in a recent household of the village
RECENT_PER_VILLAGE = 3  # households remembered per village for neighbour and kin ties


@dataclass(frozen=True, slots=True)
class Weighted(Generic[T]):
    """Values with cumulative shares in [0, 1]: `pick(u)` maps a uniform draw to a value."""

    cum: tuple[float, ...]
    values: tuple[T, ...]

    @classmethod
    def of(cls, pairs: Iterable[tuple[T, float]]) -> Weighted[T]:
        values, weights = zip(*((v, w) for v, w in pairs if w > 0), strict=True)
        total = float(sum(weights))
        cum, acc = [], 0.0
        for weight in weights:
            acc += weight
            cum.append(acc / total)
        cum[-1] = 1.0
        return cls(tuple(cum), tuple(values))

    def pick(self, u: float) -> T:
        """The value a uniform draw `u` in [0, 1) falls on."""
        return self.values[bisect_right(self.cum, u)]


# -- target groups and family structures -----------------------------------------------------------
class Structure(Enum):
    """Family structures of a low-income registry."""

    SINGLE_ELDER = "single_elder"  # 独居老人
    ELDER_COUPLE = "elder_couple"  # 老年夫妻, sometimes with an adult child who cannot live alone
    SINGLE_ADULT = "single_adult"  # working-age person living alone, often disabled or ill
    SINGLE_PARENT = "single_parent"  # 单亲家庭
    SKIPPED_GENERATION = "skipped_generation"  # grandparents with grandchildren (隔代)
    NUCLEAR = "nuclear"  # couple with children
    THREE_GENERATIONS = "three_generations"
    MIDDLE_COUPLE = "middle_couple"  # couple of 45-65, one ill or disabled
    ADULT_WITH_PARENT = "adult_with_parent"  # unmarried adult caring for an old parent
    ORPHANS = "orphans"  # children without parents, registered on their own


Force = Literal["", "serious", "ill", "severe", "disabled"]
"""What a drafted member must have: a serious illness, an illness, a grade 1-2 or any disability."""


_NO_CHILDREN: Weighted[int] = Weighted.of([(0, 1)])
_NO_EXTRA: Weighted[tuple[TargetGroup, ...]] = Weighted.of([((), 1)])


@dataclass(frozen=True, slots=True)
class Shape:
    """How to draft the members of one family structure (ages are ranges, chances are 0-1)."""

    head_age: tuple[int, int]
    head_male: float
    spouse: float = 0.0
    parents: tuple[float, float] = (0.0, 0.0)  # chance of one parent of the head living with them, of two
    children: Weighted[int] = _NO_CHILDREN
    child: RelationToHead = RelationToHead.CHILD  # what the younger generation is to the head
    child_age: tuple[int, int] = (0, 22)
    child_gap: int = 20  # the oldest child is this much younger than the younger of head and spouse
    head_force: Weighted[Force] | None = None
    couple_force: Weighted[Force] | None = None  # for one of head and spouse
    child_force: Weighted[Force] | None = None
    extra: Weighted[tuple[TargetGroup, ...]] = _NO_EXTRA


_ILL_OR_DISABLED: Weighted[Force] = Weighted.of([("disabled", 1), ("ill", 1)])
SHAPES = {
    Structure.SINGLE_ELDER: Shape((60, 95), 0.42),
    Structure.ELDER_COUPLE: Shape(
        (62, 88), 0.9, spouse=1.0, children=Weighted.of([(0, 85), (1, 15)]), child_age=(25, 55),
        child_gap=22, child_force=_ILL_OR_DISABLED,
    ),
    Structure.SINGLE_ADULT: Shape(
        (25, 59), 0.62, head_force=Weighted.of([("disabled", 55), ("ill", 30), ("", 15)])
    ),
    Structure.SINGLE_PARENT: Shape((26, 55), 0.3, children=Weighted.of([(1, 55), (2, 35), (3, 10)])),
    Structure.SKIPPED_GENERATION: Shape(
        (55, 80), 0.5, spouse=0.55, children=Weighted.of([(1, 53), (2, 35), (3, 12)]),
        child=RelationToHead.GRANDCHILD, child_age=(0, 17), child_gap=38,
        extra=Weighted.of([((TargetGroup.UNSUPPORTED_CHILD,), 8), ((TargetGroup.ORPHAN,), 3), ((), 89)]),
    ),
    Structure.NUCLEAR: Shape(
        (28, 56), 0.85, spouse=1.0, children=Weighted.of([(1, 35), (2, 45), (3, 20)]), child_age=(0, 24)
    ),
    Structure.THREE_GENERATIONS: Shape(
        (38, 62), 0.8, spouse=0.85, parents=(0.75, 0.25), children=Weighted.of([(1, 60), (2, 40)])
    ),
    Structure.MIDDLE_COUPLE: Shape((45, 65), 0.85, spouse=1.0, couple_force=_ILL_OR_DISABLED),
    Structure.ADULT_WITH_PARENT: Shape(
        (30, 60), 0.65, parents=(1.0, 0.0), head_force=Weighted.of([("disabled", 45), ("ill", 25), ("", 30)])
    ),
    Structure.ORPHANS: Shape(
        (8, 17), 0.5, children=Weighted.of([(0, 65), (1, 35)]), child=RelationToHead.SIBLING,
        child_age=(6, 17), child_gap=-100, extra=Weighted.of([((TargetGroup.ORPHAN,), 1)]),
    ),
}  # fmt: skip
# A 特困 person of working age is severely disabled or seriously ill, without supporters.
TEKUN_FORCE: Weighted[Force] = Weighted.of([("severe", 70), ("serious", 30)])

# The primary category of a household; monitoring households may also be on 低保 (overlap above).
PRIMARY_CATEGORY = Weighted.of(  # percent of households
    [
        (TargetGroup.DIBAO, 50.0),  # about 53.5% with the monitoring households also on 低保
        (TargetGroup.TEKUN, 11.5),
        (TargetGroup.DIBAO_EDGE, 13.5),
        (TargetGroup.RIGID_EXPENDITURE, 7.5),
        (TargetGroup.UNSTABLE_LIFTED, 5.5),
        (TargetGroup.EDGE_AT_RISK, 5.0),
        (TargetGroup.SUDDEN_HARDSHIP, 3.5),
        (TargetGroup.LEFT_DIBAO_RECENT, 3.5),
    ]
)
_COLUMNS = tuple(Structure)  # the order of the rows below
_STRUCTURE_ROWS: dict[TargetGroup, tuple[float, ...]] = {
    TargetGroup.TEKUN: (74, 0, 24, 0, 0, 0, 0, 0, 0, 2),
    TargetGroup.DIBAO: (34, 17, 13, 11, 7, 7, 2, 5, 4, 0),
    TargetGroup.DIBAO_EDGE: (26, 22, 8, 10, 8, 12, 4, 6, 4, 0),
    TargetGroup.RIGID_EXPENDITURE: (12, 16, 6, 10, 6, 28, 10, 9, 3, 0),
    TargetGroup.UNSTABLE_LIFTED: (16, 18, 6, 8, 8, 25, 9, 7, 3, 0),
    TargetGroup.EDGE_AT_RISK: (16, 18, 6, 8, 8, 25, 9, 7, 3, 0),
    TargetGroup.SUDDEN_HARDSHIP: (10, 16, 6, 8, 6, 30, 12, 9, 3, 0),
    TargetGroup.LEFT_DIBAO_RECENT: (20, 22, 6, 10, 8, 18, 6, 6, 4, 0),
}
STRUCTURES: dict[TargetGroup, Weighted[Structure]] = {
    group: Weighted.of(zip(_COLUMNS, row, strict=True)) for group, row in _STRUCTURE_ROWS.items()
}

# Counted income (social-assistance standard) per person per month as a multiple of the guarantee
# standard; monitoring groups are set against the anti-poverty line instead (MONITORING_INCOME).
GUARANTEE_INCOME = {
    TargetGroup.TEKUN: (0.0, 0.3),
    TargetGroup.DIBAO: (0.15, 0.95),
    TargetGroup.DIBAO_EDGE: (1.02, 1.48),
    TargetGroup.RIGID_EXPENDITURE: (1.1, 2.2),
    TargetGroup.LEFT_DIBAO_RECENT: (1.05, 2.2),
}
# Anti-poverty-standard income per person per year as a multiple of the anti-poverty line.
MONITORING_INCOME = {
    TargetGroup.UNSTABLE_LIFTED: (0.75, 1.45),
    TargetGroup.EDGE_AT_RISK: (0.8, 1.45),
    TargetGroup.SUDDEN_HARDSHIP: (0.6, 1.8),
}

# -- health, disability, schooling (per decade of age: p(serious), p(chronic), p(disabled)) ---------
BY_DECADE = (
    (0.012, 0.02, 0.025),
    (0.012, 0.03, 0.03),
    (0.02, 0.05, 0.05),
    (0.03, 0.08, 0.06),
    (0.05, 0.15, 0.07),
    (0.07, 0.25, 0.07),
    (0.08, 0.38, 0.07),
    (0.09, 0.45, 0.09),
    (0.09, 0.5, 0.12),
    (0.09, 0.5, 0.14),
)
DISABILITY_GRADE = Weighted.of([(1, 12), (2, 28), (3, 28), (4, 32)])
SEVERE_GRADE = Weighted.of([(1, 35), (2, 65)])
DISABILITY_KIND = Weighted.of(
    [
        (DisabilityKind.PHYSICAL, 36),
        (DisabilityKind.VISUAL, 14),
        (DisabilityKind.HEARING, 11),
        (DisabilityKind.SPEECH, 3),
        (DisabilityKind.INTELLECTUAL, 12),
        (DisabilityKind.MENTAL, 16),
        (DisabilityKind.MULTIPLE, 8),
    ]
)
CONGENITAL = frozenset({DisabilityKind.INTELLECTUAL, DisabilityKind.MENTAL, DisabilityKind.MULTIPLE})

CHRONIC = Weighted.of(
    [
        ("高血压", 30),
        ("糖尿病", 16),
        ("冠心病", 8),
        ("慢性阻塞性肺疾病", 7),
        ("脑梗死后遗症", 6),
        ("类风湿性关节炎", 5),
        ("慢性支气管炎", 5),
        ("慢性心力衰竭", 3),
        ("慢性肾脏病", 3),
        ("帕金森病", 2),
        ("阿尔茨海默病", 2),
        ("慢性乙型肝炎", 3),
        ("腰椎间盘突出症", 4),
        ("癫痫", 2),
        ("支气管哮喘", 2),
        ("骨质疏松症", 2),
    ]
)
CHILD_CHRONIC = Weighted.of([("支气管哮喘", 4), ("癫痫", 3), ("1型糖尿病", 1), ("先天性心脏病", 2)])
MENTAL_ILLNESS = Weighted.of([("精神分裂症", 6), ("双相情感障碍", 2), ("重度抑郁症", 1)])
_SERIOUS_COMMON = [
    ("肺癌", 10),
    ("胃癌", 7),
    ("肝癌", 7),
    ("食管癌", 4),
    ("结直肠癌", 5),
    ("尿毒症", 9),
    ("脑出血", 6),
    ("急性心肌梗死", 4),
    ("白血病", 3),
    ("再生障碍性贫血", 1),
    ("肝硬化失代偿期", 3),
    ("系统性红斑狼疮", 1),
    ("耐多药肺结核", 1),
]
SERIOUS: dict[Sex, Weighted[str]] = {
    Sex.MALE: Weighted.of([*_SERIOUS_COMMON, ("前列腺癌", 2)]),
    Sex.FEMALE: Weighted.of([*_SERIOUS_COMMON, ("乳腺癌", 6), ("宫颈癌", 4)]),
}
CHILD_SERIOUS = Weighted.of(
    [("急性淋巴细胞白血病", 5), ("先天性心脏病", 4), ("儿童脑瘫", 2), ("血友病", 1), ("神经母细胞瘤", 1)]
)

_STAGE = SchoolingStage
_SENIOR_AGE = Weighted.of(
    [(_STAGE.SENIOR, 58), (_STAGE.VOCATIONAL, 30), (_STAGE.LEFT_SCHOOL, 4), (_STAGE.NOT_IN_SCHOOL, 8)]
)
_COLLEGE_AGE = Weighted.of([(_STAGE.UNDERGRADUATE, 28), (_STAGE.VOCATIONAL, 10), (_STAGE.NOT_IN_SCHOOL, 62)])
_DROPOUT = 6  # per thousand children of compulsory-school age (辍学)
SCHOOLING_BY_AGE = (
    *[Weighted.of([(_STAGE.NOT_SCHOOL_AGE, 1)])] * 6,
    Weighted.of([(_STAGE.PRIMARY, 1)]),
    *[Weighted.of([(_STAGE.PRIMARY, 1000 - _DROPOUT), (_STAGE.LEFT_SCHOOL, _DROPOUT)])] * 5,
    *[Weighted.of([(_STAGE.JUNIOR, 1000 - _DROPOUT), (_STAGE.LEFT_SCHOOL, _DROPOUT)])] * 3,
    *[_SENIOR_AGE] * 3,
    *[_COLLEGE_AGE] * 5,
)  # by age 0-22; older: not in school
# Labour ability by age (under 60, 60-69, 70+) and condition (healthy, chronic or disabled, seriously
# ill or grade 1-2 disabled). Under 60 a severe condition means lost ability (丧失), or none if congenital.
_L = LabourAbility
LABOUR = (
    (Weighted.of([(_L.FULL, 1)]), Weighted.of([(_L.WEAK, 1)]), Weighted.of([(_L.LOST, 1)])),
    (
        Weighted.of([(_L.FULL, 30), (_L.WEAK, 55), (_L.NONE, 15)]),
        Weighted.of([(_L.WEAK, 60), (_L.NONE, 40)]),
        Weighted.of([(_L.NONE, 1)]),
    ),
    (Weighted.of([(_L.WEAK, 25), (_L.NONE, 75)]), Weighted.of([(_L.NONE, 1)]), Weighted.of([(_L.NONE, 1)])),
)
# Chance of being employed by the same age bands, for full and weak labour ability.
EMPLOYED: tuple[dict[LabourAbility, float], ...] = (
    {_L.FULL: 0.65, _L.WEAK: 0.35},
    {_L.FULL: 0.15, _L.WEAK: 0.15},
    {},
)
# Yearly self-paid tuition, lodging and travel per student, in yuan.
SCHOOLING_COST = {
    SchoolingStage.PRIMARY: (200, 1_200),
    SchoolingStage.JUNIOR: (500, 2_000),
    SchoolingStage.SENIOR: (2_500, 6_000),
    SchoolingStage.VOCATIONAL: (2_000, 7_000),
    SchoolingStage.UNDERGRADUATE: (8_000, 18_000),
}

# -- skills, by sex and urban (True) / rural (False) -------------------------------------------
_SKILLS = {
    # skill: (male rural, male urban, female rural, female urban)
    "种植": (30, 4, 28, 3),
    "养殖": (20, 3, 16, 2),
    "电焊": (8, 8, 0.3, 0.3),
    "建筑": (12, 10, 1, 1),
    "泥瓦工": (8, 6, 0.5, 0.5),
    "木工": (5, 4, 0.2, 0.2),
    "电工": (5, 7, 0.3, 0.5),
    "水电安装": (3, 6, 0.2, 0.3),
    "驾驶": (8, 12, 1, 2),
    "机械操作": (4, 5, 0.5, 1),
    "厨师": (3, 7, 3, 6),
    "家政": (0.3, 1, 12, 18),
    "保洁": (1, 4, 10, 16),
    "缝纫": (0.5, 0.5, 10, 8),
    "育婴": (0, 0, 4, 7),
    "养老护理": (0.5, 1, 5, 8),
    "美容美发": (0.5, 2, 2, 6),
    "电子商务": (1, 3, 2, 4),
    "快递配送": (3, 8, 0.5, 2),
    "保安": (2, 8, 0.2, 0.5),
}
SKILLS: dict[tuple[Sex, bool], Weighted[str]] = {
    (sex, urban): Weighted.of((skill, w[column]) for skill, w in _SKILLS.items())
    for column, (sex, urban) in enumerate(
        [(Sex.MALE, False), (Sex.MALE, True), (Sex.FEMALE, False), (Sex.FEMALE, True)]
    )
}

# -- names (赣南 surnames; given names by sex and the era of birth) ---------------------------------
SURNAMES = Weighted.of(
    [
        ("刘", 9), ("陈", 8), ("李", 6), ("王", 4), ("张", 4), ("黄", 5), ("钟", 6), ("赖", 6),
        ("廖", 5), ("曾", 5), ("谢", 4), ("罗", 4), ("杨", 3), ("邱", 3), ("肖", 3), ("朱", 2),
        ("叶", 3), ("徐", 2), ("吴", 2), ("郭", 2), ("林", 2), ("温", 2), ("蔡", 1), ("胡", 1),
        ("何", 1), ("周", 1), ("邓", 2), ("彭", 1), ("卢", 1), ("古", 1), ("唐", 1), ("袁", 1),
    ]
)  # fmt: skip
_GIVEN_PARTS = {
    # (sex, era): (first characters, second characters); era 0: born before 1960, 1: 1960-89, 2: 1990-
    (Sex.MALE, 0): ("福水金春石长发火木天有永德国", "生根保才福明财林"),
    (Sex.MALE, 1): ("建国志海小文红晓春荣明伟", "华平强军波辉东勇斌亮"),
    (Sex.MALE, 2): ("浩子宇俊梓文嘉家俊思一", "然轩航杰豪博宇睿鑫磊涛"),
    (Sex.FEMALE, 0): ("秀桂玉冬金凤菊春满招运兰", "英兰梅香花娣妹秀"),
    (Sex.FEMALE, 1): ("丽红小秀春美玉晓慧海", "华梅燕萍琴红玲霞芳娟"),
    (Sex.FEMALE, 2): ("欣梓诗雨紫思可佳梦语", "怡涵欣萱琪婷倩琳悦洁"),
}
GIVEN_NAMES: dict[tuple[Sex, int], tuple[str, ...]] = {
    key: tuple(a + b for a in first for b in second if a != b) + tuple(second)
    for key, (first, second) in _GIVEN_PARTS.items()
}
_MOBILE = (
    *range(130, 140),
    150,
    151,
    152,
    153,
    155,
    156,
    157,
    158,
    159,
    166,
    173,
    176,
    177,
    *range(180, 200),
)
MOBILE_PREFIXES = tuple(str(p) for p in _MOBILE)

SERIALS = {  # the 3-digit order code of an ID number; its last digit is odd for men
    Sex.MALE: tuple(f"{i:03d}" for i in range(1, 1000, 2)),
    Sex.FEMALE: tuple(f"{i:03d}" for i in range(0, 1000, 2)),
}
