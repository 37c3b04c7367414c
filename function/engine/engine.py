"""FaceEngine: reads faces from pixels with the pack's detector and recognizer on ONNX Runtime. Knows nothing of HTTP.

One entry point per image, inside one hold of the engine's gate:

    with engine.slot(deadline, stage=span) as run:      # the gate, waited for no longer than the deadline allows
        reading = run.read(pixels, "one", select=..., embed="usable", quality=thresholds)

read() detects (DetectorPasses: coarse, full and close-up passes; OrientationSearch: which way up), lets the caller
choose among the faces found (`select`: the service's face choice and answer limits), aligns each chosen face once
to the ArcFace template, measures its quality and pose on that crop, and embeds as asked, within the deadline.

From a script, the same models one call at a time (each takes the gate for its own run):

    engine = FaceEngine.from_pack(load_pack(Path("model_cache"), "buffalo_sc"), EngineConfig())
    faces = engine.detect(bgr_pixels)
    vectors = engine.embed(bgr_pixels, faces)
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Literal

import cv2
import numpy as np

from function.deadline import Deadline
from function.engine.aligner import ARCFACE_SIZE, align_faces
from function.engine.config import EngineConfig, QualityThresholds
from function.engine.detector import ScrfdDetector
from function.engine.gate import RunGate
from function.engine.passes import DetectorPasses, DetectPass, Purpose
from function.engine.quality import Quality, assess_aligned
from function.engine.recognizer import ArcFaceRecognizer
from function.engine.sessions import SessionConfig, create_session
from function.engine.types import Face
from function.engine.upright import OrientationSearch, OrientationTrace
from function.errors import DeadlineExceeded
from function.models.pack import ModelPack

__all__ = ["DetectPass", "EngineRun", "Face", "FaceEngine", "FaceRead", "LoadReport", "OrientationTrace", "Purpose",
           "Reading", "choose_face", "ensure_bgr"]

# What read() embeds: nothing; the chosen faces that are usable by the quality thresholds; every chosen face, the
# largest first, in recognizer runs of recognizer_batch as the deadline allows (the largest is always embedded).
Embed = Literal["none", "usable", "all"]
# The caller's choice among the faces found (detection order) in an image of this shape: the faces to read on.
Select = Callable[[list[Face], tuple[int, ...]], list[Face]]
Stage = Callable[[str], AbstractContextManager[object]]


@dataclass(frozen=True)
class FaceRead:
    """One chosen face: where it is (the pixels read), its quality and pose, its embedding (None when not asked)."""

    face: Face
    quality: Quality
    embedding: np.ndarray | None = None


@dataclass(frozen=True)
class Reading:
    """What read() found in one image: every face detected, and the chosen ones read in detection order (under
    embed="all", those the deadline left time to embed)."""

    found: list[Face]
    faces: list[FaceRead]


@dataclass
class LoadReport:
    """Where start-up time went, in seconds."""

    read_verify_s: float = 0.0
    detector_session_s: float = 0.0
    recognizer_session_s: float = 0.0
    warmup_s: float = 0.0
    load_wall_s: float = 0.0  # read + verify + both sessions
    providers: list[str] = field(default_factory=list)


class FaceEngine:
    def __init__(self, detector: ScrfdDetector, recognizer: ArcFaceRecognizer, config: EngineConfig,
                 pack: ModelPack | None = None, report: LoadReport | None = None) -> None:
        self.detector = detector
        self.recognizer = recognizer
        self.config = config
        self.pack = pack
        self.report = report or LoadReport()
        self.passes = DetectorPasses(detector, config)
        self.upright = OrientationSearch(self.passes, config)
        # ONNX Runtime sessions are thread-safe, but every concurrent run allocates its own activations (in the
        # session's arena, which never shrinks) and oversubscribes the cores: past a few requests in flight,
        # memory grows by ~25 MB per extra detector run and throughput drops. Work beyond the limit queues here,
        # taken once per request by slot() (the service decodes inside it too: decoded pixels count in the bound).
        self.gate = RunGate(config.max_concurrent_runs or config.threads)

    @classmethod
    def from_pack(cls, pack: ModelPack, config: EngineConfig, *, warmup: bool = True) -> FaceEngine:
        """Verify the pack's files, build both sessions and (by default) warm the detector up (see warmup()).

        The steps run one after the other: overlapping the recognizer's session creation with its sha256 check
        and the detector's session (both release the GIL) was measured slower on 2 vCPUs (0.86 s vs 0.77 s wall,
        bench/scale.py), and a Lambda at 1,769 MB has one vCPU of credit to overlap on."""
        report = LoadReport()
        sess_cfg = SessionConfig(threads=config.threads, execution_provider=config.execution_provider,
                                 cudnn_conv_algo_search=config.cudnn_conv_algo_search)
        t0 = time.perf_counter()
        det_bytes = pack.detector.read_verified()
        t1 = time.perf_counter()
        det_session = create_session(det_bytes, sess_cfg)
        del det_bytes
        t2 = time.perf_counter()
        rec_bytes = pack.recognizer.read_verified()
        t3 = time.perf_counter()
        rec_session = create_session(rec_bytes, sess_cfg)
        del rec_bytes
        t4 = time.perf_counter()
        report.read_verify_s = (t1 - t0) + (t3 - t2)
        report.detector_session_s = t2 - t1
        report.recognizer_session_s = t4 - t3
        report.load_wall_s = t4 - t0
        report.providers = list(det_session.get_providers())
        detector = ScrfdDetector(det_session, input_mean=pack.detector.input_mean, input_std=pack.detector.input_std,
                                 score_threshold=config.det_score_threshold, nms_threshold=config.nms_threshold,
                                 fit_canvas=config.fit_canvas)
        recognizer = ArcFaceRecognizer(rec_session, input_mean=pack.recognizer.input_mean,
                                       input_std=pack.recognizer.input_std, batch_buckets=config.recognizer_buckets)
        engine = cls(detector, recognizer, config, pack, report)
        if warmup:
            t5 = time.perf_counter()
            engine.warmup()
            report.warmup_s = time.perf_counter() - t5
        return engine

    def warmup(self) -> None:
        """Run the detector once at its smallest canvas: starts ONNX Runtime's thread pool and proves the graph runs.
        A full-size warm-up (640 + 320 detector, one recognizer batch) cost ~0.3 s of init at buffalo_l scale and
        bought nothing: the first real request's model calls measure the same as warm ones without it
        (bench/scale.py, "first request's model calls" vs "same calls, warm").
        With warm_all_shapes (stable shapes on CUDA) it runs every shape the engine will feed instead: both
        detector canvases and every recognizer bucket, so that no request pays a shape's first-call cost."""
        if not self.config.warm_all_shapes:
            self.detector.detect(np.zeros((32, 32, 3), dtype=np.uint8), 32)
            return
        for size in self.canvas_sizes():
            self.detector.detect(np.zeros((size, size, 3), dtype=np.uint8), size)
        crop = np.zeros((self.recognizer.input_size, self.recognizer.input_size, 3), dtype=np.uint8)
        for n in self.recognizer.batch_buckets:
            self.recognizer.embed([crop] * n)

    def canvas_sizes(self) -> list[int]:
        """The detector sizes this engine runs: the full pass (and the close-up pass), the coarse pass (and the
        orientation glance), and the orientation check's crop."""
        cfg = self.config
        coarse = [cfg.coarse_det_size] if 0 < cfg.coarse_det_size < cfg.det_size else []
        check = [cfg.orientation_check_size] if cfg.orientation_search else []
        return list(dict.fromkeys([cfg.det_size, *coarse, *check]))


    # -- one request ----------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def slot(self, deadline: Deadline | None = None, stage: Stage | None = None) -> Iterator[EngineRun]:
        """Hold a slot of the gate for one request's work, waiting no longer than the deadline allows."""
        deadline = deadline or Deadline.never()
        deadline.check("the work started")
        if not self.gate.acquire(timeout=deadline.timeout()):
            raise DeadlineExceeded(f"The service is busy: no slot came free within the {deadline.budget_s:.1f} s "
                                   "deadline; retry.")
        try:
            yield EngineRun(self, deadline, stage or _no_stage)
        finally:
            self.gate.release()

    # -- one model step at a time (scripts, tests) ------------------------------------------------------------------
    def detect(self, image: np.ndarray, purpose: Purpose = "all", deadline: Deadline | None = None) -> list[Face]:
        """All faces (purpose="all": full recall), or the cheapest passes that settle a one-face request
        (purpose="one"), read the right way up (OrientationSearch). Boxes and landmarks in `image` pixels."""
        return self.detect_oriented(image, purpose, deadline)[0]

    def detect_oriented(self, image: np.ndarray, purpose: Purpose = "all",
                        deadline: Deadline | None = None) -> tuple[list[Face], OrientationTrace]:
        """detect(), plus how the orientation was settled; `deadline` may cut the search short (never refuses)."""
        with self.slot():
            return self.upright.read(ensure_bgr(image), purpose, deadline)

    def detect_traced(self, image: np.ndarray, purpose: Purpose = "all") -> tuple[list[Face], DetectPass]:
        """One read of the image as given (no orientation search), plus which detector passes answered."""
        with self.slot():
            return self.passes.read(ensure_bgr(image), purpose)

    def align(self, image: np.ndarray, faces: Sequence[Face]) -> np.ndarray:
        """(len(faces), S, S, 3): each face warped onto the ArcFace template at the recognizer's input size S (the
        crop the recognizer embeds and function/engine/quality.py measures: aligned once, used by both)."""
        return align_faces(ensure_bgr(image), [f.landmarks for f in faces], self.recognizer.input_size)

    def embed_aligned(self, crops: np.ndarray) -> np.ndarray:
        """(len(crops), D) L2-normalised embeddings of aligned crops (align()), in recognizer runs of
        `recognizer_batch` crops."""
        if not len(crops):
            return self.recognizer.embed([])
        step = max(1, self.config.recognizer_batch)
        parts = []
        for i in range(0, len(crops), step):
            with self.slot():
                parts.append(self.recognizer.embed(list(crops[i:i + step])))
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def embed(self, image: np.ndarray, faces: Sequence[Face]) -> np.ndarray:
        """(len(faces), D) L2-normalised embeddings, in recognizer runs of `recognizer_batch` faces."""
        return self.embed_aligned(self.align(image, faces))

    @property
    def embedding_size(self) -> int:
        return self.recognizer.dim


def _no_stage(name: str) -> AbstractContextManager[object]:
    return contextlib.nullcontext()


def ensure_bgr(image: np.ndarray) -> np.ndarray:
    """BGR uint8 HxWx3 from grayscale or BGRA input (the models take three channels)."""
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


def choose_face(faces: Sequence[Face], how: str, shape: tuple[int, ...]) -> Face:
    """The largest face, or the one whose centre is nearest the image centre (LFW's convention)."""
    if how == "largest":
        return max(faces, key=lambda f: f.area)
    cy, cx = shape[0] / 2.0, shape[1] / 2.0
    return min(faces, key=lambda f: ((f.box[0] + f.box[2]) / 2 - cx) ** 2 + ((f.box[1] + f.box[3]) / 2 - cy) ** 2)


class EngineRun:
    """The engine's work for one request, while it holds a slot of the gate: read() per image."""

    def __init__(self, engine: FaceEngine, deadline: Deadline, stage: Stage) -> None:
        self.engine = engine
        self.deadline = deadline
        self.stage = stage

    def read(self, pixels: np.ndarray, purpose: Purpose = "all", *, select: Select | None = None,
             embed: Embed = "none", quality: QualityThresholds | None = None, scale: float = 1.0) -> Reading:
        """Detect (all faces, or under purpose="one" the cheapest passes that settle a one-face request; the
        orientation searched), choose (`select`, which may raise), align each chosen face once, measure its quality
        on that crop (`scale` maps sizes to the image as sent, after a reduced decode) and embed as asked."""
        pixels = ensure_bgr(pixels)
        self.deadline.check("detection")
        with self.stage("detect"):
            found, _ = self.engine.upright.read(pixels, purpose, self.deadline)
        chosen = select(found, pixels.shape) if select is not None else found
        with self.stage("align"):
            crops = self.engine.align(pixels, chosen)
        measured = crops if crops.shape[1:3] == (ARCFACE_SIZE, ARCFACE_SIZE) else align_faces(
            pixels, [f.landmarks for f in chosen], ARCFACE_SIZE)  # a recognizer of another input size
        with self.stage("quality"):
            qualities = assess_aligned(measured, chosen, quality or QualityThresholds(), scale)
        if embed == "none" or not chosen:
            return Reading(found, [FaceRead(f, q) for f, q in zip(chosen, qualities, strict=True)])
        wanted = [i for i, q in enumerate(qualities) if embed == "all" or q.usable]
        vectors = self._embed_in_time(crops, chosen, wanted) if wanted else {}
        if embed == "all":
            return Reading(found, [FaceRead(chosen[i], qualities[i], vectors[i]) for i in sorted(vectors)])
        return Reading(found, [FaceRead(f, q, vectors.get(i)) for i, (f, q) in enumerate(zip(chosen, qualities,
                                                                                             strict=True))])

    def _embed_in_time(self, crops: np.ndarray, faces: Sequence[Face], wanted: list[int]) -> dict[int, np.ndarray]:
        """{index: embedding} of the `wanted` faces, largest first, in recognizer runs of `recognizer_batch`,
        stopping before a run the deadline would not leave time for (1.5 x the last run's time + 0.25 s). The
        largest is always embedded, or the deadline refuses the request."""
        order = sorted(wanted, key=lambda i: -faces[i].area)
        step = max(1, self.engine.config.recognizer_batch)
        out: dict[int, np.ndarray] = {}
        last = 0.0
        for start in range(0, len(order), step):
            if out and self.deadline.remaining() < 1.5 * last + 0.25:
                break
            ids = order[start:start + step]
            self.deadline.check("embedding")
            t0 = time.monotonic()
            with self.stage("embed"):
                vectors = self.engine.recognizer.embed(list(crops[ids]))
            last = time.monotonic() - t0
            out.update(zip(ids, vectors, strict=True))
        return out
