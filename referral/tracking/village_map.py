"""The map of the caller's villages: each village's place and counts of households by risk level and
of needs waiting or in referral. Counts only (`Action.READ_FIGURES`), so an auditor sees it too;
the households behind a village are listed by the household search (`village=`), within scope.
"""

from __future__ import annotations

from collections import Counter

from graph.model import Area, Household, Need
from graph.model.enums import NeedStatus, Urgency
from graph.model.identity import parent_code
from graph.store import Filter, Op, UnitOfWork, batched
from referral.access.policy import Action, Policy
from referral.tracking.figures import PAGE, villages_of_area
from referral.tracking.models import VillageMap, VillageOnMap

RISK_LEVELS = (1, 2, 3)
_WAITING = (NeedStatus.OPEN, NeedStatus.REFERRED)


def village_map(uow: UnitOfWork, policy: Policy, area_code: str | None = None) -> VillageMap:
    """Every village in scope (or in `area_code`, 404 outside scope) with its counts, by code."""
    policy.require(Action.READ_FIGURES)
    codes = villages_of_area(uow, policy, area_code)
    areas = uow.get_many(Area, codes)
    townships = uow.get_many(Area, {parent_code(c) or c for c in codes})
    waiting: Counter[tuple[str, NeedStatus]] = Counter()
    urgent: Counter[str] = Counter()
    for chunk in batched(codes, PAGE):
        for need in uow.find(Need, [Filter("village_code", Op.IN, chunk), Filter("status", Op.IN, _WAITING)]):
            waiting[need.village_code, need.status] += 1
            urgent[need.village_code] += need.urgency is Urgency.URGENT
    villages = []
    for code in codes:
        area = areas.get(code)
        here = [Filter("village_code", Op.EQ, code)]
        by_risk = {str(r): uow.count(Household, [*here, Filter("risk_level", Op.EQ, r)]) for r in RISK_LEVELS}
        township = parent_code(code) or code
        villages.append(
            VillageOnMap(
                code=code,
                name=area.name if area else code,
                township_code=township,
                township_name=townships[township].name if township in townships else None,
                lat=area.lat if area else None,
                lon=area.lon if area else None,
                households=uow.count(Household, here),
                by_risk_level=by_risk,
                highest_risk=next((r for r in RISK_LEVELS if by_risk[str(r)]), None),
                open_needs=waiting[code, NeedStatus.OPEN],
                referred_needs=waiting[code, NeedStatus.REFERRED],
                urgent_needs=urgent[code],
            )
        )
    return VillageMap(
        area_code=area_code,
        now=policy.now,
        households=sum(v.households for v in villages),
        open_needs=sum(v.open_needs for v in villages),
        referred_needs=sum(v.referred_needs for v in villages),
        villages=villages,
    )
