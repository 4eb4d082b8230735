"""Immutable RGBA images held by a project: decoded arrays or PNG bytes decoded on demand."""

from __future__ import annotations

import hashlib
import weakref
from collections import OrderedDict
from threading import Lock

import numpy as np

from inbetweener.errors import ImageError

# Decoded PNG-backed images kept in memory (most recently used first out last), keyed by id() of
# the ImageData. Each entry holds the one finalizer that drops it if its image dies first (ids are
# reused); evicting an entry detaches that finalizer, so there are never more than the entries.
_DECODED_CACHE_SIZE = 48
_decoded: OrderedDict[int, tuple[np.ndarray, weakref.finalize]] = OrderedDict()
_decoded_lock = Lock()


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


class ImageData:
    """One RGBA uint8 image (H, W, 4). Keeps either the pixels or the PNG bytes, never mutated."""

    __slots__ = ("_array", "_png", "_id", "shape", "__weakref__")

    def __init__(self, array: np.ndarray | None = None, png: bytes | None = None,
                 shape: tuple[int, int] | None = None) -> None:
        if array is None and png is None:
            raise ValueError("ImageData needs pixels or PNG bytes")
        if array is not None:
            if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 4:
                raise ValueError(f"ImageData wants RGBA uint8 (H, W, 4), got {array.dtype} {array.shape}")
            array = _readonly(np.ascontiguousarray(array).copy() if array.flags.writeable else array)
            shape = (array.shape[0], array.shape[1])
        if shape is None:
            raise ValueError("PNG-backed ImageData needs its (height, width)")
        self._array = array
        self._png = png
        self._id: str | None = None
        self.shape: tuple[int, int] = (int(shape[0]), int(shape[1]))

    @classmethod
    def from_array(cls, array: np.ndarray) -> ImageData:
        return cls(array=array)

    @classmethod
    def from_png(cls, png: bytes, shape: tuple[int, int] | None = None) -> ImageData:
        """PNG bytes decoded lazily; without `shape` the header is read now (cheap)."""
        if shape is None:
            from inbetweener.io.png import png_size

            w, h = png_size(png)
            shape = (h, w)
        return cls(png=png, shape=shape)

    @property
    def height(self) -> int:
        return self.shape[0]

    @property
    def width(self) -> int:
        return self.shape[1]

    def array(self) -> np.ndarray:
        """The pixels, read-only; PNG-backed images are decoded through a small shared cache."""
        if self._array is not None:
            return self._array
        key = id(self)
        with _decoded_lock:
            hit = _decoded.get(key)
            if hit is not None:
                _decoded.move_to_end(key)
                return hit[0]
        from inbetweener.io.png import decode_png_rgba

        # A damaged drawing is the file's fault, not a bug: say so in one sentence (it is decoded lazily,
        # so this is where a PNG that was already broken when it was stored shows up).
        try:
            arr = _readonly(decode_png_rgba(self._png))  # type: ignore[arg-type]
        except ValueError as exc:
            raise ImageError(f"a drawing stored in the project is damaged ({exc}); "
                             "open a backup or the recovery copy") from None
        if arr.shape[:2] != self.shape:
            raise ImageError(f"a drawing stored in the project is {arr.shape[1]}x{arr.shape[0]} instead of "
                             f"{self.width}x{self.height}; open a backup or the recovery copy")
        with _decoded_lock:
            hit = _decoded.get(key)
            if hit is not None:  # another thread decoded it meanwhile: keep its entry (and finalizer)
                _decoded.move_to_end(key)
                return hit[0]
            _decoded[key] = (arr, weakref.finalize(self, _forget, key))
            while len(_decoded) > _DECODED_CACHE_SIZE:
                _, (_, finalizer) = _decoded.popitem(last=False)
                finalizer.detach()
        return arr

    def png_bytes(self) -> bytes:
        """PNG encoding (kept once made: saving twice does not re-encode)."""
        if self._png is None:
            from inbetweener.io.png import encode_png_rgba

            self._png = encode_png_rgba(self._array)  # type: ignore[arg-type]
        return self._png

    def content_id(self) -> str:
        """A stable id from the pixels (same drawing -> same id), used as the project's image key."""
        if self._id is None:
            h = hashlib.blake2b(digest_size=10)
            h.update(f"{self.shape}".encode())
            h.update(self.array().tobytes())
            self._id = h.hexdigest()
        return self._id

    def packed(self) -> ImageData:
        """The same image held as PNG bytes only, its id already known: what a long session keeps
        (a 1080p frame is ~0.4 MB as PNG, 8 MB as pixels). Slow (encoding): call it off the GUI thread."""
        if self._array is None:
            return self
        twin = ImageData(png=self.png_bytes(), shape=self.shape)
        twin._id = self.content_id()
        return twin


def _forget(key: int) -> None:
    with _decoded_lock:
        _decoded.pop(key, None)
