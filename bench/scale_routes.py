"""Per-route latency at buffalo_l scale, and what it costs on Lambda.

Every request goes through the real app on buffalo_sc (TestClient, real photos) with its model calls recorded
(bench/sessions.py); the same calls are then replayed on the timing proxies, so

    buffalo_l-scale latency = route wall time on buffalo_sc - buffalo_sc model time + proxy model time

i.e. buffalo_sc's measured pipeline overhead (HTTP, decode, alignment, NMS, JSON) plus buffalo_l's model compute.
Coarse-to-fine on (default) and off (COARSE_DET_SIZE=0), interleaved; medians and spread over the repeats.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from bench.proxies import SC_PACK, bench_settings, recorded_pair
from bench.sessions import Call
from bench.stats import ms, summary
from function.api.app import create_app
from function.engine import FaceEngine
from tests.support.photos import DATA, wheel_photo

# US East prices read 2026-11-28 (docs/lambda-sizing.md: Cost gives the sources). Free tiers left out.
LAMBDA_GB_SECOND = 0.0000166667
LAMBDA_REQUEST = 0.20 / 1e6
API_GATEWAY_REST_REQUEST = 3.50 / 1e6
REKOGNITION_COMPARE_FACES = 1.00 / 1000  # Group 1 image API, first million images a month
MEMORY_FOR_THREADS = {1: 1769, 2: 3538}  # Lambda MB that credit exactly that many vCPUs


def route_cases() -> list[tuple[str, str, dict[str, Path]]]:
    """(name, route, files) on real photos: what the routes are sent."""
    same = next((a, b) for _, a, b, s in DATA.lfw_pairs if s)
    portrait = wheel_photo("yaoming.jpg")
    return [
        ("detect, group photo (7 faces, 500x375)", "/detect", {"image": DATA.group / "dlib_2007_007763.jpg"}),
        ("extract-embedding, portrait (yaoming.jpg)", "/extract-embedding", {"image": portrait}),
        ("extract-embedding, close-up (LFW crop)", "/extract-embedding", {"image": same[0]}),
        ("compare, two close-ups (LFW pair)", "/compare", {"image1": same[0], "image2": same[1]}),
        ("compare, portrait + close-up", "/compare", {"image1": portrait, "image2": same[0]}),
    ]


def _call_label(call: Call) -> tuple[str, str]:
    return call.role, "x".join(map(str, call.shape[2:])) if call.role == "det" else f"batch {call.shape[0]}"


def measure_routes(model_dir: Path, threads: int, repeats: int) -> dict[str, Any]:
    sc, calls, replayer = recorded_pair(model_dir, threads)
    sc_off = FaceEngine(sc.detector, sc.recognizer, replace(sc.config, coarse_det_size=0), sc.pack, sc.report)
    settings = bench_settings(model_dir, SC_PACK, threads)
    clients = {"on": TestClient(create_app(settings, engine=sc)), "off": TestClient(create_app(settings, engine=sc_off))}
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
                row = rows.setdefault((name, mode), {"wall": [], "sc_models": [], "proxy": [], "estimate": [],
                                                     "calls": []})
                row["wall"].append(wall)
                row["sc_models"].append(sc_models)
                row["proxy"].append(proxy_s)
                row["estimate"].append(wall - sc_models + proxy_s)
                row["calls"] = [_call_label(c) for c in recorded]
    out = {}
    for (name, mode), row in rows.items():
        out[f"{name} | {mode}"] = {"route": next(r for n, r, _ in cases if n == name), "case": name, "coarse": mode,
                                   "calls": row["calls"],
                                   **{k: summary(v) for k, v in row.items() if k != "calls"},
                                   "overhead": summary([w - s for w, s in zip(row["wall"], row["sc_models"], strict=True)])}
    return out


def print_routes(routes: dict[int, dict[str, Any]]) -> None:
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
    threads = [t for t in sorted(routes) if t in MEMORY_FOR_THREADS]
    print("\n### Cost per million requests at buffalo_l scale (coarse-to-fine on; Lambda + API Gateway REST)\n")
    head = ["case"]
    for t in threads:
        head += [f"{MEMORY_FOR_THREADS[t]} MB: latency ms", "Lambda $", "+ API Gateway $"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for key, first in routes[threads[0]].items():
        if first["coarse"] != "on":
            continue
        cells = [first["case"]]
        for t in threads:
            latency = routes[t][key]["estimate"]["median"]
            lam = (MEMORY_FOR_THREADS[t] / 1024 * latency * LAMBDA_GB_SECOND + LAMBDA_REQUEST) * 1e6
            cells += [f"{latency * 1e3:.0f}", f"{lam:.2f}", f"{lam + API_GATEWAY_REST_REQUEST * 1e6:.2f}"]
        print("| " + " | ".join(cells) + " |")
    print(f"\nAWS Rekognition CompareFaces: ${REKOGNITION_COMPARE_FACES * 1e6:,.0f} per million comparisons "
          "(first million a month).")
