"""moto S3 with real photos, shared by the S3 and privacy tests (registered in conftest.py as a plugin)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.support import hostile_inputs as h
from tests.support.photos import wheel_photo

BUCKET, OTHER = "faces-in", "someone-elses"


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


@contextmanager
def moto_s3(monkeypatch: pytest.MonkeyPatch, *buckets: str) -> Iterator[Any]:
    """moto's S3 with test credentials in the environment and `buckets` created; yields a boto3 S3 client."""
    moto = pytest.importorskip("moto")
    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
                 "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    with moto.mock_aws():
        import boto3

        client = boto3.client("s3", region_name="us-east-1")
        for b in buckets:
            client.create_bucket(Bucket=b)
        yield client


@pytest.fixture(scope="module")
def s3(monkeypatch_module):
    with moto_s3(monkeypatch_module, BUCKET, OTHER) as client:
        client.put_object(Bucket=BUCKET, Key="one/yao ming.jpg", Body=h.face_jpeg())
        client.put_object(Bucket=BUCKET, Key="gdp.jpg", Body=wheel_photo("gdp.jpg").read_bytes())
        client.put_object(Bucket=BUCKET, Key="big.bin", Body=b"\xff\xd8\xff" + b"\x00" * 300_000)
        client.put_object(Bucket=OTHER, Key="a.jpg", Body=h.face_jpeg())
        yield client
