"""FaceEngine: detection (with close-up fallback and coarse-to-fine), face choice, alignment, embedding.

Usable from a script:

    from function.engine import FaceEngine, EngineConfig
    engine = FaceEngine.from_pack(load_pack(Path("model_cache"), "buffalo_sc"), EngineConfig())
    faces = engine.detect(bgr_pixels)
    vectors = engine.embed(bgr_pixels, faces)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import cv2
import numpy as np

from function.engine.aligner import align_faces
from function.engine.config import EngineConfig
from function.engine.detector import ScrfdDetector, iou
from function.engine.gate import RunGate
from function.engine.orientation import TURNS, Turn, face_back, roll_of, turn_for_roll, turn_image
from function.engine.recognizer import ArcFaceRecognizer
from function.engine.sessions import SessionConfig, create_session
from function.engine.types import Face
from function.models.pack import ModelPack

Purpose = Literal["all", "one"]
# Which detector passes settled a request (FaceEngine.detect_traced): "coarse" = the small first pass alone;
# "closeup" = coarse pass, then straight to the padded close-up pass; "full" = the full-size pass;
# "full+closeup" = the full-size pass found nothing, or one face filling the frame, then the padded close-up pass;
# "padded" = a small image's padded pass alone (closeup_small_side), its only face a close-up.
DetectPass = Literal["coarse", "closeup", "full", "full+closeup", "padded"]
# How detect() settled the orientation: "upright" = the upright read's evidence sufficed (no extra pass);
# "checked" = the small-crop check of the best face settled it upright; "off" = the evidence asked but
# ORIENTATION_SEARCH is off; "searched" = turned copies were read; "cut" = the search stopped for the deadline.
OrientationTrace = Literal["upright", "checked", "off", "searched", "cut"]


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
        # ONNX Runtime sessions are thread-safe, but every concurrent run allocates its own activations (in the
        # session's arena, which never shrinks) and oversubscribes the cores: past a few requests in flight,
        # memory grows by ~25 MB per extra detector run and throughput drops. Runs beyond the limit queue here.
        # The service holds the same gate around decoding and pixel work (function/service.py).
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
        orientation probe), and the orientation check's crop."""
        cfg = self.config
        coarse = [cfg.coarse_det_size] if 0 < cfg.coarse_det_size < cfg.det_size else []
        check = [cfg.orientation_check_size] if cfg.orientation_search else []
        return list(dict.fromkeys([cfg.det_size, *coarse, *check]))

    # -- detection --------------------------------------------------------------------------------------------
    def detect(self, image: np.ndarray, purpose: Purpose = "all",
               time_left: Callable[[], float] | None = None) -> list[Face]:
        """All faces (purpose="all": full recall), or the cheapest pass that settles a one-face request
        (purpose="one": coarse pass first, accepted only when unambiguous), read the right way up (see
        detect_oriented). Boxes and landmarks in `image` pixels."""
        return self.detect_oriented(image, purpose, time_left)[0]

    def detect_oriented(self, image: np.ndarray, purpose: Purpose = "all",
                        time_left: Callable[[], float] | None = None) -> tuple[list[Face], OrientationTrace]:
        """detect_traced() on the image as given; when that read's faces do not vote "upright" (_upright_vote), and
        orientation_search is on, the image turned 90, 180 and 270 degrees clockwise too, keeping the turn whose read
        has the strongest evidence (_read_evidence). Each face says the turn (`orientation`) and whether the evidence
        settled it for that face (`orientation_settled`: the image's decision and the face's own evidence,
        _own_evidence); boxes and landmarks are mapped back to `image`'s frame.

        Cost: nothing extra when the upright read votes upright (the common case) and has no weak face large enough
        to need its own check. Below that, the strongest level faces (up to orientation_check_faces) are checked on a
        small crop turned four ways (_crop_lead: ~1/6 of a full pass each), which settles most upright photos.
        Otherwise each turn is one more detect_traced(), tried in the likeliest order (the turn the eye line points
        to, then 180) and stopping at the first turn whose read votes upright; when the upright read found no face
        at all, each turn is first probed with one pass at coarse_det_size on a padded copy (a quarter of a full
        pass): the turns where the probe sees a face are read first, then the others (a crowd's small faces vanish
        in the probe). `time_left` (seconds, e.g. the request deadline's) stops the search before a pass it would
        not leave time for; the answer then says unsettled."""
        image = ensure_bgr(image)
        cfg = self.config
        t0 = time.perf_counter()
        faces, _ = self.detect_traced(image, purpose)
        pass_s = time.perf_counter() - t0

        def in_time(cost_s: float) -> bool:
            return time_left is None or time_left() > cost_s

        def check_in_time() -> bool:  # one face's check: 2 runs at orientation_check_size, ~1/12 of a full pass
            return in_time(pass_s / 6)

        if self._upright_vote(faces):
            if not cfg.orientation_search:  # as before #31: no face's own check either
                return faces, "upright"
            return self._own_evidence(image, 0, {0: faces}, True, {}, check_in_time), "upright"
        if not cfg.orientation_search:
            return [replace(f, orientation_settled=False) for f in faces], "off"
        leads = self._check_leads(image, faces)
        if (leads and min(leads.values()) >= cfg.orientation_margin and not self._may_hide_a_crowd(image, faces)
                and not self._dissent(image, faces, leads)):
            return self._own_evidence(image, 0, {0: faces}, True, leads, check_in_time), "checked"
        reads: dict[int, list[Face]] = {0: faces}  # each turn's faces, in that turned copy's frame
        evidence: dict[int, float] = {0: self._read_evidence(faces)}
        cut = False
        if faces:
            best = max(faces, key=lambda f: f.score)
            first = turn_for_roll(roll_of(best))
            order: list[Turn] = [first] if first else []
            order += [t for t in (180, 90, 270) if t not in order]
        else:
            probes: dict[Turn, float] = {}
            small = self._probe_copy(image)
            for turn in TURNS[1:]:
                if not in_time(pass_s / 2):
                    cut = True
                    break
                probes[turn] = self._probe(turn_image(small, turn))
            seen = sorted((t for t in probes if probes[t] > 0), key=lambda t: -probes[t])
            rest: list[Turn] = [] if cut else [t for t in (90, 270, 180) if t not in seen]
            order = [*seen, *rest]
        for turn in order:
            if not in_time(1.5 * pass_s):
                cut = True
                break
            read, _ = self.detect_traced(turn_image(image, turn), purpose)
            reads[turn] = read
            evidence[turn] = self._read_evidence(read)
            if self._crowd_vote(read) or (self._upright_vote(read) and not self._may_hide_a_crowd(image, read, True)):
                break
        # A turn whose several faces vote upright outranks one of a single face (the odd face of a crowd turned
        # away); otherwise, and between such turns, the strongest evidence wins (ties: the earlier turn, 0 first).
        voted = {t for t in reads if self._crowd_vote(reads[t])}
        chosen = max(evidence, key=lambda t: (t in voted, evidence[t]))
        lead = evidence[chosen] - max((v for t, v in evidence.items() if t != chosen), default=0.0)
        if evidence[chosen] <= 0.0:  # no turn shows an upright face: the upright read's faces, unsettled
            chosen, settled = 0, False
        else:
            settled = (lead >= cfg.orientation_margin or voted == {chosen}) and not (
                cut and evidence[chosen] < cfg.orientation_min_score)
        return self._own_evidence(image, chosen, reads, settled, {}, check_in_time), "cut" if cut else "searched"

    def _level(self, face: Face) -> bool:
        return abs(roll_of(face)) <= self.config.orientation_max_roll

    def _evidence(self, faces: Sequence[Face]) -> float:
        """How strongly a read says "this face is upright": the best score among its faces whose eye line is
        within orientation_max_roll of level (0 when none). An upside-down face still fires SCRFD, with its
        landmarks placed as if upright, but at a lower score (docs/orientation.md)."""
        return max((f.score for f in faces if self._level(f)), default=0.0)

    def _read_evidence(self, faces: Sequence[Face]) -> float:
        """How strongly a read of the whole image says "upright", to compare the turns: the best level score
        (_evidence) for a read of one or two level faces, the mean of the three best for more (a crowd: one
        upside-down face scoring high does not outweigh a turn where many faces read upright)."""
        level = sorted((f.score for f in faces if self._level(f)), reverse=True)
        return float(np.mean(level[:3])) if len(level) >= 3 else max(level, default=0.0)

    def _upright_vote(self, faces: Sequence[Face]) -> bool:
        """The read is upright without a check: its one face is level and upright-typical (>= orientation_min_score),
        or its upright-typical level faces number at least 2 and orientation_vote_fraction of its level faces."""
        cfg = self.config
        level = [f for f in faces if self._level(f)]
        strong = sum(f.score >= cfg.orientation_min_score for f in level)
        if len(faces) == 1:
            return strong == 1
        return strong >= max(2, math.ceil(cfg.orientation_vote_fraction * len(level)))

    def _crowd_vote(self, faces: Sequence[Face]) -> bool:
        """Several faces, voting upright (_upright_vote)."""
        return len(faces) > 1 and self._upright_vote(faces)

    def _may_hide_a_crowd(self, image: np.ndarray, faces: Sequence[Face], strong_too: bool = False) -> bool:
        """Only weak faces (none upright-typical; with `strong_too`, any), each small against the frame (box long
        side under orientation_small_face_fraction of the image's long side): the check settles those faces, but
        the photo may be a crowd turned away whose faces this read cannot see (a crowd upside down with one face
        upright in it, read as that one face: issue #31), so the turns are read too."""
        cfg = self.config
        limit = cfg.orientation_small_face_fraction * max(image.shape[0], image.shape[1])
        return all((strong_too or f.score < cfg.orientation_min_score)
                   and max(f.box[2] - f.box[0], f.box[3] - f.box[1]) < limit for f in faces)

    def _check_leads(self, image: np.ndarray, faces: Sequence[Face]) -> dict[int, float]:
        """The crop check (_crop_lead) on up to orientation_check_faces of the strongest level faces that are
        evidence at all (score and box side past the floor): {index in `faces`: lead}, stopping at the first face
        that does not lead by orientation_margin (the read is then searched anyway)."""
        cfg = self.config
        candidates = sorted((i for i, f in enumerate(faces) if self._level(f) and f.score >= cfg.orientation_check_min_score
                             and _side(f) >= cfg.orientation_check_min_side), key=lambda i: -faces[i].score)
        leads: dict[int, float] = {}
        for i in candidates[: cfg.orientation_check_faces]:
            leads[i] = self._crop_lead(image, faces[i])
            if leads[i] < cfg.orientation_margin:
                break
        return leads

    def _dissent(self, image: np.ndarray, faces: Sequence[Face], leads: dict[int, float]) -> bool:
        """Whether a level face that the check passed over (below its score floor), up to orientation_check_faces of
        them, at least orientation_check_min_side px, reads better upside down by orientation_margin (its crop
        against the crop turned 180 degrees): a group turned away whose one upright-typical face is another
        person's (issue #31). The turns are then read."""
        cfg = self.config
        rest = sorted((i for i, f in enumerate(faces) if i not in leads and self._level(f)
                       and _side(f) >= cfg.orientation_check_min_side), key=lambda i: -faces[i].score)
        return any(self._crop_lead(image, faces[i], (180,)) <= -cfg.orientation_margin
                   for i in rest[: cfg.orientation_check_faces])

    def _own_evidence(self, image: np.ndarray, turn: int, reads: dict[int, list[Face]], settled: bool,
                      leads: dict[int, float], check_in_time: Callable[[], bool]) -> list[Face]:
        """The chosen read's faces (reads[turn], in the frame of `image` turned `turn`) mapped back to `image`, each
        settled only when the image's turn is settled and the face's own evidence agrees. A level face agrees when it
        is upright-typical itself (>= orientation_min_score) or its score settled the turn (the chosen read's best
        level face, after a search); any other level face of at least orientation_face_check_min_side px disagrees
        when another turn's read shows it (overlapping, level) more strongly by orientation_margin, and otherwise
        gets the crop check at this turn (its lead from `leads` when checked already), the lowest score first (an
        upside-down face scores lower), at most orientation_face_checks and within the time left: not leading is
        unsettled. Faces left unchecked past the cap or the deadline, smaller faces (not usable at the default
        sizes) and faces not level (roll_too_large) keep the image's verdict."""
        cfg = self.config
        height, width = image.shape[:2]
        read = reads[turn]
        out = [replace(f, orientation_settled=settled) for f in read]
        if settled and read:
            searched = len(reads) > 1
            deciding = int(np.argmax([f.score if self._level(f) else -1.0 for f in read])) if searched else -1
            weak = [i for i, f in enumerate(read) if self._level(f) and f.score < cfg.orientation_min_score
                    and i != deciding and _side(f) >= cfg.orientation_face_check_min_side]
            others = [face_back(g, u, width, height) for u, faces in reads.items() if u != turn
                      for g in faces if self._level(g)]
            turned: np.ndarray | None = None
            checks = 0
            for i in sorted(weak, key=lambda i: read[i].score):  # the likeliest upside down first
                face = read[i]
                back = face_back(face, turn, width, height)
                if any(g.score >= face.score + cfg.orientation_margin and iou(g.box, back.box) >= 0.3 for g in others):
                    lead = -1.0  # another turn reads this face more strongly
                elif i in leads:
                    lead = leads[i]
                elif checks < cfg.orientation_face_checks and check_in_time():
                    if turned is None:
                        turned = turn_image(image, turn)
                    lead = self._crop_lead(turned, face, (180,))
                    checks += 1
                else:
                    continue  # left unchecked (the cap, the deadline): no evidence against the image's verdict
                if lead < cfg.orientation_margin:
                    out[i] = replace(out[i], orientation_settled=False)
        return [replace(face_back(f, turn, width, height), orientation=turn) for f in out]

    def _crop_lead(self, image: np.ndarray, face: Face, turns: Sequence[int] = (90, 180, 270)) -> float:
        """How far the face's crop (a square twice the box's long side, at orientation_check_size px) read as is
        out-scores the same crop turned 90, 180 and 270 degrees (or only `turns`: a level face of a read is upright
        or upside down, so its own check compares 180 alone, at half the cost). An upright face leads by ~0.8
        (median on LFW); an upside-down one read as upright trails its turned crop (docs/orientation.md)."""
        size = self.config.orientation_check_size
        x1, y1, x2, y2 = (float(v) for v in face.box)
        scale = size / max(2.0 * max(x2 - x1, y2 - y1), 1.0)
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        matrix = np.array([[scale, 0, size / 2 - scale * cx], [0, scale, size / 2 - scale * cy]], dtype=np.float32)
        crop = cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
                              borderValue=(0, 0, 0))
        scores = [self._evidence(self._run_detector(turn_image(crop, turn), size)) for turn in (0, *turns)]
        return scores[0] - max(scores[1:])

    def _probe_size(self) -> int:
        return self.config.coarse_det_size or self.config.det_size // 2

    def _probe_copy(self, image: np.ndarray) -> np.ndarray:
        """`image` shrunk (INTER_AREA) to the probe's size on its long side: the probe's detector run sees no more
        than that, and turning and padding a full-size frame would cost its pixels three times over."""
        size = self._probe_size()
        long_side = max(image.shape[0], image.shape[1])
        if long_side <= size:
            return image
        shrink = size / long_side
        dims = (max(1, round(image.shape[1] * shrink)), max(1, round(image.shape[0] * shrink)))
        return cv2.resize(image, dims, interpolation=cv2.INTER_AREA)

    def _probe(self, image: np.ndarray) -> float:
        """The best level face score of one cheap pass: `image` (a _probe_copy) padded by half its long side on
        every edge, as for the close-up pass, at the probe size (coarse_det_size): a close-up and a portrait both
        fit; 0 when nothing level is seen."""
        pad = max(image.shape[0], image.shape[1]) // 2
        padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(0, 0, 0))
        return self._evidence(self._run_detector(padded, self._probe_size()))

    def detect_traced(self, image: np.ndarray, purpose: Purpose = "all") -> tuple[list[Face], DetectPass]:
        """One read of the image as given (no orientation search), plus which passes answered."""
        image = ensure_bgr(image)
        cfg = self.config
        closeup_tried = False
        padded: list[Face] | None = None  # the close-up pass's faces, once it has run
        small = 0 < max(image.shape[0], image.shape[1]) <= cfg.closeup_small_side
        if purpose == "one" and cfg.closeup_fallback and small:
            # A small image, the likeliest to be a tight crop: the padded pass first. It settles the request when it
            # finds one face and nothing else, and that face is what sends the coarse pass to the padded one (cut by
            # the frame, or filling it: _coarse_verdict), so that the answer is the one the path below would give;
            # otherwise that path decides, as for any image, and reuses this read for its close-up step.
            everything = self._read_padded(image)
            padded = [f for f in everything if self._closeup_sized(f, image.shape)]
            if len(everything) == 1 and padded and self._coarse_verdict(padded, image.shape) == "closeup":
                return padded, "padded"
        if purpose == "one" and cfg.coarse_det_size and cfg.coarse_det_size < cfg.det_size:
            faces = self._run_detector(image, cfg.coarse_det_size)
            verdict = self._coarse_verdict(faces, image.shape)
            if verdict == "accept":
                return faces, "coarse"
            if verdict == "closeup" and cfg.closeup_fallback:
                faces = padded if padded is not None else self._detect_closeup(image)
                if faces:
                    return faces, "closeup"
                closeup_tried = True
        faces = self._run_detector(image, cfg.det_size)
        if not cfg.closeup_fallback or closeup_tried:
            return faces, "full"
        if not faces or (len(faces) == 1 and self._fills_frame(faces[0], image.shape)):
            # Nothing found, or one face filling the frame (a tight crop, an ID photo): SCRFD sees no context
            # around such a face and its landmarks drift (measured on LFW: 98.86% -> reference level with this).
            closeup = padded if padded is not None else self._detect_closeup(image)
            if closeup or not faces:
                return closeup, "full+closeup"
        elif small:
            # A small image with faces found: one filling the frame may still have been missed for its size (an
            # LFW crop whose full pass finds only the partial face beside it). The padded read's close-ups that
            # overlap no face found are added.
            closeup = padded if padded is not None else self._detect_closeup(image)
            extra = [c for c in closeup if all(iou(c.box, f.box) <= cfg.nms_threshold for f in faces)]
            if extra:
                return sorted([*faces, *extra], key=lambda f: -f.score), "full+closeup"
        return faces, "full"

    def _coarse_verdict(self, faces: list[Face], shape: tuple[int, ...]) -> Literal["accept", "closeup", "full"]:
        """accept: exactly one face, confident, large enough, inside the frame and not filling it; closeup: one face
        cut by the frame or filling it (the full path would end in the padded pass too); full: anything else."""
        if len(faces) != 1:
            return "full"
        cfg = self.config
        face = faces[0]
        height, width = shape[0], shape[1]
        x1, y1, x2, y2 = (float(v) for v in face.box)
        side = min(x2 - x1, y2 - y1)
        margin = min(x1, y1, width - x2, height - y2)
        if margin < cfg.coarse_edge_margin * max(height, width):
            return "closeup" if side >= cfg.coarse_closeup_min_fraction * min(height, width) else "full"
        if self._fills_frame(face, shape):
            return "closeup"
        if face.score >= cfg.coarse_min_score and side >= cfg.coarse_min_face_fraction * max(height, width):
            return "accept"
        return "full"

    def _fills_frame(self, face: Face, shape: tuple[int, ...]) -> bool:
        side = max(face.box[2] - face.box[0], face.box[3] - face.box[1])
        return side >= self.config.closeup_redetect_fraction * min(shape[0], shape[1])

    def _run_detector(self, image: np.ndarray, size: int) -> list[Face]:
        with self.gate:
            return self.detector.detect(image, size)

    def _closeup_sized(self, face: Face, shape: tuple[int, ...]) -> bool:
        """Large enough, against the image's long side, to have been missed for its size (a close-up)."""
        side = max(face.box[2] - face.box[0], face.box[3] - face.box[1])
        return bool(side >= self.config.closeup_min_face_fraction * max(shape[0], shape[1]))

    def closeup_canvas(self, padded_side: int) -> int:
        """The close-up pass's canvas (its long side) for a padded image of this long side: that side rounded up to
        a whole stride, at most det_size (closeup_canvas "fit": a small crop is never scaled up), or det_size
        ("full", and always under stable shapes)."""
        cfg = self.config
        if cfg.closeup_canvas != "fit" or not cfg.fit_canvas:
            return cfg.det_size
        stride = self.detector.max_stride
        return min(cfg.det_size, -(-padded_side // stride) * stride)

    def _detect_closeup(self, image: np.ndarray) -> list[Face]:
        """The close-ups of the padded read (_read_padded). Only faces large enough to have been missed for their
        size are kept (_closeup_sized): a small one the padded (so shrunk) pass finds is not a close-up, and the
        full-size pass already said no to it (this keeps noface/'s dog from becoming a face)."""
        return [f for f in self._read_padded(image) if self._closeup_sized(f, image.shape)]

    def _read_padded(self, image: np.ndarray) -> list[Face]:
        """Every face of the padded read, in `image` pixels. A face that fills the frame (selfie, ID photo, tight
        crop) is too large for SCRFD's anchors: pad the image, detect again, and shift the results back.

        The scale is the reference's (insightface on the image padded by half its longer side on every edge, at
        the canvas closeup_canvas() gives: det_size, or under "fit" no more than the padded image's own size, so a
        250x250 crop is read at 512 rather than scaled up to 640). The canvas is cut to `closeup_window` of it around the image
        (the padding shrinks to match, the cut a whole number of the detector's largest stride, so the anchor grid
        stays where it was): at 0.9 (576 of 640) the pass costs 19% less than the whole padded canvas (1.0, the
        default; measured with the "full" canvas). The receptive field reaches the canvas edge, so the landmarks move: on the LFW-scale parity test's
        200 crops against insightface on the padded photo, 198 match at 0.9, 196 at 0.8, 199 on the whole canvas,
        and one of the repo's own crops falls to cosine 0.9887 at 0.9 (docs/benchmarks.md). A frame whose long side is over
        2 x det_size is padded from a copy shrunk to that (INTER_AREA), never at full size."""
        cfg = self.config
        long_side = max(image.shape[0], image.shape[1])
        limit = 2 * cfg.det_size
        shrink = min(1.0, limit / long_side)
        if shrink < 1.0:
            size = (max(1, round(image.shape[1] * shrink)), max(1, round(image.shape[0] * shrink)))
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        small_long = max(image.shape[0], image.shape[1])
        pad = small_long // 2
        canvas = self.closeup_canvas(small_long + 2 * pad)
        scale = canvas / (small_long + 2 * pad)
        if cfg.fit_canvas and 0 < cfg.closeup_window < 1:  # stable shapes keep the one det_size canvas
            stride = self.detector.max_stride
            cut = round(canvas * (1 - cfg.closeup_window) / 2 / stride) * stride  # canvas pixels per edge
            pad = max(0, pad - round(cut / scale))
        padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(0, 0, 0))
        faces = self._run_detector(padded, round(scale * (small_long + 2 * pad)))
        back = long_side / small_long
        return [f.shifted(pad, pad).scaled(back) for f in faces]

    # -- recognition ------------------------------------------------------------------------------------------
    def align(self, image: np.ndarray, faces: Sequence[Face]) -> np.ndarray:
        """(len(faces), S, S, 3): each face warped onto the ArcFace template at the recognizer's input size S (the
        crop the recognizer embeds and function/engine/quality.py measures: aligned once, used by both)."""
        return align_faces(ensure_bgr(image), [f.landmarks for f in faces], self.recognizer.input_size)

    def embed_aligned(self, crops: np.ndarray) -> np.ndarray:
        """(len(crops), 512) L2-normalised embeddings of aligned crops (align()), in batched recognizer runs of
        `recognizer_batch` crops."""
        if not len(crops):
            return self.recognizer.embed([])
        step = max(1, self.config.recognizer_batch)
        parts = []
        for i in range(0, len(crops), step):
            with self.gate:
                parts.append(self.recognizer.embed(list(crops[i:i + step])))
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def embed(self, image: np.ndarray, faces: Sequence[Face]) -> np.ndarray:
        """(len(faces), 512) L2-normalised embeddings, in batched recognizer runs of `recognizer_batch` faces."""
        return self.embed_aligned(self.align(image, faces))

    @property
    def embedding_size(self) -> int:
        return self.recognizer.dim


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


def _side(face: Face) -> float:
    """The shorter side of the face's box, px."""
    return float(min(face.box[2] - face.box[0], face.box[3] - face.box[1]))
