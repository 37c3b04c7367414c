"""Process facts the bench scripts read: memory and CPU time from /proc, the machine line printed with every run."""

from __future__ import annotations

import os
import platform
import signal
import subprocess
import sys
from pathlib import Path

from function.config import available_cpus

CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg: str) -> None:
    """Progress on stderr, so that stdout holds only the tables."""
    print(msg, file=sys.stderr, flush=True)


def status_mb(pid: int | str = "self", key: str = "VmHWM") -> float:
    """A memory line of /proc/<pid>/status in MB (VmHWM: peak RSS, VmRSS: current RSS); nan where it is absent."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process, all its threads (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine() -> str:
    """CPUs, CPU model, OS, Python and the load average at start: the conditions a run's figures depend on."""
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


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """End a server started with start_new_session=True: SIGTERM to its process group, SIGKILL after 20 s."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
