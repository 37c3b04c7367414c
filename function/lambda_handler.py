"""AWS Lambda entry point: `function.lambda_handler.handler`, the FastAPI app wrapped by Mangum.

The app (and with it the model pack) is created at import, i.e. in Lambda's init phase, so every warm invocation
reuses the loaded ONNX Runtime sessions. A pack that fails to load raises here: the runtime reports an init error
and the function never answers with a half-loaded service (the same rule as `python -m function`, which exits 1).
Nothing is written to disk: uploads are parsed in memory and the packs are read from the image.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
from typing import Any

from mangum import Mangum
from mangum.types import Receive, Scope, Send

from function.api.app import create_app
from function.config import Settings

log = logging.getLogger("function")


def stage_relative(event: dict[str, Any]) -> dict[str, Any]:
    """The event with its path made relative to the API stage.

    API Gateway REST (payload 1.0) already gives `path` without the stage (`/detect` for `/Prod/detect`); an HTTP API
    (payload 2.0) on a named stage puts the stage in `requestContext.http.path` (`/Prod/detect`). The `$default` stage
    adds nothing. Returns a copy where needed, never mutates the caller's event.
    """
    context = event.get("requestContext") or {}
    http = context.get("http")
    stage = context.get("stage")
    if event.get("version") != "2.0" or not isinstance(http, dict) or not stage or stage == "$default":
        return event
    prefix = f"/{stage}"
    path = http.get("path", "")
    if path != prefix and not path.startswith(prefix + "/"):
        return event
    return {**event, "requestContext": {**context, "http": {**http, "path": path[len(prefix):] or "/"}}}


def public_prefix(event: dict[str, Any]) -> str:
    """The part of the public URL path that API Gateway strips before the app's path: `/Prod` when the API is
    called on its execute-api URL with a stage (REST, or an HTTP API's named stage), '' on `$default` or a custom
    domain without a base path. Given to the app as the ASGI root_path so that /docs fetches
    /Prod/openapi.json; routing is unaffected (the app's paths never start with it)."""
    context = event.get("requestContext") or {}
    if event.get("version") == "2.0":
        public, inner = event.get("rawPath") or "", (context.get("http") or {}).get("path") or ""
    else:
        public, inner = context.get("path") or "", event.get("path") or ""
    if inner and public != inner and public.endswith(inner):
        return public[: len(public) - len(inner)].rstrip("/")
    return ""


class _RootPathFromEvent:
    """ASGI wrapper: root_path from the API Gateway event Mangum puts in the scope."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        event = scope.get("aws.event")
        if scope.get("type") == "http" and isinstance(event, dict):
            prefix = public_prefix(event)
            if prefix:
                scope = {**scope, "root_path": prefix}
        await self.app(scope, receive, send)


def _str_map(value: Any, multi: bool = False) -> bool:
    """None, or a dict of str to str (to a list of str when `multi`)."""
    if value is None:
        return True
    if not isinstance(value, dict):
        return False
    for k, v in value.items():
        if not isinstance(k, str):
            return False
        if multi:
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                return False
        elif not isinstance(v, str):
            return False
    return True


def malformed(event: Any) -> str | None:
    """Why `event` is not an API Gateway (REST 1.0 / HTTP API 2.0) or ALB proxy event Mangum can read; None if fine."""
    if not isinstance(event, dict):
        return "the event is not a JSON object"
    context = event.get("requestContext")
    if not isinstance(context, dict):
        return "the event has no requestContext"
    if not _str_map(event.get("headers")) or not _str_map(event.get("multiValueHeaders"), multi=True):
        return "the event's headers are not strings"
    if not _str_map(event.get("queryStringParameters")) or \
            not _str_map(event.get("multiValueQueryStringParameters"), multi=True):
        return "the event's query parameters are not strings"
    cookies = event.get("cookies")
    if cookies is not None and (not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies)):
        return "the event's cookies are not strings"
    for name in ("path", "rawPath", "rawQueryString", "httpMethod"):
        if event.get(name) is not None and not isinstance(event[name], str):
            return f"the event's {name} is not a string"
    http = context.get("http")
    if http is not None and (not isinstance(http, dict) or not isinstance(http.get("method", ""), str)
                             or not isinstance(http.get("path", ""), str)):
        return "the event's requestContext.http is malformed"
    body = event.get("body")
    if body is not None and not isinstance(body, str):
        return "the event's body is not a string"
    encoded = event.get("isBase64Encoded", False)
    if not isinstance(encoded, bool):
        return "the event's isBase64Encoded is not a boolean"
    if encoded and body:
        try:
            base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return "the event's body is marked base64 but is not"
    return None


def _ensure_event_loop() -> None:
    """Mangum runs the app on the thread's current event loop; give the thread one if something (asyncio.run) left
    it without."""
    try:
        asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        asyncio.set_event_loop(asyncio.new_event_loop())


def bad_event(reason: str) -> dict[str, Any]:
    """The 400 answer (API Gateway proxy shape) for an event that cannot be read as a request."""
    body = {"success": False, "error": f"Malformed event: {reason}.", "code": "INVALID_REQUEST"}
    return {"statusCode": 400, "headers": {"content-type": "application/json"}, "body": json.dumps(body),
            "isBase64Encoded": False}


class StageAwareMangum(Mangum):
    """Mangum that routes `/Prod/detect` on an HTTP API named stage to the app's `/detect`, behind a top-level guard:
    an event Mangum cannot read gets a 400 JSON answer (one WARNING line), never an exception out of the handler.
    The app itself answers its own errors (including 500s for bugs) before anything reaches this guard."""

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        reason = malformed(event)
        if reason is None:
            _ensure_event_loop()
            try:
                return super().__call__(stage_relative(event), context)
            except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:  # Mangum could not map it
                reason = f"it could not be read as an HTTP request ({type(exc).__name__})"
            except RuntimeError as exc:
                if "infer a handler" not in str(exc):
                    raise
                reason = "it is not an API Gateway or ALB proxy event"
        log.warning("malformed Lambda event refused: %s", reason)
        return bad_event(reason)


def _configure_logging(level: str) -> None:
    root = logging.getLogger()
    if not root.handlers:  # outside the Lambda runtime client (which installs its own handler)
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("function").setLevel(level)


def build_handler(settings: Settings | None = None) -> StageAwareMangum:
    """The Lambda handler for these settings; raises RuntimeError when the model pack does not load."""
    settings = settings or Settings.from_env()
    _configure_logging(settings.log_level)
    app = create_app(settings)
    if app.state.service is None:
        raise RuntimeError(f"model pack {app.state.pack_name!r} not loaded: {app.state.load_error}")
    # lifespan="off": the app has no lifespan work (models load in create_app), and Mangum would otherwise run the
    # lifespan protocol on every invocation.
    return StageAwareMangum(_RootPathFromEvent(app), lifespan="off")


handler = build_handler()
