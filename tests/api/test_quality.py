"""Quality and pose per face (function/engine/quality.py, issue #12) on the real models and real photos: roll on
rotated copies, yaw/pitch signs on mirrored copies and hand-labelled faces, sharpness and brightness monotonic on
blurred and darkened copies, the enrolment gate and the operator's thresholds."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from function.api.app import create_app
from function.config import Settings
from function.engine import FaceEngine
from function.engine.quality import REASONS, QualityThresholds, assess, estimate_pose
from function.imaging import DecodeLimits, decode_image
from tests.support import encode, read
from tests.support.photos import MISSING_FACES_DIR, faces_dir, wheel_photo

ONE_FACE = wheel_photo("yaoming.jpg")


def post(client: TestClient, image: np.ndarray | bytes, route: str = "/extract-embedding") -> dict:
    data = image if isinstance(image, bytes) else encode(image, ".png")
    r = client.post(route, files={"image": ("face.png", data, "image/png")})
    assert r.status_code == 200, r.text
    return r.json()


def rotated(image: np.ndarray, degrees: float) -> np.ndarray:
    """`image` turned `degrees` counter-clockwise (as seen) about its centre, on a canvas that holds all of it."""
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(image, m, (nw, nh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


# -- the estimator on exact landmarks ----------------------------------------------------------------------------
@pytest.mark.parametrize("degrees", [-40.0, -15.0, 0.0, 7.5, 30.0])
def test_roll_is_exact_for_rotated_landmarks(engine: FaceEngine, degrees: float) -> None:
    image = decode_image(ONE_FACE.read_bytes(), DecodeLimits())
    landmarks = engine.detect(image.pixels, purpose="one")[0].landmarks.astype(np.float64)
    base = estimate_pose(landmarks)
    theta = math.radians(degrees)  # clockwise as seen (y down)
    rot = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    turned = estimate_pose((landmarks - landmarks.mean(0)) @ rot.T + [400.0, 300.0])
    assert turned.roll - base.roll == pytest.approx(degrees, abs=1e-6)
    assert turned.yaw == pytest.approx(base.yaw, abs=1e-6)  # an in-plane turn changes neither yaw nor pitch
    assert turned.pitch == pytest.approx(base.pitch, abs=1e-6)


def test_mirrored_landmarks_negate_yaw_and_roll(engine: FaceEngine) -> None:
    image = decode_image(wheel_photo("gdp.jpg").read_bytes(), DecodeLimits())
    for face in engine.detect(image.pixels, purpose="all"):
        pose = estimate_pose(face.landmarks)
        lm = face.landmarks.astype(np.float64).copy()
        lm[:, 0] = image.width - lm[:, 0]
        mirrored = estimate_pose(lm[[1, 0, 2, 4, 3]])  # left/right swap places in a mirror
        assert (mirrored.yaw, mirrored.roll, mirrored.pitch) == pytest.approx((-pose.yaw, -pose.roll, pose.pitch),
                                                                              abs=1e-6)


# -- the whole path: detector landmarks on transformed photos ------------------------------------------------------
@pytest.mark.parametrize("degrees", [-30, -15, 10, 25])
def test_roll_follows_rotated_photos(client: TestClient, degrees: int) -> None:
    image = read(ONE_FACE)
    base = post(client, image)["pose"]["roll"]
    turned = post(client, rotated(image, degrees))["pose"]["roll"]
    # cv2 turns counter-clockwise as seen: roll (clockwise positive) drops by the angle, to the detector's precision
    assert turned - base == pytest.approx(-degrees, abs=2.5)  # measured: within 1.8 degrees (docs/quality.md)


@pytest.mark.parametrize("photo", ["gdp.jpg", "yaoming.jpg"])
def test_mirrored_photo_negates_yaw_and_roll(client: TestClient, photo: str) -> None:
    """The detector's landmarks are not exactly mirror-symmetric: up to ~3-4 degrees apart on these faces
    (docs/quality.md), so this holds to 4.5 degrees, on the faces large enough to be judged (>= 60 px)."""
    image = read(wheel_photo(photo))
    faces = [f for f in post(client, image, "/detect")["faces"] if f["quality"]["face_size"] >= 60]
    mirrored = post(client, cv2.flip(image, 1), "/detect")["faces"]
    width = image.shape[1]
    assert faces
    for face in faces:
        cx = (face["box"][0] + face["box"][2]) / 2
        twin = min(mirrored, key=lambda f: abs(width - (f["box"][0] + f["box"][2]) / 2 - cx))
        assert twin["pose"]["yaw"] == pytest.approx(-face["pose"]["yaw"], abs=4.5)
        assert twin["pose"]["roll"] == pytest.approx(-face["pose"]["roll"], abs=4.5)
        assert twin["pose"]["pitch"] == pytest.approx(face["pose"]["pitch"], abs=4.5)


def test_hand_labelled_yaw_in_gdp(client: TestClient) -> None:
    """gdp.jpg, labelled by looking at it: the middle player (box from x~267) has his face turned strongly towards
    the image's right; the right-hand player (x~348) faces the camera."""
    faces = sorted(post(client, read(wheel_photo("gdp.jpg")), "/detect")["faces"], key=lambda f: f["box"][0])
    turned = next(f for f in faces if 250 < f["box"][0] < 290)
    frontal = next(f for f in faces if 330 < f["box"][0] < 370)
    assert turned["pose"]["yaw"] > 25
    assert abs(frontal["pose"]["yaw"]) < 10
    assert "yaw_too_large" in turned["quality"]["reasons"] and "yaw_too_large" not in frontal["quality"]["reasons"]


# LFW photos labelled by hand (docs/quality.md): which way the nose points as seen, and the head's tilt.
YAW_LABELS = {"Kosuke_Kitajima_0002": "R", "Joaquin_Phoenix_0001": "R", "Ben_Affleck_0005": "L",
              "Matthew_Ouimet_0001": "L", "Ricardo_Lagos_0003": "L", "Winona_Ryder_0022": "L",
              "Peter_Greenspun_0001": "L", "Jean_Charest_0013": "R", "Alessandra_Cerna_0001": "R",
              "Victoria_Clarke_0001": "L", "Demi_Moore_0002": "R", "Gillian_Anderson_0001": "L",
              "Drew_Barrymore_0001": "R", "Alastair_Campbell_0002": "L",
              # The subject fills the frame, turned to the image's left (nose left of the eye midpoint); until issue
              # #19 a one-face request answered with the partial face beside him (turned right), labelled "R" here.
              "Habib_Rizieq_0001": "L"}
PITCH_LABELS = {"Hamzah_Haz_0001": "U", "Abdullah_0002": "U", "Isaiah_Washington_0002": "U",
                "George_HW_Bush_0013": "D", "Fujio_Cho_0002": "D", "David_McCullough_0001": "D",
                "Steven_Spielberg_0005": "D"}


def lfw_photo(lfw: Path, name: str) -> Path:
    """An LFW image by its name (Person_Name_NNNN) in an lfw/ folder laid out as FACES_DIR's."""
    return lfw / name.rsplit("_", 1)[0] / f"{name}.jpg"


@pytest.mark.lfw
def test_hand_labelled_lfw_signs(client: TestClient) -> None:
    faces = faces_dir()
    if faces is None:
        pytest.skip(MISSING_FACES_DIR)

    def _lfw(name: str) -> Path:
        return lfw_photo(faces.root / "lfw", name)

    for name, label in YAW_LABELS.items():
        yaw = post(client, _lfw(name).read_bytes())["pose"]["yaw"]
        assert (yaw > 0) == (label == "R"), (name, label, yaw)
    pitch = {name: post(client, _lfw(name).read_bytes())["pose"]["pitch"] for name in PITCH_LABELS}
    up = [p for n, p in pitch.items() if PITCH_LABELS[n] == "U"]
    down = [p for n, p in pitch.items() if PITCH_LABELS[n] == "D"]
    assert min(up) > max(down), pitch  # every face labelled up reads higher than every face labelled down


def test_sharpness_falls_with_blur(client: TestClient) -> None:
    image = read(ONE_FACE)
    values = [post(client, image if s == 0 else cv2.GaussianBlur(image, (0, 0), s))["quality"]["sharpness"]
              for s in (0, 1, 2, 3)]
    assert values == sorted(values, reverse=True) and len(set(values)) == 4, values


def test_brightness_falls_with_darkening(client: TestClient) -> None:
    image = read(ONE_FACE)
    values = [post(client, cv2.convertScaleAbs(image, alpha=a))["quality"]["brightness"] for a in (1.0, 0.7, 0.5, 0.3)]
    assert values == sorted(values, reverse=True) and len(set(values)) == 4, values
    assert values[1] / values[0] == pytest.approx(0.7, abs=0.03)  # the mean grey level, linear in the pixels


def test_every_face_carries_quality_and_pose(client: TestClient) -> None:
    data = wheel_photo("players.jpg").read_bytes()
    for route in ("/detect", "/extract-embedding?all=true"):
        r = client.post(route, files={"image": ("p.jpg", data, "image/jpeg")})
        faces = r.json()["faces"]
        assert len(faces) >= 20
        for f in faces:
            q = f["quality"]
            assert q["face_size"] == pytest.approx(min(f["box"][2] - f["box"][0], f["box"][3] - f["box"][1]), abs=2)
            assert q["usable"] == (not q["reasons"]) and set(q["reasons"]) <= set(REASONS)
            assert set(f["pose"]) == {"yaw", "pitch", "roll"}
        # players.jpg's small faces in the back rows (under 64 px) are not usable for that reason
        assert any("face_too_small" in f["quality"]["reasons"] for f in faces)


def test_extract_top_level_quality_is_the_embedded_face(client: TestClient) -> None:
    body = post(client, ONE_FACE.read_bytes())
    assert body["quality"]["usable"] is True and body["quality"]["reasons"] == []
    assert body["quality"]["face_size"] > 64 and 50 < body["quality"]["brightness"] < 215


def test_roll_is_read_in_the_upright_copy(client: TestClient) -> None:
    """A face leaning 60 degrees is read from the copy turned 90 degrees clockwise, where it leans -30 + its own roll."""
    image = read(ONE_FACE)
    base = post(client, image)["pose"]["roll"]
    body = post(client, rotated(image, 60))
    assert body["orientation"] == 90
    assert body["pose"]["roll"] - base == pytest.approx(30, abs=3)


@pytest.fixture(scope="module")
def search_off(settings: Settings, engine: FaceEngine) -> Iterator[TestClient]:
    off = FaceEngine(engine.detector, engine.recognizer, dataclasses.replace(engine.config, orientation_search=False))
    with TestClient(create_app(dataclasses.replace(settings, orientation_search=False), engine=off)) as c:
        yield c


# -- the enrolment gate and the thresholds --------------------------------------------------------------------------
def test_enrol_accepts_a_good_face(client: TestClient) -> None:
    r = client.post("/extract-embedding?min_quality=enrol", files={"image": ("y.jpg", ONE_FACE.read_bytes(), "image/jpeg")})
    assert r.status_code == 200 and len(r.json()["embedding"]) == 512


@pytest.mark.parametrize("transform,reason", [
    (lambda im: cv2.GaussianBlur(im, (0, 0), 4), "too_blurry"),
    (lambda im: cv2.convertScaleAbs(im, alpha=0.25), "too_dark"),
    (lambda im: cv2.resize(im, None, fx=0.35, fy=0.35, interpolation=cv2.INTER_AREA), "face_too_small"),
    (lambda im: rotated(im, 60), "roll_too_large"),
])
def test_enrol_refuses_with_reasons(client: TestClient, search_off: TestClient, transform, reason: str) -> None:
    image = transform(read(ONE_FACE))
    if reason == "roll_too_large":
        # With the orientation search on, a face at 60 degrees is read from the copy turned 90 degrees, where it
        # leans 30 (issue #16; test_roll_is_read_in_the_upright_copy): roll_too_large is for the search off.
        client = search_off
    plain = post(client, image)
    assert reason in plain["quality"]["reasons"]  # without the gate: answered, and marked
    r = client.post("/extract-embedding?min_quality=enrol", files={"image": ("y.png", encode(image, ".png"), "image/png")})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "FACE_QUALITY" and reason in body["reasons"] and body["field"] == "image"
    assert reason in body["error"]


def test_enrol_with_all_is_refused(client: TestClient) -> None:
    r = client.post("/extract-embedding?min_quality=enrol&all=true",
                    files={"image": ("y.jpg", ONE_FACE.read_bytes(), "image/jpeg")})
    assert r.status_code == 400 and r.json()["code"] == "INVALID_REQUEST"
    r = client.post("/extract-embedding?min_quality=strict", files={"image": ("y.jpg", ONE_FACE.read_bytes(), "image/jpeg")})
    assert r.status_code == 400 and r.json()["code"] == "INVALID_REQUEST"


def test_operators_change_the_thresholds(settings: Settings, engine: FaceEngine) -> None:
    env = {"QUALITY_MIN_FACE_SIZE": "2000", "QUALITY_MAX_YAW": "1"}
    strict = Settings.from_env(env)
    assert (strict.quality_min_face_size, strict.quality_max_yaw) == (2000.0, 1.0)
    app = create_app(dataclasses.replace(settings, quality_min_face_size=2000.0), engine=engine)
    with TestClient(app) as c:
        r = c.post("/extract-embedding?min_quality=enrol", files={"image": ("y.jpg", ONE_FACE.read_bytes(), "image/jpeg")})
    assert r.status_code == 422 and r.json()["reasons"] == ["face_too_small"]


def test_assess_reports_size_in_the_pixels_sent(engine: FaceEngine) -> None:
    image = decode_image(ONE_FACE.read_bytes(), DecodeLimits())
    face = engine.detect(image.pixels, purpose="one")[0]
    q1 = assess(image.pixels, face, QualityThresholds())
    q2 = assess(image.pixels, face, QualityThresholds(), pixel_scale=2.0)
    assert q2.face_size == pytest.approx(2 * q1.face_size) and q2.sharpness == q1.sharpness
