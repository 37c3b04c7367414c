"""make bench: our service vs the seed-style reference, side by side, same run.

Measures, over real HTTP on 127.0.0.1 against fresh server processes (both from bench/server.py):
  cold start   spawn -> first successful /extract-embedding answer, >= 5 fresh processes each, interleaved
  warm latency per route and photo (1 face, players.jpg 22 faces, an LFW crop, a 4000x3000 JPEG made by
               upscaling), median and p90 over >= 30 calls, ours and reference interleaved, and their ratio
  floor        raw ONNX Runtime det + rec on the same inputs (the exact session calls our pipeline makes, and
               the classic 640x640 det + rec), plus decode; our overhead over it (bench/engines.py: Floor)
  time split   per route and input kind (portrait, group, close-up, 4000x3000): our server's stage times from its
               Server-Timing header (SERVER_TIMING=true: read, decode, detect, align, quality, embed, answer), the rest
               of its time, and HTTP (client wall - server total), beside the floor and the reference
  memory       peak RSS (VmHWM) of every server process: after the single-client calls, after the 4- and 8-client
               runs, after 4 clients on close-ups
  throughput   4 and 8 concurrent clients, a fixed number of /extract-embedding requests: req/s and errors,
               against the ceiling 2 cores allow (CPUs / server CPU seconds per request); 4 clients on close-ups
  before       --before CHECKOUT: another checkout of this service (a git worktree of the base commit) served beside
               ours in the warm phase with our requests, then on close-ups with 4 clients: before/after from one run;
               --before-env NAME=VALUE gives it a setting (an A/B of one variable on the same code)
Prints tables and issue #19's targets (bench/report.py) and writes JSON to bench/results/. The machine may be
shared: conclusions use medians and ratios measured in the same run, never absolute times from another run.

    python -m bench.bench [--rounds 30] [--cold 5] [--requests 96] [--quick] [--before DIR [--before-env K=V]]
"""

from __future__ import annotations

import argparse
import http.client
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import cv2

from bench.common import log, machine, med, p10, p90, save_results, utc_now
from bench.engines import Floor
from bench.report import report, targets
from bench.server import Request, Server, post, post_timed, reference_server, service_server
from function.config import available_cpus
from function.events import multipart
from tests.support.photos import DATA, wheel_photo

Case = tuple[str, Request, Request]  # (label, our request, the reference's request)


def make_photos(tmp: Path) -> dict[str, Path]:
    """The four photos: 1 face, 22 faces, an LFW crop, and a 4000x3000 JPEG upscaled from the 1-face photo
    (edge-extended to 4:3 first, so the face keeps its shape)."""
    one = wheel_photo("yaoming.jpg")
    img = cv2.imread(str(one))
    if img is None:
        raise ValueError(f"OpenCV cannot read {one}")
    h, w = img.shape[:2]
    want_w = round(h * 4 / 3)
    if want_w > w:
        left = (want_w - w) // 2
        img = cv2.copyMakeBorder(img, 0, 0, left, want_w - w - left, cv2.BORDER_REPLICATE)
    big = cv2.resize(img, (4000, 3000), interpolation=cv2.INTER_CUBIC)
    big_path = tmp / "big_4000x3000.jpg"
    cv2.imwrite(str(big_path), big, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return {"1face": one, "players22": wheel_photo("players.jpg"), "lfw": DATA.lfw_pairs[0].image1, "4000x3000": big_path}


def cases(photos: dict[str, Path]) -> list[Case]:
    """players.jpg on /extract-embedding asks us for ?face=largest, which is what the reference does with several
    faces."""
    data = {k: p.read_bytes() for k, p in photos.items()}
    out = []
    for key in photos:
        body, ctype = multipart({"image": data[key]})
        out.append((f"/detect {key}", Request("/detect", body, ctype), Request("/detect", body, ctype)))
        q = "?face=largest" if key == "players22" else ""
        out.append((f"/extract-embedding {key}", Request("/extract-embedding" + q, body, ctype),
                    Request("/extract-embedding", body, ctype)))
    body, ctype = multipart({"image1": data["1face"], "image2": data["4000x3000"]})
    out.append(("/compare 1face+4000x3000", Request("/compare", body, ctype), Request("/compare", body, ctype)))
    return out


def closeup_requests() -> list[Request]:
    """`/extract-embedding?face=largest` on each of the repository's LFW crops (tight 250x250 face crops)."""
    out = []
    for path in DATA.lfw_images:
        body, ctype = multipart({"image": path.read_bytes()})
        out.append(Request("/extract-embedding?face=largest", body, ctype))
    return out


def servers() -> tuple[Server, Server]:
    """Ours (with its Server-Timing header) and the seed-style reference, on buffalo_sc."""
    return service_server("ours", {"SERVER_TIMING": "true"}), reference_server()


def cold_start(n: int, ready: Request) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for i in range(n):
        pair = servers()
        for server in (pair if i % 2 == 0 else pair[::-1]):
            server.start()
            try:
                t = server.wait_ready(ready)
                rec = out.setdefault(server.name, {"s": [], "cpu_s": [], "peak_rss_mb": []})
                rec["s"].append(t)
                rec["cpu_s"].append(server.cpu_s())
                rec["peak_rss_mb"].append(server.peak_rss_mb())
            finally:
                server.stop()
        log(f"  cold start {i + 1}/{n}: " + ", ".join(f"{k} {v['s'][-1]:.3f}s" for k, v in out.items()))
    for rec in out.values():
        rec["median_s"], rec["min_s"], rec["max_s"] = med(rec["s"]), min(rec["s"]), max(rec["s"])
        rec["median_cpu_s"] = med(rec["cpu_s"])
    return out


def warm(ours: Server, ref: Server, case_list: list[Case], rounds: int, floor: Floor,
         settle_s: float = 0.0, before: Server | None = None) -> dict[str, Any]:
    """Warm latency per case, ours and the reference interleaved (and `before`, another checkout of this service
    given our requests, when there is one)."""
    names = ["ours", "reference"] + (["before"] if before else [])
    conns: dict[str, http.client.HTTPConnection | None] = dict.fromkeys(names)
    times: dict[str, dict[str, list[float]]] = {label: {n: [] for n in names} for label, _, _ in case_list}
    status: dict[str, dict[str, set[int]]] = {label: {n: set() for n in names} for label, _, _ in case_list}
    cpu = {label: dict.fromkeys(names, 0.0) for label, _, _ in case_list}
    split: dict[str, list[dict[str, float]]] = {label: [] for label, _, _ in case_list}  # ours: stages + HTTP

    def call(server: Server, req: Request, label: str | None = None) -> tuple[int, float]:
        """One request; with a label, our answer's stages (Server-Timing) and the HTTP remainder are kept."""
        if settle_s:
            time.sleep(settle_s)
        st, dt, conns[server.name], stages, _ = post_timed(server.port, req, conns[server.name])
        if label is not None and server is ours and stages:
            stages["HTTP"] = 1e3 * dt - stages.get("total", 0.0)
            split[label].append(stages)
        return st, dt

    for _label, r_ours, r_ref in case_list:  # one untimed call each: first-run allocations, page cache
        call(ours, r_ours)
        call(ref, r_ref)
        if before:
            call(before, r_ours)
    for i in range(rounds):
        for label, r_ours, r_ref in case_list:
            order = [(ours, r_ours), (ref, r_ref)] + ([(before, r_ours)] if before else [])
            order = order if i % 2 == 0 else order[::-1]
            for server, req in order:
                c0 = server.cpu_s()
                st, dt = call(server, req, label)
                cpu[label][server.name] += server.cpu_s() - c0
                times[label][server.name].append(dt)
                status[label][server.name].add(st)
        floor.sample()
        if (i + 1) % 10 == 0:
            log(f"  warm round {i + 1}/{rounds}")
    out: dict[str, Any] = {}
    for label in times:
        o, r = times[label]["ours"], times[label]["reference"]
        co, cr = 1e3 * cpu[label]["ours"] / len(o), 1e3 * cpu[label]["reference"] / len(r)
        out[label] = {"ours": {"median_ms": 1e3 * med(o), "p90_ms": 1e3 * p90(o), "cpu_ms": co,
                               "status": sorted(status[label]["ours"])},
                      "reference": {"median_ms": 1e3 * med(r), "p90_ms": 1e3 * p90(r), "cpu_ms": cr,
                                    "status": sorted(status[label]["reference"])},
                      "ratio": med(r) / med(o), "cpu_ratio": cr / co if co else float("nan")}
        out[label]["ours"]["p10_ms"] = 1e3 * p10(o)
        if before:
            b = times[label]["before"]
            out[label]["before"] = {"median_ms": 1e3 * med(b), "p10_ms": 1e3 * p10(b), "p90_ms": 1e3 * p90(b),
                                    "cpu_ms": 1e3 * cpu[label]["before"] / len(b),
                                    "status": sorted(status[label]["before"])}
        names = list(dict.fromkeys(k for stages in split[label] for k in stages))
        out[label]["ours"]["split_ms"] = {k: med([st.get(k, 0.0) for st in split[label]]) for k in names}
    return out


def cpu_per_request(server: Server, req: Request, n: int) -> float:
    """Server CPU seconds (user + system, all threads) per sequential request."""
    conn = None
    for _ in range(3):
        _, _, conn = post(server.port, req, conn)
    c0 = server.cpu_s()
    for _ in range(n):
        _, _, conn = post(server.port, req, conn)
    assert conn is not None
    conn.close()
    return (server.cpu_s() - c0) / n


def throughput(server: Server, req: Request | list[Request], clients: int, total: int) -> dict[str, Any]:
    """`total` requests from `clients` threads on kept-alive connections (a list of requests is cycled)."""
    reqs = req if isinstance(req, list) else [req]
    lock = threading.Lock()
    state = {"left": total, "errors": 0, "ok": 0}
    lat: list[float] = []

    def worker() -> None:
        conn: http.client.HTTPConnection | None = None
        while True:
            with lock:
                if state["left"] <= 0:
                    break
                state["left"] -= 1
                mine = reqs[state["left"] % len(reqs)]
            try:
                st, dt, conn = post(server.port, mine, conn)
                ok = st == 200
            except OSError:
                ok, dt, conn = False, 0.0, None
            with lock:
                state["ok" if ok else "errors"] += 1
                lat.append(dt)
        if conn:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    c0 = server.cpu_s()
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    cores = (server.cpu_s() - c0) / wall
    return {"clients": clients, "requests": total, "ok": state["ok"], "errors": state["errors"], "wall_s": wall,
            "server_cores_used": cores,
            "rps": state["ok"] / wall, "median_ms": 1e3 * med(lat), "p90_ms": 1e3 * p90(lat)}


def measure(args: argparse.Namespace, res: dict[str, Any]) -> None:
    """Cold start, then warm latency with the floor, throughput and peak RSS on one pair of warm servers."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        photos = make_photos(Path(tmp))
        case_list = cases(photos)
        ready_ours, ready_ref = case_list[1][1], case_list[1][2]  # /extract-embedding 1face
        log("cold start ...")
        res["cold_start"] = cold_start(args.cold, ready_ours)
        log("warm latency ...")
        ours, ref = servers()
        before = service_server("before", dict(item.split("=", 1) for item in args.before_env),
                                args.before) if args.before else None
        try:
            for s, r in ((ours, ready_ours), (ref, ready_ref), *(((before, ready_ours),) if before else ())):
                s.start()
                s.wait_ready(r)
            floor = Floor(photos)
            res["warm"] = warm(ours, ref, case_list, args.rounds, floor, args.settle, before)
            if before:
                res["peak_rss_mb_before"] = before.peak_rss_mb()
                res["before"] = " ".join([str(args.before), *args.before_env])
                res["throughput_closeup_before"] = throughput(before, closeup_requests(), 4, args.requests)
                res["peak_rss_mb_before_end"] = before.peak_rss_mb()
                before.stop()
            res["floor"] = floor.result()
            del floor
            res["peak_rss_mb_single"] = {s.name: s.peak_rss_mb() for s in (ours, ref)}
            log("throughput ...")
            res["throughput"] = {}
            for s, r in ((ours, ready_ours), (ref, ready_ref)):
                cpu = cpu_per_request(s, r, max(args.rounds, 20))
                runs = [throughput(s, r, c, args.requests) for c in (4, 8)]
                res["throughput"][s.name] = {"cpu_s_per_request": cpu, "runs": runs}
            res["peak_rss_mb_4"] = {s.name: s.peak_rss_mb() for s in (ours, ref)}
            # Close-ups, 4 clients (the reference finds none of these faces): the repository's LFW crops, cycled
            res["throughput_closeup"] = throughput(ours, closeup_requests(), 4, args.requests)
            res["peak_rss_mb"] = {s.name: s.peak_rss_mb() for s in (ours, ref)}
        finally:
            ours.stop()
            ref.stop()
            if before:
                before.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="ours vs the seed-style reference, side by side")
    parser.add_argument("--rounds", type=int, default=30, help="warm calls per route and photo (>= 30)")
    parser.add_argument("--cold", type=int, default=5, help="fresh processes per server for cold start")
    parser.add_argument("--requests", type=int, default=96, help="requests per throughput run")
    parser.add_argument("--quick", action="store_true", help="5 rounds, 2 cold starts, 24 requests (smoke test)")
    parser.add_argument("--settle", type=float, default=0.0,
                        help="seconds of pause before each warm call (lets the other server's threads go idle)")
    parser.add_argument("--before", type=Path, default=None,
                        help="another checkout of this service (e.g. a git worktree of the base commit): served beside "
                             "ours in the warm phase, given the same requests, for before/after figures from one run")
    parser.add_argument("--before-env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable for the --before server only (repeatable): a setting's A/B")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.cold, args.requests = 5, 2, 24
    res: dict[str, Any] = {"machine": machine(), "date": utc_now(), "cpus": available_cpus(), "rounds": args.rounds}
    measure(args, res)
    res["targets"] = targets(res)
    print("\n".join(report(res)))
    print(f"\nwrote {save_results(res, 'bench', args.json, default=list)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
