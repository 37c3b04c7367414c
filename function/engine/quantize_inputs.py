"""Calibration inputs for static int8 quantization (function/models/quantize.py): per role, the inputs the engine
feeds that model, made by the pack's own fp32 models from photos. On the engine's side because it runs inference;
the quantizer receives plain arrays."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from function.engine.aligner import align_face
from function.engine.config import EngineConfig
from function.engine.engine import FaceEngine
from function.models.pack import ModelPack


def calibration_inputs(pack: ModelPack, photos: Sequence[Path]) -> dict[str, list[np.ndarray]]:
    """Per role, the model inputs the service would feed: detector blobs at the full and the coarse pass's sizes,
    and one blob per aligned face (and its mirror image) that the pack's fp32 models find. A timing-proxy pack
    (random weights: its "detections" are noise, and NMS over thousands of them is slow) gets centre crops instead,
    which is enough to set ranges for a model that is only ever timed."""
    config = EngineConfig(threads=os.cpu_count() or 1)
    engine = FaceEngine.from_pack(pack, config, warmup=False)
    det, rec = engine.detector, engine.recognizer
    sizes = [s for s in (config.det_size, config.coarse_det_size) if s]
    out: dict[str, list[np.ndarray]] = {"detector": [], "recognizer": []}
    for path in photos:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            continue
        out["detector"] += [det._blob(image, size)[0] for size in sizes]
        faces = [] if pack.timing_proxy else engine.detect(image, purpose="all")
        crops = [align_face(image, f.landmarks, rec.input_size) for f in faces]
        if not crops:
            side = min(image.shape[:2])
            top, left = (image.shape[0] - side) // 2, (image.shape[1] - side) // 2
            crops = [cv2.resize(image[top:top + side, left:left + side], (rec.input_size, rec.input_size))]
        out["recognizer"] += [rec.blob([crop]) for crop in crops + [cv2.flip(c, 1) for c in crops]]
    return out
