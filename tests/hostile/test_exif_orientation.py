"""EXIF orientations 1-8 on a real face photo, in JPEG (OpenCV applies the tag), PNG (eXIf) and WebP (EXIF)
(applied by function/imaging/): the pixels are those a viewer shows (Pillow's exif_transpose is the oracle)
and the detected box lands where the face is in that view."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageOps

from function.imaging import DecodeLimits, decode_image
from tests.support import encode, stored_for_view
from tests.support import hostile_inputs as h

ORIENTATIONS = range(1, 9)
FORMATS = ("JPEG", "PNG", "PNG-RGBA", "PNG-GRAY16", "WEBP")


def _viewer(data: bytes) -> np.ndarray:
    """What an EXIF-aware viewer shows (Pillow), as BGR."""
    img = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    if img.mode.startswith("I;16"):
        return cv2.cvtColor((np.asarray(img).astype(np.uint16) >> 8).astype(np.uint8), cv2.COLOR_GRAY2BGR)
    return cv2.cvtColor(np.asarray(img.convert("RGB")), cv2.COLOR_RGB2BGR)


@pytest.fixture(scope="module")
def reference_box(client: TestClient) -> list[float]:
    r = client.post("/detect", files={"image": ("v.png", encode(h.face_pixels(), ".png"), "image/png")}).json()
    assert r["face_count"] == 1
    return r["faces"][0]["box"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("orientation", ORIENTATIONS)
def test_decoded_pixels_are_the_viewers(fmt: str, orientation: int) -> None:
    data = h.with_exif(stored_for_view(h.face_pixels(), orientation), fmt, orientation)
    got = decode_image(data, DecodeLimits())
    want = _viewer(data)
    assert got.pixels.shape == want.shape
    assert (got.width, got.height) == (want.shape[1], want.shape[0])
    diff = np.abs(got.pixels.astype(np.int16) - want.astype(np.int16))
    assert diff.mean() < (3.0 if fmt == "JPEG" else 0.01)  # decoders differ slightly on JPEG only


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("orientation", ORIENTATIONS)
def test_box_lands_on_the_face_as_the_user_sees_it(client: TestClient, reference_box: list[float], fmt: str,
                                                   orientation: int) -> None:
    view = h.face_pixels()
    data = h.with_exif(stored_for_view(view, orientation), fmt, orientation)
    r = client.post("/detect", files={"image": ("p.img", data, "application/octet-stream")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["image_width"], body["image_height"]) == (view.shape[1], view.shape[0])
    assert body["face_count"] == 1
    box = body["faces"][0]["box"]
    assert max(abs(a - b) for a, b in zip(box, reference_box, strict=True)) < 6, (box, reference_box)
    # eyes above the mouth in the user's view: the face is upright there
    lm = body["faces"][0]["landmarks"]
    assert max(lm[0][1], lm[1][1]) < min(lm[3][1], lm[4][1])


def test_reduced_jpeg_decode_keeps_orientation(client: TestClient) -> None:
    """A large JPEG (decoded at 1/2) with orientation 6: sizes and box come back in original, rotated pixels."""
    view = cv2.resize(h.face_pixels(), None, fx=8, fy=8, interpolation=cv2.INTER_CUBIC)  # 1864x2296
    data = h.with_exif(stored_for_view(view, 6), "JPEG", 6)
    small = client.post("/detect", files={"image": ("s.png", encode(h.face_pixels(), ".png"), "image/png")}).json()
    big = client.post("/detect", files={"image": ("b.jpg", data, "image/jpeg")}).json()
    assert (big["image_width"], big["image_height"]) == (view.shape[1], view.shape[0])
    assert big["face_count"] == 1
    want = [v * 8 for v in small["faces"][0]["box"]]
    assert max(abs(a - b) for a, b in zip(big["faces"][0]["box"], want, strict=True)) < 48  # 6 px at the small scale
