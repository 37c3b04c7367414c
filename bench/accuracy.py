"""make accuracy: LFW view-2 verification and group/noface detection, our pipeline vs the insightface reference, and
the served pack's calibration at scale (bench/calibrate.py: every pair of different people among all LFW images,
thresholds for FAR 1e-3..1e-6, the DET plot, the record the service reads).

Our pipeline gets the RAW photos through the service's own path (function.imaging.decode_image, then the
engine built from Settings.from_env(): COARSE_DET_SIZE=0 etc. change it). The reference (insightface
FaceAnalysis, detection + recognition, det_size 640) gets each LFW photo padded by half its side with a black
border, without which it finds almost none of these tight crops. When an image holds several faces, both use the
one nearest the image centre (LFW's convention; function.engine.choose_face(..., "center", shape)). An image with
no face found scores -1 against anything. Embeddings are kept in memory only, for the length of the run.

    python -m bench.accuracy [--only ours|reference] [--limit N] [--json PATH] [--no-record]

Ours embeds every LFW image once (7,286; the view-2 pairs and the calibration read the same vectors). Without
--limit and --no-record it writes function/models/calibrations/<pack>.<precision>.json, docs/img/det-<pack>-<precision>.png
and the calibration section of docs/accuracy.md.

LFW comes from FACES_DIR (tests/support/photos.py: the FACES_DIR variable, else ../shared/faces, else data/faces from
`make lfw`); without it the run skips with one line saying how to get the data.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np

from bench import calibrate, common
from bench.common import log, machine, save_results
from function.config import Settings
from function.engine import choose_face
from function.imaging import decode_image
from function.models import resolve_pack_name
from function.startup import load_engine
from tests.support.photos import DATA, MISSING_FACES_DIR, FaceSet, faces_dir

FARS = (1e-2, 1e-3)
TABLE_THRESHOLDS = (0.15, 0.18, 0.20, 0.22, 0.24, 0.26, 0.28, 0.30, 0.35, 0.40)
TARGET_FAR = 1e-3
Embedder = Callable[[Path], "np.ndarray | None"]
Counter = Callable[[Path], int]


# -- the two pipelines ------------------------------------------------------------------------------------------
def ours(settings: Settings) -> tuple[Embedder, Counter, str]:
    pack = resolve_pack_name(settings.model_dir, settings.model_pack)
    engine = load_engine(settings, pack)  # the served engine (MODEL_PRECISION as served: settings.served_precision)
    limits = settings.decode_limits()

    def embed(path: Path) -> np.ndarray | None:
        pixels = decode_image(path.read_bytes(), limits).pixels
        faces = engine.detect(pixels, purpose="one")  # what /compare does; several faces -> the centre one
        if not faces:
            return None
        face = faces[0] if len(faces) == 1 else choose_face(faces, "center", pixels.shape)
        return engine.embed(pixels, [face])[0]

    def count(path: Path) -> int:
        return len(engine.detect(decode_image(path.read_bytes(), limits).pixels, purpose="all"))

    return embed, count, pack


def reference() -> tuple[Embedder, Counter, Callable[[], None]]:
    import shutil

    from bench.server import load_face_analysis, make_pack_dir

    pack_dir = make_pack_dir()
    fa = load_face_analysis(pack_dir, allowed_modules=["detection", "recognition"])

    def embed(path: Path) -> np.ndarray | None:
        img = read_bgr(path)
        pad = max(img.shape[:2]) // 2
        img = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(0, 0, 0))
        faces = fa.get(img)
        if not faces:
            return None
        cy, cx = img.shape[0] / 2, img.shape[1] / 2
        face = min(faces, key=lambda f: ((f.bbox[0] + f.bbox[2]) / 2 - cx) ** 2 + ((f.bbox[1] + f.bbox[3]) / 2 - cy) ** 2)
        return face.normed_embedding

    def count(path: Path) -> int:
        return len(fa.det_model.detect(read_bgr(path))[0])

    return embed, count, lambda: shutil.rmtree(pack_dir, ignore_errors=True)


def read_bgr(path: Path) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f"OpenCV cannot read {path}")
    return img


# -- measurement --------------------------------------------------------------------------------------------------
Vectors = dict[Path, "np.ndarray | None"]


def embed_images(embed: Embedder, images: list[Path], label: str) -> tuple[Vectors, float]:
    """Each image's embedding (None: no face), and seconds per image."""
    cache: Vectors = {}
    t0 = time.perf_counter()
    for i, path in enumerate(images, 1):
        cache[path] = embed(path)
        if i % 1000 == 0:
            log(f"  {label}: {i}/{len(images)} images, {time.perf_counter() - t0:.0f}s")
    return cache, (time.perf_counter() - t0) / max(len(images), 1)


def pair_scores(cache: Vectors, pairs) -> tuple[np.ndarray, int]:
    """View-2 scores and the number of the pairs' images without a face."""
    named = {p for _, a, b, _ in pairs for p in (a, b)}
    return np.array([_score(cache[a], cache[b]) for _, a, b, _ in pairs]), sum(cache[p] is None for p in named)


def lfw_scores(embed: Embedder, pairs, label: str) -> tuple[np.ndarray, int, float]:
    cache, per = embed_images(embed, sorted({p for _, a, b, _ in pairs for p in (a, b)}), label)
    scores, missing = pair_scores(cache, pairs)
    return scores, missing, per


def calibration(cache: Vectors, pack: str, precision: str, default_threshold: float, command: str,
                write: bool) -> dict:
    """bench/calibrate.py on every image with a face; with `write`, the record, the DET plot and the docs section."""
    with_face = [p for p in sorted(cache) if cache[p] is not None]
    vectors = np.stack([v for p in with_face if (v := cache[p]) is not None]).astype(np.float32)
    identities = [p.parent.name for p in with_face]
    result = calibrate.calibrate(vectors, identities, default_threshold)
    rec = calibrate.record(result, pack, precision, "LFW (tight grayscale crops, ../shared/faces/lfw; every image)",
                           command, machine(), len(cache) - len(with_face))
    print_calibration(rec)
    if write:
        png = calibrate.plot_det(result, f"DET, {pack} {precision}, LFW all pairs ({rec['measured']})",
                                 calibrate.IMG_DIR / f"det-{pack}-{precision}.png")
        print(f"wrote {calibrate.write_record(rec)} and {png}")
        calibrate.write_docs(calibrate.markdown(rec, f"img/{png.name}"))
        print(f"wrote the calibration section of {calibrate.DOCS}")
    return rec


def print_calibration(rec: dict) -> None:
    print(f"\ncalibration ({rec['pack']} {rec['precision']}): {rec['images']} images with a face, "
          f"{rec['identities']} people; fit half {rec['fit']['impostor_pairs']:,} impostor pairs, held-out half "
          f"{rec['held_out']['impostor_pairs']:,}; min_far {rec['min_far']:.2e}")
    print(f"{'target FAR':>10} {'threshold':>10} {'held-out FAR':>13} {'false acc.':>10} {'TAR':>8}")
    for p in rec["operating_points"]:
        print(f"{p['far']:>10g} {p['threshold']:>10.4f} {p['held_out_far']:>13.2e} {p['held_out_false_accepts']:>10,} "
              f"{100 * p['tar']:>7.2f}%")
    d = rec["default"]
    print(f"default {d['threshold']}: FAR {d['far']:.2e} over {d['impostor_pairs']:,} impostor pairs "
          f"({d['false_accepts']:,} accepted), TAR {100 * d['tar']:.2f}% over {d['genuine_pairs']:,} genuine pairs")


def _score(a: np.ndarray | None, b: np.ndarray | None) -> float:
    """Cosine of two L2-normalised embeddings; -1 when either image had no face."""
    return -1.0 if a is None or b is None else float(np.dot(a, b))


def summarize(scores: np.ndarray, labels: np.ndarray, folds: np.ndarray) -> dict:
    kf = common.kfold_accuracy(scores, labels, folds)
    out = {"accuracy_mean": kf.mean, "accuracy_std": kf.std, "fold_thresholds": kf.thresholds,
           "auc": common.roc_auc(scores, labels)}
    for far in FARS:
        tar, t = common.tar_at_far(scores, labels, far)
        out[f"tar_at_far_{far:g}"] = tar
        out[f"threshold_at_far_{far:g}"] = t
    out["table"] = [dict(zip(("threshold", "far", "tar"), (t, *common.far_tar(scores, labels, t)), strict=True))
                    for t in TABLE_THRESHOLDS]
    return out


def detection(count: Counter, photos: FaceSet) -> dict:
    groups = {p.name: (count(p), photos.group_counts[p.name]) for p in photos.group_photos}
    nofaces = {p.name: count(p) for p in photos.noface_photos}
    return {"group": {k: {"found": f, "annotated": a} for k, (f, a) in groups.items()},
            "group_ok": sum(f >= a for f, a in groups.values()), "group_total": len(groups),
            "noface": nofaces, "noface_false_faces": sum(nofaces.values())}


def print_report(results: dict, n_pairs: int, n_same: int) -> None:
    print(f"\nLFW view-2: {n_pairs} pairs ({n_same} same, {n_pairs - n_same} different), 10 folds")
    print(f"{'pipeline':<34} {'10-fold acc':>16} {'AUC':>8} {'TAR@FAR1e-3':>12} {'thr@1e-3':>9} "
          f"{'no face':>8} {'ms/img':>7}")
    for name, r in results.items():
        s = r["lfw"]
        print(f"{name:<34} {100 * s['accuracy_mean']:>9.2f}% ±{100 * s['accuracy_std']:.2f} {s['auc']:>8.5f} "
              f"{100 * s['tar_at_far_0.001']:>11.2f}% {s['threshold_at_far_0.001']:>9.4f} {r['missing']:>8} "
              f"{1000 * r['s_per_image']:>7.1f}")
    for name, r in results.items():
        print(f"\nthreshold -> FAR / TAR on LFW ({name})")
        print(f"{'threshold':>10} {'FAR':>9} {'TAR':>9}")
        for row in r["lfw"]["table"]:
            print(f"{row['threshold']:>10.2f} {100 * row['far']:>8.3f}% {100 * row['tar']:>8.2f}%")
    print("\ndetection (default score threshold)")
    for name, r in results.items():
        d = r["detection"]
        found = ", ".join(f"{v['found']}/{v['annotated']}" for v in d["group"].values())
        print(f"{name:<34} group/ {d['group_ok']}/{d['group_total']} photos with >= annotated faces ({found}); "
              f"noface/ {d['noface_false_faces']} false faces in {len(d['noface'])} photos")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="LFW accuracy and detection, ours vs the insightface reference")
    parser.add_argument("--only", choices=("ours", "reference"))
    parser.add_argument("--limit", type=int, default=0, help="first N pairs of every fold (quick check)")
    parser.add_argument("--json", type=Path, default=None, help="write results here (default bench/results/)")
    parser.add_argument("--no-record", action="store_true", help="print the calibration, write no record/plot/docs")
    args = parser.parse_args(argv)

    faces = faces_dir()
    if faces is None:
        print(f"make accuracy skipped: {MISSING_FACES_DIR}")
        return 0
    # group/ and noface/ from FACES_DIR when it has them (../shared/faces does; `make lfw` brings LFW only)
    photos = faces if faces.group_counts else DATA
    print(f"LFW from {faces.root}; group/ and noface/ from {photos.root}")
    settings = Settings.from_env()
    pairs = faces.lfw_pairs
    if args.limit:
        pairs = [p for f in sorted({p[0] for p in pairs}) for same in (True, False)
                 for p in [q for q in pairs if q[0] == f and q[3] == same][: args.limit]]
    labels = np.array([same for _, _, _, same in pairs])
    folds = np.array([fold for fold, _, _, _ in pairs])
    results: dict[str, dict] = {}
    ours_scores = np.zeros(0)
    pack = ours_key = ""
    if args.only in (None, "ours"):
        embed, count, pack = ours(settings)
        used = {k: v for k, v in asdict(settings.engine_config()).items()}
        print(f"ours: pack {pack} ({settings.served_precision}), engine {used}")
        images = sorted({p for _, a, b, _ in pairs for p in (a, b)}) if args.limit else faces.lfw_all_images
        cache, per = embed_images(embed, images, "ours")
        scores, missing = pair_scores(cache, pairs)
        ours_scores = scores
        precision = "" if settings.served_precision == "fp32" else f", {settings.served_precision}"
        ours_key = f"ours ({pack}{precision}, raw photos)"
        results[ours_key] = {"lfw": summarize(scores, labels, folds), "missing": missing,
                                                "s_per_image": per, "detection": detection(count, photos),
                                                "settings": used}
        if not args.limit:
            command = "make accuracy" + (" ACCURACY_ARGS=\"--only ours\"" if args.only == "ours" else "")
            rec = calibration(cache, pack, settings.served_precision, settings.threshold_for(pack), command,
                              write=not args.no_record)
            results[ours_key]["calibration"] = rec
        cache.clear()
    if args.only in (None, "reference"):
        embed, count, cleanup = reference()
        try:
            scores, missing, per = lfw_scores(embed, pairs, "reference")
            results["insightface reference (padded)"] = {"lfw": summarize(scores, labels, folds), "missing": missing,
                                                          "s_per_image": per, "detection": detection(count, photos)}
        finally:
            cleanup()
    print_report(results, len(pairs), int(labels.sum()))

    if pack:
        r = results[ours_key]["lfw"]
        chosen = common.round_up(r[f"threshold_at_far_{TARGET_FAR:g}"])
        far, tar = common.far_tar(ours_scores, labels, chosen)
        print(f"\nsame_person threshold for {pack} at FAR <= {TARGET_FAR:g} on LFW: {chosen:.2f} "
              f"(FAR {100 * far:.3f}%, TAR {100 * tar:.2f}%, accuracy {100 * common.accuracy(ours_scores, labels, chosen):.2f}%; "
              f"configured: {settings.threshold_for(pack)})")
        if "insightface reference (padded)" in results:
            ref = results["insightface reference (padded)"]["lfw"]["accuracy_mean"]
            delta = 100 * (r["accuracy_mean"] - ref)
            verdict = "OK" if delta >= -0.1 else "BELOW the reference - 0.1 point"
            print(f"ours - reference: {delta:+.2f} points of 10-fold accuracy: {verdict}")
        results["chosen_threshold"] = {"pack": pack, "target_far": TARGET_FAR, "threshold": chosen, "far": far,
                                       "tar": tar}

    print(f"\nwrote {save_results(results, 'accuracy', args.json, default=float)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
