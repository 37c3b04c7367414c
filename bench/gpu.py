"""GPU bench (issue #13): parity with CPU, per-route latency, first-call cost per shape, buffalo_l-scale proxies.

    python -m bench.gpu [--provider cuda|cpu] [--algo-search heuristic,exhaustive] [--stable-shapes auto|on|off]
                        [--repeats 20] [--lfw 34] [--proxies DIR] [--json PATH]

Meant for one machine with an NVIDIA GPU and onnxruntime-gpu (docs/gpu.md); about 1-2 minutes there. Per cuDNN
algorithm-search mode it builds the engine as the service would (Settings: EXECUTION_PROVIDER, STABLE_SHAPES,
CUDNN_CONV_ALGO_SEARCH) and reports:
  start-up     session creation and warm-up seconds, the providers the sessions really got
  parity       the engine vs a CPU engine with the default settings on the wheel's 3 photos, group/, noface/ and
               --lfw LFW crops: face counts, box IoU, embedding cosine
  routes       the use cases behind /detect, /extract-embedding and /compare (function.service, in process: decode,
               detect, embed, response model), called in turn so that shapes change from call to call: the first
               call after start-up, warm median, p90 and max, and whether max <= 3x the warm median (issue #13)
  shapes       on a fresh engine without warm-up: each detector canvas and recognizer batch size the routes feed,
               first call vs warm median (what the warm-up buys, and what an unforeseen shape would cost)
  proxies      buffalo_l-scale timing proxies (random weights; bench/engines.py bakes them): det 320/640 and rec
               batch 1/8/32 model time, and a 1-face extract estimated as the buffalo_sc route's wall time minus its
               model time plus the same model calls on the proxies
`--provider cpu` is a smoke test of the script on a machine without a GPU (what CI can run); its figures are CPU's.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import log, save_results
from bench.engines import DEFAULT_PROXIES, PROXY_PACK, Call, ProxyReplayer, engine, ensure_proxy_pack, recording_engine
from function.config import DEFAULT_MODEL_DIR, Settings
from function.engine import FaceEngine
from function.imaging import decode_image
from function.service import FaceService
from function.startup import build_service
from tests.support import iou
from tests.support.photos import DATA, faces_dir, wheel_photo, wheel_photos
from tests.support.services import PACK

Calls = list[Call]
PROXY_DET = (320, 640)
PROXY_REC = (1, 8, 32)


def stats_ms(times_s: list[float]) -> dict[str, float]:
    ms = sorted(t * 1e3 for t in times_s)
    return {"median": statistics.median(ms), "p90": ms[min(len(ms) - 1, (len(ms) * 9) // 10)], "max": ms[-1],
            "n": len(ms)}


def build(settings: Settings, *, warmup: bool = True, proxy: bool = False, pack: str = "") -> FaceEngine:
    return engine(settings, pack or settings.model_pack, proxy=proxy, warmup=warmup)


def service_on(settings: Settings, on: FaceEngine) -> FaceService:
    return build_service(settings, on, settings.model_pack)


# -- parity -------------------------------------------------------------------------------------------------------
def parity_photos(lfw: int) -> list[Path]:
    crops = (faces_dir() or DATA).lfw_images  # the LFW-scale set when present, else the repository's few crops
    return (wheel_photos() + DATA.group_photos + DATA.noface_photos
            + random.Random(13).sample(crops, min(lfw, len(crops))))


def parity(target: FaceEngine, cpu: FaceEngine, lfw: int) -> dict[str, object]:
    count_diffs, ious, cosines = [], [], []
    photos = parity_photos(lfw)
    for path in photos:
        image = decode_image(path.read_bytes()).pixels
        for purpose in ("all", "one"):
            want, got = cpu.detect(image, purpose), target.detect(image, purpose)
            if len(want) != len(got):
                count_diffs.append(f"{path.name} ({purpose}): cpu {len(want)}, target {len(got)}")
                continue
            ious += [iou(a.box, b.box) for a, b in zip(want, got, strict=True)]
            if want:
                cosines += list(np.sum(cpu.embed(image, want) * target.embed(image, got), axis=1).astype(float))
    return {"photos": len(photos), "count_differences": count_diffs, "faces": len(ious),
            "box_iou_min": min(ious, default=1.0), "embedding_cosine_min": min(cosines, default=1.0)}


# -- routes -------------------------------------------------------------------------------------------------------
def route_cases() -> dict[str, Callable[[FaceService], object]]:
    read = {n: wheel_photo(n).read_bytes() for n in ("players.jpg", "gdp.jpg", "yaoming.jpg")}
    crop = DATA.lfw_pairs[0].image1.read_bytes()
    group = DATA.group_photos[0].read_bytes()
    return {
        "detect players.jpg (22 faces)": lambda s: s.detect(read["players.jpg"]),
        "detect group photo": lambda s: s.detect(group),
        "extract yaoming.jpg (1 face)": lambda s: s.extract(read["yaoming.jpg"]),
        "extract LFW close-up": lambda s: s.extract(crop),
        "extract all gdp.jpg (5 faces)": lambda s: s.extract(read["gdp.jpg"], all_faces=True),
        "extract all players.jpg (22 faces)": lambda s: s.extract(read["players.jpg"], all_faces=True),
        "compare yaoming vs LFW close-up": lambda s: s.compare(read["yaoming.jpg"], crop),
    }


def routes(service: FaceService, repeats: int) -> dict[str, dict[str, object]]:
    cases = route_cases()
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(repeats + 1):  # in turn: the shapes change from one call to the next, as in service
        for name, call in cases.items():
            t0 = time.perf_counter()
            call(service)
            times[name].append(time.perf_counter() - t0)
    out: dict[str, dict[str, object]] = {}
    for name, ts in times.items():
        warm = stats_ms(ts[1:])
        first = ts[0] * 1e3
        out[name] = {"first_ms": first, **{f"warm_{k}": v for k, v in warm.items()},
                     "all_within_3x": max(first, warm["max"]) <= 3 * warm["median"]}
    return out


# -- first call per shape ---------------------------------------------------------------------------------------
def shapes(settings: Settings, repeats: int) -> dict[str, dict[str, float]]:
    """A fresh engine, no warm-up: every (role, shape) the route cases feed, first call vs warm calls."""
    calls: Calls = []
    fresh = build(settings, warmup=False)
    service = service_on(settings, recording_engine(fresh, calls))
    for call in route_cases().values():
        call(service)
    first: dict[tuple[str, tuple[int, ...]], float] = {}
    for c in calls:
        first.setdefault((c.role, c.shape), c.seconds)
    replay = ProxyReplayer(fresh)  # random inputs of each shape on the same sessions
    out = {}
    for (role, shape), seconds in sorted(first.items()):
        warm = stats_ms([replay.run(role, shape) for _ in range(repeats)])
        out[f"{role} {'x'.join(map(str, shape))}"] = {"first_ms": seconds * 1e3, "warm_median_ms": warm["median"]}
    return out


# -- buffalo_l-scale proxies --------------------------------------------------------------------------------------
def proxies(settings: Settings, sc_engine: FaceEngine, repeats: int) -> dict[str, object]:
    proxy = build(settings, proxy=True, pack=PROXY_PACK)
    replay = ProxyReplayer(proxy)
    canvas = not proxy.config.fit_canvas
    out: dict[str, object] = {"session_s": proxy.report.detector_session_s + proxy.report.recognizer_session_s,
                              "warmup_s": proxy.report.warmup_s}
    for size in PROXY_DET:
        shape = (1, 3, size, size) if canvas else (1, 3, -(-size * 3 // 4 // 32) * 32, size)  # fitted: a 4:3 photo
        out[f"det {shape[3]}x{shape[2]}"] = stats_ms([replay.run("det", shape) for _ in range(repeats)])
    for n in PROXY_REC:
        out[f"rec batch {n}"] = stats_ms([replay.run("rec", (n, 3, 112, 112)) for _ in range(repeats)])
    calls: Calls = []
    service = service_on(settings, recording_engine(sc_engine, calls))
    photo = wheel_photo("yaoming.jpg").read_bytes()
    service.extract(photo)
    estimates = []
    for _ in range(repeats):
        calls.clear()
        t0 = time.perf_counter()
        service.extract(photo)
        wall = time.perf_counter() - t0
        estimates.append(wall - sum(c.seconds for c in calls) + replay.replay(calls))
    out["extract 1 face (estimate)"] = stats_ms(estimates)
    out["extract 1 face model calls"] = [f"{c.role} {'x'.join(map(str, c.shape))}" for c in calls]
    return out


# -- main ---------------------------------------------------------------------------------------------------------
def print_tables(results: dict[str, Any]) -> None:
    for mode, r in results["modes"].items():
        print(f"\n### {results['provider']}, cudnn_conv_algo_search={mode}, stable shapes {r['stable_shapes']}\n")
        print(f"start-up: sessions {r['startup']['sessions_s']:.2f} s, warm-up {r['startup']['warmup_s']:.2f} s, "
              f"providers {r['startup']['providers']}")
        p = r["parity"]
        print(f"parity vs CPU: {p['photos']} photos, {p['faces']} faces, count differences {len(p['count_differences'])}, "
              f"box IoU min {p['box_iou_min']:.4f}, embedding cosine min {p['embedding_cosine_min']:.5f}\n")
        print("| route (in process) | first call ms | warm median ms | p90 | max | all <= 3x median |\n|---|---|---|---|---|---|")
        for name, v in r["routes"].items():
            print(f"| {name} | {v['first_ms']:.1f} | {v['warm_median']:.1f} | {v['warm_p90']:.1f} | {v['warm_max']:.1f} "
                  f"| {'yes' if v['all_within_3x'] else 'NO'} |")
        print("\n| shape (fresh engine, no warm-up) | first call ms | warm median ms |\n|---|---|---|")
        for name, v in r["shapes"].items():
            print(f"| {name} | {v['first_ms']:.1f} | {v['warm_median_ms']:.2f} |")
        if r.get("proxies"):
            print("\n| buffalo_l proxy | median ms | p90 | max |\n|---|---|---|---|")
            for name, v in r["proxies"].items():
                if isinstance(v, dict):
                    print(f"| {name} | {v['median']:.2f} | {v['p90']:.2f} | {v['max']:.2f} |")
            print(f"proxy sessions {r['proxies']['session_s']:.2f} s, warm-up {r['proxies']['warmup_s']:.2f} s; "
                  f"1-face extract calls: {', '.join(r['proxies']['extract 1 face model calls'])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--provider", choices=("cuda", "cpu"), default="cuda")
    parser.add_argument("--algo-search", default="heuristic,exhaustive",
                        help="cuDNN modes to compare (CUDA only; default: %(default)s)")
    parser.add_argument("--stable-shapes", choices=("auto", "on", "off"), default="auto")
    parser.add_argument("--threads", type=int, default=0, help="ORT_THREADS (0 = the CPUs available)")
    parser.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--pack", default=PACK)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--lfw", type=int, default=34, help="LFW crops in the parity set (default: %(default)s)")
    parser.add_argument("--proxies", type=Path, default=DEFAULT_PROXIES, help="folder of the proxy ONNX files")
    parser.add_argument("--no-proxies", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    t_start = time.perf_counter()
    env = {"MODEL_PACK": args.pack, "MODEL_DIR": str(args.model_dir), "ORT_THREADS": str(args.threads),
           "EXECUTION_PROVIDER": args.provider, "STABLE_SHAPES": args.stable_shapes}  # as the service reads them
    modes = [m.strip() for m in args.algo_search.split(",") if m.strip()] if args.provider == "cuda" else ["heuristic"]
    if not args.no_proxies:
        ensure_proxy_pack(args.model_dir, args.proxies)
    log("CPU reference engine (default settings)")
    cpu = build(Settings.from_env({**env, "EXECUTION_PROVIDER": "cpu", "STABLE_SHAPES": "auto"}))
    results: dict[str, Any] = {"provider": args.provider, "pack": args.pack, "modes": {}}
    for mode in modes:
        settings = Settings.from_env({**env, "CUDNN_CONV_ALGO_SEARCH": mode})
        log(f"{args.provider} / {mode}: start-up")
        served = build(settings)
        rep = served.report
        entry: dict[str, object] = {
            "stable_shapes": "on" if settings.stable_shapes_on else "off",
            "startup": {"sessions_s": rep.detector_session_s + rep.recognizer_session_s, "warmup_s": rep.warmup_s,
                        "providers": rep.providers}}
        log(f"{args.provider} / {mode}: routes")
        entry["routes"] = routes(service_on(settings, served), args.repeats)  # first: the first calls after start-up are the point
        log(f"{args.provider} / {mode}: parity")
        entry["parity"] = parity(served, cpu, args.lfw)
        log(f"{args.provider} / {mode}: first call per shape")
        entry["shapes"] = shapes(settings, max(3, args.repeats // 4))
        if not args.no_proxies:
            log(f"{args.provider} / {mode}: buffalo_l proxies")
            entry["proxies"] = proxies(settings, served, max(3, args.repeats // 2))
        results["modes"][mode] = entry
    results["wall_s"] = time.perf_counter() - t_start
    out = save_results(results, "gpu", args.json)
    print_tables(results)
    print(f"\nwall {results['wall_s']:.0f} s; JSON: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
