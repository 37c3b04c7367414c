"""`python -m function.batch` after `make run` (issue #26): what `make run` installs gives the CLI its progress bar
(tqdm, requirements-bulk.txt), and the Lambda image's requirements stay without it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from function.config import REPO_ROOT
from tests.support.photos import DATA


def test_make_run_installs_the_progress_bar(tmp_path: Path) -> None:
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    venv = tmp_path / "fresh-venv"  # a checkout that never ran make: what would `make run` do?
    commands = subprocess.run(["make", "-n", "run", f"VENV={venv}"], cwd=REPO_ROOT, capture_output=True, text=True,
                              check=True).stdout
    assert "-r requirements-bulk.lock" in commands, commands  # the hash-locked set made from requirements-bulk.txt
    assert "tqdm" in (REPO_ROOT / "requirements-bulk.txt").read_text()
    assert "\ntqdm==" in (REPO_ROOT / "requirements-bulk.lock").read_text()


def test_the_lambda_image_has_no_tqdm() -> None:
    requirements = (REPO_ROOT / "requirements.txt").read_text()
    assert "tqdm" not in requirements
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    assert "requirements-bulk" not in dockerfile and "tqdm" not in dockerfile


def test_the_cli_draws_a_progress_bar(tmp_path: Path) -> None:
    pytest.importorskip("tqdm", reason="tqdm (requirements-bulk.txt)")
    photos = tmp_path / "photos"
    photos.mkdir()
    for p in sorted(DATA.root.glob("lfw/*/*.jpg"))[:3]:
        shutil.copy(p, photos / p.name)
    out = tmp_path / "out.jsonl"
    env = {**os.environ, "MODEL_PACK": "buffalo_sc"}
    run = subprocess.run([sys.executable, "-m", "function.batch", str(photos), "--out", str(out)], cwd=REPO_ROOT,
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "embedding: 100%" in run.stderr and "3/3" in run.stderr and "photo/s" in run.stderr, run.stderr
    assert "faces=3" in run.stderr and "errors=0" in run.stderr
    assert len(out.read_text().splitlines()) == 3
