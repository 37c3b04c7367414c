"""ArcFace recognizer (w600k_r50 / w600k_mbf): aligned 112x112 crops -> L2-normalised 512-D embeddings."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import onnxruntime as ort


def bucket_for(n: int, buckets: Sequence[int]) -> int:
    """The smallest bucket that holds n rows; n itself when there are no buckets or n exceeds the largest."""
    return min((b for b in buckets if b >= n), default=n)


class ArcFaceRecognizer:
    def __init__(self, session: ort.InferenceSession, *, input_mean: float, input_std: float,
                 batch_buckets: Sequence[int] = ()) -> None:
        self.session = session
        # Stable shapes (CUDA): a batch of n crops runs padded with zero crops to the smallest bucket >= n, so the
        # session sees a few batch sizes only (each new one costs cuDNN set-up); the padding rows are dropped.
        self.batch_buckets = tuple(sorted(set(batch_buckets)))
        inp = session.get_inputs()[0]
        self.input_name = inp.name
        self.output_name = session.get_outputs()[0].name
        self.input_size = int(inp.shape[2]) if isinstance(inp.shape[2], int) else 112
        self.input_mean = input_mean
        self.input_std = input_std
        self.dim = int(session.get_outputs()[0].shape[-1])

    def blob(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """The model's input for aligned BGR crops: (n, 3, size, size) float32, RGB, normalised."""
        return cv2.dnn.blobFromImages(list(crops), 1.0 / self.input_std, (self.input_size, self.input_size),
                                      (self.input_mean,) * 3, swapRB=True)

    def embed(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """(n, dim) float32, each row L2-normalised; all crops in one batched run."""
        if not crops:
            return np.zeros((0, self.dim), dtype=np.float32)
        blob = self.blob(crops)
        n = blob.shape[0]
        padded = bucket_for(n, self.batch_buckets)
        if padded > n:
            blob = np.concatenate([blob, np.zeros((padded - n, *blob.shape[1:]), dtype=blob.dtype)])
        feats = self.session.run([self.output_name], {self.input_name: blob})[0][:n].astype(np.float32)
        norms = np.linalg.norm(feats, axis=1, keepdims=True)
        return feats / np.maximum(norms, 1e-12)
