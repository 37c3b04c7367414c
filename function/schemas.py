"""Response models (plain pydantic): the contract existing clients rely on, plus documented additions."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from function.decision import GalleryRule
from function.engine.config import Reason as QualityReason
from function.models.roles import EMBEDDING_SIZE

FaceChoice = Literal["single", "largest", "center"]
Orientation = Literal[0, 90, 180, 270]
ORIENTATION_TEXT = ("the turn, in degrees clockwise, applied to the image as sent (EXIF orientation applied) to read "
                    "this face upright: 0 = as sent, 90 = the image's top had gone to the left, 180 = upside down, "
                    "270 = the top had gone to the right. box and landmarks stay in the image as sent; pose is read in "
                    "the turned (upright) copy")
QualityMode = Literal["none", "enrol"]
_FAR_FIELD = ("with ?far= only: the per-pair false-accept rate the threshold holds, from the pack's calibration "
              "(on its grid: at most the FAR asked for)")
_CALIBRATION_FIELD = "with ?far= only: the calibration the threshold comes from (GET /health describes it)"


def _absent(value: object) -> bool:
    return value is None


class Pose(BaseModel):
    """Head pose in degrees, estimated from the five landmarks as read in the upright copy of the image (after the
    face's `orientation` turn; docs/quality.md, docs/orientation.md)."""

    yaw: float = Field(description="left/right turn; positive = face turned towards the image's right", examples=[-4.2])
    pitch: float = Field(description="up/down tilt; positive = face tilted up", examples=[-6.1])
    roll: float = Field(description="in-plane tilt of the eye line; positive = clockwise as seen", examples=[2.3])


class FaceQuality(BaseModel):
    """Measures of one face and the verdict of the quality thresholds (QUALITY_* settings, docs/quality.md)."""

    face_size: float = Field(description="the face box's shorter side, in pixels of the image as sent", examples=[182.5])
    sharpness: float = Field(description="variance of the Laplacian over the aligned 112x112 face crop's inner region "
                                         "(higher = sharper)", examples=[187.4])
    brightness: float = Field(description="mean grey level 0..255 over the same region", examples=[131.0])
    usable: bool = Field(description="every measure and the pose within the thresholds", examples=[True])
    reasons: list[QualityReason] = Field(default_factory=list, description="why the face is not usable (empty when it is)",
                                         examples=[[]])


class FaceBox(BaseModel):
    box: list[float] = Field(description="[x1, y1, x2, y2] in original image pixels (the orientation the user sees)")
    score: float = Field(description="detection score, 0..1")
    landmarks: list[list[float]] = Field(description="five [x, y] points: left eye, right eye, nose, mouth left, mouth right")
    quality: FaceQuality | None = Field(default=None, description="size, sharpness, brightness and the usable verdict")
    pose: Pose | None = Field(default=None, description="yaw, pitch, roll in degrees")
    orientation: Orientation = Field(default=0, description=ORIENTATION_TEXT, examples=[0])


class FaceEmbedding(FaceBox):
    embedding: list[float] = Field(description=f"{EMBEDDING_SIZE} floats, L2-normalised")


class DetectResponse(BaseModel):
    detected: bool
    face_count: int
    confidence: float = Field(description="highest detection score (0 when no face)")
    message: str
    faces: list[FaceBox] = Field(default_factory=list)
    image_width: int
    image_height: int
    faces_truncated: bool | None = Field(default=None, description="present (true) only when more faces were found "
                                         "than one answer carries (MAX_FACES, MAX_ANSWER_BYTES): `faces` then holds "
                                         "the largest ones and `face_count` all that were found")


class ExtractResponse(BaseModel):
    success: Literal[True] = True
    embedding: list[float] = Field(description=f"{EMBEDDING_SIZE} floats, L2-normalised: a dot product of two is their cosine similarity")
    confidence: float = Field(description="detection score of the face embedded")
    embedding_size: int
    box: list[float] = Field(description="[x1, y1, x2, y2] of the face embedded, original image pixels")
    landmarks: list[list[float]]
    quality: FaceQuality | None = Field(default=None, description="quality of the face embedded")
    pose: Pose | None = Field(default=None, description="pose of the face embedded")
    orientation: Orientation = Field(default=0, description="of the face embedded: " + ORIENTATION_TEXT, examples=[0])
    faces: list[FaceEmbedding] | None = Field(default=None, description="every face with its embedding (only with ?all=true)")
    faces_truncated: bool | None = Field(default=None, description="with ?all=true: true when more faces were found "
                                         "than one answer carries (MAX_FACES, MAX_ANSWER_BYTES); `faces` then holds "
                                         "the largest ones")
    face_count: int | None = Field(default=None, description="with ?all=true: the number of faces found")


class CompareResponse(BaseModel):
    success: Literal[True] = True
    similarity: float = Field(description="cosine similarity of the two embeddings, -1..1")
    confidence: float = Field(description="50 x (1 + similarity), the original service's scale: 0.95 -> 97.5")
    same_person: bool = Field(description="similarity >= threshold")
    threshold: float = Field(description="the decision threshold used (SIMILARITY_THRESHOLD, or the calibrated "
                                         "threshold for ?far=)")
    face1: FaceBox
    face2: FaceBox
    far: float | None = Field(default=None, exclude_if=_absent, description=_FAR_FIELD)
    calibration: str | None = Field(default=None, exclude_if=_absent, description=_CALIBRATION_FIELD)


class VerifyResponse(BaseModel):
    success: Literal[True] = True
    similarity: float = Field(description="cosine similarity of the photo's face and the stored embedding, -1..1 "
                                          "(the stored vector is L2-normalised first)", examples=[0.62])
    confidence: float = Field(description="50 x (1 + similarity), as /compare", examples=[81.0])
    same_person: bool = Field(description="similarity >= threshold", examples=[True])
    threshold: float = Field(description="the decision threshold used (SIMILARITY_THRESHOLD, or the calibrated "
                                         "threshold for ?far=)", examples=[0.27])
    face: FaceBox = Field(description="the face found in the photo")
    far: float | None = Field(default=None, exclude_if=_absent, description=_FAR_FIELD)
    calibration: str | None = Field(default=None, exclude_if=_absent, description=_CALIBRATION_FIELD)


class SearchMatch(BaseModel):
    id: str = Field(description="the gallery entry's id", examples=["alice"])
    similarity: float = Field(description="cosine similarity, -1..1; the best of the id's entries", examples=[0.58])
    confidence: float = Field(description="50 x (1 + similarity)", examples=[79.0])


class SearchResponse(BaseModel):
    success: Literal[True] = True
    matches: list[SearchMatch] = Field(description="ids whose similarity >= threshold, best first, at most top_k; "
                                                   "each id once")
    threshold: float = Field(description="the decision threshold used: the calibrated threshold for FPIR / "
                                         "gallery_size, never below the 1:1 threshold (threshold_rule)",
                             examples=[0.36])
    threshold_rule: GalleryRule = Field(description="how the threshold was chosen: 'fpir' read off the pack's "
                                          "calibration at per-pair FAR = fpir / gallery_size; 'floor' the 1:1 "
                                          "threshold (SIMILARITY_THRESHOLD) was stricter; 'uncalibrated' the pack "
                                          "has no calibration: the 1:1 threshold, FPIR unknown", examples=["fpir"])
    fpir: float | None = Field(description="the false-positive identification rate the threshold holds: a person "
                                           "not in the gallery is matched at most this often (SEARCH_FPIR or "
                                           "?fpir=); null when unknown (no calibration)", examples=[0.01])
    pair_far: float | None = Field(description="the per-pair false-accept rate at the threshold, from the "
                                               "calibration (fpir >= gallery_size x pair_far); null when unknown",
                                   examples=[1e-5])
    calibration: str | None = Field(description="the calibration the threshold comes from (GET /health "
                                                "describes it); null when the pack has none", examples=[
                                                    "buffalo_sc/fp32 LFW 2026-12-07"])
    top_k: int = Field(description="the most matches asked for", examples=[5])
    gallery_size: int = Field(description="entries in the gallery sent", examples=[100])
    face: FaceBox = Field(description="the face found in the photo")


class OperatingPointInfo(BaseModel):
    far: float = Field(description="target per-pair false-accept rate (?far=)")
    threshold: float = Field(description="cosine threshold fitted for it on half of the identities")
    tar: float = Field(description="true-accept rate at that threshold on the other half")


class CalibrationInfo(BaseModel):
    """The served pack's measured score curve (function/models/calibrations/), or `measured: false` and why."""

    measured: bool
    name: str | None = Field(default=None, description="named in /search answers and with ?far=")
    source: str = Field(description="data set, command, date and machine of the measurement; or why there is none")
    default_threshold_far: float | None = Field(default=None, description="per-pair FAR of the default threshold "
                                                "(SIMILARITY_THRESHOLD) over every impostor pair of the set")
    default_threshold_tar: float | None = None
    min_far: float | None = Field(default=None, description="the lowest FAR the calibration supports (?far= below: 422 "
                                  "BEYOND_CALIBRATION; /search: the largest gallery is search_fpir / min_far)")
    operating_points: list[OperatingPointInfo] = Field(default_factory=list)
    curve: list[list[float]] = Field(default_factory=list, description="[far, threshold] pairs, far "
                                             "descending: the lowest threshold whose FAR is at most far (fitted "
                                             "half); /search reads the threshold at far = fpir / entries here "
                                             "(docs/pgvector.md does the same in SQL)")
    search_fpir: float = Field(description="/search's default target FPIR (SEARCH_FPIR)")


class ThresholdSource(BaseModel):
    """Where `similarity_threshold` comes from: the served pack's declaration for the served precision
    (function/models/specs.py), measured or said to be unmeasured, or SIMILARITY_THRESHOLD set by the operator."""

    origin: Literal["pack", "setting"] = Field(description="`pack`: the pack's declared threshold; `setting`: "
                                                           "SIMILARITY_THRESHOLD")
    pack_threshold: float = Field(description="the pack's declared threshold for `precision` (what "
                                              "similarity_threshold is unless SIMILARITY_THRESHOLD is set)")
    precision: str = Field(description="the served precision the declared threshold is for")
    measured: bool = Field(description="whether a measurement here chose the pack's threshold (then measured_on, "
                                       "command, dataset, far and tar describe it)")
    source: str = Field(description="one sentence: SIMILARITY_THRESHOLD when set, and the pack's measurement "
                                    "(date, command, data set, rule, what it gave) or why there is none")
    measured_on: str | None = Field(default=None, description="date of the measurement, YYYY-MM-DD")
    command: str | None = None
    dataset: str | None = None
    far: float | None = Field(default=None, description="the pack's threshold's false-accept rate on that data set")
    tar: float | None = Field(default=None, description="its true-accept rate there")


class ModelInfo(BaseModel):
    role: str
    file: str
    bytes: int
    sha256: str = Field(description="first 12 hex digits")
    precision: str = Field("fp32", description="fp32, or int8 for a variant quantized locally (MODEL_PRECISION)")


class HealthStatus(BaseModel):
    """GET /health's answer to a caller without a valid x-api-key while API_KEY is set: up or down only."""

    status: Literal["healthy", "unhealthy"]


class HealthResponse(BaseModel):
    status: Literal["healthy", "unhealthy"]
    model: str
    model_loaded: bool
    version: str
    models: list[ModelInfo] = Field(default_factory=list)
    providers: list[str] = Field(default_factory=list)
    threads: int = 0
    similarity_threshold: float | None = None
    similarity_threshold_source: ThresholdSource | None = Field(default=None, description="where "
                                                                "similarity_threshold comes from")
    calibration: CalibrationInfo | None = Field(default=None, description="what the thresholds mean in false accepts, "
                                                "measured for the served pack and precision, or why not")
    error: str | None = None


class ErrorResponse(BaseModel):
    success: Literal[False] = False
    error: str = Field(description="a sentence a person understands")
    code: str = Field(description="machine code, e.g. INVALID_IMAGE, NO_FACE, MULTIPLE_FACES")
    field: str | None = Field(default=None, description="the request field the error is about, where there is one")
    reasons: list[QualityReason] | None = Field(default=None, description="FACE_QUALITY only: why the face was refused")
