"""Load run on loopback: the service under uvicorn on 127.0.0.1, 1,000 mixed requests (every route, real photos,
some bad inputs with known answers) at concurrency 8 from an asyncio/httpx client.

Passes when there are zero unexpected answers, zero 5xx, and the server's RSS after the run is within 10% of its
RSS after warm-up. Bounded: REQUESTS requests, a per-request timeout and a whole-run deadline.

    make load                                   # or: python -m bench.load [--requests N] [--concurrency C]
Writes bench/results/load.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np

from bench.common import RESULTS, p90, status_mb
from bench.server import service_server
from tests.support.photos import DATA, wheel_photo
from tests.support.services import PACK


@dataclass(frozen=True)
class Kind:
    name: str
    weight: int
    expect: int
    build: Any  # () -> dict of httpx request kwargs (method, url, ...)


def _jpeg(img: np.ndarray) -> bytes:
    return cv2.imencode(".jpg", img)[1].tobytes()


def kinds() -> list[Kind]:
    yao = wheel_photo("yaoming.jpg").read_bytes()
    gdp = wheel_photo("gdp.jpg").read_bytes()
    groups = [p.read_bytes() for p in DATA.group_photos]
    # dlib_dog.jpg is left out: buffalo_sc's SCRFD-500M reports a face on the dog (score ~0.54), a detector false
    # positive, not a service error
    nofaces = [p.read_bytes() for p in DATA.noface_photos if p.name != "dlib_dog.jpg"]
    pairs = [(a.read_bytes(), b.read_bytes()) for _, a, b, _ in DATA.lfw_pairs]
    singles = [a for a, _ in pairs] + [yao]
    rnd = random.Random(7)
    tiny_png = cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))[1].tobytes()
    truncated = yao[: len(yao) // 2]
    bomb = (b"\x89PNG\r\n\x1a\n" + (13).to_bytes(4, "big") + b"IHDR" + (30000).to_bytes(4, "big") * 2
            + b"\x08\x02\x00\x00\x00" + b"\x00" * 4 + b"\x00\x00\x00\x00IEND\xaeB`\x82")

    def f(name: str, data: bytes) -> tuple[str, tuple[str, bytes, str]]:
        return name, ("photo.jpg", data, "image/jpeg")

    return [
        Kind("health", 5, 200, lambda: dict(method="GET", url="/health")),
        Kind("detect", 20, 200, lambda: dict(method="POST", url="/detect", files=[f("image", rnd.choice([*groups, gdp]))])),
        Kind("detect-json", 8, 200, lambda: dict(method="POST", url="/detect",
                                                 json={"image": base64.b64encode(rnd.choice(singles)).decode()})),
        Kind("extract", 15, 200, lambda: dict(method="POST", url="/extract-embedding", files=[f("image", rnd.choice(singles))])),
        Kind("extract-all", 6, 200, lambda: dict(method="POST", url="/extract-embedding?all=true",
                                                 files=[f("image", rnd.choice([*groups, gdp]))])),
        Kind("compare", 15, 200, lambda: dict(method="POST", url="/compare",
                                              files=[f("image1", p[0]), f("image2", p[1])] if (p := rnd.choice(pairs)) else [])),
        Kind("bad-no-face", 4, 422, lambda: dict(method="POST", url="/extract-embedding", files=[f("image", rnd.choice(nofaces))])),
        Kind("bad-multiple", 3, 422, lambda: dict(method="POST", url="/extract-embedding", files=[f("image", gdp)])),
        Kind("bad-truncated", 4, 400, lambda: dict(method="POST", url="/detect", files=[f("image", truncated)])),
        Kind("bad-text", 3, 400, lambda: dict(method="POST", url="/detect", files=[f("image", b"not an image" * 50)])),
        Kind("bad-small", 3, 400, lambda: dict(method="POST", url="/detect", files=[f("image", tiny_png)])),
        Kind("bad-bomb", 3, 413, lambda: dict(method="POST", url="/detect", files=[f("image", bomb)])),
        Kind("bad-gif", 2, 415, lambda: dict(method="POST", url="/detect", files=[f("image", b"GIF89a" + b"\x00" * 100)])),
        Kind("bad-missing", 3, 422, lambda: dict(method="POST", url="/compare", files=[f("image1", yao)])),
        Kind("bad-base64", 3, 400, lambda: dict(method="POST", url="/detect", json={"image": "%%%not-base64%%%"})),
        Kind("bad-ctype", 3, 415, lambda: dict(method="POST", url="/detect", content=yao,
                                               headers={"content-type": "image/jpeg"})),
    ]


async def run_batch(base: str, plan: list[Kind], concurrency: int, timeout_s: float, deadline_s: float,
                    pid: int | None = None, rss_trace: list | None = None) -> list[dict]:
    results: list[dict] = []
    queue: asyncio.Queue[Kind] = asyncio.Queue()
    for k in plan:
        queue.put_nowait(k)
    t_end = time.monotonic() + deadline_s

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty() and time.monotonic() < t_end:
            k = queue.get_nowait()
            t0 = time.perf_counter()
            try:
                r = await client.request(**k.build())
                status, err = r.status_code, None
                if status >= 400:
                    body = r.json()
                    assert body["success"] is False and body["code"], body
            except Exception as exc:  # every failure is counted and reported
                status, err = -1, f"{type(exc).__name__}: {exc}"[:200]
            results.append({"kind": k.name, "expect": k.expect, "status": status,
                            "ms": (time.perf_counter() - t0) * 1000.0, "error": err})
            if pid is not None and rss_trace is not None and len(results) % 100 == 0:
                rss_trace.append((len(results), round(status_mb(pid, "VmRSS"), 1)))

    async with httpx.AsyncClient(base_url=base, timeout=timeout_s,
                                 limits=httpx.Limits(max_connections=concurrency)) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=300, help="requests before the RSS baseline (allocators and ONNX Runtime arenas settle)")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--timeout", type=float, default=60.0, help="per request, seconds")
    ap.add_argument("--deadline", type=float, default=900.0, help="whole measured run, seconds")
    ap.add_argument("--out", type=Path, default=RESULTS / "load.json")
    args = ap.parse_args()

    ks = kinds()
    rnd = random.Random(11)
    weights = [k.weight for k in ks]
    plan = rnd.choices(ks, weights=weights, k=args.requests)
    warm = rnd.choices(ks, weights=weights, k=args.warmup)

    server = service_server("load", {"REQUEST_LOG": "false"}, pack=os.environ.get("MODEL_PACK", PACK)).start()
    try:
        server.wait_ready()
        warm_trace: list[tuple[int, float]] = []
        asyncio.run(run_batch(server.base, warm, args.concurrency, args.timeout, args.deadline, server.pid, warm_trace))
        rss_warm = server.rss_mb()
        t0 = time.perf_counter()
        rss_trace: list[tuple[int, float]] = []
        results = asyncio.run(run_batch(server.base, plan, args.concurrency, args.timeout, args.deadline, server.pid,
                                        rss_trace))
        wall = time.perf_counter() - t0
        rss_after = server.rss_mb()
    finally:
        server.stop()

    unexpected = [r for r in results if r["status"] != r["expect"]]
    fivexx = [r for r in results if r["status"] >= 500]
    growth = (rss_after - rss_warm) / rss_warm
    rows = []
    for k in ks:
        rs = [r for r in results if r["kind"] == k.name]
        if not rs:
            continue
        ms = [r["ms"] for r in rs]
        rows.append({"kind": k.name, "n": len(rs), "expect": k.expect,
                     "ok": sum(r["status"] == k.expect for r in rs), "median_ms": statistics.median(ms),
                     "p90_ms": p90(ms), "max_ms": max(ms)})
    summary = {"requests": len(results), "planned": args.requests, "concurrency": args.concurrency,
               "wall_s": wall, "throughput_rps": len(results) / wall, "unexpected": len(unexpected),
               "5xx": len(fivexx), "rss_after_warmup_mib": rss_warm, "rss_after_run_mib": rss_after,
               "rss_growth": growth, "rss_trace_warmup": warm_trace, "rss_trace_run": rss_trace,
               "malloc_arena_max": os.environ.get("MALLOC_ARENA_MAX"), "cpus": len(os.sched_getaffinity(0)), "rows": rows,
               "unexpected_examples": unexpected[:10]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2))

    print(f"\n{len(results)} requests ({args.requests} planned) at concurrency {args.concurrency} in {wall:.1f} s "
          f"= {len(results) / wall:.1f} req/s on {summary['cpus']} CPUs; unexpected {len(unexpected)}, 5xx {len(fivexx)}")
    print(f"RSS after warm-up ({args.warmup} requests) {rss_warm:.1f} MiB, after the run {rss_after:.1f} MiB "
          f"({growth:+.1%}); MALLOC_ARENA_MAX={os.environ.get('MALLOC_ARENA_MAX', 'unset')}")
    print("RSS MiB every 100 requests, warm-up:", warm_trace, "\nrun:", rss_trace, "\n")
    print("| kind | n | expected | as expected | median ms | p90 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['kind']} | {r['n']} | {r['expect']} | {r['ok']} | {r['median_ms']:.0f} | {r['p90_ms']:.0f} | "
              f"{r['max_ms']:.0f} |")
    for u in unexpected[:10]:
        print("unexpected:", u)
    ok = not unexpected and not fivexx and abs(growth) <= 0.10 and len(results) == args.requests
    print("\nPASS" if ok else "\nFAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
