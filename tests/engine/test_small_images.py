"""Small images (long side <= CLOSEUP_SMALL_SIDE, 256 px: avatars, ID crops, LFW's 250x250 crops) are read padded
too (issue #19): a one-face request on a tight crop is settled by the padded pass alone, with the very face the
coarse-then-padded path found; and a face too large for the full pass is no longer lost when that pass finds a small
face beside it (before, the small face was the whole answer: the wrong person's embedding, confidently)."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from function.api.app import create_app
from function.engine import FaceEngine
from function.imaging import decode_image
from tests.support.photos import DATA, wheel_photo


@pytest.fixture(scope="module")
def before(engine: FaceEngine) -> FaceEngine:
    """The same sessions without the small-image rule (CLOSEUP_SMALL_SIDE=0): the path of main before issue #19."""
    return FaceEngine(engine.detector, engine.recognizer, dataclasses.replace(engine.config, closeup_small_side=0),
                      engine.pack, engine.report)


def crop_with_a_small_face(engine: FaceEngine, path) -> np.ndarray:
    """An LFW crop (its face fills the frame) with a 56 px wide face pasted in its bottom-left corner."""
    portrait = decode_image(wheel_photo("yaoming.jpg").read_bytes()).pixels
    x1, y1, x2, y2 = (int(v) for v in engine.detect(portrait)[0].box)
    face = portrait[max(0, y1 - 12):y2 + 12, max(0, x1 - 12):x2 + 12]  # the portrait's face, a little margin
    crop = decode_image(path.read_bytes()).pixels.copy()
    small = cv2.resize(face, (56, round(56 * face.shape[0] / face.shape[1])), interpolation=cv2.INTER_AREA)
    crop[crop.shape[0] - small.shape[0]:, :56] = small
    return crop


def test_a_tight_crop_is_settled_by_the_padded_pass_alone(engine: FaceEngine, before: FaceEngine) -> None:
    settled = 0
    for path in DATA.lfw_images:
        pixels = decode_image(path.read_bytes()).pixels
        faces, how = engine.detect_traced(pixels, "one")
        old, old_how = before.detect_traced(pixels, "one")
        if how == "padded":
            settled += 1
            assert old_how == "closeup", path.name  # the padded read the old path ended in, after the coarse pass
        assert len(faces) == len(old) == 1, path.name
        np.testing.assert_allclose(faces[0].landmarks, old[0].landmarks, atol=1e-3)
    assert settled >= 0.8 * len(DATA.lfw_images)


def test_a_frame_filling_face_is_not_lost_beside_a_small_one(engine: FaceEngine, before: FaceEngine) -> None:
    for path in DATA.lfw_images[:6]:
        pixels = crop_with_a_small_face(engine, path)
        old = before.detect(pixels, "all")
        assert [round(float(f.box[2] - f.box[0])) < 80 for f in old] == [True], path.name  # the defect, before
        for purpose in ("all", "one"):
            sides = sorted(float(f.box[2] - f.box[0]) for f in engine.detect(pixels, purpose))
            assert len(sides) == 2 and sides[0] < 80 and sides[1] > 150, (path.name, purpose, sides)


def test_largest_face_of_such_a_crop_is_the_subject(settings, engine: FaceEngine) -> None:
    path = DATA.lfw_images[0]
    _, png = cv2.imencode(".png", crop_with_a_small_face(engine, path))
    with TestClient(create_app(settings, engine=engine)) as client:
        files = {"image": ("c.png", png.tobytes(), "image/png")}
        largest = client.post("/extract-embedding?face=largest", files=files).json()
        single = client.post("/extract-embedding", files=files)
        detect = client.post("/detect", files=files).json()
    assert largest["box"][2] - largest["box"][0] > 150
    assert single.status_code == 422 and single.json()["code"] == "MULTIPLE_FACES"
    assert detect["face_count"] == 2
