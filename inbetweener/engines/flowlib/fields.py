"""Small array helpers shared by the flow engine: grids, sampling, premultiplied alpha."""

from __future__ import annotations

import cv2
import numpy as np


def pixel_grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """x and y coordinates of every pixel centre, float32 (H, W) each."""
    xs = np.arange(width, dtype=np.float32)
    ys = np.arange(height, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)  # contiguous: broadcast views make every later op slower
    return gx, gy


def warp(image: np.ndarray, flow: np.ndarray, gx: np.ndarray, gy: np.ndarray,
         interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
    """Backward warp: out(p) = image(p + flow(p)), edges replicated."""
    map_x = gx + flow[..., 0]
    map_y = gy + flow[..., 1]
    return cv2.remap(image, map_x, map_y, interpolation, borderMode=cv2.BORDER_REPLICATE)


def length(motion: np.ndarray) -> np.ndarray:
    """(H, W) float32: the length of each vector of a float32 motion (H, W, 2) (cv2.magnitude;
    numpy's einsum over a last axis of two is some six times slower)."""
    return cv2.magnitude(motion[..., 0], motion[..., 1])


def squared_length(motion: np.ndarray) -> np.ndarray:
    """(H, W): the squared length of each vector of a motion (H, W, 2)."""
    x, y = motion[..., 0], motion[..., 1]
    return x * x + y * y


def within(motion: np.ndarray, px: float) -> np.ndarray:
    """(H, W) bool: where both components of a float32 motion (H, W, 2) lie within +-px
    (cv2.inRange: numpy's max over the two components is some 30 times slower)."""
    return cv2.inRange(motion, (-px, -px), (px, px)).astype(bool)


def sample_points(field: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Bilinear samples of an (H, W, C) field at float (N, 2) xy points, edges clamped."""
    h, w = field.shape[:2]
    x = np.clip(points[:, 0], 0, w - 1)
    y = np.clip(points[:, 1], 0, h - 1)
    x0 = np.minimum(np.floor(x).astype(int), w - 2 if w > 1 else 0)
    y0 = np.minimum(np.floor(y).astype(int), h - 2 if h > 1 else 0)
    x1 = np.minimum(x0 + 1, w - 1)
    y1 = np.minimum(y0 + 1, h - 1)
    fx = (x - x0)[:, None]
    fy = (y - y0)[:, None]
    top = field[y0, x0] * (1 - fx) + field[y0, x1] * fx
    bottom = field[y1, x0] * (1 - fx) + field[y1, x1] * fx
    return top * (1 - fy) + bottom * fy


def premultiply(rgba: np.ndarray) -> np.ndarray:
    """RGBA uint8 -> float32 with colour premultiplied by alpha (alpha kept in 0..255)."""
    out = rgba.astype(np.float32)
    out[..., :3] *= out[..., 3:4] * np.float32(1.0 / 255.0)
    return out


def unpremultiply(premul: np.ndarray) -> np.ndarray:
    """Premultiplied float32 RGBA -> straight RGBA uint8; fully transparent pixels get black."""
    alpha = premul[..., 3:4]
    safe = np.maximum(alpha, np.float32(1e-3))
    colour = premul[..., :3] * (np.float32(255.0) / safe)
    colour *= alpha > 0.5
    out = np.empty(premul.shape, np.uint8)
    np.clip(colour + 0.5, 0, 255, out=colour)
    out[..., :3] = colour
    out[..., 3:4] = np.clip(alpha + 0.5, 0, 255)
    return out


def resize_flow(flow: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resample a flow field to another size, scaling its vectors to the new pixel units."""
    h, w = flow.shape[:2]
    if (w, h) == (width, height):
        return flow
    out = cv2.resize(flow, (width, height), interpolation=cv2.INTER_LINEAR)
    out[..., 0] *= width / w
    out[..., 1] *= height / h
    return out
