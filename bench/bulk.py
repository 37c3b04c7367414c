"""make bench-bulk: bulk embedding throughput per vCPU, buffalo_sc measured and buffalo_l on timing proxies, and
what a million photos cost and take on Lambda (docs/bulk.md).

Every photo goes through the batch core as the batch function runs it (function/batch/core.py: read, the service's
extract, the JSON line), on buffalo_sc with its model calls recorded (bench/engines.py); the same calls are then
replayed on the buffalo_l timing proxies, so

    buffalo_l-scale time per photo = batch-core wall time on buffalo_sc - buffalo_sc model time + proxy model time

Side by side in the same run: the same photos as one API request each (/extract-embedding through the app, in
process: the reference), and the bare model time (the floor). One ONNX Runtime thread = one vCPU, which is what
Lambda credits at 1,769 MB. Cases: one-face portraits (LFW crops, face=single) and group photos (all=true).

    python -m bench.bulk [--portraits 60] [--repeats 3] [--threads 1] [--batch 100]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from functools import partial
from pathlib import Path
from typing import Any

from bench.common import LAMBDA_GB_SECOND, LAMBDA_REQUEST, log, save_results, summary, utc_now
from bench.engines import DEFAULT_PROXIES, bench_settings, ensure_proxy_pack, recorded_pair
from function.batch.core import BatchJob, Options
from function.batch.sources import LocalReader, PhotoRef
from function.config import DEFAULT_MODEL_DIR
from function.deadline import Deadline
from function.models.bake import bake_buffalo_sc, is_baked
from function.startup import build_service
from tests.support.photos import DATA, faces_dir
from tests.support.services import PACK

LAMBDA_MB = 1769  # one vCPU of credit
# Request prices, US East (N. Virginia). Sources and the dates they were read: docs/bulk.md, "Prices".
STEP_FUNCTIONS_TRANSITION = 0.025 / 1000
TRANSITIONS_PER_BATCH = 3  # a child execution: its start, the Embed task, its end (an estimate; retries add more)
SQS_REQUEST = 0.40 / 1e6
SQS_REQUESTS_PER_PHOTO = 1.2  # S3's SendMessage per upload + Lambda's batched ReceiveMessage/DeleteMessage (10 a call)
S3_GET = 0.0004 / 1000  # GET and HEAD
S3_PUT = 0.005 / 1000  # PUT and LIST
SQS_BATCH = 10


def photo_sets(n_portraits: int) -> dict[str, tuple[Path, list[str], Options]]:
    big = faces_dir()
    lfw_root = (big.root if big else DATA.root)
    portraits = sorted(str(p.relative_to(lfw_root)) for p in (big.lfw_images if big else DATA.lfw_images))
    step = max(1, len(portraits) // n_portraits)
    portraits = portraits[::step][:n_portraits]
    group = [str(p.relative_to(DATA.root)) for p in DATA.group_photos]
    return {"one-face portraits (LFW, face=single)": (lfw_root, portraits, Options()),
            "group photos (all=true)": (DATA.root, group, Options(all_faces=True))}


def measure(model_dir: Path, threads: int, n_portraits: int, repeats: int) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from function.api.app import create_app

    sc, calls, replayer = recorded_pair(model_dir, threads)
    settings = bench_settings(model_dir, PACK, threads)
    service = build_service(settings, sc, PACK)
    client = TestClient(create_app(settings, engine=sc))
    out: dict[str, Any] = {}
    for case, (root, keys, options) in photo_sets(n_portraits).items():
        job = BatchJob(service, PACK, options, 60.0)
        reader = LocalReader(root, settings.max_s3_bytes)
        refs = [PhotoRef(k) for k in keys]
        rounds: dict[str, list[float]] = {"batch_sc": [], "batch_l": [], "floor_sc": [], "floor_l": [], "api_sc": []}
        per_photo: dict[str, list[float]] = {"batch_sc": [], "batch_l": []}
        faces = errors = 0
        for rep in range(repeats + 1):  # round 0 warms every path and is dropped
            tot = dict.fromkeys(rounds, 0.0)
            faces = errors = 0
            for ref in refs:
                calls.clear()
                t0 = time.perf_counter()
                line = job.photo(ref, partial(reader.read, ref), Deadline.after(60.0))
                wall = time.perf_counter() - t0
                recorded = list(calls)
                sc_models = sum(c.seconds for c in recorded)
                proxy = replayer.replay(recorded)
                faces += len(line.faces or ())
                errors += 0 if line.ok else 1
                t0 = time.perf_counter()
                params = {"all": "true"} if options.all_faces else {}
                client.post("/extract-embedding", params=params, files={"image": (ref.key, (root / ref.key).read_bytes(), "image/jpeg")})
                api = time.perf_counter() - t0
                for k, v in (("batch_sc", wall), ("batch_l", wall - sc_models + proxy), ("floor_sc", sc_models),
                             ("floor_l", proxy), ("api_sc", api)):
                    tot[k] += v
                if rep:
                    per_photo["batch_sc"].append(wall)
                    per_photo["batch_l"].append(wall - sc_models + proxy)
            if rep:
                for k in rounds:
                    rounds[k].append(len(refs) / tot[k])  # photos per second
        out[case] = {"photos": len(refs), "faces": faces, "errors": errors,
                     "photos_per_s": {k: summary(v) for k, v in rounds.items()},
                     "seconds_per_photo": {k: summary(v) for k, v in per_photo.items()},
                     "mean_seconds_per_photo": {k: statistics.fmean(v) for k, v in per_photo.items()}}
        log(f"{case}: {json.dumps(out[case]['photos_per_s'], default=lambda x: round(x, 3))[:400]}")
    return out


def cost_and_time(mean_s: float, batch: int) -> dict[str, float]:
    """Per million photos at LAMBDA_MB (1 vCPU), one photo after another in each invocation."""
    gb = LAMBDA_MB / 1024
    lam_compute = mean_s * gb * LAMBDA_GB_SECOND * 1e6
    s3 = 2 * S3_GET * 1e6 + S3_PUT * (1e6 / 1000)  # HEAD + GET per photo, ListObjectsV2 pages of 1,000
    map_batches = 1e6 / batch
    sqs_batches = 1e6 / SQS_BATCH
    return {
        "lambda_gb_s": mean_s * gb * 1e6,
        "lambda_compute_usd": lam_compute,
        "map_usd": lam_compute + map_batches * LAMBDA_REQUEST + s3 + map_batches * S3_PUT
        + map_batches * TRANSITIONS_PER_BATCH * STEP_FUNCTIONS_TRANSITION,
        "map_step_functions_usd": map_batches * TRANSITIONS_PER_BATCH * STEP_FUNCTIONS_TRANSITION,
        "sqs_usd": lam_compute + sqs_batches * LAMBDA_REQUEST + 2 * S3_GET * 1e6 + sqs_batches * S3_PUT
        + SQS_REQUESTS_PER_PHOTO * 1e6 * SQS_REQUEST,
        "sqs_requests_usd": SQS_REQUESTS_PER_PHOTO * 1e6 * SQS_REQUEST,
        "hours_at_100": mean_s * 1e6 / 100 / 3600,
        "hours_at_1000": mean_s * 1e6 / 1000 / 3600,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--proxies", type=Path, default=DEFAULT_PROXIES)
    p.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR)
    p.add_argument("--portraits", type=int, default=60)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", default="1", help="ONNX Runtime thread counts (1 = one vCPU)")
    p.add_argument("--batch", type=int, default=100, help="photos per Distributed Map batch (BulkBatchSize)")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    if not is_baked(args.model_dir, PACK):
        bake_buffalo_sc(args.model_dir)
    ensure_proxy_pack(args.model_dir, args.proxies)
    big = faces_dir()
    results: dict[str, Any] = {
        "date": utc_now(), "machine": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(), "load_before": os.getloadavg(), "faces_dir": str(big.root) if big else None,
        "runs": {}}
    for t in (int(x) for x in args.threads.split(",")):
        results["runs"][t] = measure(args.model_dir, t, args.portraits, args.repeats)
    results["load_after"] = os.getloadavg()
    one = results["runs"].get(1) or next(iter(results["runs"].values()))
    results["cost"] = {case: {pack: cost_and_time(r["mean_seconds_per_photo"][key], args.batch)
                              for pack, key in ((PACK, "batch_sc"), ("buffalo_l", "batch_l"))}
                       for case, r in one.items()}
    print_tables(results, args.batch)
    log(f"results: {save_results(results, 'bulk', args.json)}")
    return 0


def print_tables(results: dict[str, Any], batch: int) -> None:
    print(f"\n{results['date']}, {results['cpus']} CPUs, load {results['load_before']} -> {results['load_after']}\n")
    print("### Photos per second (median over the rounds; min–max)\n")
    print("| case | threads | batch core buffalo_sc | API reference buffalo_sc | model floor buffalo_sc | "
          "batch core buffalo_l est. | model floor buffalo_l proxies | faces | errors |")
    print("|---|---|---|---|---|---|---|---|---|")
    for t, run in results["runs"].items():
        for case, r in run.items():
            pps = r["photos_per_s"]

            def cell(k: str, pps: dict[str, Any] = pps) -> str:
                return f"{pps[k]['median']:.2f} ({pps[k]['min']:.2f}–{pps[k]['max']:.2f})"
            print(f"| {case} ({r['photos']}) | {t} | {cell('batch_sc')} | {cell('api_sc')} | {cell('floor_sc')} | "
                  f"{cell('batch_l')} | {cell('floor_l')} | {r['faces']} | {r['errors']} |")
    print(f"\n### A million photos on Lambda at {LAMBDA_MB} MB (1 vCPU), Distributed Map batches of {batch}\n")
    print("| case | pack | GB-s | Lambda compute $ | Map total $ (Step Functions $) | SQS total $ (SQS $) | "
          "hours at MaxConcurrency 100 | at 1,000 |")
    print("|---|---|---|---|---|---|---|---|")
    for case, packs in results["cost"].items():
        for pack, c in packs.items():
            print(f"| {case} | {pack} | {c['lambda_gb_s']:,.0f} | {c['lambda_compute_usd']:.2f} | "
                  f"{c['map_usd']:.2f} ({c['map_step_functions_usd']:.2f}) | {c['sqs_usd']:.2f} "
                  f"({c['sqs_requests_usd']:.2f}) | {c['hours_at_100']:.2f} | {c['hours_at_1000']:.2f} |")


if __name__ == "__main__":
    raise SystemExit(main())
