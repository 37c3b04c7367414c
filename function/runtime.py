"""Process-wide tuning done once at start-up, before the models load: the C heap's retention policy.

glibc's malloc raises its mmap threshold dynamically after the first large free (up to 32 MB), after which every
large temporary (decoded image, detector blob, activations) is carved from per-thread heaps that keep the freed
memory: with requests arriving on many threads, RSS climbs by tens of MB per thread and never comes back. A fixed
threshold sends every allocation above it to mmap, returned to the OS on free. Measured on buffalo_sc with 8
concurrent requests: peak RSS 379 MB -> 220 MB (with the ONNX Runtime arena off, function/engine/sessions.py).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # glibc malloc.h
MMAP_THRESHOLD_BYTES = 256 * 1024

_done = False


def limit_heap_retention() -> bool:
    """Fix glibc's mmap threshold (no-op elsewhere, or when MALLOC_MMAP_THRESHOLD_ is set by the operator)."""
    global _done
    if _done or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    _done = True
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False  # not glibc (macOS, musl): nothing to tune
    ok = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
    log.debug("malloc mmap threshold fixed at %d bytes: %s", MMAP_THRESHOLD_BYTES, ok)
    return ok
