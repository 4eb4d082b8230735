"""ImageData.packed: the PNG-only twin the editor keeps for generated frames."""

from __future__ import annotations

import numpy as np

from inbetweener.model.images import ImageData


def test_packed_twin_has_the_same_pixels_and_id_without_holding_pixels() -> None:
    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 256, (24, 32, 4), dtype=np.uint8)
    image = ImageData.from_array(pixels)
    twin = image.packed()
    assert twin._array is None and twin.shape == (24, 32)
    assert twin._id == image.content_id()  # known without decoding
    np.testing.assert_array_equal(twin.array(), pixels)
    assert twin.packed() is twin
    # The id is the content's: a fresh decode of the same PNG hashes the same.
    assert ImageData.from_png(twin.png_bytes()).content_id() == image.content_id()
