"""Is the same single-threaded work slower after the process has slept? (issue #29, docs/benchmarks.md)

A fixed NumPy computation (40 x (300x300 matmul + tanh)), no ONNX Runtime and no threads of ours, run 30 times with
GAP seconds of sleep before each; prints the median. Under `perf stat -e task-clock,context-switches,cpu-migrations`
it separates scheduling (switches, migrations) from slower execution (more CPU time for the same work):

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 perf stat -e task-clock,context-switches,cpu-migrations \\
        .venv/bin/python -m tools.pause_cpu 0.5
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np

A = np.random.default_rng(0).random((300, 300)).astype(np.float32)


def work() -> np.ndarray:
    x = A
    for _ in range(40):
        x = np.tanh(x @ A * np.float32(0.01))
    return x


def main() -> int:
    gap = float(sys.argv[1]) if len(sys.argv) > 1 else 0.0
    for _ in range(5):
        work()
    times = []
    for _ in range(30):
        time.sleep(gap)
        t0 = time.perf_counter()
        work()
        times.append((time.perf_counter() - t0) * 1000)
    print(f"gap {gap} s: median {statistics.median(times):.2f} ms over {len(times)} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
