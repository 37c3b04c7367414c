"""Engines the benches build beside the served one, and the model calls a request makes, recorded and replayed.

* The served engine comes from function.startup (load_engine, build_service), as in the server. `engine()` adds
  what only a bench needs: no warm-up, a timing-proxy pack; `variant()` is the same sessions under other settings.
* Recording: the engine's ONNX Runtime sessions are wrapped so that every run() is recorded, so the calls recorded
  are exactly the ones the service makes for a photo (detector canvas shapes, recognizer batches). They are then
  replayed on the bare sessions (`Floor`, the floor under `make bench`'s HTTP figures) or on the buffalo_l-scale
  timing proxies (`ProxyReplayer`: `make bench-scale`, `make bench-bulk`, bench/gpu.py).
* Timing proxies: buffalo_l's weights cannot be downloaded on the development machine, so its two models are stood
  in for by random-weight ONNX files with the same architectures, parameter counts, FLOPs and file sizes
  (../shared/tools/make_timing_proxies.py), baked as the pack `buffalo_l-proxy`, whose manifest says
  "timing_proxy": true: the service refuses it; the benches load it with allow_timing_proxy=True and only time it.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import log, med
from function.config import REPO_ROOT, Settings
from function.engine import EngineConfig, FaceEngine
from function.engine.detector import ScrfdDetector
from function.engine.recognizer import ArcFaceRecognizer
from function.imaging import decode_image
from function.models.pack import load_pack
from function.startup import build_service, load_engine
from tests.support.services import PACK

PROXY_PACK = "buffalo_l-proxy"
DEFAULT_PROXIES = Path(os.environ.get("PROXY_DIR", "/tmp/proxies"))
PROXY_TOOL = (REPO_ROOT.parent / "shared" / "tools" / "make_timing_proxies.py").resolve()
PROXY_FILES = ("det_10g.onnx", "w600k_r50.onnx")


# -- engines -------------------------------------------------------------------------------------------------------
def bench_settings(model_dir: Path, pack: str, threads: int, **overrides: Any) -> Settings:
    """The service's default settings (not the environment's) on `pack` with `threads` ONNX Runtime threads."""
    fields: dict[str, Any] = {"model_dir": model_dir, "model_pack": pack, "ort_threads": threads, **overrides}
    return Settings(**fields)


def engine(settings: Settings, pack: str, *, proxy: bool = False, warmup: bool = True) -> FaceEngine:
    """The engine the service would serve for `pack` under `settings` (function.startup.load_engine); a timing-proxy
    pack or no warm-up load it directly."""
    if not proxy and warmup:
        return load_engine(settings, pack)
    return FaceEngine.from_pack(load_pack(settings.model_dir, pack, allow_timing_proxy=proxy),
                                settings.engine_config(), warmup=warmup)


def variant(base: FaceEngine, **changes: Any) -> FaceEngine:
    """An engine on `base`'s sessions with its config changed (e.g. coarse_det_size=0, orientation_search=False)."""
    return FaceEngine(base.detector, base.recognizer, dataclasses.replace(base.config, **changes), base.pack,
                      base.report)


# -- recording -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Call:
    role: str  # "det" or "rec"
    session: Any  # the bare ONNX Runtime session
    output_names: Any
    feed: dict[str, Any] | None  # a copy of the inputs, when kept
    shape: tuple[int, ...]  # shape of the first input
    seconds: float

    def replay(self) -> Any:
        assert self.feed is not None, "recorded without keep_feeds"
        return self.session.run(self.output_names, self.feed)


class RecordingSession:
    """Forwards run() to an ONNX Runtime session and appends a Call for each; everything else passes through."""

    def __init__(self, session: Any, role: str, calls: list[Call], keep_feeds: bool = False) -> None:
        self._session = session
        self.role = role
        self.calls = calls
        self.keep_feeds = keep_feeds

    def run(self, output_names: Any, feed: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        shape = tuple(next(iter(feed.values())).shape)
        kept = {k: v.copy() for k, v in feed.items()} if self.keep_feeds else None  # outside the timed call
        t0 = time.perf_counter()
        out = self._session.run(output_names, feed, *args, **kwargs)
        self.calls.append(Call(self.role, self._session, output_names, kept, shape, time.perf_counter() - t0))
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


def record(engine: FaceEngine, calls: list[Call], keep_feeds: bool = False) -> tuple[Any, Any]:
    """Swap the engine's detector and recognizer sessions for recording ones; returns the bare (det, rec) sessions."""
    det, rec = engine.detector.session, engine.recognizer.session
    engine.detector.session = RecordingSession(det, "det", calls, keep_feeds)
    engine.recognizer.session = RecordingSession(rec, "rec", calls, keep_feeds)
    return det, rec


def recording_engine(engine: FaceEngine, calls: list[Call], config: EngineConfig | None = None) -> FaceEngine:
    """A new engine on the same real sessions, configured by `config` (default: the engine's own), whose model calls
    are recorded into `calls`; `engine` itself is left untouched."""
    cfg = config or engine.config
    det, rec = engine.detector, engine.recognizer
    detector = ScrfdDetector(RecordingSession(det.session, "det", calls), input_mean=det.input_mean,
                             input_std=det.input_std, score_threshold=cfg.det_score_threshold,
                             nms_threshold=cfg.nms_threshold, fit_canvas=cfg.fit_canvas)
    recognizer = ArcFaceRecognizer(RecordingSession(rec.session, "rec", calls), input_mean=rec.input_mean,
                                   input_std=rec.input_std, batch_buckets=cfg.recognizer_buckets)
    return FaceEngine(detector, recognizer, cfg, engine.pack, engine.report)


# -- buffalo_l-scale timing proxies --------------------------------------------------------------------------------
def ensure_proxy_pack(model_dir: Path, proxies: Path) -> None:
    """Bake the buffalo_l-proxy pack, building the proxy ONNX files first when they are absent and torch is at hand."""
    from function.models.bake import bake_timing_proxy, is_baked

    if is_baked(model_dir, PROXY_PACK):
        pack = load_pack(model_dir, PROXY_PACK, allow_timing_proxy=True)
        if pack.detector.path.is_file() and pack.recognizer.path.is_file():
            return
    if not all((proxies / f).is_file() for f in PROXY_FILES):
        python = Path(os.environ.get("PROXY_PYTHON", "/tmp/proxyvenv/bin/python"))
        if not python.is_file() or not PROXY_TOOL.is_file():
            log(f"no timing proxies in {proxies} and no Python with torch at {python}. Run first:\n"
                f"    python3 -m venv /tmp/proxyvenv && /tmp/proxyvenv/bin/pip install torch onnx\n"
                f"    /tmp/proxyvenv/bin/python {PROXY_TOOL} {proxies}")
            raise SystemExit(2)
        log(f"building timing proxies into {proxies} with {python}")
        subprocess.run([str(python), str(PROXY_TOOL), str(proxies)], check=True)
    bake_timing_proxy(proxies, model_dir, PROXY_PACK)


def recorded_pair(model_dir: Path, threads: int) -> tuple[FaceEngine, list[Call], ProxyReplayer]:
    """A buffalo_sc engine whose model calls are recorded into the returned list, and a replayer on the proxies."""
    calls: list[Call] = []
    sc = engine(bench_settings(model_dir, PACK, threads), PACK)
    record(sc, calls)
    proxy = engine(bench_settings(model_dir, PROXY_PACK, threads), PROXY_PACK, proxy=True)
    return sc, calls, ProxyReplayer(proxy)


class ProxyReplayer:
    """Runs model calls of given shapes on an engine's sessions (random inputs: dense convolutions cost the same)."""

    def __init__(self, engine: FaceEngine) -> None:
        self.sessions = {"det": engine.detector.session, "rec": engine.recognizer.session}
        self.inputs = {role: s.get_inputs()[0].name for role, s in self.sessions.items()}
        self._blobs: dict[tuple[int, ...], np.ndarray] = {}
        self._rng = np.random.default_rng(0)

    def run(self, role: str, shape: tuple[int, ...]) -> float:
        """Seconds of one call of that shape."""
        blob = self._blobs.get(shape)
        if blob is None:
            blob = self._blobs[shape] = self._rng.standard_normal(shape).astype(np.float32)
        t0 = time.perf_counter()
        self.sessions[role].run(None, {self.inputs[role]: blob})
        return time.perf_counter() - t0

    def replay(self, calls: Iterable[Call]) -> float:
        return sum(self.run(c.role, c.shape) for c in calls)


# -- the floor under make bench's HTTP figures ---------------------------------------------------------------------
def _replay(calls: list[Call]) -> None:
    for call in calls:
        call.replay()


class Floor:
    """The raw ONNX Runtime calls the service makes for each photo (captured from the served engine, replayed on the
    bare sessions), plus decode, and the classic 640x640 detector run + one recognizer run beside them; and the use
    case itself in this process (FaceService from build_service, no HTTP). sample() is called once per warm round,
    between the HTTP calls, so the floor sees the same machine load as the servers; wall and CPU (this process, all
    threads) are both kept."""

    def __init__(self, photos: dict[str, Path]) -> None:
        settings = Settings.from_env({**os.environ, "MODEL_PACK": PACK})
        self.threads = settings.threads
        recorded = engine(settings, PACK)
        limits = settings.decode_limits()
        calls: list[Call] = []
        det_s, rec_s = record(recorded, calls, keep_feeds=True)
        classic = {recorded.detector.input_name:
                   np.random.default_rng(0).standard_normal((1, 3, 640, 640)).astype(np.float32)}
        rec_blob = {recorded.recognizer.input_name:
                    np.random.default_rng(1).standard_normal((1, 3, 112, 112)).astype(np.float32)}
        self.probes: dict[str, Callable[[], Any]] = {"det640": lambda: det_s.run(None, classic),
                                                     "rec1": lambda: rec_s.run(None, rec_blob)}
        self.calls: dict[str, list[tuple[int, ...]]] = {}
        service = build_service(settings, engine(settings, PACK), PACK)
        for key, path in photos.items():
            data = path.read_bytes()
            decoded = decode_image(data, limits)
            calls.clear()
            faces = recorded.detect(decoded.pixels, purpose="one" if key != "players22" else "all")
            recorded.embed(decoded.pixels, faces[:1])
            extract = list(calls)
            calls.clear()
            recorded.detect(decoded.pixels, purpose="all")
            detect = list(calls)
            self.calls[key] = [c.shape for c in extract]
            self.probes[f"{key} decode"] = partial(decode_image, data, limits)
            self.probes[f"{key} extract"] = partial(_replay, extract)
            self.probes[f"{key} detect"] = partial(_replay, detect)
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
