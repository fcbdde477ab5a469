"""Sign-in attempt limits per account and per client address (sliding window, in this process).

Failures count; a success clears the account's count. One server process holds the counts: behind
several processes each limits on its own (docs/security.md).
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta

from referral.access.errors import TooManyAttempts


def _account_key(account: str) -> str:
    # As sign-in looks the user up: " Village " must not get a fresh allowance of attempts.
    return account.strip().lower()


class LoginLimiter:
    def __init__(self, *, per_account: int, per_address: int, window: timedelta) -> None:
        self._limits = {"account": per_account, "address": per_address}
        self._window = window
        self._failures: dict[tuple[str, str], deque[datetime]] = {}
        self._lock = threading.Lock()
        self._swept: datetime | None = None

    def __len__(self) -> int:
        """How many accounts and addresses have failures on record."""
        with self._lock:
            return len(self._failures)

    def _recent(self, key: tuple[str, str], now: datetime) -> deque[datetime]:
        times = self._failures.get(key, deque())
        while times and times[0] <= now - self._window:
            times.popleft()
        if not times:
            self._failures.pop(key, None)
        return times

    def _sweep(self, now: datetime) -> None:
        """Once a window, forget every key without recent failures, so names tried once and never
        again (a spray of made-up accounts) do not pile up."""
        if self._swept is not None and now - self._swept < self._window:
            return
        self._swept = now
        for key in list(self._failures):
            self._recent(key, now)

    def check(self, account: str, address: str, now: datetime) -> None:
        """TooManyAttempts (429, with Retry-After) while either limit is reached."""
        with self._lock:
            self._sweep(now)
            for kind, value in (("account", _account_key(account)), ("address", address)):
                times = self._recent((kind, value), now)
                if len(times) >= self._limits[kind]:
                    retry = max(1, int((times[0] + self._window - now).total_seconds()) + 1)
                    raise TooManyAttempts(
                        f"登录失败次数过多, 请 {retry} 秒后再试 / too many failed sign-ins for this {kind};"
                        f" try again in {retry} s",
                        retry_after=retry,
                    )

    def failed(self, account: str, address: str, now: datetime) -> None:
        with self._lock:
            self._sweep(now)
            for key in (("account", _account_key(account)), ("address", address)):
                times = self._recent(key, now)
                times.append(now)
                self._failures[key] = times

    def succeeded(self, account: str) -> None:
        with self._lock:
            self._failures.pop(("account", _account_key(account)), None)
