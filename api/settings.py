"""Typed settings, read from the environment (prefix ZHULIAN_) when an entry point starts."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_dir
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


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
