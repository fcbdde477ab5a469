"""The registry read and write services: area tree, household search and detail, updates and consent.

Every function takes the caller's `Policy` and a unit of work; it never commits (the API runs it in a
managed transaction). Each response with private data shown unmasked appends one audit entry naming
the object and the kinds of data shown; every write appends one with the changed fields.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import ValidationError

from graph.errors import ConstraintViolation, InvalidInput, NodeNotFound
from graph.model import (
    Area,
    Consent,
    ConsentTo,
    Grants,
    Household,
    Need,
    Organisation,
    Person,
    new_id,
)
from graph.model.enums import PiiScope, TargetGroup
from graph.model.identity import check_id_number, parent_code
from graph.store import Filter, Op, Order, UnitOfWork, where
from referral.access.errors import Forbidden, StaleVersion
from referral.access.masking import (
    HOUSEHOLD_FIELDS,
    NEED_FIELDS,
    PERSON_FIELDS,
    mask_id_number,
    mask_name,
    mask_phone,
)
from referral.access.policy import Action, HouseholdAccess, Policy
from referral.audit import service as audit
from referral.registry.models import (
    AreaFigures,
    AreaNode,
    ConsentCreate,
    ConsentRevoke,
    ConsentView,
    HouseholdDetail,
    HouseholdFigures,
    HouseholdPage,
    HouseholdSummary,
    HouseholdUpdate,
    IncomeView,
    NeedView,
    PersonView,
)

_NAME_MATCH_CAP = 2_000  # persons a name search considers before paging households
_INCOME_FIELDS = tuple(IncomeView.model_fields)


# -- areas ----------------------------------------------------------------------------------------
def area_tree(uow: UnitOfWork, policy: Policy) -> list[AreaNode]:
    """The caller's areas with their subtrees, under their ancestors (shown for context)."""
    policy.require(Action.READ_AREAS)
    areas: dict[str, Area] = {}
    for prefix in policy.area_prefixes:
        for area in uow.find(Area, [Filter("code", Op.PREFIX, prefix)]):
            areas[area.code] = area
    missing = {a.parent_code for a in areas.values() if a.parent_code and a.parent_code not in areas}
    while missing:
        found = uow.get_many(Area, missing)
        areas.update(found)
        missing = {a.parent_code for a in found.values() if a.parent_code and a.parent_code not in areas}
    nodes = {
        code: AreaNode(
            code=a.code,
            name=a.name,
            level=a.level,
            parent_code=a.parent_code,
            in_scope=policy.covers_area(a.code),
        )
        for code, a in sorted(areas.items())
    }
    roots: list[AreaNode] = []
    for node in nodes.values():
        parent = nodes.get(node.parent_code) if node.parent_code else None
        (parent.children if parent else roots).append(node)
    return roots


# -- views ----------------------------------------------------------------------------------------
def _age(birth: date | None, today: date) -> int | None:
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def person_view(person: Person, pii: frozenset[PiiScope], today: date) -> PersonView:
    """A member as the caller may see them."""
    shown = {name for name, scope in PERSON_FIELDS.items() if scope in pii}
    masked = sorted(set(PERSON_FIELDS) - shown)

    def value(name: str, actual: Any) -> Any:
        return actual if name in shown else None

    id_number = person.id_number
    if id_number is not None and "id_number" not in shown:
        id_number = mask_id_number(id_number)
    phone = person.phone
    if phone is not None and "phone" not in shown:
        phone = mask_phone(phone)
    return PersonView(
        id=person.id,
        name=person.name if "name" in shown else mask_name(person.name),
        relation_to_head=person.relation_to_head,
        sex=person.sex,
        age=_age(person.birth_date, today),
        birth_date=value("birth_date", person.birth_date),
        id_number=id_number,
        id_number_raw=value("id_number_raw", person.id_number_raw),
        id_number_issue=person.id_number_issue,
        phone=phone,
        health=value("health", person.health),
        illnesses=value("illnesses", person.illnesses),
        disability_grade=value("disability_grade", person.disability_grade),
        disability_kind=value("disability_kind", person.disability_kind),
        labour_ability=person.labour_ability,
        skills=person.skills,
        schooling=person.schooling,
        employed=person.employed,
        income_wage_fen=value("income_wage_fen", person.income_wage_fen),
        deceased=person.deceased_on is not None,
        masked=masked,
    )


def _need_view(need: Need, pii: frozenset[PiiScope]) -> NeedView:
    masked = sorted(n for n, scope in NEED_FIELDS.items() if scope not in pii)
    return NeedView(
        id=need.id,
        type=need.type,
        urgency=need.urgency,
        status=need.status,
        description=None if "description" in masked else need.description,
        report_count=need.report_count,
        created_at=need.created_at,
        masked=masked,
    )


def _consent_view(consent: Consent, organisation: Organisation | None, today: date) -> ConsentView:
    active = consent.revoked_at is None and (consent.valid_until is None or today <= consent.valid_until)
    return ConsentView(
        id=consent.id,
        organisation_id=consent.organisation_id,
        organisation_name=organisation.name if organisation else None,
        scopes=consent.scopes,
        purpose=consent.purpose,
        given_by_person_id=consent.given_by_person_id,
        given_at=consent.given_at,
        valid_until=consent.valid_until,
        revoked_at=consent.revoked_at,
        recorded_by=consent.recorded_by,
        active=active,
    )


def _detail(
    uow: UnitOfWork, policy: Policy, household: Household, access: HouseholdAccess
) -> HouseholdDetail:
    pii, today = access.pii, policy.now.date()
    members = uow.find(Person, where(household_id=household.id), order_by=[Order("created_at")])
    needs = uow.find(Need, where(household_id=household.id), order_by=[Order("created_at", descending=True)])
    consents = uow.find(Consent, where(household_id=household.id), order_by=[Order("given_at")])
    # A provider or liaison sees only its own organisation's consents.
    if access.via != "area":
        consents = [c for c in consents if c.organisation_id == policy.principal.organisation_id]
    organisations = uow.get_many(Organisation, {c.organisation_id for c in consents})
    township = parent_code(household.village_code) or household.village_code
    areas = uow.get_many(Area, [household.village_code, township])
    masked = sorted(name for name, scope in HOUSEHOLD_FIELDS.items() if scope not in pii)
    income = (
        IncomeView(**{name: getattr(household, name) for name in _INCOME_FIELDS})
        if "income" not in masked
        else None
    )
    return HouseholdDetail(
        id=household.id,
        version=household.version,
        access="area" if access.via == "area" else "assignment",
        village_code=household.village_code,
        village_name=areas[household.village_code].name if household.village_code in areas else None,
        township_code=township,
        township_name=areas[township].name if township in areas else None,
        grid_code=household.grid_code,
        address=None if "address" in masked else household.address,
        urban=household.urban,
        head_person_id=household.head_person_id,
        member_count=household.member_count,
        categories=household.categories,
        risk_level=household.risk_level,
        housing_safe=household.housing_safe,
        drinking_water_safe=household.drinking_water_safe,
        medical_insured=household.medical_insured,
        income=income,
        members=[person_view(p, pii, today) for p in members],
        needs=[_need_view(n, pii) for n in needs],
        consents=[_consent_view(c, organisations.get(c.organisation_id), today) for c in consents],
        created_at=household.created_at,
        updated_at=household.updated_at,
        masked=masked,
    )


def household_detail(uow: UnitOfWork, policy: Policy, household_id: str) -> HouseholdDetail:
    """One household with its members, needs and consents, masked for the caller (404 outside scope)."""
    household, access = policy.load_household(uow, household_id, Action.READ_HOUSEHOLD)
    detail = _detail(uow, policy, household, access)
    policy.log_pii_read(uow, household.id, access.pii)
    return detail


# -- search ---------------------------------------------------------------------------------------
def _households_named(uow: UnitOfWork, name: str) -> list[str]:
    persons = uow.find(Person, [Filter("name", Op.PREFIX, name)], limit=_NAME_MATCH_CAP)
    return sorted({p.household_id for p in persons})


def _households_with_id_number(uow: UnitOfWork, id_number: str) -> list[str]:
    check = check_id_number(id_number)
    number = check.number if check.valid and check.number else id_number.strip().upper()
    persons = uow.find(Person, where(id_number=number)) + uow.find(Person, where(id_number_raw=number))
    return sorted({p.household_id for p in persons})


def search_households(
    uow: UnitOfWork,
    policy: Policy,
    *,
    name: str | None = None,
    id_number: str | None = None,
    category: TargetGroup | None = None,
    risk_level: int | None = None,
    village: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> HouseholdPage:
    """Households in the caller's areas matching every given criterion, a page at a time."""
    policy.require(Action.SEARCH_HOUSEHOLDS)
    filters = policy.household_filters(uow)
    if id_number is not None:
        # Searching by ID number would confirm numbers the caller is not allowed to read.
        if PiiScope.ID_NUMBER not in policy.area_pii():
            raise Forbidden(
                "角色无权按身份证号查询 / your role may not search by ID number", field="id_number"
            )
        filters.append(Filter("id", Op.IN, _households_with_id_number(uow, id_number)))
    if name is not None:
        filters.append(Filter("id", Op.IN, _households_named(uow, name)))
    if category is not None:
        filters.append(Filter("categories", Op.CONTAINS, category))
    if risk_level is not None:
        filters.append(Filter("risk_level", Op.EQ, risk_level))
    if village is not None:
        filters.append(Filter("village_code", Op.EQ, village))
    total = uow.count(Household, filters)
    page = uow.find(
        Household, filters, order_by=[Order("village_code"), Order("id")], limit=limit, offset=offset
    )
    heads = uow.get_many(Person, [h.head_person_id for h in page if h.head_person_id])
    villages = uow.get_many(Area, {h.village_code for h in page})
    pii = policy.area_pii()
    items = [
        HouseholdSummary(
            id=h.id,
            village_code=h.village_code,
            village_name=villages[h.village_code].name if h.village_code in villages else None,
            head_name=_head_name(heads.get(h.head_person_id or ""), pii),
            member_count=h.member_count,
            categories=h.categories,
            risk_level=h.risk_level,
            updated_at=h.updated_at,
        )
        for h in page
    ]
    if PiiScope.NAME in pii:
        policy.log_pii_list_read(uow, "search", [PiiScope.NAME], [i.id for i in items])
    return HouseholdPage(total=total, limit=limit, offset=offset, items=items)


def _head_name(head: Person | None, pii: frozenset[PiiScope]) -> str | None:
    if head is None:
        return None
    return head.name if PiiScope.NAME in pii else mask_name(head.name)


# -- writes ---------------------------------------------------------------------------------------
_SCOPE_OF_UPDATE = {"address": PiiScope.ADDRESS, **dict.fromkeys(_INCOME_FIELDS, PiiScope.INCOME)}


def update_household(
    uow: UnitOfWork, policy: Policy, household_id: str, expected_version: int, changes: HouseholdUpdate
) -> HouseholdDetail:
    """Apply changes if the household is still at `expected_version` (409 otherwise)."""
    household, access = policy.load_household(uow, household_id, Action.WRITE_HOUSEHOLD)
    update = changes.model_dump(exclude_unset=True)
    hidden = sorted(f for f in update if f in _SCOPE_OF_UPDATE and _SCOPE_OF_UPDATE[f] not in access.pii)
    if hidden:
        raise Forbidden(f"无权修改这些字段 / you may not change: {', '.join(hidden)}", fields=hidden)
    if household.version != expected_version:
        raise StaleVersion(
            f"户 {household_id} 已被他人修改 / household changed since version {expected_version}"
            f" (now {household.version}); reload and try again",
            current_version=household.version,
        )
    before = household.to_props()
    try:
        updated = Household.model_validate(
            {**before, **update, "version": household.version + 1, "updated_at": policy.now}
        )
    except ValidationError as exc:
        raise _invalid_update(exc, update) from None
    if not uow.update_if(updated, {"version": household.version}):
        raise StaleVersion(
            f"户 {household_id} 已被他人修改 / household changed while saving; reload and try again"
        )
    changed = audit.changed_fields(
        {k: before.get(k) for k in update}, {k: updated.to_props().get(k) for k in update}
    )
    audit.append(
        uow,
        actor=policy.principal.actor,
        action="update",
        object_label=Household.LABEL,
        object_id=household_id,
        at=policy.now,
        changes={**changed, "version": [household.version, updated.version]},
    )
    detail = _detail(uow, policy, updated, access)
    policy.log_pii_read(uow, household_id, access.pii)  # the answer shows the household like a read
    return detail


def _invalid_update(exc: ValidationError, update: dict[str, Any]) -> InvalidInput:
    """The update's errors named by field, echoing only values the caller sent (never stored data)."""
    errors: list[dict[str, object]] = []
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ())]
        # A rule across fields (a model validator) has no location: name the fields that changed.
        for name in loc[:1] or sorted(update):
            errors.append(
                {"field": f"body:{name}", "value": update.get(name), "message": error.get("msg", "")}
            )
    fields = ", ".join(str(e["field"]) for e in errors)
    return InvalidInput(f"输入无效 / invalid values in: {fields}", errors)


def record_consent(uow: UnitOfWork, policy: Policy, household_id: str, body: ConsentCreate) -> ConsentView:
    """Record a household's consent for an organisation to see some of its private data."""
    household, _access = policy.load_household(uow, household_id, Action.RECORD_CONSENT)
    organisation = uow.get(Organisation, body.organisation_id)
    if organisation is None:
        raise NodeNotFound(
            f"机构 {body.organisation_id} 不存在 / organisation not found", field="organisation_id"
        )
    if body.given_by_person_id is not None:
        person = uow.get(Person, body.given_by_person_id)
        if person is None or person.household_id != household.id:
            raise ConstraintViolation(
                "同意人不是本户成员 / given_by_person_id is not a member of this household",
                field="given_by_person_id",
            )
    if body.valid_until is not None and body.valid_until < policy.now.date():
        raise ConstraintViolation("valid_until 早于今天 / valid_until is in the past", field="valid_until")
    consent = Consent(
        id=new_id(),
        household_id=household.id,
        organisation_id=organisation.id,
        scopes=sorted(set(body.scopes)),
        purpose=body.purpose,
        given_by_person_id=body.given_by_person_id,
        given_at=policy.now,
        valid_until=body.valid_until,
        recorded_by=policy.principal.actor,
    )
    uow.create(consent)
    uow.relate(Grants(start=household.ref, end=consent.ref))
    uow.relate(ConsentTo(start=consent.ref, end=organisation.ref))
    audit.append(
        uow,
        actor=policy.principal.actor,
        action="record_consent",
        object_label=Consent.LABEL,
        object_id=consent.id,
        at=policy.now,
        changes={
            "household_id": [None, household.id],
            "organisation_id": [None, organisation.id],
            "scopes": [None, [s.value for s in consent.scopes]],
            "valid_until": [None, str(consent.valid_until) if consent.valid_until else None],
        },
    )
    return _consent_view(consent, organisation, policy.now.date())


def revoke_consent(
    uow: UnitOfWork, policy: Policy, household_id: str, consent_id: str, body: ConsentRevoke
) -> ConsentView:
    """Revoke a consent from now on; revoking twice changes nothing."""
    household, _access = policy.load_household(uow, household_id, Action.RECORD_CONSENT)
    consent = uow.get(Consent, consent_id)
    if consent is None or consent.household_id != household.id:
        raise NodeNotFound(f"授权 {consent_id} 不存在 / consent not found", key=consent_id)
    organisation = uow.get(Organisation, consent.organisation_id)
    if consent.revoked_at is not None:
        return _consent_view(consent, organisation, policy.now.date())
    revoked = consent.model_copy(update={"revoked_at": policy.now})
    if not uow.update_if(revoked, {"revoked_at": None}):
        raise StaleVersion("授权已被修改 / the consent changed while revoking; reload and try again")
    audit.append(
        uow,
        actor=policy.principal.actor,
        action="revoke_consent",
        object_label=Consent.LABEL,
        object_id=consent.id,
        at=policy.now,
        changes={"revoked_at": [None, policy.now.isoformat()], "reason": [None, body.reason]},
    )
    return _consent_view(revoked, organisation, policy.now.date())


# -- figures --------------------------------------------------------------------------------------
def household_figures(uow: UnitOfWork, policy: Policy) -> HouseholdFigures:
    """Counts of households by township (or village, for a township's staff), risk level and group."""
    policy.require(Action.READ_FIGURES)
    villages = policy.villages_in_scope(uow)
    townships = sorted({parent_code(v) or v for v in villages})
    by_township = len(townships) > 1
    groups = townships if by_township else villages
    names = uow.get_many(Area, groups)
    areas: list[AreaFigures] = []
    for code in groups:
        members = [v for v in villages if (parent_code(v) == code if by_township else v == code)]
        base = [Filter("village_code", Op.IN, members)]
        areas.append(
            AreaFigures(
                code=code,
                name=names[code].name if code in names else code,
                households=uow.count(Household, base),
                by_risk_level={
                    str(level): uow.count(Household, [*base, Filter("risk_level", Op.EQ, level)])
                    for level in (1, 2, 3)
                },
                by_category={
                    g.value: uow.count(Household, [*base, Filter("categories", Op.CONTAINS, g)])
                    for g in TargetGroup
                },
            )
        )
    return HouseholdFigures(households=sum(a.households for a in areas), areas=areas)
