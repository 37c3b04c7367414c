"""The one place that maps errors to HTTP answers: {"success": false, "error": "...", "code": "..."}."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from function.errors import (
    DeadlineExceeded,
    InvalidRequest,
    MissingField,
    ModelNotReady,
    PayloadTooLarge,
    ServiceError,
    Unauthorized,
    UnsupportedMediaType,
    error_codes,
)
from function.observability import note
from function.schemas import ErrorResponse

log = logging.getLogger(__name__)


class RouteNotFound(ServiceError, code="NOT_FOUND", status=404):
    """no such route"""


class MethodNotAllowed(ServiceError, code="METHOD_NOT_ALLOWED", status=405):
    """wrong HTTP method for the route"""


# Every documented error code with its status and meaning, for the OpenAPI description, the routes' responses and
# the README's table (tests/api/test_error_docs.py): derived from the error classes, each written once.
ERROR_CODES: dict[str, tuple[int, str]] = error_codes()

# HTTPExceptions raised by the framework itself (routing, body limits) -> the error they document.
_FRAMEWORK_ERRORS: dict[int, type[ServiceError]] = {
    cls.status: cls for cls in (InvalidRequest, Unauthorized, RouteNotFound, MethodNotAllowed, PayloadTooLarge,
                                UnsupportedMediaType, ModelNotReady)}


def route_list(app: FastAPI) -> list[str]:
    """'METHOD /path' of every documented route, from the app's own OpenAPI document (built once, then cached)."""
    return [f"{method.upper()} {path}" for path, operations in app.openapi()["paths"].items() for method in operations]


def _error_body(code: str, message: str, field: str | None = None,
                reasons: list[str] | None = None) -> dict[str, Any]:
    body = ErrorResponse(error=message, code=code, field=field, reasons=reasons)  # type: ignore[arg-type]
    note(code=code)  # the request's log line and Errors metric carry the code
    return body.model_dump(exclude_none=True)


def error_body(exc: ServiceError) -> dict[str, Any]:
    """The one error shape, as JSON-ready data: for answers not sent through the app (the Lambda entry's guard)."""
    return _error_body(exc.code, exc.message, exc.field, getattr(exc, "reasons", None))


def service_error_response(exc: ServiceError) -> JSONResponse:
    response = JSONResponse(status_code=exc.status, content=error_body(exc))
    if isinstance(exc, DeadlineExceeded):
        response.headers["retry-after"] = "1"
    return response


async def _service_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return service_error_response(exc)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header")]
    name = loc[-1] if loc else None
    if first.get("type") == "missing":
        return service_error_response(MissingField(f"The field {name!r} is required.", field=name))
    detail = first.get("msg", "invalid value")
    return service_error_response(InvalidRequest(f"Invalid value for {name!r}: {detail}." if name else detail,
                                                 field=name))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    known = _FRAMEWORK_ERRORS.get(exc.status_code)
    code = known.code if known is not None else "HTTP_ERROR"
    message = exc.detail if isinstance(exc.detail, str) else "Request failed."
    if exc.status_code == 404:
        message = f"No such route. Routes: {', '.join(route_list(request.app))}."
    response = JSONResponse(status_code=exc.status_code, content=_error_body(code, message))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


_LOGGED = "_service_logged"


def is_logged(exc: BaseException) -> bool:
    """True when _unexpected has logged this exception (function/api/app.py then stops it there)."""
    return bool(getattr(exc, _LOGGED, False))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Never log request data (not even the raw path): type and route template only. Logged here once; ServiceApp
    # (function/api/app.py) keeps the server from logging the same traceback again.
    route = getattr(request.scope.get("route"), "path", "unmatched")
    log.error("unhandled %s on %s", type(exc).__name__, route, exc_info=exc)
    with contextlib.suppress(AttributeError):  # an exception type with __slots__: the server logs it too
        setattr(exc, _LOGGED, True)
    return service_error_response(ServiceError("Internal error; the request was not processed."))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


def error_responses(*errors: type[ServiceError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the errors a route may answer, grouped by status."""
    by_status: dict[int, list[type[ServiceError]]] = {}
    for error in errors:
        by_status.setdefault(error.status, []).append(error)
    return {status: {"model": ErrorResponse, "description": "; ".join(f"{e.code}: {e.description}" for e in group)}
            for status, group in sorted(by_status.items())}


def document_error_codes(app: FastAPI) -> None:
    """Put ERROR_CODES into the app's OpenAPI document in machine-readable form, for generated clients
    (clients/typescript): `x-error-codes` {code: {status, description}} at the top level, and the codes as the enum
    of ErrorResponse.code."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            schema["x-error-codes"] = {code: {"status": status, "description": text}
                                       for code, (status, text) in ERROR_CODES.items()}
            code_field = schema.get("components", {}).get("schemas", {}).get("ErrorResponse", {}) \
                .get("properties", {}).get("code")
            if code_field is not None:
                code_field["enum"] = list(ERROR_CODES)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
