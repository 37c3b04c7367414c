"""Stable input shapes for the CUDA path (issue #13), checked on CPU with the real buffalo_sc models: which shapes
the sessions see, that padding changes no answer, and that the CPU default is untouched."""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pytest

from bench.engines import Call, recording_engine
from function.config import Settings
from function.engine import EngineConfig, FaceEngine
from function.engine.config import RECOGNIZER_BUCKETS
from function.engine.recognizer import bucket_for
from function.engine.sessions import CPU, SessionConfig, cuda_options, providers_for
from function.imaging import decode_image
from tests.support import iou
from tests.support.photos import DATA, wheel_photo, wheel_photos

Calls = list[Call]


def pixels(path) -> np.ndarray:
    return decode_image(path.read_bytes()).pixels


def photos() -> list[np.ndarray]:
    """Portrait, group, 4:3 and odd aspect ratios, and a tight LFW crop (the close-up path)."""
    paths = wheel_photos() + DATA.group_photos[:3]
    return [pixels(p) for p in paths] + [pixels(DATA.lfw_pairs[0].image1)]


def recording(engine: FaceEngine, config: EngineConfig) -> tuple[FaceEngine, Calls]:
    """An engine on the same real sessions, configured by `config`, whose model calls are recorded."""
    calls: Calls = []
    return recording_engine(engine, calls, config), calls


def stable(engine: FaceEngine) -> EngineConfig:
    """The engine's configuration with STABLE_SHAPES=on (as on CUDA), on the CPU sessions."""
    return dataclasses.replace(engine.config, **{k: getattr(Settings(stable_shapes="on").engine_config(), k)
                                                 for k in ("fit_canvas", "recognizer_buckets")})


def test_settings_choose_stable_shapes_with_cuda_only() -> None:
    cpu = Settings().engine_config()
    assert cpu.fit_canvas and cpu.recognizer_buckets == () and not cpu.warm_all_shapes  # CPU default: unchanged
    cuda = Settings(execution_provider="cuda").engine_config()
    assert not cuda.fit_canvas and cuda.recognizer_buckets == RECOGNIZER_BUCKETS and cuda.warm_all_shapes
    forced = Settings(stable_shapes="on").engine_config()
    assert not forced.fit_canvas and forced.recognizer_buckets == RECOGNIZER_BUCKETS and not forced.warm_all_shapes
    assert Settings(execution_provider="cuda", stable_shapes="off").engine_config().fit_canvas
    assert cuda.recognizer_batch == forced.recognizer_batch == max(RECOGNIZER_BUCKETS)  # every chunk fits a bucket
    assert cpu.recognizer_batch == EngineConfig().recognizer_batch < max(RECOGNIZER_BUCKETS)  # CPU: memory first
    env = Settings.from_env({"STABLE_SHAPES": "ON", "CUDNN_CONV_ALGO_SEARCH": "Exhaustive", "MODEL_PRECISION": "int8"})
    assert (env.stable_shapes, env.cudnn_conv_algo_search, env.model_precision) == ("on", "exhaustive", "int8")
    defaults = Settings.from_env({})
    assert (defaults.stable_shapes, defaults.cudnn_conv_algo_search, defaults.model_precision) == \
        ("auto", "heuristic", "fp32")
    for name in ("STABLE_SHAPES", "CUDNN_CONV_ALGO_SEARCH", "MODEL_PRECISION"):
        with pytest.raises(ValueError, match=name):
            Settings.from_env({name: "fast"})


def test_cuda_provider_options_and_cpu_fallback(caplog: pytest.LogCaptureFixture) -> None:
    assert cuda_options(SessionConfig()) == {"cudnn_conv_algo_search": "HEURISTIC"}
    assert cuda_options(SessionConfig(cudnn_conv_algo_search="exhaustive")) == {"cudnn_conv_algo_search": "EXHAUSTIVE"}
    with pytest.raises(ValueError, match="cudnn_conv_algo_search"):
        providers_for(SessionConfig(execution_provider="cuda", cudnn_conv_algo_search="fastest"))
    assert providers_for(SessionConfig()) == [CPU]
    with caplog.at_level(logging.WARNING):
        chosen = providers_for(SessionConfig(execution_provider="cuda"))
    if chosen == [CPU]:  # this onnxruntime build has no CUDA provider (the CPU wheel): CPU, said out loud
        assert "no CUDA provider" in caplog.text
    else:
        assert chosen[0] == ("CUDAExecutionProvider", {"cudnn_conv_algo_search": "HEURISTIC"})


def test_bucket_for() -> None:
    assert [bucket_for(n, RECOGNIZER_BUCKETS) for n in (1, 2, 4, 5, 9, 17, 32, 33)] == [1, 4, 4, 8, 16, 32, 32, 33]
    assert bucket_for(3, ()) == 3


def test_padded_recognizer_batches_give_the_same_embeddings(engine: FaceEngine) -> None:
    image = pixels(wheel_photo("players.jpg"))
    faces = engine.detect(image)
    assert len(faces) > 16
    padded, calls = recording(engine, dataclasses.replace(engine.config, recognizer_buckets=RECOGNIZER_BUCKETS,
                                                          recognizer_batch=max(RECOGNIZER_BUCKETS)))
    for n in (1, 2, 3, 5, 9, 17, len(faces)):
        want = engine.embed(image, faces[:n])
        got = padded.embed(image, faces[:n])
        assert got.shape == want.shape == (n, 512)
        np.testing.assert_allclose(got, want, atol=1e-5)
        assert calls[-1].shape[0] == bucket_for(n, RECOGNIZER_BUCKETS)  # the session saw the bucket, not n
    assert {c.shape[0] for c in calls} <= set(RECOGNIZER_BUCKETS)


def test_fixed_canvases_feed_two_shapes_and_find_the_same_faces(engine: FaceEngine) -> None:
    """Measured on these photos: box IoU >= 0.995, landmarks within 0.2% of the face side, embedding cosine >=
    0.9995 between the fitted (CPU default) and the square canvases; the bounds below leave a margin. (The close-up
    pass is at det_size on both sides here: stable shapes do not read a small crop at its own size.)"""
    fixed, calls = recording(engine, stable(engine))
    default, default_calls = recording(engine, dataclasses.replace(engine.config, closeup_canvas="full"))
    for image in photos():
        for purpose in ("all", "one"):
            want = default.detect(image, purpose=purpose)
            got = fixed.detect(image, purpose=purpose)
            assert len(got) == len(want)
            for a, b in zip(want, got, strict=True):  # the square canvas adds only blank rows/columns past the fitted one
                assert iou(a.box, b.box) >= 0.99
                side = max(a.box[2] - a.box[0], a.box[3] - a.box[1])
                assert np.abs(a.landmarks - b.landmarks).max() <= 0.01 * side
            if want:
                cosines = np.sum(engine.embed(image, want) * engine.embed(image, got), axis=1)
                assert cosines.min() >= 0.999
    det_shapes = {c.shape for c in calls if c.role == "det"}
    # the full (and close-up) pass, the coarse pass (and orientation probe), the orientation check's 128 px crop
    assert {(1, 3, 640, 640), (1, 3, 320, 320)} <= det_shapes <= {(1, 3, s, s) for s in (640, 320, 128)}
    assert len({c.shape for c in default_calls if c.role == "det"}) > 2  # CPU default: fitted canvases


def test_cuda_warmup_runs_every_shape_so_requests_meet_none_new(engine: FaceEngine) -> None:
    config = dataclasses.replace(stable(engine), warm_all_shapes=True)
    warm, calls = recording(engine, config)
    warm.warmup()
    warmed = {(c.role, c.shape) for c in calls}
    assert warmed == {("det", (1, 3, 640, 640)), ("det", (1, 3, 320, 320)), ("det", (1, 3, 128, 128))} | \
        {("rec", (n, 3, 112, 112)) for n in RECOGNIZER_BUCKETS}
    calls.clear()
    for image in photos():
        faces = warm.detect(image, purpose="all")
        warm.embed(image, faces)
        warm.detect(image, purpose="one")
    assert {(c.role, c.shape) for c in calls} <= warmed  # after start-up, no request meets a new shape
