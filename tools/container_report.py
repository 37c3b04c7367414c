"""python -m tools.container_report --image IMAGE [--runs 5] — the image's size per layer and its start-up.

* Layers: `docker history` of the image, each of our own layers (dependencies, pack, code, bytecode) with its size,
  and the base image's total.
* docker run -> first 200: seconds from `docker run -d -p` of the image in plain HTTP mode until GET /health
  answers 200 (uvicorn up, models loaded), a fresh container per run.
* Under the Runtime Interface Emulator: seconds from `docker run` until the first invocation (a /health event from
  function/events) returns, and the emulator's own INIT duration (`INIT REPORT(durationMs: ...)` in its log: the
  runtime's start, imports and model load inside the container), then one warm invocation.
Median and range over --runs; the load average is printed with them (this machine is shared).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time

from function.events import photo_event
from tests.support import free_port
from tools.dockerrun import Container, daemon_answers, docker_cli

INIT_REPORT = re.compile(r"INIT REPORT\(durationMs: ([0-9.]+)\)")


def layers(image: str) -> list[tuple[int, str]]:
    """(bytes, instruction) for every layer, oldest first."""
    out = subprocess.run([docker_cli(), "history", "--no-trunc", "--human=false", "--format",
                          "{{.Size}}\t{{.CreatedBy}}", image], capture_output=True, text=True, check=True)
    rows = []
    for line in reversed(out.stdout.strip().splitlines()):
        size, _, created_by = line.partition("\t")
        rows.append((int(size), " ".join(created_by.split())))
    return rows


def print_layers(image: str) -> None:
    rows = layers(image)
    own_from = next((i for i, (_, cmd) in enumerate(rows) if "PYTHONPATH=/opt/deps" in cmd and "ENV" in cmd), 0)
    base = sum(size for size, _ in rows[:own_from])
    print(f"layers of {image} (docker history; MB = 10^6 bytes)")
    print(f"  {base / 1e6:8.1f} MB  base image ({own_from} layers)")
    for size, cmd in rows[own_from:]:
        if size:
            print(f"  {size / 1e6:8.1f} MB  {cmd[:110]}")
    print(f"  {sum(size for size, _ in rows) / 1e6:8.1f} MB  total")


def spread(values: list[float]) -> str:
    return f"median {statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f}, n={len(values)})"


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def http_first_200(image: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        with Container(image, free_port(), 8000) as c:
            times.append(c.wait_http())
    return times


def rie_start(image: str, runs: int) -> tuple[list[float], list[float], list[float]]:
    first, init, warm = [], [], []
    event = photo_event("/health", {})
    for _ in range(runs):
        with Container(image, free_port(), 8080, rie=True) as c:
            response = c.invoke(event)
            first.append(time.monotonic() - c.started_at)
            assert response.get("statusCode") == 200, response
            t = time.monotonic()
            c.invoke(event)
            warm.append(time.monotonic() - t)
            match = INIT_REPORT.search(c.logs())
            if match:
                init.append(float(match.group(1)) / 1000)
    return first, init, warm


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.container_report", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-startup", action="store_true", help="layers only")
    args = parser.parse_args(argv)
    if not daemon_answers():
        print("container_report: no Docker daemon answers (`docker info` failed); start one first", file=sys.stderr)
        return 2
    print_layers(args.image)
    if args.no_startup:
        return 0
    print(f"start-up of {args.image}, {args.runs} fresh containers each ({load()})")
    print(f"  docker run -> first 200 on /health (plain HTTP): {spread(http_first_200(args.image, args.runs))}")
    first, init, warm = rie_start(args.image, args.runs)
    print(f"  RIE: docker run -> first invocation answered:      {spread(first)}")
    if init:
        print(f"  RIE: INIT REPORT durationMs (inside the container): {spread(init)}")
    print(f"  RIE: second (warm) /health invocation:            {spread(warm)}")
    print(f"  ({load()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
