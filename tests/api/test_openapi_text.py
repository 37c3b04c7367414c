"""The OpenAPI document is the service's, not one deployment's: its numbers come from the service's constants and
defaults (function/api/openapi.py), so settings do not change it and the committed spec (clients/typescript) holds
wherever the service runs."""

from __future__ import annotations

import json
from dataclasses import replace

from function.api.app import create_app
from function.limits import RequestLimits
from function.models.roles import EMBEDDING_SIZE


def test_settings_do_not_change_the_spec(settings, engine) -> None:
    default = create_app(settings, engine=engine).openapi()
    other = create_app(replace(settings, max_gallery_size=5, max_upload_bytes=1_000, max_faces=3,
                               request_deadline_s=2.0, api_key="k", allowed_s3_buckets=("b",)), engine=engine).openapi()
    assert json.dumps(other, sort_keys=True) == json.dumps(default, sort_keys=True)


def test_the_spec_quotes_the_constants(settings, engine) -> None:
    spec = create_app(settings, engine=engine).openapi()
    text = json.dumps(spec)
    assert engine.embedding_size == EMBEDDING_SIZE  # the constant the text quotes is the served model's
    assert f"{EMBEDDING_SIZE}-D" in spec["info"]["description"]
    assert f"(default {RequestLimits().max_gallery_size:,})" in text
    search = spec["paths"]["/search"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    embedding = search["properties"]["gallery"]["items"]["properties"]["embedding"]["oneOf"][0]
    assert embedding["minItems"] == embedding["maxItems"] == EMBEDDING_SIZE
