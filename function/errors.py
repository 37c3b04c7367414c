"""Service errors: a machine code, an HTTP status and a sentence a person understands.

Kept free of any web framework so that the engine and the decoder can raise them; function/api/errors.py is the
one place that turns them into HTTP answers.
"""

from __future__ import annotations

from collections.abc import Sequence


class ServiceError(Exception):
    """Base class: every expected failure of a request carries a code and a status."""

    code = "INTERNAL_ERROR"
    status = 500

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class InvalidImage(ServiceError):
    code = "INVALID_IMAGE"
    status = 400


class ImageTooSmall(ServiceError):
    code = "IMAGE_TOO_SMALL"
    status = 400


class ImageTooLarge(ServiceError):
    """The image declares more pixels than MAX_IMAGE_PIXELS (refused from its header, before decoding)."""

    code = "IMAGE_TOO_LARGE"
    status = 413


class UnsupportedMediaType(ServiceError):
    code = "UNSUPPORTED_MEDIA_TYPE"
    status = 415


class PayloadTooLarge(ServiceError):
    code = "PAYLOAD_TOO_LARGE"
    status = 413


class MissingField(ServiceError):
    code = "MISSING_FIELD"
    status = 422


class InvalidRequest(ServiceError):
    code = "INVALID_REQUEST"
    status = 400


class NoFace(ServiceError):
    code = "NO_FACE"
    status = 422


class MultipleFaces(ServiceError):
    code = "MULTIPLE_FACES"
    status = 422


class ModelNotReady(ServiceError):
    code = "MODEL_NOT_READY"
    status = 503


class PackError(Exception):
    """A model pack is missing, incomplete, corrupt or not servable. Raised at start-up, never per request."""


class Unauthorized(ServiceError):
    code = "UNAUTHORIZED"
    status = 401


class S3NotAllowed(ServiceError):
    """S3 input is off (ALLOWED_S3_BUCKETS empty) or the bucket is not in ALLOWED_S3_BUCKETS."""

    code = "S3_BUCKET_NOT_ALLOWED"
    status = 403


class S3AccessDenied(ServiceError):
    code = "S3_ACCESS_DENIED"
    status = 403


class S3ObjectNotFound(ServiceError):
    code = "S3_OBJECT_NOT_FOUND"
    status = 404


class S3ObjectTooLarge(ServiceError):
    code = "S3_OBJECT_TOO_LARGE"
    status = 413


class S3Unavailable(ServiceError):
    code = "S3_UNAVAILABLE"
    status = 502


class FaceQualityError(ServiceError):
    """?min_quality=enrol and the face fails the quality thresholds; `reasons` says which."""

    code = "FACE_QUALITY"
    status = 422

    def __init__(self, message: str, reasons: Sequence[str], *, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.reasons = list(reasons)


class InvalidEmbedding(ServiceError):
    """A stored embedding sent to /verify or /search is malformed: wrong length, NaN/inf, all zeros, bad encoding."""

    code = "INVALID_EMBEDDING"
    status = 400


class InvalidGallery(ServiceError):
    """The /search gallery is not a non-empty list of {"id", "embedding"} entries."""

    code = "INVALID_GALLERY"
    status = 400


class GalleryTooLarge(ServiceError):
    code = "GALLERY_TOO_LARGE"
    status = 413
