"""Memory under load, A/B (issue #29): RSS beside time and throughput for server variants run in one time window.

Each variant is a `python -m function` server on 127.0.0.1 started with its own environment (e.g. ORT_ARENA=...).
Phases, each optional, interleaved across the variants so that they share the machine's load:

* mixed: N clients (threads, one keep-alive connection each) for S seconds per variant on a mix of portraits, LFW
  close-ups, group photos with `?all=true`, /compare of LFW pairs and no-face junk; VmRSS sampled every second.
  Idle = after 3 warm-up calls, plateau = median of the samples after the first 20 s, peak = VmHWM.
* closeups: 4 clients, `/extract-embedding?face=largest` on the repository's LFW crops, rounds alternating between
  the variants: requests per second.
* big: C concurrent 12 MP (4000x3000) JPEG /detect calls on a fresh server: peak (VmHWM after clear_refs) over idle.
* pause: one client, `/extract-embedding` of a one-face portrait, back to back and with 0.1 / 0.5 s pauses, the
  variants interleaved in blocks of 10 calls: client and Server-Timing medians.

    .venv/bin/python -m tools.memload --variant before:CHECKOUT=/tmp/before --variant after: \
        --variant one-thread:ORT_THREADS=1 --phases mixed,closeups [--together] [--out results.json]

Each variant's environment goes on top of the service's; CHECKOUT=<dir> serves another checkout of this service
(e.g. `git archive <commit> | tar -x -C <dir>` plus its .venv and model_cache links).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np

from bench.common import status_mb
from bench.server import Server, service_server
from function.config import REPO_ROOT as ROOT
from tests.support import read
from tests.support.photos import DATA, wheel_photo

Request = tuple[str, dict[str, Any]]  # (url, httpx kwargs)


@dataclass
class Variant:
    """A server variant: its environment on top of the service's (CHECKOUT=<dir>: another checkout's server, for a
    before/after in one run), started afresh by each phase through bench/server.py."""

    name: str
    env: dict[str, str]
    server: Server | None = None
    result: dict[str, Any] = field(default_factory=dict)

    def start(self) -> None:
        own = dict(self.env)
        cwd = Path(own.pop("CHECKOUT", ROOT))
        self.server = service_server(self.name, {"REQUEST_LOG": "false", "SERVER_TIMING": "true", **own}, cwd=cwd)
        self.server.start().wait_ready()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    @property
    def pid(self) -> int:
        assert self.server is not None
        return self.server.pid

    @property
    def base(self) -> str:
        assert self.server is not None
        return self.server.base


def _file(data: bytes, name: str = "image") -> dict[str, Any]:
    return {"files": [(name, ("photo.jpg", data, "image/jpeg"))]}


def mixed_requests() -> list[Request]:
    portrait = wheel_photo("yaoming.jpg").read_bytes()
    groups = [p.read_bytes() for p in DATA.group_photos] + [wheel_photo(n).read_bytes() for n in ("players.jpg", "gdp.jpg")]
    crops = [p.read_bytes() for p in DATA.lfw_images]
    junk = [p.read_bytes() for p in DATA.noface_photos]
    pairs = [(a.read_bytes(), b.read_bytes()) for _, a, b, _ in DATA.lfw_pairs]
    out: list[Request] = [("/extract-embedding", _file(portrait))] * 6
    out += [("/detect", _file(portrait))] * 2
    out += [("/extract-embedding?face=largest", _file(c)) for c in crops]
    out += [("/detect", _file(c)) for c in crops[:8]]
    out += [("/extract-embedding?all=true", _file(g)) for g in groups]
    out += [("/detect", _file(g)) for g in groups]
    out += [("/extract-embedding", _file(j)) for j in junk] * 2
    out += [("/compare", {"files": [("image1", ("a.jpg", a, "image/jpeg")), ("image2", ("b.jpg", b, "image/jpeg"))]})
            for a, b in pairs[:10]]
    return out


def closeup_requests() -> list[Request]:
    return [("/extract-embedding?face=largest", _file(p.read_bytes())) for p in DATA.lfw_images]


def group_requests() -> list[Request]:
    groups = [p.read_bytes() for p in DATA.group_photos] + [wheel_photo(n).read_bytes() for n in ("players.jpg", "gdp.jpg")]
    return [("/extract-embedding?all=true", _file(g)) for g in groups]


def portrait_requests() -> list[Request]:
    return [("/extract-embedding", _file(wheel_photo("yaoming.jpg").read_bytes()))]


REQUEST_SETS = {"closeups": closeup_requests, "groups": group_requests, "portraits": portrait_requests}


def big_jpeg() -> bytes:
    """A 4000x3000 (12 MP) camera-like JPEG: a portrait tiled, as bench/hostile.py builds its big photos."""
    tile = cv2.resize(read(wheel_photo("yaoming.jpg")), (800, 1000))
    big = np.tile(tile, (3, 5, 1))[:3000, :4000]
    grain = np.random.default_rng(29).normal(0, 4, big.shape)  # sensor noise: a camera's ~4 MB, not 1 MB
    big = np.clip(big + grain, 0, 255).astype(np.uint8)
    return cv2.imencode(".jpg", big, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()


class RssSampler:
    def __init__(self, pid: int, every_s: float) -> None:
        self.pid, self.every_s, self.samples = pid, every_s, []  # type: ignore[var-annotated]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        t0 = time.monotonic()
        while not self._stop.is_set():
            self.samples.append((round(time.monotonic() - t0, 2), status_mb(self.pid, "VmRSS")))
            self._stop.wait(self.every_s)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def drive(base: str, requests: list[Request], clients: int, *, seconds: float | None = None,
          total: int | None = None, seed: int = 1) -> dict[str, Any]:
    """`clients` threads, each with its own connection, calling until `seconds` have passed or `total` calls are
    done; returns calls, errors (5xx or transport), wall and latencies."""
    lock = threading.Lock()
    done: list[float] = []
    errors: list[str] = []
    end = time.monotonic() + seconds if seconds else float("inf")
    counter = [0]

    def worker(i: int) -> None:
        rnd = random.Random(seed * 100 + i)
        with httpx.Client(base_url=base, timeout=120) as c:
            while time.monotonic() < end:
                with lock:
                    if total is not None and counter[0] >= total:
                        return
                    counter[0] += 1
                url, kw = rnd.choice(requests)
                t0 = time.perf_counter()
                try:
                    r = c.post(url, **kw)
                    bad = r.status_code >= 500
                    msg = f"{r.status_code} {url}"
                except httpx.HTTPError as exc:
                    bad, msg = True, f"{type(exc).__name__} {url}"
                with lock:
                    done.append((time.perf_counter() - t0) * 1000)
                    if bad:
                        errors.append(msg)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {"calls": len(done), "errors": errors[:5], "n_errors": len(errors), "wall_s": wall,
            "rps": len(done) / wall, "p50_ms": statistics.median(done) if done else float("nan")}


def warm(v: Variant) -> None:
    with httpx.Client(base_url=v.base, timeout=60) as c:
        for _ in range(3):
            c.post("/extract-embedding", **_file(wheel_photo("yaoming.jpg").read_bytes()))
    time.sleep(1.0)


def phase_mixed(variants: list[Variant], clients: int, seconds: float, together: bool = False) -> None:
    """One variant after the other, or (together) all at once: RSS does not depend on the load, time does."""
    if together:
        threads = [threading.Thread(target=phase_mixed, args=([v], clients, seconds)) for v in variants]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return
    reqs = mixed_requests()
    for v in variants:
        v.start()
        warm(v)
        idle = status_mb(v.pid, "VmRSS")
        reset_peak(v.pid)
        with RssSampler(v.pid, 1.0) as s:
            load = drive(v.base, reqs, clients, seconds=seconds)
        rss = [r for t, r in s.samples if t >= 20] or [r for _, r in s.samples]
        v.result["mixed"] = {"idle_mb": idle, "plateau_mb": statistics.median(rss), "max_sample_mb": max(rss),
                             "peak_mb": status_mb(v.pid, "VmHWM"), "after_mb": status_mb(v.pid, "VmRSS"),
                             "trace": [r for _, r in s.samples][::5], **load}
        print(f"[mixed] {v.name}: idle {idle:.0f} plateau {statistics.median(rss):.0f} peak "
              f"{v.result['mixed']['peak_mb']:.0f} MB, {load['rps']:.1f} r/s, errors {load['n_errors']} "
              f"{load['errors']}", flush=True)
        v.stop()


def phase_throughput(variants: list[Variant], kind: str, rounds: int, per_round: int) -> None:
    reqs = REQUEST_SETS[kind]()
    for v in variants:
        v.start()
        warm(v)
        drive(v.base, reqs, 4, total=16)
        v.result[kind] = {"rounds": []}
    for r in range(rounds):
        for v in (variants if r % 2 == 0 else variants[::-1]):
            res = drive(v.base, reqs, 4, total=per_round, seed=r)
            v.result[kind]["rounds"].append(res["rps"])
            print(f"[{kind}] round {r} {v.name}: {res['rps']:.1f} r/s p50 {res['p50_ms']:.0f} ms "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)
    for v in variants:
        c = v.result[kind]
        c["median_rps"] = statistics.median(c["rounds"])
        c["peak_mb"] = status_mb(v.pid, "VmHWM")
        print(f"[{kind}] {v.name}: median {c['median_rps']:.2f} r/s over {rounds} rounds, peak {c['peak_mb']:.0f} MB")
        v.stop()


BIG_ROUTES = ("/detect", "/extract-embedding?all=true")


def phase_big(variants: list[Variant], concurrencies: list[int]) -> None:
    """n concurrent 12 MP photos on a fresh server, per route: /detect, and ?all=true (15 faces embedded each)."""
    data = big_jpeg()
    for v in variants:
        v.result["big"] = {}
        for route in BIG_ROUTES:
            for n in concurrencies:
                v.start()
                warm(v)
                idle = status_mb(v.pid, "VmRSS")
                reset_peak(v.pid)
                res = drive(v.base, [(route, _file(data))], n, total=n)
                peak = status_mb(v.pid, "VmHWM")
                v.result["big"][f"{route} x{n}"] = {"idle_mb": idle, "peak_mb": peak, "over_idle_mb": peak - idle,
                                                    "n_errors": res["n_errors"], "wall_s": res["wall_s"]}
                print(f"[big] {v.name} {route} x{n}: idle {idle:.0f} peak {peak:.0f} (+{peak - idle:.0f}) MB "
                      f"errors {res['n_errors']} wall {res['wall_s']:.1f} s", flush=True)
                v.stop()


def _server_total(header: str) -> float:
    for part in header.split(","):
        name, _, rest = part.strip().partition(";")
        if name == "total":
            return float(rest.split("dur=")[1])
    return float("nan")


def phase_pause(variants: list[Variant], calls: int, pauses: list[float]) -> None:
    data = wheel_photo("yaoming.jpg").read_bytes()
    clients: dict[str, httpx.Client] = {}
    for v in variants:
        v.start()
        warm(v)
        clients[v.name] = httpx.Client(base_url=v.base, timeout=60)
        v.result["pause"] = {}
    for gap in pauses:
        got: dict[str, tuple[list[float], list[float]]] = {v.name: ([], []) for v in variants}
        for _ in range(max(1, calls // 10)):  # blocks of 10 calls per variant: back to back means back to back
            for v in variants:
                clients[v.name].post("/extract-embedding", **_file(data))  # not counted: after the other's block
                for _ in range(10):
                    time.sleep(gap)
                    t0 = time.perf_counter()
                    r = clients[v.name].post("/extract-embedding", **_file(data))
                    got[v.name][0].append((time.perf_counter() - t0) * 1000)
                    got[v.name][1].append(_server_total(r.headers.get("server-timing", "")))
        for v in variants:
            wall, server = got[v.name]
            v.result["pause"][str(gap)] = {"client_ms": statistics.median(wall), "server_ms": statistics.median(server)}
            print(f"[pause] {v.name} gap {gap}s: client {statistics.median(wall):.1f} ms, server "
                  f"{statistics.median(server):.1f} ms, load {os.getloadavg()[0]:.1f}", flush=True)
    for v in variants:
        clients[v.name].close()
        v.stop()


def parse_variant(text: str) -> Variant:
    name, _, rest = text.partition(":")
    env = dict(kv.split("=", 1) for kv in rest.split(";") if kv)
    return Variant(name, env)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variant", action="append", required=True, help="name:VAR=value;VAR=value")
    ap.add_argument("--phases", default="mixed,closeups")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--together", action="store_true", help="mixed: drive every variant at once (RSS only)")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--per-round", type=int, default=60)
    ap.add_argument("--big", default="16,32")
    ap.add_argument("--calls", type=int, default=40)
    ap.add_argument("--pauses", default="0,0.1,0.5")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    variants = [parse_variant(t) for t in args.variant]
    phases: dict[str, Callable[[], None]] = {
        "mixed": lambda: phase_mixed(variants, args.clients, args.seconds, args.together),
        "big": lambda: phase_big(variants, [int(x) for x in args.big.split(",")]),
        "pause": lambda: phase_pause(variants, args.calls, [float(x) for x in args.pauses.split(",")]),
    }
    for kind in REQUEST_SETS:
        phases[kind] = functools.partial(phase_throughput, variants, kind, args.rounds, args.per_round)
    print(f"load average at start {os.getloadavg()[0]:.1f}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
          flush=True)
    try:
        for p in args.phases.split(","):
            phases[p]()
    finally:
        for v in variants:
            v.stop()
    summary = {v.name: {"env": v.env, **v.result} for v in variants}
    if args.out:
        args.out.write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
