"""Timestamps in their stored form: the fast formatting gives exactly strftime's text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from graph.model import Household
from graph.model.base import TIMESTAMP_FORMAT, format_timestamp
from graph.store import stored_value

ZONES = st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30))])


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)), ZONES)
def test_a_timestamp_is_formatted_as_strftime_would(moment: datetime, zone: timezone) -> None:
    aware = moment.replace(tzinfo=zone)
    expected = aware.astimezone(UTC).strftime(TIMESTAMP_FORMAT)
    assert format_timestamp(aware) == expected
    assert stored_value(aware) == expected


@given(st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30)), ZONES)
def test_a_stored_timestamp_is_what_the_model_serialises(moment: datetime, zone: timezone) -> None:
    aware = moment.replace(tzinfo=zone)
    household = Household(id="h-1", village_code="360783100201", created_at=aware, updated_at=aware)
    assert household.to_props()["created_at"] == stored_value(aware)
    assert household.created_at.tzinfo is UTC
    assert household.created_at == aware  # the same instant
