"""The use cases behind the routes: bytes in, response models out. Decoding, face choice and the
same-person decision live here; the routes only read the request and the engine only does the models.

Every use case runs inside the engine's RunGate (the bound on concurrent model runs), decoding included, and
within the request's Deadline: the gate is waited for only as long as the deadline allows, and the deadline is
checked between steps. Refusals that need no pixel (format, header, size) come first, without waiting for the gate.
Answers carry at most `AnswerLimits.max_faces` faces and stay under `max_answer_bytes`: past either, the largest
faces are kept and the answer says `faces_truncated: true` (never an error: a crowd photo still gets its answer)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from function.deadline import Deadline
from function.decision import DEFAULT_SEARCH_FPIR, Decision, gallery_decision, pair_decision
from function.engine import Face, FaceEngine, choose_face
from function.engine.aligner import align_faces
from function.engine.quality import QualityThresholds, assess_aligned
from function.errors import (
    DeadlineExceeded,
    FaceQualityError,
    InvalidRequest,
    MultipleFaces,
    NoFace,
    PackError,
    ServiceError,
)
from function.imaging import DecodedImage, DecodeLimits, Header, decode_image, precheck
from function.limits import AnswerLimits
from function.models.calibration import Calibration
from function.models.specs import ChosenThreshold, Measured
from function.observability import span
from function.schemas import (
    CalibrationInfo,
    CompareResponse,
    DetectResponse,
    ExtractResponse,
    FaceBox,
    FaceChoice,
    FaceEmbedding,
    FaceQuality,
    ModelInfo,
    OperatingPointInfo,
    Pose,
    QualityMode,
    SearchMatch,
    SearchResponse,
    ThresholdSource,
    VerifyResponse,
)


def _largest_first(faces: Sequence[Face]) -> list[int]:
    """Indices of `faces`, largest box first (ties in detection order)."""
    return sorted(range(len(faces)), key=lambda i: -faces[i].area)


def _confidence(similarity: float) -> float:
    """The original service's 0..100 scale: 50 x (1 + cosine similarity)."""
    return round(50.0 * (1.0 + similarity), 4)


@dataclass(frozen=True)
class ServedModels:
    """What GET /health shows of the served models and thresholds (the route adds status, pack name and version)."""

    models: list[ModelInfo]
    providers: list[str]
    threads: int
    similarity_threshold: float
    similarity_threshold_source: ThresholdSource | None
    calibration: CalibrationInfo


class FaceService:
    def __init__(self, engine: FaceEngine, limits: DecodeLimits, threshold: float,
                 quality: QualityThresholds | None = None, answer: AnswerLimits | None = None,
                 calibration: Calibration | None = None, search_fpir: float = DEFAULT_SEARCH_FPIR,
                 threshold_source: ChosenThreshold | None = None) -> None:
        if engine.pack is not None and engine.pack.timing_proxy:
            # Second line of defence after load_pack: a benchmark's proxy engine (random weights) never serves.
            raise PackError(f"model pack {engine.pack.name!r} is a timing proxy (random weights) and is never served")
        self.engine = engine
        self.limits = limits
        self.threshold = threshold
        self.quality = quality or QualityThresholds()
        self.answer = answer or AnswerLimits()
        # The served pack's measured FAR curve (None: not measured), for ?far= and /search's FPIR rule.
        self.calibration = calibration
        self.search_fpir = search_fpir
        # Where `threshold` comes from (function/models/specs.py), for GET /health; None: a caller's own value.
        self.threshold_source = threshold_source

    # -- helpers ----------------------------------------------------------------------------------------------
    @contextmanager
    def _work(self, deadline: Deadline | None) -> Iterator[Deadline]:
        """Hold the engine's gate for the whole use case, waiting for it no longer than the deadline allows."""
        deadline = deadline or Deadline.never()
        deadline.check("the work started")
        if not self.engine.gate.acquire(timeout=deadline.timeout()):
            raise DeadlineExceeded(f"The service is busy: no slot came free within the {deadline.budget_s:.1f} s "
                                   "deadline; retry.")
        try:
            yield deadline
        finally:
            self.engine.gate.release()

    def _precheck(self, field: str, data: bytes) -> tuple[str, Header]:
        """Refusals that need no pixel (format, header, size, scans), answered without waiting for the gate. The
        (format, header) it returns goes to _decode: the header is parsed once per image."""
        try:
            return precheck(data, self.limits)
        except ServiceError as exc:
            exc.field = field
            raise

    def _decode(self, data: bytes, checked: tuple[str, Header], field: str, deadline: Deadline) -> DecodedImage:
        deadline.check("decoding")
        try:
            with span("decode"):
                return decode_image(data, self.limits, checked=checked)
        except ServiceError as exc:
            exc.field = field
            raise

    def _detect(self, pixels: np.ndarray, purpose: str, deadline: Deadline) -> list[Face]:
        deadline.check("detection")
        with span("detect"):
            return self.engine.detect(pixels, purpose=purpose, time_left=deadline.remaining)  # type: ignore[arg-type]

    def _align(self, pixels: np.ndarray, faces: Sequence[Face]) -> np.ndarray:
        """Each face's aligned crop, made once: the recognizer embeds it and the quality measures read it."""
        with span("align"):
            return self.engine.align(pixels, faces)

    def _embed(self, crops: np.ndarray, deadline: Deadline) -> np.ndarray:
        deadline.check("embedding")
        with span("embed"):
            return self.engine.embed_aligned(crops)

    def _embed_in_time(self, crops: np.ndarray, faces: list[Face], deadline: Deadline) -> tuple[list[int], np.ndarray]:
        """Embeddings of `faces` (their aligned `crops`), largest first, in recognizer runs of `recognizer_batch`
        (32) faces, stopping before a run the deadline would not leave time for (1.5 x the last run's time + 0.25 s):
        (indices of the faces embedded, ascending: detection order; their vectors). The largest face is always
        embedded (or the deadline refuses the request)."""
        order = _largest_first(faces)
        step = max(1, self.engine.config.recognizer_batch)
        done: list[int] = []
        parts: list[np.ndarray] = []
        last = 0.0
        for start in range(0, len(order), step):
            if done and deadline.remaining() < 1.5 * last + 0.25:
                break
            ids = order[start:start + step]
            t0 = time.monotonic()
            parts.append(self._embed(crops[ids], deadline))
            last = time.monotonic() - t0
            done.extend(ids)
        vectors = np.concatenate(parts)
        back = sorted(range(len(done)), key=lambda k: done[k])  # detection order
        return [done[k] for k in back], vectors[back]

    def _largest(self, faces: list[Face]) -> list[Face]:
        """At most max_faces faces, the largest, in their detection order (best score first)."""
        if len(faces) <= self.answer.max_faces:
            return faces
        keep = set(_largest_first(faces)[: self.answer.max_faces])
        return [f for i, f in enumerate(faces) if i in keep]

    def _fit(self, items: Sequence[FaceBox], faces: list[Face], reserve: int = 0) -> list[int]:
        """Indices (ascending: detection order) of the items, one per face, whose JSON fits max_answer_bytes less
        `reserve`, taken largest face first."""
        budget, keep = self.answer.max_answer_bytes - reserve - 1024, []
        for i in _largest_first(faces):
            budget -= len(items[i].model_dump_json()) + 1
            if budget < 0:
                break
            keep.append(i)
        return sorted(keep)

    def _face_boxes(self, faces: Sequence[Face], image: DecodedImage, crops: np.ndarray) -> list[FaceBox]:
        """The answer's box, landmarks, quality and pose of each face, quality measured on its aligned crop
        (`crops`, from _align; re-aligned at 112 only for a recognizer of another input size)."""
        if crops.shape[1:3] != (112, 112):
            crops = align_faces(image.pixels, [f.landmarks for f in faces], 112)
        with span("quality"):
            measured = assess_aligned(crops, list(faces), self.quality, image.scale)
        out = []
        for face, q in zip(faces, measured, strict=True):
            f = face.scaled(image.scale)
            box = np.clip(f.box, 0, [image.width, image.height, image.width, image.height])
            out.append(FaceBox(
                box=[round(v, 2) for v in box.tolist()], score=round(face.score, 5),
                landmarks=[[round(x, 2), round(y, 2)] for x, y in f.landmarks.tolist()],
                quality=FaceQuality(face_size=round(q.face_size, 1), sharpness=round(q.sharpness, 1),
                                    brightness=round(q.brightness, 1), usable=q.usable, reasons=list(q.reasons)),
                pose=Pose(yaw=round(q.pose.yaw, 1), pitch=round(q.pose.pitch, 1), roll=round(q.pose.roll, 1)),
                orientation=face.orientation))  # type: ignore[arg-type]  # 0/90/180/270 by construction
        return out

    def _unit(self, vector: np.ndarray) -> np.ndarray:
        """A stored embedding L2-normalised (the parser has refused zero and non-finite vectors)."""
        v = vector.astype(np.float32)
        return v / np.float32(np.linalg.norm(v))

    def _probe(self, data: bytes, choice: FaceChoice, min_quality: QualityMode,
               deadline: Deadline | None) -> tuple[FaceBox, np.ndarray]:
        checked = self._precheck("image", data)
        with self._work(deadline) as dl:
            image = self._decode(data, checked, "image", dl)
            face = self._one_face(image, choice, "image", dl)
            crops = self._align(image.pixels, [face])
            box = self._face_boxes([face], image, crops)[0]
            _require_quality(box, min_quality, "image")
            return box, self._embed(crops, dl)[0]

    def _one_face(self, image: DecodedImage, choice: FaceChoice, field: str, deadline: Deadline) -> Face:
        # "single" and "largest" take the cheapest read that settles one face (a photo of several is read in full);
        # "center" reads every face, since a small one nearest the centre may be missed by the cheap read.
        faces = self._detect(image.pixels, "all" if choice == "center" else "one", deadline)
        if not faces:
            raise NoFace(f"No face detected in {field}.", field=field)
        if len(faces) > 1:
            if choice == "single":
                raise MultipleFaces(f"Multiple faces detected in {field} ({len(faces)}); send a photo with one face "
                                    "or ask for ?face=largest.", field=field)
            return choose_face(faces, choice, image.pixels.shape)
        return faces[0]

    # -- use cases --------------------------------------------------------------------------------------------
    def detect(self, data: bytes, deadline: Deadline | None = None) -> DetectResponse:
        checked = self._precheck("image", data)
        with self._work(deadline) as dl:
            image = self._decode(data, checked, "image", dl)
            faces = self._detect(image.pixels, "all", dl)
            kept = self._largest(faces)
            all_boxes = self._face_boxes(kept, image, self._align(image.pixels, kept))
        n = len(faces)
        boxes = [all_boxes[i] for i in self._fit(all_boxes, kept)]
        message = ("No face detected" if n == 0 else "Single face detected successfully" if n == 1
                   else f"Multiple faces detected ({n})")
        return DetectResponse(detected=n > 0, face_count=n, confidence=round(max((f.score for f in faces), default=0.0), 5),
                              message=message, faces=boxes, image_width=image.width, image_height=image.height,
                              faces_truncated=True if len(boxes) < n else None)

    def extract(self, data: bytes, choice: FaceChoice = "single", all_faces: bool = False,
                min_quality: QualityMode = "none", deadline: Deadline | None = None) -> ExtractResponse:
        if all_faces and min_quality != "none":
            raise InvalidRequest("min_quality=enrol judges the one face enrolled: drop all=true.", field="min_quality")
        checked = self._precheck("image", data)
        if all_faces:
            return self._extract_all(data, checked, deadline)
        with self._work(deadline) as dl:
            image = self._decode(data, checked, "image", dl)
            face = self._one_face(image, choice, "image", dl)
            crops = self._align(image.pixels, [face])
            box = self._face_boxes([face], image, crops)[0]
            _require_quality(box, min_quality, "image", "to enrol")
            vector = self._embed(crops, dl)[0]
        return ExtractResponse(embedding=vector.tolist(), confidence=box.score, embedding_size=int(vector.shape[0]),
                               box=box.box, landmarks=box.landmarks, quality=box.quality, pose=box.pose,
                               orientation=box.orientation)

    def _extract_all(self, data: bytes, checked: tuple[str, Header], deadline: Deadline | None) -> ExtractResponse:
        with self._work(deadline) as dl:
            image = self._decode(data, checked, "image", dl)
            faces = self._detect(image.pixels, "all", dl)
            if not faces:
                raise NoFace("No face detected in image.", field="image")
            largest = self._largest(faces)
            crops = self._align(image.pixels, largest)
            ids, vectors = self._embed_in_time(crops, largest, dl)
            kept = [largest[i] for i in ids]
            boxes = self._face_boxes(kept, image, crops[ids])
            items = [FaceEmbedding(**b.model_dump(), embedding=v.tolist()) for b, v in zip(boxes, vectors, strict=True)]
        reserve = max(len(item.model_dump_json()) for item in items)  # the main face is repeated at the top level
        ids = self._fit(items, kept, reserve)
        first = items[max(ids, key=lambda i: kept[i].area)]
        return ExtractResponse(embedding=first.embedding, confidence=first.score, embedding_size=len(first.embedding),
                               box=first.box, landmarks=first.landmarks, quality=first.quality, pose=first.pose,
                               orientation=first.orientation, faces=[items[i] for i in ids],
                               faces_truncated=len(ids) < len(faces),
                               face_count=len(faces))

    def calibration_info(self) -> CalibrationInfo:
        """What the thresholds mean in false accepts (GET /health): the calibration record, or why there is none."""
        cal = self.calibration
        if cal is None:
            pack = self.engine.pack
            served = f"{pack.name}/{pack.recognizer.precision}" if pack else "the served pack"
            return CalibrationInfo(measured=False, search_fpir=self.search_fpir, source=(
                f"not measured here: no calibration record for {served} (function/models/calibrations/); the "
                f"threshold {self.threshold} is a named value whose false-accept rate is unknown, ?far= is refused "
                "and /search states its FPIR as unknown"))
        return CalibrationInfo(
            measured=True, name=cal.name, search_fpir=self.search_fpir, min_far=cal.min_far,
            source=f"{cal.dataset}; `{cal.command}` on {cal.measured}, {cal.machine}",
            default_threshold_far=cal.default_far if cal.default_threshold == self.threshold else cal.far_at(
                self.threshold),
            default_threshold_tar=cal.default_tar if cal.default_threshold == self.threshold else None,
            operating_points=[OperatingPointInfo(far=p.far, threshold=p.threshold, tar=p.tar)
                              for p in cal.operating_points], curve=[list(point) for point in cal.curve])

    def threshold_info(self) -> ThresholdSource | None:
        """Where the 1:1 threshold comes from (GET /health): the pack's declaration or SIMILARITY_THRESHOLD."""
        chosen = self.threshold_source
        if chosen is None:
            return None
        declared = chosen.declared
        measured = declared.provenance if isinstance(declared.provenance, Measured) else None
        return ThresholdSource(
            origin="setting" if chosen.setting else "pack", pack_threshold=declared.value, precision=chosen.precision,
            measured=measured is not None, source=chosen.describe(),
            measured_on=measured.date if measured else None, command=measured.command if measured else None,
            dataset=measured.dataset if measured else None, far=measured.far if measured else None,
            tar=measured.tar if measured else None)

    def served(self) -> ServedModels:
        """The served models, the execution providers and threads, the 1:1 threshold with where it comes from, and
        what it means in false accepts: GET /health's view of this service."""
        engine = self.engine
        return ServedModels(
            models=[ModelInfo(**m) for m in engine.pack.describe()] if engine.pack else [],
            providers=engine.report.providers, threads=engine.config.threads, similarity_threshold=self.threshold,
            similarity_threshold_source=self.threshold_info(), calibration=self.calibration_info())

    def pair_decision(self, far: float | None = None) -> Decision:
        """The 1:1 threshold: the pack's default, or the calibrated one for a FAR asked for (refused beyond the
        calibration before any pixel is read)."""
        return pair_decision(self.calibration, self.threshold, far)

    def compare(self, data1: bytes, data2: bytes, choice: FaceChoice = "single",
                deadline: Deadline | None = None, far: float | None = None,
                min_quality: QualityMode = "none") -> CompareResponse:
        decision = self.pair_decision(far)
        checked1 = self._precheck("image1", data1)
        checked2 = self._precheck("image2", data2)
        with self._work(deadline) as dl:
            image1 = self._decode(data1, checked1, "image1", dl)
            image2 = self._decode(data2, checked2, "image2", dl)
            face1 = self._one_face(image1, choice, "image1", dl)
            face2 = self._one_face(image2, choice, "image2", dl)
            crops1, crops2 = self._align(image1.pixels, [face1]), self._align(image2.pixels, [face2])
            box1, box2 = self._face_boxes([face1], image1, crops1)[0], self._face_boxes([face2], image2, crops2)[0]
            _require_quality(box1, min_quality, "image1")
            _require_quality(box2, min_quality, "image2")
            v1 = self._embed(crops1, dl)[0]
            v2 = self._embed(crops2, dl)[0]
        similarity = float(np.clip(np.dot(v1, v2), -1.0, 1.0))
        return CompareResponse(similarity=round(similarity, 6), confidence=_confidence(similarity),
                               same_person=similarity >= decision.threshold, threshold=decision.threshold,
                               face1=box1, face2=box2, far=decision.far, calibration=decision.calibration)

    def verify(self, data: bytes, embedding: np.ndarray, choice: FaceChoice = "single",
               deadline: Deadline | None = None, far: float | None = None,
               min_quality: QualityMode = "none") -> VerifyResponse:
        """The photo's face against one stored embedding (normalised here), on /compare's scale."""
        decision = self.pair_decision(far)
        face, vector = self._probe(data, choice, min_quality, deadline)
        similarity = float(np.clip(np.dot(vector, self._unit(embedding)), -1.0, 1.0))
        return VerifyResponse(similarity=round(similarity, 6), confidence=_confidence(similarity),
                              same_person=similarity >= decision.threshold, threshold=decision.threshold, face=face,
                              far=decision.far, calibration=decision.calibration)

    def gallery_decision(self, entries: int, fpir: float | None = None) -> Decision:
        """/search's threshold for a gallery of `entries` entries (see function/decision.py)."""
        return gallery_decision(self.calibration, self.threshold, entries, fpir or self.search_fpir)

    def search(self, data: bytes, ids: list[str], gallery: np.ndarray, top_k: int,
               choice: FaceChoice = "single", deadline: Deadline | None = None, fpir: float | None = None,
               min_quality: QualityMode = "none") -> SearchResponse:
        """The gallery's ids at or above the threshold for its size (FPIR rule), best first, each id once (its best
        entry), at most top_k."""
        decision = self.gallery_decision(len(ids), fpir)
        face, vector = self._probe(data, choice, min_quality, deadline)
        norms = np.linalg.norm(gallery, axis=1)
        similarities = np.clip((gallery @ vector) / norms, -1.0, 1.0)
        matches: list[SearchMatch] = []
        seen: set[str] = set()
        for i in np.argsort(-similarities, kind="stable"):
            s = float(similarities[i])
            if s < decision.threshold or len(matches) >= top_k:
                break
            if ids[i] in seen:
                continue
            seen.add(ids[i])
            matches.append(SearchMatch(id=ids[i], similarity=round(s, 6), confidence=_confidence(s)))
        return SearchResponse(matches=matches, threshold=decision.threshold,
                              threshold_rule=decision.rule,  # type: ignore[arg-type]  # a gallery rule
                              fpir=decision.fpir, pair_far=decision.far, calibration=decision.calibration,
                              top_k=top_k, gallery_size=len(ids), face=face)


def _require_quality(box: FaceBox, min_quality: QualityMode, field: str, what: str = "to decide on") -> None:
    """min_quality=enrol: refuse a face that is not usable (422 FACE_QUALITY naming the image and the reasons)."""
    if min_quality == "enrol" and box.quality is not None and not box.quality.usable:
        reasons = box.quality.reasons
        raise FaceQualityError(f"The face in {field} is not good enough {what}: {', '.join(reasons)}.", reasons,
                               field=field)
