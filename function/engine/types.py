"""Plain data the engine returns: no HTTP, no ONNX Runtime."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class Face:
    """One detected face in the pixel coordinates of the image the engine was given."""

    box: np.ndarray  # (4,) float32: x1, y1, x2, y2
    score: float
    landmarks: np.ndarray  # (5, 2) float32: left eye, right eye, nose, left mouth corner, right mouth corner
    # The clockwise turn (0, 90, 180, 270 degrees) applied to the image to read this face upright; box and landmarks
    # stay in the frame of the image given, landmarks labelled as read upright (function/engine/orientation.py).
    orientation: int = 0
    orientation_settled: bool = True  # False: the evidence could not tell which way up the face is

    @property
    def area(self) -> float:
        return float(max(0.0, self.box[2] - self.box[0]) * max(0.0, self.box[3] - self.box[1]))

    def scaled(self, factor: float) -> Face:
        """The same face with coordinates multiplied by `factor` (e.g. back to original pixels after a reduced decode)."""
        if factor == 1.0:
            return self
        return replace(self, box=self.box * factor, landmarks=self.landmarks * factor)

    def shifted(self, dx: float, dy: float) -> Face:
        offset = np.array([dx, dy], dtype=np.float32)
        return replace(self, box=self.box - np.tile(offset, 2), landmarks=self.landmarks - offset)
