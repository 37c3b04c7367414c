"""face-recognition-service: SCRFD + ArcFace (InsightFace models) on ONNX Runtime behind FastAPI.

Request path, in reading order (docs/architecture.md has the layering and where new things go):
    function/api/app.py          create_app(): the FastAPI app; loads the engine once, when the app is created
    function/api/middleware.py   request id, deadline, API key, the early-answer drain, one log line per request
    function/api/routes.py       the routes (thin): /health, /detect, /extract-embedding, /compare, /verify, /search
    function/api/openapi.py      the OpenAPI text the routes do not derive (request bodies, description)
    function/api/inputs.py       request body -> image bytes per field (multipart or JSON), the body cap
    function/api/s3.py           {"image_s3": "s3://..."} -> bytes (allow-listed buckets, under the deadline)
    function/api/embeddings.py   stored embeddings and galleries in a request -> validated vectors
    function/api/errors.py       the one place that maps errors to HTTP answers
    function/imaging/            image bytes -> pixels: headers.py (format, limits, EXIF; no pixel decoded), decode.py
    function/service.py          FaceService: face choice, embedding, same-person decision, answer limits
    function/engine/             detector, aligner, recognizer, orientation, quality, run gate on ONNX Runtime (no HTTP)
    function/schemas.py          response models
Written once, imported by the rest (no web framework, no ONNX Runtime):
    function/config.py           Settings: every environment variable, its default and description
    function/limits.py           every limit: request, answer and decode limits, and the fixed bounds
    function/errors.py           every error code with its status and description
    function/deadline.py         the time one request may take
    function/observability.py    Powertools logger, EMF metrics, tracer spans
    function/s3read.py           one S3 object -> bytes within the size cap (API S3 input and the batch jobs)
Start-up (process guards, pack -> engine, one StartupError): function/startup.py.
Model packs (find, verify, bake, quantize; role facts in roles.py) live in function/models/, apart from inference:
they import nothing from function/engine/, which reads them.
Bulk embedding (S3/SQS batch jobs, their Lambda handler and CLI): function/batch/.
Entry points, which only wrap the app: function/__main__.py (uvicorn), function/entry.py (the image's entry),
function/lambda_handler.py (Mangum; its pieces in function/awslambda/), function/events/ (API Gateway event maker).
"""

from function.startup import apply_process_guards

__version__ = "0.1.0"

# Before any module of the service imports OpenCV or ONNX Runtime (every entry point imports this package first).
apply_process_guards()
