"""Five-point similarity alignment to the ArcFace 112x112 template (insightface.utils.face_align.norm_crop)."""

from __future__ import annotations

import cv2
import numpy as np

ARCFACE_TEMPLATE = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float64)


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (rotation, uniform scale, translation) mapping src to dst: Umeyama (1991),
    the estimator skimage.transform.SimilarityTransform uses. Returns the 2x3 matrix."""
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    n = src.shape[0]
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    cov = dst_c.T @ src_c / n
    d = np.ones(2)
    if np.linalg.det(cov) < 0:
        d[1] = -1
    u, s, vt = np.linalg.svd(cov)
    rank = np.linalg.matrix_rank(cov)
    if rank == 0:
        return np.hstack([np.eye(2), np.zeros((2, 1))])
    if rank == 1:
        if np.linalg.det(u) * np.linalg.det(vt) > 0:
            r = u @ vt
        else:
            s_ = d[1]
            d[1] = -1
            r = u @ np.diag(d) @ vt
            d[1] = s_
    else:
        r = u @ np.diag(d) @ vt
    scale = 1.0 / src_c.var(axis=0).sum() * (s @ d)
    t = dst_mean - scale * (r @ src_mean)
    return np.hstack([scale * r, t[:, None]])


def align_face(image: np.ndarray, landmarks: np.ndarray, size: int = 112) -> np.ndarray:
    """The face warped onto the ArcFace template at `size` x `size` (black outside the image)."""
    if size % 112 == 0:
        dst = ARCFACE_TEMPLATE * (size / 112.0)
    else:  # 128-based templates, as insightface does
        ratio = size / 128.0
        dst = ARCFACE_TEMPLATE * ratio
        dst[:, 0] += 8.0 * ratio
    matrix = similarity_transform(landmarks, dst)
    return cv2.warpAffine(image, matrix, (size, size), borderValue=0.0)
