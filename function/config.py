"""Settings, read once from environment variables. Every variable has a documented default (README: Configuration)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

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


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be true or false, got {raw!r}")


def _list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in env.get(name, "").split(",") if part.strip())


def _observability(env: Mapping[str, str]) -> dict[str, object]:
    on_lambda = bool(env.get("AWS_LAMBDA_FUNCTION_NAME", "").strip())
    return dict(on_lambda=on_lambda,
                service_name=env.get("POWERTOOLS_SERVICE_NAME", "").strip() or "face-recognition-service",
                metrics_namespace=env.get("POWERTOOLS_METRICS_NAMESPACE", "").strip() or "FaceRecognitionService",
                emf_metrics=_bool(env, "EMF_METRICS", on_lambda) and not _bool(env, "POWERTOOLS_METRICS_DISABLED", False),
                tracing=_bool(env, "TRACING", on_lambda) and not _bool(env, "POWERTOOLS_TRACE_DISABLED", False),
                request_log=_bool(env, "REQUEST_LOG", True))


# Measured on LFW view-2 (README: Accuracy). Per pack, because the recognizers' score scales differ slightly.
DEFAULT_SIMILARITY_THRESHOLDS: dict[str, float] = {
    # LFW view-2, 5,599 pairs, our pipeline on the raw photos (make accuracy): the lowest 0.01 step with
    # FAR <= 1e-3 (0.036%: 1 of 2,801 different-person pairs accepted), TAR 97.78%. buffalo_l: not measured yet.
    "buffalo_sc": 0.27,
}
FALLBACK_SIMILARITY_THRESHOLD = 0.40


@dataclass(frozen=True)
class Settings:
    model_pack: str = ""  # "" = buffalo_l when baked, else buffalo_sc
    model_dir: Path = DEFAULT_MODEL_DIR
    execution_provider: str = "cpu"  # cpu | cuda
    ort_threads: int = 0  # 0 = the CPUs this process may use
    det_size: int = 640
    det_score_threshold: float = 0.5
    nms_threshold: float = 0.4
    coarse_det_size: int = 320  # 0 turns coarse-to-fine detection off
    coarse_min_score: float = 0.75
    coarse_edge_margin: float = 0.03
    coarse_min_face_fraction: float = 0.08
    closeup_fallback: bool = True
    closeup_min_face_fraction: float = 0.3
    closeup_redetect_fraction: float = 0.75
    max_concurrent_runs: int = 0  # 0 = the ONNX Runtime threads (CPUs)
    similarity_threshold: float | None = None  # None = the measured default of the served pack
    max_upload_bytes: int = 10 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    min_image_side: int = 32
    reduced_decode_min_side: int = 960
    api_key: str = ""
    allowed_s3_buckets: tuple[str, ...] = field(default_factory=tuple)
    max_s3_bytes: int = 15 * 1024 * 1024
    log_level: str = "INFO"
    # Observability (README: Observability). On Lambda = AWS_LAMBDA_FUNCTION_NAME is set.
    on_lambda: bool = False
    service_name: str = "face-recognition-service"
    metrics_namespace: str = "FaceRecognitionService"
    emf_metrics: bool = False  # default: on Lambda only
    tracing: bool = False  # default: on Lambda only (needs aws-xray-sdk)
    request_log: bool = True
    # Face quality gate (docs/quality.md): `usable` on every face, and /extract-embedding?min_quality=enrol.
    quality_min_face_size: float = 64.0  # px, the box's shorter side in the image as sent
    quality_min_sharpness: float = 40.0  # variance of the Laplacian over the aligned 112x112 crop's inner face
    quality_min_brightness: float = 50.0  # mean grey 0..255 over the same region
    quality_max_brightness: float = 215.0
    quality_max_yaw: float = 35.0  # degrees, from the five landmarks
    quality_max_pitch: float = 30.0
    quality_max_roll: float = 45.0
    max_gallery_size: int = 1000  # /search inline gallery entries (docs/search.md: fits Lambda's 6 MB request)

    @property
    def threads(self) -> int:
        return self.ort_threads if self.ort_threads > 0 else available_cpus()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        raw_threshold = env.get("SIMILARITY_THRESHOLD", "").strip()
        provider = env.get("EXECUTION_PROVIDER", "cpu").strip().lower() or "cpu"
        if provider not in {"cpu", "cuda"}:
            raise ValueError(f"EXECUTION_PROVIDER must be cpu or cuda, got {provider!r}")
        return cls(
            model_pack=env.get("MODEL_PACK", "").strip(),
            model_dir=Path(env.get("MODEL_DIR", "").strip() or DEFAULT_MODEL_DIR),
            execution_provider=provider,
            ort_threads=_int(env, "ORT_THREADS", 0),
            det_size=_int(env, "DET_SIZE", 640),
            det_score_threshold=_float(env, "DET_SCORE_THRESHOLD", 0.5),
            nms_threshold=_float(env, "NMS_THRESHOLD", 0.4),
            coarse_det_size=_int(env, "COARSE_DET_SIZE", 320),
            coarse_min_score=_float(env, "COARSE_MIN_SCORE", 0.75),
            coarse_edge_margin=_float(env, "COARSE_EDGE_MARGIN", 0.03),
            coarse_min_face_fraction=_float(env, "COARSE_MIN_FACE_FRACTION", 0.08),
            closeup_fallback=_bool(env, "CLOSEUP_FALLBACK", True),
            closeup_min_face_fraction=_float(env, "CLOSEUP_MIN_FACE_FRACTION", 0.3),
            closeup_redetect_fraction=_float(env, "CLOSEUP_REDETECT_FRACTION", 0.75),
            max_concurrent_runs=_int(env, "MAX_CONCURRENT_RUNS", 0),
            similarity_threshold=float(raw_threshold) if raw_threshold else None,
            max_upload_bytes=_int(env, "MAX_UPLOAD_BYTES", 10 * 1024 * 1024),
            max_image_pixels=_int(env, "MAX_IMAGE_PIXELS", 40_000_000),
            min_image_side=_int(env, "MIN_IMAGE_SIDE", 32),
            reduced_decode_min_side=_int(env, "REDUCED_DECODE_MIN_SIDE", 960),
            api_key=env.get("API_KEY", ""),
            allowed_s3_buckets=_list(env, "ALLOWED_S3_BUCKETS"),
            max_s3_bytes=_int(env, "MAX_S3_BYTES", 15 * 1024 * 1024),
            log_level=env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO",
            quality_min_face_size=_float(env, "QUALITY_MIN_FACE_SIZE", 64.0),
            quality_min_sharpness=_float(env, "QUALITY_MIN_SHARPNESS", 40.0),
            quality_min_brightness=_float(env, "QUALITY_MIN_BRIGHTNESS", 50.0),
            quality_max_brightness=_float(env, "QUALITY_MAX_BRIGHTNESS", 215.0),
            quality_max_yaw=_float(env, "QUALITY_MAX_YAW", 35.0),
            quality_max_pitch=_float(env, "QUALITY_MAX_PITCH", 30.0),
            quality_max_roll=_float(env, "QUALITY_MAX_ROLL", 45.0),
            max_gallery_size=_int(env, "MAX_GALLERY_SIZE", 1000),
            **_observability(env),
        )

    def threshold_for(self, pack_name: str) -> float:
        if self.similarity_threshold is not None:
            return self.similarity_threshold
        return DEFAULT_SIMILARITY_THRESHOLDS.get(pack_name, FALLBACK_SIMILARITY_THRESHOLD)
