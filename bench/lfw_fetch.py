"""make lfw: download Labeled Faces in the Wild and its view-2 pairs, check their pinned sha256, and lay them out as
FACES_DIR expects (tests/support/photos.py):

    <dest>/lfw/<Name>/<Name>_NNNN.jpg   every image of lfw.tgz (13,233 colour 250x250 JPEGs, 5,749 people)
    <dest>/lfw/pairs.tsv                fold, image1, image2, same: view 2's 10 folds x (300 same + 300 different)

Sources (UMass Amherst, the data set's home, http://vis-www.cs.umass.edu/lfw/) and where each pin comes from:
  lfw.tgz    sha256 055f7d9c...d536c0, 180,566,744 bytes: TensorFlow Datasets, tensorflow_datasets/url_checksums/lfw.txt
             (for this very URL); scikit-learn's sklearn/datasets/_lfw.py pins the same sha256 for its mirror
             https://ndownloader.figshare.com/files/5976018 of "http://vis-www.cs.umass.edu/lfw/lfw.tgz".
  pairs.txt  sha256 ea42330c...dc1592: scikit-learn, sklearn/datasets/_lfw.py (TARGETS, for its figshare mirror
             https://ndownloader.figshare.com/files/5976006 of "http://vis-www.cs.umass.edu/lfw/pairs.txt").
--archive-url / --pairs-url fetch the same files from a mirror (or a local path); the pins still apply.
LFW is UMass Amherst's research data set: read its terms on the site before use. Standard library only.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCAL_FACES_DIR = REPO_ROOT / "data" / "faces"  # where `make lfw` puts the set unless FACES_DIR names another folder
CHUNK = 1 << 20


@dataclass(frozen=True)
class Source:
    url: str  # http(s):// or file:// URL, or a local path
    sha256: str
    max_bytes: int  # a download larger than this is refused before it fills the disk


ARCHIVE = Source("http://vis-www.cs.umass.edu/lfw/lfw.tgz",
                 "055f7d9c632d7370e6fb4afc7468d40f970c34a80d4c6f50ffec63f5a8d536c0", 180_566_744)
PAIRS = Source("http://vis-www.cs.umass.edu/lfw/pairs.txt",
               "ea42330c62c92989f9d7c03237ed5d591365e89b3e649747777b70e692dc1592", 1 << 20)


class FetchError(Exception):
    """A download that fails its checksum or size, or an archive or pairs file not laid out as LFW's."""


def download(source: Source, target: Path) -> Path:
    """`source` saved as `target` once its size and sha256 check out; nothing is left behind otherwise. A `target`
    already there with the right sha256 is kept (a rerun downloads nothing)."""
    if target.is_file() and sha256_file(target) == source.sha256:
        return target
    url = source.url if "://" in source.url else Path(source.url).resolve().as_uri()
    digest, size = hashlib.sha256(), 0
    partial = target.with_name(target.name + ".part")
    try:
        with _open(url) as response, open(partial, "wb") as out:
            while chunk := response.read(CHUNK):
                size += len(chunk)
                if size > source.max_bytes:
                    raise FetchError(f"{source.url}: larger than the expected {source.max_bytes:,} bytes")
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != source.sha256:
            raise FetchError(f"{source.url}: sha256 {digest.hexdigest()}, expected {source.sha256}")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _open(url: str) -> Any:
    try:
        return urllib.request.urlopen(url, timeout=60)  # http(s) or file URLs, by design
    except urllib.error.URLError as exc:
        raise FetchError(f"{url}: {exc.reason}") from exc


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def image_path(name: str, number: int) -> str:
    """LFW's file naming, relative to the FACES_DIR root."""
    return f"lfw/{name}/{name}_{number:04d}.jpg"


def parse_pairs(text: str) -> list[tuple[int, str, str, bool]]:
    """View 2's pairs.txt: a header "<folds> <n>", then per fold n same-person lines "Name i j" and n
    different-person lines "Name1 i Name2 j" (whitespace-separated). -> (fold, image1, image2, same)."""
    lines = [line.split() for line in text.splitlines() if line.strip()]
    if not lines or len(lines[0]) != 2:
        raise FetchError("pairs.txt: the first line must be '<folds> <pairs per class>'")
    folds, n = int(lines[0][0]), int(lines[0][1])
    body = lines[1:]
    if len(body) != folds * 2 * n:
        raise FetchError(f"pairs.txt: {len(body)} pair lines, expected {folds} x 2 x {n}")
    pairs = []
    for k, fields in enumerate(body):
        fold, same = k // (2 * n) + 1, k % (2 * n) < n
        if same and len(fields) == 3:
            pairs.append((fold, image_path(fields[0], int(fields[1])), image_path(fields[0], int(fields[2])), True))
        elif not same and len(fields) == 4:
            pairs.append((fold, image_path(fields[0], int(fields[1])), image_path(fields[2], int(fields[3])), False))
        else:
            raise FetchError(f"pairs.txt line {k + 2}: {' '.join(fields)!r} is not a {'same' if same else 'different'}"
                             "-person pair")
    return pairs


def extract_images(archive: Path, dest: Path) -> int:
    """Every <top>/<Name>/<Name>_NNNN.jpg of the archive (top: lfw, lfw-deepfunneled, ...) as dest/lfw/<Name>/...;
    any other member (links, devices, other paths) is skipped. -> images written."""
    written = 0
    with tarfile.open(archive, "r:*") as tar:
        for member in tar:
            parts = PurePosixPath(member.name).parts
            if not member.isfile() or len(parts) != 3 or not parts[2].endswith(".jpg"):
                continue
            _, name, file = parts
            if not file.startswith(name + "_") or any(p in ("", ".", "..") for p in (name, file)):
                continue
            target = dest / "lfw" / name / file
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            assert source is not None  # a regular file
            with source, open(target, "wb") as out:
                shutil.copyfileobj(source, out)
            written += 1
    if not written:
        raise FetchError(f"{archive}: no <folder>/<Name>/<Name>_NNNN.jpg inside")
    return written


def write_pairs(pairs: list[tuple[int, str, str, bool]], dest: Path) -> None:
    with open(dest / "lfw" / "pairs.tsv", "w", newline="") as fh:
        out = csv.writer(fh, delimiter="\t", lineterminator="\n")
        out.writerow(["fold", "image1", "image2", "same"])
        out.writerows([fold, a, b, int(same)] for fold, a, b, same in pairs)


def fetch(dest: Path, archive: Source = ARCHIVE, pairs: Source = PAIRS, downloads: Path | None = None) -> dict:
    """Download, check, lay out. `downloads` keeps the two files for a rerun (default: a temporary folder).
    pairs.tsv is written last, so a folder that has it is complete."""
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest) as tmp:
        where = downloads or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        pairs_file = download(pairs, where / "pairs.txt")
        table = parse_pairs(pairs_file.read_text())
        images = extract_images(download(archive, where / "lfw.tgz"), dest)
    missing = sorted({p for _, a, b, _ in table for p in (a, b) if not (dest / p).is_file()})
    if missing:
        raise FetchError(f"{len(missing)} images named by pairs.txt are not in the archive, e.g. {missing[0]}")
    write_pairs(table, dest)
    return {"dest": str(dest), "images": images, "pairs": len(table), "same": sum(s for *_, s in table)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Download LFW + view-2 pairs (sha256-pinned) into FACES_DIR")
    parser.add_argument("--dest", type=Path, default=Path(os.environ.get("FACES_DIR") or LOCAL_FACES_DIR),
                        help="FACES_DIR to fill (default: $FACES_DIR, else data/faces)")
    parser.add_argument("--archive-url", default=ARCHIVE.url, help="lfw.tgz from a mirror or a local path")
    parser.add_argument("--pairs-url", default=PAIRS.url, help="pairs.txt from a mirror or a local path")
    parser.add_argument("--keep-downloads", type=Path, help="keep lfw.tgz and pairs.txt in this folder")
    args = parser.parse_args(argv)
    try:
        done = fetch(args.dest, Source(args.archive_url, ARCHIVE.sha256, ARCHIVE.max_bytes),
                     Source(args.pairs_url, PAIRS.sha256, PAIRS.max_bytes), args.keep_downloads)
    except (FetchError, OSError) as exc:
        print(f"make lfw: {exc}", file=sys.stderr)
        return 1
    print(f"LFW: {done['images']:,} images, {done['pairs']:,} view-2 pairs ({done['same']:,} same) in {done['dest']}; "
          f"use it with FACES_DIR={done['dest']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
