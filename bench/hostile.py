"""make hostile: issue #10's hostile-input classes against the service under uvicorn on 127.0.0.1 (bench/server.py,
API_KEY set, S3 input pointed at a local endpoint that never answers), one class at a time; per class the answers,
the worst latency, and the server's peak RSS over its idle RSS, read from /proc (the peak is reset before each class
through /proc/PID/clear_refs, with a 5 ms VmRSS sampler as a cross-check).

    make hostile            # or: .venv/bin/python -m bench.hostile [--only NAME ...]

Every input is generated here (tests/support/hostile_inputs.py), sent over httpx, urllib or a raw socket (uploads
that stop half-way, or never finish); traffic goes only to 127.0.0.1, each class a bounded number of requests (at
most 8 at once). Passes when every answer is the documented one, none is a 5xx for the client's mistake (the silent
S3 endpoint's 502 is the documented answer), every answer arrives within the deadline, and no class adds more than
the envelope (300 MB) to the server's peak. Writes bench/results/hostile-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np

from bench.common import RESULTS, PeakOverIdle, save_results, utc_now
from bench.server import service_server, silent_endpoint
from tests.support import hostile_inputs as h
from tests.support.photos import wheel_photo
from tests.support.services import PACK

ENVELOPE_MIB = 300.0
KEY = "hostile-bench-key"
DEADLINE_S = 10.0


# -- the clients: one answer per hostile request (status, seconds, error code) ---------------------------------------
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


def send(method: str, path: str, key: bool = True, note: Callable[[httpx.Response], str] | None = None,
         **kwargs: Any) -> Callable[[str], list[Answer]]:
    """One request (httpx keyword arguments; headers on top of the API key), its answer and an optional note."""
    headers = {"x-api-key": KEY} if key else {}
    headers.update(kwargs.pop("headers", {}))

    def go(base: str) -> list[Answer]:
        t0 = time.perf_counter()
        r = httpx.request(method, base + path, headers=headers, timeout=60, **kwargs)
        a = _answer(r, t0)
        a.note = note(r) if note else ""
        return [a]
    return go


def post_raw(route: str, content: bytes, ctype: str) -> Callable[[str], list[Answer]]:
    return send("POST", route, content=content, headers={"content-type": ctype})


def get(path: str, with_key: bool = False) -> Callable[[str], list[Answer]]:
    return send("GET", path, with_key, lambda r: f"{len(r.content)} B body"
                + (f", keys {sorted(r.json())}" if path == "/health" else ""))


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
    found = re.search(rb"^content-length:\s*(\d+)", data.split(b"\r\n\r\n", 1)[0], re.I | re.M)
    return int(found[1]) if found else 0


def upload_head(port: int, length: int) -> bytes:
    return (f"POST /detect HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nx-api-key: {KEY}\r\n"
            f"Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: {length}\r\n\r\n").encode()


# -- the classes ---------------------------------------------------------------------------------------------------
def classes(port: int, log: Path) -> list[Class]:
    face = h.face_pixels()
    scan_bomb = h.scan_bomb(h.progressive_jpeg(face), 400)
    t0 = time.perf_counter()
    cv2.imdecode(np.frombuffer(scan_bomb, np.uint8), cv2.IMREAD_COLOR)  # what it costs a decoder without the bound
    undefended = time.perf_counter() - t0
    big = np.tile(cv2.resize(face, (600, 740)), (6, 10, 1))[:4000, :6000]
    big_progressive = h.progressive_jpeg(big)
    mosaic = h.face_mosaic(30, 30, 96)
    tiff_bombs = [h.tiff_rgb(face, t, o, declare=(30_000, 30_000)) for t in h.TIFF_TYPES for o in "<>"]

    def many(datas: list[bytes]) -> Callable[[str], list[Answer]]:
        return lambda base: [a for d in datas for a in post_file("/detect", d)(base)]

    def dropped(base: str) -> list[Answer]:
        before = log.stat().st_size
        answers = [raw_socket(port, upload_head(port, 900_000), b"--xyz\r\n" + b"\x00" * 100_000, False)
                   for _ in range(5)]
        time.sleep(1.0)
        added = log.read_bytes()[before:].decode(errors="replace")
        aborts = added.count('"status":499')
        answers[0].note = (f"server log: {added.count(chr(10))} lines for 5 drops, "
                           f"{added.count('Traceback')} tracebacks, {aborts} with status 499")
        return answers

    return [
        Class("baseline-photo", "one real portrait, /detect (reference)", (200,), post_file("/detect", h.face_jpeg())),
        Class("png-rgba-6320", "168 kB flat 6320x6320 RGBA PNG (40 MP; 2 x 160 MB to decode), /detect", (413,),
              post_file("/detect", h.flat_png(6320, 6320, 4, 8))),
        Class("png-rgba16-6320", "flat 6320x6320 16-bit RGBA PNG (2 x 320 MB to decode), /detect", (413,),
              post_file("/detect", h.flat_png(6320, 6320, 4, 16))),
        Class("png-rgb-6320", "flat 6320x6320 RGB PNG (40 MP, at the 240 MB decode budget), /detect", (200,),
              post_file("/detect", h.flat_png(6320, 6320, 3, 8))),
        Class("png-rgba-5470", "flat 5470x5470 RGBA PNG (30 MP, at the budget), /detect", (200,),
              post_file("/detect", h.flat_png(5470, 5470, 4, 8))),
        Class("png-rgba16-3870", "flat 3870x3870 16-bit RGBA PNG (15 MP, at the budget), /detect", (200,),
              post_file("/detect", h.flat_png(3870, 3870, 4, 16))),
        Class("png-rgba-4000x3000-x8", "eight concurrent flat 4000x3000 RGBA PNGs, /detect", (200,),
              post_file("/detect", h.flat_png(4000, 3000, 4, 8), times=8, concurrency=8)),
        Class("tiff-dims-every-type", "TIFF declaring 30000x30000 as SHORT/LONG/SSHORT/SLONG, II and MM", (413,),
              many(tiff_bombs)),
        Class("tiff-sshort-real", "a real face TIFF whose sizes are SSHORT, big-endian", (200,),
              post_file("/detect", h.tiff_rgb(face, "SSHORT", ">"))),
        Class("bmp-core-header", "the face as a BMP with the 12-byte OS/2 core header", (200,),
              post_file("/detect", h.bmp_core(face))),
        Class("jpeg-every-sof", "JPEG declaring 30000x30000 in each of the 13 SOF types", (413,),
              many([h.jpeg_sof_bomb(m) for m in h.JPEG_SOFS])),
        Class("webp-every-header", "WebP VP8/VP8L/VP8X declaring 16000x16000", (413,), many(list(h.webp_bombs().values()))),
        Class("jpeg-scan-bomb-x3", f"{len(scan_bomb) // 1000} kB progressive JPEG, last scan repeated 400 times "
              f"(undefended: {undefended:.1f} s of decoding), 3 at once", (400,), post_file("/detect", scan_bomb, 3, 3)),
        Class("jpeg-progressive-24mp", f"a legitimate 6000x4000 progressive JPEG ({len(big_progressive) // 1000} kB)",
              (200,), post_file("/detect", big_progressive)),
        Class("mosaic-extract-all", f"{len(mosaic) / 1e6:.1f} MB mosaic of 900 face crops, "
              "/extract-embedding?all=true", (200,), post_file("/extract-embedding?all=true", mosaic)),
        Class("s3-never-answers", "image_s3 on an endpoint that accepts and never answers", (502,),
              post_raw("/detect", b'{"image_s3": "s3://hostile-bucket/private/IMG_0001.jpg"}', "application/json")),
        Class("json-deep", "JSON nested 10,000 deep", (400,), post_raw("/detect", h.deep_json(10_000), "application/json")),
        Class("multipart-boundary-300", "multipart boundary of 300 bytes", (400,),
              post_raw("/detect", h.multipart(b"b" * 300, "image", h.face_jpeg()),
                       "multipart/form-data; boundary=" + "b" * 300)),
        Class("multipart-1m-parts", "9.9 MB multipart body of 900,000 empty parts", (400,),
              post_raw("/detect", b"--b\r\n\r\n\r\n" * 900_000 + b"--b--\r\n", "multipart/form-data; boundary=b")),
        Class("json-3m-objects", "9.9 MB JSON array of 3,300,000 empty objects", (400,),
              post_raw("/detect", b"[" + b"{}," * 3_300_000 + b"{}]", "application/json")),
        Class("client-drops-mid-upload", "5 clients that send 100 kB of a 900 kB body and hang up", (0,), dropped),
        Class("stalled-upload", "a client that sends its headers and 7 bytes, then nothing", (408,),
              lambda base: [raw_socket(port, upload_head(port, 900_000), b"--xyz\r\n", True)]),
        Class("upload-40mb", "40 MB multipart upload (urllib: writes it all before reading)", (413,), upload_40mb),
        Class("post-trailing-slash", "POST /detect/ with Host: evil.example", (404,),
              send("POST", "/detect/", files={"image": ("a.jpg", h.face_jpeg(), "image/jpeg")},
                   headers={"host": "evil.example"}, follow_redirects=False,
                   note=lambda r: f"location: {r.headers.get('location')}")),
        Class("path-8kb-404", "GET of an 8 kB unknown path", (404,), get("/" + "a" * 8_000, with_key=True)),
        Class("health-without-key", "GET /health without x-api-key (API_KEY set)", (200,), get("/health")),
        Class("health-with-key", "GET /health with the key", (200,), get("/health", with_key=True)),
    ]


# -- run ----------------------------------------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="*", help="class names to run (default: all)")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    s3_server, s3_port = silent_endpoint()
    log = RESULTS / "hostile-server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    server = service_server("hostile", {
        "LOG_LEVEL": "INFO", "API_KEY": KEY, "ALLOWED_S3_BUCKETS": "hostile-bucket",
        "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{s3_port}", "AWS_ACCESS_KEY_ID": "hostile",
        "AWS_SECRET_ACCESS_KEY": "hostile", "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "REQUEST_DEADLINE_S": str(DEADLINE_S)},
        pack=os.environ.get("MODEL_PACK", PACK))
    server.log_path = log
    server.start()
    port, base, pid = server.port, server.base, server.pid
    rows: list[dict[str, Any]] = []
    try:
        server.wait_ready()
        for _ in range(3):  # warm: first-request allocations out of the way
            post_file("/detect", h.face_jpeg())(base)
            post_file("/extract-embedding?all=true", wheel_photo("gdp.jpg").read_bytes())(base)
        for c in classes(port, log):
            if args.only and c.name not in args.only:
                continue
            time.sleep(0.5)
            with PeakOverIdle(pid) as rss:
                c.results = c.send(base)
            idle, peak, hwm_reset = rss.idle_mib, rss.peak_mib, rss.hwm_reset
            worst = max(a.seconds for a in c.results)
            ok = all(a.status in c.expect for a in c.results)
            over = peak - idle
            answers = sorted({f"{a.status} {a.code or ''}".strip() for a in c.results})
            notes = sorted({a.note for a in c.results if a.note})
            row: dict[str, Any] = {"class": c.name, "what": c.what, "n": len(c.results), "answers": answers,
                   "expected": list(c.expect), "as_expected": ok, "idle_rss_mib": round(idle, 1),
                   "peak_over_idle_mib": round(over, 1), "worst_s": round(worst, 3),
                   "within_deadline": worst < DEADLINE_S + 1.0, "within_envelope": over <= ENVELOPE_MIB,
                   "peak_source": "VmHWM after clear_refs" if hwm_reset else "VmRSS sampled every 5 ms",
                   "notes": notes}
            rows.append(row)
            print(f"{c.name:26s} {', '.join(answers):28s} peak+{over:7.1f} MiB  worst {worst:6.2f} s  "
                  f"{'ok' if ok and row['within_deadline'] and row['within_envelope'] else 'FAIL'}  "
                  f"{'; '.join(notes)[:100]}", flush=True)
        if server.proc is None or server.proc.poll() is not None:
            raise RuntimeError("the server died during the run")
    finally:
        server.stop()
        s3_server.close()

    text = log.read_text(errors="replace")
    summary = {"date": utc_now(), "cpus": len(os.sched_getaffinity(0)),
               "deadline_s": DEADLINE_S, "envelope_mib": ENVELOPE_MIB, "rows": rows,
               "server_log_tracebacks": text.count("Traceback"), "server_log_errors": text.count('"level":"ERROR"')}
    out = save_results(summary, "hostile", args.json)
    print("\n| class | input | answers | peak RSS over idle (MiB) | worst (s) |")
    print("|---|---|---|---:|---:|")
    for r in rows:
        print(f"| {r['class']} | {r['what']} | {', '.join(r['answers'])} | {r['peak_over_idle_mib']:.1f} | "
              f"{r['worst_s']:.2f} |")
    print(f"\nserver log: {summary['server_log_tracebacks']} tracebacks; results in {out}")
    ok = all(r["as_expected"] and r["within_deadline"] and r["within_envelope"] for r in rows)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
