"""Turning an image by quarter turns and mapping what the detector found there back to the caller's frame.

`turn` is always the clockwise rotation, in degrees (0, 90, 180, 270), applied to the caller's image (EXIF already
applied) to read it upright. A face found in the turned copy keeps its landmarks in the order they were read there
(left eye, right eye, nose, mouth left, mouth right, as seen upright), so the five-point alignment made from the
mapped-back landmarks is the upright copy's alignment: the similarity transform absorbs the quarter turn.
Pure numpy/OpenCV; no model runs.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Literal

import cv2
import numpy as np

from function.engine.types import Face

Turn = Literal[0, 90, 180, 270]
TURNS: tuple[Turn, ...] = (0, 90, 180, 270)
_ROTATE = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


def turn_image(image: np.ndarray, turn: int) -> np.ndarray:
    """`image` turned `turn` degrees clockwise (a copy, except for 0)."""
    return image if turn == 0 else cv2.rotate(image, _ROTATE[turn])


def points_back(points: np.ndarray, turn: int, width: int, height: int) -> np.ndarray:
    """(N, 2) points of the copy turned `turn` degrees clockwise, in the frame of the original `width` x `height`
    image (continuous pixel coordinates: edges at 0 and width)."""
    p = np.asarray(points, dtype=np.float32).reshape(-1, 2)
    x, y = p[:, 0], p[:, 1]
    if turn == 90:  # original (x, y) -> turned (height - y, x)
        return np.stack([y, height - x], axis=1)
    if turn == 180:
        return np.stack([width - x, height - y], axis=1)
    if turn == 270:  # original (x, y) -> turned (y, width - x)
        return np.stack([width - y, x], axis=1)
    return p


def face_back(face: Face, turn: int, width: int, height: int) -> Face:
    """A face found in the copy turned `turn` degrees clockwise, in the original frame, with `orientation=turn`."""
    if turn == 0:
        return face
    corners = points_back(face.box.reshape(2, 2), turn, width, height)
    box = np.concatenate([corners.min(axis=0), corners.max(axis=0)]).astype(np.float32)
    return replace(face, box=box, landmarks=points_back(face.landmarks, turn, width, height).astype(np.float32),
                   orientation=turn)


def upright_landmarks(face: Face) -> np.ndarray:
    """The face's landmarks turned into the upright copy's frame (up to a translation, which pose ignores)."""
    lm = np.asarray(face.landmarks, dtype=np.float64).reshape(5, 2)
    if face.orientation == 0:
        return lm
    a = math.radians(face.orientation)  # clockwise on screen (y down) = +angle in image coordinates
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return lm @ rot.T


def roll_of(face: Face) -> float:
    """Roll in degrees of the eye line as read in the frame the face was detected in."""
    lm = face.landmarks
    return math.degrees(math.atan2(float(lm[1, 1] - lm[0, 1]), float(lm[1, 0] - lm[0, 0])))


def turn_for_roll(roll: float) -> Turn:
    """The clockwise turn that brings an eye line at `roll` degrees (clockwise as seen) nearest level."""
    quarter = round(roll / 90.0) % 4  # 1: the face lies turned 90 degrees clockwise -> turn the image 270
    return TURNS[(4 - quarter) % 4]
