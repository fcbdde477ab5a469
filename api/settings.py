"""Typed settings, read from the environment (prefix ZHULIAN_) when an entry point starts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from platformdirs import user_data_dir
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from referral.routing.deadlines import Deadlines


def default_store_path() -> str:
    """The default embedded store: `zhulian.db` in the user's data directory."""
    return str(Path(user_data_dir("zhulian", appauthor=False)) / "zhulian.db")


class Settings(BaseSettings):
    """Zhulian's configuration. Nothing is read at import time: build one in the entry point."""

    model_config = SettingsConfigDict(env_prefix="ZHULIAN_", extra="ignore")

    store: str = Field(
        default_factory=default_store_path,
        description="A file path (embedded store) or a neo4j:// or bolt:// URL",
    )
    neo4j_user: str | None = None
    neo4j_password: SecretStr | None = None
    neo4j_database: str | None = None
    # Signing key of access tokens. Unset with the embedded store: a random key is made once and kept
    # beside the store file (mode 0600). With Neo4j it must be set, so every server signs alike.
    secret_key: SecretStr | None = None
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    session_days: int = Field(default=7, ge=1, le=90)
    login_failures_per_account: int = Field(default=5, ge=1)
    login_failures_per_address: int = Field(default=20, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)
    # Minutes between runs of the deadline check (escalation) in the server; 0 turns it off.
    escalation_interval_minutes: int = Field(default=5, ge=0, le=24 * 60)
    # Deadlines of a hop, in days (decision 0007; DOMAIN.md section 5: urgent 3, general 7).
    deadline_complete_urgent_days: float = Field(default=3, gt=0, le=365)
    deadline_complete_general_days: float = Field(default=7, gt=0, le=365)
    deadline_accept_urgent_days: float = Field(default=1, gt=0, le=365)
    deadline_accept_general_days: float = Field(default=2, gt=0, le=365)
    escalation_county_grace_days: float = Field(default=1, ge=0, le=365)

    def deadlines(self) -> Deadlines:
        """The hop deadlines these settings configure."""
        return Deadlines(
            complete_urgent=timedelta(days=self.deadline_complete_urgent_days),
            complete_general=timedelta(days=self.deadline_complete_general_days),
            accept_urgent=timedelta(days=self.deadline_accept_urgent_days),
            accept_general=timedelta(days=self.deadline_accept_general_days),
            county_grace=timedelta(days=self.escalation_county_grace_days),
        )

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
