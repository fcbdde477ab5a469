"""Errors of authentication and authorization; each carries the HTTP status it is rendered with."""

from __future__ import annotations

from graph.errors import ZhulianError


class NotAuthenticated(ZhulianError):
    """No valid credentials: missing, expired, tampered or revoked token, or a wrong password."""

    status_code = 401
    title = "Not authenticated"


class Forbidden(ZhulianError):
    """The caller's role may not do this at all (never used to hide whether an object exists)."""

    status_code = 403
    title = "Forbidden"


class PasswordChangeRequired(Forbidden):
    """The user signed in with a one-time password and must choose a new one first."""

    title = "Password change required"


class WrongCurrentPassword(Forbidden):
    """A password change gave the wrong current password (the session itself is fine: not 401)."""

    title = "Wrong current password"


class TooManyAttempts(ZhulianError):
    """Too many failed sign-ins for this account or from this address; try again later."""

    status_code = 429
    title = "Too many attempts"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


class StaleVersion(ZhulianError):
    """The object changed since the caller read it (optimistic concurrency)."""

    status_code = 409
    title = "Conflict: stale version"


class PreconditionRequired(ZhulianError):
    """An update came without the version it was based on (If-Match)."""

    status_code = 428
    title = "Precondition required"
