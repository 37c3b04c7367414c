"""The quality gate's effect on accuracy: LFW view-2 pairs where both faces pass the gate vs the rest.

Every LFW image of the pairs goes through the service's path (decode_image, engine.detect(purpose="one"), the
centre face when several, embed) and through function.engine.quality.assess with the thresholds of
Settings.from_env() (QUALITY_* variables change them). Per group (both usable / at least one not) it prints pairs,
accuracy and FAR/TAR at the served threshold, and the distribution of each measure over all images, so that the
defaults can be read against it (docs/quality.md). Embeddings stay in memory for the run only.

With --pose it runs the pose checks instead (seconds): roll on copies of real photos rotated by -40..40 degrees
(the error against the rotation), yaw/pitch/roll on mirrored copies (yaw and roll must change sign, pitch stay), and
the hand-labelled LFW faces of tests/api/test_quality.py (signs and group means).

    python -m bench.quality [--limit N] [--json PATH]
    python -m bench.quality --pose
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

import numpy as np

from bench import common
from bench.common import log, save_results
from function.config import Settings
from function.engine import choose_face
from function.engine.quality import REASONS, Quality, assess
from function.imaging import decode_image
from function.models import resolve_pack_name
from function.startup import load_engine
from tests.support.photos import MISSING_FACES_DIR, faces_dir


def measure(paths: list[Path], settings: Settings) -> dict[Path, tuple[np.ndarray, Quality] | None]:
    engine = load_engine(settings, resolve_pack_name(settings.model_dir, settings.model_pack))
    limits = settings.decode_limits()
    out: dict[Path, tuple[np.ndarray, Quality] | None] = {}
    t0 = time.perf_counter()
    for i, path in enumerate(paths):
        image = decode_image(path.read_bytes(), limits)
        faces = engine.detect(image.pixels, purpose="one")
        if not faces:
            out[path] = None
            continue
        face = faces[0] if len(faces) == 1 else choose_face(faces, "center", image.pixels.shape)
        out[path] = (engine.embed(image.pixels, [face])[0],
                     assess(image.pixels, face, settings.quality_thresholds(), image.scale))
        if (i + 1) % 500 == 0:
            log(f"{i + 1}/{len(paths)} images, {time.perf_counter() - t0:.0f} s")
    return out


def pose_checks(settings: Settings) -> dict[str, object]:
    import cv2

    from function.engine.quality import Pose, estimate_pose
    from tests.api.test_quality import PITCH_LABELS, YAW_LABELS, lfw_photo, rotated
    from tests.support import read
    from tests.support.photos import wheel_photo

    faces_root = faces_dir()
    lfw = faces_root.root / "lfw" if faces_root else None

    engine = load_engine(settings, resolve_pack_name(settings.model_dir, settings.model_pack))

    def poses(pixels: np.ndarray, min_size: float = 60.0) -> list[tuple[np.ndarray, Pose]]:
        faces = engine.detect(pixels, purpose="all")
        return [(f.box, estimate_pose(f.landmarks)) for f in faces if min(f.box[2] - f.box[0], f.box[3] - f.box[1]) >= min_size]

    photos = [read(wheel_photo(n)) for n in ("yaoming.jpg", "gdp.jpg")]
    photos += [read(lfw_photo(lfw, n)) for n in list(YAW_LABELS)[:6]] if lfw else []
    roll_errors: list[float] = []
    mirror: dict[str, list[float]] = {"yaw": [], "pitch": [], "roll": []}
    for image in photos:
        base = poses(image)
        for degrees in (-40, -30, -20, -10, 10, 20, 30, 40):
            turned = poses(rotated(image, degrees))
            if len(base) == 1 and len(turned) == 1:  # one face each: no matching needed
                roll_errors.append(turned[0][1].roll - base[0][1].roll + degrees)
        flipped = poses(cv2.flip(image, 1))
        w = image.shape[1]
        for box, p in base:
            cx = (box[0] + box[2]) / 2
            twin = min(flipped, key=lambda t: abs(w - (t[0][0] + t[0][2]) / 2 - cx))[1]
            mirror["yaw"].append(twin.yaw + p.yaw)
            mirror["roll"].append(twin.roll + p.roll)
            mirror["pitch"].append(twin.pitch - p.pitch)
    out: dict[str, object] = {
        "roll_on_rotation": {"n": len(roll_errors), "median_abs": float(np.median(np.abs(roll_errors))),
                             "max_abs": float(np.max(np.abs(roll_errors)))},
        "mirror": {k: {"n": len(v), "median_abs": float(np.median(np.abs(v))), "max_abs": float(np.max(np.abs(v)))}
                   for k, v in mirror.items()},
    }
    if lfw:
        def measured(name: str) -> Pose:
            assert lfw is not None
            image = decode_image(lfw_photo(lfw, name).read_bytes())
            faces = engine.detect(image.pixels, purpose="one")
            face = faces[0] if len(faces) == 1 else choose_face(faces, "center", image.pixels.shape)
            return estimate_pose(face.landmarks)
        yaw = {n: measured(n).yaw for n in YAW_LABELS}
        pitch = {n: measured(n).pitch for n in PITCH_LABELS}
        out["yaw_labels"] = {"n": len(yaw), "sign_agrees": sum((v > 0) == (YAW_LABELS[n] == "R") for n, v in yaw.items()),
                             "values": {n: round(v, 1) for n, v in yaw.items()}}
        out["pitch_labels"] = {"up": sorted(round(v, 1) for n, v in pitch.items() if PITCH_LABELS[n] == "U"),
                               "down": sorted(round(v, 1) for n, v in pitch.items() if PITCH_LABELS[n] == "D")}
    return out


def group_figures(scores: np.ndarray, labels: np.ndarray, threshold: float) -> dict[str, float]:
    far, tar = common.far_tar(scores, labels, threshold)
    return {"pairs": len(scores), "same": int(labels.sum()), "different": int((~labels).sum()),
            "accuracy": common.accuracy(scores, labels, threshold) if len(scores) else float("nan"),
            "far": far, "tar": tar}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=0, help="first N pairs only (0 = all 6,000)")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--pose", action="store_true", help="the pose checks only")
    args = parser.parse_args()
    settings = Settings.from_env()
    if args.pose:
        checks = pose_checks(settings)
        print(json.dumps(checks, indent=1))
        log(f"saved {save_results(checks, 'pose', args.json)}")
        return
    pack = resolve_pack_name(settings.model_dir, settings.model_pack)
    threshold = settings.threshold_for(pack)
    faces = faces_dir()
    if faces is None:
        print(f"make quality skipped: {MISSING_FACES_DIR}")
        return
    pairs = faces.lfw_pairs[: args.limit or None]
    paths = sorted({p for _, a, b, _ in pairs for p in (a, b)})
    log(f"{len(pairs)} pairs, {len(paths)} images, thresholds {settings.quality_thresholds()}")
    results = measure(paths, settings)

    qualities = [r[1] for r in results.values() if r is not None]
    reasons = Counter(reason for q in qualities for reason in q.reasons)
    distribution = {}
    for name, values in (("face_size", [q.face_size for q in qualities]), ("sharpness", [q.sharpness for q in qualities]),
                         ("brightness", [q.brightness for q in qualities]),
                         ("yaw", [q.pose.yaw for q in qualities]), ("pitch", [q.pose.pitch for q in qualities]),
                         ("roll", [q.pose.roll for q in qualities])):
        distribution[name] = {f"p{p}": round(float(np.percentile(values, p)), 2) for p in (1, 5, 25, 50, 75, 95, 99)}

    scores, labels, both = [], [], []
    for _, a, b, same in pairs:
        ra, rb = results[a], results[b]
        scores.append(float(np.dot(ra[0], rb[0])) if ra is not None and rb is not None else -1.0)
        labels.append(same)
        both.append(ra is not None and rb is not None and ra[1].usable and rb[1].usable)
    s, y, m = np.array(scores), np.array(labels, dtype=bool), np.array(both, dtype=bool)
    groups = {"all_pairs": group_figures(s, y, threshold), "both_usable": group_figures(s[m], y[m], threshold),
              "rest": group_figures(s[~m], y[~m], threshold)}
    report: dict[str, object] = {
        "threshold": threshold, "thresholds": vars(settings.quality_thresholds()), "images": len(paths),
        "images_without_face": sum(r is None for r in results.values()),
        "images_usable": sum(q.usable for q in qualities),
        "reasons": {r: reasons.get(r, 0) for r in REASONS}, "distribution": distribution, **groups,
    }
    for key, g in groups.items():
        print(f"{key:12s} pairs {g['pairs']:5d} (same {g['same']}, different {g['different']})  accuracy "
              f"{100 * g['accuracy']:.2f}%  TAR {100 * g['tar']:.2f}%  FAR {100 * g['far']:.3f}%  at {threshold}")
    print(f"images {len(paths)}: usable {report['images_usable']}, no face {report['images_without_face']}, "
          f"reasons {report['reasons']}")
    for name, d in distribution.items():
        print(f"{name:10s} " + "  ".join(f"{k} {v}" for k, v in d.items()))
    log(f"saved {save_results(report, 'quality', args.json)}")


if __name__ == "__main__":
    main()
