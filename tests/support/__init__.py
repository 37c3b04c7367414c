"""Helpers shared by the tests and the benchmark scripts: image bytes, EXIF orientation, box overlap, a free port.
One definition each (photos and where they live: tests/support/photos.py; hostile inputs: tests/support/hostile_inputs.py)."""

from __future__ import annotations

import socket
import struct
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np


def encode(image: np.ndarray, ext: str = ".jpg", params: list[int] | None = None) -> bytes:
    """`image` encoded by OpenCV as `ext` (".jpg", ".png", ...)."""
    ok, buf = cv2.imencode(ext, image, params or [])
    assert ok, ext
    return buf.tobytes()


def read(path: Path) -> np.ndarray:
    """A photo as BGR pixels (OpenCV, which applies a JPEG's EXIF orientation)."""
    image = cv2.imread(str(path))
    assert image is not None, path
    return image


def with_exif_orientation(jpeg: bytes, orientation: int) -> bytes:
    """The JPEG, pixels untouched, with an APP1 Exif segment whose IFD0 holds Orientation (0x0112) = `orientation`."""
    assert jpeg[:2] == b"\xff\xd8"
    ifd = struct.pack(">H", 1) + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(">I", 0)
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + ifd
    payload = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def stored_for_view(view: np.ndarray, orientation: int) -> np.ndarray:
    """The pixels a camera stores so that a viewer applying EXIF `orientation` shows `view` (numpy only, written
    from the EXIF spec independently of function/imaging/)."""
    stored = {
        1: lambda a: a,
        2: lambda a: a[:, ::-1],
        3: lambda a: np.rot90(a, 2),
        4: lambda a: a[::-1],
        5: lambda a: a.swapaxes(0, 1),
        6: lambda a: np.rot90(a, 1),  # the viewer rotates 90 degrees clockwise
        7: lambda a: np.rot90(a, 2).swapaxes(0, 1),
        8: lambda a: np.rot90(a, -1),  # the viewer rotates 90 degrees counter-clockwise
    }
    if orientation not in stored:
        raise ValueError(orientation)
    return np.ascontiguousarray(stored[orientation](view))


def iou(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float:
    """Intersection over union of two boxes (x1, y1, x2, y2)."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return float(inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
