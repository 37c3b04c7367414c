"""Where the bench scripts write their JSON: bench/results/<kind>-<timestamp>.json (git-ignored), or --json PATH."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def save_results(results: Any, kind: str, path: Path | None = None, default: Callable[[Any], Any] = str) -> Path:
    out = path or RESULTS / f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=default) + "\n")
    return out
