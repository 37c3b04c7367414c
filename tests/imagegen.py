"""Build real image bytes for tests: re-encodings of real photos, EXIF orientation tags."""

from __future__ import annotations

import struct
from pathlib import Path

import cv2
import numpy as np


def encode(image: np.ndarray, ext: str = ".jpg", params: list[int] | None = None) -> bytes:
    ok, buf = cv2.imencode(ext, image, params or [])
    assert ok, ext
    return buf.tobytes()


def with_exif_orientation(jpeg: bytes, orientation: int) -> bytes:
    """The JPEG with an APP1 Exif segment whose IFD0 holds Orientation (tag 0x0112) = `orientation`."""
    assert jpeg[:2] == b"\xff\xd8"
    ifd = struct.pack(">H", 1) + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(">I", 0)
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + ifd
    payload = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def stored_for_orientation(viewed: np.ndarray, orientation: int) -> np.ndarray:
    """The pixels a camera stores so that a viewer applying EXIF `orientation` shows `viewed`."""
    inverse = {1: lambda a: a, 2: lambda a: cv2.flip(a, 1), 3: lambda a: cv2.rotate(a, cv2.ROTATE_180),
               4: lambda a: cv2.flip(a, 0), 5: lambda a: cv2.transpose(a),
               6: lambda a: cv2.rotate(a, cv2.ROTATE_90_COUNTERCLOCKWISE),
               7: lambda a: cv2.rotate(cv2.transpose(a), cv2.ROTATE_180),
               8: lambda a: cv2.rotate(a, cv2.ROTATE_90_CLOCKWISE)}
    return np.ascontiguousarray(inverse[orientation](viewed))


def read(path: Path) -> np.ndarray:
    image = cv2.imread(str(path))
    assert image is not None, path
    return image
