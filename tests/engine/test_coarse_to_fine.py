"""Coarse-to-fine detection (issue #6) costs nothing in accuracy: on the shared photos, every face a one-face
request gets from the cheap path (coarse pass, or the close-up shortcut) matches the full path's face (cosine of
the embeddings >= 0.99); where the full pass runs, the answer is the full path's; /detect is untouched."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from function.api.app import create_app
from function.engine import Face, FaceEngine, ensure_bgr
from function.imaging import DecodeLimits, decode_image
from tests.support import iou
from tests.support.photos import DATA, wheel_photo, wheel_photos

MIN_COSINE = 0.99
ALL_PHOTOS = DATA.group_photos + wheel_photos() + DATA.lfw_images + DATA.noface_photos


@cache
def pixels(path: Path) -> np.ndarray:
    return ensure_bgr(decode_image(path.read_bytes(), DecodeLimits()).pixels)


def same_faces(a: list[Face], b: list[Face]) -> bool:
    return len(a) == len(b) and all(np.allclose(f.box, g.box) and np.allclose(f.landmarks, g.landmarks)
                                    for f, g in zip(a, b, strict=True))


@pytest.fixture(scope="module")
def coarse_off(engine: FaceEngine) -> FaceEngine:
    """The same sessions with coarse-to-fine off (COARSE_DET_SIZE=0) and no padded pass first (the full path)."""
    return FaceEngine(engine.detector, engine.recognizer,
                      replace(engine.config, coarse_det_size=0, closeup_small_side=0), engine.pack, engine.report)


@pytest.mark.parametrize("path", ALL_PHOTOS, ids=lambda p: p.name)
def test_one_face_path_matches_full_path(engine: FaceEngine, coarse_off: FaceEngine, path: Path) -> None:
    image = pixels(path)
    one, how = engine.detect_traced(image, "one")
    full = coarse_off.detect(image, "one")
    assert same_faces(full, engine.detect(image, "all")), "with coarse off, purpose='one' is the full path"
    if how in ("full", "full+closeup"):
        assert same_faces(one, full)
        return
    assert full, f"the {how} pass found a face the full path does not"
    for face in one:
        match = max(full, key=lambda g: iou(face.box, g.box))
        assert iou(face.box, match.box) >= 0.5
        v = engine.embed(image, [face, match])
        assert float(v[0] @ v[1]) >= MIN_COSINE, f"{how} pass embedding drifts from the full path's"


def test_cheap_paths_are_taken(engine: FaceEngine) -> None:
    """The parity above is not vacuous: the portrait is settled by the coarse pass alone, the LFW close-ups by the
    padded pass alone (or the coarse pass, then the padded one), and a photo of several faces is never taken from the
    coarse pass."""
    assert engine.detect_traced(pixels(wheel_photo("yaoming.jpg")), "one")[1] == "coarse"
    shortcut = [engine.detect_traced(pixels(p), "one")[1] for p in DATA.lfw_images]
    assert sum(how == "padded" for how in shortcut) >= 0.8 * len(shortcut), shortcut  # one pass: the padded one
    assert sum(how in ("padded", "closeup") for how in shortcut) >= 0.9 * len(shortcut), shortcut
    for path in DATA.group_photos + wheel_photos()[:2] + DATA.noface_photos:
        assert engine.detect_traced(pixels(path), "one")[1] != "coarse", path.name


def test_detect_route_counts_unchanged(settings, engine: FaceEngine, coarse_off: FaceEngine, client: TestClient) -> None:
    counts = DATA.group_counts
    with TestClient(create_app(settings, engine=coarse_off)) as off:
        for path in DATA.group_photos + wheel_photos():
            files = {"image": (path.name, path.read_bytes(), "image/jpeg")}
            on_count = client.post("/detect", files=files).json()["face_count"]
            assert on_count == off.post("/detect", files=files).json()["face_count"], path.name
            if path.name in counts:
                assert on_count >= counts[path.name], path.name


def test_routes_agree_with_coarse_off(settings, coarse_off: FaceEngine, client: TestClient) -> None:
    portrait = wheel_photo("yaoming.jpg")
    _, a, b, _ = next(p for p in DATA.lfw_pairs if p.same)
    with TestClient(create_app(settings, engine=coarse_off)) as off:
        for path in (portrait, a):
            files = {"image": (path.name, path.read_bytes(), "image/jpeg")}
            v_on = np.array(client.post("/extract-embedding", files=files).json()["embedding"])
            v_off = np.array(off.post("/extract-embedding", files=files).json()["embedding"])
            assert float(v_on @ v_off) >= MIN_COSINE, path.name
        files = {"image1": (a.name, a.read_bytes(), "image/jpeg"), "image2": (b.name, b.read_bytes(), "image/jpeg")}
        on = client.post("/compare", files=files).json()
        assert on["similarity"] == pytest.approx(off.post("/compare", files=files).json()["similarity"], abs=0.01)
