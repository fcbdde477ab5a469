"""Every Cypher statement the Neo4j store can emit passes Neo4j's own parser with 0 errors.

The parser is the npm package @neo4j-cypher/language-support (tools/cypher-lint), run with node;
`scripts/test` installs it. This test never skips: a missing tool is a failure.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from graph.model import NODE_TYPES, REL_TYPES
from graph.neo4j.cypher import CAS_LOCK, all_statements

TOOL = Path(__file__).resolve().parents[2] / "tools" / "cypher-lint"
WORKERS = 2


def _schema() -> dict[str, object]:
    keys = sorted(
        {name for cls in NODE_TYPES.values() for name in cls.property_names()}
        | {name for cls in REL_TYPES.values() for name in cls.property_names()}
        | {"key", "start", "end", "props"}  # keys of the row maps of UNWIND batches
        | {CAS_LOCK}  # the compare-and-set's write-lock property (set and removed in one statement)
    )
    return {"labels": sorted(NODE_TYPES), "relationshipTypes": sorted(REL_TYPES), "propertyKeys": keys}


def _statements() -> list[dict[str, object]]:
    seen: dict[str, dict[str, object]] = {}
    for ident, stmt in all_statements():
        seen.setdefault(stmt.text, {"id": ident, "query": stmt.text, "parameters": sorted(stmt.params)})
    return list(seen.values())


def _lint(node: str, statements: list[dict[str, object]]) -> dict[str, Any]:
    proc = subprocess.run(
        [node, str(TOOL / "lint.mjs")],
        input=json.dumps({"schema": _schema(), "statements": statements}),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode in (0, 1), f"linter failed: {proc.stderr}"
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def test_every_statement_binds_exactly_the_parameters_it_uses() -> None:
    for ident, stmt in all_statements():
        used = set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", stmt.text))
        assert used == set(stmt.params), f"{ident}: uses {sorted(used)}, binds {sorted(stmt.params)}"


def test_statements_cover_every_label_type_and_property() -> None:
    text = "\n".join(stmt.text for _, stmt in all_statements())
    for label, cls in NODE_TYPES.items():
        assert f":{label})" in text or f":{label} " in text
        for name in cls.property_names():
            assert f"n.{name} " in text, f"{label}.{name} never appears in a linted statement"
    for type_name in REL_TYPES:
        assert f":{type_name}]" in text


def test_neo4j_parser_finds_no_error_or_warning() -> None:
    node = shutil.which("node")
    assert node is not None, "node is required for the Cypher lint"
    assert (TOOL / "node_modules").is_dir(), "run `npm ci --prefix tools/cypher-lint` (scripts/test does)"
    statements = _statements()
    chunks = [statements[i::WORKERS] for i in range(WORKERS)]
    with ThreadPoolExecutor(WORKERS) as pool:  # both node processes lint at the same time
        results = list(pool.map(lambda chunk: _lint(node, chunk), chunks))
    assert sum(r["checked"] for r in results) == len(statements)
    problems = [p for r in results for p in r["errors"] + r["warnings"]]
    report = "\n".join(f"{p['severity']} {p['id']}: {p['message']}\n  {p['query']}" for p in problems[:20])
    assert not problems, f"{len(problems)} problems:\n{report}"


def test_the_linter_rejects_bad_cypher() -> None:
    """Guard against a linter that passes everything: each of these must be an error."""
    node = shutil.which("node")
    assert node is not None
    bad = {
        "syntax": "MATCH (n:Household {id: $key) RETURN n",
        "function": "RETURN cuont(1)",
        "parameter": "MATCH (n) RETURN $undefined",
    }
    result = _lint(node, [{"id": k, "query": q, "parameters": []} for k, q in bad.items()])
    assert {e["id"] for e in result["errors"]} == set(bad)
