"""Turned group photos and crowds (issue #31), on the real buffalo_sc models: a synthetic crowd built here from the
repository's LFW crops (tests/data/lfw), turned each way without EXIF, is found again at every turn with no face of a
wrong orientation usable; one upside-down face scoring as upright does not settle a group photo; a face whose own
evidence disagrees with the image's turn (one upside down beside an upright group) is never usable."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from function.engine import FaceEngine
from function.engine.orientation import TURNS, points_back, turn_image
from function.engine.quality import QualityThresholds, assess_aligned
from function.engine.types import Face
from tests.support import read
from tests.support.crowds import Crowd, beside_upside_down, make_crowd, tile_of
from tests.support.photos import DATA

CROWDS = {
    "crowd": {"seed": 31, "width": 1920, "height": 1280, "count": 40, "tile": (60, 90)},
    "odd180": {"seed": 32, "width": 1440, "height": 1080, "count": 20, "tile": (90, 130), "odd_turn": 180,
               "odd_side": 150},
}


def as_sent(upright: np.ndarray, turn: int) -> np.ndarray:
    return np.ascontiguousarray(turn_image(upright, (360 - turn) % 360))


def upright_box(face: Face, turn: int, shape: tuple[int, ...]) -> np.ndarray:
    corners = points_back(face.box.reshape(2, 2), (360 - turn) % 360, width=shape[1], height=shape[0])
    return np.concatenate([corners.min(axis=0), corners.max(axis=0)])


@pytest.fixture(scope="module", params=list(CROWDS))
def crowd(request: pytest.FixtureRequest) -> Crowd:
    return make_crowd(DATA.lfw_images, **CROWDS[request.param], name=request.param)


def test_crowds_are_deterministic() -> None:
    a, b = (make_crowd(DATA.lfw_images, **CROWDS["odd180"]) for _ in range(2))
    assert np.array_equal(a.pixels, b.pixels) and a.tiles == b.tiles and a.odd is not None


@pytest.mark.parametrize("turn", TURNS)
def test_crowd_found_at_every_turn_and_no_wrong_face_usable(engine: FaceEngine, crowd: Crowd, turn: int) -> None:
    upright = {tile_of(crowd, f.box) for f in engine.detect(crowd.pixels, "all")} - {None}
    assert len(upright) >= 0.8 * (len(crowd.tiles) - (crowd.odd is not None))  # the crowd is a crowd to the detector
    image = as_sent(crowd.pixels, turn)
    faces = engine.detect(image, "all")
    tiles = [tile_of(crowd, upright_box(f, turn, crowd.pixels.shape)) for f in faces]
    found = len(upright & set(tiles))
    if crowd.odd is not None and turn == crowd.odd_turn and len(faces) == 1:
        # The known limit (docs/orientation.md): as sent, the odd face is the only upright one and the read sees it
        # alone, upright-typical: a one-face read settles the photo (searching every such read would cost every
        # one-person photo three more passes). That face is then the one answered, the right way up.
        assert tiles == [crowd.odd] and faces[0].orientation == 0
    else:
        assert found >= 0.9 * len(upright), (found, len(upright))
    want = [(turn - crowd.odd_turn) % 360 if t is not None and t == crowd.odd else turn for t in tiles]
    wrong = [f for f, w in zip(faces, want, strict=True) if f.orientation != w]
    quality = assess_aligned(engine.align(image, wrong), wrong, QualityThresholds(min_face_size=0)) if wrong else []
    assert not [q for q in quality if q.usable], quality  # none usable, even with no size floor
    assert sum(f.orientation == turn for f in faces) >= found


@pytest.mark.parametrize("turn", TURNS)
def test_one_strong_upside_down_face_does_not_settle_a_group(engine: FaceEngine, turn: int) -> None:
    """dlib_2008_007676 upside down: its best face reads 0.755 as sent. With the upright bar just under that, one
    face used to settle the photo as upright (the issue's 24-person photo, whose best upside-down face scored
    0.81); the faces of the read now vote, and the crop check of the strongest says no."""
    photo = read(DATA.group / "dlib_2008_007676.jpg")
    low = FaceEngine(engine.detector, engine.recognizer,
                     dataclasses.replace(engine.config, orientation_min_score=0.75))
    count = len(low.detect(photo, "all"))
    faces = low.detect(as_sent(photo, turn), "all")
    assert len(faces) >= count - 1
    assert {f.orientation for f in faces} == {turn}


@pytest.mark.parametrize("turn", TURNS)
@pytest.mark.parametrize("odd", DATA.lfw_images[:3], ids=lambda p: p.name)
def test_a_face_upside_down_among_upright_ones_is_never_usable(engine: FaceEngine, odd, turn: int) -> None:
    """A group photo with an LFW crop pasted beside it upside down (160 px: the read finds it, level, at 0.55-0.66),
    the whole turned each way: the group's faces take the image's turn, settled; the odd face, read with the
    group's turn, is unsettled by its own evidence (its crop reads better upside down), so never usable."""
    group = read(DATA.group / "dlib_2008_002470.jpg")
    width = group.shape[1]
    upright = beside_upside_down(group, read(odd))
    image = as_sent(upright, turn)
    faces = engine.detect(image, "all")
    boxes = [upright_box(f, turn, upright.shape) for f in faces]
    mates = [f for f, b in zip(faces, boxes, strict=True) if b[2] <= width]
    strays = [f for f, b in zip(faces, boxes, strict=True) if b[0] >= width]
    assert len(mates) >= DATA.group_counts["dlib_2008_002470.jpg"]
    assert all(f.orientation == turn and f.orientation_settled for f in mates)
    wrong = [f for f in strays if f.orientation != (turn + 180) % 360]
    assert all(not f.orientation_settled for f in wrong)
    quality = assess_aligned(engine.align(image, wrong), wrong, QualityThresholds()) if wrong else []
    assert all("orientation_uncertain" in q.reasons and not q.usable for q in quality)
