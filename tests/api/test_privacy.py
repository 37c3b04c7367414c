"""Privacy: across the whole bad-input matrix and normal requests (multipart, JSON base64, S3, ?all=true,
/compare, API key), with every logger at DEBUG and EMF metrics on, no log record and nothing printed holds image
bytes, base64 of an image, an embedding value or the API key; and no file is written (/tmp included)."""

from __future__ import annotations

import base64
import logging
import os
import re
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from function.api.app import create_app
from tests.support import hostile_inputs as h
from tests.support.matrix import MATRIX
from tests.support.photos import wheel_photo
from tests.support.s3fixtures import BUCKET

KEY = "privacy-test-api-key-5d1f"


class Everything(logging.Handler):
    """Every record, formatted with its message, args, extra fields and exception text."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        fields = sorted((k, v) for k, v in record.__dict__.items() if k not in _CLOCK_FIELDS)
        parts = [record.getMessage(), repr(record.args), repr(fields)]
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
        self.texts.append("\n".join(parts))


# logging's own clock/process numbers: not request content, and their many decimals could match an embedding value
_CLOCK_FIELDS = {"created", "msecs", "relativeCreated", "thread", "process", "taskName"}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_AUDIT = {"active": False, "writes": []}


def _audit(event: str, args: tuple) -> None:
    if not _AUDIT["active"]:
        return
    if event == "open":
        path, mode, flags = (*tuple(args), None, None, None)[:3]
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or \
                  (isinstance(flags, int) and flags & _WRITE_FLAGS)
        if writing:
            _AUDIT["writes"].append((event, str(path)))
    elif event in ("os.mkdir", "os.rename", "os.symlink", "os.link", "tempfile.mkstemp", "tempfile.mkdtemp",
                   "shutil.copyfile", "shutil.move"):
        _AUDIT["writes"].append((event, repr(args)[:200]))


sys.addaudithook(_audit)


def _needles(data: bytes) -> list[str]:
    """Substrings that would betray `data` in a log: base64 windows, raw-byte windows as repr/hex/latin-1."""
    enc = base64.b64encode(data).decode()
    out = [enc[i:i + 24] for i in (0, 64, len(enc) // 4, len(enc) // 2, 3 * len(enc) // 4) if len(enc) > 200]
    for start in (0, 64, len(data) // 3, len(data) // 2):
        w = data[start:start + 16]
        if len(w) == 16 and len(set(w)) > 4:  # skip runs of one byte (bombs' zero rows)
            out += [repr(w)[2:-1], w.hex(), w.decode("latin-1")]
    return out


@pytest.fixture(scope="module")
def apps(s3, settings, engine):
    cfg = replace(settings, log_level="DEBUG", emf_metrics=True, allowed_s3_buckets=(BUCKET,))
    with TestClient(create_app(cfg, engine=engine)) as open_app, \
            TestClient(create_app(replace(cfg, api_key=KEY), engine=engine)) as locked_app:
        yield open_app, locked_app


def test_nothing_sensitive_logged_or_written(apps, capsys) -> None:
    open_app, locked_app = apps
    handler = Everything()
    loggers = [logging.getLogger()] + [logging.getLogger(n) for n in list(logging.root.manager.loggerDict)]
    saved = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        if not lg.propagate or lg is logging.getLogger():
            lg.addHandler(handler)
    sent: list[bytes] = []
    embeddings: list[float] = []
    tmp_before = set(os.listdir("/tmp"))
    capsys.readouterr()
    _AUDIT["writes"].clear()
    _AUDIT["active"] = True
    try:
        for case in MATRIX:
            kwargs = case.request()
            for part in kwargs.get("files", []):
                sent.append(part[1][1])
            if isinstance(kwargs.get("json"), dict):
                sent += [v.encode() for v in kwargs["json"].values() if isinstance(v, str) and len(v) > 200]
            if isinstance(kwargs.get("content"), bytes):
                sent.append(kwargs["content"])
            r = open_app.request(case.method, case.route, **kwargs)
            assert r.status_code == case.status
        gdp = wheel_photo("gdp.jpg").read_bytes()
        sent += [gdp, h.face_jpeg()]
        r = open_app.post("/extract-embedding?all=true", files={"image": ("g.jpg", gdp, "image/jpeg")})
        embeddings += [v for f in r.json()["faces"] for v in f["embedding"][:64]]
        r = open_app.post("/extract-embedding", json={"image": base64.b64encode(h.face_jpeg()).decode()})
        embeddings += r.json()["embedding"][:64]
        r = open_app.post("/extract-embedding", json={"image_s3": f"s3://{BUCKET}/gdp.jpg"}, params={"face": "largest"})
        assert r.status_code == 200
        r = open_app.post("/compare", files={"image1": ("a.jpg", h.face_jpeg(), "image/jpeg"),
                                             "image2": ("b.jpg", h.gray_jpeg(), "image/jpeg")})
        assert r.status_code == 200
        assert locked_app.post("/detect", files={"image": ("a.jpg", h.face_jpeg(), "image/jpeg")},
                               headers={"x-api-key": KEY}).status_code == 200
        assert locked_app.post("/detect", headers={"x-api-key": KEY + "-wrong"}).status_code == 401
    finally:
        _AUDIT["active"] = False
        for lg, level in saved:
            lg.setLevel(level)
            lg.removeHandler(handler)
    printed = capsys.readouterr()
    text = "\n".join(handler.texts) + printed.out + printed.err
    assert len(handler.texts) > len(MATRIX)  # the request lines (at least) were captured
    assert '"_aws"' in printed.out  # EMF metrics were printed and are checked too

    leaks = [n for data in sent for n in _needles(data) if n and n in text]
    assert not leaks, f"image data in logs: {leaks[:3]}"
    floats = {f for v in embeddings if abs(v) > 1e-3 for f in (repr(v), f"{v:.6f}")}
    pattern = re.compile(r"(?<![0-9])(?:" + "|".join(map(re.escape, sorted(floats, key=len, reverse=True))) + ")")
    found = sorted(set(pattern.findall(text)))
    assert not found, f"embedding values in logs: {found[:3]}"
    assert KEY not in text

    assert _AUDIT["writes"] == [], _AUDIT["writes"][:5]
    # /tmp is shared with other processes on this machine: nothing new there may be held open by this process
    new_tmp = {str(Path("/tmp") / n) for n in set(os.listdir("/tmp")) - tmp_before}
    held = {os.path.realpath(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
            if os.path.exists(f"/proc/self/fd/{fd}")}
    assert not (new_tmp & held)
