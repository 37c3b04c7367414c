"""Writes tests/data/exif/dlib_2008_001009_orientation6.jpg: group/dlib_2008_001009.jpg stored as a camera held
sideways would store it (pixels turned 90 degrees counter-clockwise) with EXIF Orientation 6, so that a viewer that
applies the tag shows the original upright photo. Re-encoded by OpenCV at JPEG quality 95; the tag is inserted
without touching the pixels (tests/support.py). Run: python -m tests.data.derive"""

from __future__ import annotations

import cv2

from tests.photos import EXIF_ROTATED, EXIF_ROTATED_SOURCE
from tests.support import encode, read, stored_for_view, with_exif_orientation

ORIENTATION = 6


def derive() -> bytes:
    stored = stored_for_view(read(EXIF_ROTATED_SOURCE), ORIENTATION)
    return with_exif_orientation(encode(stored, ".jpg", [cv2.IMWRITE_JPEG_QUALITY, 95]), ORIENTATION)


if __name__ == "__main__":
    EXIF_ROTATED.parent.mkdir(exist_ok=True)
    EXIF_ROTATED.write_bytes(derive())
    print(EXIF_ROTATED, EXIF_ROTATED.stat().st_size, "bytes")
