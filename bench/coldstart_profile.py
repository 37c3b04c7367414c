"""Where a cold start's time goes: the steps of `python -m function` up to the first answer, wall and CPU each.

    python -m bench.coldstart_profile [--runs 5]

Each run is a fresh interpreter (`-c` of the steps below, in the order the server takes them, with the engine
loading on its thread as function/__main__.py does); the table gives the median per step. Python's own start-up
(before the first line runs) is the `interpreter` row: wall from spawn, CPU of the whole process by then. CPU is
the main thread's (time.thread_time): on two idle cores the engine thread runs beside it, so the main thread's
CPU is what the wall time tends to.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import subprocess
import sys
import time

from function.config import REPO_ROOT

STEPS = r'''
import time, json, os
T = [("interpreter", time.perf_counter(), time.thread_time())]
def mark(name): T.append((name, time.perf_counter(), time.thread_time()))
import numpy; mark("import numpy")
import cv2; mark("import cv2")
import onnxruntime; mark("import onnxruntime")
from function.config import Settings
from function.startup import EngineLoader; mark("import function.engine/startup")
settings = Settings.from_env({"MODEL_PACK": "buffalo_sc", "LOG_LEVEL": "WARNING"})
loader = EngineLoader(settings); mark("start engine thread")
import pydantic; mark("import pydantic")
import fastapi; mark("import fastapi (+starlette)")
import uvicorn; mark("import uvicorn")
from function.api.app import create_app; mark("import function.api (routes, schemas)")
engine = loader.result(); mark("wait for engine thread")
app = create_app(settings, engine=engine); mark("create_app")
from fastapi.testclient import TestClient
from tests.support.photos import wheel_photo
data = wheel_photo("yaoming.jpg").read_bytes(); mark("(test client import, not in the server)")
r = engine.report
svc = app.state.service
svc.extract(data); mark("first extract (service, no HTTP)")
print(json.dumps({"t0": T[0][1], "steps": [(n, t, c) for n, t, c in T], "process_cpu": time.process_time(),
                  "engine": [r.read_verify_s, r.detector_session_s, r.recognizer_session_s, r.warmup_s]}))
'''


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    rows: dict[str, list[tuple[float, float]]] = {}
    engine_parts = []
    for _ in range(args.runs):
        t_spawn = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", STEPS], cwd=REPO_ROOT, capture_output=True, text=True, check=True,
                             env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO_ROOT)})
        res = json.loads(out.stdout.strip().splitlines()[-1])
        steps = res["steps"]
        rows.setdefault("interpreter", []).append((steps[0][1] - t_spawn, steps[0][2]))
        for (_, t0, c0), (name, t1, c1) in itertools.pairwise(steps):
            rows.setdefault(name, []).append((t1 - t0, c1 - c0))
        engine_parts.append(res["engine"])
        rows.setdefault("(process CPU, all threads, whole run)", []).append((float("nan"), res["process_cpu"]))
    print(f"{'step':<42} {'wall ms':>8} {'main-thread CPU ms':>19}   (median of {args.runs} fresh interpreters)")
    tw = tc = 0.0
    for name, vals in rows.items():
        w, c = statistics.median(v[0] for v in vals), statistics.median(v[1] for v in vals)
        if not name.startswith("("):
            tw, tc = tw + w, tc + c
        print(f"{name:<42} {1e3 * w:>8.1f} {1e3 * c:>19.1f}")
    print(f"{'total (without the rows in brackets)':<42} {1e3 * tw:>8.1f} {1e3 * tc:>19.1f}")
    parts = [statistics.median(p[i] for p in engine_parts) for i in range(4)]
    read, det, rec, warmup = (1e3 * p for p in parts)
    print(f"engine thread (overlaps the imports after it): read+verify {read:.0f} ms, detector session {det:.0f} ms, "
          f"recognizer session {rec:.0f} ms, warm-up {warmup:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
