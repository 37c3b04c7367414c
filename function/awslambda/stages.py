"""Stage paths: API Gateway puts the stage (`/Prod`) in some paths and strips it from others. The app routes on the
path without it and serves /docs under it (the ASGI root_path)."""

from __future__ import annotations

from typing import Any

from mangum.types import Receive, Scope, Send


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


class RootPathFromEvent:
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
