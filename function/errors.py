"""Service errors: each class is one documented error code, with its HTTP status and what it means.

A class is written once here (or, for errors that only HTTP routing can raise, in function/api/errors.py) and
registers itself: `error_codes()` is the table the OpenAPI description, the route docs and the README's error
table are built from or checked against. Kept free of any web framework so that the engine and the decoder can
raise them; function/api/errors.py is the one place that turns them into HTTP answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

_REGISTRY: dict[str, type[ServiceError]] = {}


class ServiceError(Exception):
    """Base class: every expected failure of a request carries a code, a status and a description.

    A subclass names its code and status as class keywords and its description (what the README, OpenAPI and the
    client's error classes show) as its docstring: `class NoFace(ServiceError, code="NO_FACE", status=422)`.
    A subclass without `code` is abstract; one without `status` inherits its parent's."""

    code: ClassVar[str] = "INTERNAL_ERROR"
    status: ClassVar[int] = 500
    description: ClassVar[str] = "a bug: reported without request data"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __init_subclass__(cls, *, code: str | None = None, status: int | None = None, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status = status
        if code is not None:
            if not cls.__doc__:
                raise TypeError(f"error class {cls.__qualname__} needs a docstring: its code's description")
            cls.code, cls.description = code, " ".join(cls.__doc__.split())
            known = _REGISTRY.get(cls.code)
            if known is not None and known.__qualname__ != cls.__qualname__:
                raise TypeError(f"error code {cls.code} is defined twice: {known.__qualname__}, {cls.__qualname__}")
            _REGISTRY[cls.code] = cls


_REGISTRY[ServiceError.code] = ServiceError


def error_codes() -> dict[str, tuple[int, str]]:
    """Every registered code -> (status, description), ordered by status then code."""
    return {code: (cls.status, cls.description)
            for code, cls in sorted(_REGISTRY.items(), key=lambda item: (item[1].status, item[0]))}


class InvalidImage(ServiceError, code="INVALID_IMAGE", status=400):
    """not a decodable image, or corrupt/truncated"""


class ImageTooSmall(ServiceError, code="IMAGE_TOO_SMALL", status=400):
    """an image side is below MIN_IMAGE_SIDE"""


class InvalidRequest(ServiceError, code="INVALID_REQUEST", status=400):
    """malformed body or parameter (bad multipart, bad JSON, bad base64, bad query value)"""


class DuplicateField(InvalidRequest, code="DUPLICATE_FIELD"):
    """one field holds several files"""


class Unauthorized(ServiceError, code="UNAUTHORIZED", status=401):
    """API_KEY is set and x-api-key is missing or wrong"""


class S3NotAllowed(ServiceError, code="S3_BUCKET_NOT_ALLOWED", status=403):
    """S3 input is off (ALLOWED_S3_BUCKETS empty) or the bucket is not in ALLOWED_S3_BUCKETS"""


class S3AccessDenied(ServiceError, code="S3_ACCESS_DENIED", status=403):
    """the bucket is allowed but S3 denied the read (IAM); S3 also answers this for a missing key when the role lacks s3:ListBucket"""


class S3ObjectNotFound(ServiceError, code="S3_OBJECT_NOT_FOUND", status=404):
    """the s3:// object does not exist"""


class PayloadTooLarge(ServiceError, code="PAYLOAD_TOO_LARGE", status=413):
    """request body over MAX_UPLOAD_BYTES"""


class ImageTooLarge(ServiceError, code="IMAGE_TOO_LARGE", status=413):
    """image declares more than MAX_IMAGE_PIXELS pixels (refused from its header)"""


class S3ObjectTooLarge(ServiceError, code="S3_OBJECT_TOO_LARGE", status=413):
    """the s3:// object is larger than MAX_S3_BYTES (refused from HeadObject)"""


class UnsupportedMediaType(ServiceError, code="UNSUPPORTED_MEDIA_TYPE", status=415):
    """Content-Type not multipart/form-data or application/json, or an image format not supported (GIF, HEIC, AVIF, SVG)"""


class MissingField(ServiceError, code="MISSING_FIELD", status=422):
    """a required field (image, image1, image2) is absent"""


class NoFace(ServiceError, code="NO_FACE", status=422):
    """no face found where one is required"""


class MultipleFaces(ServiceError, code="MULTIPLE_FACES", status=422):
    """several faces where one is required (use ?face=largest)"""


class S3Unavailable(ServiceError, code="S3_UNAVAILABLE", status=502):
    """S3 could not be reached or refused the read for another reason"""


class ModelNotReady(ServiceError, code="MODEL_NOT_READY", status=503):
    """the model pack failed to load"""


class DeadlineExceeded(ServiceError, code="DEADLINE_EXCEEDED", status=503):
    """not finished within the request deadline (REQUEST_DEADLINE_S; on Lambda also the invocation's remaining time): busy, or too costly an input; retry"""
    # The request could not be finished within its deadline: the service is busy, or the work outgrew the time
    # left. Nothing is half-answered; the answer carries Retry-After.


class RequestTimeout(ServiceError, code="REQUEST_TIMEOUT", status=408):
    """the request body did not arrive within the deadline (REQUEST_DEADLINE_S)"""


class ClientClosedRequest(ServiceError, code="CLIENT_CLOSED_REQUEST", status=499):
    """the client disconnected before its body arrived (logged only; nobody receives it)"""


class StartupError(Exception):
    """The service cannot start: the model pack did not load. Raised at start-up, never per request; the cause
    (a PackError, or whatever ONNX Runtime raised) is kept as __cause__ and named in the message."""


class PackError(StartupError):
    """A model pack is missing, incomplete, corrupt or not servable."""


class FaceQualityError(ServiceError, code="FACE_QUALITY", status=422):
    """?min_quality=enrol and the face is not usable; `reasons` lists why"""

    def __init__(self, message: str, reasons: Sequence[str], *, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.reasons = list(reasons)


class InvalidEmbedding(ServiceError, code="INVALID_EMBEDDING", status=400):
    """a stored embedding (/verify, /search) is not one of the served model's: as many finite numbers as its embeddings have (JSON list or base64 of little-endian float32), not all zeros"""


class InvalidGallery(ServiceError, code="INVALID_GALLERY", status=400):
    """the /search gallery is not a non-empty list of {id, embedding} entries"""


class GalleryTooLarge(ServiceError, code="GALLERY_TOO_LARGE", status=413):
    """the /search gallery has more than MAX_GALLERY_SIZE entries"""


class BeyondCalibration(ServiceError, code="BEYOND_CALIBRATION", status=422):
    """?far= or a /search gallery needs a false-accept rate that the served pack's measured calibration cannot support (below its measured range, or no curve for this pack: see /health's calibration)"""
