"""Tiny images and a curved path shared by the model tests."""

from __future__ import annotations

import numpy as np

from inbetweener.model import ImageData, MotionPath
from inbetweener.paths import BezierChain, Timing

W, H = 8, 6


def img(v: int) -> ImageData:
    """A W x H opaque image whose red channel is `v` (distinct v, distinct content id)."""
    a = np.zeros((H, W, 4), np.uint8)
    a[..., 0] = v
    a[..., 3] = 255
    return ImageData.from_array(a)


ARC = MotionPath(BezierChain(((0, 0), (2, -3), (5, -3), (7, 0))), Timing.preset("ease-in"), "arc")
