"""/extract-embedding?all=true: every face with its box and embedding, the faces through the recognizer in batched
runs of `recognizer_batch`, each embedding the one a single-face run gives."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from function.imaging import DecodeLimits, decode_image
from tests.support import encode
from tests.support.photos import wheel_photo


class CountingSession:
    """The real ONNX Runtime session, counting runs and batch sizes."""

    def __init__(self, session) -> None:
        self._session = session
        self.batches: list[int] = []

    def run(self, outputs, feeds, *args, **kwargs):
        self.batches.append(int(next(iter(feeds.values())).shape[0]))
        return self._session.run(outputs, feeds, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._session, name)


@pytest.mark.parametrize("photo", ["gdp.jpg", "players.jpg"])
def test_all_faces_batched(client: TestClient, engine, monkeypatch, photo: str) -> None:
    data = wheel_photo(photo).read_bytes()
    detected = client.post("/detect", files={"image": (photo, data, "image/jpeg")}).json()
    counting = CountingSession(engine.recognizer.session)
    monkeypatch.setattr(engine.recognizer, "session", counting)
    r = client.post("/extract-embedding?all=true", files={"image": (photo, data, "image/jpeg")})
    monkeypatch.undo()
    assert r.status_code == 200, r.text
    body = r.json()
    faces = body["faces"]
    assert len(faces) == detected["face_count"] >= 5
    step = engine.config.recognizer_batch  # runs of this many faces (bounded activations, issue #29)
    assert counting.batches == [min(step, len(faces) - i) for i in range(0, len(faces), step)]
    assert [f["box"] for f in faces] == [f["box"] for f in detected["faces"]]
    vectors = np.array([f["embedding"] for f in faces])
    assert vectors.shape == (len(faces), 512)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    # the top-level answer is the largest face's
    areas = [(f["box"][2] - f["box"][0]) * (f["box"][3] - f["box"][1]) for f in faces]
    assert body["embedding"] == faces[int(np.argmax(areas))]["embedding"]
    # distinct people: off-diagonal similarities well below 1
    sims = vectors @ vectors.T
    assert np.max(sims - np.eye(len(faces)) * 2) < 0.9


def test_batched_equals_one_by_one(engine) -> None:
    image = decode_image(wheel_photo("gdp.jpg").read_bytes(), DecodeLimits())
    faces = engine.detect(image.pixels, purpose="all")
    batched = engine.embed(image.pixels, faces)
    single = np.stack([engine.embed(image.pixels, [f])[0] for f in faces])
    assert np.abs(batched - single).max() < 1e-4


def test_all_true_without_a_face(client: TestClient) -> None:
    blank = encode(np.full((200, 200, 3), 200, np.uint8))
    r = client.post("/extract-embedding?all=true", files={"image": ("a.jpg", blank, "image/jpeg")})
    assert r.status_code == 422 and r.json()["code"] == "NO_FACE"


def test_all_false_has_no_faces_list(client: TestClient) -> None:
    r = client.post("/extract-embedding", files={"image": ("y.jpg", wheel_photo("yaoming.jpg").read_bytes(), "image/jpeg")})
    assert r.status_code == 200 and "faces" not in r.json()
