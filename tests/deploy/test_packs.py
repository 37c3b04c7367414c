"""Model packs: verified at load, refused when missing, corrupt or a timing proxy; the bake CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from function.api.app import create_app
from function.config import REPO_ROOT, Settings
from function.engine import EngineConfig, FaceEngine
from function.errors import PackError
from function.models import load_pack, resolve_pack_name
from function.models.bake import bake_buffalo_sc
from function.models.pack import sha256_bytes
from function.models.specs import (
    BUFFALO_L,
    BUFFALO_SC,
    PACKS,
    Measured,
    PackSpec,
    Threshold,
    Unmeasured,
    choose_threshold,
)
from function.startup import load_engine


@pytest.fixture()
def pack_copy(tmp_path: Path, model_dir: Path) -> Path:
    shutil.copytree(model_dir / "buffalo_sc", tmp_path / "buffalo_sc")
    return tmp_path


def test_verified_pack_loads(model_dir):
    pack = load_pack(model_dir, "buffalo_sc")
    for loaded, pinned in ((pack.detector, BUFFALO_SC.detector), (pack.recognizer, BUFFALO_SC.recognizer)):
        data = loaded.read_verified()  # the bytes the session is built from: the pinned release file
        assert (loaded.path.name, len(data), sha256_bytes(data)) == (pinned.member, loaded.size, pinned.sha256)


def test_corrupt_file_fails_startup_clearly(pack_copy):
    pack = load_pack(pack_copy, "buffalo_sc")
    data = bytearray(pack.recognizer.path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    pack.recognizer.path.write_bytes(bytes(data))
    with pytest.raises(PackError, match=r"sha256 .* does not match"):
        FaceEngine.from_pack(load_pack(pack_copy, "buffalo_sc"), EngineConfig())


def test_truncated_and_missing_files(pack_copy):
    pack = load_pack(pack_copy, "buffalo_sc")
    pack.detector.path.write_bytes(pack.detector.path.read_bytes()[:1000])
    with pytest.raises(PackError, match="bytes, manifest says"):
        pack.detector.read_verified()
    pack.detector.path.unlink()
    with pytest.raises(PackError, match="missing"):
        pack.detector.read_verified()


def test_missing_pack_and_manifest(tmp_path, pack_copy):
    with pytest.raises(PackError, match="not found"):
        load_pack(tmp_path / "empty", "buffalo_l")
    (pack_copy / "buffalo_sc" / "manifest.json").unlink()
    with pytest.raises(PackError, match="bake the pack first"):
        load_pack(pack_copy, "buffalo_sc")


def test_timing_proxy_pack_is_never_served(pack_copy):
    manifest_path = pack_copy / "buffalo_sc" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["timing_proxy"] = True
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(PackError, match="timing proxy"):
        load_pack(pack_copy, "buffalo_sc")
    app = create_app(Settings(model_pack="buffalo_sc", model_dir=pack_copy))
    assert app.state.service is None


def test_default_pack_prefers_buffalo_l_when_baked(pack_copy):
    assert resolve_pack_name(pack_copy, "") == "buffalo_sc"
    shutil.copytree(pack_copy / "buffalo_sc", pack_copy / "buffalo_l")
    assert resolve_pack_name(pack_copy, "") == "buffalo_l"
    assert resolve_pack_name(pack_copy, "buffalo_sc") == "buffalo_sc"


def test_app_without_models_is_unhealthy(tmp_path):
    with TestClient(create_app(Settings(model_dir=tmp_path))) as client:
        r = client.get("/health")
        assert r.status_code == 503
        assert r.json()["status"] == "unhealthy" and r.json()["model_loaded"] is False
        assert "bake" in r.json()["error"]
        r = client.post("/detect", files={"image": ("a.jpg", b"\xff\xd8\xff", "image/jpeg")})
        assert r.status_code == 503 and r.json()["code"] == "MODEL_NOT_READY"


def test_server_refuses_to_start_without_models(tmp_path):
    env = {**os.environ, "MODEL_DIR": str(tmp_path), "PORT": "0"}
    proc = subprocess.run([sys.executable, "-m", "function"], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 1
    assert "not found" in proc.stderr and "python -m function.models bake" in proc.stderr


def test_bake_cli_is_idempotent_and_verifies(tmp_path):
    run = [sys.executable, "-m", "function.models", "--model-dir", str(tmp_path)]
    first = subprocess.run([*run, "bake", "buffalo_sc", "--if-missing"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    again = subprocess.run([*run, "bake", "buffalo_sc", "--if-missing"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert "already baked" in again.stderr
    verify = subprocess.run([*run, "verify", "buffalo_sc"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert verify.returncode == 0 and "a3562ef62592" in verify.stdout
    listed = subprocess.run([*run, "list"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert listed.stdout.split() == ["buffalo_sc"]
    assert sorted(p.name for p in (tmp_path / "buffalo_sc").iterdir()) == [
        "manifest.json", "scrfd_500m_bnkps.onnx", "w600k_mbf.onnx"]


def test_bake_refuses_a_file_that_does_not_match_its_pin(tmp_path, monkeypatch, pack_copy):
    fake_wheel = tmp_path / "wheel_model"
    shutil.copytree(pack_copy / "buffalo_sc", fake_wheel)
    (fake_wheel / "w600k_mbf.onnx").write_bytes(b"not the model")
    monkeypatch.setattr("function.models.bake.vectron_model_dir", lambda: fake_wheel)
    with pytest.raises(PackError, match="does not match the pinned"):
        bake_buffalo_sc(tmp_path / "out")
    assert not (tmp_path / "out" / "buffalo_sc").exists()


# -- the pack specs (function/models/specs.py) ---------------------------------------------------------------------
def test_a_threshold_cannot_be_declared_without_its_provenance():
    with pytest.raises(TypeError, match="provenance must be Measured"):
        Threshold(0.4, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="provenance must be Measured"):
        Threshold(0.4, "chosen by hand")  # type: ignore[arg-type]
    fields = {"name": "new_pack", "detector": BUFFALO_SC.detector, "recognizer": BUFFALO_SC.recognizer,
              "source": BUFFALO_SC.source, "licence": BUFFALO_SC.licence}
    with pytest.raises(TypeError, match="thresholds"):
        PackSpec(**fields)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="no similarity threshold declared for fp32, int8"):
        PackSpec(**fields, thresholds={})
    with pytest.raises(ValueError, match="no similarity threshold declared for int8"):
        PackSpec(**fields, thresholds={"fp32": Threshold(0.3, Unmeasured("a test"))})
    with pytest.raises(TypeError, match="thresholds take Threshold"):
        PackSpec(**fields, thresholds={"fp32": 0.3, "int8": 0.3})  # type: ignore[dict-item]
    declared = PackSpec(**fields, thresholds={p: Threshold(0.3, Unmeasured("a test")) for p in ("fp32", "int8")})
    assert declared.threshold("int8").provenance.describe() == "not measured: a test"


def test_every_pack_states_where_each_threshold_comes_from():
    for spec in PACKS.values():
        for precision, threshold in spec.thresholds.items():
            provenance = threshold.provenance
            if isinstance(provenance, Measured):
                assert provenance.command and provenance.date[:2] == "20" and 0 < provenance.far < provenance.tar <= 1
                assert (REPO_ROOT / provenance.report).is_file(), (spec.name, precision)
            else:
                assert len(provenance.reason) > 40, (spec.name, precision)
    assert isinstance(BUFFALO_L.threshold("fp32").provenance, Unmeasured)  # 0.40: a named value, said so
    assert choose_threshold("buffalo_l", "fp32").value == 0.40  # the default image keeps serving as before
    assert choose_threshold("buffalo_sc", "int8").value == 0.29 and choose_threshold("buffalo_sc", "fp32").value == 0.27


def test_an_undeclared_pack_is_refused_at_start_up(pack_copy, settings):
    """A pack folder the service has no spec of is not served, SIMILARITY_THRESHOLD or not: it would decide at a
    threshold nobody measured or named."""
    shutil.copytree(pack_copy / "buffalo_sc", pack_copy / "my_pack")
    manifest = pack_copy / "my_pack" / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"name": "buffalo_sc"', '"name": "my_pack"'))
    assert load_pack(pack_copy, "my_pack").name == "my_pack"  # a sound pack, as far as its files go
    chosen = Settings(model_pack="my_pack", model_dir=pack_copy, similarity_threshold=0.5)
    with pytest.raises(PackError, match=r"model pack 'my_pack' has no spec: .*function/models/specs.py \(buffalo_l, "
                                        r"buffalo_sc\)"):
        load_engine(chosen, "my_pack")
    with TestClient(create_app(chosen)) as client:
        r = client.get("/health")
    assert r.status_code == 503 and "'my_pack' has no spec" in r.json()["error"]


def test_the_wheel_pin_is_the_lock_file_pin():
    lock = (REPO_ROOT / "requirements-nodeps.lock").read_text()
    requirement = BUFFALO_SC.source.default.removeprefix("pypi:")
    entry = lock[lock.index(requirement):].split("# via", 1)[0]
    assert f"--hash=sha256:{BUFFALO_SC.source.archive_sha256}" in entry


def test_a_manifest_without_graph_facts_loads_with_its_specs(pack_copy):
    """Packs baked before the manifest recorded kind and normalisation still load, with their spec's values."""
    path = pack_copy / "buffalo_sc" / "manifest.json"
    manifest = json.loads(path.read_text())
    for entry in manifest["models"].values():
        for key in ("kind", "input_mean", "input_std"):
            del entry[key]
    path.write_text(json.dumps(manifest))
    pack = load_pack(pack_copy, "buffalo_sc")
    for role in ("detector", "recognizer"):
        graph = BUFFALO_SC.model(role).graph
        loaded = getattr(pack, role)
        assert (loaded.kind, loaded.input_mean, loaded.input_std) == (graph.kind, graph.input_mean, graph.input_std)
