"""Image bytes -> what they declare, without decoding a pixel: the format from magic bytes, the header's size and
decoder memory (every legal encoding of each format), a JPEG's scan count and completeness, the EXIF orientation,
and every refusal that needs no pixel (`precheck`). No OpenCV, no numpy: bytes in, a Header or a ServiceError out."""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from function.errors import ImageTooLarge, ImageTooSmall, InvalidImage, UnsupportedMediaType
from function.limits import DecodeLimits

SUPPORTED = ("jpeg", "png", "webp", "bmp", "tiff")
# libjpeg writes 10 scans for a progressive colour JPEG; each scan re-walks the whole coefficient buffer.
MAX_JPEG_SCANS = 32
DEFAULT_LIMITS = DecodeLimits()


@dataclass(frozen=True)
class Header:
    """What the header declares, read without decoding a pixel."""

    width: int
    height: int
    decoder_bytes: int  # the most the decoder holds: 2 x the full-size frame, or a JPEG's coefficient buffer
    scans: int = 1  # JPEG: start-of-scan markers
    complete: bool = True  # JPEG: an end-of-image marker follows the image data


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


# TIFF field types that may hold an integer dimension: SHORT, LONG, SSHORT, SLONG (TIFF 6.0, section 2).
_TIFF_INT_TYPES = {3: "H", 4: "I", 8: "h", 9: "i"}


def _tiff_tags(tiff: bytes, wanted: tuple[int, ...]) -> dict[int, int]:
    """The first value of each wanted integer tag (SHORT/LONG/SSHORT/SLONG, either byte order; values stored
    inline or at an offset) of a TIFF structure's first IFD (a TIFF file or an EXIF block)."""
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
            tag, typ, n = struct.unpack(end + "HHI", tiff[off:off + 8])
            code = _TIFF_INT_TYPES.get(typ)
            if tag not in wanted or code is None or n < 1:
                continue
            size = struct.calcsize(code)
            where = off + 8 if n * size <= 4 else struct.unpack(end + "I", tiff[off + 8:off + 12])[0]
            found[tag] = struct.unpack(end + code, tiff[where:where + size])[0]
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


def _riff_chunks(data: bytes) -> Iterator[tuple[bytes, int, int]]:
    """(name, payload offset, payload length) of each top-level RIFF chunk."""
    i = 12
    while i + 8 <= len(data):
        length = int.from_bytes(data[i + 4:i + 8], "little")
        yield data[i:i + 4], i + 8, length
        i += 8 + length + (length & 1)


def _riff_chunk(data: bytes, name: bytes) -> bytes | None:
    for kind, at, length in _riff_chunks(data):
        if kind == name:
            return data[at:at + length]
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


# -- headers ----------------------------------------------------------------------------------------------------
_TWICE = 2  # OpenCV 5's imdecode holds a full-size frame twice at its peak (see DecodeLimits.decode_budget_bytes)
_PNG_SAMPLES = {0: 1, 2: 3, 3: 4, 4: 4, 6: 4}  # colour type -> samples OpenCV holds (palette may expand to BGRA)
_BMP_INFO_SIZES = frozenset((16, 40, 52, 56, 64, 108, 124))  # OS/2 v2 (16/64), info, v2, v3, v4, v5; core is 12
# TIFF compressions decoded here: none, LZW, Deflate (both codes), PackBits. JPEG-in-TIFF (6, 7) is refused: each
# strip is a JPEG stream whose scans this module cannot bound; others (fax, JBIG, LERC...) are not photos.
_TIFF_COMPRESSIONS = frozenset((1, 5, 8, 32946, 32773))


def _png_header(data: bytes) -> Header | None:
    if data[12:16] != b"IHDR":
        return None
    w, h, depth, colour = struct.unpack(">IIBB", data[16:26])
    if colour not in _PNG_SAMPLES or depth not in (1, 2, 4, 8, 16):
        raise InvalidImage("The PNG header is invalid.")
    return Header(w, h, _TWICE * w * h * _PNG_SAMPLES[colour] * (2 if depth == 16 else 1))


def _bmp_header(data: bytes) -> Header | None:
    (size,) = struct.unpack("<I", data[14:18])
    if size == 12:  # BITMAPCOREHEADER (OS/2 1.x): unsigned 16-bit width and height
        w, h = struct.unpack("<HH", data[18:22])
    elif size in _BMP_INFO_SIZES:
        w, h = struct.unpack("<ii", data[18:26])
        if w <= 0:
            raise InvalidImage("The BMP header declares a negative width.")
        h = abs(h)  # negative: rows stored top-down
    else:
        return None
    return Header(w, h, _TWICE * w * h * 3)  # decoded straight to 8-bit BGR


def _webp_header(data: bytes) -> Header | None:
    """The largest size any of the canvas (VP8X) and the image chunks (VP8, VP8L) declares."""
    sizes: list[tuple[int, int]] = []
    samples = 3
    for kind, at, _ in _riff_chunks(data):
        chunk = data[at:at + 10]
        if kind == b"VP8X":
            sizes.append((int.from_bytes(chunk[4:7], "little") + 1, int.from_bytes(chunk[7:10], "little") + 1))
            samples = 4 if chunk[0] & 0x10 else samples  # alpha flag
        elif kind == b"VP8L":
            if chunk[:1] != b"\x2f":
                raise InvalidImage("The WebP lossless header is invalid.")
            bits = int.from_bytes(chunk[1:5], "little")
            sizes.append(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
            samples = 4 if bits >> 28 & 1 else samples  # alpha_is_used
        elif kind == b"VP8 ":
            if chunk[3:6] != b"\x9d\x01\x2a":
                raise InvalidImage("The WebP lossy header is invalid.")
            w, h = struct.unpack("<HH", chunk[6:10])
            sizes.append((w & 0x3FFF, h & 0x3FFF))
        if kind in (b"VP8 ", b"VP8L"):
            break
    if not sizes:
        return None
    w, h = max(s[0] for s in sizes), max(s[1] for s in sizes)
    return Header(w, h, _TWICE * w * h * samples)


def _tiff_header(data: bytes) -> Header | None:
    tags = _tiff_tags(data, (256, 257, 258, 259, 277, 322, 323))
    if 256 not in tags or 257 not in tags:
        return None
    compression = tags.get(259, 1)
    if compression not in _TIFF_COMPRESSIONS:
        raise UnsupportedMediaType(f"TIFF compression {compression} is not supported; send an uncompressed, LZW, "
                                   "Deflate or PackBits TIFF, or a JPEG/PNG.")
    w, h = tags[256], tags[257]
    samples, bits = tags.get(277, 1), tags.get(258, 1)
    if not 1 <= samples <= 4 or bits not in (1, 2, 4, 8, 16, 32, 64):
        raise InvalidImage("The TIFF header declares an unsupported sample layout.")
    frame = _TWICE * w * h * max(samples, 3) * max(1, bits // 8)
    tile = tags.get(322, 0) * tags.get(323, 0) * samples * max(1, bits // 8)  # libtiff's tile buffer
    return Header(w, h, frame + tile)


_JPEG_SOF = frozenset((0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF))
_JPEG_MULTISCAN_SOF = frozenset((0xC2, 0xC6, 0xCA, 0xCE))  # progressive: every coefficient buffered
_JPEG_NEXT_MARKER = re.compile(rb"\xff[\x01-\xcf\xd8-\xfe]")  # after entropy data: not stuffing, RSTn or fill
_JPEG_MAX_MARKERS = 4096


def _jpeg_markers(data: bytes) -> Iterator[tuple[int, int]]:
    """(marker, offset) of every JPEG marker segment up to end-of-image, entropy-coded data skipped (it never holds
    FF followed by anything but 00 or RSTn). Stops at EOI (bytes after it are ignored) or where the data ends."""
    i, n = 2, len(data)
    while i + 2 <= n:
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker == 0xFF or marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:
            i += 1 if marker == 0xFF else 2
            continue
        yield marker, i
        if marker == 0xD9:
            return
        if i + 4 > n:
            return
        i += 2 + int.from_bytes(data[i + 2:i + 4], "big")
        if marker == 0xDA:
            found = _JPEG_NEXT_MARKER.search(data, i)
            if found is None:
                return
            i = found.start()


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


def _jpeg_header(data: bytes, max_scans: int) -> Header | None:
    """Frame size from every frame header (the largest, should there be several), the scan count (counting stops
    past `max_scans`), completeness, and the coefficient buffer libjpeg keeps for a progressive or multi-scan
    frame: 128 bytes per 8x8 block of every component."""
    width = height = scans = 0
    coefficients = 0
    progressive = complete = False
    for count, (marker, i) in enumerate(_jpeg_markers(data)):
        if count > _JPEG_MAX_MARKERS:
            raise InvalidImage(f"The JPEG has more than {_JPEG_MAX_MARKERS} marker segments.")
        if marker in _JPEG_SOF:
            h, w, nf = struct.unpack(">HHB", data[i + 5:i + 10])
            factors = [(data[i + 11 + 3 * c] >> 4, data[i + 11 + 3 * c] & 15) for c in range(nf)]
            hmax = max((f[0] for f in factors), default=1) or 1
            vmax = max((f[1] for f in factors), default=1) or 1
            blocks = sum(_ceil(_ceil(w * fh, hmax), 8) * _ceil(_ceil(h * fv, vmax), 8) for fh, fv in factors)
            coefficients = max(coefficients, 128 * blocks)
            width, height = max(width, w), max(height, h)
            progressive |= marker in _JPEG_MULTISCAN_SOF
        elif marker == 0xDA:
            scans += 1
            if scans > max_scans:
                break
        elif marker == 0xD9:
            complete = scans > 0
    if not width and not height:
        return None
    buffered = progressive or scans > 1
    return Header(width, height, coefficients if buffered else 0, scans, complete)


def read_header(data: bytes, fmt: str) -> Header | None:
    """The header's declarations, without decoding pixels; None where the header can't be read."""
    readers = {"png": _png_header, "bmp": _bmp_header, "webp": _webp_header, "tiff": _tiff_header}
    try:
        if fmt == "jpeg":
            return _jpeg_header(data, MAX_JPEG_SCANS)
        reader = readers.get(fmt)
        return reader(data) if reader else None
    except (struct.error, IndexError):
        return None


# -- the checks ---------------------------------------------------------------------------------------------------
# A progressive JPEG's scans each re-walk its whole coefficient buffer: scans x buffer is bounded at this many
# full-budget buffers (~20 ms per scan of a 6 MP frame on this machine; a libjpeg progressive file has 10 scans):
# 32 scans up to ~90 MB of coefficients (15 MP 4:4:4, 30 MP 4:2:0), 12 at the 240 MB budget.
_SCAN_WORK = 12


def check_header(data: bytes, fmt: str, limits: DecodeLimits) -> Header:
    """The header, refused before any pixel is decoded when it is unreadable, empty, too large for the pixel limit
    or the decoder budget, too small, a JPEG with too many scans, or a truncated JPEG."""
    header = read_header(data, fmt)
    if header is None:
        raise InvalidImage(f"The {fmt.upper()} header could not be read (corrupt or truncated).")
    w, h = header.width, header.height
    if w <= 0 or h <= 0:
        raise InvalidImage("The image header declares an empty size.")
    if w * h > limits.max_image_pixels:
        raise ImageTooLarge(f"The image declares {w}x{h} pixels, more than the limit of "
                            f"{limits.max_image_pixels:,} pixels.")
    if header.decoder_bytes > limits.decode_budget_bytes:
        raise ImageTooLarge(f"The image ({w}x{h}) needs {header.decoder_bytes / 1e6:,.0f} MB to decode in this "
                            f"format or bit depth; the limit is {limits.decode_budget_bytes / 1e6:,.0f} MB. Send it "
                            "smaller, or as an 8-bit baseline JPEG.")
    if min(w, h) < limits.min_image_side:
        raise ImageTooSmall(f"The image is {w}x{h} pixels; each side must be at least "
                            f"{limits.min_image_side} pixels.")
    max_scans = min(MAX_JPEG_SCANS, _SCAN_WORK * limits.decode_budget_bytes // max(1, header.decoder_bytes))
    if header.scans > max_scans:
        raise InvalidImage(f"The JPEG has more than {max_scans} scans (at {w}x{h}); a camera or editor writes at "
                           "most a dozen.")
    if fmt == "jpeg" and not header.complete:
        raise InvalidImage("The JPEG is truncated (no end-of-image marker after its image data).")
    return header


def precheck(data: bytes, limits: DecodeLimits = DEFAULT_LIMITS) -> tuple[str, Header]:
    """(format, header) of bytes that may be decoded; every refusal that needs no pixel is raised here (cheap:
    callers run it before waiting for a decoding slot)."""
    if not data:
        raise InvalidImage("The image is empty (0 bytes).")
    fmt = sniff_format(data)
    if fmt in ("gif", "heic", "avif", "isobmff", "svg", "pdf"):
        raise UnsupportedMediaType(f"{fmt.upper()} images are not supported; send JPEG, PNG, WebP, BMP or TIFF.")
    if fmt not in SUPPORTED:
        raise InvalidImage("The file is not a decodable image (JPEG, PNG, WebP, BMP or TIFF expected).")
    return fmt, check_header(data, fmt, limits)
