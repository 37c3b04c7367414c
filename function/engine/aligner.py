"""Five-point similarity alignment to the ArcFace 112x112 template (insightface.utils.face_align.norm_crop).

The matrix is the least-squares similarity (rotation, uniform scale, translation) from the landmarks to the template:
what insightface gets from skimage's SimilarityTransform (Umeyama 1991). In 2-D, with no reflection allowed, that
problem has a closed form, computed here for all faces of an image at once (numpy, no SVD): ~5 us per face against
~180 us for a per-face Umeyama with its SVD and rank checks (`similarity_transform`, kept as the reference the tests
compare with)."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

# The template's own size: the crop ArcFace recognizers take, and the one the quality measures read.
ARCFACE_SIZE = 112
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


def similarity_matrices(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """(N, 2, 3) least-squares similarities mapping each of N point sets `src` (N, K, 2) onto `dst` (K, 2), in closed
    form: with both centred, scale x rotation = [[a, -b], [b, a]], a = sum(p . q) / sum|p|^2, b = sum(p x q) / sum|p|^2.
    A set whose points coincide maps by the identity (Umeyama's rank-0 answer)."""
    src = np.asarray(src, dtype=np.float64).reshape(-1, dst.shape[0], 2)
    src_mean = src.mean(axis=1, keepdims=True)
    dst_mean = dst.mean(axis=0)
    p = src - src_mean
    q = dst - dst_mean
    norm = (p * p).sum(axis=(1, 2))
    a = (p[..., 0] * q[:, 0] + p[..., 1] * q[:, 1]).sum(axis=1)
    b = (p[..., 0] * q[:, 1] - p[..., 1] * q[:, 0]).sum(axis=1)
    degenerate = norm <= 0
    norm = np.where(degenerate, 1.0, norm)
    a, b = np.where(degenerate, 1.0, a / norm), np.where(degenerate, 0.0, b / norm)
    out = np.empty((src.shape[0], 2, 3))
    out[:, 0, 0], out[:, 0, 1], out[:, 1, 0], out[:, 1, 1] = a, -b, b, a
    mx, my = src_mean[:, 0, 0], src_mean[:, 0, 1]
    out[:, 0, 2] = np.where(degenerate, 0.0, dst_mean[0] - (a * mx - b * my))
    out[:, 1, 2] = np.where(degenerate, 0.0, dst_mean[1] - (b * mx + a * my))
    return out


def template(size: int) -> np.ndarray:
    """The ArcFace template at `size` x `size` (112-based; 128-based templates shifted as insightface does)."""
    if size % ARCFACE_SIZE == 0:
        return ARCFACE_TEMPLATE * (size / ARCFACE_SIZE)
    ratio = size / 128.0
    dst = ARCFACE_TEMPLATE * ratio
    dst[:, 0] += 8.0 * ratio
    return dst


def align_faces(image: np.ndarray, landmarks: Sequence[np.ndarray], size: int = ARCFACE_SIZE) -> np.ndarray:
    """(N, size, size, C): each face warped onto the ArcFace template (black outside the image)."""
    out = np.empty((len(landmarks), size, size, *image.shape[2:]), dtype=image.dtype)
    if len(landmarks):
        for crop, matrix in zip(out, similarity_matrices(np.stack(landmarks), template(size)), strict=True):
            cv2.warpAffine(image, matrix, (size, size), dst=crop, borderValue=0.0)
    return out


def align_face(image: np.ndarray, landmarks: np.ndarray, size: int = ARCFACE_SIZE) -> np.ndarray:
    """The face warped onto the ArcFace template at `size` x `size` (black outside the image)."""
    return align_faces(image, [landmarks], size)[0]
