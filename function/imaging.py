"""Image bytes -> pixels: format check by magic bytes, size limits from the header (before any pixel is
decoded), EXIF orientation (JPEG by OpenCV; PNG eXIf, WebP EXIF and TIFF here), alpha, 16-bit and grayscale inputs, reduced decoding of very large JPEGs.

Knows nothing of HTTP or of the models; raises function.errors on bad input.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import cv2
import numpy as np

from function.errors import ImageTooLarge, ImageTooSmall, InvalidImage, UnsupportedMediaType
from function.limits import DecodeLimits

__all__ = ["SUPPORTED", "DecodeLimits", "DecodedImage", "decode_image", "header_size", "sniff_format"]

SUPPORTED = ("jpeg", "png", "webp", "bmp", "tiff")


@dataclass(frozen=True)
class DecodedImage:
    pixels: np.ndarray  # BGR uint8, HxWx3, in the orientation the user sees
    width: int  # original width in the user's orientation
    height: int
    format: str
    scale: float  # original pixels per decoded pixel (1.0 unless decoded reduced)


def sniff_format(data: bytes) -> str:
    """The container format from magic bytes: one of SUPPORTED, a known unsupported name, or 'unknown'."""
    head = data[:32]
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"BM"):
        return "bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "avif"
        if brand in (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis"):
            return "heic"
        return "isobmff"
    text = head.lstrip().lower()
    if text.startswith((b"<svg", b"<?xml")):
        return "svg"
    if text.startswith((b"<!doctype", b"<html")):
        return "html"
    if text.startswith(b"%pdf"):
        return "pdf"
    return "unknown"


def _tiff_tags(tiff: bytes, wanted: tuple[int, ...]) -> dict[int, int]:
    """Values of the wanted SHORT/LONG tags of a TIFF structure's first IFD (a TIFF file or an EXIF block)."""
    if tiff[:4] == b"II*\x00":
        end = "<"
    elif tiff[:4] == b"MM\x00*":
        end = ">"
    else:
        return {}
    found: dict[int, int] = {}
    try:
        (ifd,) = struct.unpack(end + "I", tiff[4:8])
        (count,) = struct.unpack(end + "H", tiff[ifd:ifd + 2])
        for k in range(min(count, 512)):
            off = ifd + 2 + 12 * k
            tag, typ = struct.unpack(end + "HH", tiff[off:off + 4])
            if tag in wanted:
                if typ == 3:  # SHORT
                    found[tag] = struct.unpack(end + "H", tiff[off + 8:off + 10])[0]
                elif typ == 4:  # LONG
                    found[tag] = struct.unpack(end + "I", tiff[off + 8:off + 12])[0]
    except struct.error:
        pass
    return found


def _png_chunk(data: bytes, name: bytes, limit: int = 1 << 20) -> bytes | None:
    """The payload of the first chunk `name` before the image data (or within the first `limit` bytes)."""
    i = 8
    while i + 8 <= min(len(data), limit):
        length = int.from_bytes(data[i:i + 4], "big")
        kind = data[i + 4:i + 8]
        if kind == name:
            return data[i + 8:i + 8 + length]
        if kind in (b"IDAT", b"IEND"):
            return None
        i += 12 + length
    return None


def _riff_chunk(data: bytes, name: bytes) -> bytes | None:
    i = 12
    while i + 8 <= len(data):
        length = int.from_bytes(data[i + 4:i + 8], "little")
        if data[i:i + 4] == name:
            return data[i + 8:i + 8 + length]
        i += 8 + length + (length & 1)
    return None


def exif_orientation(data: bytes, fmt: str) -> int:
    """EXIF orientation (1..8) of a PNG (eXIf chunk), WebP (EXIF chunk) or TIFF; 1 when absent or invalid.
    JPEG's is applied by OpenCV itself while decoding."""
    block: bytes | None = None
    if fmt == "png":
        block = _png_chunk(data, b"eXIf")
    elif fmt == "webp" and data[12:16] == b"VP8X":
        block = _riff_chunk(data, b"EXIF")
        if block is not None and block.startswith(b"Exif\x00\x00"):
            block = block[6:]
    elif fmt == "tiff":
        block = data
    value = _tiff_tags(block, (0x0112,)).get(0x0112, 1) if block else 1
    return value if 1 <= value <= 8 else 1


def apply_orientation(img: np.ndarray, orientation: int) -> np.ndarray:
    """Pixels as a viewer shows them, for EXIF orientation 1..8."""
    if orientation == 2:
        return img[:, ::-1]
    if orientation == 3:
        return img[::-1, ::-1]
    if orientation == 4:
        return img[::-1]
    if orientation == 5:
        return img.swapaxes(0, 1)
    if orientation == 6:
        return cv2.rotate(img, cv2.ROTATE_90_CLOCKWISE)
    if orientation == 7:
        return img[::-1, ::-1].swapaxes(0, 1)
    if orientation == 8:
        return cv2.rotate(img, cv2.ROTATE_90_COUNTERCLOCKWISE)
    return img


def header_size(data: bytes, fmt: str) -> tuple[int, int] | None:
    """(width, height) declared by the header, without decoding pixels; None where it can't be read cheaply."""
    try:
        if fmt == "png" and data[12:16] == b"IHDR":
            return struct.unpack(">II", data[16:24])
        if fmt == "gif":
            return struct.unpack("<HH", data[6:10])
        if fmt == "bmp":
            w, h = struct.unpack("<ii", data[18:26])
            return abs(w), abs(h)
        if fmt == "webp":
            chunk = data[12:16]
            if chunk == b"VP8X":
                w = int.from_bytes(data[24:27], "little") + 1
                h = int.from_bytes(data[27:30], "little") + 1
                return w, h
            if chunk == b"VP8L":
                bits = int.from_bytes(data[21:25], "little")
                return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
            if chunk == b"VP8 ":
                w, h = struct.unpack("<HH", data[26:30])
                return w & 0x3FFF, h & 0x3FFF
        if fmt == "jpeg":
            return _jpeg_size(data)
        if fmt == "tiff":
            tags = _tiff_tags(data, (256, 257))
            if 256 in tags and 257 in tags:
                return tags[256], tags[257]
    except struct.error:
        return None
    return None


_JPEG_SOF = frozenset((0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF))


def _jpeg_segments(data: bytes):
    """(marker, offset) of each JPEG marker segment, up to and including the first start-of-scan (0xDA)."""
    i, n = 2, len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker == 0xFF or marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 1 if marker == 0xFF else 2
            continue
        yield marker, i
        if marker == 0xDA:
            return
        i += 2 + int.from_bytes(data[i + 2:i + 4], "big")


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """From the first frame header; None when the scan starts before one (or the header is missing)."""
    for marker, i in _jpeg_segments(data):
        if marker in _JPEG_SOF:
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return w, h
    return None


def _jpeg_complete(data: bytes) -> bool:
    """True when an end-of-image marker follows the first start-of-scan. Entropy-coded data never holds FF D9
    (FF is always stuffed), so its absence means the file was cut; bytes appended after it are ignored."""
    for marker, i in _jpeg_segments(data):
        if marker == 0xDA:
            return data.find(b"\xff\xd9", i) != -1
    return False


def _reduce_factor(width: int, height: int, min_side: int) -> int:
    long_side = max(width, height)
    for factor in (8, 4, 2):
        if long_side // factor >= min_side:
            return factor
    return 1


_REDUCED = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4, 8: cv2.IMREAD_REDUCED_COLOR_8}


def _to_bgr8(img: np.ndarray) -> np.ndarray:
    """8-bit BGR from 8/16-bit gray, BGR or BGRA (alpha composited over white, as a viewer shows it)."""
    if img.dtype == np.uint16:
        img = (img >> 8).astype(np.uint8)
    elif img.dtype != np.uint8:
        img = cv2.normalize(img, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    if img.shape[2] == 4:
        alpha = img[:, :, 3:4].astype(np.float32) / 255.0
        rgb = img[:, :, :3].astype(np.float32)
        return (rgb * alpha + 255.0 * (1.0 - alpha)).round().astype(np.uint8)
    if img.shape[2] == 1:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    return img


def decode_image(data: bytes, limits: DecodeLimits = DecodeLimits()) -> DecodedImage:
    if not data:
        raise InvalidImage("The image is empty (0 bytes).")
    fmt = sniff_format(data)
    if fmt in ("gif", "heic", "avif", "isobmff", "svg", "pdf"):
        raise UnsupportedMediaType(f"{fmt.upper()} images are not supported; send JPEG, PNG, WebP, BMP or TIFF.")
    if fmt not in SUPPORTED:
        raise InvalidImage("The file is not a decodable image (JPEG, PNG, WebP, BMP or TIFF expected).")
    declared = header_size(data, fmt)
    if declared is not None:
        w, h = declared
        if w <= 0 or h <= 0:
            raise InvalidImage("The image header declares an empty size.")
        if w * h > limits.max_image_pixels:
            raise ImageTooLarge(f"The image declares {w}x{h} pixels, more than the limit of "
                                f"{limits.max_image_pixels:,} pixels.")
        if min(w, h) < limits.min_image_side:
            raise ImageTooSmall(f"The image is {w}x{h} pixels; each side must be at least "
                                f"{limits.min_image_side} pixels.")
    if fmt == "jpeg" and not _jpeg_complete(data):
        raise InvalidImage("The JPEG is truncated (no end-of-image marker after its image data).")
    buf = np.frombuffer(data, dtype=np.uint8)
    factor = 1
    if fmt == "jpeg" and declared is not None:
        factor = _reduce_factor(*declared, limits.reduced_decode_min_side)
    try:
        if fmt in ("jpeg", "bmp"):
            pixels = cv2.imdecode(buf, _REDUCED[factor])  # OpenCV applies a JPEG's EXIF orientation itself
        else:
            # One decode keeping alpha and bit depth; EXIF orientation applied here (OpenCV skips it in this mode).
            pixels = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
            if pixels is not None and pixels.size:
                pixels = apply_orientation(_to_bgr8(pixels), exif_orientation(data, fmt))
    except cv2.error as exc:
        raise InvalidImage("The image could not be decoded (corrupt or truncated).") from exc
    if pixels is None or pixels.size == 0:
        raise InvalidImage("The image could not be decoded (corrupt or truncated).")
    pixels = _to_bgr8(pixels)
    dec_h, dec_w = pixels.shape[:2]
    if declared is not None and factor > 1:
        long_orig = max(declared)
        scale = long_orig / max(dec_w, dec_h)
        width, height = (declared if (dec_w >= dec_h) == (declared[0] >= declared[1]) else declared[::-1])
    else:
        scale, width, height = 1.0, dec_w, dec_h
    if min(width, height) < limits.min_image_side:
        raise ImageTooSmall(f"The image is {width}x{height} pixels; each side must be at least "
                            f"{limits.min_image_side} pixels.")
    if width * height > limits.max_image_pixels:
        raise ImageTooLarge(f"The image has {width}x{height} pixels, more than the limit of "
                            f"{limits.max_image_pixels:,} pixels.")
    return DecodedImage(np.ascontiguousarray(pixels), int(width), int(height), fmt, float(scale))
