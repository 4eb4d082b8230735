"""Per-pixel choice among motion candidates at time t by bilateral matching.

A time-t pixel's motion is right when the two keys agree there: A sampled at p + to_a(p) looks
like B sampled at p + to_b(p). Frame-rate up-conversion calls this bilateral motion estimation
(e.g. Choi et al. 2007, "Motion-compensated frame interpolation using bilateral motion estimation
and adaptive overlapped block motion compensation"). Here it only arbitrates between a few whole
candidate fields: the splatted motion (which knows about occlusion) and the flows read directly
at p, which are smoother where the splat went astray.
"""

from __future__ import annotations

import cv2
import numpy as np

from inbetweener.engines.flowlib.fields import warp

# Window (px at work scale) over which a candidate's mismatch is averaged.
_WINDOW = 7
# Another candidate must beat the splatted motion by this many grey levels (summed over the
# channels, window mean) to replace it: where both fit, occlusion reasoning decides.
_MARGIN = 2.0
# Mismatch (same units) below which the splatted motion stands whatever the others score: at the
# edge of a flat shape over flat paint, a candidate that reads the background in both keys agrees
# perfectly and would cut the shape's outline away.
_GOOD_ENOUGH = 30.0
# Over flat paint (texture below _FLAT_EVIDENCE in both keys, 0..1) agreement is no evidence: there
# a candidate may not jump to another surface (the sky behind a flat figure, read in both keys).
# It may refine the splatted motion (differ from it by at most _NEAR of its length, or _NEAR_PX,
# towards both keys: near to A alone, it may still read another surface in B), or keep
# the surface the splat reads in one key (mismatch below _SAME_SURFACE against that read) while
# it mends the other key's read (a stray landing that pasted paper into a shape); then the
# splat's blend share stands, since which key is seen there has not changed.
_FLAT_EVIDENCE = 0.3
_NEAR = 0.25
_NEAR_PX = 4.0
_SAME_SURFACE = 30.0


def time_t_candidates(flow_ab: np.ndarray, flow_ba: np.ndarray,
                      t: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """Displacements (to A, to B) at time-t pixels read straight off the key-to-key flows:
    the quadratic estimate of Jiang et al. 2018 ("Super SloMo"), A's motion as if it started at p,
    and B's motion as if it started at p."""
    t = np.float32(t)
    s = np.float32(1.0) - t
    slomo_a = flow_ab * (-s * t)
    slomo_a += flow_ba * (t * t)
    slomo_b = flow_ab * (s * s)
    slomo_b -= flow_ba * (t * s)
    return [(slomo_a, slomo_b),
            (flow_ab * -t, flow_ab * s),
            (flow_ba * t, flow_ba * -s)]


def _window_difference(image_1: np.ndarray, image_2: np.ndarray) -> np.ndarray:
    """Window mean of |image_1 - image_2| summed over channels, float32 (H, W)."""
    diff = cv2.absdiff(image_1, image_2).astype(np.float32)
    if diff.ndim == 3:  # the channel sum (cv2.transform: several times faster than numpy's sum)
        diff = cv2.transform(diff, np.ones((1, diff.shape[2]), np.float32))
    return cv2.blur(diff, (_WINDOW, _WINDOW))


def pick_motion(key_a: np.ndarray, key_b: np.ndarray, gx: np.ndarray, gy: np.ndarray,
                splatted: tuple[np.ndarray, np.ndarray, np.ndarray],
                others: list[tuple[np.ndarray, np.ndarray]], other_share: float,
                locked: np.ndarray | None = None,
                textures: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep the splatted (to_a, to_b, share_a) except where it matches poorly and another
    candidate matches clearly better.

    Pixels taken from another candidate blend with `other_share` of key A (they carry no
    occlusion reasoning); `locked` pixels never switch (the flow engine locks those its paths
    steer and those its matched regions turn). With `textures` (0 flat .. 1 textured, per
    key pixel), a candidate over flat paint may only refine the splatted motion or keep the
    surface the splat reads in one of the keys (and then its share).
    """
    to_a, to_b, share = (np.array(x, np.float32) for x in splatted)
    splat_read = (warp(key_a, to_a, gx, gy), warp(key_b, to_b, gx, gy))
    own = _window_difference(*splat_read)
    best = own - np.float32(_MARGIN)
    best[own < _GOOD_ENOUGH] = -np.inf
    if locked is not None:
        best[locked] = -np.inf
    if textures is not None:
        splat_a, splat_b = to_a.copy(), to_b.copy()
        reach2 = [np.maximum(np.float32(_NEAR_PX ** 2), np.einsum("ijk,ijk->ij", m, m) * np.float32(_NEAR ** 2))
                  for m in (splat_a, splat_b)]
    splat_share = share.copy()
    for cand_a, cand_b in others:
        read = (warp(key_a, cand_a, gx, gy), warp(key_b, cand_b, gx, gy))
        err = _window_difference(*read)
        better = err < best
        same_surface = None
        if textures is not None:
            step_a, step_b = cand_a - splat_a, cand_b - splat_b
            allowed = ((np.einsum("ijk,ijk->ij", step_a, step_a) <= reach2[0])
                       & (np.einsum("ijk,ijk->ij", step_b, step_b) <= reach2[1]))
            detail = np.minimum(warp(textures[0], cand_a, gx, gy), warp(textures[1], cand_b, gx, gy))
            allowed |= cv2.blur(detail, (_WINDOW, _WINDOW)) >= _FLAT_EVIDENCE
            same_surface = ((_window_difference(read[0], splat_read[0]) < _SAME_SURFACE)
                            | (_window_difference(read[1], splat_read[1]) < _SAME_SURFACE)) & ~allowed
            better &= allowed | same_surface
        if not better.any():
            continue
        np.copyto(to_a, cand_a, where=better[..., None])
        np.copyto(to_b, cand_b, where=better[..., None])
        share[better] = other_share
        if same_surface is not None:
            mended = better & same_surface
            share[mended] = splat_share[mended]
        np.minimum(best, err, out=best, where=better)  # a candidate not allowed sets no bar
    return to_a, to_b, share
