"""FaceEngine's one entry point per image (EngineRun.read, inside FaceEngine.slot) on the real buffalo_sc models:
the same faces and embeddings as the one-step methods, the caller's choice applied before alignment, embeddings only
as asked, the deadline honoured, and the gate taken once per request."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from function.deadline import Deadline
from function.engine import Face, FaceEngine
from function.engine.config import QualityThresholds
from function.errors import DeadlineExceeded
from tests.support import read
from tests.support.photos import wheel_photo

PLAYERS = wheel_photo("players.jpg")  # a crowd
YAO = wheel_photo("yaoming.jpg")  # one face


def test_read_finds_what_detect_finds_and_embeds_what_embed_embeds(engine: FaceEngine) -> None:
    pixels = read(PLAYERS)
    with engine.slot() as run:
        reading = run.read(pixels, "all", embed="all")
    found = engine.detect(pixels)
    assert len(reading.found) == len(found) > 5
    assert all(np.array_equal(a.box, b.box) for a, b in zip(reading.found, found, strict=True))
    assert [r.face for r in reading.faces] == reading.found  # every face embedded (no deadline), detection order
    vectors = engine.embed(pixels, found)
    for r, v in zip(reading.faces, vectors, strict=True):
        assert r.embedding is not None and np.allclose(r.embedding, v, atol=1e-6)


def test_select_comes_before_alignment_and_embedding(engine: FaceEngine) -> None:
    pixels = read(PLAYERS)
    seen: list[int] = []

    def largest(faces: list[Face], shape: tuple[int, ...]) -> list[Face]:
        seen.append(len(faces))
        assert shape == pixels.shape
        return [max(faces, key=lambda f: f.area)]

    with engine.slot() as run:
        reading = run.read(pixels, "all", select=largest, embed="all")
    assert seen == [len(reading.found)] and len(reading.faces) == 1
    assert reading.faces[0].face.area == max(f.area for f in reading.found)


def test_embed_none_and_usable(engine: FaceEngine) -> None:
    pixels = read(YAO)
    strict = QualityThresholds(min_face_size=10_000.0)  # no face is usable
    with engine.slot() as run:
        plain = run.read(pixels, "one")
        refused = run.read(pixels, "one", embed="usable", quality=strict)
        kept = run.read(pixels, "one", embed="usable")
    assert len(plain.faces) == 1 and plain.faces[0].embedding is None and plain.faces[0].quality.usable
    assert refused.faces[0].embedding is None and "face_too_small" in refused.faces[0].quality.reasons
    assert kept.faces[0].embedding is not None and kept.faces[0].embedding.shape == (engine.embedding_size,)


def test_a_spent_deadline_refuses_before_any_model_run(engine: FaceEngine) -> None:
    with pytest.raises(DeadlineExceeded, match="before the work started"), engine.slot(Deadline.after(0.0)):
        pass


def test_the_gate_is_taken_once_per_request(engine: FaceEngine) -> None:
    """With one slot, a whole read (several detector and recognizer runs) goes through: nothing inside takes the
    gate again; a second request meanwhile waits and gives up within its deadline."""
    single = FaceEngine(engine.detector, engine.recognizer, replace(engine.config, max_concurrent_runs=1), engine.pack)
    with single.slot() as run:
        reading = run.read(read(PLAYERS), "all", embed="all")
        with pytest.raises(DeadlineExceeded, match="busy"), single.slot(Deadline.after(0.2)):
            pass
    assert len(reading.faces) > 5
    with single.slot():  # released
        pass
