"""Response models (plain pydantic): the contract existing clients rely on, plus documented additions."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

FaceChoice = Literal["single", "largest", "center"]


class FaceBox(BaseModel):
    box: list[float] = Field(description="[x1, y1, x2, y2] in original image pixels (the orientation the user sees)")
    score: float = Field(description="detection score, 0..1")
    landmarks: list[list[float]] = Field(description="five [x, y] points: left eye, right eye, nose, mouth left, mouth right")


class FaceEmbedding(FaceBox):
    embedding: list[float] = Field(description="512 floats, L2-normalised")


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
    embedding: list[float] = Field(description="512 floats, L2-normalised: a dot product of two is their cosine similarity")
    confidence: float = Field(description="detection score of the face embedded")
    embedding_size: int
    box: list[float] = Field(description="[x1, y1, x2, y2] of the face embedded, original image pixels")
    landmarks: list[list[float]]
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
    threshold: float = Field(description="the decision threshold used (SIMILARITY_THRESHOLD)")
    face1: FaceBox
    face2: FaceBox


class ModelInfo(BaseModel):
    role: str
    file: str
    bytes: int
    sha256: str = Field(description="first 12 hex digits")


class HealthResponse(BaseModel):
    status: Literal["healthy", "unhealthy"]
    model: str
    model_loaded: bool
    version: str
    models: list[ModelInfo] = Field(default_factory=list)
    providers: list[str] = Field(default_factory=list)
    threads: int = 0
    similarity_threshold: float | None = None
    error: str | None = None


class ErrorResponse(BaseModel):
    success: Literal[False] = False
    error: str = Field(description="a sentence a person understands")
    code: str = Field(description="machine code, e.g. INVALID_IMAGE, NO_FACE, MULTIPLE_FACES")
    field: str | None = Field(default=None, description="the request field the error is about, where there is one")
