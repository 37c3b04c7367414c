"""INT8 variants (issue #13): made locally by the quantize step from a real buffalo_sc pack, recorded and verified
through the manifest, chosen by MODEL_PRECISION, served without the onnx package."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from function.config import REPO_ROOT, Settings
from function.engine import FaceEngine
from function.engine.cpu import cpu_flags, int8_exact
from function.engine.quantize_inputs import calibration_inputs
from function.errors import PackError
from function.imaging import decode_image
from function.models import load_pack
from function.models.pack import MANIFEST, sha256_file
from function.models.quantize import quantize_pack
from function.startup import load_engine
from tests.support.photos import wheel_photo


@pytest.fixture(scope="module")
def int8_dir(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> Path:
    root = tmp_path_factory.mktemp("int8")
    shutil.copytree(model_dir / "buffalo_sc", root / "buffalo_sc")
    quantize_pack(root, "buffalo_sc", roles=("recognizer",), calibrate=calibration_inputs, progress=lambda _: None)
    return root


def test_quantize_records_the_variant_with_its_own_sha256(int8_dir: Path, model_dir: Path) -> None:
    manifest = json.loads((int8_dir / "buffalo_sc" / MANIFEST).read_text())
    rec = manifest["models"]["recognizer"]
    variant = rec["int8"]
    path = int8_dir / "buffalo_sc" / variant["file"]
    assert variant["file"] == "w600k_mbf.int8.onnx" and variant["method"] == "static"
    assert variant["sha256"] == sha256_file(path) != rec["sha256"]
    assert variant["bytes"] == path.stat().st_size < rec["bytes"] / 3  # int8 weights: under a third of fp32
    assert variant["from_sha256"] == rec["sha256"] and variant["calibration_inputs"] > 20
    assert "int8" not in manifest["models"]["detector"]  # only the roles asked for
    original = json.loads((model_dir / "buffalo_sc" / MANIFEST).read_text())["models"]
    assert {k: v for k, v in rec.items() if k != "int8"} == original["recognizer"]  # fp32 entries untouched


def test_precision_picks_the_files_and_verification_covers_the_variant(int8_dir: Path, tmp_path: Path) -> None:
    fp32 = load_pack(int8_dir, "buffalo_sc")
    int8 = load_pack(int8_dir, "buffalo_sc", precision="int8")
    assert (fp32.recognizer.precision, fp32.recognizer.path.name) == ("fp32", "w600k_mbf.onnx")
    assert (int8.recognizer.precision, int8.recognizer.path.name) == ("int8", "w600k_mbf.int8.onnx")
    assert int8.detector == fp32.detector  # no int8 detector in this pack: fp32 serves
    assert [d["precision"] for d in int8.describe()] == ["fp32", "int8"]
    out = subprocess.run([sys.executable, "-m", "function.models", "--model-dir", str(int8_dir), "verify", "buffalo_sc"],
                         cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
    assert "buffalo_sc: OK" in out and "buffalo_sc int8: OK" in out and "w600k_mbf.int8.onnx" in out
    broken = tmp_path / "buffalo_sc"
    shutil.copytree(int8_dir / "buffalo_sc", broken)
    variant = broken / "w600k_mbf.int8.onnx"
    data = bytearray(variant.read_bytes())
    data[len(data) // 2] ^= 0xFF
    variant.write_bytes(bytes(data))
    with pytest.raises(PackError, match=r"sha256 .* does not match"):
        load_pack(tmp_path, "buffalo_sc", precision="int8").recognizer.read_verified()


def test_a_pack_without_int8_variants_refuses_int8(model_dir: Path) -> None:
    with pytest.raises(PackError, match=r"no int8 variant.*quantize"):
        load_pack(model_dir, "buffalo_sc", precision="int8")
    with pytest.raises(PackError, match="MODEL_PRECISION"):
        load_pack(model_dir, "buffalo_sc", precision="fp16")


def test_int8_embeddings_close_to_fp32_where_the_cpu_computes_them_exactly(int8_dir: Path, engine: FaceEngine) -> None:
    """The int8 variant itself (FaceEngine.from_pack, no fallback), on this CPU. Where int8 is exact here (VNNI, or
    not x86) it must stay close to fp32; elsewhere the service must not serve it (next tests)."""
    int8 = FaceEngine.from_pack(load_pack(int8_dir, "buffalo_sc", precision="int8"),
                                Settings(ort_threads=1).engine_config())
    assert int8.pack is not None and int8.pack.recognizer.precision == "int8"
    image = decode_image(wheel_photo("players.jpg").read_bytes()).pixels
    faces = engine.detect(image)
    cosines = np.sum(engine.embed(image, faces) * int8.embed(image, faces), axis=1)
    assert len(cosines) > 10 and cosines.min() > 0.0  # a broken quantization lands near 0 on any CPU
    if int8_exact():
        assert cosines.min() > 0.9  # measured 0.95-1.0 with VNNI (docs/int8.md); 0.74 without (saturation)
    else:
        assert Settings(model_precision="int8").served_precision == "fp32"


@pytest.mark.parametrize("exact", [True, False], ids=["vnni", "no-vnni"])
def test_int8_is_served_only_where_the_cpu_computes_it_exactly(
        int8_dir: Path, exact: bool, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr("function.config.int8_exact", lambda: exact)
    settings = Settings(model_pack="buffalo_sc", model_dir=int8_dir, model_precision="int8", ort_threads=1)
    with caplog.at_level("WARNING", logger="function"):
        served = load_engine(settings, "buffalo_sc")
    assert served.pack is not None
    assert served.pack.recognizer.precision == settings.served_precision == ("int8" if exact else "fp32")
    fp32_threshold = Settings().threshold_for("buffalo_sc")
    assert settings.threshold_for("buffalo_sc") == (0.29 if exact else fp32_threshold)  # int8's own FAR 1e-3
    assert ("no VNNI" in caplog.text) is (not exact)
    assert Settings(model_precision="int8", similarity_threshold=0.5).threshold_for("buffalo_sc") == 0.5
    cuda = Settings(model_precision="int8", execution_provider="cuda")
    assert cuda.served_precision == "int8"  # the x86 kernels' limit is a CPU provider matter


def test_int8_exact_reads_the_cpu_flags(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512bw\n\nprocessor\t: 1\n")
    assert cpu_flags(cpuinfo) == {"fpu", "sse2", "avx2", "avx512bw"}
    assert cpu_flags(tmp_path / "missing") == frozenset()
    assert not int8_exact("x86_64", cpu_flags(cpuinfo))
    assert int8_exact("x86_64", frozenset({"avx2", "avx512_vnni"})) and int8_exact("AMD64", frozenset({"avx_vnni"}))
    assert not int8_exact("x86_64", frozenset())  # unreadable flags: not assumed to have VNNI
    assert int8_exact("aarch64", frozenset())


def test_serving_int8_does_not_import_onnx(int8_dir: Path) -> None:
    """onnx is a bake-time tool (requirements-dev.txt): the runtime image must be able to serve int8 without it."""
    code = ("import sys; import function.config as c; from function.config import Settings; "
            "from function.startup import load_engine; c.int8_exact = lambda: True; "
            f"e = load_engine(Settings(model_dir={str(int8_dir)!r}, model_precision='int8', ort_threads=1), "
            "'buffalo_sc'); assert e.pack.recognizer.precision == 'int8'; "
            "assert 'onnx' not in sys.modules, 'onnx imported'; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("ok")
