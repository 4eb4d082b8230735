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
    """(H, W) float32: the length of each vector of a float32 motion (H, W, 2) (see hypot)."""
    return hypot(motion[..., 0], motion[..., 1])


def hypot(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """sqrt(x^2 + y^2) per element, float32 like its inputs. Not cv2.magnitude: its result changed
    in the last bit with how its two inputs lay in memory (their alignment picks its code path),
    and through the engine's thresholds a frame changed with what the process had made before it
    (by up to a level). Squares, a sum and a square root round alike on every path. (numpy's
    einsum over a last axis of two is some six times slower.)"""
    out = x * x
    out += y * y
    return np.sqrt(out, out=out)


def as_pairs(motion: np.ndarray) -> np.ndarray:
    """A float32 motion (..., 2) seen as complex64 (...), one element per vector, sharing its
    memory: numpy's masked copies, selections and comparisons over a last axis of two run some
    two to fifteen times slower than over one element a vector."""
    if motion.dtype != np.float32 or motion.shape[-1] != 2:
        raise TypeError(f"as_pairs takes a float32 motion (..., 2), not {motion.dtype} {motion.shape}")
    return motion.view(np.complex64)[..., 0]


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
    x0 = np.minimum(np.floor(x).astype(np.intp), w - 2 if w > 1 else 0)
    y0 = np.minimum(np.floor(y).astype(np.intp), h - 2 if h > 1 else 0)
    fx = (x - x0)[:, None]
    fy = (y - y0)[:, None]
    # The four neighbours by their places in the flat field (np.take: some twice as fast as
    # indexing rows and columns; searches over many places use read_points).
    flat = field.reshape(h * w, -1)
    at = y0 * w + x0
    right = np.where(x0 + 1 < w, 1, 0)
    below = np.where(y0 + 1 < h, w, 0)
    top = np.take(flat, at, axis=0) * (1 - fx) + np.take(flat, at + right, axis=0) * fx
    bottom = np.take(flat, at + below, axis=0) * (1 - fx) + np.take(flat, at + below + right, axis=0) * fx
    return top * (1 - fy) + bottom * fy


# Points read per row by read_points (cv2.remap takes images under 32767 px a side).
_READ_ROW = 1024


def read_points(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Bilinear reads of a float32 (H, W, C) image at float32 (N, 2) xy points, edges replicated
    (as sample_points), in one cv2.remap call: many times faster than sample_points, at OpenCV's
    fixed-point step of 1/32 px (for searches over many places, not a path's exact point)."""
    n = len(points)
    rows = max(1, -(-n // _READ_ROW))
    laid = np.zeros((rows * _READ_ROW, 2), np.float32)
    laid[:n] = points
    seen = cv2.remap(image, laid.reshape(rows, _READ_ROW, 2), None, cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)
    return seen.reshape(rows * _READ_ROW, -1)[:n]


# A pixel whose four nearest work pixels' displacements differ by over this (px at its own size)
# lies where two surfaces meet: see resize_motion. (Under it, their mix reads within a pixel of
# either; at 1 px the cartoon bench gained 0.03 dB more for a third more pixels to decide.)
_MOTION_SEAM_PX = 2.0
_MIX_HANDICAP_PX = 0.5  # added to the mix's miss (px at the new size)
_FAR_CORNER_PX = 0.25  # added to a work pixel's, per work px from the pixel's centre (below the mix's)


def resize_motion(to: np.ndarray, move: np.ndarray, width: int, height: int) -> np.ndarray:
    """A time-t displacement to a key resampled to (width, height), in that size's px: `to` is the
    inverse of the key's forward motion `move` (to(p) = -move(p + to(p))), both at one scale.

    Bilinear, except where two surfaces meet: there the mix of their displacements points at
    neither (half a flying ball's motion, a pixel behind it, reads the key inside the ball: a red
    speck on the grass). Such a pixel takes, of its four nearest work pixels' displacements and
    their mix, the one nearest a fixed point of `move` at the pixel itself: the surface it lies on.
    """
    h, w = to.shape[:2]
    out = resize_flow(to, width, height)
    if (w, h) == (width, height):
        return out
    sx, sy = w / width, h / height
    # The work pixels round each pixel centre (cv2.resize's centre-aligned mapping), per axis.
    cols = (np.arange(width, dtype=np.float32) + np.float32(0.5)) * np.float32(sx) - np.float32(0.5)
    rows = (np.arange(height, dtype=np.float32) + np.float32(0.5)) * np.float32(sy) - np.float32(0.5)
    x0 = np.clip(np.floor(cols).astype(np.intp), 0, w - 1)
    y0 = np.clip(np.floor(rows).astype(np.intp), 0, h - 1)
    x1, y1 = np.minimum(x0 + 1, w - 1), np.minimum(y0 + 1, h - 1)
    block = np.ones((2, 2), np.uint8)  # a work pixel and its right, lower and diagonal neighbours
    spread = (cv2.dilate(to, block, anchor=(0, 0)) - cv2.erode(to, block, anchor=(0, 0)))
    seam = (spread[..., 0] > np.float32(_MOTION_SEAM_PX * sx)) | (spread[..., 1] > np.float32(_MOTION_SEAM_PX * sy))
    rows_in = np.flatnonzero(seam.any(axis=1).take(y0))  # (most rows have no seam: skip them whole)
    if len(rows_in) == 0:
        return out
    ys, xs = np.nonzero(seam.take(y0[rows_in], axis=0).take(x0, axis=1))
    if len(ys) == 0:  # (a smaller size reads only some work columns)
        return out
    ys = rows_in[ys]
    unit = np.array([1.0 / sx, 1.0 / sy], np.float32)
    # (5, N): the four work pixels' displacements and their mix, in px at the new size, one
    # element a vector (as_pairs); `candidates` is the same memory as (5, N, 2) floats.
    flat, out_flat = as_pairs(to).ravel(), as_pairs(out).ravel()
    top, bottom, left, right = y0[ys] * w, y1[ys] * w, x0[xs], x1[xs]
    pairs = np.empty((5, len(ys)), np.complex64)
    for i, place in enumerate((top + left, top + right, bottom + left, bottom + right)):
        np.take(flat, place, out=pairs[i])
    candidates = pairs.view(np.float32).reshape(5, len(ys), 2)
    candidates[:4] *= unit
    at = ys * width + xs  # the pixels' places in `out`, flat
    np.take(out_flat, at, out=pairs[4])
    # Where the key's pixel each one reads lies, in work px, and how far the key's motion there
    # misses bringing it here: read bilinearly (a smooth motion), and at the nearest work pixel
    # (the surface the pixel read is on: read bilinearly, a shape's own edge pixel mixes its
    # motion with the ground's and fits neither).
    map_x = (candidates[..., 0] + xs.astype(np.float32) + np.float32(0.5)) * np.float32(sx) - np.float32(0.5)
    map_y = (candidates[..., 1] + ys.astype(np.float32) + np.float32(0.5)) * np.float32(sy) - np.float32(0.5)
    miss = None
    for interpolation in (cv2.INTER_LINEAR, cv2.INTER_NEAREST):
        there = _remap_points(move, map_x, map_y, interpolation) * unit
        there += candidates
        fit = length(there)
        miss = fit if miss is None else np.minimum(miss, fit)
    # The mix must fit clearly better (a smooth, steep motion such as a zoom): `move` is itself
    # mixed where it is read across a seam, and there the mix can tie with a surface's motion.
    miss[4] += _MIX_HANDICAP_PX
    # Where surfaces overlap (a shape covering ground it has not yet reached in the key), both
    # fit; the nearest work pixel holds the splat's word on which is in front.
    fx, fy = (cols - x0.astype(np.float32))[xs], (rows - y0.astype(np.float32))[ys]
    for i, (dx, dy) in enumerate(((fx, fy), (1 - fx, fy), (fx, 1 - fy), (1 - fx, 1 - fy))):
        miss[i] += _FAR_CORNER_PX * np.hypot(dx, dy)
    out_flat[at] = np.take_along_axis(pairs, np.argmin(miss, axis=0)[None, :], axis=0)[0]
    return out


def _remap_points(field: np.ndarray, map_x: np.ndarray, map_y: np.ndarray, interpolation: int,
                  row: int = 4096) -> np.ndarray:
    """Samples of an (H, W, C) field at float32 points (map_x, map_y of any one shape S), edges
    replicated: (*S, C). (cv2.remap takes maps under 32767 px across: the points go in rows.)"""
    n = map_x.size
    rows = -(-n // row)
    maps = np.zeros((2, rows * row), np.float32)
    maps[0, :n], maps[1, :n] = map_x.ravel(), map_y.ravel()
    out = cv2.remap(field, maps[0].reshape(rows, row), maps[1].reshape(rows, row), interpolation,
                    borderMode=cv2.BORDER_REPLICATE)
    return out.reshape(rows * row, -1)[:n].reshape(*map_x.shape, -1)


def premultiply(rgba: np.ndarray) -> np.ndarray:
    """RGBA uint8 -> float32 with colour premultiplied by alpha (alpha kept in 0..255)."""
    out = rgba.astype(np.float32)
    alpha = out[..., 3] * np.float32(1.0 / 255.0)
    for channel in range(3):  # (a plane at a time: broadcasting (H, W, 1) over three is ~4x slower)
        out[..., channel] *= alpha
    return out


def unpremultiply(premul: np.ndarray) -> np.ndarray:
    """Premultiplied float32 RGBA -> straight RGBA uint8; fully transparent pixels get black."""
    alpha = premul[..., 3]
    scale = np.float32(255.0) / np.maximum(alpha, np.float32(1e-3))
    scale *= alpha > 0.5
    out = np.empty(premul.shape, np.uint8)
    plane = np.empty(alpha.shape, np.float32)
    # A plane at a time, in one scratch plane (some three times faster than over (H, W, 3) at once).
    for channel in range(3):
        np.multiply(premul[..., channel], scale, out=plane)
        plane += np.float32(0.5)
        out[..., channel] = np.clip(plane, 0, 255, out=plane)
    np.add(alpha, np.float32(0.5), out=plane)
    out[..., 3] = np.clip(plane, 0, 255, out=plane)
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
