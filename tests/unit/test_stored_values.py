"""Values in their stored form: the fast path for UTC timestamps matches the model's serialiser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from graph.model.base import format_timestamp
from graph.store import stored_value


@given(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30))]),
)
def test_a_timestamp_is_stored_as_the_model_serialises_it(moment: datetime, zone: timezone) -> None:
    aware = moment.replace(tzinfo=zone)
    assert stored_value(aware) == format_timestamp(aware)
