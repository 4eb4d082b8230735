"""Frames ready to paint: QImages already at the size the canvas shows them, LRU by memory.

Scrubbing must cost a blit, not a decode and a resample: the canvas asks for each frame at its
on-screen size (one copy per zoom level, old ones fall out), and a background prefetcher
(ui.worker.FramePrefetcher) fills the cache ahead of the playhead. QImage (not QPixmap) because it
may be built off the GUI thread; on the raster back end both paint the same way.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from PySide6.QtGui import QImage

from inbetweener.model.images import ImageData

Size = tuple[int, int]  # (width, height) in device pixels


def qimage_from_rgba(rgba: np.ndarray) -> QImage:
    """A QImage in the painter's native format (RGB32 when opaque, premultiplied ARGB32 otherwise)."""
    arr = np.ascontiguousarray(rgba)
    h, w = arr.shape[:2]
    image = QImage(arr.data, w, h, 4 * w, QImage.Format.Format_RGBA8888)
    opaque = bool(arr[..., 3].min() == 255) if arr.size else True
    fmt = QImage.Format.Format_RGB32 if opaque else QImage.Format.Format_ARGB32_Premultiplied
    return image.convertToFormat(fmt)  # a converted copy: no longer tied to `arr`


def resized_rgba(rgba: np.ndarray, size: Size | None) -> np.ndarray:
    """Resample to `size` (area averaging when shrinking a lot, so thin lines do not alias away)."""
    if size is None or (rgba.shape[1], rgba.shape[0]) == tuple(size):
        return rgba
    import cv2

    factor = size[0] / rgba.shape[1]
    interp = cv2.INTER_AREA if factor < 0.5 else cv2.INTER_LINEAR
    return cv2.resize(rgba, (max(1, size[0]), max(1, size[1])), interpolation=interp)


def display_image(image: ImageData, size: Size | None) -> QImage:
    """Decode, resample and convert one frame (safe on any thread)."""
    return qimage_from_rgba(resized_rgba(image.array(), size))


def onion_image(layers: list[tuple[ImageData, tuple[int, int, int], float]], size: Size | None,
                opacity: float) -> QImage:
    """Ink of neighbouring keys, each in its tint and weight, on transparent paper (safe on any thread)."""
    import cv2

    premul: np.ndarray | None = None  # premultiplied RGB, composited "over" key by key
    alpha: np.ndarray | None = None
    for data, tint, weight in layers:
        rgba = resized_rgba(data.array(), size)
        gray = cv2.cvtColor(np.ascontiguousarray(rgba), cv2.COLOR_RGBA2GRAY)
        # Only clearly dark marks count as ink: mid-tone skies and fills stay out of the ghost.
        darkness = cv2.subtract(255 - gray, 60)
        ink = cv2.multiply(darkness, rgba[..., 3], scale=opacity * weight / 195)
        a = ink.astype(np.float32)[..., None] / 255.0
        if premul is None or alpha is None:
            premul = np.zeros(rgba.shape[:2] + (3,), np.float32)
            alpha = np.zeros(rgba.shape[:2] + (1,), np.float32)
        premul = np.asarray(tint, np.float32) * a + premul * (1 - a)
        alpha = a + alpha * (1 - a)
    if premul is None or alpha is None:
        raise ValueError("onion_image needs at least one key")
    out = np.dstack([premul, alpha * 255.0]).clip(0, 255).astype(np.uint8)
    h, w = out.shape[:2]
    image = QImage(out.data, w, h, 4 * w, QImage.Format.Format_RGBA8888_Premultiplied)
    return image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)


def thumbnail_size(image: ImageData, height: int) -> Size:
    return max(1, round(image.width * height / image.height)), height


class FrameCache:
    """(image_id, size) -> QImage, least recently used out first, bounded by bytes; plus thumbnails."""

    def __init__(self, budget_bytes: int = 256 * 1024 * 1024, thumb_height: int = 40) -> None:
        self.budget_bytes = budget_bytes
        self.thumb_height = thumb_height
        self._images: OrderedDict[tuple[str, Size | None], QImage] = OrderedDict()
        self._bytes = 0
        self._thumbs: OrderedDict[str, QImage] = OrderedDict()
        # Images that cannot be decoded (a drawing stored damaged), with the sentence saying so:
        # nobody decodes them again, and the animator is told once, not on every repaint.
        self._broken: dict[str, str] = {}
        self.hits = 0
        self.misses = 0

    def get(self, image_id: str, size: Size | None) -> QImage | None:
        key = (image_id, size)
        hit = self._images.get(key)
        if hit is not None:
            self._images.move_to_end(key)
        return hit

    def put(self, image_id: str, size: Size | None, image: QImage) -> None:
        key = (image_id, size)
        old = self._images.pop(key, None)
        if old is not None:
            self._bytes -= old.sizeInBytes()
        self._images[key] = image
        self._bytes += image.sizeInBytes()
        while self._bytes > self.budget_bytes and len(self._images) > 1:
            _, dropped = self._images.popitem(last=False)
            self._bytes -= dropped.sizeInBytes()

    def image(self, image_id: str, data: ImageData, size: Size | None) -> QImage:
        """The frame at `size` (None = full resolution), made now on a miss."""
        hit = self.get(image_id, size)
        if hit is not None:
            self.hits += 1
            return hit
        self.misses += 1
        made = display_image(data, size)
        self.put(image_id, size, made)
        return made

    def thumbnail(self, image_id: str) -> QImage | None:
        return self._thumbs.get(image_id)

    def put_thumbnail(self, image_id: str, image: QImage) -> None:
        self._thumbs[image_id] = image
        while len(self._thumbs) > 4000:  # ~4000 x 70x40 px: a few tens of MB at most
            self._thumbs.popitem(last=False)

    def make_thumbnail(self, image_id: str, data: ImageData) -> QImage:
        thumb = display_image(data, thumbnail_size(data, self.thumb_height))
        self.put_thumbnail(image_id, thumb)
        return thumb

    def broken(self, image_id: str) -> str | None:
        """Why `image_id` cannot be shown (a damaged drawing), or None."""
        return self._broken.get(image_id)

    def mark_broken(self, image_id: str, message: str) -> bool:
        """Remember that `image_id` cannot be decoded; True the first time (when to tell the animator)."""
        if image_id in self._broken:
            return False
        self._broken[image_id] = message
        return True

    @property
    def bytes_used(self) -> int:
        return self._bytes

    def clear(self) -> None:
        self._images.clear()
        self._thumbs.clear()
        self._broken.clear()  # another document (a backup, the recovery copy) may hold good copies
        self._bytes = 0
