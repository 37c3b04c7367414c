"""Hostile-input run (issue #10): the service under uvicorn on 127.0.0.1 (`python -m function`, API_KEY set, S3 input
pointed at a local endpoint that never answers), one class of hostile request at a time; per class the answers,
the worst latency, and the server's peak RSS over its idle RSS, read from /proc (the peak is reset before each
class through /proc/PID/clear_refs, with a 5 ms VmRSS sampler as a cross-check).

    make hostile            # or: .venv/bin/python -m bench.hostile [--only NAME ...]

Every input is generated here (tests/support/hostile_inputs.py); traffic goes only to 127.0.0.1, each class a bounded number of
requests (at most 8 at once). Passes when every answer is the documented one, none is a 5xx for the client's
mistake (the silent S3 endpoint's 502 is the documented answer), every answer arrives within the deadline, and
no class adds more than the envelope (300 MB) to the server's peak. Writes bench/results/hostile-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np

from bench.hostile_client import (
    DEADLINE_S,
    KEY,
    Answer,
    Class,
    get,
    post_file,
    post_raw,
    raw_socket,
    slash_redirect,
    upload_40mb,
    upload_head,
)
from bench.procs import status_mb, stop_group
from bench.save import save_results
from function.config import REPO_ROOT as ROOT
from tests.support import free_port
from tests.support import hostile_inputs as h
from tests.support.photos import wheel_photo

ENVELOPE_MIB = 300.0


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

    def stalled(base: str) -> list[Answer]:
        return [raw_socket(port, upload_head(port, 900_000), b"--xyz\r\n", True)]

    def s3(base: str) -> list[Answer]:
        return post_raw("/detect", json.dumps({"image_s3": "s3://hostile-bucket/private/IMG_0001.jpg"}).encode(),
                        "application/json")(base)

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
        Class("s3-never-answers", "image_s3 on an endpoint that accepts and never answers", (502,), s3),
        Class("json-deep", "JSON nested 10,000 deep", (400,), post_raw("/detect", h.deep_json(10_000), "application/json")),
        Class("multipart-boundary-300", "multipart boundary of 300 bytes", (400,),
              post_raw("/detect", h.multipart(b"b" * 300, "image", h.face_jpeg()),
                       "multipart/form-data; boundary=" + "b" * 300)),
        Class("multipart-1m-parts", "9.9 MB multipart body of 900,000 empty parts", (400,),
              post_raw("/detect", b"--b\r\n\r\n\r\n" * 900_000 + b"--b--\r\n", "multipart/form-data; boundary=b")),
        Class("json-3m-objects", "9.9 MB JSON array of 3,300,000 empty objects", (400,),
              post_raw("/detect", b"[" + b"{}," * 3_300_000 + b"{}]", "application/json")),
        Class("client-drops-mid-upload", "5 clients that send 100 kB of a 900 kB body and hang up", (0,), dropped),
        Class("stalled-upload", "a client that sends its headers and 7 bytes, then nothing", (408,), stalled),
        Class("upload-40mb", "40 MB multipart upload (urllib: writes it all before reading)", (413,), upload_40mb),
        Class("post-trailing-slash", "POST /detect/ with Host: evil.example", (404,), slash_redirect),
        Class("path-8kb-404", "GET of an 8 kB unknown path", (404,), get("/" + "a" * 8_000, with_key=True)),
        Class("health-without-key", "GET /health without x-api-key (API_KEY set)", (200,), get("/health")),
        Class("health-with-key", "GET /health with the key", (200,), get("/health", with_key=True)),
    ]


# -- server and measurement ----------------------------------------------------------------------------------------
def silent_endpoint() -> tuple[socket.socket, int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    return server, server.getsockname()[1]


def start_server(port: int, s3_port: int, log: Path) -> subprocess.Popen:
    env = dict(os.environ, HOST="127.0.0.1", PORT=str(port), MODEL_PACK=os.environ.get("MODEL_PACK", "buffalo_sc"),
               LOG_LEVEL="INFO", API_KEY=KEY, ALLOWED_S3_BUCKETS="hostile-bucket",
               AWS_ENDPOINT_URL_S3=f"http://127.0.0.1:{s3_port}", AWS_ACCESS_KEY_ID="hostile",
               AWS_SECRET_ACCESS_KEY="hostile", AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null", REQUEST_DEADLINE_S=str(DEADLINE_S))
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", "function"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def wait_ready(base: str, proc: subprocess.Popen, timeout: float = 180) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError("server exited")
        try:
            if httpx.get(base + "/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError("server not ready")


class PeakSampler:
    """VmRSS every 5 ms (a cross-check of VmHWM, and the measure where clear_refs is not allowed)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_mib, self._stop = pid, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mib = max(self.peak_mib, status_mb(self.pid, "VmRSS"))
            time.sleep(0.005)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def reset_peak(pid: int) -> bool:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="*", help="class names to run (default: all)")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    s3_server, s3_port = silent_endpoint()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = ROOT / "bench" / "results" / "hostile-server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    proc = start_server(port, s3_port, log)
    rows: list[dict[str, Any]] = []
    try:
        wait_ready(base, proc)
        for _ in range(3):  # warm: first-request allocations out of the way
            post_file("/detect", h.face_jpeg())(base)
            post_file("/extract-embedding?all=true", wheel_photo("gdp.jpg").read_bytes())(base)
        for c in classes(port, log):
            if args.only and c.name not in args.only:
                continue
            time.sleep(0.5)
            idle = status_mb(proc.pid, "VmRSS")
            hwm_reset = reset_peak(proc.pid)
            with PeakSampler(proc.pid) as sampler:
                c.results = c.send(base)
            peak = status_mb(proc.pid, "VmHWM") if hwm_reset else sampler.peak_mib
            peak = max(peak, sampler.peak_mib)
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
        if proc.poll() is not None:
            raise RuntimeError("the server died during the run")
    finally:
        stop_group(proc)
        s3_server.close()

    text = log.read_text(errors="replace")
    summary = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpus": len(os.sched_getaffinity(0)),
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
