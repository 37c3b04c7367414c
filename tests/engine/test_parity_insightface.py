"""Parity with the insightface library (the reference implementation) on the same pack: the same faces found
(box IoU >= 0.95) and the same embeddings (cosine >= 0.99) as insightface.app.FaceAnalysis with
allowed_modules detection+recognition and det_size 640 (for a tight crop: the padded photo at the canvas our close-up
pass uses, FaceEngine.closeup_canvas). On tests/data and the wheel photos always; on 200 LFW crops from FACES_DIR when
it is there (tests/support/photos.py)."""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np
import pytest

from function.engine import FaceEngine
from tests.support import iou
from tests.support.photos import DATA, MISSING_FACES_DIR, faces_dir, wheel_photos

LFW_SCALE_SAMPLE = 200  # crops drawn from FACES_DIR for the LFW-scale run
LFW_SCALE_PASS = 0.98  # share of them that must match (README: 198 of 200 on the shared crops)


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


@pytest.mark.parametrize("photo", wheel_photos() + DATA.group_photos, ids=lambda p: p.name)
def test_same_faces_and_embeddings_as_insightface(engine, reference, photo):
    image = cv2.imread(str(photo))
    n_ref, n_ours, worst_iou, worst_cos = compare_faces(engine, reference, image)
    assert n_ours == n_ref
    assert worst_iou >= 0.95
    assert worst_cos >= 0.99


@contextmanager
def det_size(reference, size: int) -> Iterator[None]:
    """insightface's detector at `size` x `size` for the block (FaceAnalysis.prepare's det_size), then 640 again."""
    reference.prepare(ctx_id=-1, det_size=(size, size))
    try:
        yield
    finally:
        reference.prepare(ctx_id=-1, det_size=(640, 640))


def closeup_parity(engine: FaceEngine, reference, photo: Path) -> tuple[int, int, float, float]:
    """An LFW crop given to us raw and to insightface padded by half its side (it finds almost none of these tight
    crops otherwise), at the canvas our close-up pass reads that padded image at (FaceEngine.closeup_canvas: 512 for
    a 250x250 crop): (reference count, our count, worst IoU, worst cosine); zeros where we find no face."""
    raw = cv2.imread(str(photo))
    if not engine.detect(raw, purpose="all"):
        return len(reference.get(raw)), 0, 0.0, 0.0
    pad = max(raw.shape[:2]) // 2
    padded = cv2.copyMakeBorder(raw, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(0, 0, 0))
    with det_size(reference, engine.passes.closeup_side(max(padded.shape[:2]))):
        return compare_faces(engine, reference, padded, ours_image=raw, shift=pad)


def matches(parity: tuple[int, int, float, float]) -> bool:
    n_ref, n_ours, worst_iou, worst_cos = parity
    return n_ref >= 1 and n_ours >= 1 and worst_iou >= 0.95 and worst_cos >= 0.99


@pytest.mark.parametrize("photo", DATA.lfw_images, ids=lambda p: p.name)
def test_lfw_closeups_raw_match_insightface_on_padded(engine, reference, photo):
    parity = closeup_parity(engine, reference, photo)
    assert matches(parity), parity


@pytest.mark.lfw
def test_lfw_scale_closeups_match_insightface(engine, reference):
    """The same on LFW_SCALE_SAMPLE crops drawn from FACES_DIR (`make test-lfw`; minutes, so not in `make test`)."""
    faces = faces_dir()
    if faces is None:
        pytest.skip(MISSING_FACES_DIR)
    sample = random.Random(7).sample(faces.lfw_images, min(LFW_SCALE_SAMPLE, len(faces.lfw_images)))
    failed = [p.name for p in sample if not matches(closeup_parity(engine, reference, p))]
    assert len(failed) <= (1 - LFW_SCALE_PASS) * len(sample), failed


@pytest.mark.parametrize("photo", DATA.group_photos, ids=lambda p: p.name)
def test_group_photos_find_at_least_the_annotated_faces(engine, photo):
    assert len(engine.detect(cv2.imread(str(photo)))) >= DATA.group_counts[photo.name]


@pytest.mark.parametrize("photo", DATA.noface_photos, ids=lambda p: p.name)
def test_no_face_photos_find_none(engine, photo):
    assert engine.detect(cv2.imread(str(photo))) == []
    assert engine.detect(cv2.imread(str(photo)), purpose="one") == []
