"""Event checking: why an event is not an API Gateway (REST 1.0 / HTTP API 2.0) or ALB proxy event that Mangum can
read, before Mangum sees it (Mangum would raise on it instead)."""

from __future__ import annotations

import base64
import binascii
from typing import Any


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
