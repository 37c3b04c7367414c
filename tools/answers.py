"""Every route's answer on the repository's photos, as bytes: the proof that a change of structure changed no answer.

    python -m tools.answers record answers.jsonl     # one line per request: its name, status and body's sha256
    python -m tools.answers check answers.jsonl      # the same requests again; exit 1 naming each answer that moved

The requests: /health's model part; /detect, /extract-embedding (single, ?face=largest, ?all=true) on every photo under
tests/data/ and on each turned 90/180/270 degrees without EXIF; /compare on tests/data/lfw/pairs.tsv (and with
?far=1e-5 and ?min_quality=enrol); /verify and /search against embeddings taken from the same photos. The app runs in
process on the real buffalo_sc pack (the tests' settings), with the service's defaults.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import cv2
from fastapi.testclient import TestClient

from function.api.app import create_app
from function.config import DEFAULT_MODEL_DIR, Settings

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


def _photos() -> list[Path]:
    return sorted(p for p in DATA.rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})


def _turned(path: Path, turn: int) -> bytes:
    pixels = cv2.imread(str(path), cv2.IMREAD_COLOR)  # EXIF applied, then written without it
    assert pixels is not None, path
    codes = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    ok, buf = cv2.imencode(".png", cv2.rotate(pixels, codes[turn]))
    assert ok
    return buf.tobytes()


def _requests(client: TestClient) -> Iterator[tuple[str, int, bytes]]:
    health = client.get("/health").json()
    yield "health.models", 200, json.dumps({k: v for k, v in health.items() if k not in {"uptime_s", "version"}},
                                           sort_keys=True).encode()
    vectors: dict[str, list[float]] = {}
    for path in _photos():
        name = str(path.relative_to(DATA))
        images = [("", path.read_bytes())] + [(f"@{t}", _turned(path, t)) for t in (90, 180, 270)]
        for suffix, data in images:
            for route in ("/detect", "/extract-embedding", "/extract-embedding?face=largest",
                          "/extract-embedding?all=true"):
                r = client.post(route, files={"image": ("x", data)})
                yield f"{route} {name}{suffix}", r.status_code, r.content
                if route == "/extract-embedding?face=largest" and not suffix and r.status_code == 200:
                    vectors[name] = r.json()["embedding"]
    pairs = (DATA / "lfw" / "pairs.tsv").read_text().splitlines()
    for line in pairs[1:]:
        a, b = line.split("\t")[1:3]
        for query in ("", "?far=1e-5", "?min_quality=enrol"):
            r = client.post(f"/compare{query}", files={"image1": ("a", (DATA / a).read_bytes()),
                                                       "image2": ("b", (DATA / b).read_bytes())})
            yield f"/compare{query} {a} {b}", r.status_code, r.content
    ids = sorted(vectors)
    gallery = [{"id": i, "embedding": vectors[i]} for i in ids]
    for name in ids[:12]:
        data = (DATA / name).read_bytes()
        r = client.post("/verify?face=largest", files={"image": ("x", data)},
                        data={"embedding": json.dumps(vectors[ids[0]])})
        yield f"/verify {name}", r.status_code, r.content
        r = client.post("/search?face=largest&top_k=3", files={"image": ("x", data)},
                        data={"gallery": json.dumps(gallery)})
        yield f"/search {name}", r.status_code, r.content


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["record", "check"])
    parser.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    fields = {"model_pack": "buffalo_sc", "model_dir": DEFAULT_MODEL_DIR, "log_level": "WARNING"}
    settings = Settings(**fields)  # type: ignore[arg-type]  # pydantic fills the rest
    with TestClient(create_app(settings)) as client:
        got = [{"request": n, "status": s, "sha256": hashlib.sha256(b).hexdigest(), "bytes": len(b)}
               for n, s, b in _requests(client)]
    if args.mode == "record":
        args.file.write_text("".join(json.dumps(g) + "\n" for g in got))
        print(f"{len(got)} answers recorded in {args.file}")
        return 0
    want = {w["request"]: w for w in map(json.loads, args.file.read_text().splitlines())}
    moved = [g["request"] for g in got if want.get(g["request"]) != g]
    missing = sorted(set(want) - {g["request"] for g in got})
    for name in moved + missing:
        print(f"moved: {name}", file=sys.stderr)
    print(f"{len(got)} answers, {len(got) - len(moved)} byte-identical, {len(moved)} moved, {len(missing)} missing")
    return 1 if moved or missing else 0


if __name__ == "__main__":
    sys.exit(main())
