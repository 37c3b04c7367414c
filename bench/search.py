"""POST /search latency by gallery size, over real HTTP against the service under uvicorn on 127.0.0.1.

Galleries of random unit vectors (the similarity math does not care whose faces they are) as base64 float32 with
36-character ids, the JSON form the TypeScript client sends; the probe photo is yaoming.jpg (one face). Sizes 100
and 1,000 (= MAX_GALLERY_SIZE, the Lambda-sized maximum, docs/search.md) and, with the limit raised on this server
only, 10,000 to show how the cost grows. Baselines on the same server: /verify (one stored embedding) and
/extract-embedding (the photo alone). Sizes are interleaved round by round; median and p90 of --rounds calls each.
The gallery parse alone (function.api.embeddings.parse_gallery, in process) is timed too, to show where the time goes.

    python -m bench.search [--rounds 20] [--json PATH]
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import sys
import time
import uuid
from pathlib import Path

import numpy as np

from bench.client import Request, Server, post
from bench.procs import machine
from bench.save import save_results
from bench.stats import med, p90
from function.api.embeddings import parse_gallery
from function.events import multipart
from tests.support.photos import wheel_photo

SIZES = (100, 1_000, 10_000)


def gallery_body(photo: bytes, n: int, rng: np.random.Generator) -> bytes:
    vectors = rng.standard_normal((n, 512)).astype("<f4")
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    entries = [{"id": str(uuid.UUID(int=int(rng.integers(1 << 62)))), "embedding": base64.b64encode(v.tobytes()).decode()}
               for v in vectors]
    return json.dumps({"image": base64.b64encode(photo).decode(), "gallery": entries}).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    rng = np.random.default_rng(12)
    photo = wheel_photo("yaoming.jpg").read_bytes()
    bodies = {n: gallery_body(photo, n, rng) for n in SIZES}
    stored = base64.b64encode(np.ones(512, "<f4").tobytes()).decode()
    requests = {f"search {n:,}": Request("/search", bodies[n], "application/json") for n in SIZES}
    requests["verify"] = Request("/verify", json.dumps({"image": base64.b64encode(photo).decode(),
                                                        "embedding": stored}).encode(), "application/json")
    requests["extract-embedding"] = Request("/extract-embedding", *multipart({"image": photo}))

    server = Server("ours", [sys.executable, "-m", "function"],
                    {"MODEL_PACK": "buffalo_sc", "LOG_LEVEL": "WARNING", "REQUEST_LOG": "false",
                     "MAX_GALLERY_SIZE": str(max(SIZES)), "MAX_UPLOAD_BYTES": str(64 * 1024 * 1024)})
    server.start()
    times: dict[str, list[float]] = {k: [] for k in requests}
    try:
        server.wait_ready(requests["extract-embedding"])
        conn = None
        for name, req in requests.items():  # one warm-up call each
            status, _, conn = post(server.port, req, conn)
            assert status == 200, (name, status)
        for _ in range(args.rounds):
            for name, req in requests.items():
                status, seconds, conn = post(server.port, req, conn)
                assert status == 200, (name, status)
                times[name].append(seconds)
    finally:
        server.stop()

    parse: dict[int, list[float]] = {n: [] for n in SIZES}
    for _ in range(args.rounds):
        for n in SIZES:
            doc = json.loads(bodies[n])
            t0 = time.perf_counter()
            parse_gallery(doc["gallery"], 512, max(SIZES))
            parse[n].append(time.perf_counter() - t0)

    result = {"machine": machine(), "rounds": args.rounds, "routes": {}, "parse_gallery_ms": {}}
    print(f"{'request':20s} {'body':>10s} {'median ms':>10s} {'p90 ms':>8s} {'min ms':>8s} {'stdev ms':>8s}")
    for name, xs in times.items():
        ms = [1000 * x for x in xs]
        row = {"body_bytes": len(requests[name].body), "median_ms": round(med(ms), 1), "p90_ms": round(p90(ms), 1),
               "min_ms": round(min(ms), 1), "stdev_ms": round(statistics.stdev(ms), 1)}
        result["routes"][name] = row
        print(f"{name:20s} {row['body_bytes']:>10,d} {row['median_ms']:>10.1f} {row['p90_ms']:>8.1f} "
              f"{row['min_ms']:>8.1f} {row['stdev_ms']:>8.1f}")
    for n, xs in parse.items():
        result["parse_gallery_ms"][str(n)] = round(1000 * med(xs), 2)
        print(f"parse_gallery {n:>6,d} entries: median {1000 * med(xs):.2f} ms (in process)")
    print(result["machine"])
    print(f"saved {save_results(result, 'search', args.json)}")


if __name__ == "__main__":
    main()
