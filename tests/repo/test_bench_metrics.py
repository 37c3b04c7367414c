"""The accuracy script's pure functions (bench/common.py) on scores whose answers are known by hand."""

from __future__ import annotations

import numpy as np
import pytest

from bench import common as metrics


def test_far_tar_counts_scores_at_the_threshold_as_accepted() -> None:
    scores = np.array([0.9, 0.5, 0.3, 0.5, 0.1, 0.0])
    labels = np.array([True, True, True, False, False, False])
    assert metrics.far_tar(scores, labels, 0.5) == (pytest.approx(1 / 3), pytest.approx(2 / 3))
    assert metrics.far_tar(scores, labels, 0.51) == (0.0, pytest.approx(1 / 3))


def test_best_threshold_separates_separable_scores() -> None:
    scores = np.array([0.8, 0.7, 0.6, 0.2, 0.1, 0.3])
    labels = np.array([True, True, True, False, False, False])
    t = metrics.best_threshold(scores, labels)
    assert 0.3 < t <= 0.6
    assert metrics.accuracy(scores, labels, t) == 1.0


def test_kfold_fits_on_the_other_folds_and_tests_on_the_held_out_one() -> None:
    # Worked by hand. Fold 1 is scored at 0.4 (fitted on folds 2-3), where its different pair at 0.5 is accepted;
    # fold 2 at 0.6 (fitted on 1+3), where its same pair at 0.4 is rejected; fold 3 at 0.4 (1+2; 0.4 and 0.6 tie
    # at 5/6 and the lower wins), all correct.
    scores = np.array([0.6, 0.5, 0.9, 0.3, 0.4, 0.2, 0.8, 0.1])
    labels = np.array([True, False, True, False, True, False, True, False])
    folds = np.array([1, 1, 2, 2, 2, 2, 3, 3])
    kf = metrics.kfold_accuracy(scores, labels, folds)
    assert kf.thresholds == pytest.approx([0.4, 0.6, 0.4])
    assert kf.accuracies == pytest.approx([0.5, 0.75, 1.0])
    assert kf.mean == pytest.approx(0.75)


def test_roc_auc_perfect_random_and_ties() -> None:
    labels = np.array([True, True, False, False])
    assert metrics.roc_auc(np.array([0.9, 0.8, 0.2, 0.1]), labels) == 1.0
    assert metrics.roc_auc(np.array([0.1, 0.2, 0.8, 0.9]), labels) == 0.0
    assert metrics.roc_auc(np.array([0.5, 0.5, 0.5, 0.5]), labels) == 0.5


def test_tar_at_far_allows_floor_far_times_negatives_false_accepts() -> None:
    rng = np.random.default_rng(0)
    neg = rng.uniform(0.0, 0.5, 2000)
    pos = np.concatenate([rng.uniform(0.4, 1.0, 990), rng.uniform(0.0, 0.1, 10)])
    scores = np.concatenate([pos, neg])
    labels = np.concatenate([np.ones(pos.size, bool), np.zeros(neg.size, bool)])
    tar, t = metrics.tar_at_far(scores, labels, 1e-3)
    far, tar_again = metrics.far_tar(scores, labels, t)
    assert far <= 1e-3 and far * neg.size == 2  # floor(1e-3 x 2000) = 2 false accepts allowed, not 3
    assert tar == tar_again
    assert metrics.far_tar(scores, labels, np.nextafter(t, -np.inf))[0] > 1e-3  # the lowest such threshold


def test_round_up_keeps_the_threshold_on_the_safe_side() -> None:
    assert metrics.round_up(0.2213) == 0.23
    assert metrics.round_up(0.22) == 0.22
