"""Face quality and head pose from one detected face: size, sharpness, brightness, yaw/pitch/roll, and whether the
face is usable by a set of thresholds. Pure numpy/OpenCV; no model runs, no HTTP (docs/quality.md).

Sharpness and brightness are measured on what the recognizer sees: the face aligned to the 112x112 ArcFace template
(the same warp as embedding), in grey, over the inner face region (eyebrows to chin, cheek to cheek, so the black fill
of a crop that leaves the image counts little). Sharpness is the variance of the Laplacian there: a large face in a
sharp photo scores high, a blurred or an up-scaled tiny face scores low. Brightness is the mean grey level, 0..255.

Pose comes from the five landmarks alone, read in the upright copy of the image (the face's `orientation`, the
quarter turn the engine applied to read it, undone first), with a weak-perspective model of a generic face:
- roll: the angle of the line from the eye on the image's left to the eye on the image's right (exact for an
  in-plane rotation; positive = the face turned clockwise as seen);
- yaw: the nose tip's sideways offset from the eye-mouth midline, in the roll-free frame. A nose tip that stands
  NOSE_DEPTH inter-ocular distances in front of the eye-mouth plane moves sideways by depth x sin(yaw) while the
  half eye distance shrinks by cos(yaw), so tan(yaw) = offset / (half eye distance) / (2 x NOSE_DEPTH). Positive =
  the face turned towards the image's right (the subject's left);
- pitch: how far the nose tip sits below the eye line, in (yaw-corrected) eye distances, against the frontal
  template's 0.571: a drop r = 0.571 cos(pitch) - NOSE_DEPTH sin(pitch), solved for pitch. Positive = face tilted
  up. The mouth is left out on purpose: a smile lifts the mouth corners and read as 20-25 degrees "down" when the
  mouth line was used (docs/quality.md).
The magnitudes rest on that generic depth (not calibrated per person): trust signs and ordering, and treat yaw and
pitch beyond ~45 degrees as "large", since the landmarks themselves degrade there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from function.engine.aligner import ARCFACE_TEMPLATE, align_face
from function.engine.config import REASONS, QualityThresholds, Reason
from function.engine.orientation import upright_landmarks
from function.engine.types import Face

# Frontal ArcFace template: the nose tip's drop below the eye line, in eye distances.
NOSE_DROP = float((ARCFACE_TEMPLATE[2, 1] - (ARCFACE_TEMPLATE[0, 1] + ARCFACE_TEMPLATE[1, 1]) / 2)
                  / (ARCFACE_TEMPLATE[1, 0] - ARCFACE_TEMPLATE[0, 0]))  # 0.571
# Nose tip in front of the eye-mouth plane, in inter-ocular distances (adult average: ~38 mm for ~63 mm).
NOSE_DEPTH = 0.6
# Inner face region of the 112x112 aligned crop: rows 24..104 (brows to chin), columns 20..92 (cheek to cheek).
_REGION = (slice(24, 104), slice(20, 92))

__all__ = ["REASONS", "Pose", "Quality", "QualityThresholds", "Reason", "assess", "crop_measures", "estimate_pose",
           "judge"]


@dataclass(frozen=True)
class Pose:
    yaw: float
    pitch: float
    roll: float


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
    midline_x = (p[3, 0] + p[4, 0]) / 4  # halfway between the eye midpoint (the origin) and the mouth midpoint
    yaw = math.atan((p[2, 0] - midline_x) / eye_half / (2 * NOSE_DEPTH))
    eye_distance = 2 * eye_half / max(math.cos(yaw), 0.2)  # what it would be facing the camera
    drop = p[2, 1] / eye_distance
    radius, phase = math.hypot(NOSE_DROP, NOSE_DEPTH), math.atan2(NOSE_DEPTH, NOSE_DROP)
    pitch = math.acos(max(-1.0, min(1.0, drop / radius))) - phase
    return Pose(yaw=math.degrees(yaw), pitch=math.degrees(pitch), roll=math.degrees(roll))


def crop_measures(aligned: np.ndarray) -> tuple[float, float]:
    """(sharpness, brightness) of an aligned 112x112 BGR or grey face crop."""
    grey = aligned if aligned.ndim == 2 else cv2.cvtColor(aligned, cv2.COLOR_BGR2GRAY)
    region = grey[_REGION]
    sharpness = float(cv2.Laplacian(region, cv2.CV_64F).var())
    return sharpness, float(region.mean())


def judge(face_size: float, sharpness: float, brightness: float, pose: Pose,
          limits: QualityThresholds, orientation_settled: bool = True) -> tuple[Reason, ...]:
    """The reasons a face is not usable (empty when it is), in REASONS order. A face whose orientation the engine
    could not settle is never usable (orientation_uncertain): its embedding may be of an upside-down crop."""
    failed: dict[Reason, bool] = {
        "face_too_small": face_size < limits.min_face_size,
        "too_blurry": sharpness < limits.min_sharpness,
        "too_dark": brightness < limits.min_brightness,
        "too_bright": brightness > limits.max_brightness,
        "yaw_too_large": abs(pose.yaw) > limits.max_yaw,
        "pitch_too_large": abs(pose.pitch) > limits.max_pitch,
        "roll_too_large": abs(pose.roll) > limits.max_roll,
        "orientation_uncertain": not orientation_settled,
    }
    return tuple(r for r in REASONS if failed[r])


def assess(image: np.ndarray, face: Face, limits: QualityThresholds, pixel_scale: float = 1.0) -> Quality:
    """Quality of `face` (coordinates in `image` pixels); `pixel_scale` maps them to the image as sent (reduced
    decode), so that face_size is in the pixels the caller knows. Pose is read in the upright copy (the face's
    `orientation` undone), so a face the engine turned upright is not flagged roll_too_large."""
    box = face.box
    face_size = float(min(box[2] - box[0], box[3] - box[1])) * pixel_scale
    sharpness, brightness = crop_measures(align_face(image, face.landmarks, 112))
    pose = estimate_pose(upright_landmarks(face))
    return Quality(face_size=face_size, sharpness=sharpness, brightness=brightness, pose=pose,
                   reasons=judge(face_size, sharpness, brightness, pose, limits, face.orientation_settled))
