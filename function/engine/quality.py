"""Face quality and head pose from one detected face: size, sharpness, brightness, yaw/pitch/roll, and whether the
face is usable by a set of thresholds. Pure numpy/OpenCV; no model runs, no HTTP (docs/quality.md).

Sharpness and brightness are measured on what the recognizer sees: the face aligned to the 112x112 ArcFace template
(the same warp as embedding), in grey, over the inner face region (eyebrows to chin, cheek to cheek, so the black fill
of a crop that leaves the image counts little). Sharpness is the variance of the Laplacian there: a large face in a
sharp photo scores high, a blurred or an up-scaled tiny face scores low. Brightness is the mean grey level, 0..255.

Pose comes from the five landmarks alone, with a weak-perspective model of a generic face:
- roll: the angle of the line from the eye on the image's left to the eye on the image's right (exact for an
  in-plane rotation; positive = the face turned clockwise as seen);
- yaw: the nose tip's sideways offset from the eye-mouth midline, in the roll-free frame. A nose tip that stands
  NOSE_DEPTH inter-ocular distances in front of the eye-mouth plane moves sideways by depth x sin(yaw) while the
  half eye distance shrinks by cos(yaw), so tan(yaw) = offset / (half eye distance) / (2 x NOSE_DEPTH). Positive =
  the face turned towards the image's right (the subject's left);
- pitch: where the nose tip sits between the eye line and the mouth line, against the frontal template's 0.495:
  tan(pitch) = (0.495 - t) x (eye-mouth height / nose depth). Positive = face tilted up.
The magnitudes rest on that generic depth (not calibrated per person): trust signs and ordering, and treat yaw and
pitch beyond ~45 degrees as "large", since the landmarks themselves degrade there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from function.engine.aligner import ARCFACE_TEMPLATE, align_face
from function.engine.types import Face

# Frontal ratios of the ArcFace template: nose between eye line and mouth line, eye-mouth height / eye distance.
_EYES_Y = (ARCFACE_TEMPLATE[0, 1] + ARCFACE_TEMPLATE[1, 1]) / 2
_MOUTH_Y = (ARCFACE_TEMPLATE[3, 1] + ARCFACE_TEMPLATE[4, 1]) / 2
NOSE_T0 = float((ARCFACE_TEMPLATE[2, 1] - _EYES_Y) / (_MOUTH_Y - _EYES_Y))  # 0.495
HEIGHT_PER_EYE_DISTANCE = float((_MOUTH_Y - _EYES_Y) / (ARCFACE_TEMPLATE[1, 0] - ARCFACE_TEMPLATE[0, 0]))  # 1.154
# Nose tip in front of the eye-mouth plane, in inter-ocular distances (adult average: ~38 mm for ~63 mm).
NOSE_DEPTH = 0.6
# Inner face region of the 112x112 aligned crop: rows 24..104 (brows to chin), columns 20..92 (cheek to cheek).
_REGION = (slice(24, 104), slice(20, 92))

Reason = str  # one of REASONS
REASONS = ("face_too_small", "too_blurry", "too_dark", "too_bright", "yaw_too_large", "pitch_too_large",
           "roll_too_large")


@dataclass(frozen=True)
class Pose:
    yaw: float
    pitch: float
    roll: float


@dataclass(frozen=True)
class QualityThresholds:
    """A face is usable when every measure is within these (defaults: Settings, docs/quality.md)."""

    min_face_size: float = 64.0
    min_sharpness: float = 40.0
    min_brightness: float = 50.0
    max_brightness: float = 215.0
    max_yaw: float = 35.0
    max_pitch: float = 30.0
    max_roll: float = 45.0


@dataclass(frozen=True)
class Quality:
    face_size: float  # the box's shorter side, pixels of the image as sent
    sharpness: float
    brightness: float
    pose: Pose
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    @property
    def usable(self) -> bool:
        return not self.reasons


def estimate_pose(landmarks: np.ndarray) -> Pose:
    """Yaw, pitch, roll in degrees from the five landmarks (see the module docstring)."""
    pts = np.asarray(landmarks, dtype=np.float64).reshape(5, 2)
    left_eye, right_eye = pts[0], pts[1]
    eye_vec = right_eye - left_eye
    roll = math.atan2(eye_vec[1], eye_vec[0])
    # Into the roll-free frame: rotate by -roll about the eye midpoint.
    c, s = math.cos(-roll), math.sin(-roll)
    rot = np.array([[c, -s], [s, c]])
    eyes_mid = (left_eye + right_eye) / 2
    p = (pts - eyes_mid) @ rot.T
    eye_half = max(abs(p[1, 0] - p[0, 0]) / 2, 1e-6)
    mouth_mid = (p[3] + p[4]) / 2
    midline_x = mouth_mid[0] / 2  # eye midpoint is the origin
    yaw = math.atan((p[2, 0] - midline_x) / eye_half / (2 * NOSE_DEPTH))
    height = mouth_mid[1]
    t = p[2, 1] / height if abs(height) > 1e-6 else NOSE_T0
    pitch = math.atan((NOSE_T0 - t) * HEIGHT_PER_EYE_DISTANCE / NOSE_DEPTH)
    return Pose(yaw=math.degrees(yaw), pitch=math.degrees(pitch), roll=math.degrees(roll))


def crop_measures(aligned: np.ndarray) -> tuple[float, float]:
    """(sharpness, brightness) of an aligned 112x112 BGR or grey face crop."""
    grey = aligned if aligned.ndim == 2 else cv2.cvtColor(aligned, cv2.COLOR_BGR2GRAY)
    region = grey[_REGION]
    sharpness = float(cv2.Laplacian(region, cv2.CV_64F).var())
    return sharpness, float(region.mean())


def judge(face_size: float, sharpness: float, brightness: float, pose: Pose,
          limits: QualityThresholds) -> tuple[Reason, ...]:
    """The reasons a face is not usable (empty when it is), in REASONS order."""
    failed = {
        "face_too_small": face_size < limits.min_face_size,
        "too_blurry": sharpness < limits.min_sharpness,
        "too_dark": brightness < limits.min_brightness,
        "too_bright": brightness > limits.max_brightness,
        "yaw_too_large": abs(pose.yaw) > limits.max_yaw,
        "pitch_too_large": abs(pose.pitch) > limits.max_pitch,
        "roll_too_large": abs(pose.roll) > limits.max_roll,
    }
    return tuple(r for r in REASONS if failed[r])


def assess(image: np.ndarray, face: Face, limits: QualityThresholds, pixel_scale: float = 1.0) -> Quality:
    """Quality of `face` (coordinates in `image` pixels); `pixel_scale` maps them to the image as sent (reduced
    decode), so that face_size is in the pixels the caller knows."""
    box = face.box
    face_size = float(min(box[2] - box[0], box[3] - box[1])) * pixel_scale
    sharpness, brightness = crop_measures(align_face(image, face.landmarks, 112))
    pose = estimate_pose(face.landmarks)
    return Quality(face_size=face_size, sharpness=sharpness, brightness=brightness, pose=pose,
                   reasons=judge(face_size, sharpness, brightness, pose, limits))
