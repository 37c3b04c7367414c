"""tests/data stays what SOURCES.md says it is: every photo listed with its size and sha256, nothing unlisted, the
pairs and counts naming files that are there, the EXIF fixture showing its source upright."""

from __future__ import annotations

import hashlib
import re

import cv2
import numpy as np
from PIL import Image, ImageOps

from tests.support import read
from tests.support.photos import DATA, DATA_DIR, EXIF_ROTATED, EXIF_ROTATED_SOURCE

ROW = re.compile(r"^\| `([^`]+)` \| (\d+) \| ([0-9a-f]{16}) \|$", re.M)


def test_every_photo_is_listed_with_its_size_and_sha256() -> None:
    listed = {path: (int(size), sha) for path, size, sha in ROW.findall((DATA_DIR / "SOURCES.md").read_text())}
    present = {p.relative_to(DATA_DIR).as_posix(): p for p in DATA_DIR.rglob("*.jpg")}
    assert sorted(listed) == sorted(present)
    for path, (size, sha) in listed.items():
        data = present[path].read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()[:16]) == (size, sha), path
    assert sum(p.stat().st_size for p in DATA_DIR.rglob("*") if p.is_file()) < 2_000_000


def test_pairs_and_counts_name_files_that_are_there() -> None:
    assert DATA.lfw_pairs and all(p.image1.is_file() and p.image2.is_file() for p in DATA.lfw_pairs)
    assert {p.same for p in DATA.lfw_pairs} == {True, False}
    assert len(DATA.group_photos) == 9 and all(p.is_file() for p in DATA.group_photos)
    assert len(DATA.noface_photos) == 3


def test_the_exif_fixture_shows_its_source_upright() -> None:
    """What tests/data/derive.py made: a viewer applying the tag (Pillow) shows the source photo."""
    with Image.open(EXIF_ROTATED) as img:
        assert img.getexif().get(0x0112) == 6
        shown = cv2.cvtColor(np.asarray(ImageOps.exif_transpose(img).convert("RGB")), cv2.COLOR_RGB2BGR)
    source = read(EXIF_ROTATED_SOURCE)
    assert shown.shape == source.shape
    assert np.abs(shown.astype(np.int16) - source.astype(np.int16)).mean() < 3.0
