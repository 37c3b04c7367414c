"""The code path the image runs on Lambda: the entry script with AWS_LAMBDA_RUNTIME_API set runs the real runtime
client (awslambdaric), which imports function.lambda_handler (init phase: the pack loads once), then polls a local
implementation of the Lambda Runtime API for events and posts the handler's answers back."""

from __future__ import annotations

import json
import time
from pathlib import Path

from function.entry import DEFAULT_HANDLER
from tests.support import apigw
from tests.support.lambda_runtime_api import RuntimeAPI
from tests.support.photos import DATA, wheel_photo
from tests.support.services import entry_env, import_lambda_handler, repo_snapshot, start_entry, stop


def test_runtime_client_loop_answers_api_gateway_events(model_dir: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    body, content_type = apigw.multipart({"image": wheel_photo("yaoming.jpg").read_bytes()})
    extract = apigw.rest_event("POST", "/extract-embedding", body=body, content_type=content_type)
    body2, content_type2 = apigw.multipart({"image1": wheel_photo("yaoming.jpg").read_bytes(),
                                            "image2": (DATA.noface / "dlib_eagle.jpg").read_bytes()})
    compare = apigw.http_api_event("POST", "/compare", body=body2, content_type=content_type2, stage="Prod")
    before = repo_snapshot()
    log = tmp_path / "runtime.log"
    with RuntimeAPI() as api:
        proc = start_entry(entry_env(model_dir, home, AWS_LAMBDA_RUNTIME_API=api.address), DEFAULT_HANDLER, log=log)
        try:
            first = api.invoke(extract)
            kind, response = api.wait(first, timeout=180)
            second = api.invoke(compare)  # a warm invocation of the same process
            kind2, response2 = api.wait(second, timeout=60)
            deadline = time.monotonic() + 10
            while api.next_calls < 3 and time.monotonic() < deadline:  # back to waiting for the next event
                time.sleep(0.05)
            assert proc.poll() is None, log.read_text()[-3000:]
        finally:
            stop(proc)
    output = log.read_text()
    assert kind == "response", output[-3000:]
    assert response["statusCode"] == 200
    answer = json.loads(apigw.response_body(response))
    assert answer["success"] is True and answer["embedding_size"] == 512
    # The same answer as the in-process Mangum handler for the same event.
    in_process = import_lambda_handler(model_dir).handler(extract, None)
    assert json.loads(apigw.response_body(in_process)) == answer
    assert kind2 == "response" and response2["statusCode"] == 422
    assert json.loads(apigw.response_body(response2))["code"] == "NO_FACE"
    # Models loaded once, in the init phase, for both invocations.
    assert output.count("model pack buffalo_sc loaded") == 1, output[-3000:]
    assert api.next_calls >= 3  # two events, then waiting for the next
    # Nothing written outside /tmp: no files in HOME, none added to the code or model folders.
    assert list(home.iterdir()) == []
    assert repo_snapshot() == before


def test_runtime_client_reports_init_error_when_pack_missing(model_dir: Path, tmp_path: Path) -> None:
    """A pack that does not load fails the init phase loudly (runtime /init/error, exit 1), never serves 503s."""
    home = tmp_path / "home"
    home.mkdir()
    log = tmp_path / "runtime.log"
    with RuntimeAPI() as api:
        env = entry_env(model_dir, home, AWS_LAMBDA_RUNTIME_API=api.address, MODEL_PACK="no_such_pack")
        proc = start_entry(env, DEFAULT_HANDLER, log=log)
        try:
            error = api.wait_init_error(timeout=60)
            returncode = proc.wait(timeout=30)
        finally:
            stop(proc)
    assert error is not None, log.read_text()[-3000:]
    assert error["errorType"] == "RuntimeError"
    assert "no_such_pack" in error["errorMessage"] and "not loaded" in error["errorMessage"]
    assert returncode != 0
    assert api.next_calls == 0  # never asked for an event


def test_entry_http_mode_exits_when_pack_missing(model_dir: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    log = tmp_path / "http.log"
    proc = start_entry(entry_env(model_dir, home, MODEL_PACK="no_such_pack", PORT="1"), log=log)
    try:
        assert proc.wait(timeout=60) == 1
    finally:
        stop(proc)
    assert "no_such_pack" in log.read_text()
