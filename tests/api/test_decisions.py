"""Decisions that stay honest at scale (issue #25), through the app on the real models: /search's threshold from the
gallery's size and the target FPIR, ?far= on /compare and /verify, min_quality=enrol on every deciding route, and
/health naming the calibration. The at-scale figures come from `make accuracy` and bench/identify.py (docs/search.md)."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Iterator

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from function.api.app import create_app
from function.config import Settings
from function.engine import FaceEngine
from function.models.calibration import load_calibration
from tests.support import encode, read
from tests.support.photos import DATA, wheel_photo

ONE_FACE = wheel_photo("yaoming.jpg")
RECORD = load_calibration("buffalo_sc", "fp32")


def b64f32(vector: np.ndarray | list[float]) -> str:
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode()


@pytest.fixture(scope="module")
def stored(client: TestClient) -> list[float]:
    r = client.post("/extract-embedding", files={"image": ("y.jpg", ONE_FACE.read_bytes(), "image/jpeg")})
    return r.json()["embedding"]


@pytest.fixture(scope="module")
def probe() -> bytes:
    """Yao Ming in another photo: mirrored and scaled down."""
    image = cv2.resize(cv2.flip(read(ONE_FACE), 1), None, fx=0.8, fy=0.8, interpolation=cv2.INTER_AREA)
    return encode(image, ".jpg", [cv2.IMWRITE_JPEG_QUALITY, 92])


def strangers(n: int, seed: int = 3) -> list[dict[str, str]]:
    """n gallery entries of nobody (random unit vectors: below any threshold against a real face)."""
    rng = np.random.default_rng(seed)
    v = rng.standard_normal((n, 512)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return [{"id": f"nobody-{i}", "embedding": b64f32(x)} for i, x in enumerate(v)]


def search(client: TestClient, image: bytes, gallery: list[dict[str, object]], query: str = ""):
    return client.post(f"/search{query}", json={"image": base64.b64encode(image).decode(), "gallery": gallery})


# -- /search: the threshold follows the gallery's size -------------------------------------------------------------
@pytest.mark.parametrize("size,far", [(100, 1e-4), (1000, 1e-5)])
def test_search_threshold_holds_the_fpir(client: TestClient, probe: bytes, stored: list[float], size: int,
                                         far: float) -> None:
    assert RECORD is not None
    gallery = [{"id": "yao", "embedding": b64f32(stored)}, *strangers(size - 1)]
    r = search(client, probe, gallery)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["gallery_size"] == size and body["fpir"] == 0.01 and body["threshold_rule"] == "fpir"
    assert body["threshold"] == RECORD.threshold_at(far) > RECORD.default_threshold
    assert body["pair_far"] <= far and body["calibration"] == RECORD.name
    assert [m["id"] for m in body["matches"]] == ["yao"]


def test_a_small_gallery_keeps_the_pair_threshold(client: TestClient, probe: bytes, stored: list[float]) -> None:
    """FPIR 1% over 2 entries asks FAR 5e-3, a lower threshold than the 1:1 one: the 1:1 threshold applies."""
    body = search(client, probe, [{"id": "yao", "embedding": b64f32(stored)}, *strangers(1)]).json()
    assert body["threshold_rule"] == "floor" and body["threshold"] == Settings().threshold_for("buffalo_sc")


def test_search_fpir_per_request_and_by_the_operator(client: TestClient, settings: Settings, engine: FaceEngine,
                                                      probe: bytes, stored: list[float]) -> None:
    assert RECORD is not None
    gallery = [{"id": "yao", "embedding": b64f32(stored)}, *strangers(99)]
    strict = search(client, probe, gallery, "?fpir=0.001").json()
    assert strict["fpir"] == 0.001 and strict["threshold"] == RECORD.threshold_at(1e-5)
    with TestClient(create_app(dataclasses.replace(settings, search_fpir=0.001), engine=engine)) as c:
        assert search(c, probe, gallery).json()["threshold"] == strict["threshold"]
    assert search(client, probe, gallery, "?fpir=2").status_code == 400


def test_a_gallery_beyond_the_calibration_is_refused(settings: Settings, engine: FaceEngine, probe: bytes) -> None:
    """At FPIR 1e-4 a 1,000-entry gallery needs FAR 1e-7, below what ~6.6 M impostor pairs can support."""
    r = None
    with TestClient(create_app(dataclasses.replace(settings, search_fpir=1e-4), engine=engine)) as c:
        r = search(c, probe, strangers(1000))
    assert r.status_code == 422 and r.json()["code"] == "BEYOND_CALIBRATION" and r.json()["field"] == "gallery"
    assert "at most" in r.json()["error"]


def test_an_uncalibrated_pack_answers_with_its_threshold(settings: Settings, engine: FaceEngine, probe: bytes,
                                                         stored: list[float]) -> None:
    """A pack without a record (buffalo_l here) keeps its named threshold, says its FPIR is unknown, and is never
    refused for that; ?far= is refused."""
    app = create_app(settings, engine=engine)
    with TestClient(app) as c:
        app.state.service.calibration = None  # this app's own service: as if the pack had no record
        body = search(c, probe, [{"id": "yao", "embedding": b64f32(stored)}, *strangers(999)]).json()
        assert (body["threshold_rule"], body["fpir"], body["pair_far"], body["calibration"]) == \
            ("uncalibrated", None, None, None)
        assert body["threshold"] == Settings().threshold_for("buffalo_sc") and body["matches"][0]["id"] == "yao"
        r = c.post("/compare?far=1e-5", files={"image1": ("a.jpg", ONE_FACE.read_bytes(), "image/jpeg"),
                                               "image2": ("b.jpg", probe, "image/jpeg")})
        assert r.status_code == 422 and r.json()["code"] == "BEYOND_CALIBRATION" and r.json()["field"] == "far"
        health = c.get("/health").json()["calibration"]
        assert health["measured"] is False and "not measured here" in health["source"]


# -- ?far= on the 1:1 routes ---------------------------------------------------------------------------------------
def test_compare_without_options_answers_as_before(client: TestClient, probe: bytes) -> None:
    r = client.post("/compare", files={"image1": ("a.jpg", ONE_FACE.read_bytes(), "image/jpeg"),
                                       "image2": ("b.jpg", probe, "image/jpeg")})
    body = r.json()
    assert "far" not in body and "calibration" not in body
    assert body["threshold"] == Settings().threshold_for("buffalo_sc")
    assert list(body) == ["success", "similarity", "confidence", "same_person", "threshold", "face1", "face2"]


@pytest.mark.parametrize("far", [1e-3, 1e-5, 1e-6])
def test_compare_and_verify_at_a_far(client: TestClient, probe: bytes, stored: list[float], far: float) -> None:
    assert RECORD is not None
    r = client.post(f"/compare?far={far:g}", files={"image1": ("a.jpg", ONE_FACE.read_bytes(), "image/jpeg"),
                                                    "image2": ("b.jpg", probe, "image/jpeg")})
    body = r.json()
    assert body["threshold"] == RECORD.threshold_at(far) and body["far"] <= far
    assert body["calibration"] == RECORD.name and body["same_person"] == (body["similarity"] >= body["threshold"])
    v = client.post(f"/verify?far={far:g}", json={"image": base64.b64encode(probe).decode(),
                                                  "embedding": b64f32(stored)}).json()
    assert v["threshold"] == body["threshold"] and v["far"] == body["far"]


def test_far_beyond_the_calibration_is_refused_before_any_image_is_read(client: TestClient) -> None:
    r = client.post("/compare?far=1e-9", files={"image1": ("a.jpg", b"not an image", "image/jpeg")})
    assert r.status_code == 422 and r.json()["code"] == "BEYOND_CALIBRATION" and r.json()["field"] == "far"
    assert client.post("/verify?far=0", json={}).status_code == 400


# -- min_quality=enrol on every deciding route ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def blurred() -> bytes:
    return encode(cv2.GaussianBlur(read(ONE_FACE), (0, 0), 4), ".png")


def test_quality_filter_on_compare_names_the_image(client: TestClient, blurred: bytes, probe: bytes) -> None:
    files = {"image1": ("a.jpg", probe, "image/jpeg"), "image2": ("b.png", blurred, "image/png")}
    assert client.post("/compare", files=files).status_code == 200  # without the filter: answered
    r = client.post("/compare?min_quality=enrol", files=files)
    body = r.json()
    assert r.status_code == 422 and body["code"] == "FACE_QUALITY" and body["field"] == "image2"
    assert "too_blurry" in body["reasons"]
    ok = client.post("/compare?min_quality=enrol", files={"image1": ("a.jpg", probe, "image/jpeg"),
                                                          "image2": ("b.jpg", ONE_FACE.read_bytes(), "image/jpeg")})
    assert ok.status_code == 200 and ok.json()["same_person"] is True


def test_quality_filter_on_verify_and_search(client: TestClient, blurred: bytes, stored: list[float]) -> None:
    body = {"image": base64.b64encode(blurred).decode(), "embedding": b64f32(stored)}
    assert client.post("/verify", json=body).status_code == 200
    r = client.post("/verify?min_quality=enrol", json=body)
    assert r.status_code == 422 and r.json()["code"] == "FACE_QUALITY" and r.json()["field"] == "image"
    r = search(client, blurred, [{"id": "yao", "embedding": b64f32(stored)}], "?min_quality=enrol")
    assert r.status_code == 422 and r.json()["code"] == "FACE_QUALITY" and "too_blurry" in r.json()["reasons"]


# -- /health names the calibration ------------------------------------------------------------------------------------
def test_health_names_the_calibration(client: TestClient) -> None:
    assert RECORD is not None
    cal = client.get("/health").json()["calibration"]
    assert cal["measured"] is True and cal["name"] == RECORD.name and cal["search_fpir"] == 0.01
    assert cal["default_threshold_far"] == RECORD.default_far and cal["min_far"] == RECORD.min_far
    assert [p["far"] for p in cal["operating_points"]] == [1e-3, 1e-4, 1e-5, 1e-6]
    assert "make accuracy" in cal["source"]


@pytest.fixture(scope="module")
def lfw_people() -> Iterator[dict[str, list[bytes]]]:
    people: dict[str, list[bytes]] = {}
    for path in sorted((DATA.root / "lfw").glob("*/*.jpg")):
        people.setdefault(path.parent.name, []).append(path.read_bytes())
    yield people


def test_strangers_among_the_repos_photos_are_not_named(client: TestClient, lfw_people: dict[str, list[bytes]]) -> None:
    """Real faces: every LFW person of tests/data enrolled but one, that one searched; repeated for each person. No
    stranger is named; each enrolled person's other photo is found first."""
    enrolled = {}
    for name, photos in lfw_people.items():
        r = client.post("/extract-embedding?face=center", files={"image": ("a.jpg", photos[0], "image/jpeg")})
        enrolled[name] = r.json()["embedding"]
    assert len(enrolled) >= 5
    for stranger in enrolled:
        gallery = [{"id": n, "embedding": b64f32(v)} for n, v in enrolled.items() if n != stranger]
        body = search(client, lfw_people[stranger][-1], gallery, "?face=center").json()
        assert body["matches"] == [], (stranger, body["matches"])
    gallery = [{"id": n, "embedding": b64f32(v)} for n, v in enrolled.items()]
    for name, photos in lfw_people.items():
        if len(photos) > 1:
            body = search(client, photos[1], gallery, "?face=center").json()
            assert body["matches"] and body["matches"][0]["id"] == name
