"""The bad-input matrix (tests/support/matrix.py): every case answers its documented status and code in the one error
shape, never a 500, and never hangs (pytest-timeout guards each case)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from function.api.app import create_app
from function.api.errors import ERROR_CODES
from function.limits import DRAIN_MAX_BYTES
from tests.support import hostile_inputs as h
from tests.support.matrix import MATRIX, Case

pytestmark = pytest.mark.timeout(120)


def test_matrix_is_big_enough() -> None:
    assert len(MATRIX) >= 25
    assert len({c.id for c in MATRIX}) == len(MATRIX)


@pytest.mark.parametrize("case", MATRIX, ids=[c.id for c in MATRIX])
def test_bad_input(client: TestClient, case: Case) -> None:
    r = client.request(case.method, case.route, **case.request())
    assert r.status_code == case.status, r.text[:300]
    body = r.json()
    if case.code is None:
        if case.route == "/detect":
            assert body["face_count"] >= case.faces_at_least
        return
    assert body["success"] is False
    assert body["code"] == case.code
    assert ERROR_CODES[case.code][0] == case.status  # the documented status for that code
    assert isinstance(body["error"], str) and body["error"]
    assert body.get("field") == case.field


@pytest.fixture(scope="module")
def small_cap_client(settings, engine):
    with TestClient(create_app(replace(settings, max_upload_bytes=200_000), engine=engine)) as c:
        yield c


def test_body_over_cap_refused_from_content_length(small_cap_client: TestClient) -> None:
    r = small_cap_client.post("/detect", files={"image": ("a.jpg", b"\xff" * 300_000, "image/jpeg")})
    assert r.status_code == 413
    assert r.json()["code"] == "PAYLOAD_TOO_LARGE"


def test_body_over_cap_refused_without_reading_it_all(settings, engine) -> None:
    """Chunked upload, no Content-Length, driven straight through ASGI: refused with 413 once the cap is
    passed; what follows is drained (so that a client still sending can read the answer) only up to the drain
    bound, never the whole 128 MiB offered."""
    app = create_app(replace(settings, max_upload_bytes=200_000), engine=engine)
    chunk, total_chunks = b"\x00" * (1 << 20), 128
    pulled, sent = [0], []

    async def receive():
        pulled[0] += 1
        return {"type": "http.request", "body": chunk, "more_body": pulled[0] < total_chunks}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/detect", "raw_path": b"/detect", "query_string": b"", "root_path": "",
             "headers": [(b"content-type", b"multipart/form-data; boundary=xyz")],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert start["status"] == 413
    assert json.loads(body)["code"] == "PAYLOAD_TOO_LARGE"
    assert pulled[0] <= (200_000 + DRAIN_MAX_BYTES) // len(chunk) + 2 < total_chunks


def test_json_body_over_cap(small_cap_client: TestClient) -> None:
    r = small_cap_client.post("/detect", json={"image": "A" * 400_000})
    assert r.status_code == 413 and r.json()["code"] == "PAYLOAD_TOO_LARGE"


def test_faces_found_in_supported_variants_match_the_original(client: TestClient) -> None:
    """CMYK, 16-bit, grayscale, and transparent-background variants find the face where the plain JPEG does."""
    ref = client.post("/detect", files={"image": ("a.jpg", h.face_jpeg(), "image/jpeg")}).json()["faces"][0]["box"]
    for data in (h.cmyk_jpeg(), h.png16(), h.gray_jpeg()):
        got = client.post("/detect", files={"image": ("a", data, "application/octet-stream")}).json()
        assert got["face_count"] == 1
        assert max(abs(a - b) for a, b in zip(got["faces"][0]["box"], ref, strict=True)) < 8
    # transparent canvas: the face sits offset by (w/2, h/2)
    got = client.post("/detect", files={"image": ("a.png", h.rgba_transparent_png(), "image/png")}).json()
    hh, ww = h.face_pixels().shape[:2]
    shifted = [ref[0] + ww // 2, ref[1] + hh // 2, ref[2] + ww // 2, ref[3] + hh // 2]
    assert got["face_count"] == 1
    assert max(abs(a - b) for a, b in zip(got["faces"][0]["box"], shifted, strict=True)) < 8
