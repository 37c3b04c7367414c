"""Calibration at scale (make accuracy): every cross-identity pair of an evaluation set, thresholds for FAR targets
fitted on half of the identities and reported on the other half, the DET curve, and the pack's calibration record.

Given one embedding per image (None: no face found; such images are left out and counted) and each image's identity:
- every pair of images of different people is an impostor pair, every pair of one person's images a genuine pair;
- identities are split in two halves by a hash of the name (stable across runs and machines): thresholds are fitted on
  the pairs within half A (`fit`) and reported on the pairs within half B (`held out`), with 95% Clopper-Pearson
  intervals; cross-half pairs are used only for the default threshold's FAR over every impostor pair;
- the fitted curve is the lowest threshold whose FAR on half A is at most each FAR of a log grid (10 points a decade,
  from 1e-1 down to min_far = 3 / half A's impostor pairs: the rule of three), rounded up to 1e-4 (rounding up only
  lowers the FAR).
The record goes to function/models/calibrations/<pack>.<precision>.json (read by the service), the DET plot to
docs/img/, and the table to docs/accuracy.md between its calibration markers.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from function.config import REPO_ROOT
from function.models.calibration import record_path

NAMED_FARS = (1e-3, 1e-4, 1e-5, 1e-6)
GRID_PER_DECADE = 10
DOCS = REPO_ROOT / "docs" / "accuracy.md"
IMG_DIR = REPO_ROOT / "docs" / "img"
BEGIN, END = "<!-- calibration:begin (bench/calibrate.py writes this) -->", "<!-- calibration:end -->"


def half_of(identity: str) -> int:
    """0 (fit) or 1 (held out): the low bit of the name's SHA-256."""
    return hashlib.sha256(identity.encode()).digest()[0] & 1


@dataclass
class PairScores:
    """Sorted similarity scores (ascending), by pair kind."""

    impostor: np.ndarray
    genuine: np.ndarray


def pair_scores(vectors: np.ndarray, identities: Sequence[str], rows: np.ndarray, cols: np.ndarray | None = None,
                block: int = 1024) -> PairScores:
    """Scores of every pair (i in rows, j in cols, i < j when cols is None: within one set; else all i x j), split
    into impostor and genuine by identity; blockwise so that memory stays at one block of the score matrix."""
    ident = np.asarray(identities)
    codes = np.unique(ident, return_inverse=True)[1]
    same_set = cols is None
    cols = rows if cols is None else cols
    imp, gen = [], []
    for start in range(0, len(rows), block):
        r = rows[start:start + block]
        s = vectors[r] @ vectors[cols].T
        same = codes[r][:, None] == codes[cols][None, :]
        keep = np.ones_like(same)
        if same_set:  # upper triangle only: pair (i, j) once, never (i, i)
            keep = np.arange(start, start + len(r))[:, None] < np.arange(len(cols))[None, :]
        imp.append(s[keep & ~same])
        gen.append(s[keep & same])
    return PairScores(np.sort(np.concatenate(imp)), np.sort(np.concatenate(gen)))


def accepted(sorted_scores: np.ndarray, threshold: float) -> int:
    return int(sorted_scores.size - np.searchsorted(sorted_scores, threshold, side="left"))


def lowest_threshold(impostor_sorted: np.ndarray, far: float) -> float:
    """The lowest threshold (rounded up to 1e-4) at which at most floor(far x n) impostor pairs score at or above."""
    n = impostor_sorted.size
    k = math.floor(far * n + 1e-9)
    if k >= n:
        return -1.0
    t = float(np.nextafter(impostor_sorted[n - 1 - k], np.inf))
    return math.ceil(t * 1e4 - 1e-9) / 1e4


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    from scipy.stats import beta

    a = (1 - level) / 2
    lo = 0.0 if k == 0 else float(beta.ppf(a, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - a, k + 1, n - k))
    return lo, hi


def grid(min_far: float) -> list[float]:
    """FAR targets 1e-1, 10^-1.1, ... down to min_far, exact at each decade."""
    out, e = [], 10
    while 10 ** (-e / GRID_PER_DECADE) >= min_far:
        out.append(float(f"{10 ** (-e / GRID_PER_DECADE):.3g}"))
        e += 1
    return out


def calibrate(vectors: np.ndarray, identities: Sequence[str], default_threshold: float) -> dict:
    """The record's numbers (see the module docstring) from one L2-normalised vector per image with a face."""
    halves = np.array([half_of(i) for i in identities])
    fit_rows, out_rows = np.flatnonzero(halves == 0), np.flatnonzero(halves == 1)
    fit = pair_scores(vectors, identities, fit_rows)
    held = pair_scores(vectors, identities, out_rows)
    cross = pair_scores(vectors, identities, fit_rows, out_rows)
    min_far = 3.0 / fit.impostor.size
    curve = [(f, lowest_threshold(fit.impostor, f)) for f in grid(min_far)]
    points = []
    for far in NAMED_FARS:
        if far < min_far:
            continue
        t = lowest_threshold(fit.impostor, far)
        fa, ta = accepted(held.impostor, t), accepted(held.genuine, t)
        points.append({"far": far, "threshold": t, "held_out_far": fa / held.impostor.size,
                       "held_out_far_ci": clopper_pearson(fa, held.impostor.size),
                       "held_out_false_accepts": fa,
                       "tar": ta / held.genuine.size, "tar_ci": clopper_pearson(ta, held.genuine.size)})
    n_imp = fit.impostor.size + held.impostor.size + cross.impostor.size
    n_gen = fit.genuine.size + held.genuine.size + cross.genuine.size
    fa_all = sum(accepted(s.impostor, default_threshold) for s in (fit, held, cross))
    ta_all = sum(accepted(s.genuine, default_threshold) for s in (fit, held, cross))
    return {
        "images": len(identities), "identities": len(set(identities)),
        "fit": {"identities": len({identities[int(i)] for i in fit_rows}), "images": len(fit_rows),
                "impostor_pairs": int(fit.impostor.size), "genuine_pairs": int(fit.genuine.size)},
        "held_out": {"identities": len({identities[int(i)] for i in out_rows}), "images": len(out_rows),
                     "impostor_pairs": int(held.impostor.size), "genuine_pairs": int(held.genuine.size)},
        "min_far": min_far, "curve": curve, "operating_points": points,
        "default": {"threshold": default_threshold, "impostor_pairs": n_imp, "genuine_pairs": n_gen,
                    "far": fa_all / n_imp, "far_ci": clopper_pearson(fa_all, n_imp), "false_accepts": fa_all,
                    "tar": ta_all / n_gen, "tar_ci": clopper_pearson(ta_all, n_gen)},
        "_det": {"fit": fit, "held_out": held},
    }


def det_points(scores: PairScores, n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """(FAR, FRR) at n thresholds spanning the impostor tail (for the plot)."""
    lo, hi = float(scores.impostor[scores.impostor.size // 2]), float(scores.impostor[-1]) + 1e-6
    ts = np.linspace(lo, max(hi, lo + 1e-3), n)
    far = (scores.impostor.size - np.searchsorted(scores.impostor, ts, side="left")) / scores.impostor.size
    frr = np.searchsorted(scores.genuine, ts, side="left") / scores.genuine.size
    return far, frr


def plot_det(result: dict, title: str, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=100)
    for label, key in (("fit half (thresholds)", "fit"), ("held-out half (reported)", "held_out")):
        far, frr = det_points(result["_det"][key])
        ok = far > 0
        ax.plot(far[ok], frr[ok], label=f"{label}: {result[key]['impostor_pairs']:,} impostor pairs")
    for p in result["operating_points"]:
        ax.plot(p["held_out_far"] or p["far"], 1 - p["tar"], "o", color="black", markersize=3)
        ax.annotate(f"FAR {p['far']:g}: t={p['threshold']:.3f}", (p["held_out_far"] or p["far"], 1 - p["tar"]),
                    textcoords="offset points", xytext=(4, 4), fontsize=7)
    ax.axvline(result["min_far"], color="grey", linestyle=":", label=f"min_far {result['min_far']:.1e} (rule of 3)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("false accept rate (different people accepted)")
    ax.set_ylabel("false reject rate (same person refused)")
    ax.set_title(title, fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def record(result: dict, pack: str, precision: str, dataset: str, command: str, machine: str,
           without_face: int) -> dict:
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    body = {k: v for k, v in result.items() if not k.startswith("_")}
    return {"pack": pack, "precision": precision, "dataset": dataset, "measured": today, "command": command,
            "machine": machine, "images_without_face": without_face,
            "protocol": "all cross-identity pairs; identities split in halves by SHA-256 of the name (bench/"
                        "calibrate.py); thresholds fitted on half A, reported on half B (95% Clopper-Pearson)", **body}


def write_record(rec: dict, directory: Path | None = None) -> Path:
    path = record_path(rec["pack"], rec["precision"], *([directory] if directory else []))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rec, indent=1) + "\n")
    return path


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def markdown(rec: dict, png: str) -> str:
    """The docs/accuracy.md section: table of operating points, the default threshold, the DET plot."""
    fit, held, d = rec["fit"], rec["held_out"], rec["default"]
    lines = [
        f"Measured {rec['measured']} on {rec['machine']}: `{rec['command']}`; {rec['dataset']}. "
        f"{rec['images']:,} images with a face ({rec['images_without_face']} without), {rec['identities']:,} people. "
        f"Fitted on half A ({fit['identities']:,} people, {fit['impostor_pairs']:,} impostor and "
        f"{fit['genuine_pairs']:,} genuine pairs), reported on half B ({held['identities']:,} people, "
        f"{held['impostor_pairs']:,} impostor and {held['genuine_pairs']:,} genuine pairs); 95% Clopper-Pearson "
        f"intervals. The lowest FAR half A supports is {rec['min_far']:.1e} (3 / its impostor pairs).",
        "",
        "| target FAR | threshold (fitted, A) | FAR on B [95% CI] | false accepts on B | TAR on B [95% CI] |",
        "|---|---|---|---|---|",
    ]
    for p in rec["operating_points"]:
        lo, hi = p["held_out_far_ci"]
        tlo, thi = p["tar_ci"]
        lines.append(f"| {p['far']:g} | {p['threshold']:.4f} | {p['held_out_far']:.2e} [{lo:.1e}, {hi:.1e}] | "
                     f"{p['held_out_false_accepts']:,} | {_pct(p['tar'])} [{_pct(tlo)}, {_pct(thi)}] |")
    lo, hi = d["far_ci"]
    lines += [
        "",
        f"The default threshold {d['threshold']} over every pair of the set ({d['impostor_pairs']:,} impostor, "
        f"{d['genuine_pairs']:,} genuine): FAR {d['far']:.2e} [{lo:.1e}, {hi:.1e}] ({d['false_accepts']:,} "
        f"different-person pairs accepted), TAR {_pct(d['tar'])}.",
        "",
        f"![DET curve]({png})",
    ]
    return "\n".join(lines)


def write_docs(section: str, docs: Path = DOCS) -> None:
    text = docs.read_text()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    docs.write_text(text[:start] + "\n" + section + "\n" + text[end:])
