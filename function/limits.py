"""DecodeLimits: what an image may declare and how it is decoded (written here once; function/config.py exposes
them as settings). Imports nothing heavy, so that the settings can be read before OpenCV loads."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DecodeLimits:
    max_image_pixels: int = 40_000_000
    min_image_side: int = 32
    reduced_decode_min_side: int = 960  # a large image is decoded/reduced at 1/2, 1/4 or 1/8 while its long side stays >= this

    @property
    def decode_budget_bytes(self) -> int:
        """What one decode may hold: 6 bytes per pixel at the pixel limit (240 MB at 40 MP). OpenCV 5's imdecode
        holds a full-size frame twice at its peak (measured for PNG, WebP, TIFF, BMP and unreduced JPEG), so a PNG,
        WebP, BMP or TIFF fits when 2 x its decoded samples do: 8-bit RGB up to 40 MP, RGBA 30 MP, 16-bit RGBA
        15 MP. A JPEG is decoded reduced; a progressive one buffers its coefficients (2-6 bytes per pixel)."""
        return self.max_image_pixels * 6
