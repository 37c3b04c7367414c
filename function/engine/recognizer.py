"""ArcFace recognizer (w600k_r50 / w600k_mbf): aligned 112x112 crops -> L2-normalised 512-D embeddings."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import onnxruntime as ort


class ArcFaceRecognizer:
    def __init__(self, session: ort.InferenceSession, *, input_mean: float = 127.5, input_std: float = 127.5) -> None:
        self.session = session
        inp = session.get_inputs()[0]
        self.input_name = inp.name
        self.output_name = session.get_outputs()[0].name
        self.input_size = int(inp.shape[2]) if isinstance(inp.shape[2], int) else 112
        self.input_mean = input_mean
        self.input_std = input_std
        self.dim = int(session.get_outputs()[0].shape[-1])

    def embed(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """(n, dim) float32, each row L2-normalised; all crops in one batched run."""
        if not crops:
            return np.zeros((0, self.dim), dtype=np.float32)
        blob = cv2.dnn.blobFromImages(list(crops), 1.0 / self.input_std, (self.input_size, self.input_size),
                                      (self.input_mean,) * 3, swapRB=True)
        feats = self.session.run([self.output_name], {self.input_name: blob})[0].astype(np.float32)
        norms = np.linalg.norm(feats, axis=1, keepdims=True)
        return feats / np.maximum(norms, 1e-12)
