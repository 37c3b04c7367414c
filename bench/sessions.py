"""The model calls a request makes: ONNX Runtime sessions wrapped so that every run() is recorded.

The pipeline stays the library's (function/engine/): only the engine's two sessions are swapped for recording
wrappers, so the calls recorded are exactly the ones the service makes for a photo (detector canvas shapes,
recognizer batches). The bench scripts then replay them: on the bare sessions (the floor, bench/floor.py) or on
the buffalo_l-scale timing proxies (bench/proxies.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from function.engine import EngineConfig, FaceEngine
from function.engine.detector import ScrfdDetector
from function.engine.recognizer import ArcFaceRecognizer


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
