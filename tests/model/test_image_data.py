"""ImageData: PNG-backed drawings decode lazily; a damaged one is a user error, not a crash."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest

from inbetweener.errors import ImageError
from inbetweener.model.images import ImageData


def damaged_png(width: int, height: int) -> bytes:
    """A PNG whose chunks and checksums are sound but whose pixel data is not zlib data."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"not zlib at all")
            + chunk(b"IEND", b""))


def test_png_backed_image_decodes_on_demand() -> None:
    pixels = np.arange(3 * 5 * 4, dtype=np.uint8).reshape(3, 5, 4)
    image = ImageData.from_png(ImageData.from_array(pixels).png_bytes())
    assert image.shape == (3, 5)
    np.testing.assert_array_equal(image.array(), pixels)


def test_damaged_stored_png_is_an_image_error() -> None:
    image = ImageData.from_png(damaged_png(5, 3))
    assert image.shape == (3, 5)  # the header alone is fine, so the damage shows only when drawn
    with pytest.raises(ImageError, match="damaged.*backup"):
        image.array()
