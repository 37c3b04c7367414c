"""buffalo_l-scale timing proxies: the pack, engines built on it, and the replay of recorded model calls on it.

buffalo_l's weights cannot be downloaded on the development machine, so its two models are stood in for by
random-weight ONNX files with the same architectures, parameter counts, FLOPs and file sizes
(../shared/tools/make_timing_proxies.py). They are baked as the pack `buffalo_l-proxy`, whose manifest says
"timing_proxy": true: the service refuses it, and the benchmarks load it with allow_timing_proxy=True and only
ever time its sessions.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from bench.procs import log
from bench.sessions import Call, record
from function.config import REPO_ROOT, Settings
from function.engine import FaceEngine
from function.models.pack import load_pack

PROXY_PACK = "buffalo_l-proxy"
SC_PACK = "buffalo_sc"
DEFAULT_PROXIES = Path(os.environ.get("PROXY_DIR", "/tmp/proxies"))
PROXY_TOOL = (REPO_ROOT.parent / "shared" / "tools" / "make_timing_proxies.py").resolve()
PROXY_FILES = ("det_10g.onnx", "w600k_r50.onnx")


def ensure_proxy_pack(model_dir: Path, proxies: Path) -> None:
    """Bake the buffalo_l-proxy pack, building the proxy ONNX files first when they are absent and torch is at hand."""
    from function.models.bake import bake_timing_proxy, is_baked  # here: the cold-start child never needs it

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


def bench_settings(model_dir: Path, pack: str, threads: int, **overrides: Any) -> Settings:
    """The service's default settings (not the environment's) on `pack` with `threads` ONNX Runtime threads."""
    fields: dict[str, Any] = {"model_dir": model_dir, "model_pack": pack, "ort_threads": threads, **overrides}
    return Settings(**fields)


def load_engine(model_dir: Path, pack: str, threads: int, *, proxy: bool = False, coarse: bool = True,
                warmup: bool = True) -> FaceEngine:
    """An engine on `pack` with the service's default settings, `threads` ONNX Runtime threads, coarse-to-fine on
    or off (COARSE_DET_SIZE=0)."""
    settings = bench_settings(model_dir, pack, threads, **({} if coarse else {"coarse_det_size": 0}))
    return FaceEngine.from_pack(load_pack(model_dir, pack, allow_timing_proxy=proxy), settings.engine_config(),
                                warmup=warmup)


def recorded_pair(model_dir: Path, threads: int) -> tuple[FaceEngine, list[Call], ProxyReplayer]:
    """A buffalo_sc engine whose model calls are recorded into the returned list, and a replayer on the proxies."""
    calls: list[Call] = []
    sc = load_engine(model_dir, SC_PACK, threads)
    record(sc, calls)
    return sc, calls, ProxyReplayer(load_engine(model_dir, PROXY_PACK, threads, proxy=True))


class ProxyReplayer:
    """Runs model calls of given shapes on the proxy sessions (random inputs: dense convolutions cost the same)."""

    def __init__(self, engine: FaceEngine) -> None:
        self.sessions = {"det": engine.detector.session, "rec": engine.recognizer.session}
        self.inputs = {role: s.get_inputs()[0].name for role, s in self.sessions.items()}
        self._blobs: dict[tuple[int, ...], np.ndarray] = {}
        self._rng = np.random.default_rng(0)

    def blob(self, shape: tuple[int, ...]) -> np.ndarray:
        b = self._blobs.get(shape)
        if b is None:
            b = self._rng.standard_normal(shape).astype(np.float32)
            self._blobs[shape] = b
        return b

    def run(self, role: str, shape: tuple[int, ...]) -> float:
        """Seconds of one call of that shape on the proxy session."""
        session = self.sessions[role]
        t0 = time.perf_counter()
        session.run(None, {self.inputs[role]: self.blob(shape)})
        return time.perf_counter() - t0

    def replay(self, calls: Iterable[Call]) -> float:
        return sum(self.run(c.role, c.shape) for c in calls)
