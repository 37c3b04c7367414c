"""The user README and docs/ stay true to the code: docs/configuration.md is the one Settings generates (tools/configdoc.py),
the README's settings are rows of it, and every relative link points at a file that exists. The README's example
answers: test_readme_examples.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from function.config import REPO_ROOT, Settings
from tools import configdoc

DOCS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def section(text: str, title: str) -> str:
    return text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_configuration_doc_is_the_generated_one() -> None:
    """A setting added, removed or redescribed in Settings without `python -m tools.configdoc` fails here."""
    assert configdoc.DOC.read_text() == configdoc.render(), "run python -m tools.configdoc"


def test_readme_settings_are_rows_of_the_generated_table() -> None:
    rows = set(Settings.env_table().splitlines())
    shown = [line for line in section((REPO_ROOT / "README.md").read_text(), "Settings").splitlines()
             if line.startswith("| `")]
    assert len(shown) >= 10, shown
    assert not [row for row in shown if row not in rows]


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
