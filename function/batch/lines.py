"""One JSON line per photo: what a batch job writes, locally and on AWS alike.

A line is a photo's answer or its error, never both; a bad photo is a line, never the end of the batch. The faces
are the service's own face model (schemas.FaceBox: box, score, landmarks, quality, pose and whatever the API adds)
with the embedding as base64 of 512 little-endian float32 (2,732 characters instead of ~5,500 as a JSON list; the
encoding /verify and /search accept). pgvector.py turns them into the text pgvector reads.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from function.errors import DeadlineExceeded, S3Unavailable, ServiceError
from function.models.roles import EMBEDDING_SIZE
from function.schemas import ExtractResponse, FaceBox

# Outcomes worth another try (S3 hiccup, a deadline met under load): the Lambda handler hands these photos back to
# the Map or the queue, and the CLI retries them when it resumes. Every other error is the photo's verdict.
TRANSIENT_CODES = frozenset({S3Unavailable.code, DeadlineExceeded.code})
# A photo whose transient error comes back this many tries in a row keeps it as its verdict (the line says `tries`):
# a photo that always exceeds its deadline must not hold its batch, or its SQS record, in retries for ever.
MAX_PHOTO_TRIES = 3


def encode_embedding(vector: Any) -> str:
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")


def decode_embedding(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text, validate=True), dtype="<f4")



class BatchFace(FaceBox):
    embedding: str = Field(description=f"base64 of {EMBEDDING_SIZE} little-endian float32, L2-normalised")


class PhotoError(BaseModel):
    code: str = Field(description="the error code the API would answer for this photo (README: Errors)")
    message: str


class PhotoLine(BaseModel):
    key: str = Field(description="the S3 key, or the path relative to the source folder")
    bucket: str | None = Field(default=None, description="S3 sources only")
    etag: str | None = Field(default=None, description="S3 sources only: the object's ETag, without quotes")
    size: int | None = Field(default=None, description="bytes")
    model: str = Field(description="the model pack: embeddings of different packs are not comparable")
    faces: list[BatchFace] | None = Field(default=None, description="the face asked for (face=...), or every face "
                                          "(all, in the API's order); absent on error")
    face_count: int | None = Field(default=None, description="with all: the faces found")
    faces_truncated: bool | None = Field(default=None, description="with all: more faces than one answer carries")
    error: PhotoError | None = None
    tries: int | None = Field(default=None, description="a transient error's tries so far; at MAX_PHOTO_TRIES "
                              "the error is final")

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def transient(self) -> bool:
        """An error worth another try: a transient code, tried fewer than MAX_PHOTO_TRIES times."""
        return self.error is not None and self.error.code in TRANSIENT_CODES and (self.tries or 1) < MAX_PHOTO_TRIES

    def tried(self, tries: int) -> PhotoLine:
        """This line after `tries` tries: a transient error records them (and is final from MAX_PHOTO_TRIES on)."""
        if self.error is None or self.error.code not in TRANSIENT_CODES:
            return self
        error = self.error
        if tries >= MAX_PHOTO_TRIES:
            error = PhotoError(code=error.code, message=f"{error.message} (gave up after {tries} tries)")
        return self.model_copy(update={"tries": tries, "error": error})

    def json_line(self) -> str:
        return self.model_dump_json(exclude_none=True) + "\n"

    @classmethod
    def answer(cls, base: dict[str, Any], response: ExtractResponse) -> PhotoLine:
        if response.faces is not None:  # all=true: every face the answer carries
            faces = [BatchFace(**{**f.model_dump(exclude={"embedding"}), "embedding": encode_embedding(f.embedding)})
                     for f in response.faces]
            return cls(**base, faces=faces, face_count=response.face_count,
                       faces_truncated=response.faces_truncated or None)
        # one face: the response's own fields of the face model (score is `confidence` at the top level)
        fields = {name: getattr(response, name) for name in FaceBox.model_fields if hasattr(response, name)}
        fields["score"] = response.confidence
        return cls(**base, faces=[BatchFace(**fields, embedding=encode_embedding(response.embedding))])

    @classmethod
    def failed(cls, base: dict[str, Any], exc: ServiceError) -> PhotoLine:
        return cls(**base, error=PhotoError(code=exc.code, message=exc.message))
