"""HTTP routes: each handler translates the request and calls one service."""

from __future__ import annotations

from typing import Any

from api.problems import responses

# FastAPI answers 400 (not 422) when a body cannot even be decoded (e.g. not UTF-8); operations
# that read a body document it.
UNREADABLE_BODY: dict[int | str, dict[str, Any]] = responses(400)
