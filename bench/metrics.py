"""Verification metrics on similarity scores: k-fold accuracy, ROC AUC, FAR/TAR. Pure numpy, no models.

Convention everywhere: a pair is predicted "same person" when its score >= threshold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def _split(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=bool)
    return np.sort(scores[labels]), np.sort(scores[~labels])


def far_tar(scores: np.ndarray, labels: np.ndarray, threshold: float) -> tuple[float, float]:
    """(false accept rate over different-person pairs, true accept rate over same-person pairs) at threshold."""
    pos, neg = _split(scores, labels)
    return float(np.mean(neg >= threshold)), float(np.mean(pos >= threshold))


def best_threshold(scores: np.ndarray, labels: np.ndarray) -> float:
    """The threshold (one of the scores) that maximises accuracy on these pairs; the lowest one on ties."""
    pos, neg = _split(scores, labels)
    candidates = np.unique(np.concatenate([pos, neg]))
    true_accepts = pos.size - np.searchsorted(pos, candidates, side="left")
    true_rejects = np.searchsorted(neg, candidates, side="left")
    return float(candidates[int(np.argmax(true_accepts + true_rejects))])


def accuracy(scores: np.ndarray, labels: np.ndarray, threshold: float) -> float:
    return float(np.mean((np.asarray(scores) >= threshold) == np.asarray(labels, dtype=bool)))


@dataclass(frozen=True)
class KFold:
    accuracies: list[float]
    thresholds: list[float]

    @property
    def mean(self) -> float:
        return float(np.mean(self.accuracies))

    @property
    def std(self) -> float:
        return float(np.std(self.accuracies))


def kfold_accuracy(scores: np.ndarray, labels: np.ndarray, folds: np.ndarray) -> KFold:
    """LFW protocol: for each fold, fit the threshold on the other folds, measure accuracy on this one."""
    scores, labels, folds = np.asarray(scores, dtype=np.float64), np.asarray(labels, dtype=bool), np.asarray(folds)
    accs, ths = [], []
    for f in np.unique(folds):
        test = folds == f
        t = best_threshold(scores[~test], labels[~test])
        accs.append(accuracy(scores[test], labels[test], t))
        ths.append(t)
    return KFold(accs, ths)


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve: P(same-pair score > different-pair score), ties counted half."""
    pos, neg = _split(scores, labels)
    below = np.searchsorted(neg, pos, side="left")
    ties = np.searchsorted(neg, pos, side="right") - below
    return float((below + 0.5 * ties).sum() / (pos.size * neg.size))


def threshold_at_far(scores: np.ndarray, labels: np.ndarray, max_far: float) -> float:
    """The lowest threshold whose FAR is <= max_far: just above the (k+1)-th highest different-pair score,
    k = floor(max_far x number of different pairs)."""
    _, neg = _split(scores, labels)
    k = math.floor(max_far * neg.size + 1e-9)
    if k >= neg.size:
        return float(-np.inf)
    return float(np.nextafter(neg[::-1][k], np.inf))


def tar_at_far(scores: np.ndarray, labels: np.ndarray, max_far: float) -> tuple[float, float]:
    """(TAR, threshold) at the lowest threshold with FAR <= max_far."""
    t = threshold_at_far(scores, labels, max_far)
    return far_tar(scores, labels, t)[1], t


def round_up(value: float, step: float = 0.01) -> float:
    """`value` rounded up to a multiple of `step` (a threshold that keeps FAR at or below its target)."""
    return round(math.ceil(value / step - 1e-9) * step, 10)
