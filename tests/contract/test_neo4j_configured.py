"""The one place that says whether the Neo4j tests ran.

Without ZHULIAN_NEO4J_URI, Neo4j is left out of the parameters of the contract suite's `store`
fixture and of the API tests that run on every store (`STORES` in tests/api/conftest.py: the HTTP
lifecycle from report to verified delivery and the 200 concurrent claims), and this test's skip is
the only line that says so.
"""

from __future__ import annotations

import pytest

from tests.contract.conftest import NEO4J_SKIP, NEO4J_URI, neo4j_store


@pytest.mark.skipif(NEO4J_URI is None, reason=NEO4J_SKIP)
def test_neo4j_is_reachable_and_gets_the_schema() -> None:
    store = neo4j_store()
    try:
        store.ensure_schema()
        store.ensure_schema()
        assert "household_id_unique" in store.schema().constraints
    finally:
        store.close()
