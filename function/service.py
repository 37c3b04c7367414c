"""The use cases behind the routes: bytes in, response models out. Decoding, face choice and the
same-person decision live here; the routes only read the request and the engine only does the models."""

from __future__ import annotations

import numpy as np

from function.engine import Face, FaceEngine, choose_face
from function.engine.quality import QualityThresholds, assess
from function.errors import FaceQualityError, InvalidRequest, MultipleFaces, NoFace, PackError, ServiceError
from function.imaging import DecodedImage, DecodeLimits, decode_image
from function.observability import span
from function.schemas import (
    CompareResponse,
    DetectResponse,
    ExtractResponse,
    FaceBox,
    FaceChoice,
    FaceEmbedding,
    FaceQuality,
    Pose,
    QualityMode,
    SearchMatch,
    SearchResponse,
    VerifyResponse,
)


def _confidence(similarity: float) -> float:
    """The original service's 0..100 scale: 50 x (1 + cosine similarity)."""
    return round(50.0 * (1.0 + similarity), 4)


class FaceService:
    def __init__(self, engine: FaceEngine, limits: DecodeLimits, threshold: float,
                 quality: QualityThresholds | None = None) -> None:
        if engine.pack is not None and engine.pack.timing_proxy:
            # Second line of defence after load_pack: a benchmark's proxy engine (random weights) never serves.
            raise PackError(f"model pack {engine.pack.name!r} is a timing proxy (random weights) and is never served")
        self.engine = engine
        self.limits = limits
        self.threshold = threshold
        self.quality = quality or QualityThresholds()

    # -- helpers ----------------------------------------------------------------------------------------------
    def _decode(self, data: bytes, field: str) -> DecodedImage:
        try:
            with span("decode"):
                return decode_image(data, self.limits)
        except ServiceError as exc:
            exc.field = field
            raise

    def _detect(self, pixels: np.ndarray, purpose: str) -> list[Face]:
        with span("detect"):
            return self.engine.detect(pixels, purpose=purpose)  # type: ignore[arg-type]

    def _embed(self, pixels: np.ndarray, faces: list[Face]) -> np.ndarray:
        with span("embed"):
            return self.engine.embed(pixels, faces)

    def _face_box(self, face: Face, image: DecodedImage) -> FaceBox:
        f = face.scaled(image.scale)
        box = np.clip(f.box, 0, [image.width, image.height, image.width, image.height])
        q = assess(image.pixels, face, self.quality, image.scale)
        return FaceBox(box=[round(float(v), 2) for v in box], score=round(face.score, 5),
                       landmarks=[[round(float(x), 2), round(float(y), 2)] for x, y in f.landmarks],
                       quality=FaceQuality(face_size=round(q.face_size, 1), sharpness=round(q.sharpness, 1),
                                           brightness=round(q.brightness, 1), usable=q.usable, reasons=list(q.reasons)),
                       pose=Pose(yaw=round(q.pose.yaw, 1), pitch=round(q.pose.pitch, 1), roll=round(q.pose.roll, 1)))

    def _unit(self, vector: np.ndarray) -> np.ndarray:
        """A stored embedding L2-normalised (the parser has refused zero and non-finite vectors)."""
        v = vector.astype(np.float32)
        return v / np.float32(np.linalg.norm(v))

    def _probe(self, data: bytes, choice: FaceChoice) -> tuple[FaceBox, np.ndarray]:
        image = self._decode(data, "image")
        face = self._one_face(image, choice, "image")
        return self._face_box(face, image), self._embed(image.pixels, [face])[0]

    def _one_face(self, image: DecodedImage, choice: FaceChoice, field: str) -> Face:
        faces = self._detect(image.pixels, purpose="one" if choice == "single" else "all")
        if not faces:
            raise NoFace(f"No face detected in {field}.", field=field)
        if len(faces) > 1:
            if choice == "single":
                raise MultipleFaces(f"Multiple faces detected in {field} ({len(faces)}); send a photo with one face "
                                    "or ask for ?face=largest.", field=field)
            return choose_face(faces, choice, image.pixels.shape)
        return faces[0]

    # -- use cases --------------------------------------------------------------------------------------------
    def detect(self, data: bytes) -> DetectResponse:
        image = self._decode(data, "image")
        faces = self._detect(image.pixels, purpose="all")
        n = len(faces)
        message = ("No face detected" if n == 0 else "Single face detected successfully" if n == 1
                   else f"Multiple faces detected ({n})")
        return DetectResponse(detected=n > 0, face_count=n, confidence=round(max((f.score for f in faces), default=0.0), 5),
                              message=message, faces=[self._face_box(f, image) for f in faces],
                              image_width=image.width, image_height=image.height)

    def extract(self, data: bytes, choice: FaceChoice = "single", all_faces: bool = False,
                min_quality: QualityMode = "none") -> ExtractResponse:
        if all_faces and min_quality != "none":
            raise InvalidRequest("min_quality=enrol judges the one face enrolled: drop all=true.", field="min_quality")
        image = self._decode(data, "image")
        if all_faces:
            faces = self._detect(image.pixels, purpose="all")
            if not faces:
                raise NoFace("No face detected in image.", field="image")
            vectors = self._embed(image.pixels, faces)
            items = [FaceEmbedding(**self._face_box(f, image).model_dump(), embedding=v.tolist())
                     for f, v in zip(faces, vectors, strict=True)]
            main = max(range(len(faces)), key=lambda i: faces[i].area)
            first = items[main]
            return ExtractResponse(embedding=first.embedding, confidence=first.score, embedding_size=len(first.embedding),
                                   box=first.box, landmarks=first.landmarks, quality=first.quality, pose=first.pose,
                                   faces=items)
        face = self._one_face(image, choice, "image")
        box = self._face_box(face, image)
        if min_quality == "enrol" and box.quality is not None and not box.quality.usable:
            reasons = box.quality.reasons
            raise FaceQualityError(f"The face is not good enough to enrol: {', '.join(reasons)}.", reasons, field="image")
        vector = self._embed(image.pixels, [face])[0]
        return ExtractResponse(embedding=vector.tolist(), confidence=box.score, embedding_size=int(vector.shape[0]),
                               box=box.box, landmarks=box.landmarks, quality=box.quality, pose=box.pose)

    def compare(self, data1: bytes, data2: bytes, choice: FaceChoice = "single") -> CompareResponse:
        image1 = self._decode(data1, "image1")
        image2 = self._decode(data2, "image2")
        face1 = self._one_face(image1, choice, "image1")
        face2 = self._one_face(image2, choice, "image2")
        v1 = self._embed(image1.pixels, [face1])[0]
        v2 = self._embed(image2.pixels, [face2])[0]
        similarity = float(np.clip(np.dot(v1, v2), -1.0, 1.0))
        return CompareResponse(similarity=round(similarity, 6), confidence=_confidence(similarity),
                               same_person=similarity >= self.threshold, threshold=self.threshold,
                               face1=self._face_box(face1, image1), face2=self._face_box(face2, image2))

    def verify(self, data: bytes, embedding: np.ndarray, choice: FaceChoice = "single") -> VerifyResponse:
        """The photo's face against one stored embedding (normalised here), on /compare's scale."""
        face, vector = self._probe(data, choice)
        similarity = float(np.clip(np.dot(vector, self._unit(embedding)), -1.0, 1.0))
        return VerifyResponse(similarity=round(similarity, 6), confidence=_confidence(similarity),
                              same_person=similarity >= self.threshold, threshold=self.threshold, face=face)

    def search(self, data: bytes, ids: list[str], gallery: np.ndarray, top_k: int,
               choice: FaceChoice = "single") -> SearchResponse:
        """The gallery's ids at or above the threshold, best first, each id once (its best entry), at most top_k."""
        face, vector = self._probe(data, choice)
        norms = np.linalg.norm(gallery, axis=1)
        similarities = np.clip((gallery @ vector) / norms, -1.0, 1.0)
        matches: list[SearchMatch] = []
        seen: set[str] = set()
        for i in np.argsort(-similarities, kind="stable"):
            s = float(similarities[i])
            if s < self.threshold or len(matches) >= top_k:
                break
            if ids[i] in seen:
                continue
            seen.add(ids[i])
            matches.append(SearchMatch(id=ids[i], similarity=round(s, 6), confidence=_confidence(s)))
        return SearchResponse(matches=matches, threshold=self.threshold, top_k=top_k, gallery_size=len(ids), face=face)
