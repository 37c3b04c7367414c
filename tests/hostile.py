"""Real hostile and unusual image bytes, generated here (cv2/numpy/struct; Pillow only where OpenCV can't write
the format: CMYK JPEG, animated GIF, EXIF in PNG/WebP)."""

from __future__ import annotations

import io
import struct
import zlib
from functools import cache

import cv2
import numpy as np
from PIL import Image

from tests.photos import wheel_photo
from tests.support import encode


@cache
def face_jpeg() -> bytes:
    """yaoming.jpg: a real photo with one face."""
    return wheel_photo("yaoming.jpg").read_bytes()


def face_pixels() -> np.ndarray:
    return cv2.imdecode(np.frombuffer(face_jpeg(), np.uint8), cv2.IMREAD_COLOR)


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)


def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A ~100-byte PNG that declares width x height 8-bit RGB pixels (a few rows of zeros actually compressed)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (1 + 3 * width) * 4, 9)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", rows) + png_chunk(b"IEND", b"")


def jpeg_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A real small JPEG whose frame header (SOF0) is rewritten to declare width x height."""
    data = bytearray(encode(np.full((64, 64, 3), 128, np.uint8), ".jpg"))
    i = data.find(b"\xff\xc0")
    assert i > 0
    data[i + 5:i + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def tiff_bomb() -> bytes:
    """A TIFF whose first IFD declares 30,000 x 30,000 (ImageWidth/ImageLength rewritten in place)."""
    data = bytearray(encode(np.full((64, 64, 3), 128, np.uint8), ".tiff"))
    assert data[:4] == b"II*\x00"
    ifd = struct.unpack("<I", data[4:8])[0]
    count = struct.unpack("<H", data[ifd:ifd + 2])[0]
    for k in range(count):
        off = ifd + 2 + 12 * k
        tag, typ = struct.unpack("<HH", data[off:off + 4])
        if tag in (256, 257):
            if typ == 3:
                data[off + 8:off + 10] = struct.pack("<H", 30_000)
            else:
                data[off + 8:off + 12] = struct.pack("<I", 30_000)
    return bytes(data)


def bmp_bomb() -> bytes:
    data = bytearray(encode(np.full((64, 64, 3), 128, np.uint8), ".bmp"))
    data[18:26] = struct.pack("<ii", 30_000, -30_000)
    return bytes(data)


def cmyk_jpeg() -> bytes:
    img = Image.open(io.BytesIO(face_jpeg())).convert("CMYK")
    out = io.BytesIO()
    img.save(out, "JPEG", quality=95)
    return out.getvalue()


def animated_gif() -> bytes:
    frames = [Image.fromarray(cv2.cvtColor(face_pixels(), cv2.COLOR_BGR2RGB)).convert("P")] + \
             [Image.new("P", (233, 287), i * 40) for i in range(1, 4)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def png16() -> bytes:
    return encode(face_pixels().astype(np.uint16) * 257, ".png")


def gray_jpeg() -> bytes:
    return encode(cv2.cvtColor(face_pixels(), cv2.COLOR_BGR2GRAY), ".jpg")


def rgba_transparent_png() -> bytes:
    """The face on a canvas twice its size whose border is fully transparent (black under the alpha)."""
    face = face_pixels()
    h, w = face.shape[:2]
    canvas = np.zeros((h * 2, w * 2, 4), np.uint8)
    canvas[h // 2:h // 2 + h, w // 2:w // 2 + w, :3] = face
    canvas[h // 2:h // 2 + h, w // 2:w // 2 + w, 3] = 255
    return encode(canvas, ".png")


def heic_header() -> bytes:
    """The start of an HEIC file (ISO-BMFF ftyp box, brand heic) followed by filler."""
    return struct.pack(">I", 24) + b"ftypheic" + struct.pack(">I", 0) + b"mif1heic" + b"\x00" * 200


def avif_header() -> bytes:
    return struct.pack(">I", 24) + b"ftypavif" + struct.pack(">I", 0) + b"mif1avif" + b"\x00" * 200


SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="200" height="200">'
       b'<circle cx="100" cy="100" r="80"/></svg>')
HTML = b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


def with_exif(img_bgr: np.ndarray, fmt: str, orientation: int) -> bytes:
    """`img_bgr` stored as-is in `fmt` (JPEG, PNG, PNG-RGBA, PNG-GRAY16, WEBP) with an EXIF orientation tag, written by Pillow."""
    pil = Image.fromarray(cv2.cvtColor(img_bgr, cv2.COLOR_BGR2RGB))
    if fmt == "PNG-RGBA":  # alpha channel (opaque): OpenCV's own EXIF handling is bypassed for these
        pil = pil.convert("RGBA")
    elif fmt == "PNG-GRAY16":  # 16-bit grayscale: likewise
        pil = Image.fromarray(np.asarray(pil.convert("L")).astype(np.uint16) * 257)
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    kwargs = {"quality": 95} if fmt == "JPEG" else {"lossless": True} if fmt == "WEBP" else {}
    pil.save(out, fmt.split("-")[0], exif=exif.tobytes(), **kwargs)
    return out.getvalue()
