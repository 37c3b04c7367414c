"""The four routes. Thin: read the request, call the service in a worker thread, return its answer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from function import __version__
from function.api.errors import error_responses
from function.api.inputs import read_images
from function.api.middleware import api_key_ok
from function.deadline import Deadline
from function.errors import ModelNotReady
from function.observability import note
from function.schemas import (
    CompareResponse,
    DetectResponse,
    ExtractResponse,
    FaceChoice,
    HealthResponse,
)
from function.service import FaceService

router = APIRouter()

_IMAGE_ERRORS: tuple[str, ...] = ("INVALID_IMAGE", "IMAGE_TOO_SMALL", "INVALID_REQUEST", "DUPLICATE_FIELD", "UNAUTHORIZED",
                 "PAYLOAD_TOO_LARGE", "IMAGE_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE", "MISSING_FIELD", "MODEL_NOT_READY")
_IMAGE_ERRORS += ("S3_BUCKET_NOT_ALLOWED", "S3_ACCESS_DENIED", "S3_OBJECT_NOT_FOUND", "S3_OBJECT_TOO_LARGE",
                  "S3_UNAVAILABLE", "NOT_FOUND", "METHOD_NOT_ALLOWED", "INTERNAL_ERROR", "REQUEST_TIMEOUT",
                  "DEADLINE_EXCEEDED")
_FACE_ERRORS = _IMAGE_ERRORS + ("NO_FACE", "MULTIPLE_FACES")
FACE_QUERY = Query("single", description="which face when an image holds several: 'single' (default) refuses with "
                                         "MULTIPLE_FACES; 'largest' takes the largest; 'center' the one nearest the centre")


def _body(*fields: str) -> dict[str, Any]:
    """OpenAPI request body: multipart files, or JSON with base64 / s3:// per field."""
    multipart = {"type": "object", "required": list(fields),
                 "properties": {f: {"type": "string", "format": "binary", "description": "JPEG, PNG, WebP, BMP or TIFF"}
                                for f in fields}}
    json_props: dict[str, Any] = {}
    for f in fields:
        json_props[f] = {"type": "string", "description": "base64 image bytes (a data: URL prefix is accepted)"}
        json_props[f"{f}_s3"] = {"type": "string", "description": "s3://bucket/key of an image in an allowed bucket"}
    return {"requestBody": {"required": True, "content": {
        "multipart/form-data": {"schema": multipart},
        "application/json": {"schema": {"type": "object", "properties": json_props}},
    }}}


def get_service(request: Request) -> FaceService:
    service = getattr(request.app.state, "service", None)
    if service is None:
        raise ModelNotReady(f"The face models are not loaded: {request.app.state.load_error}")
    return service


def deadline_of(request: Request) -> Deadline:
    """The request's deadline, set by the middleware (none when the app runs without it)."""
    deadline = getattr(request.state, "deadline", None)
    return deadline if isinstance(deadline, Deadline) else Deadline.never()


async def _images(request: Request, *names: str) -> dict[str, bytes]:
    settings = request.app.state.settings
    images = await read_images(request, names, settings.max_upload_bytes, getattr(request.app.state, "s3_fetch", None),
                               deadline_of(request))
    note(image_bytes=sum(map(len, images.values())))
    return images


@router.get("/health", response_model=HealthResponse, responses={503: {"model": HealthResponse}},
            description="With API_KEY set, a caller without a valid x-api-key learns only `status` (up or down).")
def health(request: Request) -> Any:
    state = request.app.state
    service: FaceService | None = getattr(state, "service", None)
    api_key = state.settings.api_key
    if api_key and not api_key_ok(request.scope, api_key):
        up = service is not None
        return JSONResponse(status_code=200 if up else 503, content={"status": "healthy" if up else "unhealthy"})
    if service is None:
        body = HealthResponse(status="unhealthy", model=state.pack_name, model_loaded=False, version=__version__,
                              error=str(state.load_error))
        return JSONResponse(status_code=503, content=body.model_dump())
    engine = service.engine
    return HealthResponse(status="healthy", model=state.pack_name, model_loaded=True, version=__version__,
                          models=engine.pack.describe() if engine.pack else [], providers=engine.report.providers,
                          threads=engine.config.threads, similarity_threshold=service.threshold)


@router.post("/detect", response_model=DetectResponse, response_model_exclude_none=True, openapi_extra=_body("image"), responses=error_responses(*_IMAGE_ERRORS),
             summary="Detect faces (detection only, no embeddings)")
async def detect(request: Request, service: FaceService = Depends(get_service)) -> DetectResponse:
    images = await _images(request, "image")
    result = await run_in_threadpool(service.detect, images["image"], deadline_of(request))
    note(faces=result.face_count)
    return result


@router.post("/extract-embedding", response_model=ExtractResponse, response_model_exclude_none=True,
             openapi_extra=_body("image"), responses=error_responses(*_FACE_ERRORS),
             summary="512-D L2-normalised embedding of the face in the image")
async def extract_embedding(request: Request, face: FaceChoice = FACE_QUERY,
                            all: bool = Query(False, description="embeddings for every face, batched"),
                            service: FaceService = Depends(get_service)) -> ExtractResponse:
    images = await _images(request, "image")
    result = await run_in_threadpool(service.extract, images["image"], face, all, deadline_of(request))
    note(faces=result.face_count if result.face_count is not None else 1)
    return result


@router.post("/compare", response_model=CompareResponse, openapi_extra=_body("image1", "image2"),
             responses=error_responses(*_FACE_ERRORS), summary="Are the faces in image1 and image2 the same person?")
async def compare(request: Request, face: FaceChoice = FACE_QUERY,
                  service: FaceService = Depends(get_service)) -> CompareResponse:
    images = await _images(request, "image1", "image2")
    result = await run_in_threadpool(service.compare, images["image1"], images["image2"], face, deadline_of(request))
    note(faces=2)
    return result
