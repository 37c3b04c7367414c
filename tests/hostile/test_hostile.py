"""Issue #10, hostile input: every class answers its documented 4xx (or a 200) within the envelope, never a 5xx
for the client's mistake. Every input is generated here (tests/support/hostile_inputs.py); no stored bombs. Memory is asserted
with tracemalloc (numpy and OpenCV's Python-side arrays), never with timings."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import socket
import threading
import tracemalloc
from dataclasses import replace

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from function.api.app import create_app
from function.api.s3 import S3Reader
from function.engine import FaceEngine
from function.imaging import DecodeLimits, decode_image, read_header
from tests.support import hostile_inputs as h
from tests.support.photos import wheel_photo
from tests.support.services import import_lambda_handler

pytestmark = pytest.mark.timeout(120)


def post_image(client: TestClient, data: bytes, route: str = "/detect", **kw):
    return client.post(route, files={"image": ("a", data, "application/octet-stream")}, **kw)


def assert_error(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text[:300]
    body = r.json()
    assert body["success"] is False and body["code"] == code
    return body


# -- header checks: every legal encoding of the dimensions ---------------------------------------------------------
@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize("dim_type", sorted(h.TIFF_TYPES))
def test_tiff_dimensions_in_every_integer_type(client: TestClient, dim_type: str, order: str) -> None:
    face = h.face_pixels()
    ok = decode_image(h.tiff_rgb(face, dim_type, order))
    assert (ok.width, ok.height) == (face.shape[1], face.shape[0])
    assert np.array_equal(ok.pixels, face)
    bomb = h.tiff_rgb(face, dim_type, order, declare=(30_000, 30_000))
    assert_error(post_image(client, bomb), 413, "IMAGE_TOO_LARGE")


def test_tiff_negative_dimension_refused(client: TestClient) -> None:
    bomb = h.tiff_rgb(h.face_pixels(), "SSHORT", "<", declare=(-5, 287))
    assert_error(post_image(client, bomb), 400, "INVALID_IMAGE")


def test_bmp_core_header_is_read_as_16_bit_sizes(client: TestClient) -> None:
    image = np.zeros((64, 64, 3), np.uint8)
    image[16:48, 16:48] = (0, 0, 255)
    decoded = decode_image(h.bmp_core(image))
    assert (decoded.width, decoded.height) == (64, 64) and np.array_equal(decoded.pixels, image)
    r = post_image(client, h.bmp_core(h.face_pixels()))
    assert r.status_code == 200 and r.json()["face_count"] == 1


@pytest.mark.parametrize("marker", h.JPEG_SOFS, ids=[f"SOF{m - 0xC0}" for m in h.JPEG_SOFS])
def test_every_jpeg_frame_header_is_checked(client: TestClient, marker: int) -> None:
    assert_error(post_image(client, h.jpeg_sof_bomb(marker)), 413, "IMAGE_TOO_LARGE")


@pytest.mark.parametrize("kind", ["VP8", "VP8L", "VP8X"])
def test_every_webp_header_is_checked(client: TestClient, kind: str) -> None:
    assert_error(post_image(client, h.webp_bombs()[kind]), 413, "IMAGE_TOO_LARGE")


def test_unreadable_header_is_refused_before_decoding(client: TestClient) -> None:
    data = bytearray(h.encode(h.face_pixels(), ".png"))
    data[12:16] = b"XXXX"  # IHDR renamed: no size to check, so no decode
    assert_error(post_image(client, bytes(data)), 400, "INVALID_IMAGE")


def test_jpeg_in_tiff_refused(client: TestClient) -> None:
    data = bytearray(h.tiff_rgb(h.face_pixels()))
    at = data.find(b"\x03\x01\x03\x00")  # tag 259 (Compression), SHORT, little-endian
    data[at + 8:at + 10] = (7).to_bytes(2, "little")
    assert_error(post_image(client, bytes(data)), 415, "UNSUPPORTED_MEDIA_TYPE")


# -- decoder budget and amplifiers -----------------------------------------------------------------------------
def test_sixteen_bit_rgba_counts_twice_against_the_decoder_budget(client: TestClient) -> None:
    limits = DecodeLimits()
    header = read_header(h.flat_png(6320, 6320, 4, 16), "png")
    assert header is not None and header.decoder_bytes > limits.decode_budget_bytes
    assert_error(post_image(client, h.flat_png(6320, 6320, 4, 16)), 413, "IMAGE_TOO_LARGE")


def test_progressive_jpeg_scan_bomb_refused(client: TestClient) -> None:
    jpeg = h.progressive_jpeg(h.face_pixels())
    assert post_image(client, jpeg).status_code == 200  # libjpeg's own progressive file: 10 scans, accepted
    body = assert_error(post_image(client, h.scan_bomb(jpeg, 200)), 400, "INVALID_IMAGE")
    assert "scans" in body["error"]


@pytest.mark.parametrize("channels,depth", [(4, 8), (4, 16), (3, 16), (1, 16)])
def test_large_frames_convert_without_full_size_copies(channels: int, depth: int) -> None:
    """Alpha and 16-bit conversions work on the reduced frame: the Python-side peak is the decoded frame plus its
    half-size reduction (1/4), nothing more (the float alpha blend of the full frame peaked at 4-5x the frame)."""
    width, height = 3000, 2400
    data = h.flat_png(width, height, channels, depth)
    frame = width * height * channels * depth // 8
    tracemalloc.start()
    try:
        decoded = decode_image(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert decoded.pixels.dtype == np.uint8 and decoded.pixels.shape[2] == 3 and decoded.scale == 2.0
    assert peak <= frame * 1.3, (peak, frame)


def test_closeup_pass_pads_a_downscaled_copy(engine: FaceEngine) -> None:
    """A large frame with no face goes through the padded close-up pass; the padded copy is of a frame shrunk to
    2 x det_size, not of the frame (which would be 4x its pixels: 72 MB here)."""
    blank = np.full((3000, 2000, 3), 200, np.uint8)
    tracemalloc.start()
    try:
        faces, passes = engine.detect_traced(blank, "all")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert faces == [] and passes == "full+closeup"
    assert peak < 2 * (2 * engine.config.det_size) ** 2 * 3 * 4, peak


def test_closeup_on_a_large_frame_still_finds_the_face(engine: FaceEngine) -> None:
    face = h.face_pixels()
    big = cv2.resize(face, (face.shape[1] * 8, face.shape[0] * 8), interpolation=cv2.INTER_CUBIC)
    faces = engine.passes.closeups(big)
    assert len(faces) == 1
    small = engine.passes.closeups(face)[0]
    np.testing.assert_allclose(faces[0].box / 8, small.box, atol=6)


# -- the gate and the deadline -----------------------------------------------------------------------------------
@pytest.fixture
def one_slot_app(settings, engine):
    """An app whose engine (same sessions) allows one run at a time, with a short deadline."""
    single = FaceEngine(engine.detector, engine.recognizer, replace(engine.config, max_concurrent_runs=1), engine.pack)
    app = create_app(replace(settings, request_deadline_s=1.0), engine=single)
    with TestClient(app) as c:
        yield c, single


def test_decoding_waits_for_the_run_gate_within_the_deadline(one_slot_app) -> None:
    client, single = one_slot_app
    assert single.gate.acquire()  # all slots taken by someone else
    try:
        r = post_image(client, h.face_jpeg())
        assert_error(r, 503, "DEADLINE_EXCEEDED")  # the decode itself waited for the gate, then gave up in time
        assert r.headers["retry-after"] == "1"
        assert_error(post_image(client, h.png_bomb()), 413, "IMAGE_TOO_LARGE")  # header refusals never wait
    finally:
        single.gate.release()
    assert post_image(client, h.face_jpeg()).status_code == 200


def test_stalled_upload_gets_408(settings, engine) -> None:
    app = create_app(replace(settings, request_deadline_s=0.3), engine=engine)
    sent: list[dict] = []
    calls = [0]

    async def receive():
        calls[0] += 1
        if calls[0] == 1:
            return {"type": "http.request", "body": b"--xyz\r\n", "more_body": True}
        await asyncio.sleep(3600)  # the client stalls; the deadline must end the wait

    async def send(message):
        sent.append(message)

    asyncio.run(asyncio.wait_for(app(_scope([(b"content-type", b"multipart/form-data; boundary=xyz")]), receive, send),
                                 30))
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 408


# -- answers: faces cap and size guard ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def capped(settings, engine):
    with TestClient(create_app(replace(settings, max_faces=2), engine=engine)) as c:
        yield c


def test_faces_capped_largest_kept_and_flagged(client: TestClient, capped: TestClient) -> None:
    gdp = wheel_photo("gdp.jpg").read_bytes()
    full = post_image(client, gdp).json()
    assert full["face_count"] == 5 and "faces_truncated" not in full
    cut = post_image(capped, gdp).json()
    assert cut["face_count"] == 5 and len(cut["faces"]) == 2 and cut["faces_truncated"] is True

    def area(f):
        return (f["box"][2] - f["box"][0]) * (f["box"][3] - f["box"][1])

    largest = sorted(full["faces"], key=area, reverse=True)[:2]
    assert sorted(map(str, cut["faces"])) == sorted(map(str, largest))
    body = post_image(capped, gdp, route="/extract-embedding?all=true").json()
    assert len(body["faces"]) == 2 and body["faces_truncated"] is True and body["face_count"] == 5


def test_answer_size_guard_truncates_to_fit(settings, engine) -> None:
    limit = 30_000  # one face with its embedding is ~11 kB, repeated at the top level
    with TestClient(create_app(replace(settings, max_answer_bytes=limit), engine=engine)) as c:
        r = post_image(c, wheel_photo("gdp.jpg").read_bytes(), route="/extract-embedding?all=true")
    assert r.status_code == 200 and len(r.content) <= limit
    body = r.json()
    assert 1 <= len(body["faces"]) < 5 and body["faces_truncated"] is True


# -- request parsing ---------------------------------------------------------------------------------------------
def test_deeply_nested_json_is_a_400(client: TestClient) -> None:
    r = client.post("/detect", content=h.deep_json(100_000), headers={"content-type": "application/json"})
    assert_error(r, 400, "INVALID_REQUEST")


@pytest.mark.parametrize("length", [71, 300, 5_000])
def test_oversize_multipart_boundary_is_a_400(client: TestClient, length: int) -> None:
    boundary = b"b" * length
    r = client.post("/detect", content=h.multipart(boundary, "image", h.face_jpeg()),
                    headers={"content-type": "multipart/form-data; boundary=" + boundary.decode()})
    assert_error(r, 400, "INVALID_REQUEST")


def test_long_field_names_are_not_echoed(client: TestClient) -> None:
    r = client.post("/detect", files={"x" * 2_000: ("a.jpg", h.face_jpeg(), "image/jpeg")})
    assert_error(r, 422, "MISSING_FIELD")
    assert len(r.content) < 500


def _scope(headers: list[tuple[bytes, bytes]], path: str = "/detect") -> dict:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
            "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
            "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}


def test_client_disconnect_mid_upload_is_one_line_not_an_error(app, caplog: pytest.LogCaptureFixture) -> None:
    sent: list[dict] = []
    messages = iter([{"type": "http.request", "body": b"--xyz\r\n", "more_body": True}, {"type": "http.disconnect"}])

    async def receive():
        return next(messages)

    async def send(message):
        sent.append(message)

    caplog.set_level(logging.DEBUG)
    asyncio.run(app(_scope([(b"content-type", b"multipart/form-data; boundary=xyz"),
                            (b"content-length", b"500000")]), receive, send))
    statuses = [m["status"] for m in sent if m["type"] == "http.response.start"]
    assert statuses == [499]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    lines = [r for r in caplog.records if r.getMessage() == "request"]
    assert len(lines) == 1 and lines[0].levelno <= logging.WARNING


def test_one_traceback_per_bug_and_no_exception_out_of_the_app(settings, engine,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(settings, engine=engine)

    def boom() -> None:
        raise RuntimeError("a real bug")

    app.add_api_route("/boom", boom, methods=["GET"])
    caplog.set_level(logging.DEBUG)
    with TestClient(app) as c:  # raise_server_exceptions: an exception reaching the server would raise here
        r = c.get("/boom")
    assert_error(r, 500, "INTERNAL_ERROR")
    tracebacks = [rec for rec in caplog.records if rec.exc_info]
    assert len(tracebacks) == 1 and tracebacks[0].levelno == logging.ERROR


def test_no_slash_redirect_and_short_404(client: TestClient) -> None:
    r = client.post("/detect/", files={"image": ("a.jpg", h.face_jpeg(), "image/jpeg")}, follow_redirects=False,
                    headers={"host": "evil.example"})
    assert_error(r, 404, "NOT_FOUND")
    assert "location" not in r.headers
    r = client.get("/" + "a" * 60_000)
    assert_error(r, 404, "NOT_FOUND")
    assert len(r.content) < 300


# -- /health with an API key -------------------------------------------------------------------------------------
def test_health_tells_only_up_or_down_without_the_key(settings, engine) -> None:
    with TestClient(create_app(replace(settings, api_key="sekret"), engine=engine)) as c:
        anonymous = c.get("/health")
        wrong = c.get("/health", headers={"x-api-key": "nope"})
        known = c.get("/health", headers={"x-api-key": "sekret"})
    assert anonymous.status_code == 200 and anonymous.json() == {"status": "healthy"}
    assert wrong.json() == {"status": "healthy"}
    assert known.status_code == 200 and known.json()["models"] and known.json()["similarity_threshold"]


# -- S3 ----------------------------------------------------------------------------------------------------------
@pytest.fixture
def silent_endpoint():
    """A TCP endpoint that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(5)
    for s in held:
        s.close()
    server.close()


def test_s3_that_never_answers_is_a_502_within_the_deadline(settings, engine, silent_endpoint, monkeypatch) -> None:
    pytest.importorskip("boto3")
    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                 "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    app = create_app(replace(settings, request_deadline_s=3.0, allowed_s3_buckets=("photos",)), engine=engine)
    app.state.s3_fetch = S3Reader(("photos",), 1_000_000, client_kwargs={"endpoint_url": silent_endpoint})
    key = "secret-customer/IMG_0001.jpg"
    with TestClient(app) as c:
        r = c.post("/detect", json={"image_s3": f"s3://photos/{key}"})
    body = assert_error(r, 502, "S3_UNAVAILABLE")
    assert key not in body["error"] and "secret" not in body["error"]
    assert "Error" not in body["error"] and "Timeout" not in body["error"]  # no library class names


# -- the Lambda handler's top-level guard ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def lambda_handler(model_dir):
    return import_lambda_handler(model_dir).handler


def _event(**changes) -> dict:
    base = {"resource": "/detect", "path": "/detect", "httpMethod": "POST", "headers": {"content-type": "application/json"},
            "multiValueHeaders": None, "queryStringParameters": None, "multiValueQueryStringParameters": None,
            "requestContext": {"resourcePath": "/detect", "httpMethod": "POST", "path": "/Prod/detect",
                               "stage": "Prod", "requestId": "r1"},
            "body": json.dumps({"image": base64.b64encode(h.face_jpeg()).decode()}), "isBase64Encoded": False}
    base.update(changes)
    return base


MALFORMED = {
    "a-list": [1, 2],
    "a-string": "hello",
    "no-request-context": {k: v for k, v in _event().items() if k != "requestContext"},
    "request-context-null": _event(requestContext=None),
    "base64-flag-on-text": _event(isBase64Encoded=True, body="{not base64 at all!}"),
    "non-string-header": _event(headers={"content-type": 5}),
    "null-cookie": _event(cookies=[None]),
    "headers-a-list": _event(headers=["x"]),
    "body-an-object": _event(body={"image": "x"}),
    "http-not-a-dict": {**_event(), "version": "2.0", "requestContext": {"http": "GET"}},
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_lambda_events_get_a_400(lambda_handler, name: str) -> None:
    answer = lambda_handler(MALFORMED[name], None)
    assert answer["statusCode"] == 400
    body = json.loads(answer["body"])
    assert body["success"] is False and body["code"] == "INVALID_REQUEST"


def test_well_formed_lambda_event_still_answers(lambda_handler) -> None:
    answer = lambda_handler(_event(), None)
    assert answer["statusCode"] == 200 and json.loads(answer["body"])["face_count"] == 1


def test_lambda_deadline_comes_from_the_remaining_time() -> None:
    from function.api.middleware import request_deadline
    from function.limits import LAMBDA_MARGIN_S

    class Context:
        def __init__(self, ms: int) -> None:
            self.ms = ms

        def get_remaining_time_in_millis(self) -> int:
            return self.ms

    short = request_deadline({"aws.context": Context(5_000)}, 10.0)
    assert short.budget_s == pytest.approx(5.0 - LAMBDA_MARGIN_S)
    assert request_deadline({"aws.context": Context(60_000)}, 10.0).budget_s == 10.0
    assert request_deadline({}, 10.0).budget_s == 10.0


@pytest.mark.parametrize("kind", ["empty-parts", "part-headers"])
def test_multipart_structure_bombs_are_a_400(client: TestClient, kind: str) -> None:
    """10 MB of empty parts parsed into +300 MB of objects; a part with thousands of headers likewise."""
    if kind == "empty-parts":
        body = b"--b\r\n\r\n\r\n" * 100_000 + b"--b--\r\n"
    else:
        body = b"--b\r\n" + b"X-A: 1\r\n" * 50_000 + b"\r\nx\r\n--b--\r\n"
    r = client.post("/detect", content=body, headers={"content-type": "multipart/form-data; boundary=b"})
    assert_error(r, 400, "INVALID_REQUEST")


@pytest.mark.parametrize("body", [b"[" + b"{}," * 1_100_000 + b"{}]", b'{"image": [' + b'"ab",' * 1_100_000 + b'"ab"]}',
                                  b'{"image": [' + b"0," * 3_000_000 + b"0]}"], ids=["objects", "strings", "values"])
def test_json_structure_bombs_are_a_400(client: TestClient, body: bytes) -> None:
    """Refused from a count on the raw bytes, before json.loads builds millions of objects (+270 MB for 10 MB)."""
    r = client.post("/detect", content=body, headers={"content-type": "application/json"})
    assert_error(r, 400, "INVALID_REQUEST")
