"""The face engine: SCRFD detector, ArcFace aligner and recognizer on ONNX Runtime. Knows nothing of HTTP."""

from function.engine.engine import (
    DetectPass,
    EngineConfig,
    FaceEngine,
    LoadReport,
    choose_face,
    ensure_bgr,
)
from function.engine.types import Face

__all__ = ["DetectPass", "EngineConfig", "Face", "FaceEngine", "LoadReport", "choose_face", "ensure_bgr"]
