"""Which cosine threshold decides "same person": the default 1:1 threshold, a threshold for a false-accept rate asked
for (?far=), and a 1:N threshold that holds a false-positive identification rate (FPIR) for a gallery of N entries.

A stranger searched against N entries is matched when any entry scores at or above the threshold: with a per-pair
false-accept rate FAR, FPIR <= N x FAR (the union bound; each photo of an enrolled person is one more chance). The
1:N threshold is read off the pack's calibration at FAR = FPIR / N, and is never below the pack's 1:1 threshold.
Pure arithmetic on the calibration record (function/models/calibration.py); no model, no HTTP.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from function.errors import BeyondCalibration
from function.models.calibration import Calibration

# Default target FPIR of /search (SEARCH_FPIR): a stranger is named as someone enrolled at most 1% of the time.
DEFAULT_SEARCH_FPIR = 0.01

# How a threshold was chosen. 1:1: "default" = the pack's 1:1 threshold (SIMILARITY_THRESHOLD); "far" = read off the
# calibration for ?far=. 1:N (/search's threshold_rule): "fpir" = read off the calibration at FAR = FPIR / N;
# "floor" = FPIR / N asked for a lower threshold than the 1:1 one, which applies instead; "uncalibrated" = the pack has
# no calibration: the 1:1 threshold, FPIR unknown.
PairRule = Literal["default", "far"]
GalleryRule = Literal["fpir", "floor", "uncalibrated"]
ThresholdRule = PairRule | GalleryRule


@dataclass(frozen=True)
class Decision:
    threshold: float
    rule: ThresholdRule
    far: float | None = None  # the per-pair FAR the threshold holds, on the calibration's grid
    fpir: float | None = None  # 1:N: the FPIR target the threshold holds (None: unknown)
    calibration: str | None = None  # the calibration's name


def pair_decision(calibration: Calibration | None, default: float, far: float | None = None) -> Decision:
    """The 1:1 threshold: `default` unless a FAR is asked for, then the calibrated threshold for it."""
    if far is None:
        return Decision(threshold=default, rule="default")
    if calibration is None:
        raise BeyondCalibration("?far= needs the served pack's measured FAR curve, and this pack has none here "
                                f"(not measured); leave ?far= out to use its threshold {default}.", field="far")
    threshold = calibration.threshold_at(far)
    if threshold is None:
        raise BeyondCalibration(f"FAR {far:g} is below what the calibration {calibration.name} can support "
                                f"({calibration.min_far:.1e}).", field="far")
    return Decision(threshold=threshold, rule="far", far=calibration.far_at(threshold), calibration=calibration.name)


def gallery_decision(calibration: Calibration | None, floor: float, entries: int, fpir: float) -> Decision:
    """The 1:N threshold for a gallery of `entries` entries at a target FPIR, never below `floor` (the 1:1
    threshold). Refused (BeyondCalibration) when the FAR that gallery needs is below the calibration's range."""
    if calibration is None:
        return Decision(threshold=floor, rule="uncalibrated")
    needed = fpir / max(entries, 1)
    threshold = calibration.threshold_at(needed)
    if threshold is None:
        largest = math.floor(fpir / calibration.min_far * (1 + 1e-9))
        raise BeyondCalibration(
            f"A gallery of {entries} entries at FPIR {fpir:g} needs a per-pair FAR of {needed:.1e}, below what the "
            f"calibration {calibration.name} can support ({calibration.min_far:.1e}): at this FPIR it supports at "
            f"most {largest} entries. Search a smaller gallery or allow a higher ?fpir=.", field="gallery")
    rule: GalleryRule = "fpir"
    if threshold < floor:
        threshold, rule = floor, "floor"
    return Decision(threshold=threshold, rule=rule, far=calibration.far_at(threshold), fpir=fpir,
                    calibration=calibration.name)
