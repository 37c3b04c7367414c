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

from function.engine.aligner import ARCFACE_SIZE, ARCFACE_TEMPLATE, align_faces
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

__all__ = ["REASONS", "Pose", "Quality", "QualityThresholds", "Reason", "assess", "assess_aligned", "crop_measures",
           "estimate_pose", "estimate_poses", "judge"]


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


def estimate_poses(landmarks: np.ndarray) -> np.ndarray:
    """(N, 3) yaw, pitch, roll in degrees for N faces' five landmarks (N, 5, 2): see the module docstring."""
    pts = np.asarray(landmarks, dtype=np.float64).reshape(-1, 5, 2)
    eye_vec = pts[:, 1] - pts[:, 0]
    roll = np.arctan2(eye_vec[:, 1], eye_vec[:, 0])
    # Into the roll-free frame: rotate by -roll about the eye midpoint.
    c, s = np.cos(-roll)[:, None], np.sin(-roll)[:, None]
    d = pts - (pts[:, 0] + pts[:, 1])[:, None] / 2
    px, py = c * d[..., 0] - s * d[..., 1], s * d[..., 0] + c * d[..., 1]
    eye_half = np.maximum(np.abs(px[:, 1] - px[:, 0]) / 2, 1e-6)
    midline_x = (px[:, 3] + px[:, 4]) / 4  # halfway between the eye midpoint (the origin) and the mouth midpoint
    yaw = np.arctan((px[:, 2] - midline_x) / eye_half / (2 * NOSE_DEPTH))
    eye_distance = 2 * eye_half / np.maximum(np.cos(yaw), 0.2)  # what it would be facing the camera
    drop = py[:, 2] / eye_distance
    radius, phase = math.hypot(NOSE_DROP, NOSE_DEPTH), math.atan2(NOSE_DEPTH, NOSE_DROP)
    pitch = np.arccos(np.clip(drop / radius, -1.0, 1.0)) - phase
    return np.degrees(np.stack([yaw, pitch, roll], axis=1))


def estimate_pose(landmarks: np.ndarray) -> Pose:
    """Yaw, pitch, roll in degrees from the five landmarks (see the module docstring)."""
    yaw, pitch, roll = (float(v) for v in estimate_poses(landmarks)[0])
    return Pose(yaw=yaw, pitch=pitch, roll=roll)


def _measures(aligned: np.ndarray) -> np.ndarray:
    """(N, 2) sharpness, brightness of N aligned 112x112 BGR (N, 112, 112, 3) or grey (N, 112, 112) crops, in one
    pass: cv2.Laplacian's 3x3 kernel (ksize 1) with its default border (reflect-101 at the region's edge), in
    integers, then the variance; the same figures as per-crop cv2 calls, without their per-face overhead."""
    region = aligned[:, _REGION[0], _REGION[1]]
    if region.ndim == 4:  # grey over the region only (a per-pixel conversion: the same values as the whole crop's)
        n, h, w = region.shape[:3]
        region = cv2.cvtColor(np.ascontiguousarray(region).reshape(n * h, w, 3), cv2.COLOR_BGR2GRAY).reshape(n, h, w)
    p = np.pad(region.astype(np.int16), ((0, 0), (1, 1), (1, 1)), mode="reflect")
    lap = p[:, :-2, 1:-1] + p[:, 2:, 1:-1] + p[:, 1:-1, :-2] + p[:, 1:-1, 2:] - 4 * p[:, 1:-1, 1:-1]
    return np.stack([lap.astype(np.float64).var(axis=(1, 2)), region.mean(axis=(1, 2))], axis=1)


def crop_measures(aligned: np.ndarray) -> tuple[float, float]:
    """(sharpness, brightness) of an aligned 112x112 BGR or grey face crop."""
    sharpness, brightness = (float(v) for v in _measures(aligned[None])[0])
    return sharpness, brightness


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


def assess_aligned(aligned: np.ndarray, faces: list[Face], limits: QualityThresholds,
                   pixel_scale: float = 1.0) -> list[Quality]:
    """Quality of each of `faces` (coordinates in the decoded image's pixels) from its crop `aligned[i]` (N, 112,
    112, 3: the recognizer's input, aligned once and shared), measures and pose computed for all faces in one pass;
    `pixel_scale` maps sizes to the image as sent (reduced decode), so that face_size is in the pixels the caller
    knows."""
    if not faces:
        return []
    measures = _measures(aligned)
    poses = estimate_poses(np.stack([upright_landmarks(f) for f in faces]))  # pose in the upright copy (assess)
    out = []
    for face, (sharpness, brightness), (yaw, pitch, roll) in zip(faces, measures.tolist(), poses.tolist(), strict=True):
        box = face.box
        face_size = float(min(box[2] - box[0], box[3] - box[1])) * pixel_scale
        pose = Pose(yaw=yaw, pitch=pitch, roll=roll)
        out.append(Quality(face_size=face_size, sharpness=sharpness, brightness=brightness, pose=pose,
                           reasons=judge(face_size, sharpness, brightness, pose, limits, face.orientation_settled)))
    return out


def assess(image: np.ndarray, face: Face, limits: QualityThresholds, pixel_scale: float = 1.0) -> Quality:
    """Quality of `face` (coordinates in `image` pixels); `pixel_scale` maps them to the image as sent (reduced
    decode), so that face_size is in the pixels the caller knows. Pose is read in the upright copy (the face's
    `orientation` undone), so a face the engine turned upright is not flagged roll_too_large."""
    return assess_aligned(align_faces(image, [face.landmarks], ARCFACE_SIZE), [face], limits, pixel_scale)[0]
