"""In-process CPU time per service call (FaceService, no HTTP), per input kind: what a code change costs or saves,
robust to a shared machine (process CPU time, not wall time; the figures still rise some under heavy load, so compare
runs taken side by side). Prints one JSON line: median over rounds of the mean CPU ms per call.

Runs against whichever checkout is on PYTHONPATH, so that two commits can be compared in alternation:

    python -m bench.service_cpu [--rounds 5] [--per 3]
    git worktree add /tmp/base <commit>; cp bench/service_cpu.py /tmp/   # an older commit has no such script
    (cd /tmp/base && PYTHONPATH=. python /tmp/service_cpu.py)            # run in alternation with the line above
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable

from function.config import Settings
from function.engine import FaceEngine
from function.imaging import decode_image
from function.models import load_pack, resolve_pack_name
from function.service import FaceService
from tests.support.photos import DATA, wheel_photo


def calls(svc: FaceService, engine: FaceEngine) -> dict[str, Callable[[], object]]:
    portrait = wheel_photo("yaoming.jpg").read_bytes()
    players = wheel_photo("players.jpg").read_bytes()
    crops = [p.read_bytes() for p in DATA.lfw_images[:10]]
    return {
        "extract portrait": lambda: svc.extract(portrait),
        "extract close-up (mean of 10 LFW)": lambda: [svc.extract(b, "largest") for b in crops],
        "detect players.jpg (22 faces)": lambda: svc.detect(players),
        "decode + detect players.jpg, no quality": lambda: engine.detect(decode_image(players).pixels),
        "detect close-up (mean of 10 LFW)": lambda: [svc.detect(b) for b in crops],
        "detect portrait": lambda: svc.detect(portrait),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per", type=int, default=3, help="calls per round")
    args = parser.parse_args()
    settings = Settings.from_env()
    pack = resolve_pack_name(settings.model_dir, settings.model_pack)
    engine = FaceEngine.from_pack(load_pack(settings.model_dir, pack), settings.engine_config())
    svc = FaceService(engine, settings.decode_limits(), settings.threshold_for(pack),
                      settings.quality_thresholds())
    todo = calls(svc, engine)
    for f in todo.values():
        f()
    out: dict[str, list[float]] = {k: [] for k in todo}
    for _ in range(args.rounds):
        for k, f in todo.items():
            t0 = time.process_time()
            for _ in range(args.per):
                f()
            per_call = 1000 * (time.process_time() - t0) / args.per
            out[k].append(per_call / 10 if "mean of 10" in k else per_call)
    print(json.dumps({"load_average": os.getloadavg()[0], "threads": engine.config.threads,
                      **{k: round(statistics.median(v), 1) for k, v in out.items()}}))


if __name__ == "__main__":
    main()
