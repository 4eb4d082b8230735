"""Line art: detect sparse dark strokes on a light ground, and keep strokes single and crisp."""

from __future__ import annotations

import numpy as np


def looks_like_line_art(*keys_rgba: np.ndarray) -> bool:
    """True when every key is mostly light paper (or transparent) with a few dark strokes."""
    for rgba in keys_rgba:
        step = max(1, int(np.sqrt(rgba.shape[0] * rgba.shape[1] / 65536)))  # sample ~64k pixels
        px = rgba[::step, ::step].astype(np.float32)
        alpha = px[..., 3] / 255.0
        grey = (px[..., 0] * 0.299 + px[..., 1] * 0.587 + px[..., 2] * 0.114) * alpha + 255.0 * (1 - alpha)
        chroma = (px[..., :3].max(axis=2) - px[..., :3].min(axis=2)) * alpha
        light = np.mean(grey > 200)
        dark = np.mean(grey < 110)
        colourful = np.mean(chroma > 60)
        if not (light > 0.75 and 0.001 < dark < 0.2 and colourful < 0.05):
            return False
    return True


def select_weights(weight_a: np.ndarray, weight_b: np.ndarray, sharpness: float) -> np.ndarray:
    """Share of key A per pixel, pushed towards 0 or 1 so strokes come from one key, not both.

    A smoothstep of the occlusion-aware share: warp-and-select with a short cross-over, so a stroke
    the flow could not align is drawn once (from the nearer key) instead of as two half-lines.
    """
    share = weight_a / np.maximum(weight_a + weight_b, 1e-6)
    if sharpness <= 0:
        return share
    half_width = 0.5 * (1.0 - min(sharpness, 0.95))
    u = np.clip((share - (0.5 - half_width)) / (2 * half_width), 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)
