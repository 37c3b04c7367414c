"""python -m function.batch SOURCE --out OUT: a folder or an s3:// prefix of photos -> OUT, one JSON line per photo.

    python -m function.batch photos/ --out photos.jsonl
    python -m function.batch s3://bucket/uploads/ --out uploads.jsonl --face largest
    python -m function.batch photos/ --out faces.jsonl --all

Resumable: OUT is appended to, line by line; a rerun skips every photo OUT already holds (an interrupted last line
is cut off first, and photos whose line is a transient error, S3_UNAVAILABLE or DEADLINE_EXCEEDED, are tried
again); a second run on the same OUT while one is writing it stops at once (a lock on OUT).
The progress bar (photos, faces, errors, photos/s) is tqdm's when tqdm is installed (requirements-bulk.txt, which
`make run` and `make bulk` install; it is not in the Lambda image), else a line on stderr every 100 photos.
Settings (model pack, limits, thresholds) are the environment's, as for the API (docs/configuration.md). Exit
status 0 when every photo has its line, errors included.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO, get_args

from function.config import Settings
from function.schemas import FaceChoice, QualityMode

from .core import Options, load_job
from .lines import PhotoLine
from .sources import LocalReader, PhotoRef, S3Reader, parse_s3_prefix


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m function.batch", description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", help="a folder (every file under it) or s3://bucket/prefix")
    p.add_argument("--out", required=True, type=Path, help="the JSON-lines file written (appended to when it exists)")
    p.add_argument("--face", choices=get_args(FaceChoice), default=None,
                   help="which face of a photo, as the API's ?face= (default BATCH_FACE, single)")
    p.add_argument("--all", action="store_true", default=None, help="every face of each photo, as ?all=true")
    p.add_argument("--min-quality", choices=get_args(QualityMode), default="none",
                   help="enrol: a face that is not usable is an error line (FACE_QUALITY), as ?min_quality=enrol")
    p.add_argument("--no-progress", action="store_true", help="no progress output")
    return p.parse_args(argv)


def done_keys(fh: BinaryIO) -> set[tuple[str | None, str]]:
    """(bucket, key) of the photos OUT (open as a+b) already holds a final line for; cuts OUT down, in place, to those
    lines (an interrupted last line and transient error lines go)."""
    fh.seek(0)
    raw = fh.read()
    complete = raw[: raw.rfind(b"\n") + 1]
    keep, done = [], set()
    for text in complete.splitlines(keepends=True):
        if not text.strip():
            continue
        line = PhotoLine.model_validate_json(text)
        if line.transient:
            continue
        keep.append(text)
        done.add((line.bucket, line.key))
    kept = b"".join(keep)
    if kept != raw:
        fh.seek(0)
        fh.truncate()
        fh.write(kept)
        fh.flush()
    return done


def lock(fh: BinaryIO, out: Path) -> None:
    """One run per OUT at a time (two would both append the same photos)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        return
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise SystemExit(f"{out}: another python -m function.batch is writing it") from None


class Progress:
    def __init__(self, total: int, skipped: int, enabled: bool) -> None:
        self.photos = self.faces = self.errors = 0
        self.total, self.enabled, self.t0 = total, enabled, time.monotonic()
        self.bar: Any = None
        if enabled:
            try:
                from tqdm import tqdm
            except ImportError:
                print(f"{total} photos to do ({skipped} already in the output); pip install tqdm for a progress bar",
                      file=sys.stderr)
            else:
                self.bar = tqdm(total=total, unit="photo", dynamic_ncols=True, file=sys.stderr,
                                desc=f"embedding ({skipped} done before)" if skipped else "embedding")

    def update(self, line: PhotoLine) -> None:
        self.photos += 1
        self.faces += len(line.faces or ())
        self.errors += 0 if line.ok else 1
        if self.bar is not None:
            self.bar.set_postfix(faces=self.faces, errors=self.errors, refresh=False)
            self.bar.update(1)
        elif self.enabled and (self.photos % 100 == 0 or self.photos == self.total):
            rate = self.photos / max(1e-9, time.monotonic() - self.t0)
            print(f"{self.photos}/{self.total} photos, {self.faces} faces, {self.errors} errors, {rate:.2f} photos/s",
                  file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = Settings.from_env()
    settings = replace(settings, batch_face=args.face or settings.batch_face,
                       batch_all_faces=settings.batch_all_faces if args.all is None else args.all)
    if args.source.startswith("s3://"):
        bucket, prefix = parse_s3_prefix(args.source)
        s3 = S3Reader(settings.max_s3_bytes, client_kwargs=settings.s3_client_kwargs())
        reader: LocalReader | S3Reader = s3
        listing: Iterator[PhotoRef] = s3.list(bucket, prefix)
    else:
        root = Path(args.source)
        if not root.is_dir():
            print(f"{args.source}: not a folder nor an s3:// prefix", file=sys.stderr)
            return 2
        local = LocalReader(root, settings.max_s3_bytes)
        reader, listing = local, local.list()
    with open(args.out, "a+b") as fh:
        lock(fh, args.out)
        done = done_keys(fh)
        refs = [r for r in listing if r.ident not in done]
        options = Options(settings.batch_face, settings.batch_all_faces, args.min_quality)
        job = load_job(settings, options)
        progress = Progress(len(refs), len(done), not args.no_progress)
        try:
            for item in job.lines(refs, reader):
                if isinstance(item, PhotoLine):
                    fh.write(item.json_line().encode())
                    fh.flush()
                    progress.update(item)
        except KeyboardInterrupt:
            progress.close()
            print(f"interrupted after {progress.photos} photos; run the same command again to resume", file=sys.stderr)
            return 130
    progress.close()
    print(json.dumps({"out": str(args.out), "photos": progress.photos, "faces": progress.faces,
                      "errors": progress.errors, "skipped": len(done),
                      "seconds": round(time.monotonic() - progress.t0, 2)}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
