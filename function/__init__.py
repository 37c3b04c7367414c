"""face-recognition-service: SCRFD + ArcFace (InsightFace models) on ONNX Runtime behind FastAPI.

Request path, in reading order:
    function/api/app.py        create_app(): FastAPI app, loads the engine once at start-up
    function/api/routes.py     the four routes (thin)
    function/api/inputs.py     request body -> image bytes (multipart or JSON), size limits
    function/imaging.py        image bytes -> pixels (format check, limits, EXIF orientation, reduced decode)
    function/engine/           detector, aligner, recognizer on ONNX Runtime (no HTTP here)
    function/api/errors.py     the one place that maps errors to HTTP answers
    function/api/middleware.py request id, optional API key, one log line + metrics per request
    function/api/s3.py         {"image_s3": "s3://..."} -> bytes (allow-listed buckets, size cap, lazy boto3)
    function/observability.py  Powertools logger, EMF metrics, tracer spans (no HTTP)
Wrappers: function/lambda_handler.py (Mangum), function/__main__.py (uvicorn), function/entry.py (image entry).
Model packs (find, verify, bake) live in function/models/, apart from inference.
"""

import os

__version__ = "0.1.0"

# ONNX Runtime's telemetry writes a device id and an event database under ~/.cache at the first session: a write
# outside /tmp (read-only on Lambda) and a record nobody asked for. Off unless the environment says otherwise; set
# here because every entry point imports this package before onnxruntime.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
