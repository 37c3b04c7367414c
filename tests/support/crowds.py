"""Synthetic crowds for the orientation search (issue #31): LFW crops tiled small across a large canvas, optionally
with one of them turned against the rest. Deterministic: the same arguments give the same pixels.

A crowd is the stand-in for the photos the issue measured (classrooms and crowds of 24-50 small faces), which are
not in the repository; tests/data/lfw has 29 crops, FACES_DIR's lfw/ thousands.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np


@dataclass(frozen=True)
class Crowd:
    name: str
    pixels: np.ndarray  # BGR, upright (the odd face, if any, turned against the rest)
    tiles: list[tuple[int, int, int]]  # x, y, side of each tile (px), in placing order
    odd: int | None  # index in `tiles` of the face turned `odd_turn` degrees clockwise, or None
    odd_turn: int


def make_crowd(crops: Sequence[Path], *, seed: int, width: int, height: int, count: int, tile: tuple[int, int] = (30, 60),
               odd_turn: int = 0, odd_side: int = 0, name: str = "") -> Crowd:
    """`count` crops drawn (seeded) from `crops`, each resized to a square tile of `tile` px (uniform, seeded) and
    laid without overlap on a jittered grid over a `width` x `height` canvas of smooth grey noise. With `odd_turn`
    (90, 180, 270), the tile nearest the centre is turned that many degrees clockwise, and sized `odd_side` px if
    given (a face large enough to be judged usable)."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(128, 40, size=(max(1, height // 32), max(1, width // 32), 3)).clip(0, 255).astype(np.uint8)
    canvas = cv2.resize(noise, (width, height), interpolation=cv2.INTER_CUBIC)
    cols = max(1, int(np.ceil(np.sqrt(count * width / height))))
    rows = max(1, int(np.ceil(count / cols)))
    cell_w, cell_h = width // cols, height // rows
    cells = rng.permutation(rows * cols)[:count]
    picks = rng.choice(len(crops), size=count, replace=len(crops) < count)
    centre = int(np.argmin([((c % cols + 0.5) * cell_w - width / 2) ** 2 + ((c // cols + 0.5) * cell_h - height / 2) ** 2
                            for c in cells])) if odd_turn else None
    tiles: list[tuple[int, int, int]] = []
    for i, (cell, pick) in enumerate(zip(cells, picks, strict=True)):
        side = int(rng.integers(tile[0], tile[1] + 1))
        if i == centre and odd_side:
            side = odd_side
        side = min(side, cell_w, cell_h)
        x = (cell % cols) * cell_w + int(rng.integers(0, cell_w - side + 1))
        y = (cell // cols) * cell_h + int(rng.integers(0, cell_h - side + 1))
        crop = cv2.imread(str(crops[int(pick)]))
        assert crop is not None, crops[int(pick)]
        face = cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA)
        if i == centre:
            face = np.ascontiguousarray(np.rot90(face, -(odd_turn // 90)))
        canvas[y:y + side, x:x + side] = face
        tiles.append((x, y, side))
    return Crowd(name or f"crowd{count}_{width}x{height}_s{seed}" + (f"_odd{odd_turn}" if odd_turn else ""),
                 canvas, tiles, centre, odd_turn)


def tile_of(crowd: Crowd, box: np.ndarray) -> int | None:
    """The tile a face box (upright crowd pixels) belongs to: the one holding the box's centre, else None."""
    cx, cy = (float(box[0]) + float(box[2])) / 2, (float(box[1]) + float(box[3])) / 2
    for i, (x, y, side) in enumerate(crowd.tiles):
        if x <= cx < x + side and y <= cy < y + side:
            return i
    return None


# The benchmark's crowds (bench/orientation.py): sizes and counts of the classrooms and crowds the issue measured.
# Tiles of 60-120 px (faces ~50-100 px): at 30-60 px on these canvases the upright read itself finds 0-2 of 24-50.
CROWD_SPECS: list[dict] = [
    {"seed": 1, "width": 1280, "height": 960, "count": 24, "tile": (60, 90)},
    {"seed": 2, "width": 1920, "height": 1280, "count": 50, "tile": (60, 90)},
    {"seed": 3, "width": 1600, "height": 1200, "count": 36, "tile": (80, 120)},
    {"seed": 4, "width": 1920, "height": 1080, "count": 40, "tile": (70, 110)},
    {"seed": 5, "width": 1280, "height": 1280, "count": 29, "tile": (90, 120)},
    {"seed": 6, "width": 1600, "height": 1200, "count": 36, "tile": (80, 120), "odd_turn": 180, "odd_side": 130},
    {"seed": 7, "width": 1920, "height": 1080, "count": 40, "tile": (70, 110), "odd_turn": 90, "odd_side": 120},
    {"seed": 8, "width": 1280, "height": 960, "count": 30, "tile": (60, 100), "odd_turn": 180, "odd_side": 110},
    {"seed": 9, "width": 1440, "height": 1080, "count": 24, "tile": (90, 120), "odd_turn": 270, "odd_side": 140},
    {"seed": 10, "width": 1280, "height": 960, "count": 12, "tile": (110, 150), "odd_turn": 180, "odd_side": 160},
]


def beside_upside_down(group: np.ndarray, crop: np.ndarray, side: int = 160) -> np.ndarray:
    """`group` (a photo of upright faces) with `crop` (an LFW crop) sized `side` px and turned upside down on a grey
    strip to its right (200 px wide): the read finds that face level, at a score below the upright bar. A face
    whose box starts right of the group's width is the odd one."""
    height, width = group.shape[:2]
    out = np.full((max(height, side + 100), width + side + 40, 3), 120, np.uint8)
    out[:height, :width] = group
    face = cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA)
    out[80:80 + side, width + 20:width + 20 + side] = np.rot90(face, 2)
    return out
