"""Dense bidirectional optical flow between the keys (OpenCV DIS), with path-guided candidates.

DIS: Kroeger et al. 2016, "Fast Optical Flow using Dense Inverse Search". Candidates are fused per
pixel by photometric error, a cheap winner-take-all form of Lempitsky et al. 2008, "FusionFlow".
"""

from __future__ import annotations

import cv2
import numpy as np

from inbetweener.engines.flowlib.fields import as_pairs, length, pixel_grid, squared_length, warp
from inbetweener.engines.flowlib.parallel import both

# Window (px at work scale) over which candidate flows compare their warping error.
_FUSION_WINDOW = 9
# Fusion cost per px of motion, in grey levels of mean warping error.
_MOTION_BIAS = 0.01
# Full-resolution variational refinement after fusion (Brox et al. 2004 energy, as in DIS's own
# refinement stage): sharpens sub-pixel accuracy, which thin strokes need most.
REFINE_STEPS = 0
# Also run DIS from zero motion and fuse it with the coarse-search start (costs one more DIS).
PLAIN_CANDIDATE = True
MEDIAN_SIZE = 5
SEEDED_QUALITY = {"medium": "fast", "high": "medium"}
# OpenCV's DIS crashes the process (segmentation fault) or refuses on images whose short side is
# under 32 px with its fast and medium presets (measured on OpenCV 5.0: 300x10 and 60x14 crash,
# 1000x24 refuses): thinner guides are padded to it (edges replicated) and the flows cut back.
_DIS_MIN_SIDE = 32


def guide_image(premul: np.ndarray, line_art: bool, transparent: bool) -> np.ndarray:
    """Grey uint8 image the flow is computed on; with transparency, alpha edges count as much as colour."""
    rgb = premul[..., :3]
    grey = rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114
    if transparent:
        grey = 0.5 * grey + 0.5 * premul[..., 3]
    if line_art:
        # Thin strokes give flow a narrow basin; a soft halo widens it without moving the stroke.
        grey = cv2.GaussianBlur(grey, (0, 0), 1.5)
    return np.clip(grey + 0.5, 0, 255).astype(np.uint8)


def make_dis(quality: str) -> cv2.DISOpticalFlow:
    preset = {
        "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
        "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
    }.get(quality, cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    dis = cv2.DISOpticalFlow_create(preset)
    if quality == "high":
        dis.setFinestScale(0)
        dis.setGradientDescentIterations(25)
        dis.setVariationalRefinementIterations(10)
    return dis


def photometric_error(guide_a: np.ndarray, guide_b: np.ndarray, flow: np.ndarray,
                      gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """Local mean of |A(x) - B(x + flow(x))| (channel mean for colour), float32 (H, W)."""
    warped = warp(guide_b, flow, gx, gy)
    err = cv2.absdiff(guide_a, warped).astype(np.float32)
    if err.ndim == 3:
        err = cv2.transform(err, np.full((1, err.shape[2]), 1.0 / err.shape[2], np.float32))
    return cv2.blur(err, (_FUSION_WINDOW, _FUSION_WINDOW))


def fuse_candidates(candidates: list[np.ndarray], guide_a: np.ndarray, guide_b: np.ndarray) -> np.ndarray:
    """Per pixel, keep the candidate flow with the lowest local warping error (of grey or colour
    images)."""
    if len(candidates) == 1:
        return candidates[0]
    h, w = guide_a.shape[:2]
    gx, gy = pixel_grid(h, w)
    # Where errors tie (flat or stripe-like areas: the aperture problem) the shorter motion wins;
    # a long made-up motion there tears holes when the frame is splatted.
    errors = np.stack([photometric_error(guide_a, guide_b, f, gx, gy)
                       + _MOTION_BIAS * length(f) for f in candidates])
    best = np.argmin(errors, axis=0)
    out = np.array(candidates[0], np.float32)  # a copy
    for i, cand in enumerate(candidates[1:], start=1):
        np.copyto(as_pairs(out), as_pairs(np.ascontiguousarray(cand, np.float32)), where=best == i)
    return out


def coarse_search(guide_a: np.ndarray, guide_b: np.ndarray, side: int = 40, radius: int = 20) -> np.ndarray:
    """Large-displacement seed: exhaustive block matching on a tiny copy (A->B), upsampled.

    Brute-force search over all shifts within `radius` coarse pixels (cf. the global search of
    Brox & Malik 2011, "Large Displacement Optical Flow"), with a small bias towards short motions.
    The default radius is half the coarse side, so a shape that crosses half the frame is found.
    """
    h, w = guide_a.shape
    factor = min(1.0, side / max(h, w))
    cw, ch = max(4, round(w * factor)), max(4, round(h * factor))
    small_a = cv2.resize(guide_a, (cw, ch), interpolation=cv2.INTER_AREA).astype(np.float32)
    small_b = cv2.resize(guide_b, (cw, ch), interpolation=cv2.INTER_AREA).astype(np.float32)
    padded = cv2.copyMakeBorder(small_b, radius, radius, radius, radius, cv2.BORDER_REPLICATE)
    best = np.full((ch, cw), np.inf, np.float32)
    best_dx = np.zeros((ch, cw), np.float32)
    best_dy = np.zeros((ch, cw), np.float32)
    shifts = np.arange(-radius, radius + 1, dtype=np.float32)
    for dy in range(-radius, radius + 1):
        rows = padded[radius + dy: radius + dy + ch]  # (ch, cw + 2r)
        # All horizontal shifts at once, laid side by side as one (ch, span * cw) image.
        windows = np.lib.stride_tricks.sliding_window_view(rows, cw, axis=1)  # (ch, span, cw)
        diff = np.ascontiguousarray(np.abs(windows - small_a[:, None, :]).transpose(0, 2, 1))  # (ch, cw, span)
        # Two windows: the small one keeps detail, the large one settles flat, ambiguous areas
        # (the shifts ride along as image channels, so each is filtered on its own).
        cost = (cv2.blur(diff, (3, 3)) + cv2.blur(diff, (9, 9))).transpose(0, 2, 1)  # (ch, span, cw)
        cost += 0.25 * np.hypot(shifts, np.float32(dy))[None, :, None]
        arg = np.argmin(cost, axis=1)
        low = np.take_along_axis(cost, arg[:, None, :], axis=1)[:, 0]
        better = low < best
        best[better] = low[better]
        best_dx[better] = shifts[arg[better]]
        best_dy[better] = dy
    coarse = np.dstack([cv2.medianBlur(best_dx, 3), cv2.medianBlur(best_dy, 3)])
    flow = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_LINEAR)
    flow[..., 0] *= w / cw
    flow[..., 1] *= h / ch
    return flow


def bidirectional_flow(guide_a: np.ndarray, guide_b: np.ndarray, quality: str,
                       init_ab: np.ndarray | None = None,
                       init_ba: np.ndarray | None = None,
                       seeds: tuple[np.ndarray, np.ndarray] | None = None,
                       colours: tuple[np.ndarray, np.ndarray] | None = None,
                       at_once: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Flow A->B and B->A; with initial fields (from paths), the better of plain and guided per pixel.
    `seeds` (A->B, B->A), e.g. from matched paint regions, are finished by DIS and fused likewise.
    `colours` (uint8 images of A and B), when given, judge the fusion instead of the grey guides:
    two paints of one grey level (an orange body over a blue sky) look alike in grey. With
    `at_once`, the two directions run at the same time."""
    h, w = guide_a.shape[:2]
    pad_y, pad_x = max(0, _DIS_MIN_SIDE - h), max(0, _DIS_MIN_SIDE - w)
    if pad_y or pad_x:
        def grow(image: np.ndarray | None) -> np.ndarray | None:
            return None if image is None else cv2.copyMakeBorder(image, 0, pad_y, 0, pad_x, cv2.BORDER_REPLICATE)

        flows = bidirectional_flow(grow(guide_a), grow(guide_b), quality, grow(init_ab), grow(init_ba),
                                   None if seeds is None else (grow(seeds[0]), grow(seeds[1])),
                                   None if colours is None else (grow(colours[0]), grow(colours[1])), at_once)
        return flows[0][:h, :w].copy(), flows[1][:h, :w].copy()
    seed_ab, seed_ba = seeds if seeds is not None else (None, None)
    judge_a, judge_b = colours if colours is not None else (guide_a, guide_b)
    return both(at_once,
                lambda: _one_way(guide_a, guide_b, quality, init_ab, seed_ab, judge_a, judge_b),
                lambda: _one_way(guide_b, guide_a, quality, init_ba, seed_ba, judge_b, judge_a))


def _one_way(src: np.ndarray, dst: np.ndarray, quality: str, init: np.ndarray | None, seed: np.ndarray | None,
             judge_src: np.ndarray, judge_dst: np.ndarray) -> np.ndarray:
    """Flow src -> dst: DIS from several starts, fused per pixel (see bidirectional_flow)."""
    # A fresh DIS object per call: a reused one carries state from its previous call.
    candidates = [make_dis(quality).calc(src, dst, None)] if PLAIN_CANDIDATE else []
    # The coarse-search start is already close: a cheaper DIS finishes it.
    candidates.append(make_dis(SEEDED_QUALITY.get(quality, quality)).calc(src, dst, coarse_search(src, dst)))
    if init is not None:
        candidates.append(make_dis(quality).calc(src, dst, init.copy()))
        candidates.append(init)
    if seed is not None:
        candidates.append(make_dis(SEEDED_QUALITY.get(quality, quality)).calc(src, dst, seed.copy()))
        candidates.append(seed)
    fused = fuse_candidates(candidates, judge_src, judge_dst)
    if MEDIAN_SIZE:
        # Per-pixel fusion leaves isolated picks of the wrong candidate; they would splat as debris.
        fused = np.dstack([cv2.medianBlur(np.ascontiguousarray(fused[..., c]), MEDIAN_SIZE) for c in (0, 1)])
    if REFINE_STEPS:
        refine = cv2.VariationalRefinement_create()
        refine.setFixedPointIterations(REFINE_STEPS)
        refine.setSorIterations(5)
        fused = refine.calc(src, dst, fused)
    return fused


def consistency(flow_ab: np.ndarray, flow_ba: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """Forward-backward check: weight in (0, 1], near 0 where a pixel of A has no partner in B.

    Sundaram et al. 2010, "Dense point trajectories by GPU-accelerated large displacement optical flow".
    """
    back = warp(flow_ba, flow_ab, gx, gy)
    total = flow_ab + back
    err2 = squared_length(total)
    mag2 = squared_length(flow_ab) + squared_length(back)
    tolerance = 0.01 * mag2 + 0.5
    return np.exp(-err2 / (2.0 * tolerance)).astype(np.float32)


def colour_match(guide_src: np.ndarray, guide_dst: np.ndarray, flow: np.ndarray,
                 gx: np.ndarray, gy: np.ndarray, sigma: float = 25.0) -> np.ndarray:
    """Weight in (0, 1]: how well each pixel's grey level (3x3 mean) matches where its flow sends it.

    The forward-backward check is geometric only: ground beside a moving shape that the flow
    dragged along with it can pass it while matching nothing it lands on.
    """
    warped = warp(guide_dst, flow, gx, gy)
    err = cv2.blur(cv2.absdiff(guide_src, warped).astype(np.float32), (3, 3))
    return np.exp(-0.5 * (err / np.float32(sigma)) ** 2).astype(np.float32)
