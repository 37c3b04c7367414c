"""Every error code the service can answer is documented: in ERROR_CODES (status + meaning), in OpenAPI (the
description lists them, each route's responses carry their statuses) and in the README's table."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from function import errors
from function.api.errors import ERROR_CODES
from function.config import REPO_ROOT


def test_every_service_error_is_in_the_table() -> None:
    for cls in vars(errors).values():
        if isinstance(cls, type) and issubclass(cls, errors.ServiceError):
            assert cls.code in ERROR_CODES, cls.__name__
            assert ERROR_CODES[cls.code][0] == cls.status, cls.__name__


def test_openapi_lists_every_code(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for code, (status, _) in ERROR_CODES.items():
        assert f"`{code}` ({status})" in spec["info"]["description"]
    for path in ("/detect", "/extract-embedding", "/compare"):
        responses = spec["paths"][path]["post"]["responses"]
        described = " ".join(r.get("description", "") for r in responses.values())
        for code in ("INVALID_IMAGE", "IMAGE_TOO_SMALL", "IMAGE_TOO_LARGE", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE",
                     "MISSING_FIELD", "DUPLICATE_FIELD", "UNAUTHORIZED", "S3_BUCKET_NOT_ALLOWED", "S3_OBJECT_NOT_FOUND",
                     "S3_OBJECT_TOO_LARGE", "S3_ACCESS_DENIED", "INVALID_REQUEST"):
            assert str(ERROR_CODES[code][0]) in responses, (path, code)
            assert code in described, (path, code)
    for path in ("/extract-embedding", "/compare"):
        described = " ".join(r.get("description", "") for r in spec["paths"][path]["post"]["responses"].values())
        assert "NO_FACE" in described and "MULTIPLE_FACES" in described



def test_openapi_carries_the_codes_for_generated_clients(client: TestClient) -> None:
    """clients/typescript generates its error classes from these (x-error-codes; the ErrorResponse.code enum)."""
    spec = client.get("/openapi.json").json()
    assert spec["x-error-codes"] == {code: {"status": status, "description": text}
                                     for code, (status, text) in ERROR_CODES.items()}
    assert spec["components"]["schemas"]["ErrorResponse"]["properties"]["code"]["enum"] == list(ERROR_CODES)

def test_readme_lists_every_code_and_limit() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("## Limits and error codes", 1)[1].split("\n## ", 1)[0]
    for code, (status, _) in ERROR_CODES.items():
        assert re.search(rf"\|\s*`{code}`\s*\|\s*{status}\s*\|", section), code
    for var in ("MAX_UPLOAD_BYTES", "MAX_IMAGE_PIXELS", "MIN_IMAGE_SIDE", "MAX_S3_BYTES", "ALLOWED_S3_BUCKETS"):
        assert var in section
