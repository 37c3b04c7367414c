"""Settings -> a loaded FaceEngine, with no HTTP import: usable by the app, the entry points and the scripts.

`EngineLoader` starts the load on a background thread so that a server can import its web stack meanwhile: reading
and hashing the pack, building the ONNX Runtime sessions and the warm-up runs mostly release the GIL, so on two
cores they overlap the FastAPI/pydantic imports (~0.3 s of CPU) instead of following them.
"""

from __future__ import annotations

import logging
import threading
import time

from function.config import Settings
from function.engine import EngineConfig, FaceEngine
from function.engine.quality import QualityThresholds
from function.errors import PackError
from function.models import load_pack, resolve_pack_name
from function.runtime import limit_heap_retention

log = logging.getLogger("function")


def engine_config(settings: Settings) -> EngineConfig:
    return EngineConfig(threads=settings.threads, execution_provider=settings.execution_provider,
                        det_size=settings.det_size, det_score_threshold=settings.det_score_threshold,
                        nms_threshold=settings.nms_threshold, coarse_det_size=settings.coarse_det_size,
                        coarse_min_score=settings.coarse_min_score,
                        coarse_edge_margin=settings.coarse_edge_margin,
                        coarse_min_face_fraction=settings.coarse_min_face_fraction,
                        closeup_fallback=settings.closeup_fallback,
                        closeup_min_face_fraction=settings.closeup_min_face_fraction,
                        closeup_redetect_fraction=settings.closeup_redetect_fraction,
                        max_concurrent_runs=settings.max_concurrent_runs)


def quality_thresholds(settings: Settings) -> QualityThresholds:
    return QualityThresholds(min_face_size=settings.quality_min_face_size, min_sharpness=settings.quality_min_sharpness,
                             min_brightness=settings.quality_min_brightness,
                             max_brightness=settings.quality_max_brightness, max_yaw=settings.quality_max_yaw,
                             max_pitch=settings.quality_max_pitch, max_roll=settings.quality_max_roll)


def load_engine(settings: Settings, pack_name: str) -> FaceEngine:
    limit_heap_retention()
    t0 = time.perf_counter()
    engine = FaceEngine.from_pack(load_pack(settings.model_dir, pack_name), engine_config(settings))
    r = engine.report
    log.info("model pack %s loaded in %.2fs (read+verify %.2fs, detector %.2fs, recognizer %.2fs, warm-up %.2fs) "
             "on %s with %d threads", pack_name, time.perf_counter() - t0, r.read_verify_s, r.detector_session_s,
             r.recognizer_session_s, r.warmup_s, ",".join(r.providers), settings.threads)
    return engine


class EngineLoader:
    """load_engine() on a daemon thread, started at construction; result() waits for it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.pack_name = resolve_pack_name(settings.model_dir, settings.model_pack)
        self._engine: FaceEngine | None = None
        self._error: PackError | None = None
        self._thread = threading.Thread(target=self._run, name="engine-loader", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._engine = load_engine(self.settings, self.pack_name)
        except PackError as exc:
            self._error = exc

    def result(self) -> FaceEngine:
        """The engine; raises the PackError that stopped it."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._engine is not None
        return self._engine
