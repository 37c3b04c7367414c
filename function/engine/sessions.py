"""ONNX Runtime session creation: threads, spinning, providers. The only module that configures ONNX Runtime."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import onnxruntime as ort

from function.engine.config import CUDNN_CONV_ALGO_SEARCH, DEFAULT_CUDNN_SEARCH, CudnnSearch

log = logging.getLogger(__name__)

CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"


@dataclass(frozen=True)
class SessionConfig:
    threads: int = 1
    execution_provider: str = "cpu"  # cpu | cuda
    cudnn_conv_algo_search: CudnnSearch = DEFAULT_CUDNN_SEARCH  # CUDA only
    spinning: bool = False  # intra-/inter-op threads spin while waiting for work: off (docs/benchmarks.md)
    arena: bool = True  # ONNX Runtime's CPU memory arena: on (docs/benchmarks.md)
    # One CPU arena for every session of the process, grown by exactly what a run asks for (kSameAsRequested),
    # instead of one per session grown in powers of two; CPU only (docs/benchmarks.md, memory under load).
    shared_arena: bool = True
    # ONNX Runtime's memory pattern: per input shape, one block for all of a run's activations, planned from the
    # shape's first run. Off: the arena's freed chunks serve any shape (the detector sees many canvas sizes, the
    # recognizer many batch sizes), where each new shape's block needed a fresh arena region (docs/benchmarks.md).
    memory_pattern: bool = False


def cuda_options(config: SessionConfig) -> dict[str, str]:
    """The CUDA provider's options: the cuDNN algorithm search, in the provider's spelling."""
    if config.cudnn_conv_algo_search not in CUDNN_CONV_ALGO_SEARCH:
        raise ValueError(f"cudnn_conv_algo_search must be one of {', '.join(CUDNN_CONV_ALGO_SEARCH)}, "
                         f"got {config.cudnn_conv_algo_search!r}")
    return {"cudnn_conv_algo_search": config.cudnn_conv_algo_search.upper()}


@functools.cache
def _preload_cuda_libraries() -> None:
    """onnxruntime-gpu installed with its [cuda,cudnn] extras (the GPU image, docs/gpu.md) takes CUDA and cuDNN from
    the nvidia-* wheels, which onnxruntime.preload_dlls() (ONNX Runtime >= 1.21) loads; with a system CUDA it finds
    nothing to add. Once per process, CUDA path only; a failure is logged and session creation says the rest."""
    preload = getattr(ort, "preload_dlls", None)
    if preload is None:
        return
    try:
        preload()
    except Exception as exc:  # a missing wheel is not fatal here: the CUDA provider reports what it lacks
        log.warning("onnxruntime.preload_dlls() failed: %s", exc)


def providers_for(config: SessionConfig) -> list[str | tuple[str, dict[str, str]]]:
    """CPU always; CUDA first (with its options) when asked for and this onnxruntime build has it (falls back to
    CPU with a warning)."""
    if config.execution_provider == "cuda":
        options = cuda_options(config)
        if CUDA in ort.get_available_providers():
            _preload_cuda_libraries()
            return [(CUDA, options), CPU]
        log.warning("EXECUTION_PROVIDER=cuda but this onnxruntime build has no CUDA provider; using CPU")
    return [CPU]


# The shared arena's configuration: no cap (0), arena_extend_strategy 1 = kSameAsRequested, the default initial
# chunk and dead-bytes limit (-1). kNextPowerOfTwo (0) doubles each new region: up to twice what the runs need.
SHARED_ARENA_CFG = (0, 1, -1, -1)


@functools.cache
def _register_shared_arena() -> None:
    """Register the process's one CPU arena with ONNX Runtime's environment (once; sessions opt in with
    session.use_env_allocators)."""
    memory = ort.OrtMemoryInfo("Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT)
    ort.create_and_register_allocator(memory, ort.OrtArenaCfg(*SHARED_ARENA_CFG))


def session_options(config: SessionConfig) -> ort.SessionOptions:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = max(1, config.threads)
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Spinning threads burn the cores the other session (and the other request) needs; measured 1.5-1.8x faster
    # single-face requests with it off on 2 vCPUs, and 2-3.5x less CPU per close-up at ORT_THREADS=2 (docs/benchmarks.md).
    spin = "1" if config.spinning else "0"
    opts.add_session_config_entry("session.intra_op.allow_spinning", spin)
    opts.add_session_config_entry("session.inter_op.allow_spinning", spin)
    # The arena on: without it every activation buffer is malloc'd per run and, above function.startup's fixed
    # 256 KB mmap threshold, mmap'd and faulted in afresh: ~100 ms of page faults per close-up (the padded 640x640
    # pass), 2x the CPU of the whole request, on Lambda and over HTTP alike (docs/benchmarks.md). The
    # arena keeps the largest run's activations instead: +19-22 MB peak RSS with buffalo_sc, bounded because at
    # most MAX_CONCURRENT_RUNS runs are in flight (function/engine/gate.py).
    opts.enable_cpu_mem_arena = config.arena
    # Under a 4-client mixed load (portraits, close-ups, group photos with ?all=true, junk) one arena per session
    # held 365 MB of RSS against 180 MB with no arena: the detector's and the recognizer's arenas each kept their
    # own high-water mark, grown in powers of two, plus a fresh region for each new shape's memory pattern. One
    # shared arena grown as asked, with the pattern off, keeps the arena's speed at ~200 MB (docs/benchmarks.md).
    opts.enable_mem_pattern = config.memory_pattern
    if config.arena and config.shared_arena and config.execution_provider == "cpu":
        _register_shared_arena()
        opts.add_session_config_entry("session.use_env_allocators", "1")
    opts.log_severity_level = 3
    return opts


def create_session(model: bytes, config: SessionConfig) -> ort.InferenceSession:
    return ort.InferenceSession(model, sess_options=session_options(config),
                                providers=providers_for(config))
