"""Pixel-format conversion to RGBA uint8."""

from __future__ import annotations

import numpy as np


def to_rgba8_from_cv(arr: np.ndarray) -> np.ndarray:
    """An OpenCV-decoded image (BGR order, grey, 16-bit, float) as RGBA uint8."""
    import cv2

    if arr.dtype == np.uint16:
        arr = (arr.astype(np.uint32) * 255 + 32767) // 65535
        arr = arr.astype(np.uint8)
    elif arr.dtype in (np.float32, np.float64):
        arr = np.clip(arr * 255.0 + 0.5, 0, 255).astype(np.uint8)
    elif arr.dtype != np.uint8:
        raise ValueError(f"unsupported pixel type {arr.dtype}")
    if arr.ndim == 2:
        return cv2.cvtColor(arr, cv2.COLOR_GRAY2RGBA)
    channels = arr.shape[2]
    if channels == 1:
        return cv2.cvtColor(arr[:, :, 0], cv2.COLOR_GRAY2RGBA)
    if channels == 2:  # grey + alpha
        rgba = cv2.cvtColor(np.ascontiguousarray(arr[:, :, 0]), cv2.COLOR_GRAY2RGBA)
        rgba[:, :, 3] = arr[:, :, 1]
        return rgba
    if channels == 3:
        return cv2.cvtColor(arr, cv2.COLOR_BGR2RGBA)
    if channels == 4:
        return cv2.cvtColor(arr, cv2.COLOR_BGRA2RGBA)
    raise ValueError(f"unsupported channel count {channels}")
