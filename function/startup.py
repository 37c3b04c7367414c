"""Start-up, in one place: process guards, then settings -> a verified model pack -> a loaded FaceEngine.

Every entry point goes through here: `python -m function` (uvicorn), `python -m function.entry` (the image) and the
Lambda handler (function/lambda_handler.py, through create_app). No HTTP import.

* `apply_process_guards()` runs from function/__init__.py, i.e. before any module of the service can import OpenCV
  or ONNX Runtime: OpenCV reads its pixel guard and ONNX Runtime its telemetry switch when they are imported.
* `load_engine()` refuses a pack without a spec (function/models/specs.py), then reads and verifies the pack, builds
  the sessions and warms the detector up. Whatever stops it (an undeclared, missing or corrupt pack, a graph ONNX
  Runtime rejects, a file that is not an SCRFD graph) comes out as one `StartupError` whose message names the pack
  and the cause, with the original exception kept as `__cause__`.
* `EngineLoader` starts that load on a background thread so that a server can import its web stack meanwhile:
  reading and hashing the pack, building the ONNX Runtime sessions and the warm-up runs mostly release the GIL, so
  on two cores they overlap the FastAPI/pydantic imports (~0.3 s of CPU) instead of following them.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import threading
import time
from typing import TYPE_CHECKING

from function.errors import StartupError

if TYPE_CHECKING:
    from function.config import Settings
    from function.engine import FaceEngine
    from function.service import FaceService

log = logging.getLogger("function")

# Set before OpenCV / ONNX Runtime are imported (the operator's own values win):
PROCESS_ENV = {
    # ONNX Runtime's telemetry writes a device id and an event database under ~/.cache at the first session: a
    # write outside /tmp (read-only on Lambda) and a record nobody asked for.
    "ORT_DISABLE_TELEMETRY": "1",
    # OpenCV's own decompression-bomb guard (2^27 = 134 M pixels), a backstop behind the header check that refuses
    # anything over MAX_IMAGE_PIXELS before decoding (function/imaging/).
    "OPENCV_IO_MAX_IMAGE_PIXELS": str(1 << 27),
}

# glibc's malloc raises its mmap threshold dynamically after the first large free (up to 32 MB), after which every
# large temporary (decoded image, detector blob, activations) is carved from per-thread heaps that keep the freed
# memory: with requests arriving on many threads, RSS climbs by tens of MB per thread and never comes back. A fixed
# threshold sends every allocation above it to mmap, returned to the OS on free. Measured on buffalo_sc with 8
# concurrent requests: peak RSS 379 MB -> 220 MB (measured with the ONNX Runtime arena off; it is on now,
# function/engine/sessions.py, which keeps the models' activations out of malloc's way).
M_MMAP_THRESHOLD = -3  # glibc malloc.h
MMAP_THRESHOLD_BYTES = 256 * 1024
_heap_done = False


def apply_process_guards() -> None:
    for name, value in PROCESS_ENV.items():
        os.environ.setdefault(name, value)


def limit_heap_retention() -> bool:
    """Fix glibc's mmap threshold (no-op elsewhere, or when MALLOC_MMAP_THRESHOLD_ is set by the operator)."""
    global _heap_done
    if _heap_done or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    _heap_done = True
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False  # not glibc (macOS, musl): nothing to tune
    ok = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
    log.debug("malloc mmap threshold fixed at %d bytes: %s", MMAP_THRESHOLD_BYTES, ok)
    return ok


def load_engine(settings: Settings, pack_name: str) -> FaceEngine:
    """The served engine for `pack_name`; raises StartupError (cause kept) when it cannot be loaded."""
    from function.engine import FaceEngine
    from function.models import load_pack, pack_spec

    pack_spec(pack_name)  # PackError for a pack the service has no declaration of: its threshold would be a guess
    limit_heap_retention()
    precision = settings.served_precision
    if precision != settings.model_precision:
        log.warning("MODEL_PRECISION=%s asked, serving %s: this x86 CPU has no VNNI, and ONNX Runtime's int8 kernels "
                    "saturate without it (embeddings drift; docs/int8.md)", settings.model_precision, precision)
    t0 = time.perf_counter()
    try:
        engine = FaceEngine.from_pack(load_pack(settings.model_dir, pack_name, precision=precision),
                                      settings.engine_config())
    except StartupError:
        raise
    except Exception as exc:  # ONNX Runtime, a malformed graph, an unreadable file: all stop start-up alike
        raise StartupError(f"model pack {pack_name!r} could not be loaded: {type(exc).__name__}: {exc}") from exc
    r = engine.report
    log.info("model pack %s loaded in %.2fs (read+verify %.2fs, detector %.2fs, recognizer %.2fs, warm-up %.2fs) "
             "on %s with %d threads (%s)", pack_name, time.perf_counter() - t0, r.read_verify_s,
             r.detector_session_s, r.recognizer_session_s, r.warmup_s, ",".join(r.providers), settings.threads,
             ", ".join(f"{d['role']} {d['precision']}" for d in engine.pack.describe()) if engine.pack else "")
    return engine


def build_service(settings: Settings, engine: FaceEngine, pack_name: str) -> FaceService:
    """The use cases on a loaded engine, with the settings' limits, quality thresholds and the pack's threshold
    (the API app and the batch jobs build theirs here). PackError for a pack without a spec."""
    from function.models.calibration import load_calibration
    from function.service import FaceService

    if engine.pack is not None:
        pack_name = engine.pack.name
    threshold = settings.threshold_choice(pack_name)
    return FaceService(engine, settings.decode_limits(), threshold.value,
                       settings.quality_thresholds(), settings.answer_limits(),
                       calibration=load_calibration(pack_name, engine.pack.recognizer.precision if engine.pack
                                                    else settings.served_precision),
                       search_fpir=settings.search_fpir, threshold_source=threshold)


class EngineLoader:
    """load_engine() on a daemon thread, started at construction; result() waits for it."""

    def __init__(self, settings: Settings) -> None:
        from function.models import resolve_pack_name

        self.settings = settings
        self.pack_name = resolve_pack_name(settings.model_dir, settings.model_pack)
        self._engine: FaceEngine | None = None
        self._error: StartupError | None = None
        self._thread = threading.Thread(target=self._run, name="engine-loader", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._engine = load_engine(self.settings, self.pack_name)
        except StartupError as exc:
            self._error = exc

    def result(self) -> FaceEngine:
        """The engine; raises the StartupError that stopped it."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        if self._engine is None:  # the thread died of something that is not an Exception (e.g. SystemExit)
            raise StartupError(f"model pack {self.pack_name!r}: the loader stopped without an engine")
        return self._engine
