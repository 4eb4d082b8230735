"""The allocator setting the inbetweener program makes at start (inbetweener/allocator.py)."""

from __future__ import annotations

import ctypes
import sys

import pytest

from inbetweener.allocator import keep_freed_memory


def _glibc() -> bool:
    try:
        ctypes.CDLL(None).gnu_get_libc_version  # noqa: B018
    except (OSError, AttributeError):
        return False
    return sys.platform.startswith("linux")


@pytest.mark.skipif(not _glibc(), reason="glibc's allocator only")
def test_glibc_takes_the_settings_and_taking_them_again_is_harmless(monkeypatch):
    for name in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_", "GLIBC_TUNABLES"):
        monkeypatch.delenv(name, raising=False)
    assert keep_freed_memory() is True
    assert keep_freed_memory() is True


@pytest.mark.parametrize("name, value", [("MALLOC_TRIM_THRESHOLD_", "1000000"),
                                         ("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=4096")])
def test_settings_made_in_the_environment_are_left_alone(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    assert keep_freed_memory() is False

