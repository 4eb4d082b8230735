"""Decoded frames as QPixmaps, least-recently-used first out, bounded by memory (fast scrubbing)."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap

from inbetweener.model.images import ImageData


def qimage_from_rgba(rgba: np.ndarray) -> QImage:
    """A QImage owning a copy of an RGBA uint8 array."""
    arr = np.ascontiguousarray(rgba)
    h, w = arr.shape[:2]
    return QImage(arr.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()


def pixmap_from_rgba(rgba: np.ndarray) -> QPixmap:
    return QPixmap.fromImage(qimage_from_rgba(rgba))


class PixmapCache:
    """image_id -> QPixmap, full size and thumbnails, evicted by a byte budget."""

    def __init__(self, budget_bytes: int = 320 * 1024 * 1024, thumb_height: int = 40) -> None:
        self.budget_bytes = budget_bytes
        self.thumb_height = thumb_height
        self._full: OrderedDict[str, QPixmap] = OrderedDict()
        self._full_bytes = 0
        self._thumbs: OrderedDict[str, QPixmap] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def pixmap(self, image_id: str, image: ImageData) -> QPixmap:
        hit = self._full.get(image_id)
        if hit is not None:
            self._full.move_to_end(image_id)
            self.hits += 1
            return hit
        self.misses += 1
        pm = pixmap_from_rgba(image.array())
        self._full[image_id] = pm
        self._full_bytes += _bytes(pm)
        while self._full_bytes > self.budget_bytes and len(self._full) > 1:
            _, old = self._full.popitem(last=False)
            self._full_bytes -= _bytes(old)
        return pm

    def has(self, image_id: str) -> bool:
        return image_id in self._full

    def thumbnail(self, image_id: str, image: ImageData | None) -> QPixmap | None:
        """The small picture for the timeline; None when not made yet and `image` is None."""
        hit = self._thumbs.get(image_id)
        if hit is not None or image is None:
            return hit
        src = self._full.get(image_id)
        if src is None:
            src = pixmap_from_rgba(image.array())
        thumb = src.scaledToHeight(self.thumb_height, Qt.TransformationMode.SmoothTransformation)
        self._thumbs[image_id] = thumb
        while len(self._thumbs) > 4000:  # ~4000 x 70x40 px: a few tens of MB at most
            self._thumbs.popitem(last=False)
        return thumb

    def clear(self) -> None:
        self._full.clear()
        self._thumbs.clear()
        self._full_bytes = 0


def _bytes(pm: QPixmap) -> int:
    return pm.width() * pm.height() * 4
