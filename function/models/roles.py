"""Model facts shared by every pack, written once: the roles a pack serves, the precisions it may be served at, which
roles get int8 variants and how, and the size of an embedding. What is particular to a pack (its files, their
graphs and input normalisation, its thresholds) is its declaration in function/models/specs.py."""

from __future__ import annotations

ROLES: tuple[str, ...] = ("detector", "recognizer")
PRECISIONS: tuple[str, ...] = ("fp32", "int8")

# int8 variants (function/models/quantize.py; docs/int8.md has the measurements that chose these).
QUANTIZE_METHODS = ("static", "dynamic")
QUANTIZE_ROLES = ("recognizer", "detector")  # both pay at buffalo_l scale

# The recognizer's output: every supported pack's ArcFace recognizer (w600k_r50, w600k_mbf) gives 512 numbers. The
# engine reads the loaded model's own size; the API's documentation quotes this one.
EMBEDDING_SIZE = 512
