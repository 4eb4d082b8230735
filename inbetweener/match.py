"""Autopilot: a few reliable feature correspondences between two keys, as ordinary editable paths.

SIFT keypoints (Lowe 2004, "Distinctive Image Features from Scale-Invariant Keypoints") matched with
Lowe's ratio test, then a geometric check: MAGSAC++ (Barath et al. 2020) homographies fitted one
after another, so a moving character and a still background each keep their own consistent matches.
Matches on a stroke or an edge are left out: they can slide along it and still fit (the aperture
problem; the structure tensor's coherence tells them from corners and crossings).
On flat-painted (cartoon) keys, where feature points find little to hold, matched paint shapes
join them: each shape's centroid and its partner's, when the pair's map lays one onto the other
and nothing else could be its partner (flowlib/regions.py, shape_matches).

What the editor, `tween --autopilot` and the flow engine's autopilot option (on by default) add
(propose_paths) are the matches the dense optical flow misses: where it already follows one, a path
adds nothing but a pin, and a pin spreads the point's own motion round it (a path on the sample
figure's eye, which moves 4 px more than its head, dragged the head's outline along: two outlines,
0.4 dB lost). Matches that move only a few px are left to the flow too (see _SMALL_MOVE_PX).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import NamedTuple

import numpy as np

from inbetweener.model.project import MotionPath

RATIO = 0.75          # Lowe's ratio test threshold
REPROJ_PX = 3.0       # inlier distance for the geometric check
MIN_INLIERS = 10      # a motion model needs at least this many matches...
MIN_INLIER_SHARE = 0.3  # ...and this share of the matches it was fitted on
MAX_MODELS = 3        # separate motions looked for (e.g. background, character, prop)
SPACING = 0.05        # no two paths start closer than this share of the keys' diagonal
_SAME_POINT_PX = 2.0  # keypoints this close are one point (the cross-check's tolerance)
# A match whose neighbourhood (_EDGE_RADIUS px round it) has its gradients mostly one way, along a
# stroke or an edge, can slide along it (the aperture problem): one on the figure's arm was 14 px
# off, yet consistent with the body's motion. Kept: matches whose structure tensor's coherence
# (l1 - l2) / (l1 + l2) is below _EDGE_COHERENCE in both keys (corners, crossings, blobs; a
# stroke's end reads as the stroke at this radius).
_EDGE_COHERENCE = 0.6
_EDGE_RADIUS = 6
# A match the dense flow (DIS, on the keys scaled to a long side of at most _FLOW_SIDE) follows to
# within _FOLLOWED_PX px there (median flow of the _FOLLOWED_WINDOW px square round the match) needs
# no path. (At 2 px the figure's eye, 3-4 px off its head's motion, kept its harmful path.)
_FOLLOWED_PX = 4.0
_FOLLOWED_WINDOW = 5
# A match that moves less than _SMALL_MOVE_PX (at the flow's scale) is left to the flow as well:
# the autopilot is for motion beyond the flow's reach, and at a few px a match the flow misses is
# as likely a keypoint that shifted on a deforming detail (a yawning head's tuft: a 6-px match,
# pinned, cost that case 0.65 dB).
_SMALL_MOVE_PX = 8.0
_FLOW_SIDE = 1024
_DIS_MIN_SIDE = 32  # OpenCV's DIS refuses (or crashes on) thinner images: no flow to judge by there
# propose_paths keeps its last _ANSWERS_KEPT answers (by the keys' digest and its settings).
_ANSWERS_KEPT = 4
_ANSWERS: OrderedDict[tuple, Proposal] = OrderedDict()
_ANSWERS_LOCK = threading.Lock()


def _over_grey(rgba: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8: the key's colour over mid grey."""
    if rgba[..., 3].min() == 255:  # opaque: the colour as it is (the blend below leaves it so)
        return np.ascontiguousarray(rgba[..., :3])
    alpha = rgba[..., 3].astype(np.float32) / np.float32(255.0)
    ground = np.float32(128.0) * (np.float32(1.0) - alpha)
    over = np.empty(rgba.shape[:2] + (3,), np.uint8)
    for channel in range(3):  # (a plane at a time: broadcasting (H, W, 1) over three is slower)
        plane = rgba[..., channel] * alpha
        plane += ground
        plane += np.float32(0.5)
        over[..., channel] = np.clip(plane, 0, 255, out=plane)
    return over


def _grey(rgba: np.ndarray) -> np.ndarray:
    """The key over mid grey, in grey (uint8)."""
    import cv2

    if rgba[..., 3].min() == 255:  # (opaque: straight from the key, no copy of its colour)
        return cv2.cvtColor(rgba, cv2.COLOR_RGBA2GRAY)
    return cv2.cvtColor(_over_grey(rgba), cv2.COLOR_RGB2GRAY)


def _shape_matches(key_a: np.ndarray, key_b: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The matched paint shapes' centroids (see regions.shape_matches) between the keys over mid
    grey, found at `shape` (the grey keys' size, which the points are in)."""
    import cv2

    from inbetweener.engines.flowlib.regions import shape_matches

    h, w = shape
    colour = [_over_grey(key) for key in (key_a, key_b)]
    if colour[0].shape[:2] != (h, w):
        colour = [cv2.resize(c, (w, h), interpolation=cv2.INTER_AREA) for c in colour]
    return shape_matches(*colour)


def _ratio_matches(grey_a: np.ndarray, grey_b: np.ndarray):
    import cv2

    # (OpenCV's SIFT uses every core itself: the two keys one after the other take no longer.)
    sift = cv2.SIFT_create(nfeatures=3000)
    kp_a, desc_a = sift.detectAndCompute(grey_a, None)
    kp_b, desc_b = sift.detectAndCompute(grey_b, None)
    if desc_a is None or desc_b is None or len(kp_a) < 2 or len(kp_b) < 2:
        return np.zeros((0, 2)), np.zeros((0, 2)), np.zeros(0)
    matcher = cv2.BFMatcher(cv2.NORM_L2)
    pairs = matcher.knnMatch(desc_a, desc_b, k=2)
    # Cross-check: B's feature must find A's back (at the same place: SIFT may describe one point
    # twice, at two orientations). Repeated shapes (a figure's two hands) pass the ratio test when
    # one of them changed its surroundings, and two features of A then claim one of B.
    back = [m[0].trainIdx if m else -1 for m in matcher.knnMatch(desc_b, desc_a, k=1)]
    points_a = np.array([k.pt for k in kp_a])
    src, dst, margin = [], [], []
    for pair in pairs:
        if len(pair) < 2:
            continue
        best, second = pair
        partner = back[best.trainIdx]
        if partner < 0 or np.hypot(*(points_a[partner] - points_a[best.queryIdx])) > _SAME_POINT_PX:
            continue
        if best.distance < RATIO * second.distance:
            src.append(kp_a[best.queryIdx].pt)
            dst.append(kp_b[best.trainIdx].pt)
            margin.append(1.0 - best.distance / max(second.distance, 1e-6))
    return np.array(src, float).reshape(-1, 2), np.array(dst, float).reshape(-1, 2), np.array(margin)


def _consistent(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Indices of matches that belong to some well-supported homography (sequential MAGSAC)."""
    import cv2

    method = getattr(cv2, "USAC_MAGSAC", cv2.RANSAC)
    remaining = np.arange(len(src))
    kept: list[np.ndarray] = []
    for _ in range(MAX_MODELS):
        if len(remaining) < MIN_INLIERS:
            break
        cv2.setRNGSeed(12345)  # RANSAC sampling is random; autopilot must be repeatable
        model, mask = cv2.findHomography(src[remaining], dst[remaining], method, REPROJ_PX,
                                         maxIters=2000, confidence=0.999)
        if model is None or mask is None:
            break
        inliers = mask.ravel().astype(bool)
        if inliers.sum() < MIN_INLIERS or inliers.mean() < MIN_INLIER_SHARE:
            break
        if _mirrors(model, src[remaining][inliers]):
            # No drawing moves into its mirror image: the matches pair up the parts of a symmetric
            # shape (the sample star's tips, each with another), and none of them is reliable.
            break
        kept.append(remaining[inliers])
        remaining = remaining[~inliers]
    return np.concatenate(kept) if kept else np.zeros(0, int)


def _mirrors(model: np.ndarray, points: np.ndarray) -> bool:
    """Whether a homography flips the image over (its Jacobian's determinant is negative) at
    any of `points`."""
    x, y = points[:, 0], points[:, 1]
    w = model[2, 0] * x + model[2, 1] * y + model[2, 2]
    u = (model[0, 0] * x + model[0, 1] * y + model[0, 2]) / w
    v = (model[1, 0] * x + model[1, 1] * y + model[1, 2]) / w
    # d(u, v)/d(x, y) = (top rows - (u, v) x bottom row) / w, per point
    jxx = (model[0, 0] - u * model[2, 0]) / w
    jxy = (model[0, 1] - u * model[2, 1]) / w
    jyx = (model[1, 0] - v * model[2, 0]) / w
    jyy = (model[1, 1] - v * model[2, 1]) / w
    return bool(np.any(jxx * jyy - jxy * jyx <= 0.0))


def _edge_like(grey: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Per point (x, y), whether the gradients round it run mostly one way (see _EDGE_COHERENCE)."""
    import cv2

    image = grey.astype(np.float32)
    dx = cv2.Sobel(image, cv2.CV_32F, 1, 0, ksize=3)
    dy = cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=3)
    window = (2 * _EDGE_RADIUS + 1,) * 2
    xs = np.clip(np.rint(points[:, 0]).astype(int), 0, image.shape[1] - 1)
    ys = np.clip(np.rint(points[:, 1]).astype(int), 0, image.shape[0] - 1)
    jxx, jyy, jxy = (cv2.blur(g, window)[ys, xs] for g in (dx * dx, dy * dy, dx * dy))
    spread = np.sqrt((jxx - jyy) ** 2 + 4 * jxy * jxy)  # l1 - l2
    return spread >= _EDGE_COHERENCE * np.maximum(jxx + jyy, 1e-6)


def _spread(points: np.ndarray, score: np.ndarray, count: int, min_gap: float) -> list[int]:
    """Greedy farthest-point choice, best score first, no two chosen closer than min_gap."""
    order = list(np.argsort(-score, kind="stable"))
    chosen = [order[0]]
    while len(chosen) < count:
        dist = np.min(np.linalg.norm(points[:, None, :] - points[chosen][None, :, :], axis=2), axis=1)
        gain = dist * (0.5 + score)
        gain[chosen] = -1
        best = int(np.argmax(gain))
        if dist[best] < min_gap:
            break
        chosen.append(best)
    return chosen


class Proposal(NamedTuple):
    """What the autopilot proposes: paths for the matches the dense flow misses, and how many
    other reliable matches the flow already follows (no path needed there)."""
    paths: list[MotionPath]
    followed: int

    def summary(self) -> str:
        """One line for the status bar or the terminal."""
        matches = f"{self.followed} {'other ' if self.paths else ''}match{'' if self.followed == 1 else 'es'}"
        if not self.paths:
            return (f"autopilot: no path needed; the motion already follows all {matches}" if self.followed
                    else "autopilot: no reliable matches between the keys")
        added = f"autopilot: {len(self.paths)} path{'' if len(self.paths) == 1 else 's'}"
        return f"{added}; the motion already follows {matches}" if self.followed else added


def _reliable_matches(grey_a: np.ndarray, grey_b: np.ndarray) -> tuple[np.ndarray, ...]:
    """The reliable matches' (src, dst, margin) between two grey keys: ratio test, geometric
    check, no edges."""
    src, dst, margin = _ratio_matches(grey_a, grey_b)
    if len(src) < MIN_INLIERS:
        return src[:0], dst[:0], margin[:0]
    keep = _consistent(src, dst)
    src, dst, margin = src[keep], dst[keep], margin[keep]
    if len(src):
        corner = ~_edge_like(grey_a, src) & ~_edge_like(grey_b, dst)
        src, dst, margin = src[corner], dst[corner], margin[corner]
    return src, dst, margin


def _greys(key_a: np.ndarray, key_b: np.ndarray, max_side: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The keys in grey, scaled down to a long side of max_side when given and larger, and the
    (x, y) scale."""
    import cv2

    grey_a, grey_b = _grey(key_a), _grey(key_b)
    h, w = grey_a.shape
    if max_side is None or max(h, w) <= max_side:
        return grey_a, grey_b, np.ones(2)
    scale = max_side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return (cv2.resize(grey_a, size, interpolation=cv2.INTER_AREA),
            cv2.resize(grey_b, size, interpolation=cv2.INTER_AREA), np.array([size[0] / w, size[1] / h]))


def _paths(src: np.ndarray, dst: np.ndarray, margin: np.ndarray, diagonal: float, max_paths: int) -> list[MotionPath]:
    """Up to max_paths well-spread matches (best margin first) as straight paths, top to bottom."""
    if max_paths <= 0 or len(src) == 0:
        return []
    chosen = _spread(src, margin, min(max_paths, len(src)), SPACING * diagonal)
    chosen.sort(key=lambda i: (src[i][1], src[i][0]))  # stable, readable order: top to bottom
    return [MotionPath.straight((float(src[i][0]), float(src[i][1])), (float(dst[i][0]), float(dst[i][1])),
                                name=f"auto {n + 1}", proposed=True)
            for n, i in enumerate(chosen)]


def autopilot_paths(key_a: np.ndarray, key_b: np.ndarray, max_paths: int = 8) -> list[MotionPath]:
    """Up to max_paths straight, linear-timing paths from reliable matches; [] when none are reliable."""
    if max_paths <= 0:
        return []
    grey_a, grey_b, _ = _greys(key_a, key_b, None)
    src, dst, margin = _reliable_matches(grey_a, grey_b)
    return _paths(src, dst, margin, float(np.hypot(*grey_a.shape)), max_paths)


def followed_by_flow(grey_a: np.ndarray, grey_b: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """(N,) bool: the matches src -> dst that the dense optical flow from grey A to grey B follows
    to within _FOLLOWED_PX, or that move less than _SMALL_MOVE_PX (all False where the keys are
    too thin for a flow)."""
    import cv2

    h, w = grey_a.shape
    scale = min(1.0, _FLOW_SIDE / max(h, w))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    if len(src) == 0 or min(size) < _DIS_MIN_SIDE:
        return np.zeros(len(src), bool)
    if scale < 1.0:
        grey_a = cv2.resize(grey_a, size, interpolation=cv2.INTER_AREA)
        grey_b = cv2.resize(grey_b, size, interpolation=cv2.INTER_AREA)
    flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM).calc(grey_a, grey_b, None)
    half = _FOLLOWED_WINDOW // 2
    out = np.zeros(len(src), bool)
    for i, (start, end) in enumerate(zip(src * scale, dst * scale, strict=True)):
        x, y = (int(round(v)) for v in start)
        window = flow[max(0, y - half):y + half + 1, max(0, x - half):x + half + 1].reshape(-1, 2)
        if len(window):
            out[i] = float(np.hypot(*(end - start - np.median(window, axis=0)))) <= _FOLLOWED_PX \
                or float(np.hypot(*(end - start))) < _SMALL_MOVE_PX
    return out


def propose_paths(key_a: np.ndarray, key_b: np.ndarray, max_paths: int = 8, max_side: int | None = None,
                  shapes: bool | None = None) -> Proposal:
    """The autopilot as the editor, `tween --autopilot` and the engine use it: up to max_paths
    paths (as autopilot_paths) for the reliable matches the dense flow misses, and the count of
    those it follows. With max_side, larger keys are matched scaled down to that long side (the
    engine's work scale: SIFT on a 1080p pair took 0.84 s). With `shapes` (by default, unless the
    keys look like line art, whose "shapes" are paper between strokes), matched flat paint shapes
    join the feature points (see _shape_matches).

    The last few answers are kept: a segment generated again (a path dragged, a frame redone)
    asks again of the same keys."""
    import hashlib

    digest = hashlib.blake2b(digest_size=16)
    for key in (key_a, key_b):
        digest.update(repr((key.shape, key.dtype.str)).encode())
        digest.update(np.ascontiguousarray(key).data)
    if shapes is None:
        from inbetweener.engines.flowlib.lineart import looks_like_line_art

        shapes = not looks_like_line_art(key_a, key_b)
    asked = (digest.digest(), max_paths, max_side, shapes)
    with _ANSWERS_LOCK:
        if asked in _ANSWERS:
            _ANSWERS.move_to_end(asked)
            kept = _ANSWERS[asked]
            return Proposal(list(kept.paths), kept.followed)  # (a list of its own for the caller)
    answer = _propose(key_a, key_b, max_paths, max_side, shapes)
    with _ANSWERS_LOCK:
        _ANSWERS[asked] = Proposal(list(answer.paths), answer.followed)
        while len(_ANSWERS) > _ANSWERS_KEPT:
            _ANSWERS.popitem(last=False)
    return answer


def _propose(key_a: np.ndarray, key_b: np.ndarray, max_paths: int, max_side: int | None, shapes: bool) -> Proposal:
    """propose_paths, worked out."""
    grey_a, grey_b, scale = _greys(key_a, key_b, max_side)
    src, dst, margin = _reliable_matches(grey_a, grey_b)
    if shapes:
        shape_src, shape_dst = _shape_matches(key_a, key_b, grey_a.shape)
        # Chosen after the feature points (a score of 0 in _spread): where both hold a shape, a
        # feature point pins a detail of it, its centroid only its middle.
        src, dst = np.concatenate([src, shape_src]), np.concatenate([dst, shape_dst])
        margin = np.concatenate([margin, np.zeros(len(shape_src))])
    followed = followed_by_flow(grey_a, grey_b, src, dst)
    missed = ~followed
    diagonal = float(np.hypot(*key_a.shape[:2]))
    return Proposal(_paths(src[missed] / scale, dst[missed] / scale, margin[missed], diagonal, max_paths),
                    int(followed.sum()))
