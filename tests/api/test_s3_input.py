"""JSON input from S3 ({"image_s3": "s3://bucket/key"}) through boto3 against moto's S3: allow-list, size cap
from HeadObject before any byte is fetched, missing objects, forbidden buckets, and the lazy boto3 import."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from function.api.app import create_app
from function.config import REPO_ROOT
from tests.support import hostile_inputs as h
from tests.support.photos import wheel_photo
from tests.support.s3fixtures import BUCKET, OTHER


@pytest.fixture(scope="module")
def s3_client(s3, settings, engine):
    # upload cap far below the S3 objects: S3 input is how large photos get in
    cfg = replace(settings, allowed_s3_buckets=(BUCKET,), max_s3_bytes=200_000, max_upload_bytes=50_000)
    app = create_app(cfg, engine=engine)
    gets: list[str] = []
    app.state.s3_fetch.client().meta.events.register("before-call.s3.GetObject", lambda **kw: gets.append("get"))
    with TestClient(app) as c:
        c.gets = gets  # type: ignore[attr-defined]
        yield c


def test_detect_from_s3_matches_bytes(s3_client: TestClient, client: TestClient) -> None:
    r = s3_client.post("/detect", json={"image_s3": f"s3://{BUCKET}/gdp.jpg"})
    assert r.status_code == 200, r.text
    direct = client.post("/detect", files={"image": ("g.jpg", wheel_photo("gdp.jpg").read_bytes(), "image/jpeg")})
    assert r.json()["faces"] == direct.json()["faces"]
    assert r.json()["face_count"] == 5
    assert len(wheel_photo("gdp.jpg").read_bytes()) > 50_000  # over this app's upload cap: S3 bypasses it


def test_compare_mixing_s3_and_base64(s3_client: TestClient) -> None:
    import base64

    r = s3_client.post("/compare", json={"image1_s3": f"s3://{BUCKET}/one/yao ming.jpg",
                                         "image2": base64.b64encode(h.face_jpeg()).decode()})
    assert r.status_code == 200, r.text
    assert r.json()["similarity"] > 0.99 and r.json()["same_person"] is True


def test_extract_from_s3_key_with_space(s3_client: TestClient) -> None:
    r = s3_client.post("/extract-embedding", json={"image_s3": f"s3://{BUCKET}/one/yao ming.jpg"})
    assert r.status_code == 200 and len(r.json()["embedding"]) == 512


@pytest.mark.parametrize("uri,status,code", [
    (f"s3://{BUCKET}/nope.jpg", 404, "S3_OBJECT_NOT_FOUND"),
    (f"s3://{OTHER}/a.jpg", 403, "S3_BUCKET_NOT_ALLOWED"),
    ("s3://not-listed-anywhere/a.jpg", 403, "S3_BUCKET_NOT_ALLOWED"),
    (f"s3://{BUCKET}/big.bin", 413, "S3_OBJECT_TOO_LARGE"),
    (f"https://{BUCKET}.s3.amazonaws.com/gdp.jpg", 400, "INVALID_REQUEST"),
    (f"s3://{BUCKET}", 400, "INVALID_REQUEST"),
    (12, 400, "INVALID_REQUEST"),
])
def test_s3_errors(s3_client: TestClient, uri, status: int, code: str) -> None:
    before = len(s3_client.gets)  # type: ignore[attr-defined]
    r = s3_client.post("/detect", json={"image_s3": uri})
    assert r.status_code == status, r.text
    assert r.json()["code"] == code and r.json()["field"] == "image_s3"
    assert len(s3_client.gets) == before  # type: ignore[attr-defined]  # refused before any GetObject


def test_allowed_bucket_that_does_not_exist(s3, settings, engine) -> None:
    app = create_app(replace(settings, allowed_s3_buckets=("gone-bucket",)), engine=engine)
    with TestClient(app) as c:
        r = c.post("/detect", json={"image_s3": "s3://gone-bucket/a.jpg"})
    assert r.status_code == 404 and r.json()["code"] == "S3_OBJECT_NOT_FOUND"


def test_access_denied_maps_to_403(s3, settings, engine) -> None:
    """S3's own 403 (IAM denies the read; moto does not evaluate IAM, so botocore's Stubber answers it)."""
    from botocore.stub import Stubber

    app = create_app(replace(settings, allowed_s3_buckets=(BUCKET,)), engine=engine)
    with Stubber(app.state.s3_fetch.client()) as stub, TestClient(app) as c:
        stub.add_client_error("head_object", service_error_code="403", service_message="Forbidden",
                              http_status_code=403)
        r = c.post("/detect", json={"image_s3": f"s3://{BUCKET}/gdp.jpg"})
    assert r.status_code == 403 and r.json()["code"] == "S3_ACCESS_DENIED"


def test_boto3_is_not_imported_until_an_s3_request() -> None:
    code = ("import sys; from function.api.app import create_app; from function.api.s3 import S3Reader; "
            "print('boto3' in sys.modules, 'botocore' in sys.modules, 'aws_xray_sdk' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False"]
