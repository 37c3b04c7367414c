"""Summary statistics the bench scripts print: medians, linear-interpolation percentiles, the spread of a series."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


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
