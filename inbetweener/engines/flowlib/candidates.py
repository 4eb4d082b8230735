"""Per-pixel choice among motion candidates at time t by bilateral matching, and their weights
as hypotheses to blend where the choice is uncertain.

A time-t pixel's motion is right when the two keys agree there: A sampled at p + to_a(p) looks
like B sampled at p + to_b(p). Frame-rate up-conversion calls this bilateral motion estimation
(e.g. Choi et al. 2007, "Motion-compensated frame interpolation using bilateral motion estimation
and adaptive overlapped block motion compensation"). Here it only arbitrates between a few whole
candidate fields: the splatted motion (which knows about occlusion) and the flows read directly
at p, which are smoother where the splat went astray. Where even the chosen motion fits poorly
over texture, the candidates' frames are averaged by how well each fits (multi-hypothesis
motion compensation, in the spirit of overlapped block motion compensation).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from inbetweener.engines.flowlib.fields import as_pairs, warp, within

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
# a candidate may not jump to another surface (the sky behind a flat figure, read in both keys),
# however near its motion is to the splat's (a quarter of a 240 px motion is 60 px). It may keep
# the surface the splat reads in one key (mismatch below _SAME_SURFACE against that read) while it
# mends the other key's read (a stray landing that pasted paper into a shape); then the splat's
# blend share stands, since which key is seen there has not changed.
_FLAT_EVIDENCE = 0.3
_SAME_SURFACE = 30.0
# At a pixel being uncovered (see pick_motion) a candidate must keep the seen key's motion within
# _KEEP_PX (px at work scale).
_KEEP_PX = 4.0
# Side (px at work scale) of the tiles in which candidates are weighed.
_TILE = 64
# Where the chosen motion fits less than well (mismatch from _HYPOTHESIS_GATE, same units as
# _MARGIN) the candidates that read texture are blended in as hypotheses, each frame weighted by
# exp(-mismatch / _HYPOTHESIS_SCALE): where the motion is uncertain (fast, complex motion in live
# action) an average of the plausible frames is nearer the truth, and softer, than a patchwork of
# per-pixel picks. (From a gate of 0, the edges of flat shapes over flat paint ghost.)
_HYPOTHESIS_SCALE = 120.0
_HYPOTHESIS_GATE = 15.0


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


def window_difference(image_1: np.ndarray, image_2: np.ndarray) -> np.ndarray:
    """Window mean of |image_1 - image_2| summed over channels, float32 (H, W)."""
    diff = cv2.absdiff(image_1, image_2).astype(np.float32)
    if diff.ndim == 3:  # the channel sum (cv2.transform: several times faster than numpy's sum)
        diff = cv2.transform(diff, np.ones((1, diff.shape[2]), np.float32))
    return cv2.blur(diff, (_WINDOW, _WINDOW))


def _reads_texture(textures: tuple[np.ndarray, np.ndarray], to_a: np.ndarray, to_b: np.ndarray,
                   gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """(H, W) bool: where a motion reads texture in both keys (window mean of the lesser of the
    two from _FLAT_EVIDENCE): there the keys' agreement is evidence; over flat paint it is not."""
    detail = np.minimum(warp(textures[0], to_a, gx, gy), warp(textures[1], to_b, gx, gy))
    return cv2.blur(detail, (_WINDOW, _WINDOW)) >= _FLAT_EVIDENCE


@dataclass(frozen=True)
class CandidateReads:
    """Each candidate's keys read at time t over a whole frame, for pick_motion and
    hypothesis_weights to share: the two warped keys, their window mismatch (see
    window_difference) and where the candidate reads texture in both keys (see _reads_texture;
    None without textures)."""
    reads: list[tuple[np.ndarray, np.ndarray]]
    errors: list[np.ndarray]
    textured: list[np.ndarray] | None

    def part(self, region: tuple[slice, slice]) -> CandidateReads:
        return CandidateReads([(a[region], b[region]) for a, b in self.reads], [e[region] for e in self.errors],
                              None if self.textured is None else [x[region] for x in self.textured])


def read_candidates(key_a: np.ndarray, key_b: np.ndarray, gx: np.ndarray, gy: np.ndarray,
                    candidates: list[tuple[np.ndarray, np.ndarray]],
                    textures: tuple[np.ndarray, np.ndarray] | None = None) -> CandidateReads:
    """The candidates' reads over the whole frame (see CandidateReads)."""
    reads = [(warp(key_a, cand_a, gx, gy), warp(key_b, cand_b, gx, gy)) for cand_a, cand_b in candidates]
    return CandidateReads(reads, [window_difference(*read) for read in reads],
                          None if textures is None else [_reads_texture(textures, cand_a, cand_b, gx, gy)
                                                         for cand_a, cand_b in candidates])


def pick_motion(key_a: np.ndarray, key_b: np.ndarray, gx: np.ndarray, gy: np.ndarray,
                splatted: tuple[np.ndarray, np.ndarray, np.ndarray],
                others: list[tuple[np.ndarray, np.ndarray]], other_share: float,
                locked: np.ndarray | None = None,
                textures: tuple[np.ndarray, np.ndarray] | None = None,
                reads: CandidateReads | None = None,
                uncovered: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep the splatted (to_a, to_b, share_a) except where it matches poorly and another
    candidate matches clearly better.

    Pixels taken from another candidate blend with `other_share` of key A (they carry no
    occlusion reasoning); `locked` pixels never switch (the flow engine locks those its paths
    steer and those its matched regions turn). With `textures` (0 flat .. 1 textured, per
    key pixel), a candidate over flat paint may only keep the surface the splat reads in one of
    the keys (and then its share). `reads`, the candidates' reads over the whole frame when the
    caller has them (read_candidates, same textures), spares reading them again here.

    `uncovered` (bool, optional) marks pixels where the splat shows a still surface of one key
    and no pixel of the other key comes there at time t: the keys cannot agree there, and their
    mismatch is no evidence against the splat. A candidate may only mend the other key's read
    there, keeping the seen key's motion within _KEEP_PX, and the splat's share stands. (Read
    elsewhere, the sky a landing ball is yet to cover came from another height, a shade off.)
    """
    splat_a, splat_b, splat_share = (np.asarray(x, np.float32) for x in splatted)
    to_a, to_b, share = splat_a.copy(), splat_b.copy(), splat_share.copy()
    splat_read = (warp(key_a, splat_a, gx, gy), warp(key_b, splat_b, gx, gy))
    own = window_difference(*splat_read)
    best = own - np.float32(_MARGIN)
    best[own < _GOOD_ENOUGH] = -np.inf
    if locked is not None:
        best[locked] = -np.inf
    # The candidates are weighed tile by tile, only where the splat may still be replaced (about
    # a tenth of the frame, as a rule), each tile with a margin that holds its pixels' windows.
    h, w = best.shape
    margin = _WINDOW // 2
    for y0 in range(0, h, _TILE):
        for x0 in range(0, w, _TILE):
            tile = (slice(y0, min(h, y0 + _TILE)), slice(x0, min(w, x0 + _TILE)))
            if not np.isfinite(best[tile]).any():
                continue
            top, left = max(0, y0 - margin), max(0, x0 - margin)
            outer = (slice(top, min(h, y0 + _TILE + margin)), slice(left, min(w, x0 + _TILE + margin)))
            inner = (slice(y0 - top, tile[0].stop - top), slice(x0 - left, tile[1].stop - left))
            picked = _pick_within(key_a, key_b, gx[outer], gy[outer],
                                  (splat_a[outer], splat_b[outer], splat_share[outer]),
                                  (splat_read[0][outer], splat_read[1][outer]),
                                  [(cand_a[outer], cand_b[outer]) for cand_a, cand_b in others], other_share,
                                  best[outer].copy(), textures, None if reads is None else reads.part(outer),
                                  None if uncovered is None else uncovered[outer])
            for whole, part in zip((to_a, to_b, share), picked, strict=True):
                whole[tile] = part[inner]
    return to_a, to_b, share


def _pick_within(key_a: np.ndarray, key_b: np.ndarray, gx: np.ndarray, gy: np.ndarray,
                 splatted: tuple[np.ndarray, np.ndarray, np.ndarray],
                 splat_read: tuple[np.ndarray, np.ndarray],
                 others: list[tuple[np.ndarray, np.ndarray]], other_share: float, best: np.ndarray,
                 textures: tuple[np.ndarray, np.ndarray] | None,
                 reads: CandidateReads | None = None,
                 uncovered: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """pick_motion over one part of the frame (`gx`, `gy`, the motions, the keys as the splat reads
    them, `best`, the mismatch a candidate must beat, `reads` and `uncovered` cut to it; the keys
    and `textures` whole)."""
    splat_a, splat_b, splat_share = splatted
    to_a, to_b, share = (x.copy() for x in splatted)
    if uncovered is not None and not uncovered.any():
        uncovered = None
    seen_is_a = None if uncovered is None else splat_share >= 0.5
    for i, (cand_a, cand_b) in enumerate(others):
        if reads is None:
            read = (warp(key_a, cand_a, gx, gy), warp(key_b, cand_b, gx, gy))
            err = window_difference(*read)
        else:
            read, err = reads.reads[i], reads.errors[i]
        better = err < best
        same_surface = None
        if textures is not None:
            allowed = (_reads_texture(textures, cand_a, cand_b, gx, gy) if reads is None or reads.textured is None
                       else reads.textured[i])
            same_surface = ((window_difference(read[0], splat_read[0]) < _SAME_SURFACE)
                            | (window_difference(read[1], splat_read[1]) < _SAME_SURFACE)) & ~allowed
            better &= allowed | same_surface
        if uncovered is not None:
            keeps = np.where(seen_is_a, within(cand_a - splat_a, _KEEP_PX), within(cand_b - splat_b, _KEEP_PX))
            better &= ~uncovered | keeps
            same_surface = uncovered if same_surface is None else same_surface | uncovered
        if not better.any():
            continue
        np.copyto(as_pairs(to_a), as_pairs(cand_a), where=better)
        np.copyto(as_pairs(to_b), as_pairs(cand_b), where=better)
        share[better] = other_share
        if same_surface is not None:
            mended = better & same_surface
            share[mended] = splat_share[mended]
        np.minimum(best, err, out=best, where=better)  # a candidate not allowed sets no bar
    return to_a, to_b, share


def hypothesis_weights(key_a: np.ndarray, key_b: np.ndarray, gx: np.ndarray, gy: np.ndarray,
                       chosen: tuple[np.ndarray, np.ndarray], others: list[tuple[np.ndarray, np.ndarray]],
                       textures: tuple[np.ndarray, np.ndarray],
                       locked: np.ndarray | None = None,
                       reads: CandidateReads | None = None) -> list[np.ndarray] | None:
    """Per time-t pixel, the weights of the chosen motion and of each other candidate as
    hypotheses to blend (see _HYPOTHESIS_SCALE); None when nothing is to be blended. A candidate
    counts only where the chosen motion fits less than well (_HYPOTHESIS_GATE), never at `locked`
    pixels, and only where it reads texture in both keys (over flat paint agreement is no
    evidence, see _FLAT_EVIDENCE). `reads`: as pick_motion's."""
    own = window_difference(warp(key_a, chosen[0], gx, gy), warp(key_b, chosen[1], gx, gy))
    open_ = own >= _HYPOTHESIS_GATE
    if locked is not None:
        open_ &= ~locked
    if not open_.any():
        return None
    scale = np.float32(-1.0 / _HYPOTHESIS_SCALE)
    weights = [np.exp(own * scale)]
    for i, (to_a, to_b) in enumerate(others):
        if reads is None or reads.textured is None:
            counts = open_ & _reads_texture(textures, to_a, to_b, gx, gy)
            error = window_difference(warp(key_a, to_a, gx, gy), warp(key_b, to_b, gx, gy))
        else:
            counts, error = open_ & reads.textured[i], reads.errors[i]
        weight = np.exp(error * scale)
        weights.append(np.where(counts, weight, np.float32(0.0)))
    if not any(w.any() for w in weights[1:]):
        return None
    return weights
