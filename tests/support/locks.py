"""Reading the requirement files: the hand-edited inputs (requirements*.txt, `-r` includes followed) and the
hash-locked sets `make lock` makes from them (requirements*.lock: one `name==version [; marker]` per entry, each
with its `--hash=sha256:` lines)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from function.config import REPO_ROOT

# input -> its lock, as the Makefile's `lock` target pairs them
LOCKS = {
    "requirements.txt": "requirements.lock",
    "requirements-dev.txt": "requirements-dev.lock",
    "requirements-bulk.txt": "requirements-bulk.lock",
    "requirements-gpu.txt": "requirements-gpu.lock",
    "requirements-sam.txt": "requirements-sam.lock",
    "requirements-nodeps.txt": "requirements-nodeps.lock",
    "requirements-oracle.txt": "requirements-oracle.lock",
}

_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(==\s*([^\s;#]+))?")


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Locked:
    name: str
    version: str
    marker: str
    hashes: tuple[str, ...]
    text: str  # the entry as written, continuation lines joined


def entries(path: Path) -> list[str]:
    """Requirement entries of a file with `\\` continuations joined, comments and blank lines dropped."""
    out: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if not line and not pending:
            continue
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        full = (pending + line.strip()).strip()
        pending = ""
        if full:
            out.append(full)
    return out


def top_level(name: str) -> dict[str, str]:
    """The packages an input file names (its `-r` includes followed): normalized name -> pinned version or ""."""
    pins: dict[str, str] = {}
    for entry in entries(REPO_ROOT / name):
        if entry.startswith("-r "):
            pins.update(top_level(entry.split(None, 1)[1]))
            continue
        match = _NAME.match(entry)
        assert match, f"{name}: cannot read {entry!r}"
        pins[normalize(match.group(1))] = match.group(4) or ""
    return pins


def locked(name: str) -> list[Locked]:
    out = []
    for entry in entries(REPO_ROOT / name):
        words = entry.split()
        hashes = tuple(w.removeprefix("--hash=") for w in words if w.startswith("--hash="))
        requirement = " ".join(w for w in words if not w.startswith("--hash="))
        spec, _, marker = requirement.partition(";")
        match = _NAME.match(spec.strip())
        assert match and match.group(4), f"{name}: {requirement!r} is not pinned with =="
        out.append(Locked(normalize(match.group(1)), match.group(4), marker.strip(), hashes, entry))
    return out


def versions(name: str) -> dict[str, set[str]]:
    """normalized name -> the versions a lock holds (two where Python 3.11 and 3.12 need different releases)."""
    out: dict[str, set[str]] = {}
    for entry in locked(name):
        out.setdefault(entry.name, set()).add(entry.version)
    return out
