"""Plain data the engine returns: no HTTP, no ONNX Runtime."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Face:
    """One detected face in the pixel coordinates of the image the engine was given."""

    box: np.ndarray  # (4,) float32: x1, y1, x2, y2
    score: float
    landmarks: np.ndarray  # (5, 2) float32: left eye, right eye, nose, left mouth corner, right mouth corner

    @property
    def area(self) -> float:
        return float(max(0.0, self.box[2] - self.box[0]) * max(0.0, self.box[3] - self.box[1]))

    def scaled(self, factor: float) -> Face:
        """The same face with coordinates multiplied by `factor` (e.g. back to original pixels after a reduced decode)."""
        if factor == 1.0:
            return self
        return Face(self.box * factor, self.score, self.landmarks * factor)

    def shifted(self, dx: float, dy: float) -> Face:
        offset = np.array([dx, dy], dtype=np.float32)
        return Face(self.box - np.tile(offset, 2), self.score, self.landmarks - offset)


def iou(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float:
    """Intersection over union of two [x1, y1, x2, y2] boxes, continuous coordinates (no +1 pixel convention, unlike
    the detector's NMS): how the tests and benchmarks match one pipeline's faces to another's."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return float(inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter))
