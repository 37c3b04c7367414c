"""RunGate: the one bound on pixel and model work in flight per process (decoding, detection, recognition).

At most `limit` threads hold it at once. It is re-entrant per thread, so the service holds it for a whole request
(decode -> detect -> embed) while the engine's own model runs, which take it too when called alone (scripts,
benchmarks), pass straight through.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Self


class RunGate:
    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self._slots = threading.BoundedSemaphore(self.limit)
        self._local = threading.local()

    def acquire(self, timeout: float | None = None) -> bool:
        """Take a slot (or deepen this thread's hold); False when none came free within `timeout` seconds."""
        depth = getattr(self._local, "depth", 0)
        if depth == 0:
            ok = self._slots.acquire() if timeout is None else self._slots.acquire(timeout=max(0.0, timeout))
            if not ok:
                return False
        self._local.depth = depth + 1
        return True

    def release(self) -> None:
        depth = getattr(self._local, "depth", 0)
        if depth <= 0:
            raise RuntimeError("RunGate released by a thread that does not hold it")
        self._local.depth = depth - 1
        if depth == 1:
            self._slots.release()

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()
