"""Guards on the engine changes made for issue #4 (accuracy and memory), on the real buffalo_sc models."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from function.config import Settings
from function.engine import FaceEngine
from function.errors import PackError
from function.imaging import decode_image
from function.startup import EngineLoader
from tests.support.photos import DATA, wheel_photo


def test_closeup_fallback_finds_a_tight_crop_but_not_the_dog(engine: FaceEngine) -> None:
    lfw = decode_image(DATA.lfw_pairs[0].image1.read_bytes()).pixels
    assert engine.detector.detect(lfw, engine.config.det_size) == []  # too close for SCRFD at 640 as it is
    assert len(engine.detect(lfw)) == 1  # found by the padded retry
    dog = decode_image((DATA.noface / "dlib_dog.jpg").read_bytes()).pixels
    assert engine.detect(dog) == []  # the padded retry sees a small "face" there; it is not a close-up
    loose = FaceEngine(engine.detector, engine.recognizer,  # (on the whole padded canvas: a 0.9 window finds none)
                       dataclasses.replace(engine.config, closeup_min_face_fraction=0.0, closeup_window=1.0))
    assert len(loose.detect(dog)) >= 1  # ...which is what the size rule removes


def test_recognizer_batches_give_the_same_embeddings(engine: FaceEngine) -> None:
    pixels = decode_image(wheel_photo("players.jpg").read_bytes()).pixels
    faces = engine.detect(pixels)
    assert len(faces) > 3  # several batches of 3 below vs one run
    small = FaceEngine(engine.detector, engine.recognizer, dataclasses.replace(engine.config, recognizer_batch=3))
    one_run = FaceEngine(engine.detector, engine.recognizer,
                         dataclasses.replace(engine.config, recognizer_batch=len(faces)))
    a, b = small.embed(pixels, faces), one_run.embed(pixels, faces)
    assert a.shape == (len(faces), 512)
    np.testing.assert_allclose(a, b, atol=1e-4)
    assert small.embed(pixels, []).shape == (0, 512)


def test_engine_loader_loads_on_a_thread_and_reports_pack_errors(settings: Settings, tmp_path) -> None:
    engine = EngineLoader(settings).result()
    assert engine.pack is not None and engine.pack.name == "buffalo_sc"
    with pytest.raises(PackError):
        EngineLoader(dataclasses.replace(settings, model_dir=tmp_path, model_pack="buffalo_sc")).result()


def test_a_face_filling_the_frame_takes_its_landmarks_from_the_padded_pass(engine: FaceEngine) -> None:
    lfw = decode_image(DATA.lfw_pairs[0].image1.read_bytes()).pixels
    coarse = engine.detector.detect(lfw, engine.config.coarse_det_size)
    assert len(coarse) == 1 and engine.passes.fills_frame(coarse[0], lfw.shape)  # the coarse pass does see this crop
    padded = engine.passes.closeups(lfw)
    chosen = engine.detect(lfw, purpose="one")
    assert len(chosen) == 1
    np.testing.assert_allclose(chosen[0].landmarks, padded[0].landmarks)
    one_face = decode_image(wheel_photo("yaoming.jpg").read_bytes()).pixels  # an ordinary portrait keeps the fast path
    fast = engine.detector.detect(one_face, engine.config.coarse_det_size)
    assert not engine.passes.fills_frame(fast[0], one_face.shape)
    np.testing.assert_allclose(engine.detect(one_face, purpose="one")[0].landmarks, fast[0].landmarks)


def test_the_closeup_pass_reads_a_small_crop_at_its_own_size_or_a_window(engine: FaceEngine, monkeypatch) -> None:
    """CLOSEUP_CANVAS=fit: a 250x250 LFW crop, padded to 500x500, is read at 512 (its size rounded up to a whole
    stride; never scaled up to 640). With `full` (the default), at the reference's scale (det_size over twice the long
    side), cut to CLOSEUP_WINDOW of det_size (a whole number of strides per edge): at 0.9 the crop is seen at
    576x576 (the padded 500x500 at 640 with the default window 1.0). Every reading finds the one face."""
    lfw = decode_image(DATA.lfw_pairs[0].image1.read_bytes()).pixels
    sizes: list[tuple[int, tuple[int, ...]]] = []
    detect = engine.detector.detect

    def recording(image, size, *args, **kwargs):  # type: ignore[no-untyped-def]
        sizes.append((size, image.shape))
        return detect(image, size, *args, **kwargs)

    monkeypatch.setattr(engine.detector, "detect", recording)
    full_canvas = dataclasses.replace(engine.config, closeup_canvas="full")
    fit = FaceEngine(engine.detector, engine.recognizer, dataclasses.replace(engine.config, closeup_canvas="fit"))
    window = FaceEngine(engine.detector, engine.recognizer, dataclasses.replace(full_canvas, closeup_window=0.9))
    whole = FaceEngine(engine.detector, engine.recognizer, full_canvas)
    found = [e.passes.closeups(lfw) for e in (fit, window, whole)]
    assert sizes == [(512, (500, 500, 3)), (576, (450, 450, 3)), (640, (500, 500, 3))]
    assert [len(f) for f in found] == [1, 1, 1]
    v = engine.embed(lfw, [f[0] for f in found])
    assert float(v[0] @ v[2]) >= 0.97 and float(v[1] @ v[2]) >= 0.99
