"""A PNG that parses but cannot be decoded: the shape of a drawing stored damaged (for tests)."""

from __future__ import annotations

import struct
import zlib


def damaged_png(width: int, height: int) -> bytes:
    """A PNG whose chunks and checksums are sound but whose pixel data is not zlib data."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"not zlib at all")
            + chunk(b"IEND", b""))
