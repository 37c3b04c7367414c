"""API Gateway events that carry real requests, for the Lambda handler, the Runtime Interface Emulator and the tests.

The templates are the events SAM CLI's own generator writes (this folder's JSON files; `make events` regenerates
them). A request (method, path, query, headers, body) is put into one the way API Gateway does: binary bodies
base64-encoded with isBase64Encoded true, text bodies as they are. Standard library only, so that
`python3 -m function.events` runs from a checkout without the service's dependencies (see __main__.py).
"""

from __future__ import annotations

import base64
import json
import uuid
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

EVENTS = Path(__file__).resolve().parent
REST_V1 = "apigateway-aws-proxy.json"  # sam local generate-event apigateway aws-proxy --stage Prod
HTTP_V2 = "apigateway-http-api-proxy.json"  # sam local generate-event apigateway http-api-proxy


@cache
def _template(name: str) -> str:
    return (EVENTS / name).read_text()


def generated_event(name: str) -> dict[str, Any]:
    return json.loads(_template(name))


def multipart(files: dict[str, bytes]) -> tuple[bytes, str]:
    """A multipart/form-data body with one JPEG file per field, as curl -F sends it; returns (body, content type)."""
    boundary = f"----face{uuid.uuid4().hex}"
    chunks = []
    for name, data in files.items():
        chunks.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}.jpg\"\r\n"
                      "Content-Type: image/jpeg\r\n\r\n".encode() + data + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def rest_event(method: str, path: str, *, body: bytes | str | None = None, content_type: str | None = None,
               query: dict[str, str] | None = None, base64_encoded: bool | None = None,
               stage: str | None = None) -> dict[str, Any]:
    """A REST API (payload 1.0, proxy integration) event for `method path` on the generated fixture.

    `body` bytes are base64-encoded with isBase64Encoded true (a binary media type); a str goes as text.
    `base64_encoded` overrides the flag (False with bytes = the body base64-encoded but not marked as such).
    """
    event = generated_event(REST_V1)
    stage = stage or event["requestContext"]["stage"]
    event["httpMethod"] = method
    event["path"] = path
    event["resource"] = "/{proxy+}"
    event["pathParameters"] = {"proxy": path.lstrip("/")}
    event["requestContext"].update(httpMethod=method, stage=stage, path=f"/{stage}{path}", resourcePath="/{proxy+}")
    event["queryStringParameters"] = dict(query) if query else None
    event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} if query else None
    headers = {k: v for k, v in event["headers"].items() if k.lower() not in {"content-type", "content-length"}}
    if content_type:
        headers["Content-Type"] = content_type
    event["headers"] = headers
    event["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
    _put_body(event, body, base64_encoded)
    return event


def http_api_event(method: str, path: str, *, body: bytes | str | None = None, content_type: str | None = None,
                   query: dict[str, str] | None = None, base64_encoded: bool | None = None,
                   stage: str = "$default") -> dict[str, Any]:
    """An HTTP API (payload 2.0) event. On a named stage API Gateway puts the stage in the path: /Prod/detect."""
    event = generated_event(HTTP_V2)
    full_path = path if stage == "$default" else f"/{stage}{path}"
    event["rawPath"] = full_path
    event["routeKey"] = "$default"
    event["requestContext"]["http"].update(method=method, path=full_path)
    event["requestContext"].update(stage=stage, routeKey="$default")
    event["rawQueryString"] = urlencode(query or {})
    event["queryStringParameters"] = dict(query) if query else None
    event.pop("pathParameters", None)
    headers = {k.lower(): v for k, v in event["headers"].items()}  # an HTTP API lower-cases header names
    if content_type:
        headers["content-type"] = content_type
    event["headers"] = headers
    _put_body(event, body, base64_encoded)
    return event


def _put_body(event: dict[str, Any], body: bytes | str | None, base64_encoded: bool | None) -> None:
    if body is None:
        event["body"] = None
        event["isBase64Encoded"] = False
    elif isinstance(body, bytes):
        event["body"] = base64.b64encode(body).decode("ascii")
        event["isBase64Encoded"] = True if base64_encoded is None else base64_encoded
    else:
        event["body"] = body
        event["isBase64Encoded"] = bool(base64_encoded)


def photo_event(route: str, photos: dict[str, bytes], *, http_api: bool = False, query: dict[str, str] | None = None,
                method: str | None = None, stage: str | None = None) -> dict[str, Any]:
    """The event for one request to `route` with `photos` (field -> bytes) as a multipart upload; no photos = no
    body (GET unless `method` says otherwise)."""
    body, content_type = multipart(photos) if photos else (None, None)
    method = method or ("POST" if photos else "GET")
    if http_api:
        return http_api_event(method, route, body=body, content_type=content_type, query=query,
                              stage=stage or "$default")
    return rest_event(method, route, body=body, content_type=content_type, query=query, stage=stage)


def response_headers(response: dict[str, Any]) -> dict[str, str]:
    """A Lambda proxy response's headers, lower-cased (payload 1.0 may split them into multiValueHeaders)."""
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    for k, values in (response.get("multiValueHeaders") or {}).items():
        headers[k.lower()] = ", ".join(values)
    return headers


def response_body(response: dict[str, Any]) -> bytes:
    body = response.get("body") or ""
    return base64.b64decode(body) if response.get("isBase64Encoded") else body.encode()
