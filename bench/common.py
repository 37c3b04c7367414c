"""What every bench script shares: progress and machine lines, process memory and CPU from /proc, where results go,
summary statistics, verification metrics on similarity scores, and the cloud prices the cost tables use.

Metrics convention: a pair is predicted "same person" when its score >= threshold.
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from function.config import available_cpus

RESULTS = Path(__file__).resolve().parent / "results"  # git-ignored
CLK_TCK = os.sysconf("SC_CLK_TCK")

# US East (N. Virginia) prices read 2026-11-28 (sources: docs/lambda-sizing.md "Cost", docs/bulk.md "Prices"); free
# tiers left out.
LAMBDA_GB_SECOND = 0.0000166667
LAMBDA_REQUEST = 0.20 / 1e6
API_GATEWAY_REST_REQUEST = 3.50 / 1e6
REKOGNITION_COMPARE_FACES = 1.00 / 1000  # Group 1 image API, first million images a month
LAMBDA_MB_FOR_THREADS = {1: 1769, 2: 3538}  # Lambda MB that credit exactly that many vCPUs


# -- progress, machine, processes ----------------------------------------------------------------------------------
def log(msg: str) -> None:
    """Progress on stderr, so that stdout holds only the tables."""
    print(msg, file=sys.stderr, flush=True)


def machine() -> str:
    """CPUs, CPU model, OS, Python and the load average at start: the conditions a run's figures depend on."""
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), "?")
    except OSError:
        cpu = "?"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{available_cpus()} CPUs ({cpu}), {platform.system()} {platform.release()}, Python " \
           f"{platform.python_version()}, load average at start {load:.1f}"


def utc_now() -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())


def status_mb(pid: int | str = "self", key: str = "VmHWM") -> float:
    """A memory line of /proc/<pid>/status in MB (VmHWM: peak RSS, VmRSS: current RSS); nan where it is absent."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process, all its threads (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class PeakOverIdle:
    """A process's peak RSS while in the `with` block and its RSS before (MiB): VmHWM after resetting it through
    /proc/<pid>/clear_refs where allowed, and in any case VmRSS sampled every 5 ms (a cross-check, and the measure
    where clear_refs is not allowed)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.idle_mib, self.peak_mib, self.hwm_reset = pid, 0.0, 0.0, False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_mib = max(self.peak_mib, status_mb(self.pid, "VmRSS"))
            time.sleep(0.005)

    def __enter__(self) -> PeakOverIdle:
        self.idle_mib = status_mb(self.pid, "VmRSS")
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
            self.hwm_reset = True
        except OSError:
            self.hwm_reset = False
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        if self.hwm_reset:
            self.peak_mib = max(self.peak_mib, status_mb(self.pid, "VmHWM"))


def save_results(results: Any, kind: str, path: Path | None = None, default: Callable[[Any], Any] = str) -> Path:
    """JSON to `path`, or bench/results/<kind>-<timestamp>.json."""
    out = path or RESULTS / f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=default) + "\n")
    return out


# -- summary statistics --------------------------------------------------------------------------------------------
def percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) by linear interpolation between the two nearest ranks (numpy's default); nan if empty."""
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def med(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def p10(values: Sequence[float]) -> float:
    return float(percentile(values, 0.1))


def p90(values: Sequence[float]) -> float:
    return float(percentile(values, 0.9))


def summary(values: Sequence[float]) -> dict[str, float]:
    """Median, 10th and 90th percentile, min, max and count (the spread the tables print)."""
    v = sorted(values)
    if not v:
        nan = float("nan")
        return {"median": nan, "p10": nan, "p90": nan, "min": nan, "max": nan, "n": 0}
    return {"median": statistics.median(v), "p10": percentile(v, 0.1), "p90": percentile(v, 0.9), "min": v[0],
            "max": v[-1], "n": len(v)}


def ms(stats: dict[str, float], spread: bool = True) -> str:
    """A summary() in seconds as milliseconds: "median (p10–p90)", or the median alone."""
    text = f"{stats['median'] * 1e3:.0f}"
    if spread:
        text += f" ({stats['p10'] * 1e3:.0f}–{stats['p90'] * 1e3:.0f})"
    return text


# -- verification metrics ------------------------------------------------------------------------------------------
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
