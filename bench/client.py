"""Server processes on 127.0.0.1 and a kept-alive HTTP client for them: what bench/bench.py measures over real HTTP."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.procs import cpu_s, status_mb
from function.config import REPO_ROOT
from tests.support import free_port

PACK = "buffalo_sc"


@dataclass(frozen=True)
class Request:
    path: str
    body: bytes
    ctype: str


def post(port: int, req: Request, conn: http.client.HTTPConnection | None = None,
         timeout: float = 120.0) -> tuple[int, float, http.client.HTTPConnection]:
    """(status, seconds, connection to reuse). A kept-alive connection the server has closed meanwhile (uvicorn
    drops idle ones after 5 s, which a slow reference call between two of ours can exceed) is reopened once."""
    status, seconds, conn, _ = post_timed(port, req, conn, timeout)
    return status, seconds, conn


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
               ) -> tuple[int, float, http.client.HTTPConnection, dict[str, float]]:
    """post(), plus the answer's Server-Timing stages in ms ({} when the server sends none)."""
    for attempt in (0, 1):
        reused = conn is not None
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            t0 = time.perf_counter()
            conn.request("POST", req.path, body=req.body, headers={"Content-Type": req.ctype})
            resp = conn.getresponse()
            resp.read()
            return resp.status, time.perf_counter() - t0, conn, server_timing(resp.getheader("server-timing"))
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            conn.close()
            conn = None
            if not reused or attempt:
                raise
    raise AssertionError("unreachable")


@dataclass
class Server:
    """A server process started on a free port; its readiness, CPU time and peak RSS."""

    name: str
    argv: list[str]
    env: dict[str, str]
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    t_spawn: float = 0.0
    logfile: Path | None = None
    cwd: Path = REPO_ROOT  # the checkout it runs from

    def start(self) -> None:
        self.port = free_port()
        env = dict(os.environ, **self.env, PORT=str(self.port), HOST="127.0.0.1")
        argv = [a.replace("{port}", str(self.port)) for a in self.argv]
        self.logfile = Path(tempfile.mkstemp(prefix=f"bench-{self.name}-", suffix=".log")[1])
        with open(self.logfile, "wb") as err:  # the child keeps its own copy of the descriptor
            self.t_spawn = time.perf_counter()
            self.proc = subprocess.Popen(argv, env=env, cwd=self.cwd, stdout=subprocess.DEVNULL, stderr=err)

    @property
    def pid(self) -> int:
        assert self.proc is not None, "not started"
        return self.proc.pid

    def wait_ready(self, req: Request, timeout: float = 120.0) -> float:
        """Seconds from spawn to the first 200 answer to `req`."""
        assert self.proc is not None and self.logfile is not None, "not started"
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

    def peak_rss_mb(self) -> float:
        return status_mb(self.pid, "VmHWM")

    def cpu_s(self) -> float:
        return cpu_s(self.pid)

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


SERVER_ENV = {"MODEL_PACK": PACK, "LOG_LEVEL": "WARNING"}


def service_server(name: str, env: dict[str, str], cwd: Path = REPO_ROOT) -> Server:
    """This service (`python -m function`) on buffalo_sc, run from the checkout `cwd`, with `env` on top."""
    return Server(name, [sys.executable, "-m", "function"], {**SERVER_ENV, **env}, cwd=cwd)


def servers() -> tuple[Server, Server]:
    """Ours (with its Server-Timing header) and the seed-style reference (bench/seed_reference.py), on buffalo_sc."""
    ours = service_server("ours", {"SERVER_TIMING": "true"})
    ref = Server("reference", [sys.executable, "-m", "bench.seed_reference", "--port", "{port}"], SERVER_ENV)
    return ours, ref
