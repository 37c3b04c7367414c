"""Deadline: the time one request may take, end to end, on the monotonic clock. Knows nothing of HTTP.

Over HTTP it is REQUEST_DEADLINE_S from the request's arrival; on Lambda the smaller of that and the invocation's
remaining time less a margin for the answer to travel (function/api/middleware.py sets it). Checked between steps
(body read, gate wait, decode, detect, embed, S3 reads): a step in progress is never interrupted, which is why
every step is bounded on its own (function/imaging/, the faces cap).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from function.errors import DeadlineExceeded


@dataclass(frozen=True)
class Deadline:
    end: float  # time.monotonic() value
    budget_s: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds, seconds)

    @classmethod
    def never(cls) -> Deadline:
        return cls(math.inf, math.inf)

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def timeout(self, reserve: float = 0.0, floor: float = 0.0) -> float | None:
        """Seconds a step may wait, keeping `reserve` for what follows and granting at least `floor`; None (wait
        without limit, as asyncio.wait_for and Semaphore.acquire take it) when the deadline is never."""
        if math.isinf(self.end):
            return None
        return max(floor, self.remaining() - reserve)

    def check(self, step: str) -> None:
        """Raises DeadlineExceeded when the time is up, naming the step about to start."""
        if self.remaining() <= 0:
            raise DeadlineExceeded(f"The request did not finish within its {self.budget_s:.1f} s deadline "
                                   f"(reached before {step}); retry, or send a smaller image.")
