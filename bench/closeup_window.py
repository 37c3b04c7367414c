"""CLOSEUP_WINDOW: how many LFW crops still match insightface on the padded photo (box IoU >= 0.95, cosine >= 0.99,
the parity test's rule, tests/engine/test_parity_insightface.py) when the close-up pass sees a window of its canvas,
and the detector CPU time that pass costs. FACES_DIR's LFW; the parity test's own sample by default (seed 7, 200).

    python -m bench.closeup_window [--windows 1.0 0.9 0.8] [--seed 7] [--n 200]
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import time

import cv2
import numpy as np

from bench.procs import log, machine
from bench.seed_reference import load_face_analysis, make_pack_dir
from function.config import Settings
from function.engine import FaceEngine
from function.models import load_pack, resolve_pack_name
from tests.support import iou, read
from tests.support.photos import MISSING_FACES_DIR, faces_dir


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--windows", type=float, nargs="+", default=[1.0, 0.9, 0.8])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()
    faces = faces_dir()
    if faces is None:
        raise SystemExit(MISSING_FACES_DIR)
    settings = Settings.from_env()
    pack = resolve_pack_name(settings.model_dir, settings.model_pack)
    base = FaceEngine.from_pack(load_pack(settings.model_dir, pack), settings.engine_config())
    engines = {w: FaceEngine(base.detector, base.recognizer, dataclasses.replace(base.config, closeup_window=w))
               for w in args.windows}
    reference = load_face_analysis(make_pack_dir(), allowed_modules=["detection", "recognition"])
    sample = random.Random(args.seed).sample(faces.lfw_images, min(args.n, len(faces.lfw_images)))
    for engine in engines.values():  # each canvas once before timing (its first run sets up the shape)
        engine.passes.closeups(read(sample[0]))
    ok = dict.fromkeys(args.windows, 0)
    cpu = dict.fromkeys(args.windows, 0.0)
    for path in sample:
        raw = read(path)
        pad = max(raw.shape[:2]) // 2
        ref = reference.get(cv2.copyMakeBorder(raw, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(0, 0, 0)))
        for w, engine in engines.items():
            t0 = time.process_time()
            ours = engine.passes.closeups(raw)
            cpu[w] += time.process_time() - t0
            if not ref or not ours:
                continue
            vectors = engine.embed(raw, ours)
            good = True
            for r in ref:
                ious = [iou(r.bbox, o.box + pad) for o in ours]
                j = int(np.argmax(ious))
                good &= ious[j] >= 0.95 and float(r.normed_embedding @ vectors[j]) >= 0.99
            ok[w] += good
    log(machine())
    print(f"LFW crops (seed {args.seed}): {len(sample)}")
    print("| CLOSEUP_WINDOW | canvas of a 250x250 crop | match insightface | close-up pass CPU ms |")
    print("|---|---|---|---|")
    for w in args.windows:
        side = settings.det_size - 2 * round(settings.det_size * (1 - w) / 2 / 32) * 32
        print(f"| {w} | {side} | {ok[w]} of {len(sample)} | {1000 * cpu[w] / len(sample):.1f} |")


if __name__ == "__main__":
    main()
