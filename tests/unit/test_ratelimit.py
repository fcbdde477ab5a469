"""Sign-in limits: sliding windows per account and per address, Retry-After, and no pile-up of keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.ratelimit import LoginLimiter
from referral.access.errors import TooManyAttempts

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)


def limiter(per_account: int = 3, per_address: int = 10) -> LoginLimiter:
    return LoginLimiter(per_account=per_account, per_address=per_address, window=WINDOW)


def fail(limits: LoginLimiter, times: int, account: str = "village", address: str = "10.0.0.1",
         at: datetime = T0) -> None:  # fmt: skip
    for _ in range(times):
        limits.check(account, address, at)
        limits.failed(account, address, at)


def test_the_account_is_refused_after_n_failures_with_retry_after() -> None:
    limits = limiter(per_account=3)
    fail(limits, 3)
    with pytest.raises(TooManyAttempts, match="account") as refused:
        limits.check("village", "10.0.0.2", T0 + timedelta(minutes=5))  # from another address too
    assert refused.value.retry_after == 10 * 60 + 1
    assert refused.value.status_code == 429
    limits.check("township", "10.0.0.2", T0)  # other accounts are unaffected


@pytest.mark.parametrize("spelling", ["VILLAGE", " village", "village\t", " Village "])
def test_spellings_of_one_account_share_its_count(spelling: str) -> None:
    limits = limiter(per_account=3)
    fail(limits, 3, account=spelling)
    with pytest.raises(TooManyAttempts):
        limits.check("village", "10.0.0.9", T0)


def test_the_window_slides() -> None:
    limits = limiter(per_account=3)
    fail(limits, 1, at=T0)
    fail(limits, 2, at=T0 + timedelta(minutes=10))
    with pytest.raises(TooManyAttempts) as refused:
        limits.check("village", "x", T0 + timedelta(minutes=14))
    assert refused.value.retry_after == 60 + 1  # when the oldest failure leaves the window
    limits.check("village", "x", T0 + WINDOW)  # the first failure has left: 2 of 3
    with pytest.raises(TooManyAttempts):
        fail(limits, 2, at=T0 + WINDOW)
    limits.check("village", "x", T0 + timedelta(minutes=30, seconds=1))


def test_the_address_limit_counts_failures_across_accounts() -> None:
    limits = limiter(per_account=100, per_address=4)
    for n in range(4):
        fail(limits, 1, account=f"user{n}")
    with pytest.raises(TooManyAttempts, match="address") as refused:
        limits.check("someone-new", "10.0.0.1", T0 + timedelta(seconds=30))
    assert refused.value.retry_after == 14 * 60 + 30 + 1
    limits.check("someone-new", "10.0.0.2", T0)  # another address is fine


def test_a_success_clears_the_account_but_not_the_address() -> None:
    limits = limiter(per_account=2, per_address=3)
    fail(limits, 2)
    limits.succeeded(" Village ")
    limits.check("village", "10.0.0.7", T0)
    fail(limits, 1, account="village")
    with pytest.raises(TooManyAttempts, match="address"):
        limits.check("village", "10.0.0.1", T0)


def test_idle_keys_are_dropped() -> None:
    limits = limiter(per_account=5, per_address=10_000)
    for n in range(500):  # a spray of made-up names, each tried once and never again
        limits.failed(f"made-up-{n}", f"10.0.0.{n % 2}", T0)
    assert len(limits) == 500 + 2
    limits.check("someone", "10.9.9.9", T0 + WINDOW + timedelta(seconds=1))
    assert len(limits) == 0
    limits.failed("someone", "10.9.9.9", T0 + WINDOW + timedelta(seconds=2))
    assert len(limits) == 2
