"""The one request middleware (pure ASGI): request id, optional API key, then one log line and metrics per request.

Order inside: request id -> API key check (401 in the one error shape, before any body is read) -> the app ->
status, error code (read from the small JSON error body), latency -> Telemetry.finish (log + EMF).
"""

from __future__ import annotations

import hmac
import json
import re
import time
import uuid
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from function.api.errors import service_error_response
from function.errors import ServiceError, Unauthorized
from function.observability import Telemetry, end_request, start_request

OPEN_PATHS = frozenset({"/health", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_MAX_ERROR_BODY = 4096


def request_id(scope: Scope) -> str:
    """Lambda's aws_request_id (Mangum puts the context in the scope), else a well-formed x-request-id header,
    else a new uuid4."""
    context = scope.get("aws.context")
    rid = getattr(context, "aws_request_id", None)
    if isinstance(rid, str) and rid:
        return rid
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if _REQUEST_ID.match(text):
                return text
    return uuid.uuid4().hex


def api_key_ok(scope: Scope, expected: str) -> bool:
    given = b""
    for name, value in scope.get("headers", ()):
        if name == b"x-api-key":
            given = value
            break
    return hmac.compare_digest(given, expected.encode("utf-8"))


class RequestMiddleware:
    def __init__(self, app: ASGIApp, telemetry: Telemetry, api_key: str = "") -> None:
        self.app = app
        self.telemetry = telemetry
        self.api_key = api_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        rid = request_id(scope)
        record, token = start_request(rid, scope.get("method", ""), scope.get("path", ""))
        error_body: list[bytes] = []

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = int(message["status"])
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode("latin-1"))]
            elif message["type"] == "http.response.body" and record.status >= 400:
                if sum(map(len, error_body)) < _MAX_ERROR_BODY:
                    error_body.append(bytes(message.get("body", b""))[:_MAX_ERROR_BODY])
            await send(message)

        try:
            if self.api_key and scope.get("path") not in OPEN_PATHS and scope.get("method") != "OPTIONS" \
                    and not api_key_ok(scope, self.api_key):
                response = service_error_response(Unauthorized("A valid x-api-key header is required."))
                await response(scope, receive, send_wrapper)
            else:
                await self.app(scope, receive, send_wrapper)
        except Exception:
            record.status, record.code = ServiceError.status, ServiceError.code
            raise
        finally:
            record.route = _route(scope)
            record.latency_ms = round((time.perf_counter() - t0) * 1000.0, 2)
            if record.status >= 400 and record.code is None:
                record.code = _error_code(b"".join(error_body))
            end_request(token)
            self.telemetry.finish(record)


def _route(scope: Scope) -> str:
    """The matched route's path template: never the raw path, which is user input (and metric cardinality)."""
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    path = scope.get("path")
    app = scope.get("app")
    known = OPEN_PATHS | (set(app.openapi()["paths"]) if isinstance(app, FastAPI) else set())
    return path if path in known else "unmatched"


def _error_code(body: bytes) -> str | None:
    try:
        code = json.loads(body).get("code")
    except (ValueError, AttributeError):
        return "UNKNOWN"
    return code if isinstance(code, str) else "UNKNOWN"
