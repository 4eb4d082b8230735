"""Flow at an in-between time by forward splatting each key's motion (occlusion-weighted).

Baker et al. 2011, "A Database and Evaluation Methodology for Optical Flow" (§ interpolation: forward
warp the flow to time t, fill holes); sources landing on one pixel are averaged with softmax-like
weights (Niklaus & Liu 2020, "Softmax Splatting for Video Frame Interpolation") that favour pixels
consistent in both directions and moving against the dominant motion (in front, as a rule).
"""

from __future__ import annotations

import cv2
import numpy as np

from inbetweener.engines.flowlib.fields import hypot

HOLE = 0.05  # splat count below which a pixel received nothing from that key
_TEXTURE_STD = 6.0  # grey levels of local standard deviation at which paint counts as textured
_SLIDE_PX = 3.0  # px of motion against the dominant one at which flat paint stops being trusted
_FG_REACH = 64  # px (work scale) within which an occluded pixel's foreground is looked for
# Cracks: a surface stretched over twice between neighbouring source pixels (a growing shape whose
# flow is patchy) leaves gaps in the bilinear splat, and the key's own ground behind it (static,
# uncovered nowhere) lands there as if seen. Such a gap is a thin valley in the landed motion: what
# landed at the pixel moves (against the dominant motion) less, by over _CRACK_PX and over
# _CRACK_SHARE of it, than what landed on both sides of it along a line of _CRACK_SPAN pixels
# (gaps up to 2 px wide). The outer edge of a shape has no such second side.
_CRACK_SPAN = 5
_CRACK_PX = 2.0
_CRACK_SHARE = 0.5
_CRACK_LINES = (np.ones((1, _CRACK_SPAN), np.uint8), np.ones((_CRACK_SPAN, 1), np.uint8),
                np.eye(_CRACK_SPAN, dtype=np.uint8), np.eye(_CRACK_SPAN, dtype=np.uint8)[::-1].copy())


def relative_motion(flow: np.ndarray) -> np.ndarray:
    """Per pixel, how far the motion is from the dominant (median) motion, in px."""
    dominant = np.median(flow[::4, ::4].reshape(-1, 2), axis=0).astype(np.float32)  # a sample is plenty
    # Component by component: numpy subtracts a pair from each pixel's pair some five times slower.
    return hypot(flow[..., 0] - dominant[0], flow[..., 1] - dominant[1])


def texture(colour: np.ndarray) -> np.ndarray:
    """0 (flat paint) .. 1 (textured): 5x5 standard deviation of the channel mean, over _TEXTURE_STD."""
    grey = colour.reshape(colour.shape[0], colour.shape[1], -1).mean(axis=2, dtype=np.float32)
    mean = cv2.blur(grey, (5, 5))
    var = np.maximum(cv2.blur(grey * grey, (5, 5)) - mean * mean, 0.0)
    return np.clip(np.sqrt(var) * np.float32(1.0 / _TEXTURE_STD), 0.0, 1.0)


def fill_occluded(flow: np.ndarray, consistency: np.ndarray, colour: np.ndarray,
                  threshold: float = 0.1, textured: np.ndarray | None = None,
                  matched: np.ndarray | None = None, uncovered: np.ndarray | None = None,
                  carried: tuple[np.ndarray, np.ndarray] | None = None,
                  relative: np.ndarray | None = None) -> np.ndarray:
    """Replace the flow of pixels with no partner in the other key by a neighbouring surface's motion.

    Such pixels are occluded in the other key (or deform past what the flow could follow), so
    their own flow is a guess. Two fills from the trusted pixels, one favouring the background
    (dominant) motion, one the foreground: each pixel takes the one whose source pixels look like
    it in `colour` ((H, W) or (H, W, C)): an occluded patch of ground joins the ground, the rim of
    a squashing ball joins the ball (a two-layer form of edge-aware sparse-to-dense filling).
    `matched` (bool (H, W)) marks flat paint whose motion was found otherwise (a paint region
    matched across the keys): its own motion is evidence there. `uncovered` (bool (H, W)) marks
    pixels where the other key shows a different surface that moves away (or in): a shape left
    them, or will cover them; untrusted, they join the background. `carried` ((H, W, 2) motion,
    (H, W) bool zone) is the whole motion of shapes known otherwise (carried by a path): an
    untrusted pixel in the zone that joins the foreground moves by it. `relative` is
    relative_motion(flow), when the caller has it.
    """
    relative = np.minimum(relative_motion(flow) if relative is None else relative, 40.0)
    # On flat paint a motion of its own is no evidence: the flow slides along it (the aperture
    # problem; think of sky uncovered by a ball that left) and can pass the consistency check both
    # ways. Such pixels count as untrusted and take a neighbouring surface's motion like the rest.
    textured = texture(colour) if textured is None else textured  # callers may have it already
    slid = (1.0 - textured) * (1.0 - np.exp(relative * np.float32(-1.0 / _SLIDE_PX)))
    if matched is not None:
        slid[matched] = 0.0
    untrusted = consistency * (1.0 - slid) < threshold
    if not untrusted.any():
        return flow
    holes = np.where(untrusted, 0.0, 1.0).astype(np.float32)
    stacked = np.dstack([flow, colour.reshape(colour.shape[0], colour.shape[1], -1)]).astype(np.float32)
    fill_bg = fill_holes(stacked, holes, known=np.exp(-0.25 * relative).astype(np.float32))
    # The foreground is a neighbouring surface: one found only past _FG_REACH px is another
    # shape's motion (for the grass blades where a ball will land, the ball's, far up the sky),
    # so the pixel joins the background. A channel of ones comes out 1 where the fill reached.
    fill_fg = fill_holes(np.dstack([stacked, np.ones_like(holes)]), holes,
                         known=np.exp(0.25 * (relative - 40.0)).astype(np.float32), reach=_FG_REACH)
    # Only the untrusted pixels take a fill: they are weighed on their own (a small share of the frame).
    where = np.nonzero(untrusted)
    own = stacked[where]
    fill_bg, fill_fg = fill_bg[where], fill_fg[where]
    fill_fg, fg_reached = fill_fg[:, :-1], fill_fg[:, -1] > 0.5
    # Colour decides; where colours tie (grass beside a landing ball, on both layers' sides), the
    # pixel's own motion, weak as it is, tips the balance (0.5 grey levels per px).
    misfit = [np.abs(f[:, 2:] - own[:, 2:]).sum(axis=1) + 0.5 * np.hypot(*(f[:, :2] - own[:, :2]).T)
              for f in (fill_bg, fill_fg)]
    pick_fg = (misfit[1] < misfit[0]) & fg_reached
    if uncovered is not None:
        # There the nearest trusted pixels may be another surface (ground at a figure's feet,
        # where the sky it uncovers is untrusted all round) and colour alone can mislead.
        pick_fg &= ~uncovered[where]
    foreground = fill_fg[:, :2]
    if carried is not None:
        # Near a shape whose whole motion is known (carried by a path, squash included), that
        # motion, not its neighbours' average, is what a pixel joining the shape moves by.
        motion, zone = carried
        foreground = np.where(zone[where][:, None], motion[where], foreground)
    out = flow.copy()
    out[where] = np.where(pick_fg[:, None], foreground, fill_bg[:, :2])
    return out


def splat_importance(flow: np.ndarray, visibility: np.ndarray) -> np.ndarray:
    """Softmax splatting weight: forward-backward consistency x exp(motion against the dominant one)."""
    boost = np.exp(np.minimum(relative_motion(flow), 40.0) * 0.25)
    return (np.maximum(visibility, 0.05) * boost).astype(np.float32)


def splat_trust(flow: np.ndarray, visibility: np.ndarray) -> np.ndarray:
    """How much a source pixel's landing counts as "this key is seen here" (0..1).

    Consistent pixels count fully; so do inconsistent ones that move with the dominant motion (the
    background being covered or uncovered). An inconsistent pixel with a motion of its own (the rim
    of a shape that deforms, a mismatch) counts little: otherwise its stray landings leave a ghost
    of the shape where it started or where it will end.
    """
    background = np.exp(-relative_motion(flow) * np.float32(1.0 / 8.0))
    return np.maximum(visibility, background).astype(np.float32)


def splat_displacement(motion: np.ndarray, weight: np.ndarray, gx: np.ndarray, gy: np.ndarray,
                       trust: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each source pixel moves by `motion`; return, at time-t pixels, the displacement back to the
    source (mean weighted by `weight`, (H, W, 2)) and how much landed there ((H, W)), scaled by
    how far the sources that win the pixel (by weight) are trusted (`trust`, default 1).

    Bilinear splatting: a source lands on the four pixels around its destination with bilinear
    shares, so a surface stretched up to twofold stays closed (nearest-pixel splats leave one-pixel
    cracks that the static background behind shows through); in cracks left by a stronger stretch
    (see _CRACK_SPAN) nothing counts as landed. Each receiving pixel records the exact offset back
    to the source, so sampling the key there hits the source itself (no half-pixel drift).
    """
    h, w = weight.shape
    # The four corners are summed on a canvas with a margin (1 px before the frame, 2 after) and
    # destinations are clamped into it: a corner off the frame lands in the margin, cut away after,
    # with no bounds test per corner. (fmax / fmin also send a NaN into the margin.)
    row = w + 3
    dest_x = np.fmin(np.fmax(gx + motion[..., 0], np.float32(-1.0)), np.float32(w)).ravel()
    dest_y = np.fmin(np.fmax(gy + motion[..., 1], np.float32(-1.0)), np.float32(h)).ravel()
    x0 = np.floor(dest_x)
    y0 = np.floor(dest_y)
    # Each corner's share is the product of its two axes' (one row per corner: no tiled copies).
    right = dest_x - x0
    left = 1 - right
    below = dest_y - y0
    above = 1 - below
    shares = np.empty((4, h * w), np.float32)
    np.multiply(left, above, out=shares[0])
    np.multiply(right, above, out=shares[1])
    np.multiply(left, below, out=shares[2])
    np.multiply(right, below, out=shares[3])
    y0 += 1
    y0 *= row
    y0 += x0 + 1
    idx = (y0.astype(np.int64)[None, :] + np.array([[0], [1], [row], [row + 1]])).ravel()
    canvas = (h + 3) * row

    def landed(values: np.ndarray) -> np.ndarray:
        """Per frame pixel, the sum of (4, H*W) per-corner values that landed there."""
        return np.bincount(idx, values.ravel(), canvas).reshape(h + 3, row)[1:h + 1, 1:w + 1]

    src_w = shares * weight.reshape(1, -1)
    total_w = landed(src_w)
    count = landed(shares)
    relative = landed(shares * relative_motion(motion).reshape(1, -1))
    count[_cracks((relative / np.maximum(count, 1e-9)).astype(np.float32))] = 0.0
    if trust is not None:
        # What landed counts as seen as far as the sources that win the pixel (by weight) are
        # trusted: a stray untrusted landing that wins the z-order over a trusted background (ground
        # dragged along the rim of a moving shape) must not count as seen for that background.
        count *= landed(src_w * trust.reshape(1, -1)) / np.maximum(total_w, 1e-9)
    # Sums of weight x source position; the receiving pixel's own coordinate is subtracted after.
    sum_x = landed(src_w * gx.reshape(1, -1))
    sum_y = landed(src_w * gy.reshape(1, -1))
    received = total_w > 1e-9
    safe = np.where(received, total_w, 1.0)
    disp = np.empty((h, w, 2), np.float32)
    disp[..., 0] = np.where(received, sum_x / safe - gx, 0.0)
    disp[..., 1] = np.where(received, sum_y / safe - gy, 0.0)
    return disp, count.astype(np.float32)


def _cracks(landed_relative: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels in a thin valley of the landed relative motion (see _CRACK_SPAN)."""
    closed = np.max([cv2.erode(cv2.dilate(landed_relative, line), line) for line in _CRACK_LINES], axis=0)
    return closed - landed_relative > np.maximum(np.float32(_CRACK_PX), np.float32(_CRACK_SHARE) * closed)


def fill_holes(field: np.ndarray, weight: np.ndarray, known: np.ndarray | None = None,
               reach: int | None = None) -> np.ndarray:
    """Fill the pixels of an (H, W, C) field with weight < HOLE by normalised convolution at
    growing radii (1, 4, 16, ...; up to `reach` px when given: holes not reached by then stay 0).

    `known` optionally weighs the other pixels as sources (default: all alike).
    """
    holes = weight < HOLE
    if not holes.any():
        return field
    source = (~holes).astype(np.float32)
    if known is not None:
        source *= known
    out = field.astype(np.float32)  # a copy
    out[holes] = 0.0
    weighted = out * source[..., None]  # value x source weight, the numerator's input
    h, w = weight.shape
    radius = 1
    while radius < 2 * max(h, w) and (reach is None or radius <= reach):
        k = 2 * radius + 1
        # The box sums are taken over the rows and columns within `radius` of a hole only: at the
        # holes they are the same as over the whole frame (a window that reaches past this crop's
        # edge reaches past the frame's there, and both reflect alike), at a fraction of the cost
        # once few holes are left.
        rows, cols = np.flatnonzero(holes.any(axis=1)), np.flatnonzero(holes.any(axis=0))
        box = (slice(max(0, rows[0] - radius), min(h, rows[-1] + radius + 1)),
               slice(max(0, cols[0] - radius), min(w, cols[-1] + radius + 1)))
        den = cv2.blur(source[box], (k, k))
        fill = holes[box] & (den > 1e-3)
        if fill.any():  # (the numerator is summed only when some hole is within reach)
            num = cv2.blur(weighted[box], (k, k))
            values = num[fill] / den[fill][:, None]
            out[box][fill] = values
            weighted[box][fill] = values  # filled pixels join as weight-1 sources
            source[box][fill] = 1.0
            holes[box] &= ~fill
            if not holes.any():
                break
        radius *= 4
    return out

