"""face-recognition-service: SCRFD + ArcFace (InsightFace models) on ONNX Runtime behind FastAPI.

Request path, in reading order:
    function/api/app.py        create_app(): FastAPI app, loads the engine once at start-up
    function/api/routes.py     the four routes (thin)
    function/api/inputs.py     request body -> image bytes (multipart or JSON), size limits
    function/imaging/          image bytes -> pixels: headers.py (format, limits, EXIF; no pixel decoded), decode.py
    function/engine/           detector, aligner, recognizer on ONNX Runtime (no HTTP here)
    function/api/errors.py     the one place that maps errors to HTTP answers
    function/api/middleware.py request id, optional API key, one log line + metrics per request
    function/api/s3.py         {"image_s3": "s3://..."} -> bytes (allow-listed buckets, size cap, lazy boto3)
    function/observability.py  Powertools logger, EMF metrics, tracer spans (no HTTP)
Start-up (process guards, pack -> engine, one StartupError): function/startup.py; settings: function/config.py.
Wrappers: function/lambda_handler.py (Mangum), function/__main__.py (uvicorn), function/entry.py (image entry).
Model packs (find, verify, bake) live in function/models/, apart from inference.
"""

from function.startup import apply_process_guards

__version__ = "0.1.0"

# Before any module of the service imports OpenCV or ONNX Runtime (every entry point imports this package first).
apply_process_guards()
