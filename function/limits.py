"""DecodeLimits: what an image may declare and how it is decoded (written here once; function/config.py exposes
them as settings). Imports nothing heavy, so that the settings can be read before OpenCV loads."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DecodeLimits:
    max_image_pixels: int = 40_000_000
    min_image_side: int = 32
    reduced_decode_min_side: int = 960  # a JPEG is decoded at 1/2, 1/4 or 1/8 while its long side stays >= this
