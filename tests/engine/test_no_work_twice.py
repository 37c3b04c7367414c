"""No work twice on the request path (issue #19): one header parse per image, one aligned crop per face shared by
the quality measures and the recognizer, and the batched forms giving the same figures as the per-face ones they
replaced (the closed-form similarity against Umeyama's SVD, the one-pass Laplacian against cv2.Laplacian)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from function.engine import FaceEngine, aligner
from function.engine.aligner import ARCFACE_TEMPLATE, align_faces, similarity_matrices, similarity_transform
from function.engine.quality import crop_measures, estimate_pose, estimate_poses
from function.imaging import decode_image, headers
from tests.support.photos import DATA, wheel_photo

PHOTOS = [wheel_photo("players.jpg"), wheel_photo("yaoming.jpg"), *DATA.group_photos[:3], *DATA.lfw_images[:6]]


def faces_of(engine: FaceEngine, path: Path) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    pixels = decode_image(path.read_bytes()).pixels
    for face in engine.detect(pixels):
        yield pixels, face.landmarks


def test_closed_form_similarity_is_umeyamas(engine: FaceEngine) -> None:
    """Same matrices to 1e-9 on real landmarks, and so the same pixels after warpAffine's fixed-point rounding."""
    n = 0
    for path in PHOTOS:
        for pixels, landmarks in faces_of(engine, path):
            want = similarity_transform(landmarks, ARCFACE_TEMPLATE)
            got = similarity_matrices(landmarks[None], ARCFACE_TEMPLATE)[0]
            np.testing.assert_allclose(got, want, atol=1e-9)
            reference = cv2.warpAffine(pixels, want, (112, 112), borderValue=0.0)
            assert np.array_equal(align_faces(pixels, [landmarks])[0], reference)
            n += 1
    assert n > 20
    same = np.ones((1, 5, 2)) * 7.0  # coinciding points: Umeyama's rank-0 answer, the identity
    np.testing.assert_allclose(similarity_matrices(same, ARCFACE_TEMPLATE)[0], np.hstack([np.eye(2), np.zeros((2, 1))]))


def test_batched_measures_and_pose_match_the_per_face_forms(engine: FaceEngine) -> None:
    for path in PHOTOS:
        found = list(faces_of(engine, path))
        if not found:
            continue
        pixels = found[0][0]
        landmarks = [lm for _, lm in found]
        crops = align_faces(pixels, landmarks)
        poses = estimate_poses(np.stack(landmarks))
        for crop, lm, pose in zip(crops, landmarks, poses, strict=True):
            grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)[24:104, 20:92]
            sharpness, brightness = crop_measures(crop)
            assert sharpness == pytest.approx(float(cv2.Laplacian(grey, cv2.CV_64F).var()), rel=1e-12)
            assert brightness == pytest.approx(float(grey.mean()), rel=1e-12)
            single = estimate_pose(lm)
            assert (single.yaw, single.pitch, single.roll) == pytest.approx(tuple(pose), abs=1e-9)
            assert all(math.isfinite(v) for v in pose)


class _CountingCv2:
    """OpenCV as the aligner sees it, counting its warps (the orientation check's own crop warp is not a face
    alignment, and goes to the real module)."""

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts

    def __getattr__(self, name: str) -> object:
        return getattr(cv2, name)

    def warpAffine(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.counts["warps"] += 1
        return cv2.warpAffine(*args, **kwargs)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts of header parses and of face alignments (warps in function/engine/aligner.py) while a test runs."""
    counts = {"headers": 0, "warps": 0}
    read_header = headers.read_header

    def counting_header(*args, **kwargs):  # type: ignore[no-untyped-def]
        counts["headers"] += 1
        return read_header(*args, **kwargs)

    monkeypatch.setattr(headers, "read_header", counting_header)
    monkeypatch.setattr(aligner, "cv2", _CountingCv2(counts))
    return counts


def files(path: Path, field: str = "image") -> dict[str, tuple[str, bytes, str]]:
    return {field: (path.name, path.read_bytes(), "image/jpeg")}


def test_one_header_parse_and_one_crop_per_face(client: TestClient, counted: dict[str, int]) -> None:
    r = client.post("/extract-embedding", files=files(wheel_photo("yaoming.jpg")))
    assert r.status_code == 200
    assert counted == {"headers": 1, "warps": 1}  # quality and the recognizer share the one crop
    counted.update(headers=0, warps=0)
    r = client.post("/detect", files=files(wheel_photo("players.jpg")))
    assert r.status_code == 200 and r.json()["face_count"] > 10
    assert counted == {"headers": 1, "warps": r.json()["face_count"]}
    counted.update(headers=0, warps=0)
    r = client.post("/extract-embedding?all=true", files=files(wheel_photo("players.jpg")))
    assert r.status_code == 200
    assert counted == {"headers": 1, "warps": r.json()["face_count"]}
    counted.update(headers=0, warps=0)
    a, b = DATA.lfw_pairs[0].image1, DATA.lfw_pairs[0].image2
    r = client.post("/compare", files={**files(a, "image1"), **files(b, "image2")})
    assert r.status_code == 200
    assert counted == {"headers": 2, "warps": 2}
