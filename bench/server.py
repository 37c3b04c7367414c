"""The servers the benches talk to over real HTTP on 127.0.0.1, and a kept-alive client for them.

* `service_server()`: this service, `python -m function` (uvicorn), from any checkout, on a free port, with the
  environment given; `Server` waits for it, reads its CPU time and RSS from /proc, stops it. Every bench script that
  runs the service as a server starts it here.
* The seed-style reference (`python -m bench.server [--port N]`, `reference_server()`): the four routes served the
  way the original service did it: FastAPI + insightface.app.FaceAnalysis(name=<pack folder>) loading every model
  in the folder (buffalo_sc's detector and recognizer plus the 2d106det landmark extra, as the real buffalo_l pack
  carries extras), prepare(ctx_id=-1, det_size=(640, 640)), default ONNX Runtime settings, /detect computed from
  FaceAnalysis.get. Not product code: `make bench` and `make accuracy` compare against it.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
from fastapi import FastAPI, File, HTTPException, UploadFile

from bench.common import cpu_s, status_mb
from function.config import REPO_ROOT
from tests.support import free_port
from tests.support.services import PACK

if TYPE_CHECKING:
    from insightface.app import FaceAnalysis

SERVER_ENV = {"LOG_LEVEL": "WARNING"}


@dataclass(frozen=True)
class Request:
    path: str
    body: bytes
    ctype: str


def server_timing(header: str | None) -> dict[str, float]:
    """`Server-Timing: read;dur=0.41, decode;dur=0.70, ...` (SERVER_TIMING=true) -> {"read": 0.41, ...} in ms."""
    out: dict[str, float] = {}
    for item in (header or "").split(","):
        name, _, params = item.strip().partition(";")
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if name and key == "dur":
                out[name] = float(value)
    return out


def post_timed(port: int, req: Request, conn: http.client.HTTPConnection | None = None, timeout: float = 120.0
               ) -> tuple[int, float, http.client.HTTPConnection, dict[str, float], bytes]:
    """(status, seconds, connection to reuse, the answer's Server-Timing stages in ms, body). A kept-alive connection
    the server has closed meanwhile (uvicorn drops idle ones after 5 s) is reopened once."""
    for attempt in (0, 1):
        reused = conn is not None
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            t0 = time.perf_counter()
            conn.request("POST", req.path, body=req.body, headers={"Content-Type": req.ctype})
            resp = conn.getresponse()
            body = resp.read()
            return resp.status, time.perf_counter() - t0, conn, server_timing(resp.getheader("server-timing")), body
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            conn.close()
            conn = None
            if not reused or attempt:
                raise
    raise AssertionError("unreachable")


def post(port: int, req: Request, conn: http.client.HTTPConnection | None = None,
         timeout: float = 120.0) -> tuple[int, float, http.client.HTTPConnection]:
    """(status, seconds, connection to reuse)."""
    status, seconds, conn, _, _ = post_timed(port, req, conn, timeout)
    return status, seconds, conn


class Client:
    """One kept-alive connection to a server; JSON answers."""

    def __init__(self, port: int, timeout: float = 300.0) -> None:
        self.port, self.timeout = port, timeout
        self.conn: http.client.HTTPConnection | None = None

    def post(self, path: str, body: bytes, ctype: str) -> tuple[int, dict]:
        status, _, self.conn, _, data = post_timed(self.port, Request(path, body, ctype), self.conn, self.timeout)
        return status, json.loads(data or b"{}")


@dataclass
class Server:
    """A server process in its own session on a free port of 127.0.0.1 (PORT and HOST in its environment, `{port}` in
    its argv); its output goes to `log_path` (kept) or to a temporary file (removed at stop)."""

    name: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path = REPO_ROOT
    log_path: Path | None = None
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    t_spawn: float = 0.0
    _temp_log: bool = field(default=False, repr=False)

    def start(self) -> Server:
        self.port = free_port()
        env = dict(os.environ, **self.env, PORT=str(self.port), HOST="127.0.0.1")
        if self.log_path is None:
            self.log_path, self._temp_log = Path(tempfile.mkstemp(prefix=f"bench-{self.name}-", suffix=".log")[1]), True
        with open(self.log_path, "wb") as out:  # the child keeps its own copy of the descriptor
            self.t_spawn = time.perf_counter()
            self.proc = subprocess.Popen([a.replace("{port}", str(self.port)) for a in self.argv], env=env,
                                         cwd=self.cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None, "not started"
        return self.proc.pid

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    def wait_ready(self, req: Request | None = None, timeout: float = 180.0) -> float:
        """Seconds from spawn to the first 200 answer to `req` (default: GET /health)."""
        assert self.proc is not None, "not started"
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log_text()[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10 if req is None else 120)
                if req is None:
                    conn.request("GET", "/health")
                    status = conn.getresponse().status
                else:
                    status, _, conn = post(self.port, req, conn)
                conn.close()
                if status == 200:
                    return time.perf_counter() - self.t_spawn
            except OSError:
                pass
            time.sleep(0.005 if req is not None else 0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout}s")

    def peak_rss_mb(self) -> float:
        return status_mb(self.pid, "VmHWM")

    def rss_mb(self) -> float:
        return status_mb(self.pid, "VmRSS")

    def cpu_s(self) -> float:
        return cpu_s(self.pid)

    def stop(self) -> None:
        """SIGTERM to its process group, SIGKILL after 20 s."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self._temp_log and self.log_path:
            self.log_path.unlink(missing_ok=True)


def service_server(name: str, env: dict[str, str], cwd: Path = REPO_ROOT, pack: str = PACK) -> Server:
    """This service (`python -m function`) on `pack`, run from the checkout `cwd`, with `env` on top."""
    return Server(name, [sys.executable, "-m", "function"], {**SERVER_ENV, "MODEL_PACK": pack, **env}, cwd=cwd)


def reference_server() -> Server:
    """The seed-style reference below, on buffalo_sc."""
    return Server("reference", [sys.executable, "-m", "bench.server", "--port", "{port}"], SERVER_ENV)


def silent_endpoint() -> tuple[socket.socket, int]:
    """A TCP endpoint that accepts connections and never answers (the S3 input's endpoint)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    return server, server.getsockname()[1]


# -- the seed-style reference --------------------------------------------------------------------------------------
EXTRA = "2d106det.onnx"


def make_pack_dir(root: Path | None = None) -> Path:
    """A temp folder holding buffalo_sc's two files and the 2d106det extra, copied out of the vectron wheel."""
    from function.models.bake import BUFFALO_SC, vectron_model_dir

    src = vectron_model_dir()
    folder = Path(tempfile.mkdtemp(prefix="seed-buffalo_sc-", dir=root))
    for name in (BUFFALO_SC.detector.member, BUFFALO_SC.recognizer.member, EXTRA):
        shutil.copyfile(src / name, folder / name)
    return folder


def load_face_analysis(pack_dir: Path, allowed_modules: list[str] | None = None) -> FaceAnalysis:
    from insightface.app import FaceAnalysis  # the original service's import (0.5 s, scipy, skimage, onnx)

    fa = FaceAnalysis(name=str(pack_dir), allowed_modules=allowed_modules, providers=["CPUExecutionProvider"])
    fa.prepare(ctx_id=-1, det_size=(640, 640))
    return fa


def reference_app(fa: FaceAnalysis) -> FastAPI:
    import cv2

    app = FastAPI(title="seed reference")

    def read(data: bytes) -> np.ndarray:
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        if img is None:
            raise HTTPException(400, "invalid image")
        return img

    def one_face(img: np.ndarray) -> Any:
        faces = fa.get(img)
        if not faces:
            raise HTTPException(422, "no face")
        return max(faces, key=lambda f: (f.bbox[2] - f.bbox[0]) * (f.bbox[3] - f.bbox[1]))

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "healthy", "models": sorted(fa.models)}

    @app.post("/detect")
    def detect(image: Annotated[UploadFile, File()]) -> dict[str, Any]:
        faces = fa.get(read(image.file.read()))
        return {"detected": bool(faces), "face_count": len(faces),
                "faces": [{"box": f.bbox.tolist(), "score": float(f.det_score)} for f in faces]}

    @app.post("/extract-embedding")
    def extract(image: Annotated[UploadFile, File()]) -> dict[str, Any]:
        face = one_face(read(image.file.read()))
        return {"success": True, "embedding": face.normed_embedding.tolist(), "confidence": float(face.det_score)}

    @app.post("/compare")
    def compare(image1: Annotated[UploadFile, File()], image2: Annotated[UploadFile, File()]) -> dict[str, Any]:
        f1, f2 = one_face(read(image1.file.read())), one_face(read(image2.file.read()))
        sim = float(np.dot(f1.normed_embedding, f2.normed_embedding))
        return {"success": True, "similarity": sim, "confidence": 50.0 * (1.0 + sim)}

    return app


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="the seed-style reference service (insightface FaceAnalysis)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8100")))
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    pack_dir = make_pack_dir()
    try:
        uvicorn.run(reference_app(load_face_analysis(pack_dir)), host=args.host, port=args.port, log_level="warning",
                    access_log=False)
    finally:
        shutil.rmtree(pack_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
