"""Containers of the service's image for the image tools: plain HTTP mode (`docker run -p`) and the Lambda Runtime
Interface Emulator, as the README runs them. The Docker CLI is $DOCKER (default `docker`)."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

RIE = "/usr/local/bin/aws-lambda-rie"  # in AWS's Lambda base images (and in the local stand-in)
INVOKE_PATH = "/2015-03-31/functions/function/invocations"


def docker_cli() -> str:
    return os.environ.get("DOCKER", "docker")


def daemon_answers() -> bool:
    try:
        return subprocess.run([docker_cli(), "info"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def image_env(image: str) -> dict[str, str]:
    """The image's ENV (what a container gets unless `-e` says otherwise)."""
    out = subprocess.run([docker_cli(), "image", "inspect", image, "--format", "{{json .Config.Env}}"],
                         capture_output=True, text=True, check=True)
    return dict(item.partition("=")[::2] for item in json.loads(out.stdout))


@dataclass
class Container:
    """`docker run -d` of the image; stopped and removed by close()."""

    image: str
    host_port: int
    container_port: int
    env: dict[str, str] = field(default_factory=dict)
    rie: bool = False  # run under the Runtime Interface Emulator (the README's RIE command)
    cid: str = ""
    started_at: float = 0.0  # time.monotonic() just before `docker run`

    def start(self) -> Container:
        cmd = [docker_cli(), "run", "-d", "-p", f"127.0.0.1:{self.host_port}:{self.container_port}"]
        for key, value in self.env.items():
            cmd += ["-e", f"{key}={value}"]
        if self.rie:
            cmd += ["--entrypoint", RIE, self.image, "python3", "-m", "function.entry",
                    "function.lambda_handler.handler"]
        else:
            cmd.append(self.image)
        self.started_at = time.monotonic()
        self.cid = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
        return self

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.host_port}"

    def running(self) -> bool:
        out = subprocess.run([docker_cli(), "inspect", "-f", "{{.State.Running}}", self.cid], capture_output=True,
                             text=True)
        return out.stdout.strip() == "true"

    def logs(self) -> str:
        out = subprocess.run([docker_cli(), "logs", self.cid], capture_output=True, text=True)
        return out.stdout + out.stderr

    def close(self) -> None:
        if self.cid:
            subprocess.run([docker_cli(), "rm", "-f", self.cid], capture_output=True)

    def __enter__(self) -> Container:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def wait_http(self, path: str = "/health", timeout: float = 180.0) -> float:
        """Poll until `path` answers 200; returns the seconds since `docker run`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.base_url + path, timeout=5) as resp:
                    if resp.status == 200:
                        return time.monotonic() - self.started_at
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if not self.running():
                raise RuntimeError(f"container exited:\n{self.logs()[-3000:]}")
            time.sleep(0.05)
        raise TimeoutError(f"{self.base_url}{path} gave no 200 within {timeout:.0f}s:\n{self.logs()[-3000:]}")

    def invoke(self, event: dict[str, Any], timeout: float = 180.0) -> dict[str, Any]:
        """POST an event to the RIE's invoke endpoint (retried while the emulator is not listening yet)."""
        data = json.dumps(event).encode()
        deadline = time.monotonic() + timeout
        while True:
            request = urllib.request.Request(self.base_url + INVOKE_PATH, data=data, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=timeout) as resp:
                    result: dict[str, Any] = json.loads(resp.read())
                    return result
            except (urllib.error.URLError, ConnectionError) as exc:
                if isinstance(exc, urllib.error.HTTPError) or time.monotonic() > deadline or not self.running():
                    raise RuntimeError(f"invoke failed ({exc}):\n{self.logs()[-3000:]}") from exc
                time.sleep(0.05)
