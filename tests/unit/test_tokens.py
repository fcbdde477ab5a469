"""Access tokens and the signing key."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest

from api.settings import Settings
from api.tokens import AUDIENCE, ISSUER, TokenCodec, signing_key
from graph.errors import ConfigurationError
from referral.access.errors import NotAuthenticated

KEY = "unit-test-signing-key-" + "u" * 48  # 64+ bytes, so HS512 below does not warn
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def codec(lifetime: timedelta = timedelta(minutes=15), key: str = KEY) -> TokenCodec:
    return TokenCodec(key, lifetime)


def issue(tokens: TokenCodec, now: datetime = NOW, *, change: bool = False) -> str:
    return tokens.issue(user_id="user-1", session_id="session-1", password_change_required=change, now=now)


def test_an_issued_token_checks_out_with_its_claims() -> None:
    tokens = codec()
    claims = tokens.check(issue(tokens, change=True), now=NOW)
    assert (claims.user_id, claims.session_id, claims.password_change_required) == (
        "user-1",
        "session-1",
        True,
    )
    assert tokens.check(issue(tokens), now=NOW).password_change_required is False


def test_two_tokens_for_the_same_session_differ() -> None:
    tokens = codec()
    assert issue(tokens) != issue(tokens)


def test_expiry_is_judged_by_the_given_now_not_the_os_clock() -> None:
    tokens = codec(timedelta(minutes=15))
    token = issue(tokens)
    assert tokens.check(token, now=NOW + timedelta(minutes=14, seconds=59)).user_id == "user-1"
    with pytest.raises(NotAuthenticated, match="expired"):
        tokens.check(token, now=NOW + timedelta(minutes=15))
    # Far from the OS clock either way: only the given `now` matters.
    for when in (datetime(2001, 1, 1, tzinfo=UTC), datetime(2099, 1, 1, tzinfo=UTC)):
        assert tokens.check(issue(tokens, when), now=when + timedelta(minutes=1)).session_id == "session-1"
        with pytest.raises(NotAuthenticated):
            tokens.check(issue(tokens, when), now=when + timedelta(minutes=16))


def _claims(**overrides: object) -> dict[str, object]:
    claims: dict[str, object] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "sid": "session-1",
        "iat": int(NOW.timestamp()),
        "exp": int((NOW + timedelta(minutes=15)).timestamp()),
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(jwt.encode(_claims(), KEY, algorithm="HS256"), id="well-formed"),
        pytest.param(jwt.encode(_claims(aud="other-api"), KEY, algorithm="HS256"), id="wrong-audience"),
        pytest.param(jwt.encode(_claims(iss="someone"), KEY, algorithm="HS256"), id="wrong-issuer"),
        pytest.param(jwt.encode(_claims(aud=None), KEY, algorithm="HS256"), id="no-audience"),
        pytest.param(jwt.encode(_claims(sid=None), KEY, algorithm="HS256"), id="no-session"),
        pytest.param(jwt.encode(_claims(sub=None), KEY, algorithm="HS256"), id="no-subject"),
        pytest.param(jwt.encode(_claims(exp=None), KEY, algorithm="HS256"), id="no-expiry"),
        pytest.param(jwt.encode(_claims(sub=42), KEY, algorithm="HS256"), id="subject-not-a-string"),
        pytest.param(jwt.encode(_claims(), "another-key-" + "x" * 40, algorithm="HS256"), id="other-key"),
        pytest.param(jwt.encode(_claims(), KEY, algorithm="HS512"), id="other-algorithm"),
        pytest.param(jwt.encode(_claims(), None, algorithm="none"), id="alg-none"),
        pytest.param("not.a.token", id="garbage"),
        pytest.param("", id="empty"),
    ],
)
def test_only_a_well_formed_token_of_ours_is_accepted(token: str) -> None:
    tokens = codec()
    if token == jwt.encode(_claims(), KEY, algorithm="HS256"):
        assert tokens.check(token, now=NOW).user_id == "user-1"
        return
    with pytest.raises(NotAuthenticated):
        tokens.check(token, now=NOW)


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="32"):
        codec(key="k" * 31)
    assert codec(key="k" * 32).lifetime == timedelta(minutes=15)


def test_the_key_beside_an_embedded_store_is_made_once_private_and_reused(tmp_path: Path) -> None:
    settings = Settings(store=str(tmp_path / "data" / "zhulian.db"))
    first = signing_key(settings)
    path = tmp_path / "data" / "zhulian.key"
    assert path.exists() and len(first) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert signing_key(settings) == first
    assert signing_key(Settings(store=str(tmp_path / "other.db"))) != first  # each store its own key
    codec(key=first)  # long enough to sign with


def test_a_configured_key_wins_and_no_file_is_written(tmp_path: Path) -> None:
    settings = Settings(store=str(tmp_path / "zhulian.db"), secret_key=KEY)
    assert signing_key(settings) == KEY
    assert not (tmp_path / "zhulian.key").exists()


@pytest.mark.parametrize("url", ["neo4j://db.example:7687", "bolt://127.0.0.1:7687", "neo4j+s://db.example"])
def test_a_neo4j_store_needs_a_configured_key(url: str) -> None:
    with pytest.raises(ConfigurationError, match="ZHULIAN_SECRET_KEY"):
        signing_key(Settings(store=url))
    assert signing_key(Settings(store=url, secret_key=KEY)) == KEY
