"""Clients of bench/hostile.py: one answer per hostile request (status, seconds, error code), over httpx, urllib or
a raw socket (uploads that stop half-way, or never finish)."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

from tests.support import hostile_inputs as h

KEY = "hostile-bench-key"
DEADLINE_S = 10.0


@dataclass
class Answer:
    status: int
    seconds: float
    code: str | None = None
    note: str = ""


@dataclass
class Class:
    name: str
    what: str
    expect: tuple[int, ...]  # acceptable statuses
    send: Callable[[str], list[Answer]]  # base URL -> answers
    results: list[Answer] = field(default_factory=list)


def _answer(r: httpx.Response, t0: float) -> Answer:
    code = None
    if r.status_code >= 400:
        try:
            code = r.json().get("code")
        except ValueError:
            code = "NOT-JSON"
    return Answer(r.status_code, time.perf_counter() - t0, code)


def post_file(route: str, data: bytes, times: int = 1, concurrency: int = 1) -> Callable[[str], list[Answer]]:
    def send(base: str) -> list[Answer]:
        def one(_: int) -> Answer:
            t0 = time.perf_counter()
            r = httpx.post(base + route, files={"image": ("a", data, "application/octet-stream")},
                           headers={"x-api-key": KEY}, timeout=60)
            a = _answer(r, t0)
            if r.status_code == 200 and "all=true" in route:
                body = r.json()
                a.note = f"{len(body['faces'])} of {body['face_count']} faces, {len(r.content) / 1e6:.2f} MB"
            elif r.status_code == 200 and route == "/detect":
                a.note = f"{r.json()['face_count']} faces"
            return a

        with ThreadPoolExecutor(concurrency) as pool:
            return list(pool.map(one, range(times)))
    return send


def post_raw(route: str, content: bytes, ctype: str, headers: dict[str, str] | None = None) -> Callable[[str], list[Answer]]:
    def send(base: str) -> list[Answer]:
        t0 = time.perf_counter()
        r = httpx.post(base + route, content=content, timeout=60,
                       headers={"content-type": ctype, "x-api-key": KEY, **(headers or {})})
        return [_answer(r, t0)]
    return send


def get(path: str, with_key: bool = False) -> Callable[[str], list[Answer]]:
    def send(base: str) -> list[Answer]:
        t0 = time.perf_counter()
        r = httpx.get(base + path, headers={"x-api-key": KEY} if with_key else {}, timeout=30)
        a = _answer(r, t0)
        a.note = f"{len(r.content)} B body" + (f", keys {sorted(r.json())}" if path == "/health" else "")
        return [a]
    return send


def slash_redirect(base: str) -> list[Answer]:
    t0 = time.perf_counter()
    r = httpx.post(base + "/detect/", files={"image": ("a.jpg", h.face_jpeg(), "image/jpeg")},
                   headers={"x-api-key": KEY, "host": "evil.example"}, follow_redirects=False)
    a = _answer(r, t0)
    a.note = f"location: {r.headers.get('location')}"
    return [a]


def upload_40mb(base: str) -> list[Answer]:
    """urllib writes the whole body before it reads: the answer is readable only if the server drains."""
    payload = h.multipart(b"xyz", "image", b"\xff" * 40_000_000)
    request = urllib.request.Request(base + "/detect", data=payload, headers={
        "content-type": "multipart/form-data; boundary=xyz", "x-api-key": KEY})
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return [Answer(r.status, time.perf_counter() - t0)]
    except urllib.error.HTTPError as e:
        return [Answer(e.code, time.perf_counter() - t0, json.loads(e.read()).get("code"))]
    except OSError as e:
        return [Answer(-1, time.perf_counter() - t0, note=f"{type(e).__name__}: {e}")]


def raw_socket(port: int, head: bytes, body: bytes, wait_answer: bool) -> Answer:
    t0 = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(head + body)
        if not wait_answer:
            time.sleep(0.3)
            return Answer(0, time.perf_counter() - t0, note="client closed mid-upload")
        s.settimeout(DEADLINE_S + 10)
        data = b""
        while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < _content_length(data):
            chunk = s.recv(65_536)
            if not chunk:
                break
            data += chunk
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else -1
    code = json.loads(data.split(b"\r\n\r\n", 1)[1]).get("code") if b"\r\n\r\n" in data else None
    return Answer(status, time.perf_counter() - t0, code)


def _content_length(data: bytes) -> int:
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":", 1)[1])
    return 0


def upload_head(port: int, length: int) -> bytes:
    return (f"POST /detect HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nx-api-key: {KEY}\r\n"
            f"Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: {length}\r\n\r\n").encode()
