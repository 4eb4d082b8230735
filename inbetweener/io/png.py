"""PNG encode/decode for RGBA uint8 arrays (cv2 imported lazily to keep start-up light)."""

from __future__ import annotations

import struct

import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG header without decoding the pixels."""
    if len(data) < 24 or data[:8] != PNG_SIGNATURE or data[12:16] != b"IHDR":
        raise ValueError("not a PNG file")
    w, h = struct.unpack(">II", data[16:24])
    return int(w), int(h)


def encode_png_rgba(rgba: np.ndarray, compression: int = 3) -> bytes:
    import cv2

    bgra = cv2.cvtColor(np.ascontiguousarray(rgba), cv2.COLOR_RGBA2BGRA)
    ok, buf = cv2.imencode(".png", bgra, [cv2.IMWRITE_PNG_COMPRESSION, compression])
    if not ok:
        raise ValueError("PNG encoding failed")
    return buf.tobytes()


def decode_png_rgba(data: bytes) -> np.ndarray:
    """Decode PNG bytes (any of grey, grey+alpha, RGB, RGBA, 8/16 bit) to RGBA uint8."""
    import cv2

    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if arr is None:
        raise ValueError("the PNG data could not be decoded")
    from inbetweener.io.convert import to_rgba8_from_cv

    return to_rgba8_from_cv(arr)
