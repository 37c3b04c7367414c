"""AWS Lambda entry point: `function.lambda_handler.handler`, the FastAPI app wrapped by Mangum.

The app (and with it the model pack) is created at import, i.e. in Lambda's init phase, so every warm invocation
reuses the loaded ONNX Runtime sessions. A pack that fails to load raises here: the runtime reports an init error
and the function never answers with a half-loaded service (the same rule as `python -m function`, which exits 1).
Nothing is written to disk: uploads are parsed in memory and the packs are read from the image.
"""

from __future__ import annotations

import logging
from typing import Any

from mangum import Mangum

from function.api.app import create_app
from function.config import Settings


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

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        event = scope.get("aws.event")
        if scope.get("type") == "http" and isinstance(event, dict):
            prefix = public_prefix(event)
            if prefix:
                scope = {**scope, "root_path": prefix}
        await self.app(scope, receive, send)


class StageAwareMangum(Mangum):
    """Mangum that routes `/Prod/detect` on an HTTP API named stage to the app's `/detect`."""

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        return super().__call__(stage_relative(event), context)


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
