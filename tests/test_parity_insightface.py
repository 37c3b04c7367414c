"""Parity with the insightface library (the reference implementation) on the same pack: the same faces found
(box IoU >= 0.95) and the same embeddings (cosine >= 0.99) as insightface.app.FaceAnalysis with
allowed_modules detection+recognition and det_size 640."""

from __future__ import annotations

import random
import shutil

import cv2
import numpy as np
import pytest

from function.engine import FaceEngine
from tests.photos import GROUP, group_counts, lfw_pairs, noface_photos, wheel_photo


@pytest.fixture(scope="session")
def reference(tmp_path_factory, engine: FaceEngine):
    insightface_app = pytest.importorskip("insightface.app")
    pack_dir = tmp_path_factory.mktemp("refpack") / "buffalo_sc"
    pack_dir.mkdir()
    for f in (engine.pack.detector, engine.pack.recognizer):
        shutil.copyfile(f.path, pack_dir / f.path.name)
    fa = insightface_app.FaceAnalysis(name=str(pack_dir), allowed_modules=["detection", "recognition"],
                                      providers=["CPUExecutionProvider"])
    fa.prepare(ctx_id=-1, det_size=(640, 640))
    return fa


def iou(a, b) -> float:
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def compare_faces(engine: FaceEngine, reference, image: np.ndarray, ours_image: np.ndarray | None = None,
                  shift: float = 0.0) -> tuple[int, int, float, float]:
    """(reference count, our count, worst IoU, worst cosine) over the reference's faces, each matched to ours.
    `ours_image` is what our engine sees (default: the same image); `shift` maps our boxes into `image`."""
    ref_faces = reference.get(image)
    ours_image = image if ours_image is None else ours_image
    ours = engine.detect(ours_image, purpose="all")
    vectors = engine.embed(ours_image, ours)
    worst_iou, worst_cos = 1.0, 1.0
    for r in ref_faces:
        ious = [iou(r.bbox, o.box + shift) for o in ours]
        assert ious, "we found no face where insightface found one"
        j = int(np.argmax(ious))
        ref_vec = r.embedding / np.linalg.norm(r.embedding)
        worst_iou = min(worst_iou, ious[j])
        worst_cos = min(worst_cos, float(ref_vec @ vectors[j]))
    return len(ref_faces), len(ours), worst_iou, worst_cos


PHOTOS = [wheel_photo(n) for n in ("players.jpg", "gdp.jpg", "yaoming.jpg")] + [GROUP / n for n in group_counts()]


@pytest.mark.parametrize("photo", PHOTOS, ids=lambda p: p.name)
def test_same_faces_and_embeddings_as_insightface(engine, reference, photo):
    image = cv2.imread(str(photo))
    n_ref, n_ours, worst_iou, worst_cos = compare_faces(engine, reference, image)
    assert n_ours == n_ref
    assert worst_iou >= 0.95
    assert worst_cos >= 0.99


def lfw_sample(n: int = 24) -> list:
    paths = sorted({p for _, a, b, _ in lfw_pairs() for p in (a, b)})
    return random.Random(7).sample(paths, n)


@pytest.mark.parametrize("photo", lfw_sample(), ids=lambda p: p.name)
def test_lfw_closeups_raw_match_insightface_on_padded(engine, reference, photo):
    """insightface only finds these tight crops once the caller pads them by half their side; we get them raw."""
    raw = cv2.imread(str(photo))
    pad = max(raw.shape[:2]) // 2
    padded = cv2.copyMakeBorder(raw, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(0, 0, 0))
    assert len(engine.detect(raw, purpose="all")) >= 1
    n_ref, n_ours, worst_iou, worst_cos = compare_faces(engine, reference, padded, ours_image=raw, shift=pad)
    assert n_ref >= 1
    assert worst_iou >= 0.95
    assert worst_cos >= 0.99


@pytest.mark.parametrize("photo", sorted(GROUP.glob("*.jpg")), ids=lambda p: p.name)
def test_group_photos_find_at_least_the_annotated_faces(engine, photo):
    assert len(engine.detect(cv2.imread(str(photo)))) >= group_counts()[photo.name]


@pytest.mark.parametrize("photo", noface_photos(), ids=lambda p: p.name)
def test_no_face_photos_find_none(engine, photo):
    assert engine.detect(cv2.imread(str(photo))) == []
    assert engine.detect(cv2.imread(str(photo)), purpose="one") == []
