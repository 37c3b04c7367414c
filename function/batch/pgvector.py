"""python -m function.batch.pgvector LINES.jsonl [--id key|parent] [-o rows.csv]: batch lines -> CSV rows for
PostgreSQL + pgvector (docs/pgvector.md's `faces` table), one row per face of every photo that has faces.

pgvector reads a vector as text, '[0.1,0.2,...]', not as base64: each float32 is written as the shortest decimal
that reads back to the same float32, so the stored vector is the embedding bit for bit. Load the rows with

    psql "$DATABASE_URL" -c "\\copy faces (person_id, embedding) FROM 'rows.csv' WITH (FORMAT csv, HEADER)"

--id key (default) makes the photo's key the person_id; --id parent its folder (photos/alice/1.jpg -> alice), for
a folder per person. Error lines are skipped and counted on stderr. Standard library and numpy only.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

import numpy as np

from .lines import PhotoLine, decode_embedding


def pgvector_text(embedding: str) -> str:
    """base64 of little-endian float32 -> '[x,y,...]' (numpy's shortest round-trip repr of each float32)."""
    return "[" + ",".join(np.format_float_positional(x, unique=True, trim="-") for x in decode_embedding(embedding)) + "]"


def person_id(line: PhotoLine, mode: str) -> str:
    if mode == "parent":
        parent = line.key.rsplit("/", 2)
        return parent[-2] if len(parent) >= 2 else ""
    return line.key


def rows(lines: Iterable[str], mode: str = "key") -> Iterator[tuple[str, str]]:
    for text in lines:
        if text.strip():
            line = PhotoLine.model_validate_json(text)
            for face in line.faces or ():
                yield person_id(line, mode), pgvector_text(face.embedding)


def write_csv(lines: Iterable[str], out: TextIO, mode: str = "key") -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["person_id", "embedding"])
    n = 0
    for row in rows(lines, mode):
        writer.writerow(row)
        n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m function.batch.pgvector", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("lines", type=Path, help="a JSON-lines file of python -m function.batch or the batch function")
    p.add_argument("--id", choices=["key", "parent"], default="key", dest="mode", help="what person_id holds")
    p.add_argument("-o", "--output", type=Path, help="the CSV file (default: stdout)")
    args = p.parse_args(argv)
    with open(args.lines, encoding="utf-8") as src:
        if args.output:
            with open(args.output, "w", encoding="utf-8", newline="") as out:
                n = write_csv(src, out, args.mode)
        else:
            n = write_csv(src, sys.stdout, args.mode)
    print(f"{n} faces written", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
