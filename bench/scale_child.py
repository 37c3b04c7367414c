"""One cold start at buffalo_l scale, measured from this module's first line; prints one JSON line.

    python -m bench.scale_child --model-dir DIR --threads N [--old-warmup]

Started by bench/scale_init.py in a fresh interpreter for every run. Only the standard library is imported at the
top, so that the `imports` step below times the service's own import graph (as on Lambda), not this script's.
"""

from __future__ import annotations

import time

_T_START = time.perf_counter()  # before the heavy imports: the steps are measured from here

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

# The model calls of one /extract-embedding on a 4:3 one-face photo with coarse-to-fine: the first request.
FIRST_REQUEST = [("det", (1, 3, 256, 320)), ("rec", (1, 3, 112, 112))]


def load_engine_before(model_dir: Path, threads: int) -> Any:
    """The start-up the engine had before issue #6, for the before/after: the same sequential load (files read and
    hashed, sessions built one after the other), then a full-size warm-up (detector at 640 and 320, one
    recognizer batch) instead of today's one 32x32 detector run."""
    import numpy as np

    from bench.proxies import PROXY_PACK, load_engine

    engine = load_engine(model_dir, PROXY_PACK, threads, proxy=True, warmup=False)
    blank = np.zeros((640, 640, 3), dtype=np.uint8)
    t0 = time.perf_counter()
    engine.detector.detect(blank, 640)
    engine.detector.detect(blank[:320, :320], 320)
    engine.recognizer.embed([blank[:112, :112]])
    engine.report.warmup_s = time.perf_counter() - t0
    return engine


def init_child(model_dir: Path, threads: int, old_warmup: bool = False) -> int:
    t_imports0 = time.perf_counter()
    from function.api.app import create_app  # noqa: F401  (the service's import graph, as on Lambda)

    t_imports1 = time.perf_counter()
    from bench.procs import status_mb
    from bench.proxies import PROXY_PACK, ProxyReplayer, load_engine

    if old_warmup:
        engine = load_engine_before(model_dir, threads)
    else:
        engine = load_engine(model_dir, PROXY_PACK, threads, proxy=True)
    t_loaded = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_s = usage.ru_utime + usage.ru_stime
    replayer = ProxyReplayer(engine)
    first = sum(replayer.run(role, shape) for role, shape in FIRST_REQUEST)
    steady = [sum(replayer.run(role, shape) for role, shape in FIRST_REQUEST) for _ in range(5)]
    r = engine.report
    print(json.dumps({
        "interpreter_and_script_s": t_imports0 - _T_START,
        "imports_s": t_imports1 - t_imports0,
        "read_verify_s": r.read_verify_s, "detector_session_s": r.detector_session_s, "load_wall_s": r.load_wall_s,
        "recognizer_session_s": r.recognizer_session_s, "warmup_s": r.warmup_s,
        "init_s": t_loaded - _T_START, "init_cpu_s": cpu_s,
        "first_request_models_s": first, "steady_request_models_s": statistics.median(steady),
        "init_plus_first_request_s": t_loaded - _T_START + first,
        "peak_rss_mb": status_mb("self", "VmHWM"),
    }))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--old-warmup", action="store_true")
    args = parser.parse_args(argv)
    return init_child(args.model_dir, args.threads, args.old_warmup)


if __name__ == "__main__":
    sys.exit(main())
