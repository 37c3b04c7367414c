"""Every limit of a request, written here once: a new limit goes here.

Limits an operator may change are fields of the dataclasses below (their defaults are the service's defaults;
function/config.py exposes each as a setting, and the OpenAPI text quotes these defaults, never one deployment's
values). Bounds that are not settings are the module constants after them. Imports nothing heavy, so that the
settings can be read before OpenCV or ONNX Runtime load.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RequestLimits:
    """What a request may bring and how long it may take."""

    max_upload_bytes: int = 10 * 1024 * 1024  # request body
    max_s3_bytes: int = 15 * 1024 * 1024  # one s3:// object (checked from HeadObject)
    max_gallery_size: int = 1000  # /search inline gallery entries; fits Lambda's 6 MB request (docs/search.md)
    request_deadline_s: float = 10.0  # from arrival to answer


@dataclass(frozen=True)
class AnswerLimits:
    """How much one answer may hold: past either, the largest faces are kept and `faces_truncated` is set."""

    max_faces: int = 100  # faces per answer (/detect, /extract-embedding?all=true)
    max_answer_bytes: int = 4_000_000  # JSON; Lambda's response limit is 6 MB with its envelope and escaping


@dataclass(frozen=True)
class DecodeLimits:
    """What an image may declare and how it is decoded."""

    max_image_pixels: int = 40_000_000
    min_image_side: int = 32
    reduced_decode_min_side: int = 960  # a large image is decoded/reduced at 1/2, 1/4 or 1/8 while its long side stays >= this

    @property
    def decode_budget_bytes(self) -> int:
        """What one decode may hold: 6 bytes per pixel at the pixel limit (240 MB at 40 MP). OpenCV 5's imdecode
        holds a full-size frame twice at its peak (measured for PNG, WebP, TIFF, BMP and unreduced JPEG), so a PNG,
        WebP, BMP or TIFF fits when 2 x its decoded samples do: 8-bit RGB up to 40 MP, RGBA 30 MP, 16-bit RGBA
        15 MP. A JPEG is decoded reduced; a progressive one buffers its coefficients (2-6 bytes per pixel)."""
        return self.max_image_pixels * 6


# -- request structure (function/api/inputs.py) ---------------------------------------------------------------
MAX_BOUNDARY = 70  # multipart boundary length, RFC 2046, section 5.1.1
# Parsed-structure bounds: a 10 MB body of empty multipart parts (1.2 M of them) held +300 MB once parsed, 10 MB of
# `{},` in JSON +270 MB (~77 bytes per object). No route needs more than a few parts; a /search gallery of 1,000
# entries is ~3,000 JSON objects, arrays and strings and ~520,000 values. At these caps a JSON body parses into at
# most ~80 MB of objects plus ~64 MB of numbers.
MAX_PARTS = 16
MAX_PART_HEADERS = 16
MAX_JSON_CONTAINERS = 1_000_000  # objects, arrays and strings (counted on the raw bytes, so an overestimate)
MAX_JSON_VALUES = 2_000_000

# -- stored embeddings (function/api/embeddings.py, /search)
MAX_ID_LENGTH = 256  # characters of a gallery entry's id
MAX_TOP_K = 100  # /search ?top_k

# -- the HTTP edge (function/api/middleware.py) ---------------------------------------------------------------
# Draining an unread request body after an early answer (plain HTTP): at most this much, for at most this long; a
# body declared larger is not drained at all (the connection closes after the answer).
DRAIN_MAX_BYTES = 64 * 1024 * 1024
DRAIN_MAX_S = 5.0
# On Lambda, the deadline leaves this much of the invocation's remaining time for the answer to get out.
LAMBDA_MARGIN_S = 1.0

# -- S3 input (function/s3read.py; the reserve: function/api/s3.py) ------------------------------------------
S3_CONNECT_TIMEOUT_S = 2.0
S3_READ_TIMEOUT_S = 3.0
S3_CHUNK_BYTES = 256 * 1024  # the body is read in chunks of this size, the deadline checked between them
S3_RESERVE_S = 2.0  # of the request's deadline, kept for decoding and the models after the fetch
