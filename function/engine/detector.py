"""SCRFD face detector (InsightFace's det_10g / det_500m family) on ONNX Runtime.

Pre- and post-processing follow insightface.model_zoo.scrfd: keep the aspect ratio, scale the image into the
input canvas (top-left), normalise (x - mean) / std in RGB with the pack's values, decode distance predictions per stride, threshold,
then NMS at IoU 0.4. One difference, on by default (`fit_canvas`): the canvas is the scaled image rounded up to a
multiple of 32 instead of a full square, so a 4:3 photo costs 640x480 of compute rather than 640x640.
"""

from __future__ import annotations

import cv2
import numpy as np
import onnxruntime as ort

from function.engine.types import Face

_STRIDE_LAYOUTS = {6: ((8, 16, 32), 2, False), 9: ((8, 16, 32), 2, True),
                   10: ((8, 16, 32, 64, 128), 1, False), 15: ((8, 16, 32, 64, 128), 1, True)}


class ScrfdDetector:
    def __init__(self, session: ort.InferenceSession, *, input_mean: float, input_std: float,
                 score_threshold: float = 0.5, nms_threshold: float = 0.4, fit_canvas: bool = True) -> None:
        self.session = session
        self.input_name = session.get_inputs()[0].name
        outputs = session.get_outputs()
        self.output_names = [o.name for o in outputs]
        if len(outputs) not in _STRIDE_LAYOUTS:
            raise ValueError(f"not an SCRFD graph: {len(outputs)} outputs")
        self.strides, self.num_anchors, self.use_kps = _STRIDE_LAYOUTS[len(outputs)]
        if not self.use_kps:
            raise ValueError("this SCRFD model has no keypoint outputs; alignment needs the five landmarks")
        self.batched = len(outputs[0].shape) == 3
        self.input_mean = input_mean
        self.input_std = input_std
        self.score_threshold = score_threshold
        self.nms_threshold = nms_threshold
        self.fit_canvas = fit_canvas
        self._align = max(self.strides)
        self.max_stride = self._align  # fit_canvas rounds canvases up to a multiple of it
        self._centers: dict[tuple[int, int, int], np.ndarray] = {}

    # -- pre-processing ---------------------------------------------------------------------------------------
    def _blob(self, image: np.ndarray, size: int) -> tuple[np.ndarray, float]:
        h, w = image.shape[:2]
        if h / w > 1.0:  # same rounding as insightface: int() of the scaled side
            new_h, new_w = size, int(size / (h / w))
        else:
            new_w, new_h = size, int(size * (h / w))
        new_w, new_h = max(new_w, 1), max(new_h, 1)
        scale = new_h / h
        resized = cv2.resize(image, (new_w, new_h))
        if self.fit_canvas:
            a = self._align
            canvas_w, canvas_h = -(-new_w // a) * a, -(-new_h // a) * a
        else:
            canvas_w = canvas_h = size
        # What cv2.dnn.blobFromImage(canvas, 1 / std, mean, swapRB) gives for the resized image pasted top-left on a
        # black canvas, bit for bit (the same float32 operations: (pixel - mean) x (1 / std)), written straight into
        # the one float32 array: blobFromImage's full-size temporaries cost ~2x the time on a 640 canvas, most of it
        # page faults (fresh mmaps under function/startup.py's fixed threshold).
        blob = np.empty((1, 3, canvas_h, canvas_w), dtype=np.float32)
        mean, inv_std = np.float32(self.input_mean), np.float32(1.0 / self.input_std)
        fill = (np.float32(0.0) - mean) * inv_std
        for c in range(3):  # blob channel c = the image's channel 2 - c (BGR -> RGB)
            plane = blob[0, c]
            plane[new_h:, :] = fill
            plane[:new_h, new_w:] = fill
            inner = plane[:new_h, :new_w]
            np.subtract(resized[:, :, 2 - c], mean, out=inner, dtype=np.float32)
            inner *= inv_std
        return blob, scale

    def _anchor_centers(self, height: int, width: int, stride: int) -> np.ndarray:
        key = (height, width, stride)
        centers = self._centers.get(key)
        if centers is None:
            ys, xs = np.mgrid[:height, :width]
            centers = np.stack([xs, ys], axis=-1).astype(np.float32)
            centers = (centers * stride).reshape(-1, 2)
            if self.num_anchors > 1:
                centers = np.repeat(centers, self.num_anchors, axis=0)
            if len(self._centers) < 64:
                self._centers[key] = centers
        return centers

    # -- inference + decoding ---------------------------------------------------------------------------------
    def detect(self, image: np.ndarray, size: int, score_threshold: float | None = None) -> list[Face]:
        """Faces in `image` (BGR uint8, HxWx3), boxes and landmarks in its pixel coordinates, best score first."""
        threshold = self.score_threshold if score_threshold is None else score_threshold
        blob, scale = self._blob(image, size)
        outs = self.session.run(self.output_names, {self.input_name: blob})
        in_h, in_w = blob.shape[2], blob.shape[3]
        n = len(self.strides)
        scores_l, boxes_l, kps_l = [], [], []
        for i, stride in enumerate(self.strides):
            scores, bbox, kps = outs[i], outs[i + n], outs[i + 2 * n]
            if self.batched:
                scores, bbox, kps = scores[0], bbox[0], kps[0]
            scores = scores.reshape(-1)
            hits = np.nonzero(scores >= threshold)[0]
            if hits.size == 0:
                continue
            centers = self._anchor_centers(in_h // stride, in_w // stride, stride)[hits]
            d = bbox[hits] * stride
            boxes_l.append(np.concatenate([centers - d[:, :2], centers + d[:, 2:]], axis=1))
            k = kps[hits].reshape(-1, 5, 2) * stride
            kps_l.append(k + centers[:, None, :])
            scores_l.append(scores[hits])
        if not scores_l:
            return []
        scores = np.concatenate(scores_l)
        boxes = np.concatenate(boxes_l) / scale
        kps = np.concatenate(kps_l) / scale
        order = np.argsort(-scores, kind="stable")
        scores, boxes, kps = scores[order], boxes[order], kps[order]
        keep = nms(boxes, scores, self.nms_threshold)
        return [Face(boxes[i].astype(np.float32), float(scores[i]), kps[i].astype(np.float32)) for i in keep]


def nms(boxes: np.ndarray, scores: np.ndarray, threshold: float) -> list[int]:
    """Greedy NMS with insightface's +1 pixel area convention; `boxes` sorted by score already or not."""
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    areas = (x2 - x1 + 1) * (y2 - y1 + 1)
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    while order.size > 0:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        w = np.maximum(0.0, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]) + 1)
        h = np.maximum(0.0, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]) + 1)
        inter = w * h
        iou = inter / (areas[i] + areas[rest] - inter)
        order = rest[iou <= threshold]
    return keep


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two boxes (x1, y1, x2, y2), with nms()'s +1 pixel area convention."""
    w = max(0.0, float(min(a[2], b[2]) - max(a[0], b[0])) + 1)
    h = max(0.0, float(min(a[3], b[3]) - max(a[1], b[1])) + 1)
    inter = w * h
    union = float((a[2] - a[0] + 1) * (a[3] - a[1] + 1) + (b[2] - b[0] + 1) * (b[3] - b[1] + 1)) - inter
    return inter / union if union > 0 else 0.0
