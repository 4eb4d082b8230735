"""Line art: detect sparse dark strokes on a light ground, and keep strokes single and crisp."""

from __future__ import annotations

import numpy as np

# Darkness (0 paper .. 1 black) from which a pixel is a stroke's (bones, strokes one key has).
INK = 0.25


def looks_like_line_art(*keys_rgba: np.ndarray) -> bool:
    """True when every key is mostly light paper (or transparent) with a few dark strokes."""
    for rgba in keys_rgba:
        step = max(1, int(np.ceil(np.sqrt(rgba.shape[0] * rgba.shape[1] / 65536))))  # sample <= 64k pixels
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


def darkness(warped: np.ndarray) -> np.ndarray:
    """Darkness in [0, 1] of a (warped) key (uint8 RGBA or premultiplied float RGBA), paper = 0."""
    import cv2

    rgb = warped[..., :3].astype(np.float32)
    alpha = warped[..., 3].astype(np.float32) * np.float32(1.0 / 255.0)
    if warped.dtype != np.uint8:  # premultiplied: composite over white paper
        rgb = rgb + 255.0 * (1.0 - alpha)[..., None]
    grey = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    return 1.0 - grey * np.float32(1.0 / 255.0)


def consensus_share(warped_a: np.ndarray, warped_b: np.ndarray, share_a: np.ndarray, t: float) -> np.ndarray:
    """Ink that only one warped key has (no stroke of the other key within a pixel) is drawn only
    once that key clearly dominates in time: stray fragments of a mis-warped stroke do not ghost
    mid-way (occlusion reasoning is not trusted there: blank paper has no reliable motion)."""
    import cv2

    kernel = np.ones((3, 3), np.uint8)
    ink_a, ink_b = darkness(warped_a), darkness(warped_b)
    lone_a = (ink_a > 0.3) & (cv2.dilate(ink_b, kernel) < 0.15)
    lone_b = (ink_b > 0.3) & (cv2.dilate(ink_a, kernel) < 0.15)
    out = share_a.copy()
    out[lone_a] = np.clip((0.5 - t) / 0.4, 0.0, 1.0)
    out[lone_b] = 1.0 - np.clip((t - 0.5) / 0.4, 0.0, 1.0)
    return out


def thinned(mask: np.ndarray) -> np.ndarray:
    """The mask thinned to 8-connected lines one pixel wide (Zhang & Suen 1984, "A fast parallel
    algorithm for thinning digital patterns")."""
    image = np.pad(mask, 1).astype(np.uint8)
    while True:
        changed = False
        for second in (False, True):
            # The neighbours clockwise from north: P2 .. P9 in the paper.
            n = [image[:-2, 1:-1], image[:-2, 2:], image[1:-1, 2:], image[2:, 2:],
                 image[2:, 1:-1], image[2:, :-2], image[1:-1, :-2], image[:-2, :-2]]
            count = sum(n)
            crossings = sum((n[i] == 0) & (n[(i + 1) % 8] == 1) for i in range(8))
            if second:
                side = (n[0] * n[2] * n[6] == 0) & (n[0] * n[4] * n[6] == 0)
            else:
                side = (n[0] * n[2] * n[4] == 0) & (n[2] * n[4] * n[6] == 0)
            remove = (image[1:-1, 1:-1] == 1) & (count >= 2) & (count <= 6) & (crossings == 1) & side
            if remove.any():
                image[1:-1, 1:-1][remove] = 0
                changed = True
        if not changed:
            return image[1:-1, 1:-1].astype(bool)
