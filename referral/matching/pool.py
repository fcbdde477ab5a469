"""The resource pool as matching reads it from the store: resources, where they are, how full.

Loaded once per request (candidates, a plan or a batch): every resource, the organisations providing
them, the areas needed for distances, live referrals per resource (capacity used) and live tasks per
organisation (provider load), and the facts of the households concerned.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from graph.model import Area, Household, Organisation, Person, Receives, Referral, ReferralHop, Resource
from graph.model.enums import HopStatus, NeedType, ReferralStatus
from graph.store import Direction, Filter, Op, UnitOfWork, batched, where
from referral.matching.eligibility import HouseholdFacts, facts_of
from referral.matching.scoring import haversine_km

# Hop statuses in which a task occupies its assignee (provider load).
OPEN_HOP_STATUSES = (
    HopStatus.DRAFT,
    HopStatus.REQUESTED,
    HopStatus.RECEIVED,
    HopStatus.ACCEPTED,
    HopStatus.IN_PROGRESS,
    HopStatus.ON_HOLD,
)
_CHUNK = 500


@dataclass(slots=True)
class Pool:
    """Resources and what distance, load and remaining capacity need to know about them."""

    resources: list[Resource]
    organisations: dict[str, Organisation]
    areas: dict[str, Area]
    live_referrals: Counter[str]  # resource id -> active referrals using it
    live_tasks: Counter[str]  # organisation id -> open tasks assigned to it
    by_type: dict[NeedType, list[Resource]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for resource in self.resources:
            for need_type in resource.need_types:
                self.by_type.setdefault(need_type, []).append(resource)

    def remaining(self, resource: Resource, taken: int = 0) -> int | None:
        """Capacity left: capacity minus live referrals minus `taken` (None: not limited)."""
        if resource.capacity is None:
            return None
        return resource.capacity - self.live_referrals[resource.id] - taken

    def location(self, resource: Resource) -> tuple[float, float] | None:
        """The resource's point, or its provider's home area's centroid."""
        if resource.lat is not None and resource.lon is not None:
            return resource.lat, resource.lon
        provider = self.organisations.get(resource.provider_id or "")
        home = self.areas.get(provider.home_area_code) if provider else None
        if home is not None and home.lat is not None and home.lon is not None:
            return home.lat, home.lon
        return None

    def distance_km(self, village_code: str, resource: Resource) -> float | None:
        village = self.areas.get(village_code)
        point = self.location(resource)
        if village is None or village.lat is None or village.lon is None or point is None:
            return None
        return round(haversine_km(village.lat, village.lon, point[0], point[1]), 2)

    def load(self, resource: Resource) -> float | None:
        """Live tasks / capacity of the resource's provider (None: unknown or not limited)."""
        provider = self.organisations.get(resource.provider_id or "")
        if provider is None or not provider.capacity:
            return None
        return round(self.live_tasks[provider.id] / provider.capacity, 3)


def load_pool(uow: UnitOfWork, village_codes: Iterable[str]) -> Pool:
    """Every resource with its providers, the given villages' and providers' areas, and usage."""
    resources = uow.find(Resource)
    organisations = uow.get_many(Organisation, {r.provider_id for r in resources if r.provider_id})
    codes = set(village_codes) | {o.home_area_code for o in organisations.values()}
    areas = uow.get_many(Area, codes)
    live_referrals: Counter[str] = Counter(
        r.resource_id
        for r in uow.find(Referral, where(status=ReferralStatus.ACTIVE, resource_id__is_null=False))
        if r.resource_id
    )
    hops = uow.find(ReferralHop, where(status__in=list(OPEN_HOP_STATUSES), assignee_label="Organisation"))
    live_tasks: Counter[str] = Counter(h.assignee_id for h in hops if h.assignee_id)
    return Pool(resources, organisations, areas, live_referrals, live_tasks)


def load_facts(uow: UnitOfWork, households: Iterable[Household], day: date) -> dict[str, HouseholdFacts]:
    """The eligibility facts of households: living members and the benefits received on `day`."""
    by_id = {h.id: h for h in households}
    persons: dict[str, list[Person]] = defaultdict(list)
    for chunk in batched(sorted(by_id), _CHUNK):
        for person in uow.find(Person, [Filter("household_id", Op.IN, chunk)]):
            persons[person.household_id].append(person)
    facts: dict[str, HouseholdFacts] = {}
    for hid, household in by_id.items():
        receives = [
            n.node
            for n in uow.neighbours(household.ref, ["RECEIVES"], Direction.OUT, label=Resource.LABEL)
            if isinstance(n.node, Resource)
            and isinstance(n.rel, Receives)
            and (n.rel.until is None or n.rel.until >= day)
        ]
        facts[hid] = facts_of(household, persons[hid], receives, day)
    return facts
