"""make bench-scale: the service at buffalo_l scale, measured on compute-faithful timing proxies (issue #6).

buffalo_l's weights cannot be downloaded here, so its two models are stood in for by random-weight ONNX files
with the same architectures, parameter counts, FLOPs and file sizes (../shared/tools/make_timing_proxies.py).
Their outputs are noise, so they never run a request end to end; instead:

  init     fresh processes, each: imports, pack read + sha256 verify, detector and recognizer sessions, warm-up,
           then the first request's model calls and the steady ones after it; peak RSS (VmHWM) at the end.
  routes   every request goes through the real app on buffalo_sc (TestClient, real photos) with its ONNX Runtime
           sessions recorded: the exact model calls (detector canvas shapes, recognizer batches) the pipeline
           makes. Those calls are replayed on the proxies right after, so
               buffalo_l-scale latency = route wall time on buffalo_sc - buffalo_sc model time + proxy model time
           i.e. buffalo_sc's measured pipeline overhead (HTTP, decode, alignment, NMS, JSON) plus buffalo_l's model
           compute. Coarse-to-fine on (default) and off (COARSE_DET_SIZE=0), at 1 and 2 ONNX Runtime threads,
           interleaved; medians and spread over the repeats.
  coarse   how often the coarse pass settles a one-face request on the shared photos, which passes ran, and the
           detector time that saves at buffalo_l scale.

The proxy pack is baked into the model dir as `buffalo_l-proxy` (manifest "timing_proxy": true: the service
refuses it; this script loads it with allow_timing_proxy=True and only ever times its sessions).

    python bench/scale.py [--proxies /tmp/proxies] [--repeats 15] [--init-runs 5] [--threads 1,2] [--quick]

Proxies absent: the script builds them with a Python that has torch + onnx ($PROXY_PYTHON, default
/tmp/proxyvenv/bin/python), or says how to (torch never enters the requirements files):

    python3 -m venv /tmp/proxyvenv && /tmp/proxyvenv/bin/pip install torch onnx
    /tmp/proxyvenv/bin/python ../shared/tools/make_timing_proxies.py /tmp/proxies
"""

from __future__ import annotations

import time

_T_START = time.perf_counter()  # before the heavy imports: the init child measures them from here

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.save import save_results  # noqa: E402

PROXY_PACK = "buffalo_l-proxy"
SC_PACK = "buffalo_sc"
DEFAULT_PROXIES = Path(os.environ.get("PROXY_DIR", "/tmp/proxies"))
PROXY_TOOL = (REPO.parent / "shared" / "tools" / "make_timing_proxies.py").resolve()
PROXY_FILES = ("det_10g.onnx", "w600k_r50.onnx")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# -- statistics ---------------------------------------------------------------------------------------------------
def summary(values: list[float]) -> dict[str, float]:
    """Median, 10th and 90th percentile, min, max (the spread the tables print)."""
    v = sorted(values)
    if not v:
        return {"median": float("nan"), "p10": float("nan"), "p90": float("nan"), "min": float("nan"),
                "max": float("nan"), "n": 0}

    def pct(q: float) -> float:
        k = (len(v) - 1) * q
        lo, hi = int(k), min(int(k) + 1, len(v) - 1)
        return v[lo] + (v[hi] - v[lo]) * (k - lo)

    return {"median": statistics.median(v), "p10": pct(0.1), "p90": pct(0.9), "min": v[0], "max": v[-1], "n": len(v)}


def ms(stats: dict[str, float], spread: bool = True) -> str:
    text = f"{stats['median'] * 1e3:.0f}"
    if spread:
        text += f" ({stats['p10'] * 1e3:.0f}–{stats['p90'] * 1e3:.0f})"
    return text


# -- proxies ------------------------------------------------------------------------------------------------------
def ensure_proxy_pack(model_dir: Path, proxies: Path) -> None:
    """Bake the buffalo_l-proxy pack, building the proxy ONNX files first when they are absent and torch is at hand."""
    from function.models.bake import bake_timing_proxy, is_baked
    from function.models.pack import load_pack

    if is_baked(model_dir, PROXY_PACK):
        pack = load_pack(model_dir, PROXY_PACK, allow_timing_proxy=True)
        if pack.detector.path.is_file() and pack.recognizer.path.is_file():
            return
    if not all((proxies / f).is_file() for f in PROXY_FILES):
        python = Path(os.environ.get("PROXY_PYTHON", "/tmp/proxyvenv/bin/python"))
        if not python.is_file() or not PROXY_TOOL.is_file():
            log(f"no timing proxies in {proxies} and no Python with torch at {python}. Run first:\n"
                f"    python3 -m venv /tmp/proxyvenv && /tmp/proxyvenv/bin/pip install torch onnx\n"
                f"    /tmp/proxyvenv/bin/python {PROXY_TOOL} {proxies}")
            raise SystemExit(2)
        log(f"building timing proxies into {proxies} with {python}")
        subprocess.run([str(python), str(PROXY_TOOL), str(proxies)], check=True)
    bake_timing_proxy(proxies, model_dir, PROXY_PACK)


# -- recording sessions -------------------------------------------------------------------------------------------
class RecordingSession:
    """Wraps an ONNX Runtime session: forwards run() and records (role, input shape, seconds) of every call."""

    def __init__(self, session, role: str, calls: list) -> None:
        self._session = session
        self.role = role
        self.calls = calls

    def run(self, output_names, feed, *args, **kwargs):
        shape = tuple(next(iter(feed.values())).shape)
        t0 = time.perf_counter()
        out = self._session.run(output_names, feed, *args, **kwargs)
        self.calls.append((self.role, shape, time.perf_counter() - t0))
        return out

    def __getattr__(self, name):
        return getattr(self._session, name)


class ProxyReplayer:
    """Runs model calls of given shapes on the proxy sessions (random inputs: dense convolutions cost the same)."""

    def __init__(self, engine) -> None:
        import numpy as np

        self._np = np
        self.sessions = {"det": engine.detector.session, "rec": engine.recognizer.session}
        self.inputs = {role: s.get_inputs()[0].name for role, s in self.sessions.items()}
        self._blobs: dict[tuple, object] = {}
        self._rng = np.random.default_rng(0)

    def blob(self, shape: tuple):
        b = self._blobs.get(shape)
        if b is None:
            b = self._rng.standard_normal(shape).astype(self._np.float32)
            self._blobs[shape] = b
        return b

    def run(self, role: str, shape: tuple) -> float:
        session = self.sessions[role]
        t0 = time.perf_counter()
        session.run(None, {self.inputs[role]: self.blob(shape)})
        return time.perf_counter() - t0

    def replay(self, calls: list) -> float:
        return sum(self.run(role, shape) for role, shape, _ in calls)


def load_engine(model_dir: Path, pack: str, threads: int, *, proxy: bool = False, coarse: bool = True):
    from function.engine import EngineConfig, FaceEngine
    from function.models.pack import load_pack

    config = EngineConfig(threads=threads, coarse_det_size=320 if coarse else 0)
    return FaceEngine.from_pack(load_pack(model_dir, pack, allow_timing_proxy=proxy), config)


def peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- init (fresh processes) ---------------------------------------------------------------------------------------
# The model calls of one /extract-embedding on a 4:3 one-face photo with coarse-to-fine: the first request.
FIRST_REQUEST = [("det", (1, 3, 256, 320)), ("rec", (1, 3, 112, 112))]


def load_engine_before(model_dir: Path, threads: int):
    """The start-up the engine did before issue #6, for the before/after: files read and hashed, then the sessions
    built one after the other, then a full-size warm-up (detector at 640 and 320, one recognizer batch)."""
    import numpy as np

    from function.engine import EngineConfig, FaceEngine, LoadReport
    from function.engine.detector import ScrfdDetector
    from function.engine.recognizer import ArcFaceRecognizer
    from function.engine.sessions import SessionConfig, create_session
    from function.models.pack import load_pack

    pack = load_pack(model_dir, PROXY_PACK, allow_timing_proxy=True)
    config = EngineConfig(threads=threads)
    cfg = SessionConfig(threads=threads)
    report = LoadReport()
    t0 = time.perf_counter()
    det_bytes = pack.detector.read_verified()
    t1 = time.perf_counter()
    det = create_session(det_bytes, cfg)
    t2 = time.perf_counter()
    rec_bytes = pack.recognizer.read_verified()
    t3 = time.perf_counter()
    rec = create_session(rec_bytes, cfg)
    t4 = time.perf_counter()
    report.read_verify_s, report.detector_session_s, report.recognizer_session_s = t1 - t0 + t3 - t2, t2 - t1, t4 - t3
    report.load_wall_s = t4 - t0
    engine = FaceEngine(ScrfdDetector(det), ArcFaceRecognizer(rec), config, pack, report)
    blank = np.zeros((640, 640, 3), dtype=np.uint8)
    t5 = time.perf_counter()
    engine.detector.detect(blank, 640)
    engine.detector.detect(blank[:320, :320], 320)
    engine.recognizer.embed([blank[:112, :112]])
    report.warmup_s = time.perf_counter() - t5
    return engine


def init_child(model_dir: Path, threads: int, old_warmup: bool = False) -> int:
    """One cold start, measured from this script's first line; prints one JSON line."""
    t_imports0 = time.perf_counter()
    from function.api.app import create_app  # noqa: F401  (the service's import graph, as on Lambda)

    t_imports1 = time.perf_counter()
    if old_warmup:
        engine = load_engine_before(model_dir, threads)
    else:
        engine = load_engine(model_dir, PROXY_PACK, threads, proxy=True)
    t_loaded = time.perf_counter()
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_s = usage.ru_utime + usage.ru_stime
    replayer = ProxyReplayer(engine)
    first = sum(replayer.run(role, shape) for role, shape in FIRST_REQUEST)
    steady = [sum(replayer.run(role, shape) for role, shape in FIRST_REQUEST) for _ in range(5)]
    r = engine.report
    print(json.dumps({
        "interpreter_and_script_s": t_imports0 - _T_START,
        "imports_s": t_imports1 - t_imports0,
        "read_verify_s": r.read_verify_s, "detector_session_s": r.detector_session_s, "load_wall_s": r.load_wall_s,
        "recognizer_session_s": r.recognizer_session_s, "warmup_s": r.warmup_s,
        "init_s": t_loaded - _T_START, "init_cpu_s": cpu_s,
        "first_request_models_s": first, "steady_request_models_s": statistics.median(steady),
        "init_plus_first_request_s": t_loaded - _T_START + first,
        "peak_rss_mb": peak_rss_mb(),
    }))
    return 0


INIT_FIELDS = [("imports_s", "imports (fastapi, numpy, cv2, onnxruntime, service)"),
               ("read_verify_s", "read + sha256 verify (191 MB)"),
               ("detector_session_s", "detector session"),
               ("recognizer_session_s", "recognizer session"),
               ("load_wall_s", "read + verify + sessions, wall"),
               ("warmup_s", "warm-up inference"),
               ("init_s", "**init total** (script start -> engine ready)"),
               ("init_cpu_s", "init CPU time, user + sys (whole process up to ready)"),
               ("first_request_models_s", "first request's model calls (det 320x256 + rec 1)"),
               ("steady_request_models_s", "same calls, warm"),
               ("init_plus_first_request_s", "init + first request's model calls"),
               ("process_wall_s", "process wall (spawn -> exit, incl. interpreter)")]


def measure_init(model_dir: Path, threads_list: list[int], runs: int) -> dict:
    """Fresh processes, interleaved: each thread count with the engine's start-up, and the largest thread count also
    with the start-up the engine had before issue #6 (sequential load, full-size warm-up), for the before/after."""
    variants = [(f"{t}T", t, False) for t in threads_list] + [(f"{max(threads_list)}T, start-up before #6",
                                                                max(threads_list), True)]
    results: dict[str, list[dict]] = {name: [] for name, _, _ in variants}
    for i in range(runs):
        for name, t, old in variants:
            env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
            cmd = [sys.executable, str(Path(__file__).resolve()), "--init-child", "--model-dir", str(model_dir),
                   "--threads", str(t)] + (["--old-warmup"] if old else [])
            t0 = time.perf_counter()
            out = subprocess.run(cmd, capture_output=True, text=True, env=env)
            wall = time.perf_counter() - t0
            if out.returncode != 0:
                raise RuntimeError(f"init child failed: {out.stderr[-2000:]}")
            row = json.loads(out.stdout.strip().splitlines()[-1])
            row["process_wall_s"] = wall
            results[name].append(row)
        log(f"  init run {i + 1}/{runs} done")
    return {name: {k: summary([r[k] for r in rows]) for k in rows[0]} for name, rows in results.items()}


def print_init(init: dict) -> None:
    names = list(init)
    print("\n### Cold start with the buffalo_l-scale proxies (fresh processes; median, p10–p90 in ms)\n")
    print("| step | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for key, label in INIT_FIELDS:
        if any(key not in init[n] for n in names):
            continue
        print(f"| {label} | " + " | ".join(ms(init[n][key]) for n in names) + " |")
    print("| peak RSS (VmHWM), MB | " + " | ".join(f"{init[n]['peak_rss_mb']['median']:.0f}" for n in names) + " |")


# -- routes -------------------------------------------------------------------------------------------------------
def route_cases():
    """(name, route, files) on real photos: what the routes are sent."""
    from tests.photos import DATA, wheel_photo

    same = next((a, b) for _, a, b, s in DATA.lfw_pairs if s)
    portrait = wheel_photo("yaoming.jpg")
    return [
        ("detect, group photo (7 faces, 500x375)", "/detect", {"image": DATA.group / "dlib_2007_007763.jpg"}),
        ("extract-embedding, portrait (yaoming.jpg)", "/extract-embedding", {"image": portrait}),
        ("extract-embedding, close-up (LFW crop)", "/extract-embedding", {"image": same[0]}),
        ("compare, two close-ups (LFW pair)", "/compare", {"image1": same[0], "image2": same[1]}),
        ("compare, portrait + close-up", "/compare", {"image1": portrait, "image2": same[0]}),
    ]


def measure_routes(model_dir: Path, threads: int, repeats: int) -> dict:
    from dataclasses import replace

    from fastapi.testclient import TestClient

    from function.api.app import create_app
    from function.config import Settings
    from function.engine import FaceEngine

    calls: list = []
    sc = load_engine(model_dir, SC_PACK, threads)
    sc.detector.session = RecordingSession(sc.detector.session, "det", calls)
    sc.recognizer.session = RecordingSession(sc.recognizer.session, "rec", calls)
    sc_off = FaceEngine(sc.detector, sc.recognizer, replace(sc.config, coarse_det_size=0), sc.pack, sc.report)
    settings = Settings(model_pack=SC_PACK, model_dir=model_dir, ort_threads=threads)
    clients = {"on": TestClient(create_app(settings, engine=sc)), "off": TestClient(create_app(settings, engine=sc_off))}
    replayer = ProxyReplayer(load_engine(model_dir, PROXY_PACK, threads, proxy=True))
    cases = route_cases()
    payloads = {name: {field: (p.name, p.read_bytes(), "image/jpeg") for field, p in files.items()}
                for name, _, files in cases}
    rows: dict[tuple[str, str], dict[str, list]] = {}
    for rep in range(repeats + 1):  # the first round warms every path and is dropped
        for name, route, _ in cases:
            for mode, client in clients.items():
                calls.clear()
                t0 = time.perf_counter()
                resp = client.post(route, files=payloads[name])
                wall = time.perf_counter() - t0
                if resp.status_code != 200:
                    raise RuntimeError(f"{route} {name}: {resp.status_code} {resp.text[:200]}")
                recorded = list(calls)
                proxy_s = replayer.replay(recorded)
                if rep == 0:
                    continue
                sc_models = sum(c[2] for c in recorded)
                row = rows.setdefault((name, mode), {"wall": [], "sc_models": [], "proxy": [], "estimate": [],
                                                     "calls": []})
                row["wall"].append(wall)
                row["sc_models"].append(sc_models)
                row["proxy"].append(proxy_s)
                row["estimate"].append(wall - sc_models + proxy_s)
                row["calls"] = [(role, "x".join(map(str, shape[2:])) if role == "det" else f"batch {shape[0]}")
                                for role, shape, _ in recorded]
    out = {}
    for (name, mode), row in rows.items():
        out[f"{name} | {mode}"] = {"route": next(r for n, r, _ in cases if n == name), "case": name, "coarse": mode,
                                   "calls": row["calls"],
                                   **{k: summary(v) for k, v in row.items() if k != "calls"},
                                   "overhead": summary([w - s for w, s in zip(row["wall"], row["sc_models"])])}
    return out


def print_routes(routes: dict[int, dict]) -> None:
    threads = sorted(routes)
    print("\n### Per-route latency at buffalo_l scale (ms; median, p10–p90 over the repeats)\n")
    print("Estimate = buffalo_sc route wall time − buffalo_sc model time + the same model calls on the proxies.\n")
    head = ["case", "coarse-to-fine", "model calls"]
    for t in threads:
        head += [f"buffalo_l est. {t}T", f"proxy models {t}T", f"pipeline overhead {t}T", f"buffalo_sc route {t}T"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for key in routes[threads[0]]:
        first = routes[threads[0]][key]
        cells = [first["case"], first["coarse"], ", ".join(f"{r} {s}" for r, s in first["calls"])]
        for t in threads:
            r = routes[t][key]
            cells += [ms(r["estimate"]), ms(r["proxy"], False), ms(r["overhead"], False), ms(r["wall"], False)]
        print("| " + " | ".join(cells) + " |")
    if len(threads) > 1:
        lo, hi = threads[0], threads[-1]
        ratios = [routes[lo][k]["proxy"]["median"] / routes[hi][k]["proxy"]["median"] for k in routes[lo]]
        print(f"\nThread scaling of the proxy model time, {lo}T / {hi}T: median {statistics.median(ratios):.2f}x "
              f"(range {min(ratios):.2f}–{max(ratios):.2f}x over the cases).")


# -- cost ---------------------------------------------------------------------------------------------------------
# US East prices read 2026-11-28 (README: Cost gives the sources). Free tiers left out.
LAMBDA_GB_SECOND = 0.0000166667
LAMBDA_REQUEST = 0.20 / 1e6
API_GATEWAY_REST_REQUEST = 3.50 / 1e6
REKOGNITION_COMPARE_FACES = 1.00 / 1000  # Group 1 image API, first million images a month
MEMORY_FOR_THREADS = {1: 1769, 2: 3538}  # Lambda MB that credit exactly that many vCPUs


def print_cost(routes: dict[int, dict]) -> None:
    threads = [t for t in sorted(routes) if t in MEMORY_FOR_THREADS]
    print("\n### Cost per million requests at buffalo_l scale (coarse-to-fine on; Lambda + API Gateway REST)\n")
    head = ["case"]
    for t in threads:
        head += [f"{MEMORY_FOR_THREADS[t]} MB: latency ms", "Lambda $", "+ API Gateway $"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for key, first in routes[threads[0]].items():
        if first["coarse"] != "on":
            continue
        cells = [first["case"]]
        for t in threads:
            latency = routes[t][key]["estimate"]["median"]
            lam = (MEMORY_FOR_THREADS[t] / 1024 * latency * LAMBDA_GB_SECOND + LAMBDA_REQUEST) * 1e6
            cells += [f"{latency * 1e3:.0f}", f"{lam:.2f}", f"{lam + API_GATEWAY_REST_REQUEST * 1e6:.2f}"]
        print("| " + " | ".join(cells) + " |")
    print(f"\nAWS Rekognition CompareFaces: ${REKOGNITION_COMPARE_FACES * 1e6:,.0f} per million comparisons "
          "(first million a month).")


# -- coarse-to-fine trade-off -------------------------------------------------------------------------------------
def measure_coarse(model_dir: Path, threads: int, lfw_sample: int) -> dict:
    """Passes taken for one-face requests on the shared photos, and detector time at buffalo_l scale."""
    import collections

    from function.engine import ensure_bgr
    from function.imaging import DecodeLimits, decode_image
    from tests.photos import DATA, faces_dir, wheel_photos
    from tests.support import iou

    lfw = (faces_dir() or DATA).lfw_images  # FACES_DIR's LFW when there, else the crops in tests/data
    step = max(1, len(lfw) // lfw_sample)
    sets = {"LFW crops (sample)": lfw[::step][:lfw_sample], "group/": DATA.group_photos,
            "wheel photos": wheel_photos(), "noface/": DATA.noface_photos}
    calls: list = []
    sc = load_engine(model_dir, SC_PACK, threads)
    sc.detector.session = RecordingSession(sc.detector.session, "det", calls)
    replayer = ProxyReplayer(load_engine(model_dir, PROXY_PACK, threads, proxy=True))
    shape_cost: dict[tuple, float] = {}

    def cost(recorded: list) -> float:
        total = 0.0
        for role, shape, _ in recorded:
            if (role, shape) not in shape_cost:
                shape_cost[(role, shape)] = statistics.median(replayer.run(role, shape) for _ in range(3))
            total += shape_cost[(role, shape)]
        return total

    out = {}
    for name, paths in sets.items():
        passes: collections.Counter = collections.Counter()
        on_cost, off_cost, cos, diverged = 0.0, 0.0, [], []
        for p in paths:
            image = ensure_bgr(decode_image(p.read_bytes(), DecodeLimits()).pixels)
            calls.clear()
            one, how = sc.detect_traced(image, "one")
            on_calls = list(calls)
            calls.clear()
            full = sc.detect(image, "all")
            off_calls = list(calls)
            passes[how] += 1
            on_cost += cost(on_calls)
            off_cost += cost(off_calls)
            if how in ("coarse", "closeup") and one:
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


def print_coarse(coarse: dict, threads: int) -> None:
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


# -- main ---------------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--scale" in argv:  # handed over by bench/bench.py --scale buffalo_l
        i = argv.index("--scale")
        del argv[i:i + 2]
    from function.config import DEFAULT_MODEL_DIR, available_cpus

    parser = argparse.ArgumentParser(description="buffalo_l-scale latency, cold start and RSS on timing proxies")
    parser.add_argument("--proxies", type=Path, default=DEFAULT_PROXIES, help="folder of the proxy ONNX files")
    parser.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--threads", default="1,2", help="ONNX Runtime thread counts to compare")
    parser.add_argument("--repeats", type=int, default=15, help="timed rounds per route case")
    parser.add_argument("--init-runs", type=int, default=5, help="fresh processes per thread count")
    parser.add_argument("--lfw-sample", type=int, default=100, help="LFW crops in the coarse-to-fine table")
    parser.add_argument("--quick", action="store_true", help="3 repeats, 2 init runs, 30 LFW crops (smoke test)")
    parser.add_argument("--only", choices=["init", "routes", "coarse"], action="append")
    parser.add_argument("--from-json", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, default=None, help="write results here (default bench/results/)")
    parser.add_argument("--init-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--old-warmup", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    threads_list = [int(t) for t in args.threads.split(",") if t.strip()]
    if args.init_child:
        return init_child(args.model_dir, threads_list[0], args.old_warmup)
    if args.quick:
        args.repeats, args.init_runs, args.lfw_sample = 3, 2, 30
    if args.from_json:  # reprint the tables of an earlier run
        saved = json.loads(args.from_json.read_text())
        if "init" in saved:
            print_init(saved["init"])
        if "routes" in saved:
            routes = {int(t): r for t, r in saved["routes"].items()}
            print_routes(routes)
            print_cost(routes)
        if "coarse" in saved:
            print_coarse(saved["coarse"], max(saved["threads"]))
        return 0
    sections = args.only or ["init", "routes", "coarse"]
    ensure_proxy_pack(args.model_dir, args.proxies)
    from function.models.bake import bake_buffalo_sc, is_baked

    if not is_baked(args.model_dir, SC_PACK):
        bake_buffalo_sc(args.model_dir)
    load = os.getloadavg()[0]
    print(f"## bench/scale.py — buffalo_l-scale timing proxies\n\n{available_cpus()} CPUs, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}, load average at start {load:.1f}; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    results: dict = {"threads": threads_list, "load_average_start": load}
    if "init" in sections:
        log("init: fresh processes ...")
        results["init"] = measure_init(args.model_dir, threads_list, args.init_runs)
        print_init(results["init"])
    if "routes" in sections:
        results["routes"] = {}
        for t in threads_list:
            log(f"routes: {t} thread(s) ...")
            results["routes"][t] = measure_routes(args.model_dir, t, args.repeats)
        print_routes(results["routes"])
        print_cost(results["routes"])
    if "coarse" in sections:
        log("coarse-to-fine trade-off ...")
        t = max(threads_list)
        results["coarse"] = measure_coarse(args.model_dir, t, args.lfw_sample)
        print_coarse(results["coarse"], t)
    log(f"results written to {save_results(results, 'scale', args.json)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
