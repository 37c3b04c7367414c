"""Turned photos over HTTP (issue #16), real models: the answer says the turn, the embedding is the upright face's,
pose is read upright, an EXIF-turned photo is not turned twice, and a face whose orientation is not settled is
never usable and is refused for enrolment (orientation_uncertain)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient

from function.api.app import create_app
from function.config import Settings
from function.engine import FaceEngine
from function.engine.orientation import TURNS, turn_image
from tests.support import encode, read, stored_for_view, with_exif_orientation
from tests.support.photos import EXIF_ROTATED, EXIF_ROTATED_SOURCE, wheel_photo

ONE_FACE = wheel_photo("yaoming.jpg")


def as_sent(upright: np.ndarray, turn: int) -> np.ndarray:
    return np.ascontiguousarray(turn_image(upright, (360 - turn) % 360))


def post(client: TestClient, data: bytes, route: str = "/extract-embedding") -> dict:
    r = client.post(route, files={"image": ("face.png", data, "image/png")})
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
def upright(client: TestClient) -> dict:
    return post(client, encode(read(ONE_FACE), ".png"))


@pytest.mark.parametrize("turn", TURNS)
def test_extract_says_the_turn_and_embeds_the_upright_face(client: TestClient, upright: dict, turn: int) -> None:
    body = post(client, encode(as_sent(read(ONE_FACE), turn), ".png"))
    assert body["orientation"] == turn
    assert float(np.dot(body["embedding"], upright["embedding"])) > 0.6
    assert body["quality"]["usable"] is True, body["quality"]
    assert body["pose"]["roll"] == pytest.approx(upright["pose"]["roll"], abs=5)  # read in the upright copy


def test_detect_and_compare_carry_orientation_per_face(client: TestClient) -> None:
    image = read(ONE_FACE)
    faces = post(client, encode(as_sent(image, 180), ".png"), "/detect")["faces"]
    assert [f["orientation"] for f in faces] == [180]
    r = client.post("/compare", files={"image1": ("a.png", encode(image, ".png"), "image/png"),
                                       "image2": ("b.png", encode(as_sent(image, 270), ".png"), "image/png")})
    body = r.json()
    assert r.status_code == 200 and body["same_person"] is True
    assert (body["face1"]["orientation"], body["face2"]["orientation"]) == (0, 270)


def test_exif_turned_photo_is_read_the_exif_way_without_a_second_turn(client: TestClient) -> None:
    group = post(client, EXIF_ROTATED.read_bytes(), "/detect")
    source = post(client, EXIF_ROTATED_SOURCE.read_bytes(), "/detect")
    assert group["face_count"] == source["face_count"] > 0
    assert {f["orientation"] for f in group["faces"]} == {0}
    for orientation in (3, 6, 8):  # a one-face photo stored turned, its EXIF tag saying how to show it
        jpeg = with_exif_orientation(encode(stored_for_view(read(ONE_FACE), orientation)), orientation)
        assert post(client, jpeg)["orientation"] == 0


def test_no_face_photo_still_answers_no_face(client: TestClient) -> None:
    from tests.support.photos import DATA

    data = encode(as_sent(read(DATA.noface / "dlib_eagle.jpg"), 90), ".png")
    r = client.post("/extract-embedding", files={"image": ("n.png", data, "image/png")})
    assert r.status_code == 422 and r.json()["code"] == "NO_FACE"


@pytest.fixture(scope="module")
def search_off(settings: Settings, engine: FaceEngine) -> Iterator[TestClient]:
    off = FaceEngine(engine.detector, engine.recognizer, dataclasses.replace(engine.config, orientation_search=False))
    with TestClient(create_app(dataclasses.replace(settings, orientation_search=False), engine=off)) as c:
        yield c


def test_unsettled_orientation_is_never_usable_and_enrolment_refuses_it(search_off: TestClient) -> None:
    data = encode(as_sent(read(ONE_FACE), 180), ".png")
    plain = post(search_off, data)  # upside down, read as sent: the detector fires, its score says "not upright"
    assert plain["orientation"] == 0
    assert plain["quality"]["usable"] is False and "orientation_uncertain" in plain["quality"]["reasons"]
    r = search_off.post("/extract-embedding?min_quality=enrol", files={"image": ("y.png", data, "image/png")})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "FACE_QUALITY" and "orientation_uncertain" in body["reasons"]
    assert "orientation_uncertain" in body["error"]


def test_setting_reaches_the_engine() -> None:
    assert Settings(orientation_search=False).engine_config().orientation_search is False
    assert Settings().engine_config().orientation_search is True


@pytest.mark.parametrize("turn", TURNS)
def test_a_face_upside_down_beside_an_upright_group_is_never_usable(client: TestClient, turn: int) -> None:
    """Issue #31: one face upside down beside an upright group, the whole photo turned: the group's turn is
    answered, and the odd face, read with that turn, is `orientation_uncertain`, never usable (its embedding would
    be of an upside-down crop)."""
    from tests.support.crowds import beside_upside_down
    from tests.support.photos import DATA

    group = read(DATA.group / "dlib_2008_002470.jpg")
    upright = beside_upside_down(group, read(DATA.root / "lfw" / "Abdul_Rahman" / "Abdul_Rahman_0001.jpg"))
    faces = post(client, encode(as_sent(upright, turn), ".png"), "/detect")["faces"]
    assert sum(f["orientation"] == turn for f in faces) >= DATA.group_counts["dlib_2008_002470.jpg"]
    wrong = [f for f in faces if f["orientation"] != turn]
    odd = [f for f in faces if f["orientation"] == turn and f["quality"]["face_size"] >= 100]  # the 160 px crop
    assert not wrong and odd
    assert all(not f["quality"]["usable"] and "orientation_uncertain" in f["quality"]["reasons"] for f in odd)
