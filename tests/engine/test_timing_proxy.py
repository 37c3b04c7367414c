"""Timing-proxy packs (random weights, for bench/scale.py) are never served: the pack loader, create_app and the
service all refuse them, even under the production pack's name. The proxy files here are buffalo_sc's ONNX files
under buffalo_l's file names: what is under test is the manifest flag, not the weights."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from function.api.app import create_app
from function.config import Settings
from function.engine import EngineConfig, FaceEngine
from function.errors import PackError
from function.models.__main__ import main as models_cli
from function.models.bake import bake_timing_proxy
from function.models.pack import MANIFEST, load_pack


@pytest.fixture(scope="module")
def proxy_files(tmp_path_factory, model_dir: Path) -> Path:
    folder = tmp_path_factory.mktemp("proxies")
    sc = load_pack(model_dir, "buffalo_sc")
    shutil.copyfile(sc.detector.path, folder / "det_10g.onnx")
    shutil.copyfile(sc.recognizer.path, folder / "w600k_r50.onnx")
    return folder


@pytest.fixture(scope="module")
def proxy_dir(tmp_path_factory, proxy_files: Path) -> Path:
    out = tmp_path_factory.mktemp("packs")
    bake_timing_proxy(proxy_files, out, "buffalo_l")  # the dangerous case: a proxy under the production name
    return out


def test_manifest_marks_the_pack_as_proxy(proxy_dir: Path) -> None:
    manifest = json.loads((proxy_dir / "buffalo_l" / MANIFEST).read_text())
    assert manifest["timing_proxy"] is True
    assert "random weights" in manifest["licence"]


def test_loader_refuses_proxy(proxy_dir: Path) -> None:
    with pytest.raises(PackError, match="timing proxy"):
        load_pack(proxy_dir, "buffalo_l")
    assert load_pack(proxy_dir, "buffalo_l", allow_timing_proxy=True).timing_proxy  # benchmarks only


def test_app_never_serves_proxy(proxy_dir: Path, lfw_image: Path) -> None:
    app = create_app(Settings(model_dir=proxy_dir))  # MODEL_PACK unset: buffalo_l is baked, so it is chosen
    with TestClient(app) as client:
        health = client.get("/health")
        assert health.status_code == 503 and "timing proxy" in health.json()["error"]
        for route in ("/detect", "/extract-embedding"):
            resp = client.post(route, files={"image": (lfw_image.name, lfw_image.read_bytes(), "image/jpeg")})
            assert resp.status_code == 503 and resp.json()["code"] == "MODEL_NOT_READY"
            assert "embedding" not in resp.json() and "faces" not in resp.json()


def test_service_refuses_a_proxy_engine(proxy_dir: Path) -> None:
    engine = FaceEngine.from_pack(load_pack(proxy_dir, "buffalo_l", allow_timing_proxy=True), EngineConfig())
    with pytest.raises(PackError, match="timing proxy"):
        create_app(Settings(model_dir=proxy_dir), engine=engine)


def test_cli_bakes_and_verifies_proxy(tmp_path: Path, proxy_files: Path, capsys) -> None:
    assert models_cli(["--model-dir", str(tmp_path), "bake-proxy", "--from", str(proxy_files)]) == 0
    assert models_cli(["--model-dir", str(tmp_path), "verify", "buffalo_l-proxy"]) == 0
    assert models_cli(["--model-dir", str(tmp_path), "bake-proxy", "--from", str(tmp_path / "nowhere")]) == 1
    assert "make_timing_proxies.py" in capsys.readouterr().err


def test_corrupt_model_still_fails_start_up(tmp_path: Path, model_dir: Path) -> None:
    """Start-up verification stays honest after the init cuts: one flipped byte refuses the pack with a reason."""
    pack = tmp_path / "buffalo_sc"
    shutil.copytree(model_dir / "buffalo_sc", pack)
    rec = load_pack(tmp_path, "buffalo_sc").recognizer.path
    data = bytearray(rec.read_bytes())
    data[len(data) // 2] ^= 0xFF
    rec.write_bytes(bytes(data))
    with TestClient(create_app(Settings(model_pack="buffalo_sc", model_dir=tmp_path))) as client:
        health = client.get("/health")
        assert health.status_code == 503 and "sha256" in health.json()["error"]


@pytest.fixture(scope="module")
def lfw_image() -> Path:
    from tests.support.photos import DATA

    return DATA.lfw_pairs[0].image1
