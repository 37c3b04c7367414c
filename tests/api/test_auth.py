"""Optional app-level API key (API_KEY, header x-api-key, constant-time compare): 401 UNAUTHORIZED in the one
error shape on the face routes, checked before the body is read; /health, /docs and /openapi.json stay open."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from function.api.app import create_app
from function.config import Settings
from tests.support import hostile_inputs as h

KEY = "k3y-Only-The-Operator-Knows"


@pytest.fixture(scope="module")
def locked(settings, engine):
    with TestClient(create_app(replace(settings, api_key=KEY, max_upload_bytes=100_000), engine=engine)) as c:
        yield c


def _photo():
    return {"image": ("y.jpg", h.face_jpeg(), "image/jpeg")}


@pytest.mark.parametrize("headers", [{}, {"x-api-key": ""}, {"x-api-key": "wrong"}, {"x-api-key": KEY + "x"},
                                     {"x-api-key": KEY[:-1]}, {"authorization": f"Bearer {KEY}"}])
@pytest.mark.parametrize("route", ["/detect", "/extract-embedding", "/compare", "/nowhere"])
def test_refused_without_the_key(locked: TestClient, headers: dict, route: str) -> None:
    r = locked.post(route, files=_photo(), headers=headers)
    assert r.status_code == 401
    assert r.json() == {"success": False, "error": "A valid x-api-key header is required.", "code": "UNAUTHORIZED"}


def test_accepted_with_the_key(locked: TestClient) -> None:
    r = locked.post("/detect", files=_photo(), headers={"x-api-key": KEY})
    assert r.status_code == 200 and r.json()["face_count"] == 1


def test_checked_before_the_body(locked: TestClient) -> None:
    """An oversized body without the key gets 401, not 413: nothing of it is read."""
    r = locked.post("/detect", files={"image": ("a.jpg", b"\x00" * 200_000, "image/jpeg")})
    assert r.status_code == 401


@pytest.mark.parametrize("path", ["/health", "/docs", "/openapi.json"])
def test_open_paths(locked: TestClient, path: str) -> None:
    assert locked.get(path).status_code == 200


def test_off_by_default(client: TestClient) -> None:
    assert Settings.from_env({}).api_key == ""
    assert client.post("/detect", files=_photo()).status_code == 200


def test_read_from_env() -> None:
    assert Settings.from_env({"API_KEY": KEY}).api_key == KEY


def test_documented_in_openapi(locked: TestClient) -> None:
    spec = locked.get("/openapi.json").json()
    for path in ("/detect", "/extract-embedding", "/compare"):
        assert "401" in spec["paths"][path]["post"]["responses"]
