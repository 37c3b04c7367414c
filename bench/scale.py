"""make bench-scale: the service at buffalo_l scale, measured on compute-faithful timing proxies.

buffalo_l's weights cannot be downloaded on the development machine, so its two models are stood in for by
random-weight ONNX files with the same architectures, parameter counts, FLOPs and file sizes (bench/proxies.py).
Their outputs are noise, so they never run a request end to end; instead:

  init     fresh processes, each: imports, pack read + sha256 verify, detector and recognizer sessions, warm-up,
           then the first request's model calls and the steady ones after it; peak RSS (VmHWM) at the end
           (bench/scale_init.py, bench/scale_child.py).
  routes   every request through the real app on buffalo_sc with its model calls recorded, replayed on the
           proxies: buffalo_l-scale latency per route, coarse-to-fine on and off, at each thread count, and the
           Lambda cost per million requests (bench/scale_routes.py).
  coarse   how often the coarse pass settles a one-face request on the shared photos, which passes ran, and the
           detector time that saves at buffalo_l scale (bench/scale_coarse.py).

    python -m bench.scale [--proxies /tmp/proxies] [--repeats 15] [--init-runs 5] [--threads 1,2] [--quick]

Proxies absent: the script builds them with a Python that has torch + onnx ($PROXY_PYTHON, default
/tmp/proxyvenv/bin/python), or says how to (torch never enters the requirements files):

    python3 -m venv /tmp/proxyvenv && /tmp/proxyvenv/bin/pip install torch onnx
    /tmp/proxyvenv/bin/python ../shared/tools/make_timing_proxies.py /tmp/proxies
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from bench.procs import log
from bench.proxies import DEFAULT_PROXIES, SC_PACK, ensure_proxy_pack
from bench.save import save_results
from bench.scale_coarse import measure_coarse, print_coarse
from bench.scale_init import measure_init, print_init
from bench.scale_routes import measure_routes, print_cost, print_routes
from function.config import DEFAULT_MODEL_DIR, available_cpus
from function.models.bake import bake_buffalo_sc, is_baked


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="buffalo_l-scale latency, cold start and RSS on timing proxies")
    parser.add_argument("--proxies", type=Path, default=DEFAULT_PROXIES, help="folder of the proxy ONNX files")
    parser.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--threads", default="1,2", help="ONNX Runtime thread counts to compare")
    parser.add_argument("--repeats", type=int, default=15, help="timed rounds per route case")
    parser.add_argument("--init-runs", type=int, default=5, help="fresh processes per thread count")
    parser.add_argument("--lfw-sample", type=int, default=100, help="LFW crops in the coarse-to-fine table")
    parser.add_argument("--quick", action="store_true", help="3 repeats, 2 init runs, 30 LFW crops (smoke test)")
    parser.add_argument("--only", choices=["init", "routes", "coarse"], action="append")
    parser.add_argument("--from-json", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, default=None, help="write results here (default bench/results/)")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.init_runs, args.lfw_sample = 3, 2, 30
    return args


def reprint(path: Path) -> int:
    """The tables of an earlier run, from its JSON."""
    saved = json.loads(path.read_text())
    if "init" in saved:
        print_init(saved["init"])
    if "routes" in saved:
        routes = {int(t): r for t, r in saved["routes"].items()}
        print_routes(routes)
        print_cost(routes)
    if "coarse" in saved:
        print_coarse(saved["coarse"], max(saved["threads"]))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--scale" in argv:  # handed over by bench/bench.py --scale buffalo_l
        i = argv.index("--scale")
        del argv[i:i + 2]
    args = parse_args(argv)
    threads_list = [int(t) for t in args.threads.split(",") if t.strip()]
    if args.from_json:
        return reprint(args.from_json)
    sections = args.only or ["init", "routes", "coarse"]
    ensure_proxy_pack(args.model_dir, args.proxies)
    if not is_baked(args.model_dir, SC_PACK):
        bake_buffalo_sc(args.model_dir)
    load = os.getloadavg()[0]
    print(f"## bench/scale.py — buffalo_l-scale timing proxies\n\n{available_cpus()} CPUs, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}, load average at start {load:.1f}; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    results: dict[str, Any] = {"threads": threads_list, "load_average_start": load}
    if "init" in sections:
        log("init: fresh processes ...")
        results["init"] = measure_init(args.model_dir, threads_list, args.init_runs)
        print_init(results["init"])
    if "routes" in sections:
        results["routes"] = {}
        for t in threads_list:
            log(f"routes: {t} thread(s) ...")
            results["routes"][t] = measure_routes(args.model_dir, t, args.repeats)
        print_routes(results["routes"])
        print_cost(results["routes"])
    if "coarse" in sections:
        log("coarse-to-fine trade-off ...")
        t = max(threads_list)
        results["coarse"] = measure_coarse(args.model_dir, t, args.lfw_sample)
        print_coarse(results["coarse"], t)
    log(f"results written to {save_results(results, 'scale', args.json)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
