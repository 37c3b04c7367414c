"""The calibration record and the thresholds read off it (issue #25): bench/calibrate.py's arithmetic on known scores,
the committed buffalo_sc record against itself and against docs/accuracy.md, and the 1:1 / 1:N rules of
function/decision.py (never below the 1:1 threshold, refused beyond the calibration, unknown without one)."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pytest

from bench import calibrate
from function.config import Settings
from function.decision import gallery_decision, pair_decision
from function.errors import BeyondCalibration
from function.models.calibration import Calibration, load_calibration

RECORD = load_calibration("buffalo_sc", "fp32")


# -- bench/calibrate.py on scores whose answers are known -------------------------------------------------------------
def test_pair_scores_count_every_pair_once() -> None:
    rng = np.random.default_rng(1)
    v = rng.standard_normal((9, 8)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    ids = ["a", "a", "a", "b", "b", "c", "d", "d", "d"]
    rows = np.arange(9)
    got = calibrate.pair_scores(v, ids, rows, block=4)  # blocks that cut through the triangle
    want_gen = sorted(float(v[i] @ v[j]) for i, j in combinations(range(9), 2) if ids[i] == ids[j])
    want_imp = sorted(float(v[i] @ v[j]) for i, j in combinations(range(9), 2) if ids[i] != ids[j])
    assert np.allclose(got.genuine, want_gen) and np.allclose(got.impostor, want_imp)
    assert got.genuine.size == 3 + 1 + 3 and got.impostor.size == 36 - 7
    cross = calibrate.pair_scores(v, ids, np.array([0, 3]), np.array([1, 5]))
    assert cross.genuine.size == 1 and cross.impostor.size == 3


def test_lowest_threshold_accepts_at_most_the_target() -> None:
    scores = np.sort(np.linspace(-0.2, 0.5, 10_001))
    for far in (1e-1, 1e-2, 1e-3, 1e-4):
        t = calibrate.lowest_threshold(scores, far)
        assert calibrate.accepted(scores, t) <= math.floor(far * scores.size)
        assert calibrate.accepted(scores, t - 2e-4) > math.floor(far * scores.size) - 2  # lowest, to the rounding


def test_clopper_pearson_brackets_the_rate() -> None:
    lo, hi = calibrate.clopper_pearson(0, 1_000_000)
    assert lo == 0 and hi == pytest.approx(3.69e-6, rel=0.01)  # ~ the rule of three
    lo, hi = calibrate.clopper_pearson(50, 1000)
    assert lo < 0.05 < hi


def test_split_is_by_identity_and_stable() -> None:
    assert calibrate.half_of("Aaron_Eckhart") == calibrate.half_of("Aaron_Eckhart")
    halves = [calibrate.half_of(f"person_{i}") for i in range(2000)]
    assert 900 < sum(halves) < 1100


# -- the committed record ----------------------------------------------------------------------------------------------
def test_buffalo_sc_record_is_there_and_consistent() -> None:
    assert RECORD is not None, "function/models/calibrations/buffalo_sc.fp32.json: run make accuracy"
    assert RECORD.default_threshold == Settings().threshold_for("buffalo_sc")
    assert RECORD.min_far == pytest.approx(3 / RECORD.impostor_pairs)
    assert [p.far for p in RECORD.operating_points] == [1e-3, 1e-4, 1e-5, 1e-6]
    for point in RECORD.operating_points:
        assert RECORD.threshold_at(point.far) == point.threshold
        assert point.held_out_far_ci[0] <= point.held_out_far <= point.held_out_far_ci[1]
    thresholds = [t for _, t in RECORD.curve]
    assert thresholds == sorted(thresholds) and RECORD.curve[0][0] == pytest.approx(0.1)


def test_docs_show_the_record() -> None:
    """docs/accuracy.md's calibration section is the one the record renders (written by the same make accuracy)."""
    import json

    from function.models.calibration import record_path

    rec = json.loads(record_path("buffalo_sc", "fp32").read_text())
    text = calibrate.DOCS.read_text()
    section = text[text.index(calibrate.BEGIN) + len(calibrate.BEGIN):text.index(calibrate.END)].strip()
    assert section == calibrate.markdown(rec, "img/det-buffalo_sc-fp32.png").strip()
    assert (calibrate.IMG_DIR / "det-buffalo_sc-fp32.png").is_file()


def test_int8_and_buffalo_l_have_no_record_here() -> None:
    """Not measured here: buffalo_l's weights cannot be downloaded, int8 is not served on this CPU (docs/int8.md)."""
    assert load_calibration("buffalo_l", "fp32") is None
    assert load_calibration("buffalo_sc", "int8") is None


# -- the rules -----------------------------------------------------------------------------------------------------------
def toy() -> Calibration:
    """A calibration whose curve is known: FAR 10^-k at threshold 0.1 k, down to 1e-6."""
    curve = tuple((10.0 ** -k, round(0.1 * k, 4)) for k in range(1, 7))
    return Calibration(pack="toy", precision="fp32", dataset="toy set", measured="2026-12-07", command="none",
                       machine="none", impostor_pairs=3_000_000, genuine_pairs=1000, min_far=1e-6, curve=curve,
                       operating_points=(), default_threshold=0.25, default_far=2e-3, default_tar=0.99)


def test_threshold_at_is_conservative_between_grid_points() -> None:
    cal = toy()
    assert cal.threshold_at(1e-3) == 0.3 and cal.threshold_at(float("1e-3")) == 0.3
    assert cal.threshold_at(5e-4) == 0.4  # between grid points: the stricter one
    assert cal.threshold_at(0.5) == 0.1
    assert cal.threshold_at(9e-7) is None
    assert cal.far_at(0.35) == 1e-3 and cal.far_at(0.05) is None


def test_gallery_threshold_grows_with_the_gallery() -> None:
    cal = toy()
    d100 = gallery_decision(cal, 0.25, 100, 0.01)
    d1000 = gallery_decision(cal, 0.25, 1000, 0.01)
    assert (d100.threshold, d100.rule, d100.far) == (0.4, "fpir", 1e-4)
    assert (d1000.threshold, d1000.rule, d1000.far) == (0.5, "fpir", 1e-5)
    assert d1000.far is not None and 1000 * d1000.far <= 0.01  # the FPIR bound held


def test_gallery_threshold_never_below_the_pair_threshold() -> None:
    d = gallery_decision(toy(), 0.25, 1, 0.01)  # FAR 1e-2 would be 0.2
    assert (d.threshold, d.rule) == (0.25, "floor") and d.far == 1e-2


def test_gallery_beyond_the_calibration_is_refused() -> None:
    with pytest.raises(BeyondCalibration, match="at most 10000 entries"):
        gallery_decision(toy(), 0.25, 20_000, 0.01)


def test_without_calibration_search_keeps_its_threshold_and_far_is_refused() -> None:
    d = gallery_decision(None, 0.4, 1000, 0.01)
    assert (d.threshold, d.rule, d.fpir, d.far) == (0.4, "uncalibrated", None, None)
    assert pair_decision(None, 0.4).threshold == 0.4
    with pytest.raises(BeyondCalibration):
        pair_decision(None, 0.4, 1e-5)
    with pytest.raises(BeyondCalibration):
        pair_decision(toy(), 0.25, 1e-7)
    assert pair_decision(toy(), 0.25, 1e-5).threshold == 0.5
