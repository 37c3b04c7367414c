"""Model facts, written once: the roles a pack serves, what kind of graph each role is and how its input is
normalised, and which roles get int8 variants and how.

Input normalisation is `(pixel - input_mean) / input_std` on RGB, as InsightFace trained the models. Every baked
manifest records its own values; these are the values a pack is baked with, and the fallback for a manifest that
omits them. The engine reads them from the loaded pack, never from here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RoleFacts:
    kind: str  # the graph family the engine's code for this role expects
    input_mean: float
    input_std: float


ROLE_FACTS: dict[str, RoleFacts] = {
    "detector": RoleFacts(kind="scrfd", input_mean=127.5, input_std=128.0),
    "recognizer": RoleFacts(kind="arcface", input_mean=127.5, input_std=127.5),
}
ROLES: tuple[str, ...] = tuple(ROLE_FACTS)

# int8 variants (function/models/quantize.py; docs/int8.md has the measurements that chose these).
QUANTIZE_METHODS = ("static", "dynamic")
QUANTIZE_ROLES = ("recognizer", "detector")  # both pay at buffalo_l scale

# The recognizer's output: every supported pack's ArcFace recognizer (w600k_r50, w600k_mbf) gives 512 numbers. The
# engine reads the loaded model's own size; the API's documentation quotes this one.
EMBEDDING_SIZE = 512
