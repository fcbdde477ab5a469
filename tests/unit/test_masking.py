"""Masking of private values, and a member's view for every subset of opened kinds of data."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from graph.model import Person, new_id
from graph.model.enums import DisabilityKind, HealthStatus, PiiScope
from referral.access.masking import PERSON_FIELDS, mask_id_number, mask_name, mask_phone
from referral.registry.service import person_view

T0 = datetime(2026, 1, 1, tzinfo=UTC)
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _with_check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


id_numbers = st.builds(
    lambda born, seq: _with_check_digit(f"362128{born:%Y%m%d}{seq:03d}"),  # 龙南县, as seeded
    st.dates(date(1940, 1, 1), date(1996, 12, 31)),
    st.integers(0, 999),
)
mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
landlines = st.from_regex(r"0[0-9]{2,3}-[0-9]{7,8}", fullmatch=True)
names = st.text(
    st.characters(categories=["Lo", "Lu", "Ll", "Mn"], exclude_characters="*"), min_size=1, max_size=20
)


@given(id_numbers)
def test_id_number_keeps_first_and_last_four(number: str) -> None:
    masked = mask_id_number(number)
    assert len(masked) == len(number) == 18
    assert masked[:4] == number[:4] and masked[-4:] == number[-4:]
    assert masked[4:-4] == "*" * 10


@given(st.text(min_size=0, max_size=40))
def test_id_number_mask_never_reveals_the_middle(value: str) -> None:
    masked = mask_id_number(value)
    assert len(masked) == len(value)
    if len(value) <= 8:
        assert set(masked) <= {"*"}
    else:
        assert masked[:4] == value[:4] and masked[-4:] == value[-4:]
        assert set(masked[4:-4]) == {"*"}


@given(mobiles)
def test_mobile_keeps_first_three_and_last_four(phone: str) -> None:
    masked = mask_phone(phone)
    assert len(masked) == len(phone)
    assert masked == phone[:3] + "****" + phone[-4:]


@given(landlines)
def test_landline_keeps_area_code_and_last_four(phone: str) -> None:
    area, _, number = phone.partition("-")
    masked = mask_phone(phone)
    assert len(masked) == len(phone)
    assert masked == f"{area}-" + "*" * (len(number) - 4) + number[-4:]


@given(st.one_of(mobiles, landlines, st.text(max_size=30)))
def test_phone_mask_hides_at_least_what_it_must(phone: str) -> None:
    masked = mask_phone(phone)
    assert len(masked) == len(phone)
    assert "*" in masked or phone in ("", "-") or phone.endswith("-")
    digits_shown = sum(c.isdigit() for c in masked)
    assert digits_shown <= 4 + (len(phone.partition("-")[0]) if "-" in phone else 3)


@given(names)
def test_name_shows_only_the_family_name(name: str) -> None:
    masked = mask_name(name)
    if len(name) == 1:
        assert masked == "*"
    else:
        assert masked == name[0] + "*" * (len(name) - 1)
        assert len(masked) == len(name)


def test_person_fields_cover_every_private_field() -> None:
    assert set(PERSON_FIELDS) == set(Person.PII)


people = st.builds(
    lambda name, number, phone, born, grade: Person(
        id=new_id(),
        household_id=new_id(),
        name=name,
        id_number=number,
        birth_date=born,
        phone=phone,
        health=HealthStatus.SERIOUS if grade else HealthStatus.CHRONIC,
        illnesses=["高血压"],
        disability_grade=grade,
        disability_kind=DisabilityKind.PHYSICAL if grade else None,
        income_wage_fen=123_400,
        created_at=T0,
        updated_at=T0,
    ),
    names.filter(lambda n: n.strip() == n and n),
    st.none() | id_numbers,
    st.none() | mobiles | landlines,
    st.none() | st.dates(date(1920, 1, 1), date(2024, 12, 31)),
    st.none() | st.integers(1, 4),
)


@settings(max_examples=200)
@given(people, st.frozensets(st.sampled_from(list(PiiScope))))
def test_person_view_opens_only_the_scopes_given(person: Person, pii: frozenset[PiiScope]) -> None:
    view = person_view(person, pii, date(2026, 11, 2))
    opened = {field for field, scope in PERSON_FIELDS.items() if scope in pii}
    assert set(view.masked) == set(PERSON_FIELDS) - opened
    for field in PERSON_FIELDS:
        actual, shown = getattr(person, field), getattr(view, field)
        if field in opened:
            assert shown == actual, field
        elif field == "name":
            assert shown == mask_name(actual)
        elif field == "id_number" and actual is not None:
            assert shown == mask_id_number(actual) and shown != actual
        elif field == "phone" and actual is not None:
            assert shown == mask_phone(actual) and shown != actual
        else:
            assert shown is None, field
    dumped = view.model_dump_json()
    for field in set(PERSON_FIELDS) - opened:
        actual = getattr(person, field)
        if isinstance(actual, str) and len(actual) > 8:  # long enough not to occur by chance
            assert actual not in dumped, field
