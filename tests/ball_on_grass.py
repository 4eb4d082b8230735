"""A small colour scene for the flow engine's tests, core and editor alike (imported by name: pytest
puts this folder on sys.path): a red ball with a dark outline over a textured green ground."""

from __future__ import annotations

import cv2
import numpy as np


def ball_on_grass(cx: int, cy: int, w: int = 160, h: int = 120) -> np.ndarray:
    """RGBA uint8: the ball (radius 14) centred at (cx, cy) over the same ground each call: colour
    art whose flat shape a path carries (not line art)."""
    rng = np.random.default_rng(7)
    ground = cv2.GaussianBlur(rng.integers(0, 255, (h, w, 3)).astype(np.uint8), (0, 0), 1.5)
    img = np.dstack([ground // 3 + np.array([90, 140, 90], np.uint8), np.full((h, w), 255, np.uint8)])
    cv2.circle(img, (cx, cy), 14, (210, 40, 40, 255), -1, cv2.LINE_AA)
    cv2.circle(img, (cx, cy), 14, (20, 20, 20, 255), 2, cv2.LINE_AA)
    return img
