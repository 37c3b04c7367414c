"""Coarse-to-fine trade-off: how often the coarse pass settles a one-face request on the shared photos, which
passes ran, how close its faces are to the full path's, and the detector time that saves at buffalo_l scale."""

from __future__ import annotations

import collections
import statistics
from pathlib import Path
from typing import Any

from bench.proxies import recorded_pair
from bench.sessions import Call
from function.engine import ensure_bgr
from function.imaging import decode_image
from tests.support import iou
from tests.support.photos import DATA, faces_dir, wheel_photos


def photo_sets(lfw_sample: int) -> dict[str, list[Path]]:
    lfw = (faces_dir() or DATA).lfw_images  # FACES_DIR's LFW when there, else the crops in tests/data
    step = max(1, len(lfw) // lfw_sample)
    return {"LFW crops (sample)": lfw[::step][:lfw_sample], "group/": DATA.group_photos,
            "wheel photos": wheel_photos(), "noface/": DATA.noface_photos}


def measure_coarse(model_dir: Path, threads: int, lfw_sample: int) -> dict[str, Any]:
    """Passes taken for one-face requests on the shared photos, and detector time at buffalo_l scale."""
    sc, calls, replayer = recorded_pair(model_dir, threads)
    shape_cost: dict[tuple[str, tuple[int, ...]], float] = {}

    def det_cost(recorded: list[Call]) -> float:
        total = 0.0
        for c in recorded:
            if c.role != "det":
                continue
            if (c.role, c.shape) not in shape_cost:
                shape_cost[(c.role, c.shape)] = statistics.median(replayer.run(c.role, c.shape) for _ in range(3))
            total += shape_cost[(c.role, c.shape)]
        return total

    out = {}
    for name, paths in photo_sets(lfw_sample).items():
        passes: collections.Counter[str] = collections.Counter()
        on_cost, off_cost, cos, diverged = 0.0, 0.0, [], []
        for p in paths:
            image = ensure_bgr(decode_image(p.read_bytes()).pixels)
            calls.clear()
            one, how = sc.detect_traced(image, "one")
            on_cost += det_cost(list(calls))
            calls.clear()
            full = sc.detect(image, "all")
            off_cost += det_cost(list(calls))
            passes[how] += 1
            if how in ("coarse", "closeup", "padded") and one:
                for face in one:
                    match = max(full, key=lambda g: iou(face.box, g.box), default=None)
                    if match is None or iou(face.box, match.box) < 0.5:
                        diverged.append(p.name)
                        continue
                    v = sc.embed(image, [face, match])
                    cos.append(float(v[0] @ v[1]))
        n = len(paths)
        out[name] = {"n": n, "passes": dict(passes), "det_on_ms": on_cost / n * 1e3, "det_off_ms": off_cost / n * 1e3,
                     "min_cos": min(cos) if cos else None, "below_099": sum(c < 0.99 for c in cos),
                     "diverged": diverged}
    return out


def print_coarse(coarse: dict[str, Any], threads: int) -> None:
    print(f"\n### Coarse-to-fine on one-face requests (buffalo_sc passes; detector time on the proxies, {threads}T)\n")
    print("| photos | n | coarse accepted | close-up shortcut | full pass | full + close-up | det ms/request, "
          "coarse on | off | cheap-path faces: min cosine vs full path | < 0.99 | full path has no face there |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, r in coarse.items():
        p = r["passes"]
        cos = "–" if r["min_cos"] is None else f"{r['min_cos']:.4f}"
        div = ", ".join(r["diverged"]) or "0"
        print(f"| {name} | {r['n']} | {p.get('coarse', 0)} | {p.get('closeup', 0)} | {p.get('full', 0)} | "
              f"{p.get('full+closeup', 0)} | {r['det_on_ms']:.0f} | {r['det_off_ms']:.0f} | {cos} | {r['below_099']} | "
              f"{div} |")
