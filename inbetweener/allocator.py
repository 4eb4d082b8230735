"""Keeping freed memory for reuse (glibc on Linux), set once by each program's entry point.

Making a frame allocates and frees frame-sized arrays by the dozen. With glibc's defaults the
worker threads' arenas hand that memory back to the kernel as soon as it is freed, and take it
back, page fault by page fault, a moment later. Measured on 2 cores: the flow engine over the 24
cases of ../shared/bench spent 2.8 of its 9.0 s in the kernel, 1.2 of 7.9 s with the settings
below (bench/quality.py: 1.75x -> 1.60x minterpolate's time per frame). At 1080p and 4K
(bench/memory.py) the time stays within run-to-run noise and peak memory rises by some 25 MB
(1080p: about 590 MB, against a 1.5 GB budget).

A process-wide policy, so the library never sets it on import: the `inbetweener` program (cli.py)
and the benchmarks ask for it. Settings a user made in the environment are left as they are.
"""

from __future__ import annotations

import ctypes
import os
import sys

# mallopt's parameter numbers (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# Arrays up to this size come from the heap, not a mapping of their own (glibc's upper limit for a
# thread's arena: half its 64 MB heap).
MMAP_THRESHOLD = 32 * 2**20
# Free memory an arena keeps at its top before it gives any back.
TRIM_THRESHOLD = 64 * 2**20
_ENVIRONMENT = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_")


def keep_freed_memory() -> bool:
    """Set glibc's allocator to keep freed memory for reuse; True if it took the settings. False
    (nothing done) off glibc, or where the environment already sets the allocator's thresholds."""
    if not sys.platform.startswith("linux"):
        return False
    if any(name in os.environ for name in _ENVIRONMENT) or "glibc.malloc" in os.environ.get("GLIBC_TUNABLES", ""):
        return False
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 - present in glibc only (musl has a mallopt that ignores all)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    # Both or neither: a trim threshold alone switches off glibc's sliding mapping threshold, and
    # then every large array is mapped and unmapped (twice as slow as the defaults).
    if mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) != 1:
        return False
    return mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
