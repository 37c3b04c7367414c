"""The one request middleware (pure ASGI): request id, deadline, optional API key, then one log line and metrics
per request.

Order inside: request id -> the request's Deadline (scope state) -> API key check (401 in the one error shape,
before any body is read) -> the app -> status (the error code is noted by function/api/errors.py as it builds the answer), latency ->
Telemetry.finish (log + EMF).

An answer given before the request body was read to its end (plain HTTP only; on Lambda the whole body is already
here) goes out at once, whole, with `Connection: close`. What is left of the body is then drained, bounded, before
the answer is marked complete: the server closes the connection at that point, and closing a socket that still
holds unread bytes sends a reset, which a client that writes its whole body before reading (Python's urllib)
reports instead of the answer. The drain ends as soon as the declared body has arrived or the client has gone. A
client that sent `Expect: 100-continue` and nothing yet is not drained: it is waiting for the go-ahead, never gets
`100 Continue` (the server sends that only when the body is first read), and the connection closes after the
answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import re
import time
import uuid
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from function.api.errors import service_error_response
from function.deadline import Deadline
from function.errors import ServiceError, Unauthorized
from function.limits import DRAIN_MAX_BYTES, DRAIN_MAX_S, LAMBDA_MARGIN_S
from function.observability import RequestRecord, Telemetry, add_stage, end_request, start_request

OPEN_PATHS = frozenset({"/health", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_NO_DRAIN = frozenset((408, 499))  # the body stalled or the client left: nothing to drain


def request_deadline(scope: Scope, budget_s: float) -> Deadline:
    """REQUEST_DEADLINE_S from now; on Lambda no later than the invocation's remaining time less a margin."""
    context = scope.get("aws.context")
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining):
        with contextlib.suppress(TypeError, ValueError):
            budget_s = min(budget_s, max(0.0, int(remaining()) / 1000.0 - LAMBDA_MARGIN_S))
    return Deadline.after(budget_s)


class _Body:
    """The receive channel, noting whether the request body has been read to its end."""

    def __init__(self, receive: Receive, scope: Scope) -> None:
        self._receive = receive
        self.done = scope.get("method") in ("GET", "HEAD", "OPTIONS")
        self.declared: int | None = None
        self.expects_continue = False
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit():
                self.declared = int(value)
            elif name == b"expect" and value.strip().lower() == b"100-continue":
                self.expects_continue = True
        self.received = 0

    @property
    def awaiting_continue(self) -> bool:
        """The client asked for `100 Continue` before sending its body, and nothing of it has been read."""
        return self.expects_continue and self.received == 0 and not self.done

    async def __call__(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            self.done = self.done or not message.get("more_body", False)
        elif message["type"] == "http.disconnect":
            self.done = True
        return message

    async def drain(self) -> None:
        """Read and drop the rest of the body, within DRAIN_MAX_BYTES and DRAIN_MAX_S; nothing for a client still
        waiting for `100 Continue` (it sends no body until told to)."""
        if self.done or self.awaiting_continue \
                or (self.declared is not None and self.declared - self.received > DRAIN_MAX_BYTES):
            return
        loop = asyncio.get_running_loop()
        start, end = self.received, loop.time() + DRAIN_MAX_S
        while not self.done and self.received - start <= DRAIN_MAX_BYTES:
            try:
                await asyncio.wait_for(self(), end - loop.time())
            except TimeoutError:
                return


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
    def __init__(self, app: ASGIApp, telemetry: Telemetry, deadline_s: float, api_key: str = "",
                 server_timing: bool = False) -> None:
        self.app = app
        self.telemetry = telemetry
        self.api_key = api_key
        self.deadline_s = deadline_s
        self.server_timing = server_timing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        rid = request_id(scope)
        record, token = start_request(rid, scope.get("method", ""), scope.get("path", ""))
        scope.setdefault("state", {})["deadline"] = request_deadline(scope, self.deadline_s)
        body = _Body(receive, scope)
        drain = "aws.event" not in scope  # on Lambda the whole body is already here

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = int(message["status"])
                now = time.perf_counter()
                if record.returned_at is not None:
                    add_stage(record, "answer", now - record.returned_at)
                headers = [*message.get("headers", []), (b"x-request-id", rid.encode("latin-1"))]
                if self.server_timing:
                    headers.append((b"server-timing", server_timing(record, now - t0)))
                if drain and not body.done:
                    headers.append((b"connection", b"close"))
                message["headers"] = headers
            if drain and not body.done and message["type"] == "http.response.body" \
                    and not message.get("more_body", False):
                # The whole answer goes out now; it is marked complete (and the connection closed) after the drain.
                await send({**message, "more_body": True})
                if record.status not in _NO_DRAIN:
                    await body.drain()
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        try:
            if self.api_key and scope.get("path") not in OPEN_PATHS and scope.get("method") != "OPTIONS" \
                    and not api_key_ok(scope, self.api_key):
                response = service_error_response(Unauthorized("A valid x-api-key header is required."))
                await response(scope, body, send_wrapper)
            else:
                await self.app(scope, body, send_wrapper)
        except Exception:
            record.status, record.code = ServiceError.status, ServiceError.code
            raise
        finally:
            record.route = _route(scope)
            record.latency_ms = round((time.perf_counter() - t0) * 1000.0, 2)
            if record.status >= 400 and record.code is None:
                record.code = "UNKNOWN"  # an answer built outside function/api/errors.py (none is known)
            end_request(token)
            self.telemetry.finish(record)


def server_timing(record: RequestRecord, total_s: float) -> bytes:
    """The W3C Server-Timing header: each stage's wall ms, then `total` (the middleware's entry to the answer's
    first byte). Stage names are ours (span names), never request data."""
    items = [f"{name};dur={ms:.2f}" for name, ms in (record.stages_ms or {}).items()]
    items.append(f"total;dur={total_s * 1000.0:.2f}")
    return ", ".join(items).encode("latin-1")


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
