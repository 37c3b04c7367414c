"""RunGate: the one bound on pixel and model work in flight per process (decoding, detection, recognition).

At most `limit` holders at once; FaceEngine.slot() takes it once per request (the service decodes inside that hold),
and the engine's one-step script methods take it for their own run. Not re-entrant: work inside a slot calls the
models directly, never through a method that takes the gate again.
"""

from __future__ import annotations

import threading


class RunGate:
    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self._slots = threading.BoundedSemaphore(self.limit)

    def acquire(self, timeout: float | None = None) -> bool:
        """Take a slot; False when none came free within `timeout` seconds (None: wait as long as it takes)."""
        return self._slots.acquire() if timeout is None else self._slots.acquire(timeout=max(0.0, timeout))

    def release(self) -> None:
        self._slots.release()
