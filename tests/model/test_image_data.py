"""ImageData: PNG-backed drawings decode lazily; a damaged one is a user error, not a crash."""

from __future__ import annotations

import numpy as np
import pytest
from damaged_png import damaged_png

from inbetweener.errors import ImageError
from inbetweener.model.images import ImageData


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


def _png_backed(value: int) -> ImageData:
    return ImageData.from_png(ImageData.from_array(np.full((3, 4, 4), value, np.uint8)).png_bytes())


def _live_finalizers() -> int:
    # CPython keeps every live weakref.finalize in this registry; it is what would pile up.
    import weakref

    return len(weakref.finalize._registry)  # type: ignore[attr-defined]


def test_repeated_decoding_registers_no_more_cleanup_hooks_than_cached_images() -> None:
    from inbetweener.model import images as images_module

    size = images_module._DECODED_CACHE_SIZE
    drawings = [_png_backed(i) for i in range(size + 12)]  # more than the cache: every pass re-decodes
    start = _live_finalizers()
    for _ in range(1000 // len(drawings) + 1):
        for d in drawings:
            d.array()
    for _ in range(1000):
        drawings[-1].array()  # a cache hit registers nothing either
    assert _live_finalizers() - start <= size
    for i, d in enumerate(drawings):  # still the right pixels after all that evicting
        assert int(d.array()[0, 0, 0]) == i


def test_a_decoded_image_that_dies_leaves_the_cache() -> None:
    import gc

    from inbetweener.model import images as images_module

    drawing = _png_backed(7)
    drawing.array()
    key = id(drawing)
    assert key in images_module._decoded
    start = _live_finalizers()
    del drawing
    gc.collect()
    assert key not in images_module._decoded
    assert _live_finalizers() == start - 1
