"""Structured request logs, EMF metrics and tracer wiring (Powertools)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from dataclasses import replace
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from function.api.app import create_app
from function.config import REPO_ROOT, Settings
from tests.support import hostile_inputs as h


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def request_logs(settings):
    handler = Records()
    logger = logging.getLogger(settings.service_name)
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)


def _last_request(records):
    return [r for r in records if r.getMessage() == "request"][-1]


def test_request_log_fields(client: TestClient, request_logs) -> None:
    r = client.post("/detect", files={"image": ("y.jpg", h.face_jpeg(), "image/jpeg")})
    rec = _last_request(request_logs)
    assert rec.request_id == r.headers["x-request-id"] and len(rec.request_id) == 32
    assert (rec.method, rec.route, rec.status, rec.faces, rec.image_bytes) == ("POST", "/detect", 200, 1,
                                                                               len(h.face_jpeg()))
    assert rec.latency_ms > 0
    assert not hasattr(rec, "code")


def test_only_the_first_request_of_a_process_is_a_cold_start(client: TestClient, request_logs, monkeypatch) -> None:
    import function.observability as o

    monkeypatch.setattr(o, "_cold_start", True)  # as in a fresh process (this one has served requests already)
    client.get("/health")
    client.get("/health")
    first, second = [r for r in request_logs if r.getMessage() == "request"][-2:]
    assert (first.cold_start, second.cold_start) == (True, False)


def test_error_log_has_code_and_template_route(client: TestClient, request_logs) -> None:
    client.post("/compare", files={"image1": ("y.jpg", h.face_jpeg(), "image/jpeg")})
    rec = _last_request(request_logs)
    assert (rec.route, rec.status, rec.code) == ("/compare", 422, "MISSING_FIELD")
    client.post("/wp-admin/../../etc/passwd")
    rec = _last_request(request_logs)
    assert (rec.route, rec.status, rec.code) == ("unmatched", 404, "NOT_FOUND")  # never the raw path


def test_compare_counts_two_faces_and_both_images(client: TestClient, request_logs) -> None:
    client.post("/compare", files={"image1": ("a.jpg", h.face_jpeg(), "image/jpeg"),
                                   "image2": ("b.jpg", h.gray_jpeg(), "image/jpeg")})
    rec = _last_request(request_logs)
    assert (rec.status, rec.faces, rec.image_bytes) == (200, 2, len(h.face_jpeg()) + len(h.gray_jpeg()))


def test_request_id_header_echoed_only_when_well_formed(client: TestClient) -> None:
    assert client.get("/health", headers={"x-request-id": "abc-123"}).headers["x-request-id"] == "abc-123"
    rid = client.get("/health", headers={"x-request-id": "a" * 200}).headers["x-request-id"]
    assert rid != "a" * 200 and len(rid) == 32


def test_lambda_request_id_from_mangum_scope(app, request_logs) -> None:
    """Mangum puts the Lambda context in scope['aws.context']: its aws_request_id is the request id."""
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "https",
             "path": "/health", "raw_path": b"/health", "query_string": b"", "root_path": "", "headers": [],
             "client": ("1.2.3.4", 1), "server": ("x", 443),
             "aws.context": SimpleNamespace(aws_request_id="c6af9ac6-7b61-11e6-9a41-93e812345678"),
             "aws.event": {}}
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert (b"x-request-id", b"c6af9ac6-7b61-11e6-9a41-93e812345678") in start["headers"]
    assert _last_request(request_logs).request_id == "c6af9ac6-7b61-11e6-9a41-93e812345678"


def test_logs_are_json_lines(settings, engine, capsys) -> None:
    """The Powertools Logger's own formatter writes one JSON object per request line."""
    app = create_app(settings, engine=engine)
    logger = logging.getLogger(settings.service_name)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logger.handlers[0].formatter)
    logger.addHandler(handler)
    try:
        with TestClient(app) as c:
            c.post("/detect", files={"image": ("y.jpg", h.face_jpeg(), "image/jpeg")})
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    line = [x for x in lines if x.get("message") == "request"][-1]
    assert {"level", "timestamp", "service", "request_id", "route", "status", "latency_ms", "faces",
            "image_bytes", "cold_start"} <= set(line)


def _emf(out: str) -> list[dict]:
    return [d for d in (json.loads(x) for x in out.splitlines() if x.startswith('{"_aws"')) if "_aws" in d]


def test_emf_metrics_per_route(settings, engine, capsys) -> None:
    app = create_app(replace(settings, emf_metrics=True, request_log=False), engine=engine)
    with TestClient(app) as c:
        capsys.readouterr()
        c.post("/detect", files={"image": ("g.jpg", h.wheel_photo("gdp.jpg").read_bytes(), "image/jpeg")})
        c.post("/extract-embedding", files={"image": ("x.jpg", b"not an image", "image/jpeg")})
    blobs = _emf(capsys.readouterr().out)
    ok = [b for b in blobs if b.get("route") == "/detect"]
    assert len(ok) == 1
    meta = ok[0]["_aws"]["CloudWatchMetrics"][0]
    assert meta["Namespace"] == settings.metrics_namespace
    assert sorted(meta["Dimensions"][0]) == ["route", "service"]
    assert {m["Name"] for m in meta["Metrics"]} >= {"Requests", "Latency", "Faces"}
    assert ok[0]["Faces"] == [5.0] and ok[0]["Latency"][0] > 0
    errors = [b for b in blobs if b.get("code") == "INVALID_IMAGE"]
    assert len(errors) == 1 and errors[0]["Errors"] == [1.0] and errors[0]["route"] == "/extract-embedding"


def test_no_metrics_outside_lambda(client: TestClient, capsys) -> None:
    capsys.readouterr()
    client.post("/detect", files={"image": ("y.jpg", h.face_jpeg(), "image/jpeg")})
    assert _emf(capsys.readouterr().out) == []


@pytest.mark.parametrize("env,emf,tracing", [
    ({}, False, False),
    ({"AWS_LAMBDA_FUNCTION_NAME": "face"}, True, True),
    ({"AWS_LAMBDA_FUNCTION_NAME": "face", "POWERTOOLS_METRICS_DISABLED": "true"}, False, True),
    ({"AWS_LAMBDA_FUNCTION_NAME": "face", "POWERTOOLS_TRACE_DISABLED": "true"}, True, False),
    ({"EMF_METRICS": "true", "TRACING": "false"}, True, False),
])
def test_defaults_follow_the_platform(env: dict, emf: bool, tracing: bool) -> None:
    s = Settings.from_env(env)
    assert (s.emf_metrics, s.tracing) == (emf, tracing)


def test_tracer_spans_on_lambda_without_a_daemon() -> None:
    """On Lambda (simulated env), the Powertools Tracer is created and decode/detect/embed subsegments open and close
    without raising, even with no X-Ray daemon reachable; outside Lambda span() never touches the X-Ray SDK."""
    pytest.importorskip("aws_xray_sdk")
    code = ("import sys; from function.config import Settings; from function.observability import Telemetry, span; "
            "import function.observability as o; Telemetry(Settings.from_env()); assert o._tracer is not None; "
            "current = o._tracer.provider.current_subsegment"
            "\nfor name in ('decode', 'detect', 'embed'):"
            "\n    with span(name):\n        assert current().name == '## ' + name, current()"
            "\n    assert current() is None"
            "\nprint('ok')")
    env = dict(os.environ, AWS_LAMBDA_FUNCTION_NAME="face", LAMBDA_TASK_ROOT=str(REPO_ROOT),
               AWS_XRAY_CONTEXT_MISSING="IGNORE_ERROR", _X_AMZN_TRACE_ID="Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
               AWS_XRAY_DAEMON_ADDRESS="127.0.0.1:9")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, env=env,
                         timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("ok")
    off = subprocess.run([sys.executable, "-c", "from function.observability import span\nwith span('x'):\n    pass\n"
                          "import sys; print('aws_xray_sdk' in sys.modules)"], cwd=REPO_ROOT, capture_output=True,
                         text=True, timeout=60, env={k: v for k, v in os.environ.items() if "LAMBDA" not in k})
    assert off.stdout.strip() == "False"


def test_through_mangum_like_lambda(settings, engine, request_logs, capsys) -> None:
    """An API Gateway (REST) event through Mangum: Lambda's request id in the header and the log line, EMF printed."""
    import base64 as b64

    from mangum import Mangum

    handler = Mangum(create_app(replace(settings, emf_metrics=True), engine=engine), lifespan="off")
    body = json.dumps({"image": b64.b64encode(h.face_jpeg()).decode()})
    event = {"resource": "/{proxy+}", "path": "/detect", "httpMethod": "POST", "headers": {
                 "content-type": "application/json", "Host": "x.execute-api.us-east-1.amazonaws.com"},
             "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
             "pathParameters": None, "stageVariables": None, "isBase64Encoded": False, "body": body,
             "requestContext": {"resourcePath": "/{proxy+}", "httpMethod": "POST", "path": "/prod/detect",
                                "stage": "prod", "requestId": "apigw-1", "identity": {"sourceIp": "1.2.3.4"}}}
    context = SimpleNamespace(aws_request_id="9f4c-lambda-request", function_name="face", memory_limit_in_mb=2048,
                              invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:face",
                              get_remaining_time_in_millis=lambda: 30_000)
    capsys.readouterr()
    out = handler(event, context)
    assert out["statusCode"] == 200 and json.loads(out["body"])["face_count"] == 1
    headers = {k.lower(): v for k, v in (out.get("headers") or {}).items()}
    assert headers["x-request-id"] == "9f4c-lambda-request"
    assert _last_request(request_logs).request_id == "9f4c-lambda-request"
    blobs = _emf(capsys.readouterr().out)
    assert [b["route"] for b in blobs] == ["/detect"] and blobs[0]["request_id"] == "9f4c-lambda-request"


def test_no_xray_noise_without_a_trace_id() -> None:
    """Under the Runtime Interface Emulator / `sam local` there is no trace id: spans are skipped instead of the
    X-Ray SDK logging "Subsegment ... discarded" for each of decode, detect and embed."""
    pytest.importorskip("aws_xray_sdk")
    code = ("import logging; logging.basicConfig(level=logging.WARNING)\n"
            "from function.config import Settings; from function.observability import Telemetry, span\n"
            "import function.observability as o; Telemetry(Settings.from_env()); assert o._tracer is not None\n"
            "for name in ('decode', 'detect', 'embed'):\n    with span(name):\n        pass\nprint('ok')")
    base = {k: v for k, v in os.environ.items() if k != "_X_AMZN_TRACE_ID"}
    env = dict(base, AWS_LAMBDA_FUNCTION_NAME="face", LAMBDA_TASK_ROOT=str(REPO_ROOT), AWS_XRAY_DAEMON_ADDRESS="127.0.0.1:9")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, env=env,
                         timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
    assert "discarded" not in out.stderr and "cannot find the current segment" not in out.stderr.lower(), out.stderr


def test_stage_times_in_the_log_line_and_server_timing_only_when_asked(settings, engine, request_logs) -> None:
    """Every face route's log line splits its time by stage (what `make bench` prints); the Server-Timing header
    carries the same names only with SERVER_TIMING=true. Stage names only: no request data."""
    photo = h.face_jpeg()
    with TestClient(create_app(settings, engine=engine)) as plain:
        r = plain.post("/extract-embedding", files={"image": ("y.jpg", photo, "image/jpeg")})
    assert r.status_code == 200 and "server-timing" not in r.headers
    stages = _last_request(request_logs).stages_ms
    assert set(stages) == {"read", "decode", "detect", "align", "quality", "embed", "answer"}
    assert all(v >= 0 for v in stages.values()) and stages["detect"] > 0 and stages["embed"] > 0
    with TestClient(create_app(replace(settings, server_timing=True), engine=engine)) as timed:
        r = timed.post("/detect", files={"image": ("y.jpg", photo, "image/jpeg")})
        health = timed.get("/health")
    items = dict(item.split(";dur=") for item in r.headers["server-timing"].split(", "))
    assert list(items) == ["read", "decode", "detect", "align", "quality", "answer", "total"]
    assert float(items["total"]) >= float(items["detect"]) > 0
    assert health.headers["server-timing"].startswith("total;dur=")  # no stage runs for /health
