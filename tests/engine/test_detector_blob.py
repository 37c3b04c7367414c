"""The detector's input blob is built without cv2.dnn.blobFromImage's temporaries (issue #19), and is the same, bit
for bit, as blobFromImage on the black canvas the resized image is pasted on (insightface's pre-processing)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from function.engine import FaceEngine
from function.imaging import decode_image
from tests.support.photos import DATA, wheel_photo


def reference_blob(detector, image: np.ndarray, size: int, fit: bool) -> np.ndarray:
    h, w = image.shape[:2]
    new_w, new_h = (int(size / (h / w)), size) if h / w > 1.0 else (size, int(size * (h / w)))
    resized = cv2.resize(image, (max(new_w, 1), max(new_h, 1)))
    a = detector.max_stride
    cw, ch = ((-(-new_w // a) * a, -(-new_h // a) * a) if fit else (size, size))
    canvas = np.zeros((ch, cw, 3), dtype=np.uint8)
    canvas[:new_h, :new_w] = resized
    return cv2.dnn.blobFromImage(canvas, 1.0 / detector.input_std, (cw, ch), (detector.input_mean,) * 3, swapRB=True)


@pytest.mark.parametrize("fit", [True, False])
def test_blob_is_blob_from_image_bit_for_bit(engine: FaceEngine, fit: bool) -> None:
    detector = engine.detector
    old_fit = detector.fit_canvas
    detector.fit_canvas = fit
    try:
        for path in (wheel_photo("yaoming.jpg"), wheel_photo("players.jpg"), DATA.lfw_images[0]):
            image = decode_image(path.read_bytes()).pixels
            for size in (128, 320, 640):
                blob, _ = detector._blob(image, size)
                want = reference_blob(detector, image, size, fit)
                assert blob.shape == want.shape and blob.dtype == want.dtype
                assert np.array_equal(blob, want), (path.name, size)
    finally:
        detector.fit_canvas = old_fit
