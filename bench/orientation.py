"""make orientation: photos turned 0/90/180/270 degrees without EXIF, with ORIENTATION_SEARCH on and off (issue #16).

One process, one pair of engines sharing the same ONNX Runtime sessions: `on` (the settings as served) and `off`
(the same with orientation_search=False, which answers as main d2cc0cf did, but marks the faces it cannot settle).
Every photo is decoded by the service's path, then turned in memory (cv2.rotate; a photo turned `t` degrees
counter-clockwise is read upright by turning it `t` clockwise, which is what `orientation` then says).

1. Faces: the repository's photos (tests/data: LFW crops and group photos) and, when FACES_DIR has LFW, the images
   of the first --pairs pairs of every fold. For each turn: faces found (one-face photos: the /extract-embedding
   path, detect(purpose="one") then the centre face), and of the faces found upright, the share found again whose
   embedding matches the upright one at the pack's threshold; the share answered with a wrong orientation.
2. LFW pairs with the second photo of each pair turned: 10-fold accuracy per turn.
3. Crowds and group photos (issue #31): the group photos (tests/data/group, FACES_DIR's group/, the wheel's
   players.jpg and gdp.jpg) and synthetic crowds (tests/support/crowds.py: LFW crops from FACES_DIR, else
   tests/data, tiled at 60-120 px over 1280-1920 px canvases, seeded; some with one crop turned against the rest;
   and dlib_2008_002470 with an LFW crop upside down beside it, which the read finds),
   every turn through detect(purpose="all"): of the faces found upright, how many are found again (box overlap in
   the upright frame); faces answered with a wrong orientation, and how many of those the quality judgement
   (the service's thresholds) calls usable.
4. Cost on upright photos: server CPU time per call (process CPU time, as `make bench` counts it) and wall time of
   /detect, /extract-embedding and /compare through FaceService, on and off interleaved, --rounds rounds; and the
   no-face photos (tests/data/noface, FACES_DIR's noface/) on /detect: worst ratio on/off.

    python -m bench.orientation [--pairs N] [--rounds N] [--cost-only | --crowds-only] [--json PATH]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import kfold_accuracy, log, med, p90, save_results
from bench.engines import variant
from bench.report import report_orientation
from function.config import Settings
from function.engine import FaceEngine, choose_face
from function.engine.orientation import TURNS, points_back, turn_image
from function.engine.quality import QualityThresholds, assess_aligned
from function.imaging import decode_image
from function.models import resolve_pack_name
from function.service import FaceService
from function.startup import build_service, load_engine
from tests.support import encode, iou, read
from tests.support.crowds import CROWD_SPECS, Crowd, beside_upside_down, make_crowd, tile_of
from tests.support.photos import DATA, FaceSet, faces_dir, wheel_photo


def as_sent(upright: np.ndarray, turn: int) -> np.ndarray:
    """The photo a caller sends when reading it upright needs `turn` degrees clockwise."""
    return np.ascontiguousarray(turn_image(upright, (360 - turn) % 360))


def engines(settings: Settings) -> tuple[dict[str, FaceEngine], str, float]:
    """`on`: the served engine; `off`: the same sessions with orientation_search=False."""
    pack = resolve_pack_name(settings.model_dir, settings.model_pack)
    on = load_engine(settings, pack)
    return {"off": variant(on, orientation_search=False), "on": on}, pack, settings.threshold_for(pack)


Read = tuple["np.ndarray | None", int, bool]  # embedding of the chosen face, its orientation, settled


def read_one(engine: FaceEngine, pixels: np.ndarray) -> Read:
    faces = engine.detect(pixels, purpose="one")
    if not faces:
        return None, 0, False
    face = faces[0] if len(faces) == 1 else choose_face(faces, "center", pixels.shape)
    return engine.embed(pixels, [face])[0], face.orientation, face.orientation_settled


def one_face_table(engine: FaceEngine, images: list[Path], threshold: float, label: str) -> tuple[dict, dict]:
    """Per turn: found, matching the upright embedding, wrong orientation, settled-but-wrong; and every read."""
    reads: dict[tuple[Path, int], Read] = {}
    t0 = time.perf_counter()
    for i, path in enumerate(images, 1):
        pixels = decode_image(path.read_bytes()).pixels
        for turn in TURNS:
            reads[path, turn] = read_one(engine, as_sent(pixels, turn))
        if i % 100 == 0:
            log(f"  {label}: {i}/{len(images)} images, {time.perf_counter() - t0:.0f}s")
    base = [p for p in images if reads[p, 0][0] is not None]
    table: dict[str, Any] = {"images": len(images), "found_upright": len(base)}
    for turn in TURNS[1:]:
        found = matched = wrong_turn = confident_wrong = unsettled = 0
        for p in base:
            vec, orientation, settled = reads[p, turn]
            if vec is None:
                continue
            found += 1
            ok = float(vec @ reads[p, 0][0]) >= threshold
            matched += ok
            wrong_turn += orientation != turn
            unsettled += not settled
            confident_wrong += (not ok) and settled
        table[str(turn)] = {"found": found, "matched": matched, "matched_pct": 100.0 * matched / max(len(base), 1),
                            "wrong_orientation": wrong_turn, "unsettled": unsettled,
                            "settled_but_not_matching": confident_wrong}
    return table, reads


def group_table(engine: FaceEngine, photos: FaceSet) -> dict:
    out: dict[str, Any] = {}
    for path in photos.group_photos:
        pixels = decode_image(path.read_bytes()).pixels
        row = {}
        for turn in TURNS:
            faces = engine.detect(as_sent(pixels, turn), purpose="all")
            row[str(turn)] = {"faces": len(faces), "right_orientation": sum(f.orientation == turn for f in faces),
                              "settled": sum(f.orientation_settled for f in faces)}
        out[path.name] = row
    return out


def crowd_row(engine: FaceEngine, upright: np.ndarray, limits: QualityThresholds,
              expected: Callable[[np.ndarray, int], int]) -> dict:
    """One photo at every turn: upright faces found again, faces with a wrong orientation, and of those the usable.
    `expected(box, turn)`: the orientation a face (box in the upright frame) should be answered with."""
    height, width = upright.shape[:2]
    ref = [f.box for f in engine.detect(upright, purpose="all")]
    row: dict[str, Any] = {"upright": len(ref)}
    for turn in TURNS:
        image = as_sent(upright, turn)
        faces = engine.detect(image, purpose="all")
        back = (360 - turn) % 360  # the as-sent image is the upright one turned `back` degrees clockwise
        boxes = []
        for f in faces:
            corners = points_back(f.box.reshape(2, 2), back, width, height)
            boxes.append(np.concatenate([corners.min(axis=0), corners.max(axis=0)]))
        found = sum(any(iou(r, b) >= 0.3 for b in boxes) for r in ref)
        wrong = [i for i, (f, b) in enumerate(zip(faces, boxes, strict=True)) if f.orientation != expected(b, turn)]
        usable = 0
        if wrong:
            picked = [faces[i] for i in wrong]
            usable = sum(q.usable for q in assess_aligned(engine.align(image, picked), picked, limits))
        row[str(turn)] = {"faces": len(faces), "found": found, "wrong_orientation": len(wrong),
                          "wrong_usable": usable, "settled": sum(f.orientation_settled for f in faces)}
    return row


def crowd_photos(faces: FaceSet | None) -> tuple[list[Path], list[Crowd]]:
    """The group photos (by name, once) and the synthetic crowds (from FACES_DIR's LFW crops when there)."""
    groups = {p.name: p for p in [*DATA.group_photos, *(faces.group_photos if faces is not None else []),
                                  wheel_photo("players.jpg"), wheel_photo("gdp.jpg")]}
    crops = (faces if faces is not None else DATA).lfw_images
    return list(groups.values()), [make_crowd(crops, **spec) for spec in CROWD_SPECS]


ODD_BESIDE = 6  # group photos with one LFW crop upside down beside them (tests/support/crowds.py)


def crowd_table(engine: FaceEngine, groups: list[Path], crowds: list[Crowd], limits: QualityThresholds) -> dict:
    out: dict[str, Any] = {}
    for path in groups:
        out[path.name] = crowd_row(engine, read(path), limits, lambda box, turn: turn)
    odd_group = read(DATA.group / "dlib_2008_002470.jpg")
    for crop in DATA.lfw_images[:ODD_BESIDE]:
        out[f"002470+{crop.stem}_180"] = crowd_row(
            engine, beside_upside_down(odd_group, read(crop)), limits,
            lambda box, turn: (turn + 180) % 360 if box[0] >= odd_group.shape[1] else turn)
    for crowd in crowds:
        def expected(box: np.ndarray, turn: int, crowd: Crowd = crowd) -> int:
            odd = crowd.odd is not None and tile_of(crowd, box) == crowd.odd
            return (turn - crowd.odd_turn) % 360 if odd else turn
        out[crowd.name] = crowd_row(engine, crowd.pixels, limits, expected)
    return out


def pair_accuracy(reads: dict, pairs: list, turn: int) -> float:
    def score(a: Read, b: Read) -> float:
        return -1.0 if a[0] is None or b[0] is None else float(a[0] @ b[0])
    scores = np.array([score(reads[a, 0], reads[b, turn]) for _, a, b, _ in pairs])
    labels = np.array([same for *_, same in pairs])
    folds = np.array([fold for fold, *_ in pairs])
    return 100.0 * kfold_accuracy(scores, labels, folds).mean


def timed(fn: Callable[[], Any]) -> tuple[float, float]:
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - c0, time.perf_counter() - t0


def cost(services: dict[str, FaceService], rounds: int, noface: list[Path]) -> dict:
    one_face = [wheel_photo("yaoming.jpg"), *DATA.lfw_images[:8]]
    group = DATA.group_photos[:3]
    data = {p: encode(decode_image(p.read_bytes()).pixels, ".png") for p in [*one_face, *group, *noface]}
    routes: dict[str, Callable[[FaceService, Path], Any]] = {
        "/detect": lambda s, p: s.detect(data[p]),
        "/extract-embedding": lambda s, p: s.extract(data[p], choice="largest"),
        "/compare": lambda s, p: s.compare(data[p], data[p], choice="largest"),
    }
    cases = [(r, p) for r in routes for p in (one_face if r != "/detect" else [*one_face, *group])]
    samples: dict[str, dict[str, dict[str, list[float]]]] = {
        r: {k: {"cpu": [], "wall": []} for k in services} for r in routes}
    for name in services:  # warm both once
        for route, p in cases:
            routes[route](services[name], p)
    for _ in range(rounds):
        for route, p in cases:
            for name, service in services.items():
                cpu, wall = timed(lambda: routes[route](service, p))  # noqa: B023
                samples[route][name]["cpu"].append(cpu)
                samples[route][name]["wall"].append(wall)
    out: dict[str, Any] = {"upright": {}}
    for route, by in samples.items():
        out["upright"][route] = {name: {"cpu_median_ms": 1e3 * med(v["cpu"]), "cpu_p90_ms": 1e3 * p90(v["cpu"]),
                                        "cpu_mean_ms": 1e3 * float(np.mean(v["cpu"])),
                                        "wall_median_ms": 1e3 * med(v["wall"]), "wall_p90_ms": 1e3 * p90(v["wall"])}
                                 for name, v in by.items()}
    worst: dict[str, Any] = {}
    for p in noface:
        t: dict[str, list[float]] = {name: [] for name in services}
        for _ in range(max(3, rounds // 2)):
            for turn in TURNS:
                pixels = decode_image(p.read_bytes()).pixels
                turned = encode(as_sent(pixels, turn), ".png")
                for name, service in services.items():
                    t[name].append(timed(lambda: service.detect(turned))[1])  # noqa: B023
        worst[p.name] = {"off_max_ms": 1e3 * max(t["off"]), "on_max_ms": 1e3 * max(t["on"]),
                         "ratio_of_medians": med(t["on"]) / med(t["off"])}
    out["noface"] = worst
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="turned photos with ORIENTATION_SEARCH on and off")
    parser.add_argument("--pairs", type=int, default=30, help="LFW pairs of each kind per fold (0 = all)")
    parser.add_argument("--rounds", type=int, default=10, help="timing rounds over the upright photos")
    parser.add_argument("--cost-only", action="store_true", help="only the timing part (4.)")
    parser.add_argument("--crowds-only", action="store_true", help="only the crowds and group photos (3.)")
    parser.add_argument("--json", type=Path, default=None, help="write results here (default bench/results/)")
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    by_name, pack, threshold = engines(settings)
    services = {name: build_service(settings, e, pack) for name, e in by_name.items()}
    print(f"pack {pack}, threshold {threshold}, threads {settings.threads}, load {os.getloadavg()}")
    results: dict[str, Any] = {"pack": pack, "threshold": threshold, "load_before": os.getloadavg()}

    repo_images = DATA.lfw_images
    faces = faces_dir()
    pairs = []
    if faces is not None:
        pairs = faces.lfw_pairs
        if args.pairs:
            pairs = [p for f in sorted({p[0] for p in pairs}) for same in (True, False)
                     for p in [q for q in pairs if q[0] == f and q[3] == same][: args.pairs]]
    lfw_images = sorted({p for _, a, b, _ in pairs for p in (a, b)})
    group_set = faces if faces is not None and faces.group_counts else DATA
    noface = sorted({*DATA.noface_photos, *(faces.noface_photos if faces is not None else [])},
                    key=lambda p: p.name)
    noface = list({p.name: p for p in noface}.values())

    groups, crowds = crowd_photos(faces)
    for name, engine in ({} if args.cost_only else by_name).items():
        log(f"{name}: crowds and group photos")
        results.setdefault("crowds", {})[name] = crowd_table(engine, groups, crowds, settings.quality_thresholds())
        if args.crowds_only:
            continue
        log(f"{name}: repository photos")
        repo, _ = one_face_table(engine, [*repo_images, wheel_photo("yaoming.jpg")], threshold, name)
        res: dict[str, Any] = {"repo_one_face": repo, "group": group_table(engine, group_set)}
        if lfw_images:
            log(f"{name}: {len(lfw_images)} LFW images from {faces.root if faces else ''}")
            lfw, reads = one_face_table(engine, lfw_images, threshold, name)
            res["lfw_one_face"] = lfw
            res["lfw_pair_accuracy"] = {str(t): pair_accuracy(reads, pairs, t) for t in TURNS}
            res["lfw_pairs"] = len(pairs)
        results[name] = res
    if not args.crowds_only:
        log("cost on upright photos, on/off interleaved")
        results["cost"] = cost(services, args.rounds, noface)
    results["load_after"] = os.getloadavg()
    report_orientation(results)
    print(f"\nwrote {save_results(results, 'orientation', args.json, default=float)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
