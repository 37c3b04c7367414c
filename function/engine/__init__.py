"""The face engine: SCRFD detector, ArcFace aligner and recognizer on ONNX Runtime. Knows nothing of HTTP.

`EngineConfig` (function/engine/config.py) imports nothing heavy; the rest loads ONNX Runtime and OpenCV on first
use (PEP 562), so that reading the settings never imports them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from function.engine.config import EngineConfig

if TYPE_CHECKING:
    from function.engine.engine import EngineRun, FaceEngine, FaceRead, LoadReport, Reading, choose_face, ensure_bgr
    from function.engine.passes import DetectPass, Purpose
    from function.engine.types import Face
    from function.engine.upright import OrientationTrace

_LAZY = {"EngineRun": "engine", "FaceEngine": "engine", "FaceRead": "engine", "LoadReport": "engine",
         "Reading": "engine", "choose_face": "engine", "ensure_bgr": "engine", "DetectPass": "passes",
         "Purpose": "passes", "Face": "types", "OrientationTrace": "upright"}

__all__ = ["DetectPass", "EngineConfig", "EngineRun", "Face", "FaceEngine", "FaceRead", "LoadReport", "OrientationTrace",
           "Purpose", "Reading", "choose_face", "ensure_bgr"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f"function.engine.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'function.engine' has no attribute {name!r}")
