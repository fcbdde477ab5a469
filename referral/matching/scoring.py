"""Scores of a candidate resource for a need, and the integer costs the batch solver minimises.

One table, `WEIGHTS`, holds every part: its most points, how the points are given, and whether it is
part of the batch cost. A candidate's score is the sum of its points (higher is better). The batch
cost of assigning a need to a resource is the sum, over the parts marked "cost", of the points it
falls short of the most (lower is better):

| part | most points | points | in batch cost |
|---|---|---|---|
| fit | 20 | 20 when the need's type is the resource's first type, 10 when it is another of its types | no |
| urgency | 40 | urgent 40, general 0 | yes (need) |
| risk | 30 | risk level 1 (weakest) 30, level 2 15, level 3 0, not assessed 10 | yes (need) |
| distance | 60 | 60 minus 2 per km from the village centroid; 0 from 30 km; unknown 30 | yes (pair) |
| load | 40 | 40 x (1 - live tasks / provider capacity), 0 when full; no limit or unknown 40 | yes (pair) |
| benefit | 20 | rate: 1 per 5 %; else amount: 1 per 500 yuan; at most 20; unknown 0 | no |

So a batch arc costs between 0 (urgent, level 1, on the spot, idle provider) and 170; leaving a need
unmet costs `UNMET_COST` = 1000, more than any arc, so the solver leaves a need unmet only when no
eligible resource has room. The batch cost splits into a need part (urgency, risk) and a pair part
(distance, load), which lets the solver carry the need part on the need's arc (solver.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from graph.model import Resource
from graph.model.enums import NeedType, Urgency
from referral.matching.models import ScorePart

UNMET_COST = 1_000
EARTH_RADIUS_KM = 6_371.0088


@dataclass(frozen=True, slots=True)
class Weight:
    part: ScorePart
    most: int
    in_cost: bool
    rule: str


WEIGHTS: dict[ScorePart, Weight] = {
    w.part: w
    for w in (
        Weight(ScorePart.FIT, 20, False, "first need type 20, another of its types 10"),
        Weight(ScorePart.URGENCY, 40, True, "urgent 40, general 0"),
        Weight(ScorePart.RISK, 30, True, "level 1: 30, level 2: 15, level 3: 0, unknown 10"),
        Weight(ScorePart.DISTANCE, 60, True, "60 - 2/km, 0 from 30 km, unknown 30"),
        Weight(ScorePart.LOAD, 40, True, "40 x (1 - load), full 0, unlimited/unknown 40"),
        Weight(ScorePart.BENEFIT, 20, False, "rate 1 per 5 %, else 1 per 500 yuan, at most 20"),
    )
}
NEED_PARTS = (ScorePart.URGENCY, ScorePart.RISK)
PAIR_PARTS = (ScorePart.DISTANCE, ScorePart.LOAD)
MAX_ARC_COST = sum(WEIGHTS[p].most for p in (*NEED_PARTS, *PAIR_PARTS))
assert MAX_ARC_COST < UNMET_COST

_RISK_POINTS = {1: 30, 2: 15, 3: 0}


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def fit_points(need_type: NeedType, resource: Resource) -> int:
    if not resource.need_types or need_type not in resource.need_types:
        return 0
    return 20 if resource.need_types[0] is need_type else 10


def urgency_points(urgency: Urgency) -> int:
    return 40 if urgency is Urgency.URGENT else 0


def risk_points(risk_level: int | None) -> int:
    return 10 if risk_level is None else _RISK_POINTS.get(risk_level, 0)


def distance_points(km: float | None) -> int:
    if km is None:
        return 30
    return max(0, 60 - round(2 * km))


def load_points(load: float | None) -> int:
    if load is None:
        return 40
    return max(0, round(40 * (1 - min(1.0, load))))


def benefit_points(resource: Resource) -> int:
    if resource.benefit_rate_pct is not None:
        return min(20, resource.benefit_rate_pct // 5)
    if resource.benefit_amount_fen is not None:
        return min(20, resource.benefit_amount_fen // 50_000)
    return 0


def score_parts(
    need_type: NeedType,
    urgency: Urgency,
    risk_level: int | None,
    km: float | None,
    load: float | None,
    resource: Resource,
) -> dict[ScorePart, int]:
    """The points of every part for one need and resource."""
    return {
        ScorePart.FIT: fit_points(need_type, resource),
        ScorePart.URGENCY: urgency_points(urgency),
        ScorePart.RISK: risk_points(risk_level),
        ScorePart.DISTANCE: distance_points(km),
        ScorePart.LOAD: load_points(load),
        ScorePart.BENEFIT: benefit_points(resource),
    }


def cost_parts(parts: dict[ScorePart, int]) -> dict[ScorePart, int]:
    """The batch cost of each cost part: the points it falls short of the most."""
    return {p: WEIGHTS[p].most - parts[p] for p in (*NEED_PARTS, *PAIR_PARTS)}


def need_cost(urgency: Urgency, risk_level: int | None) -> int:
    """The need's share of every arc cost (urgency and risk level)."""
    return (
        WEIGHTS[ScorePart.URGENCY].most
        - urgency_points(urgency)
        + WEIGHTS[ScorePart.RISK].most
        - (risk_points(risk_level))
    )


def pair_cost(km: float | None, load: float | None) -> int:
    """The household-resource share of an arc cost (distance and provider load)."""
    return (
        WEIGHTS[ScorePart.DISTANCE].most
        - distance_points(km)
        + WEIGHTS[ScorePart.LOAD].most
        - (load_points(load))
    )
