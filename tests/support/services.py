"""Processes the deployment tests start: the image's entry script (function/entry.py) as a subprocess, in either
mode, on the embedded buffalo_sc pack; and the in-process Lambda handler module."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import httpx

from function.config import REPO_ROOT

PACK = "buffalo_sc"


def entry_env(model_dir: Path, home: Path, **extra: str) -> dict[str, str]:
    """The environment of the image's entry script: the test pack, no Lambda unless asked, no bytecode writes."""
    # Not inherited: Lambda variables, pytest's, and ORT_DISABLE_TELEMETRY (this process has it from importing
    # `function`; the entry script must set it itself).
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_LAMBDA_", "PYTEST_")) and k != "ORT_DISABLE_TELEMETRY"}
    env.update(MODEL_PACK=PACK, MODEL_DIR=str(model_dir), PYTHONDONTWRITEBYTECODE="1", HOME=str(home),
               TMPDIR=str(home.parent), LOG_LEVEL="INFO")
    env.update(extra)
    return env


def start_entry(env: dict[str, str], *args: str, log: Path) -> subprocess.Popen:
    """`python -m function.entry ARGS` as the image's ENTRYPOINT runs it, output to `log`."""
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", "function.entry", *args], cwd=REPO_ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 120.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"entry script exited {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            return httpx.get(url, timeout=2.0)
        except httpx.TransportError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout}s:\n{log.read_text()[-3000:]}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def import_lambda_handler(model_dir: Path) -> ModuleType:
    """function.lambda_handler imported as Lambda's init phase does (it loads the pack named by MODEL_PACK)."""
    saved = {k: os.environ.get(k) for k in ("MODEL_PACK", "MODEL_DIR")}
    os.environ.update(MODEL_PACK=PACK, MODEL_DIR=str(model_dir))
    try:
        return importlib.import_module("function.lambda_handler")
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def repo_snapshot() -> set[str]:
    """Every file under the repository outside .git, .venv and caches: what a process may not add."""
    skip = {".git", ".venv", "__pycache__", ".pytest_cache"}
    found: set[str] = set()
    for root, dirs, files in os.walk(REPO_ROOT):
        dirs[:] = [d for d in dirs if d not in skip]
        found.update(os.path.relpath(os.path.join(root, f), REPO_ROOT) for f in files)
    return found
