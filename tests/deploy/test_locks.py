"""The hash-locked dependency sets (issue #30): every requirement file has a lock, every lock entry is one version
with its sha256 hashes, the locks agree with the hand-edited pins and with each other, and everything that installs
(the Makefile, the Docker build) reads a lock with --require-hashes. One test asks PyPI for a real file: the lock's
hash lets it in, the same entry with one changed hex digit is refused."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from function.config import REPO_ROOT
from tests.support.dockerfile import context_includes, copy_sources, instructions
from tests.support.locks import LOCKS, locked, top_level, versions

SHA256 = re.compile(r"^sha256:[0-9a-f]{64}$")


def test_every_requirement_file_has_a_lock() -> None:
    inputs = {p.name for p in REPO_ROOT.glob("requirements*.txt")}
    assert inputs == set(LOCKS), "a new requirements*.txt needs a line in the Makefile's lock target and in LOCKS"
    assert {p.name for p in REPO_ROOT.glob("requirements*.lock")} == set(LOCKS.values())


@pytest.mark.parametrize("lock", sorted(LOCKS.values()))
def test_every_entry_is_pinned_with_hashes(lock: str) -> None:
    entries = locked(lock)
    assert entries
    for entry in entries:
        assert entry.hashes and all(SHA256.match(h) for h in entry.hashes), entry.text
    # one version per package, except where a marker splits them (Python 3.11 vs 3.12)
    for name, found in versions(lock).items():
        if len(found) > 1:
            markers = [e.marker for e in entries if e.name == name]
            assert all("python" in m for m in markers), (lock, name, markers)


@pytest.mark.parametrize(("source", "lock"), sorted(LOCKS.items()))
def test_lock_holds_the_pins_of_its_input(source: str, lock: str) -> None:
    """Editing a pin in requirements*.txt without `make lock` fails here."""
    held = versions(lock)
    for name, pin in top_level(source).items():
        if source == "requirements-gpu.txt" and name == "onnxruntime":
            continue  # the GPU set swaps it for onnxruntime-gpu
        assert name in held, f"{lock} lacks {name} (run `make lock`)"
        if pin:
            assert held[name] == {pin}, f"{lock} has {name} {held[name]}, {source} pins {pin} (run `make lock`)"


def test_gpu_lock_is_the_runtime_lock_with_onnxruntime_gpu() -> None:
    runtime, gpu = versions("requirements.lock"), versions("requirements-gpu.lock")
    assert "onnxruntime" not in gpu and "onnxruntime-gpu" in gpu
    assert {n: v for n, v in gpu.items() if n in runtime} == {n: v for n, v in runtime.items() if n != "onnxruntime"}
    assert set(top_level("requirements-gpu.txt")) <= set(gpu) | {"onnxruntime"}


@pytest.mark.parametrize("lock", ["requirements-dev.lock", "requirements-bulk.lock"])
def test_one_version_of_each_runtime_package_everywhere(lock: str) -> None:
    runtime, other = versions("requirements.lock"), versions(lock)
    assert set(runtime) <= set(other)
    assert {n: other[n] for n in runtime} == runtime


def test_nodeps_locks_hold_only_their_own_lines() -> None:
    for source in ("requirements-nodeps.txt", "requirements-oracle.txt"):
        assert set(versions(LOCKS[source])) == set(top_level(source))


# -- who installs what ------------------------------------------------------------------------------------------

def test_dockerfile_installs_the_lock_with_hashes() -> None:
    runs = [rest for k, rest in instructions() if k == "RUN" and "pip install" in rest]
    assert len(runs) == 1
    (run,) = runs
    for flag in ("--require-hashes", "--no-deps", "--only-binary=:all:", "pip check"):
        assert flag in run, flag
    assert "requirements.lock" in run and "requirements-gpu.lock" in run and ".txt" not in run
    for lock in ("requirements.lock", "requirements-gpu.lock"):
        assert lock in copy_sources() and context_includes(lock), lock
    assert not context_includes("requirements.txt")  # what is built is the lock, not the loose pins


def test_makefile_installs_only_locks_with_hashes() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text().replace("\\\n", " ")
    variables = dict(re.findall(r"^(\w+)\s*:?=\s*(.*)$", makefile, re.M))
    installs = []
    for line in makefile.splitlines():
        if not line.startswith("\t"):
            continue
        expanded = re.sub(r"\$\((\w+)\)", lambda m: variables.get(m.group(1), m.group(0)), line)
        if "pip install" in expanded and " -r " in expanded:
            installs.append(expanded)
    assert len(installs) >= 6, installs
    for command in installs:
        files = re.findall(r"-r\s+(\S+)", command)
        assert files and all(f.endswith(".lock") for f in files), command
        assert "--require-hashes" in command, command
        assert "--no-deps" in command, command  # a lock is the whole set


def test_audit_reads_the_locks() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    (audit,) = re.findall(r"^audit:.*\n\t(.*)$", makefile, re.M)
    assert "pip-audit" in audit and "--require-hashes" in audit and "--disable-pip" in audit
    assert re.findall(r"-r\s+(\S+)", audit) == ["requirements.lock", "requirements-gpu.lock"]


# -- the hashes are real, and a changed one is refused ----------------------------------------------------------

def download(entry_text: str, dest: Path) -> subprocess.CompletedProcess[str]:
    dest.mkdir(parents=True)
    requirements = dest / "requirements.txt"
    requirements.write_text(entry_text + "\n")
    return subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--require-hashes", "--no-cache-dir",
                           "--only-binary=:all:", "-d", str(dest / "files"), "-r", str(requirements)],
                          capture_output=True, text=True, timeout=300)


def test_a_changed_hash_is_refused(tmp_path: Path) -> None:
    """pip as the image runs it: the lock's entry for six (a 11 kB wheel) downloads; with one hex digit of every
    hash changed, pip refuses the same file."""
    (six,) = [e for e in locked("requirements.lock") if e.name == "six"]
    ok = download(six.text, tmp_path / "ok")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    altered = six.text
    for digest in six.hashes:
        altered = altered.replace(digest, digest[:-1] + ("0" if digest[-1] != "0" else "1"))
    refused = download(altered, tmp_path / "altered")
    assert refused.returncode != 0
    assert "DO NOT MATCH THE HASHES" in refused.stderr, refused.stderr
    assert not list((tmp_path / "altered" / "files").glob("six-*"))
