"""ONNX Runtime threads follow the CPU time Lambda credits (memory / 1,769 MB), not the vCPUs it shows."""

from __future__ import annotations

import os

import pytest

from function.config import Settings, available_cpus

VISIBLE = len(os.sched_getaffinity(0))


@pytest.mark.parametrize("memory_mb, credited", [("128", 1), ("1769", 1), ("2048", 1), ("3008", 2), ("3538", 2),
                                                 ("5307", 3), ("10240", 6)])
def test_lambda_memory_caps_threads(memory_mb: str, credited: int) -> None:
    assert available_cpus({"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": memory_mb}) == min(VISIBLE, credited)


def test_outside_lambda_all_visible_cpus() -> None:
    assert available_cpus({}) == VISIBLE


def test_ort_threads_overrides(monkeypatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1769")
    assert Settings.from_env({"ORT_THREADS": "2"}).threads == 2
    assert Settings.from_env({}).threads == 1


def test_session_policy_arena_on_spinning_off() -> None:
    """The measured policy (docs/benchmarks.md, issue #19; measured with bench/ort_policy.py, last at commit ad2a77f):
    ONNX Runtime's arena on, spinning off, for the HTTP server and Lambda alike; both stay settable per SessionConfig."""
    from function.engine.sessions import SessionConfig, session_options

    served = session_options(SessionConfig(threads=2))
    assert served.enable_cpu_mem_arena is True
    assert served.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert served.get_session_config_entry("session.inter_op.allow_spinning") == "0"
    other = session_options(SessionConfig(threads=2, spinning=True, arena=False))
    assert other.enable_cpu_mem_arena is False
    assert other.get_session_config_entry("session.intra_op.allow_spinning") == "1"


def test_session_policy_one_shared_arena_no_memory_pattern() -> None:
    """Issue #29: on CPU both sessions use the process's one arena (grown as asked) and no per-shape memory pattern;
    a session without the arena, or on CUDA, does not opt in to the shared CPU arena."""
    from function.engine.sessions import SHARED_ARENA_CFG, SessionConfig, session_options

    served = session_options(SessionConfig(threads=2))
    assert served.enable_mem_pattern is False
    assert served.get_session_config_entry("session.use_env_allocators") == "1"
    assert SHARED_ARENA_CFG[1] == 1  # kSameAsRequested
    for config in (SessionConfig(threads=2, arena=False), SessionConfig(threads=2, shared_arena=False),
                   SessionConfig(threads=2, execution_provider="cuda")):
        with pytest.raises(RuntimeError):  # no such entry
            session_options(config).get_session_config_entry("session.use_env_allocators")
