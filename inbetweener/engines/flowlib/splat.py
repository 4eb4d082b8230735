"""Flow at an in-between time by forward splatting each key's motion (occlusion-weighted).

Baker et al. 2011, "A Database and Evaluation Methodology for Optical Flow" (§ interpolation: forward
warp the flow to time t, fill holes); sources landing on one pixel are averaged with softmax-like
weights (Niklaus & Liu 2020, "Softmax Splatting for Video Frame Interpolation") that favour pixels
consistent in both directions and moving against the dominant motion (in front, as a rule).
"""

from __future__ import annotations

import cv2
import numpy as np

HOLE = 0.05  # splat count below which a pixel received nothing from that key


def splat_importance(flow: np.ndarray, visibility: np.ndarray) -> np.ndarray:
    """Softmax splatting weight: forward-backward consistency x exp(motion against the dominant one)."""
    dominant = np.median(flow[::4, ::4].reshape(-1, 2), axis=0)  # a sample is plenty for the median
    offset = flow - dominant.astype(np.float32)
    relative = np.sqrt(np.einsum("ijk,ijk->ij", offset, offset))
    return (np.maximum(visibility, 0.05) * np.exp(np.minimum(relative, 40.0) * 0.25)).astype(np.float32)


def splat_displacement(motion: np.ndarray, weight: np.ndarray, gx: np.ndarray,
                       gy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each source pixel moves by `motion`; return, at time-t pixels, the displacement back to the
    source (mean weighted by `weight`, (H, W, 2)) and how many source pixels landed there ((H, W)).

    Nearest-pixel splatting that records the exact source offset from the receiving pixel, so
    sampling the key at pixel + displacement hits the source pixel itself (no half-pixel drift).
    """
    h, w = weight.shape
    dest_x = np.rint(gx + motion[..., 0])
    dest_y = np.rint(gy + motion[..., 1])
    # Outside destinations are clamped onto the border with zero weight (cheaper than masking).
    inside = (dest_x >= 0) & (dest_x <= w - 1) & (dest_y >= 0) & (dest_y <= h - 1)
    src_w = np.where(inside, weight, np.float32(0.0)).ravel()
    np.clip(dest_x, 0, w - 1, out=dest_x)
    np.clip(dest_y, 0, h - 1, out=dest_y)
    idx = (dest_y * w + dest_x).astype(np.int32).ravel()
    back_x = (gx - dest_x).ravel()
    back_y = (gy - dest_y).ravel()
    size = h * w
    count = np.bincount(idx, inside.ravel().astype(np.float32), size)
    total_w = np.bincount(idx, src_w, size)
    total_x = np.bincount(idx, src_w * back_x, size)
    total_y = np.bincount(idx, src_w * back_y, size)
    safe = np.maximum(total_w, 1e-6)
    disp = np.empty((h, w, 2), np.float32)
    disp[..., 0] = (total_x / safe).reshape(h, w)
    disp[..., 1] = (total_y / safe).reshape(h, w)
    return disp, count.astype(np.float32).reshape(h, w)


def fill_holes(field: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Fill pixels with weight < HOLE by normalised convolution at growing radii."""
    holes = weight < HOLE
    if not holes.any():
        return field
    known = (~holes).astype(np.float32)
    field = field * known[..., None]
    h, w = weight.shape
    radius = 1
    while radius < 2 * max(h, w):
        k = 2 * radius + 1
        den = cv2.blur(known, (k, k))
        num = cv2.blur(field, (k, k))
        fill = holes & (den > 1e-3)
        np.copyto(field, num / np.maximum(den, 1e-3)[..., None], where=fill[..., None])
        holes &= ~fill
        if not holes.any():
            break
        known = np.maximum(known, fill.astype(np.float32))
        radius *= 4
    return field
