"""Settings: one typed source, read once from environment variables.

Each tunable is one field of `Settings` with its default, its type and a one-line description; the environment
variable is the field name in upper case unless `_ENV_NAMES` says otherwise. The engine's and the decoder's own
configuration objects hold the defaults: EngineConfig and QualityThresholds (function/engine/config.py) the model's,
RequestLimits, AnswerLimits and DecodeLimits (function/limits.py) every limit's; the fields that expose them take their
defaults from there, and `engine_config()`, `decode_limits()`, `answer_limits()` derive those objects from the
settings, so no default is written twice. `env_table()` makes the table of docs/configuration.md from these fields.

Plain pydantic rather than pydantic-settings: one dependency fewer in the Lambda image, and `from_env()` reads any
mapping (tests, benchmarks) the same way as the process environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import fields as dataclass_fields
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationError, field_validator
from pydantic.dataclasses import dataclass
from pydantic.fields import FieldInfo

from function.decision import DEFAULT_SEARCH_FPIR
from function.engine.config import RECOGNIZER_BUCKETS, CloseupCanvas, CudnnSearch, EngineConfig, QualityThresholds
from function.engine.cpu import int8_exact
from function.limits import AnswerLimits, DecodeLimits, RequestLimits
from function.models.specs import ChosenThreshold, choose_threshold
from function.schemas import FaceChoice

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL_DIR = REPO_ROOT / "model_cache"

# AWS Lambda credits CPU time in proportion to memory: "At 1,769 MB, a function has the equivalent of one vCPU".
LAMBDA_MB_PER_VCPU = 1769


def available_cpus(env: Mapping[str, str] | None = None) -> int:
    """CPUs this process may run on (affinity / cgroup-aware where the OS tells), at least 1.

    On Lambda (AWS_LAMBDA_FUNCTION_MEMORY_SIZE set) the visible vCPUs exceed the CPU time the function is credited
    (2 are visible at any size up to 3,008 MB, 6 at 10,240 MB, but the credit is memory / 1,769 MB vCPUs), so the
    count is capped at that credit, rounded: 1 thread at 1,769-2,653 MB, 2 at 2,654-4,422 MB, ... 6 at 10,240 MB."""
    env = os.environ if env is None else env
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    memory_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "").strip()
    if memory_mb.isdigit():
        n = min(n, max(1, round(int(memory_mb) / LAMBDA_MB_PER_VCPU)))
    return max(1, n)


def _comma_list(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


_ENGINE = EngineConfig()
_QUALITY = QualityThresholds()
_LIMITS = DecodeLimits()
_REQUEST = RequestLimits()
_ANSWER = AnswerLimits()

# Fields whose environment variable is not simply the field name in upper case.
_ENV_NAMES = {
    "service_name": "POWERTOOLS_SERVICE_NAME",
    "metrics_namespace": "POWERTOOLS_METRICS_NAMESPACE",
}
# Set by the platform, not by the operator: derived in from_env(), not listed in the Configuration table.
_DERIVED = frozenset({"on_lambda"})


@dataclass(frozen=True, config={"extra": "forbid"})
class Settings:
    """Every setting of the service, validated. Construct with keyword arguments (tests, scripts; change one with
    dataclasses.replace) or `Settings.from_env()`."""

    # -- model pack and ONNX Runtime ----------------------------------------------------------------------------
    model_pack: str = Field("", description="pack to serve; empty = buffalo_l when baked, else buffalo_sc")
    model_dir: Path = Field(DEFAULT_MODEL_DIR, description="where packs live (the repo's or image's model_cache/)")
    execution_provider: Literal["cpu", "cuda"] = Field(
        "cpu", description="`cuda` uses the CUDA provider when the onnxruntime build has it (else CPU, with a warning)")
    model_precision: Literal["fp32", "int8"] = Field(
        "fp32", description="`int8` serves the pack's int8 variants, made by `python -m function.models quantize`; "
                            "fp32 instead on an x86 CPU without VNNI (docs/int8.md)")
    stable_shapes: Literal["auto", "on", "off"] = Field(
        "auto", description="square detector canvases and recognizer batches padded to 1/4/8/16/32, all warmed up "
                            "at start; `auto` = on with `cuda` only (docs/gpu.md)")
    cudnn_conv_algo_search: CudnnSearch = Field(
        _ENGINE.cudnn_conv_algo_search, description="cuDNN convolution algorithm choice per new input shape "
                                                    "(`cuda` only; docs/gpu.md)")
    ort_threads: int = Field(0, ge=0, description="ONNX Runtime intra-op threads; 0 = the CPUs this process may use "
                                                  "(on Lambda: memory / 1,769 MB, rounded)")
    max_concurrent_runs: int = Field(_ENGINE.max_concurrent_runs, ge=0,
                                     description="model runs in flight at once per process; 0 = the thread count")
    # -- detection ------------------------------------------------------------------------------------------------
    det_size: int = Field(_ENGINE.det_size, gt=0, description="detector input side (pixels) of the full pass")
    det_score_threshold: float = Field(_ENGINE.det_score_threshold, ge=0, le=1, description="minimum face score")
    nms_threshold: float = Field(_ENGINE.nms_threshold, ge=0, le=1, description="non-maximum suppression IoU")
    coarse_det_size: int = Field(_ENGINE.coarse_det_size, ge=0,
                                 description="first, cheaper pass for one-face requests; 0 = off")
    coarse_min_score: float = Field(_ENGINE.coarse_min_score, ge=0, le=1,
                                    description="score a coarse-pass face needs to settle the request")
    coarse_edge_margin: float = Field(_ENGINE.coarse_edge_margin, ge=0,
                                      description="a coarse face closer to the frame than this fraction is re-checked")
    coarse_min_face_fraction: float = Field(_ENGINE.coarse_min_face_fraction, ge=0,
                                            description="coarse face side / image long side needed to trust it")
    closeup_fallback: bool = Field(_ENGINE.closeup_fallback,
                                   description="re-detect on a padded image when no face is found or one fills the frame")
    closeup_min_face_fraction: float = Field(_ENGINE.closeup_min_face_fraction, ge=0,
                                             description="a face found only by the padded pass must be this large")
    closeup_redetect_fraction: float = Field(_ENGINE.closeup_redetect_fraction, ge=0,
                                             description="a lone face this large fills the frame: padded pass")
    closeup_window: float = Field(_ENGINE.closeup_window, gt=0, le=1,
                                  description="padded pass canvas, fraction of DET_SIZE at the reference's scale")
    closeup_canvas: CloseupCanvas = Field(_ENGINE.closeup_canvas,
                                          description="padded pass canvas: `full` = DET_SIZE; `fit` = the padded "
                                                      "image's size, at most DET_SIZE (never scaled up; cheaper, "
                                                      "LFW -0.11 point: docs/benchmarks.md)")
    closeup_small_side: int = Field(_ENGINE.closeup_small_side, ge=0,
                                    description="an image this small (long side, px) is also read padded: a "
                                                "one-face request first; 0 = off")
    orientation_search: bool = Field(_ENGINE.orientation_search,
                                     description="read a photo turned 90/180/270 degrees when no upright face is "
                                                 "found; off: such faces are `orientation_uncertain` "
                                                 "(docs/orientation.md)")
    # -- comparison -----------------------------------------------------------------------------------------------
    similarity_threshold: float | None = Field(None, ge=-1, le=1, description="same_person at or above this cosine "
                                               "similarity; empty = the served pack's declared threshold "
                                               "(`GET /health` → `similarity_threshold_source` says where it comes "
                                               "from)")
    search_fpir: float = Field(DEFAULT_SEARCH_FPIR, gt=0, lt=1, description="/search: the largest share of "
                               "people not enrolled that may be matched to someone (false-positive identification "
                               "rate); the threshold is read off the pack's calibration at FAR = this / gallery "
                               "entries, never below SIMILARITY_THRESHOLD (docs/search.md)")
    # -- face quality (docs/quality.md): `usable` on every face, /extract-embedding?min_quality=enrol -------------
    quality_min_face_size: float = Field(_QUALITY.min_face_size, ge=0, description="px, the face box's shorter "
                                         "side; below: face_too_small")
    quality_min_sharpness: float = Field(_QUALITY.min_sharpness, ge=0, description="variance of the Laplacian on "
                                         "the aligned 112x112 face crop; below: too_blurry")
    quality_min_brightness: float = Field(_QUALITY.min_brightness, ge=0, le=255, description="mean grey 0-255 of "
                                          "the aligned face; below: too_dark")
    quality_max_brightness: float = Field(_QUALITY.max_brightness, ge=0, le=255, description="above: too_bright")
    quality_max_yaw: float = Field(_QUALITY.max_yaw, ge=0, description="degrees, from the landmarks; beyond: "
                                   "yaw_too_large")
    quality_max_pitch: float = Field(_QUALITY.max_pitch, ge=0, description="degrees; beyond: pitch_too_large")
    quality_max_roll: float = Field(_QUALITY.max_roll, ge=0, description="degrees; beyond: roll_too_large")
    # -- request and image limits ---------------------------------------------------------------------------------
    max_upload_bytes: int = Field(_REQUEST.max_upload_bytes, gt=0, description="request body cap (bytes)")
    max_gallery_size: int = Field(_REQUEST.max_gallery_size, gt=0, description="/search inline gallery entries (413 GALLERY_TOO_LARGE "
                                  "above); the default fits Lambda's 6 MB request (docs/search.md)")
    max_image_pixels: int = Field(_LIMITS.max_image_pixels, gt=0,
                                  description="largest image, from its header, before any pixel is decoded")
    min_image_side: int = Field(_LIMITS.min_image_side, gt=0, description="smallest image side (pixels)")
    reduced_decode_min_side: int = Field(_LIMITS.reduced_decode_min_side, gt=0, description="a large image is "
                                         "decoded (JPEG) or reduced (others) at 1/2, 1/4 or 1/8 while its long side "
                                         "stays at least this")
    # -- per-request envelope (README: Limits) ----------------------------------------------------------------------
    request_deadline_s: float = Field(_REQUEST.request_deadline_s, gt=0, description="seconds a request may take from arrival (on Lambda "
                                      "also at most the invocation's remaining time less 1 s): 408 body late, "
                                      "503 DEADLINE_EXCEEDED")
    max_faces: int = Field(_ANSWER.max_faces, gt=0, description="faces per answer (/detect, ?all=true); more: the largest are "
                           "kept, faces_truncated: true")
    max_answer_bytes: int = Field(_ANSWER.max_answer_bytes, gt=0, description="answer JSON cap (Lambda's response limit is 6 MB); "
                                  "faces cut as for MAX_FACES")
    # -- security and S3 input ------------------------------------------------------------------------------------
    api_key: str = Field("", repr=False, description="when set, every route but /health and /docs needs x-api-key")
    allowed_s3_buckets: Annotated[tuple[str, ...], BeforeValidator(_comma_list)] = Field(
        (), description="comma-separated buckets that `*_s3` JSON fields may read; empty = S3 input off")
    max_s3_bytes: int = Field(_REQUEST.max_s3_bytes, gt=0, description="largest S3 object read (bytes); also the "
                              "largest photo the batch jobs read")
    s3_endpoint_url: str = Field("", description="an S3-compatible endpoint (MinIO, a local S3 for `sam local "
                                 "invoke`) for S3 input and the batch jobs; empty = AWS S3")
    # -- bulk embedding (function/batch/, README: Bulk) -------------------------------------------------------------
    batch_output: str = Field("", description="batch function: `s3://bucket/prefix/` its result objects go under "
                              "(one JSON-lines object per photo of a Map batch, per SQS record); `python -m function.batch` "
                              "takes --out instead")
    batch_face: FaceChoice = Field("single", description="batch jobs: the face of each photo, as ?face= (`single`: "
                                   "a photo of several faces is an error line)")
    batch_all_faces: bool = Field(False, description="batch jobs: every face of each photo, as ?all=true")
    batch_reserve_s: float = Field(20.0, gt=0, description="batch function: seconds of the invocation kept for "
                                   "writing its result; photos not started by then go back for a retry")
    # -- observability --------------------------------------------------------------------------------------------
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")
    on_lambda: bool = Field(False, description="running on AWS Lambda (AWS_LAMBDA_FUNCTION_NAME is set)")
    service_name: str = Field("face-recognition-service", description="Powertools service name in logs and metrics")
    metrics_namespace: str = Field("FaceRecognitionService", description="CloudWatch namespace of the EMF metrics")
    emf_metrics: bool = Field(False, description="EMF metrics on stdout; default: on Lambda only "
                                                 "(POWERTOOLS_METRICS_DISABLED=true turns them off)")
    tracing: bool = Field(False, description="X-Ray spans via Powertools Tracer; default: on Lambda only "
                                             "(POWERTOOLS_TRACE_DISABLED=true turns it off)")
    request_log: bool = Field(True, description="one structured log line per request")
    server_timing: bool = Field(False, description="a `Server-Timing` header on every answer: wall ms per stage "
                                "(read, decode, detect, align, quality, embed, answer) and total")

    @field_validator("execution_provider", "model_precision", "stable_shapes", "cudnn_conv_algo_search", "batch_face",
                     "closeup_canvas", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    # -- derived ------------------------------------------------------------------------------------------------
    @property
    def stable_shapes_on(self) -> bool:
        return self.stable_shapes == "on" or (self.stable_shapes == "auto" and self.execution_provider == "cuda")

    @property
    def threads(self) -> int:
        return self.ort_threads if self.ort_threads > 0 else available_cpus()

    @property
    def served_precision(self) -> Literal["fp32", "int8"]:
        """MODEL_PRECISION, except that int8 on CPU falls back to fp32 on an x86 CPU without VNNI, where ONNX
        Runtime's int8 kernels saturate and the embeddings drift (function/engine/cpu.py, docs/int8.md)."""
        if self.model_precision == "int8" and self.execution_provider == "cpu" and not int8_exact():
            return "fp32"
        return self.model_precision

    def threshold_choice(self, pack_name: str) -> ChosenThreshold:
        """The 1:1 threshold for `pack_name` at the served precision, and where it comes from: SIMILARITY_THRESHOLD
        when set, else the pack's declaration (function/models/specs.py). PackError for a pack without one."""
        return choose_threshold(pack_name, self.served_precision, self.similarity_threshold)

    def threshold_for(self, pack_name: str) -> float:
        return self.threshold_choice(pack_name).value

    def engine_config(self) -> EngineConfig:
        """The engine's configuration: every EngineConfig field that is a setting, plus the thread count and the
        shape policy that STABLE_SHAPES stands for (the warm-up of every shape only where it pays: on CUDA)."""
        shared = {f.name: getattr(self, f.name) for f in dataclass_fields(EngineConfig) if f.name in _FIELDS}
        stable = self.stable_shapes_on
        return EngineConfig(**shared, threads=self.threads, fit_canvas=not stable,
                            recognizer_buckets=RECOGNIZER_BUCKETS if stable else (),
                            recognizer_batch=max(RECOGNIZER_BUCKETS) if stable else _ENGINE.recognizer_batch,
                            warm_all_shapes=stable and self.execution_provider == "cuda")

    def quality_thresholds(self) -> QualityThresholds:
        return QualityThresholds(**{f.name: getattr(self, f"quality_{f.name}")
                                    for f in dataclass_fields(QualityThresholds)})

    def s3_client_kwargs(self) -> dict[str, Any]:
        """boto3.client("s3", ...) keyword arguments these settings ask for (the endpoint, path-style with it)."""
        return {"endpoint_url": self.s3_endpoint_url} if self.s3_endpoint_url else {}

    def decode_limits(self) -> DecodeLimits:
        return DecodeLimits(**{f.name: getattr(self, f.name) for f in dataclass_fields(DecodeLimits)})

    def answer_limits(self) -> AnswerLimits:
        return AnswerLimits(**{f.name: getattr(self, f.name) for f in dataclass_fields(AnswerLimits)})

    # -- reading the environment --------------------------------------------------------------------------------
    @staticmethod
    def env_name(field_name: str) -> str:
        return _ENV_NAMES.get(field_name, field_name.upper())

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Settings from environment variables (default: the process's); empty values mean the default.
        Raises ValueError naming the variable when a value does not parse or is out of range."""
        env = os.environ if env is None else env
        data: dict[str, Any] = {}
        for name in _FIELDS:
            if name in _DERIVED:
                continue
            raw = env.get(cls.env_name(name), "")
            if raw.strip():
                data[name] = raw if name == "api_key" else raw.strip()
        on_lambda = bool(env.get("AWS_LAMBDA_FUNCTION_NAME", "").strip())
        data["on_lambda"] = on_lambda
        data.setdefault("emf_metrics", on_lambda)
        data.setdefault("tracing", on_lambda)
        try:
            settings = cls(**data)
        except ValidationError as exc:
            first = exc.errors()[0]
            name = str(first["loc"][0]) if first["loc"] else ""
            shown = "<hidden>" if name == "api_key" else repr(data.get(name))
            raise ValueError(f"{cls.env_name(name)}: {first['msg']}, got {shown}") from None
        disabled = {"emf_metrics": "POWERTOOLS_METRICS_DISABLED", "tracing": "POWERTOOLS_TRACE_DISABLED"}
        off: dict[str, Any] = {name: False for name, var in disabled.items()
               if env.get(var, "").strip().lower() in {"1", "true", "yes", "on"}}
        return replace(settings, **off) if off else settings

    @classmethod
    def env_table(cls) -> str:
        """The table of docs/configuration.md (markdown; tools/configdoc.py writes the file), from the fields."""
        rows = ["| Variable | Default | Meaning |", "|---|---|---|"]
        for name, info in _FIELDS.items():
            if name in _DERIVED:
                continue
            default = info.default
            if isinstance(default, Path):
                shown = "`model_cache/`"
            elif default in ("", None, ()):
                shown = "(empty)"
            elif isinstance(default, bool):
                shown = f"`{str(default).lower()}`"
            else:
                shown = f"`{default}`"
            rows.append(f"| `{cls.env_name(name)}` | {shown} | {info.description} |")
        return "\n".join(rows)


_FIELDS: dict[str, FieldInfo] = Settings.__pydantic_fields__  # type: ignore[attr-defined]  # pydantic dataclass


if __name__ == "__main__":
    print(Settings.env_table())
