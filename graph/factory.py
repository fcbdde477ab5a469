"""Open the store a location names: a file path (embedded) or a neo4j:// / bolt:// URL."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from graph.errors import ConfigurationError
from graph.store import GraphStore

NEO4J_SCHEMES = ("neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc")


def is_neo4j_url(location: str) -> bool:
    """Whether `location` names a Neo4j server rather than an embedded store file."""
    return urlsplit(location).scheme in NEO4J_SCHEMES


def open_store(
    location: str,
    *,
    create: bool = False,
    neo4j_user: str | None = None,
    neo4j_password: str | None = None,
    neo4j_database: str | None = None,
) -> GraphStore:
    """Open (with `create`, also make) the store at `location`.

    Credentials for Neo4j come from the arguments or from the URL (`neo4j://user:pass@host`).
    """
    location = location.strip()
    if not location:
        raise ConfigurationError("ZHULIAN_STORE is empty: give a file path or a neo4j:// URL")
    scheme = urlsplit(location).scheme
    if is_neo4j_url(location):
        from graph.neo4j.store import Neo4jStore

        parts = urlsplit(location)
        user = neo4j_user or parts.username
        password = neo4j_password or parts.password
        host = parts.hostname or ""
        netloc = host + (f":{parts.port}" if parts.port else "")
        clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
        return Neo4jStore(clean, user=user, password=password, database=neo4j_database)
    if scheme and len(scheme) > 1 and scheme != "file":
        raise ConfigurationError(
            f"ZHULIAN_STORE: unsupported scheme {scheme!r} in {location!r} "
            f"(use a file path or one of {', '.join(s + '://' for s in NEO4J_SCHEMES)})"
        )
    from graph.sqlite.store import SqliteStore

    path = Path(urlsplit(location).path if scheme == "file" else location).expanduser()
    if path.is_dir():
        raise ConfigurationError(f"ZHULIAN_STORE: {path} is a directory; name a file, e.g. {path}/zhulian.db")
    return SqliteStore(path, create=create)
