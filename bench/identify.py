"""make identify and make bench-search: 1:N through the running service (issue #25), and /search latency.

Accuracy (default): the service runs under uvicorn on 127.0.0.1 (buffalo_sc). For each gallery size N and draw: N
people with two or more photos are enrolled with one photo each through POST /extract-embedding?face=center; then
- strangers: one photo each of `--strangers` people not enrolled, searched with POST /search (default FPIR rule):
  any match is a false positive identification (FPIR = strangers matched / strangers searched);
- mates: another photo of each enrolled person (at most `--mates`), searched the same way: rank-1 = the first match
  is that person.
Probes whose photo has no face (422 NO_FACE) are counted apart. `--held-out` draws people from the calibration's
held-out half only (bench/calibrate.py), whose pairs did not fit the thresholds. Embeddings stay in memory for the run.
`--in-process` applies the same rule without HTTP (see in_process()): every stranger of the set at each size, and the
largest gallery LFW can make. Figures: docs/search.md.

Latency (`--latency`, make bench-search): POST /search by gallery size over real HTTP, galleries of random unit
vectors (the similarity math does not care whose faces they are) as base64 float32 with 36-character ids, the JSON
form the TypeScript client sends; the probe photo is yaoming.jpg (one face). Sizes 100 and 1,000 (= MAX_GALLERY_SIZE,
the Lambda-sized maximum) and, with the limit raised on this server only, 10,000. Baselines on the same server:
/verify (one stored embedding) and /extract-embedding (the photo alone). Interleaved round by round; median and p90
of --rounds calls each; the gallery parse alone (function.api.embeddings.parse_gallery, in process) timed beside.

    FACES_DIR=../shared/faces python -m bench.identify [--sizes 100,1000] [--draws 2] [--strangers 1000] [--mates 1000]
    FACES_DIR=../shared/faces python -m bench.identify --in-process [--sizes 100,1000] [--draws 5]
    python -m bench.identify --latency [--rounds 20]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import statistics
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path

import numpy as np

from bench.calibrate import clopper_pearson, half_of
from bench.common import log, machine, med, p90, save_results
from bench.server import Client, Request, post, service_server
from function.events import multipart
from tests.support.photos import MISSING_FACES_DIR, faces_dir, wheel_photo

LATENCY_SIZES = (100, 1_000, 10_000)


def b64(vector: list[float]) -> str:
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode()


def run(client: Client, people: dict[str, list[Path]], n: int, draw: int, args: argparse.Namespace,
        enrolled_cache: dict[Path, list[float] | None]) -> dict:
    rng = np.random.default_rng(1000 * draw + n)
    eligible = sorted(p for p, photos in people.items() if len(photos) >= 2)
    chosen = [eligible[i] for i in rng.choice(len(eligible), size=n, replace=False)]
    gallery, mates = [], []
    for person in chosen:
        photos = people[person]
        first, second = rng.choice(len(photos), size=2, replace=False)
        path = photos[first]
        if path not in enrolled_cache:
            status, body = client.post("/extract-embedding?face=center", *multipart({"image": path.read_bytes()}))
            enrolled_cache[path] = body["embedding"] if status == 200 else None
        if enrolled_cache[path] is not None:
            gallery.append({"id": person, "embedding": b64(enrolled_cache[path])})  # type: ignore[arg-type]
            mates.append((person, photos[second]))
    enrolled = set(chosen)
    others = sorted(p for p in people if p not in enrolled)
    strangers = [(p, people[p][int(rng.integers(len(people[p])))])
                 for p in (others[i] for i in rng.choice(len(others), size=min(args.strangers, len(others)),
                                                         replace=False))]
    mates = mates[: args.mates]
    gallery_json = json.dumps(gallery)
    counts: dict[str, int] = defaultdict(int)
    answer: dict = {}
    for kind, probes in (("stranger", strangers), ("mate", mates)):
        for person, path in probes:
            request = ('{"image": "' + base64.b64encode(path.read_bytes()).decode() + '", "gallery": '
                       + gallery_json + "}").encode()
            status, answer_ = client.post("/search?face=center&top_k=1", request, "application/json")
            if status != 200:
                counts[f"{kind}_error_{answer_.get('code', status)}"] += 1
                continue
            answer = answer_
            counts[f"{kind}_searched"] += 1
            matches = answer["matches"]
            if kind == "stranger":
                counts["stranger_matched"] += bool(matches)
            else:
                counts["mate_rank1"] += bool(matches) and matches[0]["id"] == person
                counts["mate_wrong_first"] += bool(matches) and matches[0]["id"] != person
    fp, ns = counts["stranger_matched"], counts["stranger_searched"]
    hits, nm = counts["mate_rank1"], counts["mate_searched"]
    log(f"  N={n} draw {draw}: threshold {answer.get('threshold')} ({answer.get('threshold_rule')}), strangers "
        f"matched {fp}/{ns}, rank-1 {hits}/{nm}")
    return {"n": n, "entries": len(gallery), "draw": draw, "enrol_no_face": n - len(gallery), **counts,
            "strangers": ns, "mates": nm, "threshold": answer.get("threshold"),
            "rule": answer.get("threshold_rule"), "pair_far": answer.get("pair_far"), "target_fpir": answer.get("fpir")}


def print_rows(rows: list[dict], title: str, key: str) -> None:
    """FPIR and rank-1 per gallery size (`key`: "n" or "entries"), summed over the draws, 95% Clopper-Pearson."""
    print(f"\n{title}; {machine()}")
    print(f"{key:>8} {'draws':>5} {'threshold':>9} {'rule':<6} {'strangers matched (FPIR)':>32} {'rank-1':>18}")
    for n in sorted({r[key] for r in rows}):
        sel = [r for r in rows if r[key] == n]
        fp, ns = sum(r["stranger_matched"] for r in sel), sum(r["strangers"] for r in sel)
        hits, nm = sum(r["mate_rank1"] for r in sel), sum(r["mates"] for r in sel)
        lo, hi = clopper_pearson(fp, ns) if ns else (float("nan"), float("nan"))
        print(f"{n:>8} {len(sel):>5} {sel[0]['threshold']!s:>9} {sel[0]['rule']!s:<6} {fp:>7}/{ns:<7} "
              f"{100 * fp / max(ns, 1):5.2f}% [{100 * lo:.2f}, {100 * hi:.2f}] {hits:>6}/{nm:<6} "
              f"{100 * hits / max(nm, 1):5.2f}%")


def in_process(people: dict[str, list[Path]], sizes: list[int], draws: int, largest: bool) -> list[dict]:
    """The same rule without HTTP, for many draws and for the largest gallery LFW can make: every image embedded once
    by /extract-embedding's use case (FaceService.extract, face=center), then /search's decision
    (FaceService.gallery_decision, from the served pack's calibration) and ranking in numpy. `largest`: every photo but one of each person with two or more
    enrolled (each photo is an entry), that held-back photo as the mate, every photo of the one-photo people as a
    stranger."""
    from function.config import Settings
    from function.errors import ServiceError
    from function.models import resolve_pack_name
    from function.startup import build_service, load_engine

    settings = Settings.from_env()
    pack = resolve_pack_name(settings.model_dir, settings.model_pack)
    service = build_service(settings, load_engine(settings, pack), pack)
    vectors: dict[Path, np.ndarray] = {}
    for i, path in enumerate(p for photos in people.values() for p in photos):
        with contextlib.suppress(ServiceError):  # POST /extract-embedding?face=center's use case, without HTTP
            vectors[path] = np.asarray(service.extract(path.read_bytes(), "center").embedding, dtype=np.float32)
        if i % 1000 == 999:
            log(f"  in process: {i + 1} images embedded")
    people = {k: [p for p in v if p in vectors] for k, v in people.items()}
    people = {k: v for k, v in people.items() if v}
    rows = []

    def score(gallery: list[tuple[str, Path]], strangers: list[Path], mates: list[tuple[str, Path]], n: int,
              draw: int) -> None:
        decision = service.gallery_decision(len(gallery))
        g = np.stack([vectors[p] for _, p in gallery])
        ids = np.array([i for i, _ in gallery])
        fp = sum(bool((g @ vectors[p]).max() >= decision.threshold) for p in strangers)
        hits = 0
        for person, p in mates:
            s = g @ vectors[p]
            best = int(np.argmax(s))
            hits += bool(s[best] >= decision.threshold and ids[best] == person)
        rows.append({"n": n, "entries": len(gallery), "draw": draw, "threshold": decision.threshold,
                     "rule": decision.rule, "pair_far": decision.far, "strangers": len(strangers),
                     "stranger_matched": fp, "mates": len(mates), "mate_rank1": hits})
        log(f"  in process N={len(gallery)} draw {draw}: threshold {decision.threshold} ({decision.rule}), strangers "
            f"{fp}/{len(strangers)}, rank-1 {hits}/{len(mates)}")

    eligible = sorted(k for k, v in people.items() if len(v) >= 2)
    for n in sizes:
        for draw in range(draws):
            rng = np.random.default_rng(1000 * draw + n)
            chosen = [eligible[i] for i in rng.choice(len(eligible), size=n, replace=False)]
            picks = {k: rng.choice(len(people[k]), size=2, replace=False) for k in chosen}
            gallery = [(k, people[k][int(picks[k][0])]) for k in chosen]
            mates = [(k, people[k][int(picks[k][1])]) for k in chosen]
            enrolled = set(chosen)
            strangers = [people[k][0] for k in sorted(people) if k not in enrolled]
            score(gallery, strangers, mates, n, draw)
    if largest:
        gallery = [(k, p) for k in eligible for p in people[k][1:]]
        mates = [(k, people[k][0]) for k in eligible]
        strangers = [p for k, v in people.items() if len(v) == 1 for p in v]
        score(gallery, strangers, mates, len(gallery), 0)
    return rows


def gallery_body(photo: bytes, n: int, rng: np.random.Generator) -> bytes:
    vectors = rng.standard_normal((n, 512)).astype("<f4")
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    entries = [{"id": str(uuid.UUID(int=int(rng.integers(1 << 62)))), "embedding": base64.b64encode(v.tobytes()).decode()}
               for v in vectors]
    return json.dumps({"image": base64.b64encode(photo).decode(), "gallery": entries}).encode()


def latency(rounds: int, path: Path | None) -> int:
    """make bench-search: /search by gallery size, /verify and /extract-embedding, interleaved; parse_gallery alone."""
    from function.api.embeddings import parse_gallery

    rng = np.random.default_rng(12)
    photo = wheel_photo("yaoming.jpg").read_bytes()
    bodies = {n: gallery_body(photo, n, rng) for n in LATENCY_SIZES}
    stored = base64.b64encode(np.ones(512, "<f4").tobytes()).decode()
    requests = {f"search {n:,}": Request("/search", bodies[n], "application/json") for n in LATENCY_SIZES}
    requests["verify"] = Request("/verify", json.dumps({"image": base64.b64encode(photo).decode(),
                                                        "embedding": stored}).encode(), "application/json")
    requests["extract-embedding"] = Request("/extract-embedding", *multipart({"image": photo}))
    server = service_server("ours", {"REQUEST_LOG": "false", "MAX_GALLERY_SIZE": str(max(LATENCY_SIZES)),
                                     "MAX_UPLOAD_BYTES": str(64 * 1024 * 1024)}).start()
    times: dict[str, list[float]] = {k: [] for k in requests}
    try:
        server.wait_ready(requests["extract-embedding"])
        conn = None
        for rnd in range(rounds + 1):  # round 0: one warm-up call each, dropped
            for name, req in requests.items():
                status, seconds, conn = post(server.port, req, conn)
                assert status == 200, (name, status)
                if rnd:
                    times[name].append(seconds)
    finally:
        server.stop()
    parse: dict[int, list[float]] = {n: [] for n in LATENCY_SIZES}
    for _ in range(rounds):
        for n in LATENCY_SIZES:
            doc = json.loads(bodies[n])
            t0 = time.perf_counter()
            parse_gallery(doc["gallery"], 512, max(LATENCY_SIZES))
            parse[n].append(time.perf_counter() - t0)
    result: dict = {"machine": machine(), "rounds": rounds, "routes": {}, "parse_gallery_ms": {}}
    print(f"{'request':20s} {'body':>10s} {'median ms':>10s} {'p90 ms':>8s} {'min ms':>8s} {'stdev ms':>8s}")
    for name, xs in times.items():
        ms = [1000 * x for x in xs]
        row = {"body_bytes": len(requests[name].body), "median_ms": round(med(ms), 1), "p90_ms": round(p90(ms), 1),
               "min_ms": round(min(ms), 1), "stdev_ms": round(statistics.stdev(ms), 1) if len(ms) > 1 else 0.0}
        result["routes"][name] = row
        print(f"{name:20s} {row['body_bytes']:>10,d} {row['median_ms']:>10.1f} {row['p90_ms']:>8.1f} "
              f"{row['min_ms']:>8.1f} {row['stdev_ms']:>8.1f}")
    for n, xs in parse.items():
        result["parse_gallery_ms"][str(n)] = round(1000 * med(xs), 2)
        print(f"parse_gallery {n:>6,d} entries: median {1000 * med(xs):.2f} ms (in process)")
    print(f"{result['machine']}\nsaved {save_results(result, 'search', path)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--draws", type=int, default=2)
    parser.add_argument("--strangers", type=int, default=1000)
    parser.add_argument("--mates", type=int, default=1000)
    parser.add_argument("--held-out", action="store_true", help="people of the calibration's held-out half only")
    parser.add_argument("--max-gallery", type=int, default=0, help="MAX_GALLERY_SIZE of the server (0: its default)")
    parser.add_argument("--in-process", action="store_true", help="no HTTP: /search's rule in numpy on every image "
                        "embedded once, every stranger of the set at each size, and the largest gallery LFW allows")
    parser.add_argument("--latency", action="store_true", help="/search latency by gallery size (make bench-search)")
    parser.add_argument("--rounds", type=int, default=20, help="--latency: calls per request")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.latency:
        return latency(args.rounds, args.json)
    faces = faces_dir()
    if faces is None:
        print(f"bench.identify skipped: {MISSING_FACES_DIR}")
        return 0
    people: dict[str, list[Path]] = defaultdict(list)
    for path in faces.lfw_all_images:
        if not args.held_out or half_of(path.parent.name) == 1:
            people[path.parent.name].append(path)
    who = f"LFW {'held-out half' if args.held_out else 'all people'} ({len(people)} people)"
    if args.in_process:
        rows = in_process(people, [int(s) for s in args.sizes.split(",")], args.draws, largest=True)
        print_rows(rows, f"1:N in process (/search's rule), {who}", "entries")
        print(f"\nwrote {save_results({'machine': machine(), 'rows': rows}, 'identify', args.json, default=float)}")
        return 0
    env = {"REQUEST_LOG": "false"} | ({"MAX_GALLERY_SIZE": str(args.max_gallery)} if args.max_gallery else {})
    server = service_server("ours", env).start()
    results: dict = {"machine": machine(), "args": vars(args) | {"json": str(args.json)}, "runs": []}
    try:
        server.wait_ready(Request("/detect", *multipart({"image": faces.lfw_all_images[0].read_bytes()})))
        client = Client(server.port)
        cache: dict[Path, list[float] | None] = {}
        t0 = time.perf_counter()
        for n in (int(s) for s in args.sizes.split(",")):
            for draw in range(args.draws):
                results["runs"].append(run(client, people, n, draw, args, cache))
        results["seconds"] = time.perf_counter() - t0
    finally:
        server.stop()
    print_rows(results["runs"], f"1:N through the service, {who}, {args.draws} draws", "n")
    print(f"\nwrote {save_results(results, 'identify', args.json, default=float)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
