"""One error shape for every response: RFC 9457 problem details (application/problem+json).

Validation errors name each field and the value given; nothing from a stack trace ever leaves the
server (unexpected errors are logged with an id the response repeats).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from graph.errors import InvalidInput, ZhulianError
from graph.model import new_id
from referral.access.errors import NotAuthenticated, TooManyAttempts

log = logging.getLogger("zhulian.api")
MEDIA_TYPE = "application/problem+json"
_MAX_VALUE_CHARS = 200


class FieldError(BaseModel):
    field: str
    value: Any = None
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldError] | None = None


_DESCRIPTIONS = {
    400: "请求体无法解析 / the request body could not be decoded",
    401: "未登录或令牌无效 / not signed in, or the token is invalid, expired or revoked",
    403: "角色无权执行 / your role may not do this",
    404: "不存在或不在您的范围内 / not found or outside your scope",
    409: "冲突: 版本已变或已存在 / conflict: changed since read, or already exists",
    422: "输入无效 / invalid input (names the field and the value)",
    428: "缺少 If-Match / If-Match with the version read is required",
    429: "尝试过多 / too many attempts (see Retry-After)",
    503: "存储不可用 / the store is unavailable",
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem responses an operation can give."""
    return {
        code: {"description": _DESCRIPTIONS[code], "model": Problem, "content": {MEDIA_TYPE: {}}}
        for code in codes
    }


def problem(
    status: int,
    title: str,
    detail: str,
    request: Request,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _shown(value: Any) -> Any:
    """A value echoed in an error, cut short so a huge input is not sent back whole."""
    if isinstance(value, str) and len(value) > _MAX_VALUE_CHARS:
        return value[:_MAX_VALUE_CHARS] + "…"
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    text = repr(value)
    return text if len(text) <= _MAX_VALUE_CHARS else text[:_MAX_VALUE_CHARS] + "…"


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        return f"{parts[0]}:" + ".".join(parts[1:])
    return ".".join(parts)


async def _zhulian_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ZhulianError)
    headers: dict[str, str] = {}
    if isinstance(exc, TooManyAttempts):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, NotAuthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    if exc.status_code >= 500:
        incident = new_id()
        log.error("incident %s: %s", incident, exc.message)
        return problem(
            exc.status_code, exc.title, f"{exc.title} (incident {incident})", request, headers or None
        )
    details = {k: _shown(v) for k, v in exc.details.items()}
    if isinstance(exc, InvalidInput):
        details["errors"] = [{**e, "value": _shown(e.get("value"))} for e in exc.errors]
    return problem(exc.status_code, exc.title, exc.message, request, headers or None, **details)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "field": _field(tuple(e.get("loc", ()))),
            "value": _shown(e.get("input")),
            "message": e.get("msg", ""),
        }
        for e in exc.errors()
    ]
    fields = ", ".join(e["field"] for e in errors)
    return problem(
        422, "Invalid request", f"请求参数无效 / invalid values in: {fields}", request, errors=errors
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else "error"
    return problem(exc.status_code, detail, detail, request, dict(exc.headers) if exc.headers else None)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    incident = new_id()
    log.exception("incident %s: unexpected error on %s %s", incident, request.method, request.url.path)
    return problem(500, "Internal error", f"服务器内部错误 / internal error (incident {incident})", request)


def install(app: FastAPI) -> None:
    """Register the handlers: every error the app returns goes through one of these."""
    app.add_exception_handler(ZhulianError, _zhulian_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
