"""The detector's passes over one image as given: a coarse first pass for one-face requests, the full-size pass, and
the padded close-up pass for a face that fills the frame (SCRFD's anchors are too small for it) or a small crop.
Which passes ran is returned beside the faces (DetectPass). No orientation search here (function/engine/upright.py
turns the image and calls this once per turn); no gate (the caller holds the engine's).
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

from function.engine.config import EngineConfig
from function.engine.detector import ScrfdDetector, iou
from function.engine.types import Face

Purpose = Literal["all", "one"]
# Which detector passes settled a read: "coarse" = the small first pass alone; "closeup" = coarse pass, then straight
# to the padded close-up pass; "full" = the full-size pass; "full+closeup" = the full-size pass found nothing, or one
# face filling the frame, then the padded close-up pass; "padded" = a small image's padded pass alone
# (closeup_small_side), its only face a close-up.
DetectPass = Literal["coarse", "closeup", "full", "full+closeup", "padded"]


class DetectorPasses:
    def __init__(self, detector: ScrfdDetector, config: EngineConfig) -> None:
        self.detector = detector
        self.config = config

    def read(self, image: np.ndarray, purpose: Purpose = "all") -> tuple[list[Face], DetectPass]:
        """One read of the BGR image as given (no orientation search), plus which passes answered."""
        cfg = self.config
        closeup_tried = False
        padded: list[Face] | None = None  # the close-up pass's faces, once it has run
        small = 0 < max(image.shape[0], image.shape[1]) <= cfg.closeup_small_side
        if purpose == "one" and cfg.closeup_fallback and small:
            # A small image, the likeliest to be a tight crop: the padded pass first. It settles the request when it
            # finds one face and nothing else, and that face is what sends the coarse pass to the padded one (cut by
            # the frame, or filling it: _coarse_verdict), so that the answer is the one the path below would give;
            # otherwise that path decides, as for any image, and reuses this read for its close-up step.
            everything = self.read_padded(image)
            padded = [f for f in everything if self._closeup_sized(f, image.shape)]
            if len(everything) == 1 and padded and self.coarse_verdict(padded, image.shape) == "closeup":
                return padded, "padded"
        if purpose == "one" and cfg.coarse_det_size and cfg.coarse_det_size < cfg.det_size:
            faces = self.run(image, cfg.coarse_det_size)
            verdict = self.coarse_verdict(faces, image.shape)
            if verdict == "accept":
                return faces, "coarse"
            if verdict == "closeup" and cfg.closeup_fallback:
                faces = padded if padded is not None else self.closeups(image)
                if faces:
                    return faces, "closeup"
                closeup_tried = True
        faces = self.run(image, cfg.det_size)
        if not cfg.closeup_fallback or closeup_tried:
            return faces, "full"
        if not faces or (len(faces) == 1 and self.fills_frame(faces[0], image.shape)):
            # Nothing found, or one face filling the frame (a tight crop, an ID photo): SCRFD sees no context
            # around such a face and its landmarks drift (measured on LFW: 98.86% -> reference level with this).
            closeup = padded if padded is not None else self.closeups(image)
            if closeup or not faces:
                return closeup, "full+closeup"
        elif small:
            # A small image with faces found: one filling the frame may still have been missed for its size (an
            # LFW crop whose full pass finds only the partial face beside it). The padded read's close-ups that
            # overlap no face found are added.
            closeup = padded if padded is not None else self.closeups(image)
            extra = [c for c in closeup if all(iou(c.box, f.box) <= cfg.nms_threshold for f in faces)]
            if extra:
                return sorted([*faces, *extra], key=lambda f: -f.score), "full+closeup"
        return faces, "full"

    def coarse_verdict(self, faces: list[Face], shape: tuple[int, ...]) -> Literal["accept", "closeup", "full"]:
        """accept: exactly one face, confident, large enough, inside the frame and not filling it; closeup: one face
        cut by the frame or filling it (the full path would end in the padded pass too); full: anything else."""
        if len(faces) != 1:
            return "full"
        cfg = self.config
        face = faces[0]
        height, width = shape[0], shape[1]
        x1, y1, x2, y2 = (float(v) for v in face.box)
        side = min(x2 - x1, y2 - y1)
        margin = min(x1, y1, width - x2, height - y2)
        if margin < cfg.coarse_edge_margin * max(height, width):
            return "closeup" if side >= cfg.coarse_closeup_min_fraction * min(height, width) else "full"
        if self.fills_frame(face, shape):
            return "closeup"
        if face.score >= cfg.coarse_min_score and side >= cfg.coarse_min_face_fraction * max(height, width):
            return "accept"
        return "full"

    def fills_frame(self, face: Face, shape: tuple[int, ...]) -> bool:
        side = max(face.box[2] - face.box[0], face.box[3] - face.box[1])
        return side >= self.config.closeup_redetect_fraction * min(shape[0], shape[1])

    def run(self, image: np.ndarray, size: int) -> list[Face]:
        """One detector run of `image` at canvas `size` (the caller holds the engine's gate)."""
        return self.detector.detect(image, size)

    def _closeup_sized(self, face: Face, shape: tuple[int, ...]) -> bool:
        """Large enough, against the image's long side, to have been missed for its size (a close-up)."""
        side = max(face.box[2] - face.box[0], face.box[3] - face.box[1])
        return bool(side >= self.config.closeup_min_face_fraction * max(shape[0], shape[1]))

    def closeup_side(self, padded_side: int) -> int:
        """The close-up pass's canvas (its long side) for a padded image of this long side: that side rounded up to
        a whole stride, at most det_size (closeup_canvas "fit": a small crop is never scaled up), or det_size
        ("full", and always under stable shapes)."""
        cfg = self.config
        if cfg.closeup_canvas != "fit" or not cfg.fit_canvas:
            return cfg.det_size
        stride = self.detector.max_stride
        return min(cfg.det_size, -(-padded_side // stride) * stride)

    def closeups(self, image: np.ndarray) -> list[Face]:
        """The close-ups of the padded read (_read_padded). Only faces large enough to have been missed for their
        size are kept (_closeup_sized): a small one the padded (so shrunk) pass finds is not a close-up, and the
        full-size pass already said no to it (this keeps noface/'s dog from becoming a face)."""
        return [f for f in self.read_padded(image) if self._closeup_sized(f, image.shape)]

    def read_padded(self, image: np.ndarray) -> list[Face]:
        """Every face of the padded read, in `image` pixels. A face that fills the frame (selfie, ID photo, tight
        crop) is too large for SCRFD's anchors: pad the image, detect again, and shift the results back.

        The scale is the reference's (insightface on the image padded by half its longer side on every edge, at
        the canvas closeup_side() gives: det_size, or under "fit" no more than the padded image's own size, so a
        250x250 crop is read at 512 rather than scaled up to 640). The canvas is cut to `closeup_window` of it around the image
        (the padding shrinks to match, the cut a whole number of the detector's largest stride, so the anchor grid
        stays where it was): at 0.9 (576 of 640) the pass costs 19% less than the whole padded canvas (1.0, the
        default; measured with the "full" canvas). The receptive field reaches the canvas edge, so the landmarks move: on the LFW-scale parity test's
        200 crops against insightface on the padded photo, 198 match at 0.9, 196 at 0.8, 199 on the whole canvas,
        and one of the repo's own crops falls to cosine 0.9887 at 0.9 (docs/benchmarks.md). A frame whose long side is over
        2 x det_size is padded from a copy shrunk to that (INTER_AREA), never at full size."""
        cfg = self.config
        long_side = max(image.shape[0], image.shape[1])
        limit = 2 * cfg.det_size
        shrink = min(1.0, limit / long_side)
        if shrink < 1.0:
            size = (max(1, round(image.shape[1] * shrink)), max(1, round(image.shape[0] * shrink)))
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        small_long = max(image.shape[0], image.shape[1])
        pad = small_long // 2
        canvas = self.closeup_side(small_long + 2 * pad)
        scale = canvas / (small_long + 2 * pad)
        if cfg.fit_canvas and 0 < cfg.closeup_window < 1:  # stable shapes keep the one det_size canvas
            stride = self.detector.max_stride
            cut = round(canvas * (1 - cfg.closeup_window) / 2 / stride) * stride  # canvas pixels per edge
            pad = max(0, pad - round(cut / scale))
        padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(0, 0, 0))
        faces = self.run(padded, round(scale * (small_long + 2 * pad)))
        back = long_side / small_long
        return [f.shifted(pad, pad).scaled(back) for f in faces]

