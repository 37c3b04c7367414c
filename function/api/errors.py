"""The one place that maps errors to HTTP answers: {"success": false, "error": "...", "code": "..."}."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from function.errors import ServiceError
from function.schemas import ErrorResponse

log = logging.getLogger(__name__)

_HTTP_CODES = {400: "INVALID_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
               405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE", 503: "MODEL_NOT_READY"}

# Every documented error code with its status, for README and OpenAPI.
ERROR_CODES: dict[str, tuple[int, str]] = {
    "INVALID_IMAGE": (400, "not a decodable image, or corrupt/truncated"),
    "IMAGE_TOO_SMALL": (400, "an image side is below MIN_IMAGE_SIDE"),
    "INVALID_REQUEST": (400, "malformed body or parameter (bad multipart, bad JSON, bad base64, bad query value)"),
    "DUPLICATE_FIELD": (400, "one field holds several files"),
    "UNAUTHORIZED": (401, "API_KEY is set and x-api-key is missing or wrong"),
    "S3_BUCKET_NOT_ALLOWED": (403, "S3 input is off (ALLOWED_S3_BUCKETS empty) or the bucket is not in ALLOWED_S3_BUCKETS"),
    "S3_ACCESS_DENIED": (403, "the bucket is allowed but S3 denied the read (IAM); S3 also answers this for a "
                              "missing key when the role lacks s3:ListBucket"),
    "S3_OBJECT_NOT_FOUND": (404, "the s3:// object does not exist"),
    "NOT_FOUND": (404, "no such route"),
    "METHOD_NOT_ALLOWED": (405, "wrong HTTP method for the route"),
    "PAYLOAD_TOO_LARGE": (413, "request body over MAX_UPLOAD_BYTES"),
    "IMAGE_TOO_LARGE": (413, "image declares more than MAX_IMAGE_PIXELS pixels (refused from its header)"),
    "S3_OBJECT_TOO_LARGE": (413, "the s3:// object is larger than MAX_S3_BYTES (refused from HeadObject)"),
    "UNSUPPORTED_MEDIA_TYPE": (415, "Content-Type not multipart/form-data or application/json, or an image format "
                                    "not supported (GIF, HEIC, AVIF, SVG)"),
    "MISSING_FIELD": (422, "a required field (image, image1, image2) is absent"),
    "NO_FACE": (422, "no face found where one is required"),
    "MULTIPLE_FACES": (422, "several faces where one is required (use ?face=largest)"),
    "INTERNAL_ERROR": (500, "a bug: reported without request data"),
    "S3_UNAVAILABLE": (502, "S3 could not be reached or refused the read for another reason"),
    "MODEL_NOT_READY": (503, "the model pack failed to load"),
}


def error_response(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    body = ErrorResponse(error=message, code=code, field=field).model_dump(exclude_none=True)
    return JSONResponse(status_code=status, content=body)


def service_error_response(exc: ServiceError) -> JSONResponse:
    return error_response(exc.status, exc.code, exc.message, exc.field)


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
        return error_response(422, "MISSING_FIELD", f"The field {name!r} is required.", name)
    detail = first.get("msg", "invalid value")
    return error_response(400, "INVALID_REQUEST", f"Invalid value for {name!r}: {detail}." if name else detail, name)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "HTTP_ERROR")
    message = exc.detail if isinstance(exc.detail, str) else "Request failed."
    if exc.status_code == 404:
        message = f"No route {request.url.path!r}. Routes: GET /health, POST /detect, POST /extract-embedding, POST /compare."
    response = error_response(exc.status_code, code, message)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Never log request data: type and route only.
    log.error("unhandled %s on %s", type(exc).__name__, request.url.path, exc_info=exc)
    return error_response(500, "INTERNAL_ERROR", "Internal error; the request was not processed.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


def error_responses(*codes: str) -> dict[int | str, dict]:
    """OpenAPI `responses` entries for the given error codes, grouped by status."""
    by_status: dict[int, list[str]] = {}
    for code in codes:
        status, _ = ERROR_CODES[code]
        by_status.setdefault(status, []).append(code)
    return {status: {"model": ErrorResponse, "description": "; ".join(f"{c}: {ERROR_CODES[c][1]}" for c in cs)}
            for status, cs in sorted(by_status.items())}


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
