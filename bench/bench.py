"""make bench: our service vs the seed-style reference (bench/seed_reference.py), side by side, same run.

Measures, over real HTTP on 127.0.0.1 against fresh server processes:
  cold start   spawn -> first successful /extract-embedding answer, >= 5 fresh processes each, interleaved
  warm latency per route and photo (1 face, players.jpg 22 faces, an LFW crop, a 4000x3000 JPEG made by
               upscaling), median and p90 over >= 30 calls, ours and reference interleaved, and their ratio
  floor        raw ONNX Runtime det + rec on the same inputs (the exact session calls our pipeline makes, and
               the classic 640x640 det + rec), plus decode; our overhead over it
  memory       peak RSS (VmHWM) of every server process
  throughput   4 and 8 concurrent clients, a fixed number of /extract-embedding requests: req/s and errors,
               against the ceiling 2 cores allow (CPUs / server CPU seconds per request)
Prints a table and writes JSON to bench/results/. The machine may be shared: conclusions use medians and
ratios measured in the same run, never absolute times from another run.

    python -m bench.bench [--rounds 30] [--cold 5] [--requests 96] [--quick]
    python -m bench.bench --scale buffalo_l ...   (hands over to bench/scale.py, issue #6, when present)
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from bench.save import save_results
from function.config import REPO_ROOT, Settings, available_cpus
from tests.photos import DATA, wheel_photo
from tests.support import free_port

PACK = "buffalo_sc"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# -- photos -------------------------------------------------------------------------------------------------------
def make_photos(tmp: Path) -> dict[str, Path]:
    """The four photos: 1 face, 22 faces, an LFW crop, and a 4000x3000 JPEG upscaled from the 1-face photo
    (edge-extended to 4:3 first, so the face keeps its shape)."""
    one = wheel_photo("yaoming.jpg")
    img = cv2.imread(str(one))
    h, w = img.shape[:2]
    want_w = int(round(h * 4 / 3))
    if want_w > w:
        left = (want_w - w) // 2
        img = cv2.copyMakeBorder(img, 0, 0, left, want_w - w - left, cv2.BORDER_REPLICATE)
    big = cv2.resize(img, (4000, 3000), interpolation=cv2.INTER_CUBIC)
    big_path = tmp / "big_4000x3000.jpg"
    cv2.imwrite(str(big_path), big, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return {"1face": one, "players22": wheel_photo("players.jpg"), "lfw": DATA.lfw_pairs[0].image1, "4000x3000": big_path}


def multipart(fields: dict[str, bytes]) -> tuple[bytes, str]:
    boundary = "benchboundary7d1f"
    parts = []
    for name, data in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{name}.jpg"\r\n'
                     f"Content-Type: image/jpeg\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@dataclass(frozen=True)
class Request:
    path: str
    body: bytes
    ctype: str


# -- servers ------------------------------------------------------------------------------------------------------
def post(port: int, req: Request, conn: http.client.HTTPConnection | None = None, timeout: float = 120.0):
    """(status, seconds, connection to reuse). A kept-alive connection the server has closed meanwhile (uvicorn
    drops idle ones after 5 s, which a slow reference call between two of ours can exceed) is reopened once."""
    for attempt in (0, 1):
        reused = conn is not None
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            t0 = time.perf_counter()
            conn.request("POST", req.path, body=req.body, headers={"Content-Type": req.ctype})
            resp = conn.getresponse()
            resp.read()
            return resp.status, time.perf_counter() - t0, conn
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            conn.close()
            conn = None
            if not reused or attempt:
                raise
    raise AssertionError("unreachable")


@dataclass
class Server:
    name: str
    argv: list[str]
    env: dict[str, str]
    port: int = 0
    proc: subprocess.Popen | None = None
    t_spawn: float = 0.0
    logfile: Path | None = None

    def start(self) -> None:
        self.port = free_port()
        env = dict(os.environ, **self.env, PORT=str(self.port), HOST="127.0.0.1")
        argv = [a.replace("{port}", str(self.port)) for a in self.argv]
        self.logfile = Path(tempfile.mkstemp(prefix=f"bench-{self.name}-", suffix=".log")[1])
        self.t_spawn = time.perf_counter()
        self.proc = subprocess.Popen(argv, env=env, cwd=REPO_ROOT, stdout=subprocess.DEVNULL,
                                     stderr=open(self.logfile, "wb"))

    def wait_ready(self, req: Request, timeout: float = 120.0) -> float:
        """Seconds from spawn to the first 200 answer to `req`."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.logfile.read_text()[-2000:]}")
            try:
                status, _, conn = post(self.port, req)
                conn.close()
                if status == 200:
                    return time.perf_counter() - self.t_spawn
            except OSError:
                pass
            time.sleep(0.005)
        raise RuntimeError(f"{self.name} not ready after {timeout}s")

    def _proc_file(self, name: str) -> str:
        return Path(f"/proc/{self.proc.pid}/{name}").read_text()

    def peak_rss_mb(self) -> float:
        for line in self._proc_file("status").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def cpu_s(self) -> float:
        fields = self._proc_file("stat").rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.logfile:
            self.logfile.unlink(missing_ok=True)


def servers() -> tuple[Server, Server]:
    env = {"MODEL_PACK": PACK, "LOG_LEVEL": "WARNING"}
    ours = Server("ours", [sys.executable, "-m", "function"], env)
    ref = Server("reference", [sys.executable, "-m", "bench.seed_reference", "--port", "{port}"], env)
    return ours, ref


# -- statistics ---------------------------------------------------------------------------------------------------
def med(xs: list[float]) -> float:
    return float(statistics.median(xs)) if xs else float("nan")


def p90(xs: list[float]) -> float:
    return float(np.percentile(xs, 90)) if xs else float("nan")


# -- measurements -------------------------------------------------------------------------------------------------
def cold_start(n: int, ready: Request) -> dict:
    out: dict[str, dict] = {}
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


def cases(photos: dict[str, Path]) -> list[tuple[str, Request, Request]]:
    """(label, our request, reference request). players.jpg on /extract-embedding asks us for ?face=largest,
    which is what the reference does with several faces."""
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


def warm(ours: Server, ref: Server, case_list, rounds: int, floor: Floor) -> dict:
    conns: dict[str, http.client.HTTPConnection | None] = {"ours": None, "reference": None}
    times = {label: {"ours": [], "reference": []} for label, _, _ in case_list}
    status = {label: {"ours": set(), "reference": set()} for label, _, _ in case_list}
    cpu = {label: {"ours": 0.0, "reference": 0.0} for label, _, _ in case_list}

    def call(server: Server, req: Request) -> tuple[int, float]:
        st, dt, conns[server.name] = post(server.port, req, conns[server.name])
        return st, dt

    for label, r_ours, r_ref in case_list:  # one untimed call each: first-run allocations, page cache
        call(ours, r_ours)
        call(ref, r_ref)
    for i in range(rounds):
        for label, r_ours, r_ref in case_list:
            order = ((ours, r_ours), (ref, r_ref)) if i % 2 == 0 else ((ref, r_ref), (ours, r_ours))
            for server, req in order:
                c0 = server.cpu_s()
                st, dt = call(server, req)
                cpu[label][server.name] += server.cpu_s() - c0
                times[label][server.name].append(dt)
                status[label][server.name].add(st)
        floor.sample()
        if (i + 1) % 10 == 0:
            log(f"  warm round {i + 1}/{rounds}")
    out = {}
    for label in times:
        o, r = times[label]["ours"], times[label]["reference"]
        co, cr = 1e3 * cpu[label]["ours"] / len(o), 1e3 * cpu[label]["reference"] / len(r)
        out[label] = {"ours": {"median_ms": 1e3 * med(o), "p90_ms": 1e3 * p90(o), "cpu_ms": co,
                               "status": sorted(status[label]["ours"])},
                      "reference": {"median_ms": 1e3 * med(r), "p90_ms": 1e3 * p90(r), "cpu_ms": cr,
                                    "status": sorted(status[label]["reference"])},
                      "ratio": med(r) / med(o), "cpu_ratio": cr / co if co else float("nan")}
    return out


def cpu_per_request(server: Server, req: Request, n: int) -> float:
    """Server CPU seconds (user + system, all threads) per sequential request."""
    conn = None
    for _ in range(3):
        _, _, conn = post(server.port, req, conn)
    c0 = server.cpu_s()
    for _ in range(n):
        _, _, conn = post(server.port, req, conn)
    conn.close()
    return (server.cpu_s() - c0) / n


def throughput(server: Server, req: Request, clients: int, total: int) -> dict:
    lock = threading.Lock()
    state = {"left": total, "errors": 0, "ok": 0}
    lat: list[float] = []

    def worker() -> None:
        conn = None
        while True:
            with lock:
                if state["left"] <= 0:
                    break
                state["left"] -= 1
            try:
                st, dt, conn = post(server.port, req, conn)
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


class Floor:
    """Raw ONNX Runtime time of the session calls our pipeline makes for each photo (captured from a real engine
    with the served settings, then replayed on the bare sessions), the classic 640x640 det + 1 rec, and the decode
    time. sample() is called once per warm round, between the HTTP calls, so the floor sees the same machine load
    as the servers; wall and CPU (this process, all threads) are both kept."""

    def __init__(self, photos: dict[str, Path]) -> None:
        from function.engine import FaceEngine
        from function.imaging import decode_image
        from function.models import load_pack

        settings = Settings.from_env({**os.environ, "MODEL_PACK": PACK})
        self.threads = settings.threads
        engine = FaceEngine.from_pack(load_pack(settings.model_dir, PACK), settings.engine_config())
        limits = settings.decode_limits()
        calls: list[tuple[object, list[str], dict]] = []

        class Recorder:
            def __init__(self, session):
                self.session = session

            def run(self, names, feeds):
                calls.append((self.session, names, {k: v.copy() for k, v in feeds.items()}))
                return self.session.run(names, feeds)

            def __getattr__(self, item):
                return getattr(self.session, item)

        det_s, rec_s = engine.detector.session, engine.recognizer.session
        engine.detector.session, engine.recognizer.session = Recorder(det_s), Recorder(rec_s)
        classic = {engine.detector.input_name:
                   np.random.default_rng(0).standard_normal((1, 3, 640, 640)).astype(np.float32)}
        rec_blob = {engine.recognizer.input_name:
                    np.random.default_rng(1).standard_normal((1, 3, 112, 112)).astype(np.float32)}
        self.probes: dict[str, object] = {"det640": lambda: det_s.run(None, classic),
                                          "rec1": lambda: rec_s.run(None, rec_blob)}
        self.calls: dict[str, list] = {}
        for key, path in photos.items():
            data = path.read_bytes()
            decoded = decode_image(data, limits)
            calls.clear()
            faces = engine.detect(decoded.pixels, purpose="one" if key != "players22" else "all")
            engine.embed(decoded.pixels, faces[:1])
            extract = list(calls)
            calls.clear()
            engine.detect(decoded.pixels, purpose="all")
            detect = list(calls)
            self.calls[key] = [tuple(next(iter(f.values())).shape) for _, _, f in extract]
            self.probes[f"{key} decode"] = lambda data=data: decode_image(data, limits)
            self.probes[f"{key} extract"] = lambda c=extract: [s.run(n, f) for s, n, f in c]
            self.probes[f"{key} detect"] = lambda c=detect: [s.run(n, f) for s, n, f in c]
        for fn in self.probes.values():
            fn()
        self.wall: dict[str, list[float]] = {k: [] for k in self.probes}
        self.cpu: dict[str, list[float]] = {k: [] for k in self.probes}

    def sample(self) -> None:
        for key, fn in self.probes.items():
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            self.wall[key].append(time.perf_counter() - t0)
            self.cpu[key].append(time.process_time() - c0)

    def result(self) -> dict:
        w = {k: 1e3 * med(v) for k, v in self.wall.items()}
        c = {k: 1e3 * float(np.mean(v)) for k, v in self.cpu.items()}
        photos = {key: {"decode_ms": w[f"{key} decode"], "extract_floor_ms": w[f"{key} extract"],
                        "detect_floor_ms": w[f"{key} detect"], "decode_cpu_ms": c[f"{key} decode"],
                        "extract_floor_cpu_ms": c[f"{key} extract"], "detect_floor_cpu_ms": c[f"{key} detect"],
                        "extract_calls": calls} for key, calls in self.calls.items()}
        return {"det640_ms": w["det640"], "rec1_ms": w["rec1"], "det640_cpu_ms": c["det640"],
                "rec1_cpu_ms": c["rec1"], "photos": photos, "threads": self.threads,
                "samples": len(self.wall["rec1"])}


# -- report -------------------------------------------------------------------------------------------------------
def report(res: dict) -> list[str]:
    lines = []
    add = lines.append
    add(f"machine: {res['machine']}; {res['date']}; pack {PACK}")
    cs = res["cold_start"]
    add("\ncold start (spawn -> first 200 from /extract-embedding 1face), fresh processes, interleaved")
    add(f"{'server':<10} {'n':>3} {'median s':>9} {'min s':>7} {'max s':>7} {'CPU s (median)':>15} {'peak RSS MB':>12}")
    for k, v in cs.items():
        add(f"{k:<10} {len(v['s']):>3} {v['median_s']:>9.3f} {v['min_s']:>7.3f} {v['max_s']:>7.3f} "
            f"{v['median_cpu_s']:>15.3f} {max(v['peak_rss_mb']):>12.0f}")
    add(f"ratio reference/ours: {cs['reference']['median_s'] / cs['ours']['median_s']:.2f}x wall, "
        f"{cs['reference']['median_cpu_s'] / cs['ours']['median_cpu_s']:.2f}x CPU")
    add(f"\nwarm latency over HTTP, {res['rounds']} calls each, interleaved (ms)")
    add(f"{'route photo':<32} {'ours med':>8} {'p90':>6} {'ref med':>8} {'p90':>7} {'ref/ours':>8} "
        f"{'CPU ours':>8} {'CPU ref':>8} {'ref/ours':>8}  status o/r")
    for label, v in res["warm"].items():
        o, r = v["ours"], v["reference"]
        add(f"{label:<32} {o['median_ms']:>8.1f} {o['p90_ms']:>6.1f} {r['median_ms']:>8.1f} {r['p90_ms']:>7.1f} "
            f"{v['ratio']:>7.1f}x {o['cpu_ms']:>8.1f} {r['cpu_ms']:>8.1f} {v['cpu_ratio']:>7.1f}x  "
            f"{','.join(map(str, o['status']))}/{','.join(map(str, r['status']))}")
    fl = res["floor"]
    add(f"\nfloor: raw ONNX Runtime ({fl['threads']} intra-op threads) in the bench process, sampled once per warm "
        f"round between the HTTP calls ({fl['samples']} samples): median wall ms / mean CPU ms")
    add(f"classic det 640x640 + rec 1 face: {fl['det640_ms'] + fl['rec1_ms']:.1f} ms wall "
        f"({fl['det640_ms']:.1f} + {fl['rec1_ms']:.1f}), {fl['det640_cpu_ms'] + fl['rec1_cpu_ms']:.1f} ms CPU")
    add(f"{'route photo':<28} {'decode':>7} {'floor':>7} {'HTTP':>7} {'wall x':>7}   {'CPU: floor+dec':>14} "
        f"{'server':>7} {'CPU x':>6}  session calls")
    for key, v in fl["photos"].items():
        for route in ("extract", "detect"):
            label = f"/{'extract-embedding' if route == 'extract' else 'detect'} {key}"
            http = res["warm"][label]["ours"]
            floor_w = v[f"{route}_floor_ms"] + v["decode_ms"]
            floor_c = v[f"{route}_floor_cpu_ms"] + v["decode_cpu_ms"]
            add(f"{label:<28} {v['decode_ms']:>7.1f} {v[f'{route}_floor_ms']:>7.1f} {http['median_ms']:>7.1f} "
                f"{http['median_ms'] / floor_w:>6.2f}x   {floor_c:>14.1f} {http['cpu_ms']:>7.1f} "
                f"{http['cpu_ms'] / floor_c:>5.2f}x  {v['extract_calls'] if route == 'extract' else ''}")
    add(f"\nthroughput, /extract-embedding 1face, ceiling = {res['cpus']} CPUs / server CPU per request")
    add(f"{'server':<10} {'CPU ms/req':>10} {'ceiling r/s':>11} {'clients':>7} {'req':>5} {'r/s':>7} "
        f"{'of ceiling':>10} {'errors':>6} {'med ms':>7} {'p90 ms':>7} {'cores got':>9}")
    for name, v in res["throughput"].items():
        ceiling = res["cpus"] / v["cpu_s_per_request"]
        for t in v["runs"]:
            add(f"{name:<10} {1e3 * v['cpu_s_per_request']:>10.1f} {ceiling:>11.1f} {t['clients']:>7} "
                f"{t['requests']:>5} {t['rps']:>7.1f} {100 * t['rps'] / ceiling:>9.0f}% {t['errors']:>6} "
                f"{t['median_ms']:>7.1f} {t['p90_ms']:>7.1f} {t['server_cores_used']:>9.2f}")
    add("\npeak RSS of the warm servers (after every route, photo and the throughput runs): " +
        ", ".join(f"{k} {v:.0f} MB" for k, v in res["peak_rss_mb"].items()))
    add("\ntargets")
    for t in res["targets"]:
        add(f"  [{'PASS' if t['ok'] else 'MISS'}] {t['name']}: {t['value']}")
    return lines


def targets(res: dict) -> list[dict]:
    w, fl, cs = res["warm"], res["floor"], res["cold_start"]
    e1 = w["/extract-embedding 1face"]
    f1 = fl["photos"]["1face"]
    classic = fl["det640_ms"] + fl["rec1_ms"] + f1["decode_ms"]
    own = f1["extract_floor_ms"] + f1["decode_ms"]
    own_cpu = f1["extract_floor_cpu_ms"] + f1["decode_cpu_ms"]
    dp = w["/detect players22"]
    co, cr = cs["ours"]["median_s"], cs["reference"]["median_s"]
    rss = res["peak_rss_mb"]["ours"]
    tp = res["throughput"]["ours"]
    ceiling = res["cpus"] / tp["cpu_s_per_request"]
    t4 = next(t for t in tp["runs"] if t["clients"] == 4)
    eff = 100 * t4["rps"] * tp["cpu_s_per_request"] / max(t4["server_cores_used"], 1e-9)
    return [
        {"name": "/extract-embedding 1face >= 2x faster than reference", "ok": e1["ratio"] >= 2,
         "value": f"{e1['ratio']:.2f}x wall (CPU {e1['cpu_ratio']:.2f}x)"},
        {"name": "/extract-embedding 1face <= 1.15x (det640 + rec floor + decode)",
         "ok": e1["ours"]["median_ms"] <= 1.15 * classic,
         "value": f"{e1['ours']['median_ms']:.1f} ms vs {classic:.1f} ms = {e1['ours']['median_ms'] / classic:.2f}x "
                  f"(vs the floor of the calls we actually make, {own:.1f} ms: {e1['ours']['median_ms'] / own:.2f}x; "
                  f"server CPU {e1['ours']['cpu_ms']:.1f} ms vs floor CPU {own_cpu:.1f} ms: "
                  f"{e1['ours']['cpu_ms'] / own_cpu:.2f}x)"},
        {"name": "/detect players22 >= 25x faster than reference", "ok": dp["ratio"] >= 25,
         "value": f"{dp['ratio']:.1f}x wall (CPU {dp['cpu_ratio']:.1f}x)"},
        {"name": "cold start median <= 0.5 s", "ok": co <= 0.5, "value": f"{co:.3f} s"},
        {"name": "cold start >= 1.5x faster than reference", "ok": cr / co >= 1.5,
         "value": f"{cr / co:.2f}x wall (CPU {cs['reference']['median_cpu_s'] / cs['ours']['median_cpu_s']:.2f}x)"},
        {"name": "peak RSS <= 230 MB", "ok": rss <= 230, "value": f"{rss:.0f} MB"},
        {"name": "4 clients >= 90% of the 2-core ceiling, 0 errors", "ok": t4["rps"] >= 0.9 * ceiling and t4["errors"] == 0,
         "value": f"{t4['rps']:.1f} r/s of {ceiling:.1f} ({100 * t4['rps'] / ceiling:.0f}%), {t4['errors']} errors; "
                  f"the server got {t4['server_cores_used']:.2f} of {res['cpus']} cores, and spent {eff:.0f}% of "
                  f"the CPU it got on requests at the single-request cost"},
    ]


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{available_cpus()} CPUs ({cpu}), {platform.system()} {platform.release()}, Python " \
           f"{platform.python_version()}, load average at start {load:.1f}"


def run_scale(argv: list[str]) -> int:
    """--scale <pack>: bench/scale.py (issue #6) owns that benchmark."""
    if importlib.util.find_spec("bench.scale") is None:
        log("bench/scale.py is not in this checkout (issue #6); nothing to run for --scale")
        return 2
    from bench import scale  # type: ignore[attr-defined]

    return int(scale.main(argv) or 0)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--scale" in argv:
        return run_scale(argv)
    parser = argparse.ArgumentParser(description="ours vs the seed-style reference, side by side")
    parser.add_argument("--rounds", type=int, default=30, help="warm calls per route and photo (>= 30)")
    parser.add_argument("--cold", type=int, default=5, help="fresh processes per server for cold start")
    parser.add_argument("--requests", type=int, default=96, help="requests per throughput run")
    parser.add_argument("--quick", action="store_true", help="5 rounds, 2 cold starts, 24 requests (smoke test)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.cold, args.requests = 5, 2, 24

    res: dict = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                 "cpus": available_cpus(), "rounds": args.rounds}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        photos = make_photos(Path(tmp))
        case_list = cases(photos)
        ready_ours = case_list[1][1]  # /extract-embedding 1face
        ready_ref = case_list[1][2]
        log("cold start ...")
        res["cold_start"] = cold_start(args.cold, ready_ours)
        log("warm latency ...")
        ours, ref = servers()
        try:
            for s, r in ((ours, ready_ours), (ref, ready_ref)):
                s.start()
                s.wait_ready(r)
            floor = Floor(photos)
            res["warm"] = warm(ours, ref, case_list, args.rounds, floor)
            res["floor"] = floor.result()
            del floor
            log("throughput ...")
            res["throughput"] = {}
            for s, r in ((ours, ready_ours), (ref, ready_ref)):
                cpu = cpu_per_request(s, r, max(args.rounds, 20))
                runs = [throughput(s, r, c, args.requests) for c in (4, 8)]
                res["throughput"][s.name] = {"cpu_s_per_request": cpu, "runs": runs}
            res["peak_rss_mb"] = {s.name: s.peak_rss_mb() for s in (ours, ref)}
        finally:
            ours.stop()
            ref.stop()
    res["targets"] = targets(res)
    lines = report(res)
    print("\n".join(lines))
    print(f"\nwrote {save_results(res, 'bench', args.json, default=list)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
