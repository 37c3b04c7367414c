"""Issue #10 over real plain HTTP (uvicorn started by the image's entry script, as `docker run` serves): an
over-limit upload gets a 413 JSON the client reads (not a connection reset), a client that drops mid-upload costs
one log line and no traceback, `POST /detect/` is not redirected."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import httpx
import pytest

from function.entry import DEFAULT_HANDLER
from tests.support import free_port
from tests.support import hostile_inputs as h
from tests.support.services import entry_env, start_entry, stop, wait_http

pytestmark = pytest.mark.timeout(180)
CAP = 1_000_000


@pytest.fixture(scope="module")
def server(model_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("hostile-http") / "home"
    home.mkdir()
    port = free_port()
    log = home.parent / "server.log"
    proc = start_entry(entry_env(model_dir, home, PORT=str(port), HOST="127.0.0.1", MAX_UPLOAD_BYTES=str(CAP)),
                       DEFAULT_HANDLER, log=log)
    try:
        wait_http(f"http://127.0.0.1:{port}/health", proc, log)
        yield f"http://127.0.0.1:{port}", port, log
    finally:
        stop(proc)


def test_over_limit_upload_gets_a_readable_413(server) -> None:
    """urllib writes the whole body before reading: without the drain it got a connection reset, not the 413."""
    url, _, _ = server
    payload = h.multipart(b"xyz", "image", b"\xff" * (30 * CAP))
    request = urllib.request.Request(url + "/detect", data=payload,
                                     headers={"content-type": "multipart/form-data; boundary=xyz"})
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request, timeout=60)
    assert answer.value.code == 413 and json.loads(answer.value.read())["code"] == "PAYLOAD_TOO_LARGE"


def test_over_limit_chunked_upload_gets_a_readable_413(server) -> None:
    url, _, _ = server
    payload = h.multipart(b"xyz", "image", b"\xff" * (12 * CAP))

    def chunks():
        for i in range(0, len(payload), 65_536):
            yield payload[i:i + 65_536]

    r = httpx.post(url + "/detect", content=chunks(), timeout=60,
                   headers={"content-type": "multipart/form-data; boundary=xyz"})
    assert r.status_code == 413 and r.json()["code"] == "PAYLOAD_TOO_LARGE"


def test_no_redirect_from_the_host_header(server) -> None:
    url, _, _ = server
    r = httpx.post(url + "/detect/", files={"image": ("a.jpg", h.face_jpeg(), "image/jpeg")},
                   headers={"host": "evil.example"}, follow_redirects=False)
    assert r.status_code == 404 and "location" not in r.headers
    long = httpx.get(url + "/" + "a" * 8_000)
    assert long.status_code == 404 and len(long.content) < 300


def test_client_dropping_mid_upload_is_one_line_without_traceback(server) -> None:
    url, port, log = server
    before = log.read_text(errors="replace")
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"POST /detect HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=xyz\r\n"
                  b"Content-Length: 900000\r\n\r\n--xyz\r\n" + b"\x00" * 100_000)
        time.sleep(0.3)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        added = log.read_text(errors="replace")[len(before):]
        if '"status":499' in added:
            break
        time.sleep(0.1)
    assert httpx.get(url + "/health").status_code == 200
    added = log.read_text(errors="replace")[len(before):]
    lines = [line for line in added.splitlines() if line.strip()]
    assert "Traceback" not in added and "ERROR" not in added
    assert len([line for line in lines if '"status":499' in line]) == 1, added
    assert not [line for line in lines if '"status":5' in line]
