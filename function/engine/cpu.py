"""What this CPU does to int8 models: whether ONNX Runtime's x86 int8 kernels compute them exactly here.

The int8 variants are U8S8 (uint8 activations, int8 weights: function/models/quantize.py). With VNNI
(`avx512_vnni` or `avx_vnni`) ONNX Runtime multiplies them with 32-bit accumulation. Without it (AVX2 or AVX-512BW
alone) its kernels use `vpmaddubsw`, whose 16-bit intermediate sums saturate: measured on buffalo_sc's recognizer
on an AMD EPYC VM without VNNI, the int8 embeddings of players.jpg's faces fell to cosine 0.74 against fp32 (0.95-1.0
with VNNI; docs/int8.md), a plausible-looking, wrong embedding. Arm's int8 kernels (dot-product instructions) do not
have that 16-bit step.
"""

from __future__ import annotations

import platform
from pathlib import Path

VNNI_FLAGS = frozenset({"avx512_vnni", "avx_vnni"})
X86 = frozenset({"x86_64", "amd64", "i386", "i686"})


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The first processor's flags in /proc/cpuinfo (empty where the file cannot be read)."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return frozenset(value.split())
    return frozenset()


def int8_exact(machine: str | None = None, flags: frozenset[str] | None = None) -> bool:
    """True where the int8 variants compute as they were measured: not x86, or x86 with VNNI. An x86 CPU whose
    flags cannot be read counts as without VNNI (the wrong guess the other way serves wrong embeddings)."""
    machine = (machine if machine is not None else platform.machine()).lower()
    if machine not in X86:
        return True
    return bool(VNNI_FLAGS & (flags if flags is not None else cpu_flags()))
