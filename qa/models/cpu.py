"""What the CPU can do natively, for choosing the encoder backend at run time.

bfloat16 matrix products are fast only where the CPU has them in hardware (AMX tiles or AVX-512 BF16, e.g.
Intel Sapphire Rapids and later, AMD Zen 4 and later); elsewhere oneDNN emulates them and a bfloat16
model runs several times slower than float32 (bench/README.md: 7x on an AVX2-only CPU). Read from
``/proc/cpuinfo`` (Linux); other systems report no native bfloat16, so they keep float32.

>>> native_bf16(cpuinfo="flags : fpu sse avx2")
False
>>> native_bf16(cpuinfo="flags : fpu avx512f avx512_bf16 amx_bf16")
True
"""

from __future__ import annotations

import functools
from pathlib import Path

BF16_FLAGS = frozenset({"amx_bf16", "avx512_bf16"})


def cpu_flags(cpuinfo: str | None = None) -> frozenset[str]:
    """The flags of the first processor in ``cpuinfo`` (default: this machine's ``/proc/cpuinfo``)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return frozenset()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return frozenset(value.split())
    return frozenset()


def native_bf16(cpuinfo: str | None = None) -> bool:
    """Whether this CPU multiplies bfloat16 in hardware (AMX BF16 or AVX-512 BF16)."""
    if cpuinfo is not None:
        return bool(BF16_FLAGS & cpu_flags(cpuinfo))
    return _this_cpu_bf16()


@functools.cache
def _this_cpu_bf16() -> bool:
    return bool(BF16_FLAGS & cpu_flags())
