"""create_app(): the FastAPI app. The engine is loaded here, once per process, when the app is created (on
Lambda that is the init phase, reused by every warm invocation)."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from function import __version__
from function.api.errors import document_error_codes, install_error_handlers, is_logged
from function.api.middleware import RequestMiddleware
from function.api.openapi import DESCRIPTION
from function.api.routes import router
from function.api.s3 import S3Reader
from function.config import Settings
from function.engine import FaceEngine
from function.errors import StartupError
from function.models import resolve_pack_name
from function.observability import Telemetry
from function.startup import build_service, load_engine

log = logging.getLogger("function")

def create_app(settings: Settings | None = None, engine: FaceEngine | None = None) -> FastAPI:
    """The app. Pass `engine` to share one already loaded (tests, scripts); otherwise the pack named by the
    settings is loaded now. A pack that fails to load leaves the app up: /health answers 503 with the reason
    and the face routes answer MODEL_NOT_READY (the entry points exit instead; see function/__main__.py)."""
    settings = settings or Settings.from_env()
    # redirect_slashes off: `POST /detect/` answers 404, not a 307 whose Location is built from the Host header.
    app = ServiceApp(title="face-recognition-service", version=__version__, description=DESCRIPTION,
                     redirect_slashes=False)
    app.state.settings = settings
    app.state.pack_name = resolve_pack_name(settings.model_dir, settings.model_pack)
    app.state.load_error = None
    app.state.service = None
    if engine is None:
        try:
            engine = load_engine(settings, app.state.pack_name)
        except StartupError as exc:
            log.error("model pack %s not loaded: %s", app.state.pack_name, exc)
            app.state.load_error = str(exc)
    if engine is not None:
        if engine.pack is not None:
            app.state.pack_name = engine.pack.name
        app.state.service = build_service(settings, engine, app.state.pack_name)
    app.state.s3_fetch = S3Reader(settings.allowed_s3_buckets, settings.max_s3_bytes,  # boto3 imported on first use
                                  settings.s3_client_kwargs())
    install_error_handlers(app)
    document_error_codes(app)
    app.include_router(router)
    app.add_middleware(RequestMiddleware, telemetry=Telemetry(settings), api_key=settings.api_key,
                       deadline_s=settings.request_deadline_s, server_timing=settings.server_timing)
    return app


class ServiceApp(FastAPI):
    """FastAPI that does not hand an exception on to the server once it has been answered and logged.

    Starlette's outermost middleware answers an unexpected exception with the 500 handler (function/api/errors.py,
    which logs it once with its traceback) and then re-raises it, so that uvicorn (or Mangum) logs the same
    traceback a second time. An exception the handler logged ends here; any other still propagates."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except Exception as exc:
            if not is_logged(exc):
                raise
