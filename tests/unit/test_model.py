"""Rules of the graph model itself."""

from __future__ import annotations

import types
import typing
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel, ValidationError

from graph.model import NODE_TYPES, REL_TYPES, Area, Household, Node, Person, format_timestamp
from graph.model.base import LabelledEnum
from graph.model.enums import AreaLevel, TargetGroup
from tests.builders import T0, household, person


def test_the_model_covers_the_domain() -> None:
    expected = {
        "Area",
        "Household",
        "Person",
        "Need",
        "Warning",
        "Event",
        "Organisation",
        "AllianceBody",
        "Resource",
        "Referral",
        "ReferralHop",
        "Outcome",
        "SourceRecord",
        "User",
        "Consent",
        "Plan",
        "RiskAssessment",
        "StatusChange",
        "AuditEntry",
        "ImportBatch",
    }
    assert expected <= set(NODE_TYPES)
    assert {"KIN_OF", "NEIGHBOUR_OF", "SUPPORTS", "PART_OF", "FIRST_HOP", "NEXT_HOP", "DERIVED_FROM"} <= set(
        REL_TYPES
    )


def test_naive_timestamps_are_rejected_and_aware_ones_stored_in_utc() -> None:
    with pytest.raises(ValidationError, match="timezone-aware"):
        household(created_at=datetime(2026, 3, 1, 8, 30))
    beijing = datetime.fromisoformat("2026-03-01T16:30:00+08:00")
    h = household(created_at=beijing)
    assert h.created_at == T0 and h.created_at.tzinfo is UTC
    assert h.to_props()["created_at"] == "2026-03-01T08:30:00.000000Z"
    assert format_timestamp(beijing) == "2026-03-01T08:30:00.000000Z"


def test_money_must_be_integer_fen() -> None:
    with pytest.raises(ValidationError):
        household(income_wage_fen=1234.5)
    with pytest.raises(ValidationError):
        household(income_wage_fen=1234.0)


def test_invalid_id_number_is_refused_as_a_key_but_can_be_kept_raw() -> None:
    with pytest.raises(ValidationError, match="check digit"):
        person("h", id_number="110105194912310021")
    kept = person("h", id_number_raw="110105194912310021", id_number_issue="checksum")
    assert kept.id_number is None and kept.id_number_raw == "110105194912310021"


def test_area_code_must_match_level_and_parent() -> None:
    with pytest.raises(ValidationError, match="village code, not township"):
        Area(code="360783100201", level=AreaLevel.TOWNSHIP, name="x")
    with pytest.raises(ValidationError, match="does not contain"):
        Area(code="360783100201", level=AreaLevel.VILLAGE, name="x", parent_code="360783101000")
    assert Area(code="360783", level=AreaLevel.COUNTY, name="龙南市").code == "360783000000"


def test_grid_must_lie_in_the_household_village() -> None:
    with pytest.raises(ValidationError, match="not in village"):
        household(grid_code="360783101200001")


def test_unknown_fields_are_rejected() -> None:
    with pytest.raises(ValidationError, match="extra"):
        Household(id="h", village_code="360783100201", created_at=T0, updated_at=T0, secret="x")  # type: ignore[call-arg]


def _allows_none(annotation: object) -> bool:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _allows_none(typing.get_args(annotation)[0])
    return origin in (typing.Union, types.UnionType) and type(None) in typing.get_args(annotation)


@pytest.mark.parametrize("cls", sorted(NODE_TYPES.values(), key=lambda c: c.LABEL), ids=lambda c: c.LABEL)
def test_optional_properties_default_to_none(cls: type[Node]) -> None:
    """Neo4j drops null properties, so a nullable field must read back as its default: None."""
    for name, field in cls.model_fields.items():
        if _allows_none(field.annotation):
            assert field.default is None, f"{cls.LABEL}.{name}"


@pytest.mark.parametrize("cls", sorted(NODE_TYPES.values(), key=lambda c: c.LABEL), ids=lambda c: c.LABEL)
def test_private_fields_and_indexes_name_real_properties(cls: type[Node]) -> None:
    assert cls.property_names() >= cls.PII
    assert set(cls.INDEXED) <= cls.property_names()


def test_nested_properties_are_refused_at_class_definition() -> None:
    class Inner(BaseModel):
        x: int

    with pytest.raises(TypeError, match="scalar or a list of scalars"):
        type("Bad", (Node,), {"__annotations__": {"id": str, "inner": Inner}, "LABEL": "Bad"})


def test_every_enum_member_has_chinese_and_english_labels() -> None:
    import graph.model.enums as enums

    for obj in vars(enums).values():
        if isinstance(obj, type) and issubclass(obj, LabelledEnum) and obj is not LabelledEnum:
            for member in obj:
                assert member.zh != member.value and member.en, member  # a Chinese label was given
    assert TargetGroup.DIBAO.label("zh") == "低保对象"
    assert TargetGroup.DIBAO.label("en") == "Minimum living guarantee recipient"


def test_person_round_trips_through_props() -> None:
    p = person("h", id_number="11010519491231002X", skills=["电焊", "驾驶"])
    assert Person.from_props(p.to_props()) == p


def test_alliance_body_level_matches_its_area() -> None:
    from graph.model import AllianceBody
    from graph.model.enums import AllianceLevel

    with pytest.raises(ValidationError, match="township alliance body covers a township"):
        AllianceBody(id="b", level=AllianceLevel.TOWNSHIP, area_code="360783100201", name="x", created_at=T0)
    body = AllianceBody(
        id="b", level=AllianceLevel.VILLAGE, area_code="360783100201", name="x", created_at=T0
    )
    assert body.area_code == "360783100201"


def test_needs_belong_to_a_village_and_status_changes_to_a_workflow_label() -> None:
    from graph.model import Need, StatusChange

    with pytest.raises(ValidationError, match="village-level"):
        Need(
            id="n",
            household_id="h",
            village_code="360783100000",
            type="medical",
            urgency="urgent",
            channel="home_visit",
            reported_by="u",
            created_at=T0,
            updated_at=T0,
        )
    with pytest.raises(ValidationError):
        StatusChange(id="s", subject_label="Household", subject_id="h", to_status="x", by="u", at=T0)


@pytest.mark.parametrize("cls", sorted(REL_TYPES.values(), key=lambda c: c.TYPE), ids=lambda c: c.TYPE)
def test_relationship_private_fields_name_real_properties(cls: type) -> None:
    assert cls.property_names() >= cls.PII
