"""The `store` fixture: every contract test runs against every store.

The embedded store always runs. Neo4j runs when ZHULIAN_NEO4J_URI (and ZHULIAN_NEO4J_USER,
ZHULIAN_NEO4J_PASSWORD, ZHULIAN_NEO4J_DATABASE) are set; its database is emptied before each test,
so point it at a database kept for tests. The API tests' Neo4j worlds (tests/api/conftest.py,
`neo4j_world`) use the same database and empty it too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.sqlite.store import SqliteStore
from graph.store import GraphStore

NEO4J_URI = os.environ.get("ZHULIAN_NEO4J_URI")
NEO4J_SKIP = (
    "Neo4j skipped: ZHULIAN_NEO4J_URI is not set, so the contract suite, the HTTP lifecycle and the "
    "200 concurrent claims ran on the embedded store only"
)


def neo4j_store() -> GraphStore:
    from graph.neo4j.store import Neo4jStore

    assert NEO4J_URI is not None
    store = Neo4jStore(
        NEO4J_URI,
        user=os.environ.get("ZHULIAN_NEO4J_USER", "neo4j"),
        password=os.environ.get("ZHULIAN_NEO4J_PASSWORD"),
        database=os.environ.get("ZHULIAN_NEO4J_DATABASE"),
    )
    # Test set-up only: empty the test database (not a store operation the app can call).
    try:
        with store._driver.session(database=store.database) as session:  # type: ignore[attr-defined]
            session.run("MATCH (n) DETACH DELETE n").consume()
    except BaseException:
        store.close()
        raise
    return store


# Neo4j joins the parameters only when configured; otherwise test_neo4j_configured.py reports the
# skip once, instead of one skip line per contract test.
@pytest.fixture(params=["sqlite", *(["neo4j"] if NEO4J_URI else [])])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """A fresh, schema-ready store of each kind."""
    if request.param == "sqlite":
        graph_store: GraphStore = SqliteStore(tmp_path / "zhulian.db", create=True)
    else:
        graph_store = neo4j_store()
    graph_store.ensure_schema()
    try:
        yield graph_store
    finally:
        graph_store.close()
