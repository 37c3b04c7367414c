"""docs/configuration.md, generated from `Settings` (function/config.py): every environment variable with its default
and description, as the fields declare them, so a new setting cannot go undocumented.

    python -m tools.configdoc            # rewrite docs/configuration.md
    python -m tools.configdoc --check    # exit 1 when the committed file differs (tests/repo/test_readme.py checks too)

A repository chore, so it lives in tools/ and not in the service: the table's rows come from `Settings.env_table()`,
the one place that formats a field; this module only frames them as a document.
"""

from __future__ import annotations

import argparse
import sys

from function.config import REPO_ROOT, Settings

DOC = REPO_ROOT / "docs" / "configuration.md"

_HEAD = """\
# Configuration

Environment variables, read once at start-up. Generated from the fields of `Settings` (`function/config.py`) by
`python -m tools.configdoc`: edit a field's description there, not this file; `tests/repo/test_readme.py` fails when
the two differ. The README lists the settings people change most.

"""

_NOTES = """
- `SIMILARITY_THRESHOLD` empty: the served pack's default, which `GET /health` shows as `similarity_threshold`
  (what each pack's default means in false accepts: [api.md](api.md), [accuracy.md](accuracy.md)).
- `POWERTOOLS_METRICS_DISABLED=true` / `POWERTOOLS_TRACE_DISABLED=true` turn EMF metrics / tracing off even on
  Lambda. "On Lambda" means `AWS_LAMBDA_FUNCTION_NAME` is set.
- `PORT` (default `8000`) and `HOST` (default `0.0.0.0`): where `python -m function`, `make run` and the image's
  HTTP mode listen.
- A value that does not parse or is out of range stops start-up with a message naming the variable. How the
  detector settings work together: [architecture.md](architecture.md).
"""


def render() -> str:
    """The whole of docs/configuration.md."""
    return _HEAD + Settings.env_table() + "\n" + _NOTES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.configdoc", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 on a difference")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if DOC.read_text() != text:
            print(f"{DOC.relative_to(REPO_ROOT)} is out of date: run python -m tools.configdoc", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text)
    print(f"wrote {DOC.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
