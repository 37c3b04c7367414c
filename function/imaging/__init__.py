"""Image bytes -> pixels: format check by magic bytes, size limits from the header (before any pixel is
decoded), EXIF orientation (JPEG by OpenCV; PNG eXIf, WebP EXIF and TIFF here), alpha, 16-bit and grayscale inputs,
reduced decoding of very large images.

Memory per decode is bounded before decoding: the header gives width, height, samples per pixel and bytes per
sample (every legal encoding of them: TIFF SHORT/LONG/SSHORT/SLONG in both byte orders, BMP core/info/v4/v5, every
JPEG SOF, PNG IHDR, WebP VP8/VP8L/VP8X), and the decoder's own buffer (a progressive or multi-scan JPEG keeps every
DCT coefficient of the frame) must fit in `DecodeLimits.decode_budget_bytes`. A JPEG's scan count is bounded (each
extra scan re-walks the whole coefficient buffer). Large frames are reduced right after decoding (JPEG inside the
decoder, others by INTER_AREA) and converted to 8-bit BGR at that reduced size, in integer arithmetic.

Two modules: headers.py (bytes -> declarations and every refusal that needs no pixel; no OpenCV) and decode.py
(-> pixels). Knows nothing of HTTP or of the models; raises function.errors on bad input.
"""

from function.imaging.decode import DecodedImage, decode_image
from function.imaging.headers import SUPPORTED, Header, precheck, read_header, sniff_format
from function.limits import DecodeLimits

__all__ = ["SUPPORTED", "DecodeLimits", "DecodedImage", "Header", "decode_image", "precheck",
           "read_header", "sniff_format"]
