"""The routes. Thin: read the request, call the service in a worker thread, return its answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from function import __version__
from function.api.embeddings import parse_embedding, parse_gallery
from function.api.errors import MethodNotAllowed, RouteNotFound, error_responses
from function.api.inputs import S3Fetcher, read_form, read_images
from function.api.middleware import api_key_ok
from function.api.openapi import SEARCH_BODY, VERIFY_BODY, image_body
from function.config import Settings
from function.deadline import Deadline
from function.errors import (
    BeyondCalibration,
    DeadlineExceeded,
    DuplicateField,
    FaceQualityError,
    GalleryTooLarge,
    ImageTooLarge,
    ImageTooSmall,
    InvalidEmbedding,
    InvalidGallery,
    InvalidImage,
    InvalidRequest,
    MissingField,
    ModelNotReady,
    MultipleFaces,
    NoFace,
    PayloadTooLarge,
    RequestTimeout,
    S3AccessDenied,
    S3NotAllowed,
    S3ObjectNotFound,
    S3ObjectTooLarge,
    S3Unavailable,
    ServiceError,
    Unauthorized,
    UnsupportedMediaType,
)
from function.limits import MAX_TOP_K
from function.models.roles import EMBEDDING_SIZE
from function.observability import note, returned, span
from function.schemas import (
    CompareResponse,
    DetectResponse,
    ExtractResponse,
    FaceChoice,
    HealthResponse,
    HealthStatus,
    QualityMode,
    SearchResponse,
    VerifyResponse,
)
from function.service import FaceService, ServedModels

router = APIRouter()

# The errors each route may answer (OpenAPI `responses`); each code's status and description live on its class.
_IMAGE_ERRORS: tuple[type[ServiceError], ...] = (
    InvalidImage, ImageTooSmall, InvalidRequest, DuplicateField, Unauthorized, PayloadTooLarge, ImageTooLarge,
    UnsupportedMediaType, MissingField, ModelNotReady, S3NotAllowed, S3AccessDenied, S3ObjectNotFound,
    S3ObjectTooLarge, S3Unavailable, RouteNotFound, MethodNotAllowed, ServiceError, RequestTimeout, DeadlineExceeded)
_FACE_ERRORS = (*_IMAGE_ERRORS, NoFace, MultipleFaces)
_DECIDING_ERRORS = (*_FACE_ERRORS, FaceQualityError, BeyondCalibration)
_STORED_ERRORS = (*_DECIDING_ERRORS, InvalidEmbedding)
_SEARCH_ERRORS = (*_STORED_ERRORS, InvalidGallery, GalleryTooLarge)
QUALITY_QUERY = Query("none", description="'enrol': refuse a face that is not usable (422 FACE_QUALITY naming the "
                                           "image, with the reasons), as Rekognition's QualityFilter")
FAR_QUERY = Query(None, gt=0, lt=1, description="decide at the threshold the pack's calibration gives for this "
                                               "per-pair false-accept rate (e.g. 1e-5; GET /health lists the "
                                               "calibrated range); absent: the default threshold. 422 "
                                               "BEYOND_CALIBRATION when the pack has no calibration or the FAR is "
                                               "below its range")
FACE_QUERY = Query("single", description="which face when an image holds several: 'single' (default) refuses with "
                                         "MULTIPLE_FACES; 'largest' takes the largest; 'center' the one nearest the centre")


def _answer(result: Any, faces: int) -> Any:
    """A face route's answer: the face count for the request's log line, and the moment the route returned it
    (the middleware times serialisation from there)."""
    note(faces=faces)
    returned()
    return result


def get_service(request: Request) -> FaceService:
    service = getattr(request.app.state, "service", None)
    if service is None:
        raise ModelNotReady(f"The face models are not loaded: {request.app.state.load_error}")
    return service


def deadline_of(request: Request) -> Deadline:
    """The request's deadline, set by the middleware (none when the app runs without it)."""
    deadline = getattr(request.state, "deadline", None)
    return deadline if isinstance(deadline, Deadline) else Deadline.never()


@dataclass(frozen=True)
class Body:
    """The request's images and fields, read within the app's limits and the request's deadline."""

    request: Request
    settings: Settings
    s3_fetch: S3Fetcher | None
    deadline: Deadline

    async def images(self, *names: str) -> dict[str, bytes]:
        with span("read"):
            images = await read_images(self.request, names, self.settings.max_upload_bytes, self.s3_fetch,
                                       self.deadline)
        note(image_bytes=sum(map(len, images.values())))
        return images

    async def image_and(self, field: str) -> tuple[bytes, object]:
        """The `image` and one other field (a stored embedding, a gallery)."""
        with span("read"):
            form = await read_form(self.request, ("image",), (field,), self.settings.max_upload_bytes,
                                   self.s3_fetch, self.deadline)
        note(image_bytes=len(form.images["image"]))
        return form.images["image"], form.fields[field]


def get_body(request: Request) -> Body:
    state = request.app.state
    return Body(request, state.settings, getattr(state, "s3_fetch", None), deadline_of(request))


def served_models(request: Request) -> ServedModels | None:
    """The loaded service's view of its models and thresholds; None while no model is loaded."""
    service: FaceService | None = getattr(request.app.state, "service", None)
    return service.served() if service is not None else None


@router.get("/health", response_model=HealthResponse | HealthStatus,
            responses={503: {"model": HealthResponse | HealthStatus}},
            description="With API_KEY set, a caller without a valid x-api-key learns only `status` (up or down).")
def health(request: Request, served: ServedModels | None = Depends(served_models)) -> Any:
    state = request.app.state
    api_key = state.settings.api_key
    if api_key and not api_key_ok(request.scope, api_key):
        up = served is not None
        status = HealthStatus(status="healthy" if up else "unhealthy")
        return JSONResponse(status_code=200 if up else 503, content=status.model_dump())
    if served is None:
        body = HealthResponse(status="unhealthy", model=state.pack_name, model_loaded=False, version=__version__,
                              error=str(state.load_error))
        return JSONResponse(status_code=503, content=body.model_dump())
    return HealthResponse(status="healthy", model=state.pack_name, model_loaded=True, version=__version__,
                          models=served.models, providers=served.providers, threads=served.threads,
                          similarity_threshold=served.similarity_threshold,
                          similarity_threshold_source=served.similarity_threshold_source,
                          calibration=served.calibration)


@router.post("/detect", response_model=DetectResponse, response_model_exclude_none=True, openapi_extra=image_body("image"), responses=error_responses(*_IMAGE_ERRORS),
             summary="Detect faces (detection only, no embeddings)")
async def detect(service: FaceService = Depends(get_service), body: Body = Depends(get_body)) -> DetectResponse:
    images = await body.images("image")
    result = await run_in_threadpool(service.detect, images["image"], body.deadline)
    return _answer(result, result.face_count)


@router.post("/extract-embedding", response_model=ExtractResponse, response_model_exclude_none=True,
             openapi_extra=image_body("image"), responses=error_responses(*_FACE_ERRORS, FaceQualityError),
             summary=f"{EMBEDDING_SIZE}-D L2-normalised embedding of the face in the image")
async def extract_embedding(face: FaceChoice = FACE_QUERY,
                            all: bool = Query(False, description="embeddings for every face, batched"),
                            min_quality: QualityMode = QUALITY_QUERY,
                            service: FaceService = Depends(get_service),
                            body: Body = Depends(get_body)) -> ExtractResponse:
    images = await body.images("image")
    result = await run_in_threadpool(service.extract, images["image"], face, all, min_quality, body.deadline)
    return _answer(result, result.face_count if result.face_count is not None else 1)


@router.post("/compare", response_model=CompareResponse, openapi_extra=image_body("image1", "image2"),
             responses=error_responses(*_DECIDING_ERRORS), summary="Are the faces in image1 and image2 the same person?")
async def compare(face: FaceChoice = FACE_QUERY, far: float | None = FAR_QUERY,
                  min_quality: QualityMode = QUALITY_QUERY, service: FaceService = Depends(get_service),
                  body: Body = Depends(get_body)) -> CompareResponse:
    service.pair_decision(far)  # refuse a FAR beyond the calibration before reading the images
    images = await body.images("image1", "image2")
    result = await run_in_threadpool(service.compare, images["image1"], images["image2"], face, body.deadline,
                                     far, min_quality)
    return _answer(result, 2)


@router.post("/verify", response_model=VerifyResponse, responses=error_responses(*_STORED_ERRORS),
             openapi_extra=VERIFY_BODY,
             summary="Is the face in the photo the person of a stored embedding?")
async def verify(face: FaceChoice = FACE_QUERY, far: float | None = FAR_QUERY,
                 min_quality: QualityMode = QUALITY_QUERY, service: FaceService = Depends(get_service),
                 body: Body = Depends(get_body)) -> VerifyResponse:
    service.pair_decision(far)  # refuse a FAR beyond the calibration before reading the body
    image, raw = await body.image_and("embedding")
    embedding = parse_embedding(raw, "embedding", service.embedding_size)
    result = await run_in_threadpool(service.verify, image, embedding, face, body.deadline, far, min_quality)
    return _answer(result, 1)


@router.post("/search", response_model=SearchResponse, responses=error_responses(*_SEARCH_ERRORS),
             openapi_extra=SEARCH_BODY,
             summary="Which of the gallery's people is the face in the photo? Top-k at or above the threshold for "
                     "the gallery's size")
async def search(face: FaceChoice = FACE_QUERY,
                 top_k: int = Query(5, ge=1, le=MAX_TOP_K, description="the most matches to return"),
                 fpir: float | None = Query(None, gt=0, lt=1, description="target false-positive identification "
                                            "rate for this search (a person not in the gallery is matched at most "
                                            "this often); absent: SEARCH_FPIR. The threshold is the pack's "
                                            "calibrated threshold at FAR = fpir / gallery entries, never below the "
                                            "1:1 threshold"),
                 min_quality: QualityMode = QUALITY_QUERY,
                 service: FaceService = Depends(get_service), body: Body = Depends(get_body)) -> SearchResponse:
    image, raw = await body.image_and("gallery")
    ids, gallery = await run_in_threadpool(parse_gallery, raw, service.embedding_size,
                                           body.settings.max_gallery_size)
    result = await run_in_threadpool(service.search, image, ids, gallery, top_k, face, body.deadline, fpir,
                                     min_quality)
    return _answer(result, 1)
