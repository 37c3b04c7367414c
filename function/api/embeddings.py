"""Stored embeddings sent by the caller (/verify's `embedding`, /search's `gallery`) -> float32 arrays.

An embedding is a JSON list of numbers, or base64 of little-endian float32 (what Node's
`Buffer.from(f32.buffer).toString('base64')` gives: 512 floats -> 2,732 characters). In multipart it is a text
part holding either form; a gallery is then a text part holding the JSON list. Checked here: the encoding, the
length (the served model's size), finite values and a non-zero norm. Vectors are returned as sent: the service
L2-normalises them (any positive scale of a stored embedding gives the same answer).
"""

from __future__ import annotations

import base64
import binascii
import json
import math

import numpy as np

from function.errors import GalleryTooLarge, InvalidEmbedding, InvalidGallery
from function.limits import MAX_ID_LENGTH

_F32_MAX = float(np.finfo(np.float32).max)


def parse_embedding(value: object, name: str, dim: int) -> np.ndarray:
    """(dim,) float32 from a JSON list or a base64 string; InvalidEmbedding (400) naming `name` otherwise."""
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("ascii", "replace")
    if isinstance(value, str) and value.lstrip().startswith("["):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError) as exc:
            raise InvalidEmbedding(f"Field {name!r} is not a valid JSON list of numbers.", field=name) from exc
    if isinstance(value, list):
        vector = _from_list(value, name)
    elif isinstance(value, str) and value.strip():
        vector = _from_base64(value, name)
    else:
        raise InvalidEmbedding(f"Field {name!r} must be a list of {dim} numbers or base64 of {dim} little-endian "
                               "float32.", field=name)
    if vector.shape[0] != dim:
        raise InvalidEmbedding(f"Field {name!r} has {vector.shape[0]} values; the served model's embeddings have {dim}.",
                               field=name)
    if not np.isfinite(vector).all():
        raise InvalidEmbedding(f"Field {name!r} holds NaN or infinite values.", field=name)
    if not np.any(vector):
        raise InvalidEmbedding(f"Field {name!r} is all zeros: it has no direction to compare.", field=name)
    return vector


def _from_list(values: list[object], name: str) -> np.ndarray:
    floats = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise InvalidEmbedding(f"Field {name!r} must hold numbers only.", field=name)
        try:
            floats.append(float(v))
        except OverflowError:  # an integer beyond float range
            floats.append(math.inf)
    wide = np.asarray(floats, dtype=np.float64)
    # Beyond float32's range is not a stored embedding: mark it infinite rather than let the cast overflow.
    return np.where(np.abs(wide) > _F32_MAX, math.inf, wide).astype(np.float32)


def _from_base64(text: str, name: str) -> np.ndarray:
    try:
        raw = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidEmbedding(f"Field {name!r} is neither a JSON list nor valid base64.", field=name) from exc
    if len(raw) % 4:
        raise InvalidEmbedding(f"Field {name!r} decodes to {len(raw)} bytes, not a whole number of float32 (4 bytes "
                               "each).", field=name)
    return np.frombuffer(raw, dtype="<f4").astype(np.float32)


def parse_gallery(value: object, dim: int, max_size: int, name: str = "gallery") -> tuple[list[str], np.ndarray]:
    """Ids and the (n, dim) float32 matrix of a gallery: a JSON list (or, in multipart, its text) of
    {"id": "...", "embedding": <list or base64>} entries, 1..max_size of them. Ids may repeat (several photos of
    one person)."""
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("utf-8", "replace")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError) as exc:
            raise InvalidGallery(f"Field {name!r} is not valid JSON.", field=name) from exc
    if not isinstance(value, list) or not value:
        raise InvalidGallery(f"Field {name!r} must be a non-empty list of {{\"id\": ..., \"embedding\": ...}} entries.",
                             field=name)
    if len(value) > max_size:
        raise GalleryTooLarge(f"The gallery has {len(value):,} entries; the limit is {max_size:,} (MAX_GALLERY_SIZE). "
                              "Search larger galleries in a vector database (docs/pgvector.md).", field=name)
    ids: list[str] = []
    raws: list[bytes] = []
    for i, entry in enumerate(value):
        where = f"{name}[{i}]"
        if not isinstance(entry, dict) or "embedding" not in entry:
            raise InvalidGallery(f"{where} must be an object with \"id\" and \"embedding\".", field=where)
        entry_id = entry.get("id")
        if isinstance(entry_id, int) and not isinstance(entry_id, bool):
            entry_id = str(entry_id)
        if not isinstance(entry_id, str) or not entry_id or len(entry_id) > MAX_ID_LENGTH:
            raise InvalidGallery(f"{where}.id must be a non-empty string of at most {MAX_ID_LENGTH} characters.",
                                 field=f"{where}.id")
        ids.append(entry_id)
        raws.append(_raw_float32(entry["embedding"], f"{where}.embedding", dim))
    # One array for the lot; the per-vector checks run vectorised, and the first bad entry is re-read for its message.
    matrix = np.frombuffer(b"".join(raws), dtype="<f4").reshape(len(raws), dim).astype(np.float32)
    bad = ~np.isfinite(matrix).all(axis=1) | ~matrix.any(axis=1)
    if bad.any():
        i = int(np.argmax(bad))
        parse_embedding(value[i]["embedding"], f"{name}[{i}].embedding", dim)
    return ids, matrix


def _raw_float32(value: object, name: str, dim: int) -> bytes:
    """The little-endian float32 bytes of one gallery embedding, of the right length (values checked later):
    base64 is taken as is (the fast path for large galleries), anything else goes through parse_embedding."""
    if isinstance(value, str) and not value.lstrip().startswith("["):
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) == 4 * dim:
            return raw
    return parse_embedding(value, name, dim).astype("<f4").tobytes()
