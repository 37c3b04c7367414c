"""1:N through the running service (issue #25): strangers searched against galleries of enrolled LFW people.

The service runs under uvicorn on 127.0.0.1 (buffalo_sc). For each gallery size N and draw: N people with two or more
photos are enrolled with one photo each through POST /extract-embedding?face=center; then
- strangers: one photo each of `--strangers` people not enrolled, searched with POST /search (default FPIR rule):
  any match is a false positive identification (FPIR = strangers matched / strangers searched);
- mates: another photo of each enrolled person (at most `--mates`), searched the same way: rank-1 = the first match
  is that person.
Probes whose photo has no face (422 NO_FACE) are counted apart. `--old-rule` repeats every search at ?fpir=0.99, where
the threshold falls to its 1:1 floor (the 0.27 every search used before the FPIR rule), for before/after in one run.
`--held-out` draws people from the calibration's held-out half only (bench/calibrate.py), whose pairs did not fit
the thresholds. Embeddings stay in memory for the run.

    FACES_DIR=../shared/faces python -m bench.identify [--sizes 100,1000] [--draws 2] [--strangers 1000] [--mates 1000]
    FACES_DIR=../shared/faces python -m bench.identify --in-process [--sizes 100,1000] [--draws 5]

`--in-process` applies the same rule without HTTP (see in_process()): every stranger of the set at each size, and the
largest gallery LFW can make. Figures: docs/search.md.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from bench.calibrate import clopper_pearson, half_of
from bench.client import Request, service_server
from bench.procs import log, machine
from bench.save import save_results
from function.events import multipart
from tests.support.photos import MISSING_FACES_DIR, faces_dir


class Client:
    """One kept-alive connection; JSON answers."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

    def post(self, path: str, body: bytes, ctype: str) -> tuple[int, dict]:
        for attempt in (0, 1):
            try:
                self.conn.request("POST", path, body=body, headers={"Content-Type": ctype})
                resp = self.conn.getresponse()
                return resp.status, json.loads(resp.read() or b"{}")
            except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
                if attempt:
                    raise
        raise AssertionError("unreachable")


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
    out: dict = {"n": n, "draw": draw, "gallery_entries": len(gallery), "enrol_no_face": n - len(gallery)}
    rules = {"default": ""} | ({"old rule (fpir=0.99: the 1:1 floor)": "&fpir=0.99"} if args.old_rule else {})
    for rule, query in rules.items():
        counts: dict[str, int] = defaultdict(int)
        answer: dict = {}
        for kind, probes in (("stranger", strangers), ("mate", mates)):
            for person, path in probes:
                request = ('{"image": "' + base64.b64encode(path.read_bytes()).decode() + '", "gallery": '
                        + gallery_json + "}").encode()
                status, answer_ = client.post(f"/search?face=center&top_k=1{query}", request, "application/json")
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
        out[rule] = {**counts, "fpir": fp / max(ns, 1), "fpir_ci": clopper_pearson(fp, ns) if ns else None,
                     "rank1": hits / max(nm, 1), "rank1_ci": clopper_pearson(hits, nm) if nm else None,
                     "threshold": answer.get("threshold"), "threshold_rule": answer.get("threshold_rule"),
                     "pair_far": answer.get("pair_far"), "target_fpir": answer.get("fpir")}
        r = out[rule]
        log(f"  N={n} draw {draw} [{rule}]: threshold {r['threshold']} ({r['threshold_rule']}), strangers matched "
            f"{fp}/{ns} = {100 * r['fpir']:.2f}%, rank-1 {hits}/{nm} = {100 * r['rank1']:.2f}%")
    return out


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--draws", type=int, default=2)
    parser.add_argument("--strangers", type=int, default=1000)
    parser.add_argument("--mates", type=int, default=1000)
    parser.add_argument("--held-out", action="store_true", help="people of the calibration's held-out half only")
    parser.add_argument("--old-rule", action="store_true", help="repeat each search at ?fpir=0.99 (the 1:1 floor)")
    parser.add_argument("--max-gallery", type=int, default=0, help="MAX_GALLERY_SIZE of the server (0: its default)")
    parser.add_argument("--in-process", action="store_true", help="no HTTP: /search's rule in numpy on every image "
                        "embedded once, every stranger of the set at each size, and the largest gallery LFW allows")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    faces = faces_dir()
    if faces is None:
        print(f"bench.identify skipped: {MISSING_FACES_DIR}")
        return 0
    people: dict[str, list[Path]] = defaultdict(list)
    for path in faces.lfw_all_images:
        if not args.held_out or half_of(path.parent.name) == 1:
            people[path.parent.name].append(path)
    if args.in_process:
        rows = in_process(people, [int(s) for s in args.sizes.split(",")], args.draws, largest=True)
        print(f"\n1:N in process (/search's rule), LFW {'held-out half' if args.held_out else 'all people'}; "
              f"{machine()}")
        print(f"{'entries':>8} {'draws':>5} {'threshold':>9} {'rule':<6} {'strangers matched (FPIR)':>32} {'rank-1':>18}")
        for n in sorted({r["entries"] for r in rows}):
            sel = [r for r in rows if r["entries"] == n]
            fp, ns = sum(r["stranger_matched"] for r in sel), sum(r["strangers"] for r in sel)
            hits, nm = sum(r["mate_rank1"] for r in sel), sum(r["mates"] for r in sel)
            lo, hi = clopper_pearson(fp, ns)
            print(f"{n:>8} {len(sel):>5} {sel[0]['threshold']:>9} {sel[0]['rule']:<6} {fp:>7}/{ns:<7} "
                  f"{100 * fp / ns:5.2f}% [{100 * lo:.2f}, {100 * hi:.2f}] {hits:>6}/{nm:<6} {100 * hits / nm:5.2f}%")
        print(f"\nwrote {save_results({'machine': machine(), 'rows': rows}, 'identify', args.json, default=float)}")
        return 0
    env = {"REQUEST_LOG": "false"} | ({"MAX_GALLERY_SIZE": str(args.max_gallery)} if args.max_gallery else {})
    server = service_server("ours", env)
    server.start()
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
    print(f"\n1:N through the service, LFW {'held-out half' if args.held_out else 'all people'} ({len(people)} people),"
          f" {args.draws} draws; {results['machine']}")
    print(f"{'N':>6} {'rule':<38} {'threshold':>9} {'strangers matched (FPIR)':>28} {'rank-1':>20}")
    for rule in ("default", "old rule (fpir=0.99: the 1:1 floor)"):
        for n in sorted({r["n"] for r in results["runs"]}):
            rows = [r[rule] for r in results["runs"] if r["n"] == n and rule in r]
            if not rows:
                continue
            fp, ns = sum(r["stranger_matched"] for r in rows), sum(r["stranger_searched"] for r in rows)
            hits, nm = sum(r["mate_rank1"] for r in rows), sum(r["mate_searched"] for r in rows)
            lo, hi = clopper_pearson(fp, ns)
            print(f"{n:>6} {rule:<38} {rows[0]['threshold']:>9} {fp:>6}/{ns:<6} {100 * fp / ns:5.2f}% "
                  f"[{100 * lo:.2f}, {100 * hi:.2f}] {hits:>6}/{nm:<6} {100 * hits / nm:5.2f}%")
    print(f"\nwrote {save_results(results, 'identify', args.json, default=float)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
