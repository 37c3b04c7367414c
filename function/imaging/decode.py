"""Checked image bytes -> pixels: one decode per image (reduced inside the decoder for a JPEG, by INTER_AREA right
after decoding for the others), conversion to 8-bit BGR at that reduced size in integer arithmetic (alpha over
white, 16-bit's top byte), EXIF orientation applied. `decode_image` runs `precheck` first, unless handed its result
(the service prechecks before waiting for a decoding slot, and the header is parsed once)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from function.errors import ImageTooLarge, ImageTooSmall, InvalidImage
from function.imaging.headers import DEFAULT_LIMITS, Header, exif_orientation, precheck
from function.limits import DecodeLimits


@dataclass(frozen=True)
class DecodedImage:
    pixels: np.ndarray  # BGR uint8, HxWx3, in the orientation the user sees
    width: int  # original width in the user's orientation
    height: int
    format: str
    scale: float  # original pixels per decoded pixel (1.0 unless decoded reduced)


def apply_orientation(img: np.ndarray, orientation: int) -> np.ndarray:
    """Pixels as a viewer shows them, for EXIF orientation 1..8."""
    if orientation == 2:
        return img[:, ::-1]
    if orientation == 3:
        return img[::-1, ::-1]
    if orientation == 4:
        return img[::-1]
    if orientation == 5:
        return img.swapaxes(0, 1)
    if orientation == 6:
        return cv2.rotate(img, cv2.ROTATE_90_CLOCKWISE)
    if orientation == 7:
        return img[::-1, ::-1].swapaxes(0, 1)
    if orientation == 8:
        return cv2.rotate(img, cv2.ROTATE_90_COUNTERCLOCKWISE)
    return img



def _reduce_factor(width: int, height: int, min_side: int) -> int:
    long_side = max(width, height)
    for factor in (8, 4, 2):
        if long_side // factor >= min_side:
            return factor
    return 1


_REDUCED = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4, 8: cv2.IMREAD_REDUCED_COLOR_8}


def _to_bgr8(img: np.ndarray) -> np.ndarray:
    """8-bit BGR from 8/16/32/64-bit gray, BGR or BGRA, in integer arithmetic (the callers pass frames already
    reduced): 16-bit keeps its top 8 bits, alpha is composited over white (as a viewer shows it)."""
    if img.dtype == np.uint16:
        img = (img >> 8).astype(np.uint8)
    elif img.dtype != np.uint8:
        img = np.asarray(cv2.normalize(img, np.empty(img.shape, np.uint8), 0, 255, cv2.NORM_MINMAX, dtype=cv2.CV_8U))
    if img.ndim == 2 or img.shape[2] == 1:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    if img.shape[2] == 2:  # gray + alpha
        return _over_white(cv2.cvtColor(img[:, :, 0], cv2.COLOR_GRAY2BGR), img[:, :, 1])
    if img.shape[2] == 4:
        return _over_white(img[:, :, :3], img[:, :, 3])
    return img


def _over_white(bgr: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """(bgr * a + 255 * (255 - a)) / 255, rounded, in uint16 (no float copy)."""
    a = alpha[:, :, None].astype(np.uint16)
    out = bgr.astype(np.uint16) * a
    out += (255 - a) * 255
    out += 127
    out //= 255
    return out.astype(np.uint8)


def _decode_reduced(buf: np.ndarray, limits: DecodeLimits, fmt: str, data: bytes) -> tuple[np.ndarray, float, int, int]:
    """(BGR pixels, scale, width, height in the user's orientation) for a non-JPEG: one decode keeping alpha and
    bit depth (a BMP as BGR: its fourth byte is rarely a real alpha), then a frame larger than the reduced-decode
    size is shrunk by an integer factor (INTER_AREA) before any conversion, and EXIF orientation applied (OpenCV
    skips it in this mode)."""
    pixels = cv2.imdecode(buf, cv2.IMREAD_COLOR if fmt == "bmp" else cv2.IMREAD_UNCHANGED)
    if pixels is None or pixels.size == 0:
        raise InvalidImage("The image could not be decoded (corrupt or truncated).")
    full_h, full_w = pixels.shape[:2]
    factor = _reduce_factor(full_w, full_h, limits.reduced_decode_min_side)
    if factor > 1:
        size = (max(1, full_w // factor), max(1, full_h // factor))
        pixels = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
    orientation = exif_orientation(data, fmt)
    pixels = apply_orientation(_to_bgr8(pixels), orientation)
    width, height = (full_h, full_w) if orientation in (5, 6, 7, 8) else (full_w, full_h)
    return pixels, max(width, height) / max(pixels.shape[:2]), width, height


def decode_image(data: bytes, limits: DecodeLimits = DEFAULT_LIMITS,
                 checked: tuple[str, Header] | None = None) -> DecodedImage:
    """Pixels of `data`. `checked` is what precheck(data, limits) returned for these very bytes (the service runs it
    before waiting for a decoding slot): given, the header is not parsed a second time."""
    fmt, header = checked if checked is not None else precheck(data, limits)
    declared = (header.width, header.height)
    buf = np.frombuffer(data, dtype=np.uint8)
    try:
        if fmt == "jpeg":
            factor = _reduce_factor(*declared, limits.reduced_decode_min_side)
            pixels = cv2.imdecode(buf, _REDUCED[factor])  # OpenCV applies a JPEG's EXIF orientation itself
            if pixels is None or pixels.size == 0:
                raise InvalidImage("The image could not be decoded (corrupt or truncated).")
            pixels = _to_bgr8(pixels)
            dec_h, dec_w = pixels.shape[:2]
            if factor > 1:
                scale = max(declared) / max(dec_w, dec_h)
                width, height = (declared if (dec_w >= dec_h) == (declared[0] >= declared[1]) else declared[::-1])
            else:
                scale, width, height = 1.0, dec_w, dec_h
        else:
            pixels, scale, width, height = _decode_reduced(buf, limits, fmt, data)
    except cv2.error as exc:
        raise InvalidImage("The image could not be decoded (corrupt or truncated).") from exc
    if min(width, height) < limits.min_image_side:
        raise ImageTooSmall(f"The image is {width}x{height} pixels; each side must be at least "
                            f"{limits.min_image_side} pixels.")
    if width * height > limits.max_image_pixels:
        raise ImageTooLarge(f"The image has {width}x{height} pixels, more than the limit of "
                            f"{limits.max_image_pixels:,} pixels.")
    return DecodedImage(np.ascontiguousarray(pixels), int(width), int(height), fmt, float(scale))
