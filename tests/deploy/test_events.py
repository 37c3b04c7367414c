"""The event maker (`python -m function.events`), as docs/deploy.md's Runtime Interface Emulator example runs it: the
events it prints are API Gateway events that the real Lambda handler answers like uvicorn would (real photos, real
buffalo_sc models), and its command line refuses what it cannot make."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from function.config import REPO_ROOT
from function.events import photo_event, response_body
from function.events.__main__ import photo_fields
from tests.support.photos import DATA, wheel_photo
from tests.support.services import import_lambda_handler

SAME_PAIR = next((p.image1, p.image2) for p in DATA.lfw_pairs if p.same)


@pytest.fixture(scope="module")
def handler(model_dir: Path) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    return import_lambda_handler(model_dir).handler


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m function.events ARGS` in a fresh interpreter, as a user runs it from the checkout."""
    return subprocess.run([sys.executable, "-m", "function.events", *args], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=60)


def make_event(*args: str) -> dict[str, Any]:
    out = run_cli(*args)
    assert out.returncode == 0, out.stderr
    event: dict[str, Any] = json.loads(out.stdout)
    return event


def answer(handler: Callable[[dict[str, Any], Any], dict[str, Any]], event: dict[str, Any]) -> tuple[int, Any]:
    response = handler(event, None)
    return response["statusCode"], json.loads(response_body(response))


def test_rest_event_carries_the_photo_as_base64_multipart(handler) -> None:
    photo = wheel_photo("gdp.jpg")
    event = make_event(str(photo), "--route", "/detect")
    assert event["httpMethod"] == "POST" and event["path"] == "/detect" and event["isBase64Encoded"] is True
    body = base64.b64decode(event["body"])
    content_type = event["headers"]["Content-Type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    assert photo.read_bytes() in body and b'name="image"' in body
    status, detect = answer(handler, event)
    assert status == 200 and detect["face_count"] >= 5


def test_http_api_event_and_two_photos_for_compare(handler) -> None:
    event = make_event(str(SAME_PAIR[0]), str(SAME_PAIR[1]), "--route", "/compare", "--http-api")
    assert event["version"] == "2.0" and event["rawPath"] == "/compare"
    assert event["requestContext"]["http"]["method"] == "POST" and event["isBase64Encoded"] is True
    body = base64.b64decode(event["body"])
    assert b'name="image1"' in body and b'name="image2"' in body
    status, compare = answer(handler, event)
    assert status == 200 and compare["same_person"] is True


def test_named_fields_query_and_get_without_photos(handler) -> None:
    players = wheel_photo("players.jpg")
    status, extract = answer(handler, make_event(f"image={players}", "--route", "/extract-embedding",
                                                 "--query", "face=largest"))
    assert status == 200 and len(extract["embedding"]) == 512
    health = make_event("--route", "/health")
    assert health["httpMethod"] == "GET" and health["body"] is None
    status, body = answer(handler, health)
    assert status == 200 and body["model"] == "buffalo_sc"
    status, error = answer(handler, photo_event("/compare", {"image1": wheel_photo("yaoming.jpg").read_bytes(),
                                                             "image2": (DATA.noface / "dlib_eagle.jpg").read_bytes()}))
    assert status == 422 and error["code"] == "NO_FACE" and error["field"] == "image2"


def test_output_file(tmp_path: Path) -> None:
    out = tmp_path / "event.json"
    result = run_cli(str(wheel_photo("yaoming.jpg")), "--route", "/extract-embedding", "-o", str(out))
    assert result.returncode == 0 and result.stdout == ""
    assert json.loads(out.read_text())["path"] == "/extract-embedding"


@pytest.mark.parametrize("args,message", [
    (["missing.jpg", "--route", "/detect"], "missing.jpg"),
    (["a.jpg", "b.jpg", "c.jpg", "--route", "/detect"], "one or two photos"),
    (["--route", "detect"], "must start with /"),
])
def test_cli_refuses(args: list[str], message: str) -> None:
    out = run_cli(*args)
    assert out.returncode == 2 and message in out.stderr and out.stdout == ""


def test_photo_fields() -> None:
    yaoming = str(wheel_photo("yaoming.jpg"))
    assert photo_fields([yaoming]) == {"image": Path(yaoming)}
    assert list(photo_fields([yaoming, yaoming])) == ["image1", "image2"]
    assert photo_fields([f"image2={yaoming}", f"image1={yaoming}"]) == {"image2": Path(yaoming), "image1": Path(yaoming)}
    with pytest.raises(ValueError):
        photo_fields([f"image1={yaoming}", yaoming])


def test_runs_on_the_standard_library_alone() -> None:
    """docs/deploy.md runs `python3 -m function.events` from the checkout with any Python: no site-packages needed."""
    photo = str(wheel_photo("yaoming.jpg"))
    out = subprocess.run([sys.executable, "-S", "-m", "function.events", photo, "--route", "/detect"], cwd=REPO_ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["isBase64Encoded"] is True
