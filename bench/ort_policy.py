"""ONNX Runtime thread, spinning and arena policy per deployment mode (issue #19, item 1): prints two tables.

HTTP server (`python -m function`, uvicorn): close-up extracts (`/extract-embedding?face=largest` on LFW crops)
with 1, 2 and 4 concurrent clients: wall p50/p90, server CPU per request, peak RSS of the server.
Lambda mode (one request at a time per process): in-process `FaceService.extract` on the same close-ups and a
portrait, one call at a time, ORT_THREADS 1 (1,769 MB) and 2 (3,008 MB): p50/p90 wall, CPU per call, peak RSS.

Each variant runs in a fresh process; the variants are interleaved (A B C ... A B C ...) over --rounds, so that
a shared machine's load falls on all of them alike; each cell gives the pooled median / p90 and, in brackets, the
range of the per-round medians (the spread). Spinning and the arena are SessionConfig fields (function/engine/
sessions.py, off by default); this script turns them on in its child processes only, by setting those fields.

    python -m bench.ort_policy [--rounds 2] [--per-client 8] [--lambda-calls 12]
    python -m bench.ort_policy --http t2s0a0,t2s1a0 --lambda t1s0a0,t1s1a0   # variants: t<threads>s<spin>a<arena>
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bench.client import PACK, Request, Server, post
from bench.procs import log, machine, status_mb
from bench.stats import med, p90
from function.events import multipart
from tests.support.photos import DATA, wheel_photo

CONCURRENCY = (1, 2, 4)
HTTP_DEFAULT = "t2s0a0,t2s1a0,t2s0a1,t1s0a0,t1s0a0r2"
LAMBDA_DEFAULT = "t1s0a0,t1s1a0,t1s0a1,t2s0a0,t2s1a0,t2s0a1"


@dataclass(frozen=True)
class Variant:
    spec: str  # t<threads>s<spin 0|1>a<arena 0|1>[r<MAX_CONCURRENT_RUNS>][m<MALLOC_MMAP_THRESHOLD_ in MB>]
    threads: int
    spinning: bool
    arena: bool
    runs: int  # 0 = the default (the thread count)
    mmap_mb: int  # 0 = the service's default (glibc's mmap threshold fixed at 256 KB, function/startup.py)

    @classmethod
    def parse(cls, spec: str) -> Variant:
        m = re.fullmatch(r"t(\d+)s([01])a([01])(?:r(\d+))?(?:m(\d+))?", spec)
        if not m:
            raise SystemExit(f"bad variant {spec!r}: t<threads>s<0|1>a<0|1>[r<runs>][m<MB>]")
        return cls(spec, int(m[1]), m[2] == "1", m[3] == "1", int(m[4] or 0), int(m[5] or 0))

    @property
    def label(self) -> str:
        runs = f", MAX_CONCURRENT_RUNS={self.runs}" if self.runs else ""
        mmap = f", MALLOC_MMAP_THRESHOLD_={self.mmap_mb} MB" if self.mmap_mb else ""
        return (f"ORT_THREADS={self.threads}, spinning {'on' if self.spinning else 'off'}, "
                f"arena {'on' if self.arena else 'off'}{runs}{mmap}")

    def env(self) -> dict[str, str]:
        env = {"MODEL_PACK": PACK, "LOG_LEVEL": "WARNING", "ORT_THREADS": str(self.threads)}
        if self.runs:
            env["MAX_CONCURRENT_RUNS"] = str(self.runs)
        if self.mmap_mb:
            env["MALLOC_MMAP_THRESHOLD_"] = str(self.mmap_mb * 1024 * 1024)
        return env

    def child_flags(self) -> list[str]:
        return ["--spinning", str(int(self.spinning)), "--arena", str(int(self.arena))]


def _set_session_policy(spinning: bool, arena: bool) -> None:
    """In a child process: every SessionConfig the engine builds gets these two fields (the rest as the engine asks)."""
    import function.engine.engine as engine_module
    from function.engine.sessions import SessionConfig

    policy = functools.partial(SessionConfig, spinning=spinning, arena=arena)
    engine_module.SessionConfig = policy  # type: ignore[misc,assignment]


def closeups() -> list[bytes]:
    return [p.read_bytes() for p in DATA.lfw_images[:10]]


# -- HTTP server ----------------------------------------------------------------------------------------------------

def http_round(v: Variant, per_client: int, levels: tuple[int, ...] = CONCURRENCY) -> dict[str, object]:
    reqs = [Request("/extract-embedding?face=largest", *multipart({"image": b})) for b in closeups()]
    server = Server(v.spec, [sys.executable, "-m", "bench.ort_policy", "serve", *v.child_flags()], v.env())
    server.start()
    out: dict[str, object] = {}
    try:
        server.wait_ready(reqs[0])
        for r in reqs:  # warm every shape once
            post(server.port, r)[2].close()
        for c in levels:
            n = per_client * c

            def client(k: int) -> list[float]:
                conn, times = None, []
                for i in range(per_client):
                    status, dt, conn = post(server.port, reqs[(k * per_client + i) % len(reqs)], conn)
                    assert status == 200, status
                    times.append(dt)
                if conn:
                    conn.close()
                return times

            cpu0, load = server.cpu_s(), os.getloadavg()[0]
            with ThreadPoolExecutor(c) as pool:
                times = [t for ts in pool.map(client, range(c)) for t in ts]
            out[f"c{c}"] = {"times": times, "cpu_per_req": (server.cpu_s() - cpu0) / n, "load": load}
        out["peak_rss_mb"] = server.peak_rss_mb()
    finally:
        server.stop()
    return out


def serve(spinning: bool, arena: bool) -> int:
    _set_session_policy(spinning, arena)
    from function.__main__ import main

    return main()


# -- Lambda mode: one request at a time, in process -----------------------------------------------------------------

def lambda_child(spinning: bool, arena: bool, calls: int) -> None:
    _set_session_policy(spinning, arena)
    from function.config import Settings
    from function.models import resolve_pack_name
    from function.startup import apply_process_guards, build_service, load_engine

    apply_process_guards()  # as the served process starts: process env, then the malloc policy in load_engine
    settings = Settings.from_env()
    pack = resolve_pack_name(settings.model_dir, settings.model_pack)
    engine = load_engine(settings, pack)
    svc = build_service(settings, engine, pack)
    crops, portrait = closeups(), wheel_photo("yaoming.jpg").read_bytes()
    svc.extract(portrait)
    svc.extract(crops[0], "largest")
    result: dict[str, object] = {"threads": engine.config.threads, "load": os.getloadavg()[0]}
    for name, fn in (("close-up", lambda i: svc.extract(crops[i % len(crops)], "largest")),
                     ("portrait", lambda i: svc.extract(portrait))):
        wall, cpu = [], []
        for i in range(calls):
            c0, t0 = time.process_time(), time.perf_counter()
            fn(i)
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        result[name] = {"times": wall, "cpu": med(cpu)}
    result["peak_rss_mb"] = status_mb("self", "VmHWM")
    print(json.dumps(result))


def lambda_round(v: Variant, calls: int) -> dict[str, object]:
    argv = [sys.executable, "-m", "bench.ort_policy", "lambda-child", *v.child_flags(), "--calls", str(calls)]
    done = subprocess.run(argv, env=dict(os.environ, **v.env()), capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# -- tables ---------------------------------------------------------------------------------------------------------

def cell(rounds: list[list[float]]) -> str:
    pooled = [t for r in rounds for t in r]
    meds = [med(r) * 1e3 for r in rounds]
    return f"{med(pooled) * 1e3:.0f} / {p90(pooled) * 1e3:.0f} [{min(meds):.0f}–{max(meds):.0f}]"


def span(values: list[float], fmt: str = "{:.0f}") -> str:
    lo, hi = min(values), max(values)
    return fmt.format(lo) if fmt.format(lo) == fmt.format(hi) else f"{fmt.format(lo)}–{fmt.format(hi)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--per-client", type=int, default=8, help="close-up requests per client per level")
    parser.add_argument("--lambda-calls", type=int, default=12, help="calls per input kind per Lambda-mode process")
    parser.add_argument("--clients", default=",".join(map(str, CONCURRENCY)), help="concurrent client counts")
    parser.add_argument("--http", default=HTTP_DEFAULT, help="HTTP variants, comma-separated ('' = none)")
    parser.add_argument("--lambda", dest="lam", default=LAMBDA_DEFAULT, help="Lambda-mode variants ('' = none)")
    args = parser.parse_args()
    http_vs = [Variant.parse(s) for s in args.http.split(",") if s]
    lam_vs = [Variant.parse(s) for s in args.lam.split(",") if s]
    levels = tuple(int(c) for c in args.clients.split(","))
    print(f"# {machine()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {' '.join(sys.argv)}")
    http: dict[str, list[dict]] = {v.spec: [] for v in http_vs}
    lam: dict[str, list[dict]] = {v.spec: [] for v in lam_vs}
    for r in range(args.rounds):
        for v in http_vs:
            log(f"round {r + 1}: HTTP {v.label}")
            http[v.spec].append(http_round(v, args.per_client, levels))
        for v in lam_vs:
            log(f"round {r + 1}: Lambda mode {v.label}")
            lam[v.spec].append(lambda_round(v, args.lambda_calls))
    if http_vs:
        print("\nHTTP server, /extract-embedding?face=largest on 10 LFW crops; per client count: wall ms p50 / p90 "
              "[range of per-round p50s], server CPU ms per request (range over rounds); peak RSS MB; load average")
        head = " | ".join(f"{c} client{'s' if c > 1 else ''}: wall | CPU/req" for c in levels)
        print(f"\n| variant | {head} | peak RSS | load |")
        print("|---" * (2 + 2 * len(levels) + 1) + "|")
        for v in http_vs:
            rs = http[v.spec]
            cols = []
            for c in levels:
                cols.append(cell([r[f"c{c}"]["times"] for r in rs]))
                cols.append(span([r[f"c{c}"]["cpu_per_req"] * 1e3 for r in rs]))
            loads = [r[f"c{c}"]["load"] for r in rs for c in levels]
            print(f"| {v.label} | {' | '.join(cols)} | {span([r['peak_rss_mb'] for r in rs])} | "
                  f"{span(loads, '{:.1f}')} |")
    if lam_vs:
        print("\nLambda mode (in process, one call at a time, fresh process per round): wall ms p50 / p90 "
              "[range of per-round p50s], CPU ms per call (median, range over rounds); peak RSS MB; load average")
        print("\n| variant | close-up: wall | CPU | portrait: wall | CPU | peak RSS | load |")
        print("|---|---|---|---|---|---|---|")
        for v in lam_vs:
            rs = lam[v.spec]
            print(f"| {v.label} | {cell([r['close-up']['times'] for r in rs])} | "
                  f"{span([r['close-up']['cpu'] * 1e3 for r in rs])} | {cell([r['portrait']['times'] for r in rs])} | "
                  f"{span([r['portrait']['cpu'] * 1e3 for r in rs])} | {span([r['peak_rss_mb'] for r in rs])} | "
                  f"{span([r['load'] for r in rs], '{:.1f}')} |")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("serve", "lambda-child"):
        child = argparse.ArgumentParser()
        child.add_argument("mode")
        child.add_argument("--spinning", type=int, default=0)
        child.add_argument("--arena", type=int, default=0)
        child.add_argument("--calls", type=int, default=12)
        a = child.parse_args()
        if a.mode == "serve":
            sys.exit(serve(bool(a.spinning), bool(a.arena)))
        lambda_child(bool(a.spinning), bool(a.arena), a.calls)
    else:
        main()
