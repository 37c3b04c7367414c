"""make bench-scale: the service at buffalo_l scale, measured on compute-faithful timing proxies (bench/engines.py).

Their outputs are noise, so they never run a request end to end; instead:

  init     fresh processes (this module with --child), interleaved, each: imports, pack read + sha256 verify,
           detector and recognizer sessions, warm-up, then the first request's model calls and the steady ones
           after it; peak RSS (VmHWM) at the end.
  routes   every request through the real app on buffalo_sc with its model calls recorded, replayed on the proxies:
           buffalo_l-scale latency = route wall time on buffalo_sc - buffalo_sc model time + proxy model time, i.e.
           buffalo_sc's measured pipeline overhead (HTTP, decode, alignment, NMS, JSON) plus buffalo_l's model
           compute; coarse-to-fine on (default) and off (COARSE_DET_SIZE=0), interleaved, at each thread count; and
           the Lambda cost per million requests.

    python -m bench.scale [--proxies /tmp/proxies] [--repeats 15] [--init-runs 5] [--threads 1,2] [--quick]

Proxies absent: the script builds them with a Python that has torch + onnx ($PROXY_PYTHON, default
/tmp/proxyvenv/bin/python), or says how to (torch never enters the requirements files):

    python3 -m venv /tmp/proxyvenv && /tmp/proxyvenv/bin/pip install torch onnx
    /tmp/proxyvenv/bin/python ../shared/tools/make_timing_proxies.py /tmp/proxies

Only the standard library is imported at the top: a --child run times the service's own import graph (as on
Lambda), not this script's.
"""

from __future__ import annotations

import time

_T_START = time.perf_counter()  # before the heavy imports: a child's steps are measured from here

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

# The model calls of one /extract-embedding on a 4:3 one-face photo with coarse-to-fine: the first request.
FIRST_REQUEST = [("det", (1, 3, 256, 320)), ("rec", (1, 3, 112, 112))]
INIT_FIELDS = [("imports_s", "imports (fastapi, numpy, cv2, onnxruntime, service)"),
               ("read_verify_s", "read + sha256 verify (191 MB)"),
               ("detector_session_s", "detector session"),
               ("recognizer_session_s", "recognizer session"),
               ("load_wall_s", "read + verify + sessions, wall"),
               ("warmup_s", "warm-up inference"),
               ("init_s", "**init total** (script start -> engine ready)"),
               ("init_cpu_s", "init CPU time, user + sys (whole process up to ready)"),
               ("first_request_models_s", "first request's model calls (det 320x256 + rec 1)"),
               ("steady_request_models_s", "same calls, warm"),
               ("init_plus_first_request_s", "init + first request's model calls"),
               ("process_wall_s", "process wall (spawn -> exit, incl. interpreter)")]


# -- init: one cold start per fresh process ------------------------------------------------------------------------
def child(model_dir: Path, threads: int) -> int:
    """One cold start at buffalo_l scale, measured from this module's first line; prints one JSON line."""
    t_imports0 = time.perf_counter()
    from function.api.app import create_app  # noqa: F401  (the service's import graph, as on Lambda)

    t_imports1 = time.perf_counter()
    from bench.common import status_mb
    from bench.engines import PROXY_PACK, ProxyReplayer, bench_settings, engine

    proxy = engine(bench_settings(model_dir, PROXY_PACK, threads), PROXY_PACK, proxy=True)
    t_loaded = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    replayer = ProxyReplayer(proxy)
    first = sum(replayer.run(role, shape) for role, shape in FIRST_REQUEST)
    steady = [sum(replayer.run(role, shape) for role, shape in FIRST_REQUEST) for _ in range(5)]
    r = proxy.report
    print(json.dumps({
        "interpreter_and_script_s": t_imports0 - _T_START, "imports_s": t_imports1 - t_imports0,
        "read_verify_s": r.read_verify_s, "detector_session_s": r.detector_session_s, "load_wall_s": r.load_wall_s,
        "recognizer_session_s": r.recognizer_session_s, "warmup_s": r.warmup_s,
        "init_s": t_loaded - _T_START, "init_cpu_s": usage.ru_utime + usage.ru_stime,
        "first_request_models_s": first, "steady_request_models_s": statistics.median(steady),
        "init_plus_first_request_s": t_loaded - _T_START + first, "peak_rss_mb": status_mb("self", "VmHWM"),
    }))
    return 0


def measure_init(model_dir: Path, threads_list: list[int], runs: int) -> dict[str, dict[str, Any]]:
    """Fresh processes, the thread counts interleaved."""
    from bench.common import log, summary
    from function.config import REPO_ROOT

    results: dict[str, list[dict[str, Any]]] = {f"{t}T": [] for t in threads_list}
    for i in range(runs):
        for t in threads_list:
            cmd = [sys.executable, "-m", "bench.scale", "--child", "--model-dir", str(model_dir), "--threads", str(t)]
            t0 = time.perf_counter()
            out = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO_ROOT,
                                 env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
            wall = time.perf_counter() - t0
            if out.returncode != 0:
                raise RuntimeError(f"init child failed: {out.stderr[-2000:]}")
            row = json.loads(out.stdout.strip().splitlines()[-1])
            results[f"{t}T"].append({**row, "process_wall_s": wall})
        log(f"  init run {i + 1}/{runs} done")
    return {name: {k: summary([r[k] for r in rows]) for k in rows[0]} for name, rows in results.items()}


def print_init(init: dict[str, dict[str, Any]]) -> None:
    from bench.common import ms

    names = list(init)
    print("\n### Cold start with the buffalo_l-scale proxies (fresh processes; median, p10–p90 in ms)\n")
    print("| step | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for key, label in INIT_FIELDS:
        if all(key in init[n] for n in names):
            print(f"| {label} | " + " | ".join(ms(init[n][key]) for n in names) + " |")
    print("| peak RSS (VmHWM), MB | " + " | ".join(f"{init[n]['peak_rss_mb']['median']:.0f}" for n in names) + " |")


# -- routes: recorded on buffalo_sc, replayed on the proxies --------------------------------------------------------
def route_cases() -> list[tuple[str, str, dict[str, Path]]]:
    """(name, route, files) on real photos: what the routes are sent."""
    from tests.support.photos import DATA, wheel_photo

    same = next((a, b) for _, a, b, s in DATA.lfw_pairs if s)
    portrait = wheel_photo("yaoming.jpg")
    return [
        ("detect, group photo (7 faces, 500x375)", "/detect", {"image": DATA.group / "dlib_2007_007763.jpg"}),
        ("extract-embedding, portrait (yaoming.jpg)", "/extract-embedding", {"image": portrait}),
        ("extract-embedding, close-up (LFW crop)", "/extract-embedding", {"image": same[0]}),
        ("compare, two close-ups (LFW pair)", "/compare", {"image1": same[0], "image2": same[1]}),
        ("compare, portrait + close-up", "/compare", {"image1": portrait, "image2": same[0]}),
    ]


def measure_routes(model_dir: Path, threads: int, repeats: int) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from bench.common import summary
    from bench.engines import bench_settings, recorded_pair, variant
    from function.api.app import create_app
    from tests.support.services import PACK

    sc, calls, replayer = recorded_pair(model_dir, threads)
    settings = bench_settings(model_dir, PACK, threads)
    clients = {"on": TestClient(create_app(settings, engine=sc)),
               "off": TestClient(create_app(settings, engine=variant(sc, coarse_det_size=0)))}
    cases = route_cases()
    payloads = {name: {field: (p.name, p.read_bytes(), "image/jpeg") for field, p in files.items()}
                for name, _, files in cases}
    rows: dict[tuple[str, str], dict[str, list[Any]]] = {}
    for rep in range(repeats + 1):  # the first round warms every path and is dropped
        for name, route, _ in cases:
            for mode, client in clients.items():
                calls.clear()
                t0 = time.perf_counter()
                resp = client.post(route, files=payloads[name])
                wall = time.perf_counter() - t0
                if resp.status_code != 200:
                    raise RuntimeError(f"{route} {name}: {resp.status_code} {resp.text[:200]}")
                recorded = list(calls)
                proxy_s = replayer.replay(recorded)
                if rep == 0:
                    continue
                sc_models = sum(c.seconds for c in recorded)
                row = rows.setdefault((name, mode), {"wall": [], "sc_models": [], "proxy": [], "estimate": []})
                row["wall"].append(wall)
                row["sc_models"].append(sc_models)
                row["proxy"].append(proxy_s)
                row["estimate"].append(wall - sc_models + proxy_s)
                row["calls"] = [(c.role, "x".join(map(str, c.shape[2:])) if c.role == "det" else f"batch {c.shape[0]}")
                                for c in recorded]
    out = {}
    for (name, mode), row in rows.items():
        out[f"{name} | {mode}"] = {"route": next(r for n, r, _ in cases if n == name), "case": name, "coarse": mode,
                                   "calls": row["calls"],
                                   **{k: summary(v) for k, v in row.items() if k != "calls"},
                                   "overhead": summary([w - s for w, s in zip(row["wall"], row["sc_models"],
                                                                               strict=True)])}
    return out


def print_routes(routes: dict[int, dict[str, Any]]) -> None:
    from bench.common import ms

    threads = sorted(routes)
    print("\n### Per-route latency at buffalo_l scale (ms; median, p10–p90 over the repeats)\n")
    print("Estimate = buffalo_sc route wall time − buffalo_sc model time + the same model calls on the proxies.\n")
    head = ["case", "coarse-to-fine", "model calls"]
    for t in threads:
        head += [f"buffalo_l est. {t}T", f"proxy models {t}T", f"pipeline overhead {t}T", f"buffalo_sc route {t}T"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for key in routes[threads[0]]:
        first = routes[threads[0]][key]
        cells = [first["case"], first["coarse"], ", ".join(f"{r} {s}" for r, s in first["calls"])]
        for t in threads:
            r = routes[t][key]
            cells += [ms(r["estimate"]), ms(r["proxy"], False), ms(r["overhead"], False), ms(r["wall"], False)]
        print("| " + " | ".join(cells) + " |")
    if len(threads) > 1:
        lo, hi = threads[0], threads[-1]
        ratios = [routes[lo][k]["proxy"]["median"] / routes[hi][k]["proxy"]["median"] for k in routes[lo]]
        print(f"\nThread scaling of the proxy model time, {lo}T / {hi}T: median {statistics.median(ratios):.2f}x "
              f"(range {min(ratios):.2f}–{max(ratios):.2f}x over the cases).")


def print_cost(routes: dict[int, dict[str, Any]]) -> None:
    from bench import common as c

    mb = c.LAMBDA_MB_FOR_THREADS
    threads = [t for t in sorted(routes) if t in mb]
    if not threads:
        return
    print("\n### Cost per million requests at buffalo_l scale (coarse-to-fine on; Lambda + API Gateway REST)\n")
    head = ["case"]
    for t in threads:
        head += [f"{mb[t]} MB: latency ms", "Lambda $", "+ API Gateway $"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for key, first in routes[threads[0]].items():
        if first["coarse"] != "on":
            continue
        cells = [first["case"]]
        for t in threads:
            latency = routes[t][key]["estimate"]["median"]
            lam = (mb[t] / 1024 * latency * c.LAMBDA_GB_SECOND + c.LAMBDA_REQUEST) * 1e6
            cells += [f"{latency * 1e3:.0f}", f"{lam:.2f}", f"{lam + c.API_GATEWAY_REST_REQUEST * 1e6:.2f}"]
        print("| " + " | ".join(cells) + " |")
    print(f"\nAWS Rekognition CompareFaces: ${c.REKOGNITION_COMPARE_FACES * 1e6:,.0f} per million comparisons "
          "(first million a month).")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="buffalo_l-scale latency, cold start and RSS on timing proxies")
    parser.add_argument("--proxies", type=Path, default=Path(os.environ.get("PROXY_DIR", "/tmp/proxies")),
                        help="folder of the proxy ONNX files")
    parser.add_argument("--model-dir", type=Path, default=None, help="default: the service's MODEL_DIR default")
    parser.add_argument("--threads", default="1,2", help="ONNX Runtime thread counts to compare")
    parser.add_argument("--repeats", type=int, default=15, help="timed rounds per route case")
    parser.add_argument("--init-runs", type=int, default=5, help="fresh processes per thread count")
    parser.add_argument("--quick", action="store_true", help="3 repeats, 2 init runs (smoke test)")
    parser.add_argument("--only", choices=["init", "routes"], action="append")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)  # one cold start (measure_init)
    parser.add_argument("--json", type=Path, default=None, help="write results here (default bench/results/)")
    args = parser.parse_args(argv)
    threads_list = [int(t) for t in args.threads.split(",") if t.strip()]
    if args.child:
        return child(args.model_dir, threads_list[0])
    from bench.common import log, machine, save_results, utc_now
    from bench.engines import ensure_proxy_pack
    from function.config import DEFAULT_MODEL_DIR
    from function.models.bake import bake_buffalo_sc, is_baked
    from tests.support.services import PACK

    if args.quick:
        args.repeats, args.init_runs = 3, 2
    model_dir = args.model_dir or DEFAULT_MODEL_DIR
    sections = args.only or ["init", "routes"]
    ensure_proxy_pack(model_dir, args.proxies)
    if not is_baked(model_dir, PACK):
        bake_buffalo_sc(model_dir)
    print(f"## bench/scale.py — buffalo_l-scale timing proxies\n\n{machine()}; {utc_now()}")
    results: dict[str, Any] = {"threads": threads_list, "load_average_start": os.getloadavg()[0]}
    if "init" in sections:
        log("init: fresh processes ...")
        results["init"] = measure_init(model_dir, threads_list, args.init_runs)
        print_init(results["init"])
    if "routes" in sections:
        results["routes"] = {}
        for t in threads_list:
            log(f"routes: {t} thread(s) ...")
            results["routes"][t] = measure_routes(model_dir, t, args.repeats)
        print_routes(results["routes"])
        print_cost(results["routes"])
    log(f"results written to {save_results(results, 'scale', args.json)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
