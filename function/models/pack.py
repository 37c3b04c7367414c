"""A model pack is a folder `<model_dir>/<name>/` holding a detector ONNX, a recognizer ONNX and `manifest.json`.

manifest.json:
    {"name": "buffalo_sc", "format": 1, "source": "...", "licence": "...", "timing_proxy": false,
     "models": {"detector":   {"file": "...onnx", "bytes": N, "sha256": "...", "kind": "scrfd",
                               "input_mean": 127.5, "input_std": 128.0},
                "recognizer": {"file": "...onnx", "bytes": N, "sha256": "...", "kind": "arcface",
                               "input_mean": 127.5, "input_std": 127.5,
                               "int8": {"file": "...int8.onnx", "bytes": N, "sha256": "...", "method": "...", ...}}}}

A role's optional "int8" entry is a variant quantized locally from that role's file (python -m function.models
quantize NAME; function/models/quantize.py), with its own size and sha256. MODEL_PRECISION=int8 loads the int8
variant of every role that has one and the fp32 file of the others; a pack with no int8 variant at all is refused.

The manifest records what the bake took from the pack's declaration (function/models/specs.py); a manifest without
kind or normalisation (baked before they were recorded) is read with its spec's. Loading checks every file's size
and sha256 against the manifest (one read per file: the verified bytes are what the session is built from) and
refuses timing-proxy packs, whose random weights must never answer a request.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from function.errors import PackError
from function.models.roles import PRECISIONS, ROLES
from function.models.specs import ARCFACE, BUFFALO_L, BUFFALO_SC, PACKS, SCRFD, Graph

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
PRODUCTION_PACK = BUFFALO_L.name
EMBEDDED_PACK = BUFFALO_SC.name


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class ModelFile:
    role: str
    path: Path
    size: int
    sha256: str
    kind: str
    input_mean: float
    input_std: float
    precision: str = "fp32"

    def read_verified(self) -> bytes:
        """The file's bytes, checked against the manifest; PackError if missing, truncated or altered."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError as exc:
            raise PackError(f"model file missing: {self.path}") from exc
        if len(data) != self.size:
            raise PackError(f"model file {self.path} has {len(data)} bytes, manifest says {self.size}: corrupt or "
                            "incomplete; bake the pack again")
        actual = sha256_bytes(data)
        if actual != self.sha256:
            raise PackError(f"model file {self.path} sha256 {actual[:12]}… does not match the manifest's "
                            f"{self.sha256[:12]}…: corrupt or replaced; bake the pack again")
        return data

    def describe(self) -> dict[str, Any]:
        return {"role": self.role, "file": self.path.name, "bytes": self.size, "sha256": self.sha256[:12],
                "precision": self.precision}


@dataclass(frozen=True)
class ModelPack:
    name: str
    path: Path
    source: str
    licence: str
    timing_proxy: bool
    detector: ModelFile
    recognizer: ModelFile

    def describe(self) -> list[dict[str, Any]]:
        return [self.detector.describe(), self.recognizer.describe()]


def _declared_graph(name: str, role: str) -> Graph:
    """A role's graph as its pack declares it (the standard one for a pack without a spec: a timing proxy); what a
    manifest baked before kind and normalisation were recorded in it is read with."""
    spec = PACKS.get(name)
    if spec is not None:
        return spec.model(role).graph
    return SCRFD if role == "detector" else ARCFACE


def _model_file(pack_dir: Path, role: str, entry: Any, precision: str = "fp32", name: str = "") -> ModelFile:
    """The role's file at `precision`: its int8 variant when asked for and present, else the fp32 file."""
    if not isinstance(entry, dict):
        raise PackError(f"{pack_dir / MANIFEST}: models.{role} is missing")
    variant = entry.get(precision) if precision != "fp32" else None
    if variant is not None and not isinstance(variant, dict):
        raise PackError(f"{pack_dir / MANIFEST}: models.{role}.{precision} is not an object")
    source = variant or entry
    facts = _declared_graph(name, role)
    try:
        return ModelFile(
            role=role,
            path=pack_dir / str(source["file"]),
            size=int(source["bytes"]),
            sha256=str(source["sha256"]).lower(),
            kind=str(entry.get("kind", facts.kind)),
            input_mean=float(entry.get("input_mean", facts.input_mean)),
            input_std=float(entry.get("input_std", facts.input_std)),
            precision=precision if variant else "fp32",
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PackError(f"{pack_dir / MANIFEST}: models.{role} needs file, bytes and sha256 ({exc})") from exc


def read_manifest(pack_dir: Path) -> dict[str, Any]:
    path = pack_dir / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise PackError(f"no {MANIFEST} in {pack_dir}: bake the pack first (python -m function.models bake NAME)") from exc
    except (OSError, ValueError) as exc:
        raise PackError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("models"), dict):
        raise PackError(f"{path} has no 'models' object")
    return manifest


def load_pack(model_dir: Path, name: str, *, allow_timing_proxy: bool = False, precision: str = "fp32") -> ModelPack:
    """Read and check a pack's manifest (files are hashed when the engine reads them). precision="int8" picks each
    role's int8 variant where the manifest has one (PackError when it has none)."""
    if precision not in PRECISIONS:
        raise PackError(f"MODEL_PRECISION must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    pack_dir = Path(model_dir) / name
    if not pack_dir.is_dir():
        raise PackError(f"model pack {name!r} not found in {model_dir} (available: {', '.join(available_packs(model_dir)) or 'none'}); "
                        f"bake it with: python -m function.models bake {name}")
    manifest = read_manifest(pack_dir)
    timing_proxy = bool(manifest.get("timing_proxy", False))
    if timing_proxy and not allow_timing_proxy:
        raise PackError(f"model pack {name!r} is a timing proxy (random weights, for benchmarks only) and is never served")
    models = manifest["models"]
    named = str(manifest.get("name", name))
    pack = ModelPack(
        name=named,
        path=pack_dir,
        source=str(manifest.get("source", "")),
        licence=str(manifest.get("licence", "")),
        timing_proxy=timing_proxy,
        detector=_model_file(pack_dir, "detector", models.get("detector"), precision, named),
        recognizer=_model_file(pack_dir, "recognizer", models.get("recognizer"), precision, named),
    )
    if precision != "fp32" and all(getattr(pack, role).precision == "fp32" for role in ROLES):
        raise PackError(f"model pack {name!r} has no {precision} variant: make one with "
                        f"python -m function.models quantize {name}")
    return pack


def pack_precisions(pack_dir: Path) -> list[str]:
    """The precisions a baked pack offers: fp32, plus int8 when any role has an int8 variant."""
    models = read_manifest(pack_dir)["models"]
    return ["fp32"] + [p for p in PRECISIONS[1:]
                       if any(isinstance(models.get(role), dict) and p in models[role] for role in ROLES)]


def available_packs(model_dir: Path) -> list[str]:
    root = Path(model_dir)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / MANIFEST).is_file())


def resolve_pack_name(model_dir: Path, requested: str) -> str:
    """MODEL_PACK if set; else buffalo_l when baked, else the embedded buffalo_sc."""
    if requested:
        return requested
    name = PRODUCTION_PACK if (Path(model_dir) / PRODUCTION_PACK / MANIFEST).is_file() else EMBEDDED_PACK
    log.info("MODEL_PACK not set: serving %s", name)
    return name
