"""INT8 vs FP32 on CPU: model sizes, per-model latency at 1 thread, and how far int8 answers move from fp32.

    python -m bench.int8 [--pack buffalo_sc] [--proxy-pack buffalo_l-proxy] [--threads 1] [--runs 30]
                         [--lfw-sample 300] [--json PATH]

The packs must hold int8 variants (python -m function.models quantize NAME [--roles recognizer,detector]).
Latency: each model alone on its session, the same inputs as the service feeds (players.jpg canvases, aligned
crops), median and spread of --runs runs after one untimed run. Agreement: on --lfw-sample LFW crops and the group/
noface photos, fp32 detection feeds both recognizers (cosine of the int8 embedding to the fp32 one), and the int8
detector's faces are matched to the fp32 detector's (count, box IoU). LFW verification accuracy is `make accuracy`
with MODEL_PRECISION=int8 (docs/int8.md); timing-proxy packs (random weights) get latency only.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from bench.save import save_results
from function.config import DEFAULT_MODEL_DIR
from function.engine import EngineConfig, FaceEngine
from function.engine.aligner import align_face
from function.imaging import decode_image
from function.models import load_pack
from function.models.pack import ModelPack
from tests.support import iou
from tests.support.photos import DATA, faces_dir, wheel_photo

DET_SIZES = (640, 320)
REC_BATCHES = (1, 8)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _stats(times: list[float]) -> dict[str, float]:
    times = sorted(times)
    return {"median_ms": statistics.median(times), "p10_ms": times[len(times) // 10],
            "p90_ms": times[(len(times) * 9) // 10], "runs": len(times)}


def timed_pair(calls: Mapping[str, Callable[[], object]], runs: int) -> dict[str, dict[str, float]]:
    """Each call once untimed, then `runs` rounds of all calls in turn: a load change on the (shared) machine hits
    fp32 and int8 alike."""
    times: dict[str, list[float]] = {k: [] for k in calls}
    for fn in calls.values():
        fn()
    for _ in range(runs):
        for key, fn in calls.items():
            t0 = time.perf_counter()
            fn()
            times[key].append((time.perf_counter() - t0) * 1e3)
    return {k: _stats(v) for k, v in times.items()}


def engines(model_dir: Path, name: str, threads: int, proxy: bool) -> dict[str, FaceEngine]:
    cfg = EngineConfig(threads=threads)
    return {p: FaceEngine.from_pack(load_pack(model_dir, name, allow_timing_proxy=proxy, precision=p), cfg,
                                    warmup=False) for p in ("fp32", "int8")}


def sizes(pack: ModelPack) -> dict[str, dict[str, object]]:
    return {role: {"file": getattr(pack, role).path.name, "mb": round(getattr(pack, role).size / 1e6, 2),
                   "precision": getattr(pack, role).precision} for role in ("detector", "recognizer")}


def latency(pair: dict[str, FaceEngine], runs: int, proxy: bool) -> dict[str, dict[str, dict[str, float]]]:
    """precision -> "model, input" -> stats."""
    image = decode_image(wheel_photo("players.jpg").read_bytes()).pixels
    fp32 = pair["fp32"]
    if proxy:
        crops = [np.random.default_rng(i).integers(0, 255, (112, 112, 3), dtype=np.uint8) for i in range(8)]
    else:
        crops = [align_face(image, f.landmarks, fp32.recognizer.input_size) for f in fp32.detect(image)][:8]
    out: dict[str, dict[str, dict[str, float]]] = {p: {} for p in pair}
    for size in DET_SIZES:
        blob = fp32.detector._blob(image, size)[0]
        what = f"det {blob.shape[3]}x{blob.shape[2]}"
        calls = {p: (lambda d=e.detector, b=blob: d.session.run(d.output_names, {d.input_name: b}))
                 for p, e in pair.items()}
        for p, stats in timed_pair(calls, runs).items():
            out[p][what] = stats
    for n in REC_BATCHES:
        calls = {p: (lambda r=e.recognizer, c=crops[:n]: r.embed(c)) for p, e in pair.items()}
        for p, stats in timed_pair(calls, runs).items():
            out[p][f"rec batch {n}"] = stats
    return out


def agreement(fp32: FaceEngine, int8: FaceEngine, lfw_sample: int) -> dict[str, object]:
    images = (faces_dir() or DATA).lfw_images  # the LFW-scale set when present, else the repository's few crops
    images = random.Random(13).sample(images, min(lfw_sample, len(images)))
    images += DATA.group_photos + DATA.noface_photos
    cosines, ious, count_diff, faces_fp32 = [], [], 0, 0
    for path in images:
        image = decode_image(path.read_bytes()).pixels
        faces = fp32.detect(image, purpose="all")
        faces8 = int8.detect(image, purpose="all")
        faces_fp32 += len(faces)
        count_diff += len(faces) != len(faces8)
        for f in faces:
            if faces8:
                ious.append(max(iou(f.box, g.box) for g in faces8))
        if faces:
            cosines += list(np.sum(fp32.embed(image, faces) * int8.embed(image, faces), axis=1))
    cos = np.array(cosines, dtype=np.float64)
    box_iou = np.array(ious or [1.0], dtype=np.float64)
    return {"images": len(images), "faces_fp32": faces_fp32, "images_with_other_count": count_diff,
            "embedding_cosine": {"min": float(cos.min()), "p1": float(np.percentile(cos, 1)),
                                 "median": float(np.median(cos)), "n": int(cos.size)},
            "best_box_iou": {"min": float(box_iou.min()), "p1": float(np.percentile(box_iou, 1)),
                             "median": float(np.median(box_iou))}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--pack", default="buffalo_sc")
    parser.add_argument("--proxy-pack", default="", help="a timing-proxy pack with int8 variants (latency only)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--lfw-sample", type=int, default=300)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    results: dict[str, object] = {"threads": args.threads}
    rows: list[tuple[str, str, dict[str, float], dict[str, float]]] = []
    for name, proxy in [(args.pack, False)] + ([(args.proxy_pack, True)] if args.proxy_pack else []):
        log(f"{name}: sessions at {args.threads} thread(s)")
        pair = engines(args.model_dir, name, args.threads, proxy)
        entry: dict[str, object] = {"sizes": {p: sizes(e.pack) for p, e in pair.items() if e.pack}}
        lat = latency(pair, args.runs, proxy)
        entry["latency"] = lat
        rows += [(name, k, lat["fp32"][k], lat["int8"][k]) for k in lat["fp32"]]
        if not proxy:
            log(f"{name}: agreement on {args.lfw_sample} LFW crops + group/ + noface/")
            entry["agreement"] = agreement(pair["fp32"], pair["int8"], args.lfw_sample)
        results[name] = entry
    out = save_results(results, "int8", args.json)
    print("\n| pack | model, input | fp32 median (p10-p90) ms | int8 median (p10-p90) ms | int8/fp32 |\n|---|---|---|---|---|")
    for name, what, a, b in rows:
        print(f"| {name} | {what} | {a['median_ms']:.2f} ({a['p10_ms']:.2f}-{a['p90_ms']:.2f}) | "
              f"{b['median_ms']:.2f} ({b['p10_ms']:.2f}-{b['p90_ms']:.2f}) | {b['median_ms'] / a['median_ms']:.2f} |")
    for name in (args.pack, args.proxy_pack):
        found = results.get(name)
        if isinstance(found, dict):
            print(f"{name} sizes: {found['sizes']}")
            if "agreement" in found:
                print(f"{name} agreement: {found['agreement']}")
    log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
