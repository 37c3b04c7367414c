"""The bad-input matrix: one real request per case and the documented answer (status, code, field).
Shared by tests/hostile/test_bad_input.py (the answers) and tests/api/test_privacy.py (nothing leaks while answering)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tests.support import encode
from tests.support import hostile_inputs as h


@dataclass(frozen=True)
class Case:
    id: str
    route: str
    request: Callable[[], dict[str, Any]]  # keyword arguments for TestClient.request
    status: int
    code: str | None  # None: a success answer
    field: str | None = None
    method: str = "POST"
    faces_at_least: int = 0  # for success answers on /detect


def img(data: bytes, name: str = "image", filename: str = "photo.jpg", ctype: str = "image/jpeg") -> dict[str, Any]:
    return {"files": [(name, (filename, data, ctype))]}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _truncated_jpeg() -> bytes:
    data = h.face_jpeg()
    return data[: len(data) * 2 // 3]


def _truncated_png() -> bytes:
    data = encode(h.face_pixels(), ".png")
    return data[: len(data) // 2]


MATRIX: list[Case] = [
    Case("empty-body-multipart", "/detect", lambda: {"content": b"", "headers": {
        "content-type": "multipart/form-data; boundary=xyz"}}, 422, "MISSING_FIELD", "image"),
    Case("empty-body-no-content-type", "/detect", lambda: {"content": b""}, 415, "UNSUPPORTED_MEDIA_TYPE"),
    Case("empty-file", "/detect", lambda: img(b""), 400, "INVALID_IMAGE", "image"),
    Case("missing-field", "/detect", lambda: {"data": {"other": "x"}, "files": [("other_file", ("a.txt", b"x", "text/plain"))]},
         422, "MISSING_FIELD", "image"),
    Case("misnamed-field", "/detect", lambda: img(h.face_jpeg(), name="file"), 422, "MISSING_FIELD", "image"),
    Case("text-named-jpg", "/detect", lambda: img(b"hello, this is not an image\n" * 20), 400, "INVALID_IMAGE", "image"),
    Case("random-bytes-jpeg-magic", "/detect", lambda: img(b"\xff\xd8\xff\xe0" + np.random.default_rng(1).bytes(4000)),
         400, "INVALID_IMAGE", "image"),
    Case("truncated-jpeg", "/detect", lambda: img(_truncated_jpeg()), 400, "INVALID_IMAGE", "image"),
    Case("truncated-png", "/detect", lambda: img(_truncated_png(), filename="a.png", ctype="image/png"),
         400, "INVALID_IMAGE", "image"),
    Case("jpeg-garbage-appended", "/detect", lambda: img(h.face_jpeg() + b"GARBAGE" * 500), 200, None, faces_at_least=1),
    Case("1x1", "/detect", lambda: img(encode(np.zeros((1, 1, 3), np.uint8), ".png")), 400, "IMAGE_TOO_SMALL", "image"),
    Case("below-min-side", "/detect", lambda: img(encode(np.zeros((20, 400, 3), np.uint8), ".jpg")),
         400, "IMAGE_TOO_SMALL", "image"),
    Case("png-bomb-30000", "/detect", lambda: img(h.png_bomb(), filename="a.png"), 413, "IMAGE_TOO_LARGE", "image"),
    Case("jpeg-bomb-30000", "/detect", lambda: img(h.jpeg_bomb()), 413, "IMAGE_TOO_LARGE", "image"),
    Case("tiff-bomb-30000", "/detect", lambda: img(h.tiff_bomb(), filename="a.tif"), 413, "IMAGE_TOO_LARGE", "image"),
    Case("bmp-bomb-30000", "/detect", lambda: img(h.bmp_bomb(), filename="a.bmp"), 413, "IMAGE_TOO_LARGE", "image"),
    Case("animated-gif", "/detect", lambda: img(h.animated_gif(), filename="a.gif"), 415, "UNSUPPORTED_MEDIA_TYPE", "image"),
    Case("cmyk-jpeg", "/detect", lambda: img(h.cmyk_jpeg()), 200, None, faces_at_least=1),
    Case("png-16bit", "/detect", lambda: img(h.png16(), filename="a.png"), 200, None, faces_at_least=1),
    Case("grayscale-jpeg", "/detect", lambda: img(h.gray_jpeg()), 200, None, faces_at_least=1),
    Case("rgba-transparent-png", "/detect", lambda: img(h.rgba_transparent_png(), filename="a.png"), 200, None,
         faces_at_least=1),
    Case("heic", "/detect", lambda: img(h.heic_header(), filename="a.heic"), 415, "UNSUPPORTED_MEDIA_TYPE", "image"),
    Case("avif", "/detect", lambda: img(h.avif_header(), filename="a.avif"), 415, "UNSUPPORTED_MEDIA_TYPE", "image"),
    Case("svg", "/detect", lambda: img(h.SVG, filename="a.svg"), 415, "UNSUPPORTED_MEDIA_TYPE", "image"),
    Case("html", "/detect", lambda: img(h.HTML, filename="a.jpg"), 400, "INVALID_IMAGE", "image"),
    Case("pdf", "/detect", lambda: img(h.PDF, filename="a.pdf"), 415, "UNSUPPORTED_MEDIA_TYPE", "image"),
    Case("two-files-one-field", "/detect", lambda: {"files": [("image", ("a.jpg", h.face_jpeg(), "image/jpeg")),
                                                              ("image", ("b.jpg", h.face_jpeg(), "image/jpeg"))]},
         400, "DUPLICATE_FIELD", "image"),
    Case("wrong-content-type", "/detect", lambda: {"content": h.face_jpeg(), "headers": {"content-type": "image/jpeg"}},
         415, "UNSUPPORTED_MEDIA_TYPE"),
    Case("multipart-without-boundary", "/detect", lambda: {"content": b"x", "headers": {
        "content-type": "multipart/form-data"}}, 400, "INVALID_REQUEST"),
    Case("multipart-corrupt", "/detect", lambda: {"content": b"--xyz\r\nnot a header line\r\n\r\n--", "headers": {
        "content-type": "multipart/form-data; boundary=xyz"}}, 400, "INVALID_REQUEST"),
    Case("compare-one-image", "/compare", lambda: img(h.face_jpeg(), name="image1"), 422, "MISSING_FIELD", "image2"),
    Case("json-invalid-base64", "/detect", lambda: {"json": {"image": "not base64 at all!!"}}, 400, "INVALID_REQUEST",
         "image"),
    Case("json-base64-not-image", "/detect", lambda: {"json": {"image": b64(b"plain text")}}, 400, "INVALID_IMAGE", "image"),
    Case("json-data-url", "/detect", lambda: {"json": {"image": "data:image/jpeg;base64," + b64(h.face_jpeg())}},
         200, None, faces_at_least=1),
    Case("json-line-wrapped-base64", "/extract-embedding", lambda: {"json": {"image": "\n".join(
        b64(h.face_jpeg())[i:i + 76] for i in range(0, len(b64(h.face_jpeg())), 76))}}, 200, None),
    Case("json-not-json", "/detect", lambda: {"content": b"{image:", "headers": {"content-type": "application/json"}},
         400, "INVALID_REQUEST"),
    Case("json-array", "/detect", lambda: {"json": [1, 2]}, 400, "INVALID_REQUEST"),
    Case("json-image-not-string", "/detect", lambda: {"json": {"image": 42}}, 400, "INVALID_REQUEST", "image"),
    Case("json-missing-field", "/compare", lambda: {"json": {"image1": b64(h.face_jpeg())}}, 422, "MISSING_FIELD", "image2"),
    Case("json-s3-when-off", "/detect", lambda: {"json": {"image_s3": "s3://photos/a.jpg"}}, 403, "S3_BUCKET_NOT_ALLOWED",
         "image_s3"),
    Case("no-face", "/extract-embedding", lambda: img(encode(np.full((200, 200, 3), 90, np.uint8), ".jpg")),
         422, "NO_FACE", "image"),
    Case("several-faces", "/extract-embedding", lambda: img(h.wheel_photo("gdp.jpg").read_bytes()),
         422, "MULTIPLE_FACES", "image"),
    Case("bad-query-value", "/extract-embedding?face=biggest", lambda: img(h.face_jpeg()), 400, "INVALID_REQUEST", "face"),
    Case("wrong-method", "/detect", lambda: {}, 405, "METHOD_NOT_ALLOWED", method="GET"),
    Case("no-such-route", "/identify", lambda: img(h.face_jpeg()), 404, "NOT_FOUND"),
]
