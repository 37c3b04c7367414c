"""Decoding real photos: formats, EXIF orientation, reduced decode of large JPEGs (boxes in original pixels)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from function.imaging import DecodeLimits, decode_image, read_header, sniff_format
from tests.support import encode, iou, read, stored_for_view, with_exif_orientation
from tests.support.photos import wheel_photo

FACE = wheel_photo("yaoming.jpg")


def detect_boxes(client, data: bytes, name: str = "x.jpg") -> list[list[float]]:
    r = client.post("/detect", files={"image": (name, data, "application/octet-stream")})
    assert r.status_code == 200, r.text
    return [f["box"] for f in r.json()["faces"]]


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_rotated_photo_boxes_in_the_orientation_the_user_sees(client, orientation):
    viewed = read(FACE)
    upright = detect_boxes(client, encode(viewed))
    tagged = with_exif_orientation(encode(stored_for_view(viewed, orientation)), orientation)
    decoded = decode_image(tagged)
    assert (decoded.width, decoded.height) == (viewed.shape[1], viewed.shape[0])
    rotated = detect_boxes(client, tagged)
    assert len(rotated) == 1 and iou(rotated[0], upright[0]) >= 0.8


def test_large_jpeg_decoded_reduced_boxes_in_original_pixels(client):
    photo = read(wheel_photo("players.jpg"))  # 1237x800, 22 faces
    big = cv2.resize(photo, (4000, 3000), interpolation=cv2.INTER_CUBIC)
    data = encode(big, ".jpg", [cv2.IMWRITE_JPEG_QUALITY, 92])
    decoded = decode_image(data)
    assert decoded.scale == 4.0 and decoded.pixels.shape[:2] == (750, 1000)
    r = client.post("/detect", files={"image": ("big.jpg", data, "image/jpeg")}).json()
    assert r["image_width"] == 4000 and r["image_height"] == 3000
    small = client.post("/detect", files={"image": ("p.jpg", encode(photo), "image/jpeg")}).json()
    sx, sy = 4000 / 1237, 3000 / 800
    expected = [[b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy] for b in (f["box"] for f in small["faces"])]
    found = [f["box"] for f in r["faces"]]
    assert len(found) >= len(expected) - 1
    matched = [max(iou(e, f) for f in found) for e in expected]
    assert np.median(matched) >= 0.8


@pytest.mark.parametrize("ext", [".png", ".webp", ".bmp", ".tiff"])
def test_other_formats_give_the_same_face(client, ext):
    viewed = read(FACE)
    reference = detect_boxes(client, encode(viewed))
    boxes = detect_boxes(client, encode(viewed, ext), "x" + ext)
    assert len(boxes) == 1 and iou(boxes[0], reference[0]) >= 0.9


def test_grayscale_rgba_and_16bit(client):
    viewed = read(FACE)
    reference = detect_boxes(client, encode(viewed))[0]
    gray = cv2.cvtColor(viewed, cv2.COLOR_BGR2GRAY)
    rgba = cv2.cvtColor(viewed, cv2.COLOR_BGR2BGRA)
    deep = viewed.astype(np.uint16) * 257
    for data in (encode(gray), encode(gray, ".png"), encode(rgba, ".png"), encode(deep, ".png")):
        boxes = detect_boxes(client, data)
        assert len(boxes) == 1 and iou(boxes[0], reference) >= 0.9


def test_transparent_background_composited_over_white():
    rgba = np.zeros((64, 64, 4), dtype=np.uint8)
    rgba[16:48, 16:48] = (0, 0, 255, 255)
    pixels = decode_image(encode(rgba, ".png")).pixels
    assert tuple(pixels[0, 0]) == (255, 255, 255) and tuple(pixels[32, 32]) == (0, 0, 255)


def test_header_sizes_read_without_decoding():
    image = read(FACE)
    for ext in (".jpg", ".png", ".webp", ".bmp"):
        data = encode(image, ext)
        header = read_header(data, sniff_format(data))
        assert header is not None and (header.width, header.height) == (image.shape[1], image.shape[0]), ext


def test_limits():
    image = read(FACE)
    with pytest.raises(Exception) as small:
        decode_image(encode(image[:20, :20]))
    assert small.value.code == "IMAGE_TOO_SMALL"
    with pytest.raises(Exception) as large:
        decode_image(encode(image), DecodeLimits(max_image_pixels=1000))
    assert large.value.code == "IMAGE_TOO_LARGE"
