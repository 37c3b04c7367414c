"""Settings written once, start-up in one module, error codes written once: the structure the code relies on."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from function.config import REPO_ROOT, Settings
from function.engine import EngineConfig
from function.errors import PackError, ServiceError, StartupError, error_codes
from function.limits import DecodeLimits
from function.models.pack import MANIFEST, sha256_file
from function.startup import EngineLoader, load_engine


def test_engine_and_decode_defaults_come_from_one_place() -> None:
    settings, engine, limits = Settings(), EngineConfig(), DecodeLimits()
    shared = [f.name for f in dataclasses.fields(EngineConfig) if hasattr(settings, f.name)]
    assert "det_size" in shared and "coarse_det_size" in shared and "max_concurrent_runs" in shared
    derived = settings.engine_config()
    for name in shared:
        if name != "threads":
            assert getattr(settings, name) == getattr(engine, name) == getattr(derived, name), name
    assert settings.decode_limits() == limits


def test_a_setting_reaches_the_engine_and_the_decoder() -> None:
    settings = Settings.from_env({"DET_SIZE": "480", "COARSE_DET_SIZE": "0", "MAX_IMAGE_PIXELS": "1000000",
                                  "ORT_THREADS": "3"})
    config = settings.engine_config()
    assert (config.det_size, config.coarse_det_size, config.threads) == (480, 0, 3)
    assert settings.decode_limits().max_image_pixels == 1_000_000


@pytest.mark.parametrize(("env", "message"), [
    ({"DET_SIZE": "big"}, "DET_SIZE: Input should be a valid integer"),
    ({"DET_SIZE": "-1"}, "DET_SIZE: Input should be greater than 0"),
    ({"EXECUTION_PROVIDER": "tpu"}, "EXECUTION_PROVIDER: Input should be 'cpu' or 'cuda'"),
    ({"CLOSEUP_FALLBACK": "maybe"}, "CLOSEUP_FALLBACK: Input should be a valid boolean"),
    ({"SIMILARITY_THRESHOLD": "2"}, "SIMILARITY_THRESHOLD: Input should be less than or equal to 1"),
])
def test_a_bad_value_names_its_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings.from_env(env)


def test_empty_values_mean_the_default_and_lists_split_on_commas() -> None:
    settings = Settings.from_env({"DET_SIZE": " ", "ALLOWED_S3_BUCKETS": "a, b,,c", "LOG_LEVEL": "debug"})
    assert settings.det_size == EngineConfig().det_size
    assert settings.allowed_s3_buckets == ("a", "b", "c")
    assert settings.log_level == "DEBUG"


def test_settings_are_validated_when_changed_too() -> None:
    with pytest.raises(ValueError):
        dataclasses.replace(Settings(), det_size=0)
    with pytest.raises(ValueError):
        Settings(no_such_setting=1)  # type: ignore[call-arg]


def test_the_api_key_never_shows_in_repr_or_errors() -> None:
    assert "s3cret" not in repr(Settings(api_key="s3cret"))


def test_env_table_lists_every_operator_variable() -> None:
    table = Settings.env_table()
    for var in ("MODEL_PACK", "DET_SIZE", "MAX_UPLOAD_BYTES", "API_KEY", "POWERTOOLS_SERVICE_NAME", "REQUEST_LOG"):
        assert f"| `{var}` |" in table
    assert "ON_LAMBDA" not in table  # set by the platform, not the operator
    assert "| `DET_SIZE` | `640` |" in table


# -- start-up ---------------------------------------------------------------------------------------------------
def _pack_with_wrong_detector(model_dir: Path, tmp_path: Path) -> Path:
    """A pack whose manifest is consistent but whose 'detector' is the recognizer graph: it verifies, then fails
    when the engine builds an SCRFD detector on it (not a PackError: ONNX Runtime loads it fine)."""
    pack = tmp_path / "buffalo_sc"
    shutil.copytree(model_dir / "buffalo_sc", pack)
    manifest = json.loads((pack / MANIFEST).read_text())
    det, rec = manifest["models"]["detector"], manifest["models"]["recognizer"]
    shutil.copyfile(pack / rec["file"], pack / det["file"])
    det["sha256"], det["bytes"] = sha256_file(pack / det["file"]), (pack / det["file"]).stat().st_size
    (pack / MANIFEST).write_text(json.dumps(manifest))
    return tmp_path


def test_any_load_failure_is_one_startup_error_that_keeps_its_cause(settings: Settings, model_dir: Path,
                                                                   tmp_path: Path) -> None:
    broken = dataclasses.replace(settings, model_dir=_pack_with_wrong_detector(model_dir, tmp_path))
    with pytest.raises(StartupError, match="'buffalo_sc' could not be loaded") as caught:
        load_engine(broken, "buffalo_sc")
    assert caught.value.__cause__ is not None and not isinstance(caught.value, PackError)
    with pytest.raises(StartupError):
        EngineLoader(broken).result()
    missing = dataclasses.replace(settings, model_dir=tmp_path / "nothing")
    with pytest.raises(PackError, match="not found"):  # a PackError is a StartupError, kept as it is
        EngineLoader(missing).result()


def test_process_guards_are_set_before_opencv_loads() -> None:
    """OpenCV reads OPENCV_IO_MAX_IMAGE_PIXELS when cv2 is imported: importing the service must set it first, so
    that cv2 itself refuses a 20,000 x 20,000 PNG header (our own header check runs before it in the service)."""
    code = ("import sys, zlib, struct, numpy as np; import function.service; import cv2, os; "
            "assert os.environ['OPENCV_IO_MAX_IMAGE_PIXELS'] == str(1 << 27); "
            "ihdr = struct.pack('>IIBBBBB', 20000, 20000, 8, 0, 0, 0, 0); "
            "chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d)); "
            "png = b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', zlib.compress(b'\\0' * 20001)) "
            "+ chunk(b'IEND', b''); "
            "out = None\ntry:\n out = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)\n"
            "except cv2.error:\n pass\nprint('refused' if out is None else 'decoded')")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO_ROOT)}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "refused"


def test_reading_settings_imports_neither_opencv_nor_onnxruntime() -> None:
    code = ("import sys; from function.config import Settings; Settings.from_env(); "
            "print(sorted(m for m in ('cv2', 'onnxruntime') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr


# -- error codes and routes -------------------------------------------------------------------------------------
def test_each_error_code_is_defined_once() -> None:
    with pytest.raises(TypeError, match="defined twice"):
        type("AnotherNoFace", (ServiceError,), {"__doc__": "dup"}, code="NO_FACE", status=422)
    assert error_codes()["NO_FACE"][0] == 422


def test_the_404_lists_the_routes_the_app_has(app: FastAPI, client: TestClient) -> None:
    r = client.get("/" + "x" * 5000)
    assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND"
    message = r.json()["error"]
    assert len(message) < 300  # the path is not echoed back
    served = {f"{method.upper()} {path}" for path, ops in app.openapi()["paths"].items() for method in ops}
    assert served >= {"GET /health", "POST /detect", "POST /extract-embedding", "POST /compare"}
    assert all(entry in message for entry in served)
