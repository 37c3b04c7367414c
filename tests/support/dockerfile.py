"""Reading the Dockerfile and .dockerignore the way the deployment tests need: instructions, COPY sources, the
exec-form ENTRYPOINT/CMD, and the bake command the build runs."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
from pathlib import Path

from function.config import REPO_ROOT

DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"


def instructions(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = (pending + stripped).strip()
        pending = ""
        keyword, _, rest = full.partition(" ")
        out.append((keyword.upper(), rest.strip()))
    return out


def copy_sources() -> list[str]:
    """Sources of every COPY from the build context (COPY --from=stage copies between stages)."""
    sources = []
    for keyword, rest in instructions():
        if keyword != "COPY":
            continue
        args = shlex.split(rest)
        if any(a.startswith("--from") for a in args):
            continue
        args = [a for a in args if not a.startswith("--")]
        sources.extend(args[:-1])
    return sources


def exec_form(keyword: str) -> list[str]:
    """The last ENTRYPOINT or CMD, which must be in exec (JSON) form."""
    values = [rest for k, rest in instructions() if k == keyword]
    return json.loads(values[-1])


def bake_commands() -> list[list[str]]:
    """Each `python3 -m function.models ...` the build runs, as argument lists after the module name."""
    found = []
    for keyword, rest in instructions():
        if keyword != "RUN":
            continue
        for command in re.split(r"\s&&\s", rest):
            words = shlex.split(command)
            if "function.models" in words:
                found.append(words[words.index("function.models") + 1:])
    return found


def context_includes(relpath: str) -> bool:
    """Whether .dockerignore lets `relpath` (a file or folder) into the build context (last matching rule wins)."""
    included = True
    parts = Path(relpath.rstrip("/")).parts
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    for raw in DOCKERIGNORE.read_text().splitlines():
        rule = raw.strip()
        if not rule or rule.startswith("#"):
            continue
        negate = rule.startswith("!")
        pattern = rule[1:].rstrip("/") if negate else rule.rstrip("/")
        pattern = pattern.removeprefix("**/")
        if any(fnmatch.fnmatch(p, pattern) for p in prefixes):
            included = negate
    return included
