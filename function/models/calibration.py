"""A pack's measured score curve: per-pair false-accept rate (FAR) against cosine threshold, one record per pack and
served precision, written by `make accuracy` (bench/calibrate.py) into function/models/calibrations/ and read here.
No inference; the service turns these numbers into decisions (function/decision.py).

A record holds the curve fitted on half of the evaluation set's identities (`curve`: FAR targets on a log grid, each
with the lowest threshold whose FAR on the fitting half is at or below it), the operating points reported on the other
half, the default threshold's measured FAR, and where the numbers come from (data set, command, date, machine).
`min_far` is the lowest FAR the fitting half can support: the rule of three, 3 / impostor pairs (no measured false
accept among n pairs bounds the FAR below 3/n at 95% confidence), so a threshold for a smaller FAR is not read off it.
A pack or precision without a record (buffalo_l, until its weights can be measured here) has no curve: its named
threshold stays, and what it means in FAR is unknown.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RECORDS_DIR = Path(__file__).resolve().parent / "calibrations"
# Relative tolerance when a FAR asked for is compared with the grid's (1e-5 read from a query string is 1e-5 on the
# grid, not one ulp above or below it).
_FAR_TOLERANCE = 1e-9


def record_path(pack: str, precision: str, directory: Path = RECORDS_DIR) -> Path:
    return directory / f"{pack}.{precision}.json"


@dataclass(frozen=True)
class OperatingPoint:
    """A FAR target, the threshold fitted for it, and what that threshold gave on the held-out half."""

    far: float
    threshold: float
    held_out_far: float
    held_out_far_ci: tuple[float, float]
    tar: float
    tar_ci: tuple[float, float]


@dataclass(frozen=True)
class Calibration:
    pack: str
    precision: str
    dataset: str
    measured: str  # date, YYYY-MM-DD
    command: str
    machine: str
    impostor_pairs: int  # fitting half
    genuine_pairs: int
    min_far: float
    curve: tuple[tuple[float, float], ...]  # (far, threshold), far descending, threshold ascending
    operating_points: tuple[OperatingPoint, ...]
    default_threshold: float
    default_far: float  # the default threshold's FAR over every impostor pair of the set
    default_tar: float

    @property
    def name(self) -> str:
        return f"{self.pack}/{self.precision} {self.dataset.split(' ', 1)[0]} {self.measured}"

    def threshold_at(self, far: float) -> float | None:
        """The lowest fitted threshold whose FAR is at most `far`: the curve's point at the largest grid FAR not above
        `far`. None when `far` is below min_far (the measurement cannot say)."""
        if far < self.min_far * (1 - _FAR_TOLERANCE):
            return None
        for grid_far, threshold in self.curve:
            if grid_far <= far * (1 + _FAR_TOLERANCE):
                return threshold
        return None

    def far_at(self, threshold: float) -> float | None:
        """The smallest grid FAR whose threshold is at or below `threshold` (the FAR this threshold holds, on the
        grid's resolution); None when `threshold` is below the whole curve (a FAR above its first point)."""
        held = [far for far, t in self.curve if t <= threshold]
        return min(held) if held else None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Calibration:
        points = tuple(OperatingPoint(far=p["far"], threshold=p["threshold"], held_out_far=p["held_out_far"],
                                      held_out_far_ci=tuple(p["held_out_far_ci"]),
                                      tar=p["tar"], tar_ci=tuple(p["tar_ci"]))
                       for p in data["operating_points"])
        curve = tuple((float(f), float(t)) for f, t in data["curve"])
        if any(a[0] <= b[0] or a[1] > b[1] for a, b in itertools.pairwise(curve)):
            raise ValueError("calibration curve: FAR must descend and thresholds must not")
        return cls(pack=data["pack"], precision=data["precision"], dataset=data["dataset"],
                   measured=data["measured"], command=data["command"], machine=data["machine"],
                   impostor_pairs=int(data["fit"]["impostor_pairs"]), genuine_pairs=int(data["fit"]["genuine_pairs"]),
                   min_far=float(data["min_far"]), curve=curve, operating_points=points,
                   default_threshold=float(data["default"]["threshold"]), default_far=float(data["default"]["far"]),
                   default_tar=float(data["default"]["tar"]))


def load_calibration(pack: str, precision: str, directory: Path = RECORDS_DIR) -> Calibration | None:
    """The record for this pack and served precision, or None when it was never measured."""
    path = record_path(pack, precision, directory)
    if not path.is_file():
        return None
    return Calibration.from_json(json.loads(path.read_text()))
