"""The face engine: SCRFD detector, ArcFace aligner and recognizer on ONNX Runtime. Knows nothing of HTTP.

`EngineConfig` (function/engine/config.py) imports nothing heavy; the rest loads ONNX Runtime and OpenCV on first
use (PEP 562), so that reading the settings never imports them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from function.engine.config import EngineConfig

if TYPE_CHECKING:
    from function.engine.engine import DetectPass, FaceEngine, LoadReport, OrientationTrace, choose_face, ensure_bgr
    from function.engine.types import Face

_LAZY = {"DetectPass": "engine", "FaceEngine": "engine", "LoadReport": "engine", "OrientationTrace": "engine",
         "choose_face": "engine",
         "ensure_bgr": "engine", "Face": "types"}

__all__ = ["DetectPass", "EngineConfig", "Face", "FaceEngine", "LoadReport", "OrientationTrace", "choose_face",
           "ensure_bgr"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f"function.engine.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'function.engine' has no attribute {name!r}")
