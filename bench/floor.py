"""The floor under our HTTP figures: the raw ONNX Runtime calls our pipeline makes for each photo, plus decode.

The calls are captured from a real engine with the served settings (bench/sessions.py) and replayed on the bare
sessions; the classic 640x640 detector run + one recognizer run is timed beside them. sample() is called once per
warm round, between the HTTP calls, so the floor sees the same machine load as the servers; wall and CPU (this
process, all threads) are both kept.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from bench.client import PACK
from bench.sessions import Call, record
from bench.stats import med
from function.config import Settings
from function.engine import FaceEngine
from function.imaging import decode_image
from function.models import load_pack
from function.service import FaceService


def _replay(calls: list[Call]) -> None:
    for call in calls:
        call.replay()


class Floor:
    def __init__(self, photos: dict[str, Path]) -> None:
        settings = Settings.from_env({**os.environ, "MODEL_PACK": PACK})
        self.threads = settings.threads
        engine = FaceEngine.from_pack(load_pack(settings.model_dir, PACK), settings.engine_config())
        limits = settings.decode_limits()
        calls: list[Call] = []
        det_s, rec_s = record(engine, calls, keep_feeds=True)
        classic = {engine.detector.input_name:
                   np.random.default_rng(0).standard_normal((1, 3, 640, 640)).astype(np.float32)}
        rec_blob = {engine.recognizer.input_name:
                    np.random.default_rng(1).standard_normal((1, 3, 112, 112)).astype(np.float32)}
        self.probes: dict[str, Callable[[], Any]] = {"det640": lambda: det_s.run(None, classic),
                                                     "rec1": lambda: rec_s.run(None, rec_blob)}
        self.calls: dict[str, list[tuple[int, ...]]] = {}
        service = FaceService(FaceEngine.from_pack(load_pack(settings.model_dir, PACK), settings.engine_config()),
                              limits, settings.threshold_for(PACK), settings.quality_thresholds(),
                              settings.answer_limits())
        for key, path in photos.items():
            data = path.read_bytes()
            decoded = decode_image(data, limits)
            calls.clear()
            faces = engine.detect(decoded.pixels, purpose="one" if key != "players22" else "all")
            engine.embed(decoded.pixels, faces[:1])
            extract = list(calls)
            calls.clear()
            engine.detect(decoded.pixels, purpose="all")
            detect = list(calls)
            self.calls[key] = [c.shape for c in extract]
            self.probes[f"{key} decode"] = partial(decode_image, data, limits)
            self.probes[f"{key} extract"] = partial(_replay, extract)
            self.probes[f"{key} detect"] = partial(_replay, detect)
            # The whole use case in this process, back to back with the floor's runs: FaceService on its own engine
            # (the recorded one keeps every call it makes), no HTTP
            choice = "largest" if key == "players22" else "single"
            self.probes[f"{key} service extract"] = partial(service.extract, data, choice)  # type: ignore[arg-type]
            self.probes[f"{key} service detect"] = partial(service.detect, data)
        for fn in self.probes.values():
            fn()
        self.wall: dict[str, list[float]] = {k: [] for k in self.probes}
        self.cpu: dict[str, list[float]] = {k: [] for k in self.probes}

    def sample(self) -> None:
        for key, fn in self.probes.items():
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            self.wall[key].append(time.perf_counter() - t0)
            self.cpu[key].append(time.process_time() - c0)

    def result(self) -> dict[str, Any]:
        w = {k: 1e3 * med(v) for k, v in self.wall.items()}
        c = {k: 1e3 * float(np.mean(v)) for k, v in self.cpu.items()}
        photos = {key: {"decode_ms": w[f"{key} decode"], "extract_floor_ms": w[f"{key} extract"],
                        "service_extract_ms": w[f"{key} service extract"],
                        "service_detect_ms": w[f"{key} service detect"],
                        "detect_floor_ms": w[f"{key} detect"], "decode_cpu_ms": c[f"{key} decode"],
                        "extract_floor_cpu_ms": c[f"{key} extract"], "detect_floor_cpu_ms": c[f"{key} detect"],
                        "extract_calls": calls} for key, calls in self.calls.items()}
        return {"det640_ms": w["det640"], "rec1_ms": w["rec1"], "det640_cpu_ms": c["det640"],
                "rec1_cpu_ms": c["rec1"], "photos": photos, "threads": self.threads,
                "samples": len(self.wall["rec1"])}
