"""Access tokens: short-lived JWTs (HS256) naming the user and the session they belong to.

A token is only as good as its session: every request also checks that the session is open and the
user enabled, so logout, a password reset or disabling the user ends the token at once.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import jwt

from api.settings import Settings
from graph.errors import ConfigurationError
from graph.factory import is_neo4j_url
from referral.access.errors import NotAuthenticated

ALGORITHM = "HS256"
ISSUER = "zhulian"
AUDIENCE = "zhulian-api"


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: str
    session_id: str
    password_change_required: bool


class TokenCodec:
    """Signs and checks access tokens with one secret key."""

    def __init__(self, key: str, lifetime: timedelta) -> None:
        if len(key) < 32:
            raise ConfigurationError("ZHULIAN_SECRET_KEY must have at least 32 characters")
        self._key = key
        self.lifetime = lifetime

    def issue(self, *, user_id: str, session_id: str, password_change_required: bool, now: datetime) -> str:
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": user_id,
            "sid": session_id,
            "pwc": password_change_required,
            "iat": int(now.timestamp()),
            "exp": int((now + self.lifetime).timestamp()),
            "jti": secrets.token_hex(8),
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def check(self, token: str, *, now: datetime) -> AccessClaims:
        """The claims of a valid, unexpired token; NotAuthenticated for anything else."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                # Time claims are checked against the app's clock below, never the OS clock.
                options={
                    "require": ["exp", "iat", "sub", "sid"],
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise NotAuthenticated("令牌无效 / invalid access token") from exc
        # Expiry is checked against the app's clock (not the OS clock) so it can be tested.
        if not isinstance(claims["exp"], int) or claims["exp"] <= now.timestamp():
            raise NotAuthenticated("令牌已过期 / the access token has expired; refresh or sign in again")
        if not isinstance(claims["sub"], str) or not isinstance(claims["sid"], str):
            raise NotAuthenticated("令牌无效 / invalid access token")
        return AccessClaims(claims["sub"], claims["sid"], bool(claims.get("pwc", False)))


def signing_key(settings: Settings) -> str:
    """The configured key, or for an embedded store the key kept beside it (made on first use)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    if is_neo4j_url(settings.store):
        raise ConfigurationError(
            "set ZHULIAN_SECRET_KEY (32+ characters): every server must sign tokens alike"
        )
    path = Path(settings.store).expanduser().with_suffix(".key")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process starting on the same store made it first: use theirs
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
