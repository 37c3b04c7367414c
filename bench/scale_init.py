"""Cold start at buffalo_l scale: fresh processes (bench/scale_child.py), interleaved, and the table of their steps."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.procs import log
from bench.stats import ms, summary
from function.config import REPO_ROOT

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


def measure_init(model_dir: Path, threads_list: list[int], runs: int) -> dict[str, dict[str, Any]]:
    """Fresh processes, interleaved: each thread count with the engine's start-up, and the largest thread count also
    with the start-up the engine had before issue #6 (sequential load, full-size warm-up), for the before/after."""
    variants = [(f"{t}T", t, False) for t in threads_list] + [(f"{max(threads_list)}T, start-up before #6",
                                                                max(threads_list), True)]
    results: dict[str, list[dict[str, Any]]] = {name: [] for name, _, _ in variants}
    for i in range(runs):
        for name, t, old in variants:
            env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
            cmd = [sys.executable, "-m", "bench.scale_child", "--model-dir", str(model_dir),
                   "--threads", str(t)] + (["--old-warmup"] if old else [])
            t0 = time.perf_counter()
            out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO_ROOT)
            wall = time.perf_counter() - t0
            if out.returncode != 0:
                raise RuntimeError(f"init child failed: {out.stderr[-2000:]}")
            row = json.loads(out.stdout.strip().splitlines()[-1])
            row["process_wall_s"] = wall
            results[name].append(row)
        log(f"  init run {i + 1}/{runs} done")
    return {name: {k: summary([r[k] for r in rows]) for k in rows[0]} for name, rows in results.items()}


def print_init(init: dict[str, dict[str, Any]]) -> None:
    names = list(init)
    print("\n### Cold start with the buffalo_l-scale proxies (fresh processes; median, p10–p90 in ms)\n")
    print("| step | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for key, label in INIT_FIELDS:
        if any(key not in init[n] for n in names):
            continue
        print(f"| {label} | " + " | ".join(ms(init[n][key]) for n in names) + " |")
    print("| peak RSS (VmHWM), MB | " + " | ".join(f"{init[n]['peak_rss_mb']['median']:.0f}" for n in names) + " |")
