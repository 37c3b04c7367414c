"""Observability on aws-lambda-powertools: one structured JSON log line per request, EMF metrics per route, and
X-Ray subsegments around decode / detect / embed. Knows nothing of HTTP (function/api/middleware.py feeds it).

- Logs: Powertools Logger (JSON on stdout), everywhere. Fields are named in RequestRecord; never image bytes,
  base64 or embeddings.
- Metrics: EMF JSON on stdout, flushed after every request, only when Settings.emf_metrics (default: on Lambda);
  elsewhere nothing is created or buffered.
- Tracing: Powertools Tracer (X-Ray SDK, imported only then) only when Settings.tracing (default: on Lambda) and
  aws_xray_sdk is installed; elsewhere span() only times its stage.
- Stage times: every span() adds its wall time to the request's RequestRecord.stages_ms (read, decode, detect,
  align, quality, embed; the middleware adds answer, the time from the route's return to the response's first
  byte: serialisation); the log line carries them, and with SERVER_TIMING=true so does a `Server-Timing` header
  (what `make bench` splits a request's time by).
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib.util
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from function.config import Settings

_log = logging.getLogger(__name__)
_tracer: Any = None  # a Powertools Tracer once configure() enabled tracing
_cold_start = True


@dataclass
class RequestRecord:
    """What the request log line and the metrics say about one request: no request data beyond sizes/counts."""

    request_id: str
    method: str
    route: str
    status: int = 0
    code: str | None = None  # machine error code, when the answer is an error
    latency_ms: float = 0.0
    faces: int | None = None
    image_bytes: int | None = None
    cold_start: bool = False
    stages_ms: dict[str, float] | None = None  # wall ms per stage (span names), summed when a stage runs twice
    returned_at: float | None = None  # perf_counter() when the route returned its answer (see returned())


_current: contextvars.ContextVar[RequestRecord | None] = contextvars.ContextVar("request_record", default=None)


def start_request(request_id: str, method: str, route: str) -> tuple[RequestRecord, contextvars.Token]:
    global _cold_start
    record = RequestRecord(request_id=request_id, method=method, route=route, cold_start=_cold_start)
    _cold_start = False
    return record, _current.set(record)


def end_request(token: contextvars.Token) -> None:
    _current.reset(token)


def note(*, faces: int | None = None, image_bytes: int | None = None, code: str | None = None) -> None:
    """Counts and sizes (the routes) and the error code (function/api/errors.py, as it builds an error answer) for
    the current request's log line and metrics; a no-op outside a request."""
    record = _current.get()
    if record is None:
        return
    if code is not None:
        record.code = code
    if faces is not None:
        record.faces = faces
    if image_bytes is not None:
        record.image_bytes = image_bytes


def returned() -> None:
    """Called by the routes as they return their answer: the middleware times the answer's serialisation from here."""
    record = _current.get()
    if record is not None:
        record.returned_at = time.perf_counter()


def add_stage(record: RequestRecord, name: str, seconds: float) -> None:
    stages = record.stages_ms if record.stages_ms is not None else {}
    stages[name] = round(stages.get(name, 0.0) + seconds * 1000.0, 3)
    record.stages_ms = stages


@contextlib.contextmanager
def span(name: str) -> Iterator[None]:
    """Times the stage into the current request's record (nothing outside a request), and opens an X-Ray
    subsegment `## name` when tracing is on and the invocation carries a trace id.

    Without a trace id (the Runtime Interface Emulator, `sam local`) there is no segment to attach to, and the X-Ray
    SDK would only log "Subsegment ... discarded" for every span."""
    record = _current.get()
    t0 = time.perf_counter()
    try:
        if _tracer is None or not os.environ.get("_X_AMZN_TRACE_ID"):
            yield
        else:
            with _tracer.provider.in_subsegment(f"## {name}"):
                yield
    finally:
        if record is not None:
            add_stage(record, name, time.perf_counter() - t0)


class Telemetry:
    """Per-process observability set up from Settings: the request logger, the metrics sink, the tracer."""

    def __init__(self, settings: Settings) -> None:
        from aws_lambda_powertools import Logger  # light: no boto3, no X-Ray SDK

        self.settings = settings
        self.logger = Logger(service=settings.service_name, level=settings.log_level)
        self.emf = settings.emf_metrics
        if settings.tracing:
            configure_tracing(settings.service_name)

    def finish(self, record: RequestRecord) -> None:
        if self.settings.request_log:
            fields = {k: v for k, v in asdict(record).items() if v is not None and k != "returned_at"}
            log_at = self.logger.warning if record.status >= 500 else self.logger.info
            log_at("request", extra=fields)
        if self.emf:
            self.flush_metrics(record)

    def flush_metrics(self, record: RequestRecord) -> None:
        """EMF blobs for one request: Latency, Faces, Requests per route; Errors per route and code; ColdStart."""
        from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

        ns, service = self.settings.metrics_namespace, self.settings.service_name
        m = EphemeralMetrics(namespace=ns, service=service)
        m.add_dimension(name="route", value=record.route)
        m.add_metric(name="Requests", unit=MetricUnit.Count, value=1)
        m.add_metric(name="Latency", unit=MetricUnit.Milliseconds, value=record.latency_ms)
        if record.faces is not None:
            m.add_metric(name="Faces", unit=MetricUnit.Count, value=record.faces)
        if record.cold_start:
            m.add_metric(name="ColdStart", unit=MetricUnit.Count, value=1)
        m.add_metadata(key="request_id", value=record.request_id)
        m.flush_metrics()
        if record.code is not None:
            e = EphemeralMetrics(namespace=ns, service=service)
            e.add_dimension(name="route", value=record.route)
            e.add_dimension(name="code", value=record.code)
            e.add_metric(name="Errors", unit=MetricUnit.Count, value=1)
            e.flush_metrics()


def configure_tracing(service_name: str) -> None:
    """Powertools Tracer when the X-Ray SDK is installed (on Lambda); stays off otherwise."""
    global _tracer
    if _tracer is not None:
        return
    if importlib.util.find_spec("aws_xray_sdk") is None:
        _log.warning("tracing requested but aws-xray-sdk is not installed; tracing stays off")
        return
    from aws_lambda_powertools import Tracer

    _tracer = Tracer(service=service_name, auto_patch=False)
