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
from function.limits import DRAIN_MAX_S
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


# The 413 edge over a raw socket: when the answer arrives and when the connection ends, per kind of client. Each
# read is bounded by ANSWER_WAIT, well under the drain limit: an answer that waited for the drain to time out fails.
ANSWER_WAIT = DRAIN_MAX_S / 2
HEAD = (b"POST /detect HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=xyz\r\n")


def _read_answer(s: socket.socket, timeout: float) -> tuple[bytes, bytes]:
    """(status line and headers, body) of one answer framed by Content-Length, read within `timeout`."""
    s.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65_536)
        assert chunk, data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
    while len(body) < length:
        chunk = s.recv(65_536)
        assert chunk, data
        body += chunk
    return head, body


def _closed_within(s: socket.socket, timeout: float) -> bytes:
    """What the server sent after the answer, until it closed the connection (timeout: it did not close)."""
    s.settimeout(timeout)
    rest = b""
    while chunk := s.recv(65_536):
        rest += chunk
    return rest


def _is_413(head: bytes, body: bytes) -> None:
    assert head.startswith(b"HTTP/1.1 413 "), head
    assert b"connection: close" in head.lower()
    assert json.loads(body)["code"] == "PAYLOAD_TOO_LARGE"


def test_over_limit_with_expect_continue_answered_at_once_without_continue(server) -> None:
    """The client promised to wait for `100 Continue` before sending: it gets the 413 at once, no `100 Continue`,
    nothing after it, and the connection closes."""
    _, port, _ = server
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(HEAD + f"Content-Length: {11 * CAP}\r\nExpect: 100-continue\r\n\r\n".encode())
        head, body = _read_answer(s, ANSWER_WAIT)
        _is_413(head, body)
        assert _closed_within(s, ANSWER_WAIT) == b""


def test_over_limit_declared_and_sent_answered_and_closed_once_the_body_is_in(server) -> None:
    """No Expect, the whole declared body written before reading (as urllib does): the answer is already waiting, and
    the connection closes as soon as the declared body has arrived, not at the drain limit."""
    _, port, _ = server
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(HEAD + f"Content-Length: {11 * CAP}\r\n\r\n".encode() + b"\x00" * (11 * CAP))
        head, body = _read_answer(s, ANSWER_WAIT)
        _is_413(head, body)
        assert _closed_within(s, ANSWER_WAIT) == b""


def test_over_limit_declared_and_not_sent_answered_at_once_closed_at_the_drain_limit(server) -> None:
    """docs/api.md: a client that declares an over-limit body and sends none of it reads its 413 at once; the connection
    stays open for the rest of the body until the drain limit, then closes."""
    _, port, _ = server
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(HEAD + f"Content-Length: {11 * CAP}\r\n\r\n".encode())
        t0 = time.monotonic()
        head, body = _read_answer(s, ANSWER_WAIT)
        _is_413(head, body)
        assert _closed_within(s, DRAIN_MAX_S + 10) == b""
        assert time.monotonic() - t0 >= DRAIN_MAX_S * 0.9  # held open for the body, not dropped with bytes unread


def test_over_limit_chunked_refused_once_past_the_limit(server) -> None:
    """A streamed body with no length: the 413 arrives once the stream passes the limit, while the rest is unsent."""
    _, port, _ = server
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(HEAD + b"Transfer-Encoding: chunked\r\n\r\n")
        piece = b"\x00" * 65_536
        for _ in range(2 * CAP // len(piece)):
            s.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        head, body = _read_answer(s, ANSWER_WAIT)  # the terminating chunk is never sent
        _is_413(head, body)


def test_within_limit_with_expect_continue_still_gets_continue(server) -> None:
    """Expect is only short-cut when the answer is a refusal: a body within the limit gets `100 Continue`."""
    _, port, _ = server
    payload = h.multipart(b"xyz", "image", h.face_jpeg())
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(HEAD + f"Content-Length: {len(payload)}\r\nExpect: 100-continue\r\n\r\n".encode())
        s.settimeout(ANSWER_WAIT)
        assert s.recv(65_536).startswith(b"HTTP/1.1 100 ")
        s.sendall(payload)
        head, body = _read_answer(s, 60)
        assert head.startswith(b"HTTP/1.1 200 ") and json.loads(body)["face_count"] == 1
