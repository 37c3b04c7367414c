"""The OpenAPI text that FastAPI does not derive from the routes and the response models: the description, the
request bodies (multipart or JSON, read by function/api/inputs.py rather than declared as parameters) and the
stored-embedding schemas. Numbers come from the service's own constants and defaults (the embedding size, the
gallery limit), never from one deployment's settings: the spec is the same wherever it is served."""

from __future__ import annotations

from typing import Any

from function.api.errors import ERROR_CODES
from function.limits import MAX_ID_LENGTH, RequestLimits
from function.models.roles import EMBEDDING_SIZE

DESCRIPTION = f"""Face detection, {EMBEDDING_SIZE}-D ArcFace embeddings and face comparison on InsightFace models (ONNX Runtime).

Images go as `multipart/form-data` files (`image`, or `image1` + `image2`) or as JSON with base64 strings.
Every face carries `quality` (size, sharpness, brightness, `usable` + `reasons`) and `pose` (yaw, pitch, roll).
`/verify` and `/search` take stored embeddings (JSON list of {EMBEDDING_SIZE} floats, or base64 of little-endian float32).
Every error answers `{{"success": false, "error": "...", "code": "..."}}`. Codes:

""" + "\n".join(f"* `{code}` ({status}): {text}" for code, (status, text) in ERROR_CODES.items())

_IMAGE_FILE = {"type": "string", "format": "binary", "description": "JPEG, PNG, WebP, BMP or TIFF"}
_IMAGE_BASE64 = {"type": "string", "description": "base64 image bytes (a data: URL prefix is accepted)"}
_IMAGE_S3 = {"type": "string", "description": "s3://bucket/key of an image in an allowed bucket"}


def image_body(*fields: str) -> dict[str, Any]:
    """OpenAPI request body: multipart files, or JSON with base64 / s3:// per field."""
    multipart = {"type": "object", "required": list(fields), "properties": {f: dict(_IMAGE_FILE) for f in fields}}
    json_props: dict[str, Any] = {}
    for f in fields:
        json_props[f] = dict(_IMAGE_BASE64)
        json_props[f"{f}_s3"] = dict(_IMAGE_S3)
    return {"requestBody": {"required": True, "content": {
        "multipart/form-data": {"schema": multipart},
        "application/json": {"schema": {"type": "object", "properties": json_props}},
    }}}


def stored_body(field: str, schema: dict[str, Any], example: Any) -> dict[str, Any]:
    """OpenAPI request body for /verify and /search: the photo plus one JSON field (`embedding` or `gallery`)."""
    multipart = {"type": "object", "required": ["image", field], "properties": {
        "image": dict(_IMAGE_FILE),
        field: {"type": "string", "description": f"the {field} as text: a JSON document, or base64 for an embedding"}}}
    json_schema = {"type": "object", "required": [field], "properties": {
        "image": dict(_IMAGE_BASE64), "image_s3": dict(_IMAGE_S3), field: schema}}
    return {"requestBody": {"required": True, "content": {
        "multipart/form-data": {"schema": multipart},
        "application/json": {"schema": json_schema, "example": {"image": "<base64 JPEG>", field: example}},
    }}}


B64_EXAMPLE = f"<base64 of {4 * EMBEDDING_SIZE:,} bytes: {EMBEDDING_SIZE} little-endian float32>"
EMBEDDING_SCHEMA: dict[str, Any] = {
    "description": f"{EMBEDDING_SIZE} floats of a stored /extract-embedding answer: a JSON list, or base64 of "
                   "little-endian float32 (Node: Buffer.from(f32.buffer).toString('base64')); L2-normalised here",
    "oneOf": [{"type": "array", "items": {"type": "number"}, "minItems": EMBEDDING_SIZE, "maxItems": EMBEDDING_SIZE},
              {"type": "string", "format": "byte"}]}
GALLERY_SCHEMA: dict[str, Any] = {
    "type": "array", "minItems": 1, "description": "entries to search; ids may repeat (several photos of a person); "
                                                   "at most MAX_GALLERY_SIZE (default "
                                                   f"{RequestLimits().max_gallery_size:,})",
    "items": {"type": "object", "required": ["id", "embedding"],
              "properties": {"id": {"type": "string", "maxLength": MAX_ID_LENGTH}, "embedding": EMBEDDING_SCHEMA}}}
VERIFY_BODY = stored_body("embedding", EMBEDDING_SCHEMA, B64_EXAMPLE)
SEARCH_BODY = stored_body("gallery", GALLERY_SCHEMA, [{"id": "alice", "embedding": B64_EXAMPLE},
                                                      {"id": "bob", "embedding": B64_EXAMPLE}])
