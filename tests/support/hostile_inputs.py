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

from tests.support import encode
from tests.support.photos import wheel_photo


@cache
def face_jpeg() -> bytes:
    """yaoming.jpg: a real photo with one face."""
    return wheel_photo("yaoming.jpg").read_bytes()


def face_pixels() -> np.ndarray:
    pixels = cv2.imdecode(np.frombuffer(face_jpeg(), np.uint8), cv2.IMREAD_COLOR)
    assert pixels is not None
    return pixels


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


# -- issue #10: every legal encoding of the dimensions, decode-time amplifiers, memory and answer-size classes ------
TIFF_TYPES = {"SHORT": (3, "H"), "LONG": (4, "I"), "SSHORT": (8, "h"), "SLONG": (9, "i")}


def tiff_rgb(pixels: np.ndarray, dim_type: str = "SHORT", order: str = "<", declare: tuple[int, int] | None = None) -> bytes:
    """An uncompressed RGB TIFF of `pixels` (BGR uint8) written by hand, its ImageWidth/ImageLength stored as
    `dim_type` in byte order `order` ('<' II, '>' MM); `declare` overrides the declared (width, height)."""
    h, w = pixels.shape[:2]
    dw, dh = declare or (w, h)
    typ, code = TIFF_TYPES[dim_type]
    rgb = np.ascontiguousarray(pixels[:, :, ::-1]).tobytes()
    entries = [(256, typ, code, dw), (257, typ, code, dh), (258, 3, "H", None), (259, 3, "H", 1), (262, 3, "H", 2),
               (273, 4, "I", None), (277, 3, "H", 3), (278, 4, "I", h), (279, 4, "I", len(rgb))]
    ifd_size = 2 + 12 * len(entries) + 4
    bits_at = 8 + ifd_size
    data_at = bits_at + 6
    out = (b"II*\x00" if order == "<" else b"MM\x00*") + struct.pack(order + "I", 8) + struct.pack(order + "H", len(entries))
    for tag, t, c, value in entries:
        if tag == 258:
            out += struct.pack(order + "HHII", tag, t, 3, bits_at)
            continue
        value = data_at if tag == 273 else value
        out += struct.pack(order + "HHI", tag, t, 1) + struct.pack(order + c, value).ljust(4, b"\x00")
    out += b"\x00\x00\x00\x00" + struct.pack(order + "HHH", 8, 8, 8)
    return out + rgb


def bmp_core(pixels: np.ndarray) -> bytes:
    """A 24-bit BMP with the 12-byte OS/2 1.x BITMAPCOREHEADER (16-bit width and height), bottom-up rows."""
    h, w = pixels.shape[:2]
    stride = (w * 3 + 3) // 4 * 4
    rows = b"".join(pixels[y].tobytes().ljust(stride, b"\x00") for y in range(h - 1, -1, -1))
    return b"BM" + struct.pack("<IHHI", 26 + len(rows), 0, 0, 26) + struct.pack("<IHHHH", 12, w, h, 1, 24) + rows


JPEG_SOFS = (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF)


def jpeg_sof_bomb(marker: int, width: int = 30_000, height: int = 30_000) -> bytes:
    """jpeg_bomb() with its frame header turned into SOF`marker` (every SOF type declares the size the same way)."""
    data = bytearray(jpeg_bomb(width, height))
    data[data.find(b"\xff\xc0") + 1] = marker
    return bytes(data)


def webp_bombs(width: int = 16_000, height: int = 16_000) -> dict[str, bytes]:
    """Lossy (VP8), lossless (VP8L) and extended (VP8X + VP8L) WebP files declaring width x height."""
    small = np.full((64, 64, 3), 128, np.uint8)
    lossy = bytearray(encode(small, ".webp", [cv2.IMWRITE_WEBP_QUALITY, 80]))
    assert lossy[12:16] == b"VP8 "
    lossy[26:30] = struct.pack("<HH", width, height)
    lossless = bytearray(encode(small, ".webp", [cv2.IMWRITE_WEBP_QUALITY, 101]))
    assert lossless[12:16] == b"VP8L"
    bits = (width - 1) | ((height - 1) << 14) | (int.from_bytes(lossless[21:25], "little") & ~((1 << 28) - 1))
    lossless[21:25] = bits.to_bytes(4, "little")
    canvas = struct.pack("<I", 0)[:1] + b"\x00\x00\x00" + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    vp8x = b"VP8X" + struct.pack("<I", len(canvas)) + canvas
    inner = bytes(lossless[12:])
    extended = b"RIFF" + struct.pack("<I", 4 + len(vp8x) + len(inner)) + b"WEBP" + vp8x + inner
    return {"VP8": bytes(lossy), "VP8L": bytes(lossless), "VP8X": extended}


def progressive_jpeg(pixels: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB)).save(out, "JPEG", progressive=True, quality=90)
    return out.getvalue()


def scan_bomb(jpeg: bytes, repeats: int) -> bytes:
    """A progressive JPEG whose last scan is repeated `repeats` more times (each repeat re-walks the frame)."""
    last, eoi = jpeg.rfind(b"\xff\xda"), jpeg.rfind(b"\xff\xd9")
    return jpeg[:eoi] + jpeg[last:eoi] * repeats + jpeg[eoi:]


def flat_png(width: int, height: int, channels: int = 4, depth: int = 8) -> bytes:
    """A flat (one colour, half transparent when it has alpha) PNG, compressed row by row: a few hundred kB that
    decodes to width x height x channels x depth/8 bytes. Never holds the frame in this process."""
    colour = {1: 0, 3: 2, 4: 6}[channels]
    sample = b"\x80" * (depth // 8)
    pixel = sample * (channels - 1) + (b"\x80" * (depth // 8) if channels == 4 else sample)
    row = b"\x00" + pixel * width
    z = zlib.compressobj(9)
    idat = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def face_mosaic(columns: int, rows: int, side: int = 96) -> bytes:
    """A JPEG grid of columns x rows copies of the real face crop, side x side each: a crowd of faces."""
    face = face_pixels()
    h, w = face.shape[:2]
    y0 = max(0, (h - w) // 2)
    crop = cv2.resize(face[y0:y0 + w], (side, side), interpolation=cv2.INTER_AREA)
    return encode(np.tile(crop, (rows, columns, 1)), ".jpg", [cv2.IMWRITE_JPEG_QUALITY, 90])


def deep_json(depth: int = 10_000) -> bytes:
    return b'{"image": ' + b"[" * depth + b"]" * depth + b"}"


def multipart(boundary: bytes, name: str, data: bytes) -> bytes:
    return (b"--" + boundary + b"\r\nContent-Disposition: form-data; name=\"" + name.encode() +
            b"\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n" + data + b"\r\n--" + boundary + b"--\r\n")
