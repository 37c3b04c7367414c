"""The use cases behind the routes: bytes in, response models out. Decoding, face choice, the same-person decisions
and the answers live here; the routes only read the request, and the engine reads faces from pixels.

Every use case runs inside one slot of the engine (FaceEngine.slot: the bound on concurrent work), decoding
included, and within the request's Deadline: the slot is waited for only as long as the deadline allows, and the
deadline is checked between steps. Refusals that need no pixel (format, header, size) come first, without waiting.
Answers carry at most `AnswerLimits.max_faces` faces and stay under `max_answer_bytes`: past either, the largest
faces are kept and the answer says `faces_truncated: true` (never an error: a crowd photo still gets its answer)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from function.deadline import Deadline
from function.decision import DEFAULT_SEARCH_FPIR, Decision, gallery_decision, pair_decision
from function.engine import EngineRun, Face, FaceEngine, FaceRead, choose_face
from function.engine.quality import QualityThresholds
from function.errors import (
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
    @property
    def embedding_size(self) -> int:
        """The length of the served recognizer's embeddings (what a stored embedding must have)."""
        return self.engine.embedding_size

    def _precheck(self, field: str, data: bytes) -> tuple[str, Header]:
        """Refusals that need no pixel (format, header, size, scans), answered without waiting for the gate. The
        (format, header) it returns goes to _decode: the header is parsed once per image."""
        try:
            return precheck(data, self.limits)
        except ServiceError as exc:
            exc.field = field
            raise

    def _decode(self, data: bytes, checked: tuple[str, Header], field: str, run: EngineRun) -> DecodedImage:
        """The image's pixels, decoded inside the engine's slot (decoded pixels count in the gate's bound)."""
        run.deadline.check("decoding")
        try:
            with span("decode"):
                return decode_image(data, self.limits, checked=checked)
        except ServiceError as exc:
            exc.field = field
            raise

    def _largest(self, faces: list[Face], shape: tuple[int, ...]) -> list[Face]:
        """At most max_faces faces, the largest, in their detection order (best score first): a `select` for
        EngineRun.read (the image's shape does not matter here)."""
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

    def _face_boxes(self, read: Sequence[FaceRead], image: DecodedImage) -> list[FaceBox]:
        """The answer's box, landmarks, quality and pose of each face read, in the image as sent."""
        out = []
        for item in read:
            face, q = item.face, item.quality
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

    def _read_one(self, run: EngineRun, image: DecodedImage, choice: FaceChoice, field: str,
                  min_quality: QualityMode) -> FaceRead:
        """The one face `choice` picks in the image, read and embedded (not embedded when min_quality=enrol and the
        face is not usable: the caller refuses it). "single" and "largest" take the cheapest read that settles one
        face (a photo of several is read in full); "center" reads every face, since a small one nearest the centre
        may be missed by the cheap read."""

        def one_face(faces: list[Face], shape: tuple[int, ...]) -> list[Face]:
            if not faces:
                raise NoFace(f"No face detected in {field}.", field=field)
            if len(faces) > 1:
                if choice == "single":
                    raise MultipleFaces(f"Multiple faces detected in {field} ({len(faces)}); send a photo with one "
                                        "face or ask for ?face=largest.", field=field)
                return [choose_face(faces, choice, shape)]
            return faces

        reading = run.read(image.pixels, "all" if choice == "center" else "one", select=one_face,
                           embed="usable" if min_quality == "enrol" else "all", quality=self.quality,
                           scale=image.scale)
        return reading.faces[0]

    def _probe(self, data: bytes, choice: FaceChoice, min_quality: QualityMode,
               deadline: Deadline | None) -> tuple[FaceBox, np.ndarray]:
        """The probe photo's face (/verify, /search): its answer box and embedding."""
        checked = self._precheck("image", data)
        with self.engine.slot(deadline, span) as run:
            image = self._decode(data, checked, "image", run)
            read = self._read_one(run, image, choice, "image", min_quality)
        box = self._face_boxes([read], image)[0]
        _require_quality(box, min_quality, "image")
        assert read.embedding is not None
        return box, read.embedding

    # -- use cases --------------------------------------------------------------------------------------------
    def detect(self, data: bytes, deadline: Deadline | None = None) -> DetectResponse:
        checked = self._precheck("image", data)
        with self.engine.slot(deadline, span) as run:
            image = self._decode(data, checked, "image", run)
            reading = run.read(image.pixels, "all", select=self._largest, quality=self.quality, scale=image.scale)
        faces = reading.found
        all_boxes = self._face_boxes(reading.faces, image)
        n = len(faces)
        boxes = [all_boxes[i] for i in self._fit(all_boxes, [r.face for r in reading.faces])]
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
        with self.engine.slot(deadline, span) as run:
            image = self._decode(data, checked, "image", run)
            read = self._read_one(run, image, choice, "image", min_quality)
        box = self._face_boxes([read], image)[0]
        _require_quality(box, min_quality, "image", "to enrol")
        vector = read.embedding
        assert vector is not None
        return ExtractResponse(embedding=vector.tolist(), confidence=box.score, embedding_size=int(vector.shape[0]),
                               box=box.box, landmarks=box.landmarks, quality=box.quality, pose=box.pose,
                               orientation=box.orientation)

    def _extract_all(self, data: bytes, checked: tuple[str, Header], deadline: Deadline | None) -> ExtractResponse:
        def largest(faces: list[Face], shape: tuple[int, ...]) -> list[Face]:
            if not faces:
                raise NoFace("No face detected in image.", field="image")
            return self._largest(faces, shape)

        with self.engine.slot(deadline, span) as run:
            image = self._decode(data, checked, "image", run)
            reading = run.read(image.pixels, "all", select=largest, embed="all", quality=self.quality,
                               scale=image.scale)
        kept = [r.face for r in reading.faces]
        boxes = self._face_boxes(reading.faces, image)
        items = [FaceEmbedding(**b.model_dump(), embedding=r.embedding.tolist())  # type: ignore[union-attr]
                 for b, r in zip(boxes, reading.faces, strict=True)]
        reserve = max(len(item.model_dump_json()) for item in items)  # the main face is repeated at the top level
        ids = self._fit(items, kept, reserve)
        first = items[max(ids, key=lambda i: kept[i].area)]
        n = len(reading.found)
        return ExtractResponse(embedding=first.embedding, confidence=first.score, embedding_size=len(first.embedding),
                               box=first.box, landmarks=first.landmarks, quality=first.quality, pose=first.pose,
                               orientation=first.orientation, faces=[items[i] for i in ids],
                               faces_truncated=len(ids) < n, face_count=n)

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
        with self.engine.slot(deadline, span) as run:
            image1 = self._decode(data1, checked1, "image1", run)
            image2 = self._decode(data2, checked2, "image2", run)
            read1 = self._read_one(run, image1, choice, "image1", min_quality)
            read2 = self._read_one(run, image2, choice, "image2", min_quality)
        box1, box2 = self._face_boxes([read1], image1)[0], self._face_boxes([read2], image2)[0]
        _require_quality(box1, min_quality, "image1")
        _require_quality(box2, min_quality, "image2")
        v1, v2 = read1.embedding, read2.embedding
        assert v1 is not None and v2 is not None
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
