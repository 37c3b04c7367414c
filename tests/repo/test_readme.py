"""The user README and the reports in docs/ stay true to the code: the Configuration table is the one Settings
generates, and every relative link points at a file that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from function.config import REPO_ROOT, Settings

DOCS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def section(text: str, title: str) -> str:
    return text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_configuration_table_is_the_generated_one() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    assert Settings.env_table() in section(readme, "Configuration")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_relative_links_resolve(doc: Path) -> None:
    targets = [t for t in _LINK.findall(doc.read_text()) if "://" not in t]
    missing = [t for t in targets if not (doc.parent / t).exists()]
    assert not missing, missing


def test_error_table_rows_are_the_registered_errors() -> None:
    """Each code's row (code, status, description) as function/errors.py registers it."""
    from function.api.errors import ERROR_CODES

    table = section((REPO_ROOT / "README.md").read_text(), "Limits and error codes")
    for code, (status, description) in ERROR_CODES.items():
        assert f"| `{code}` | {status} | {description} |" in table, code
