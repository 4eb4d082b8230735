"""Large-motion seeds for flat-painted (cartoon) keys: match paint regions between the keys.

Optical flow has no texture to hold on to inside a flat region, and its pyramid loses a small
shape that moved far. Cartoon colouring makes the regions themselves the features: each key is cut
into regions of flat paint bounded by lines or colour edges, regions are matched across the keys by
colour, size, shape and place, and each matched region's pixels start from the affine map that
takes it onto its partner (centroid shift, turn of the major axis, each principal axis scaled to
its partner's length: squash and stretch). Ink outlines go with the shape they enclose; a stroke
drawn on from an outline (an arm) is cut free of it and matched as a shape of its own.
This is the segment-guided matching of Li et al. 2021 ("Deep Animation Video Interpolation in the
Wild"), done with classical features instead of learned ones. The seed only starts a flow
estimate; per-pixel fusion keeps it where it warps better than the plain estimate.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import partial

import cv2
import numpy as np

from inbetweener.engines.flowlib.fields import resize_flow, squared_length
from inbetweener.engines.flowlib.parallel import both

# Max colour range (per channel, over 3x3 pixels) inside a region of flat paint.
_FLAT_STEP = 12
# Regions are found on a copy of the keys at most this many pixels across (their shapes, not their
# fine edges, matter), and the seeds are scaled back up.
_MAX_SIDE = 512
# px (at that size) over which lines and edges take the motion of the regions beside them.
_EDGE_REACH = 3
# px (at that size) over which a line or edge moves with the matched region it borders: a 3 px ink
# outline with its anti-aliased edges and the colour-change bands on both sides spans about 10.
_OUTLINE_REACH = 10
# Axis ratio from which a region's major axis tells how it turned.
_ELONGATED = 1.2
# Colour standard deviation (grey levels) above which a region is shading, not flat paint.
_PAINT_SPREAD = 4.0
# Regions smaller than this share of the image are too small to match reliably.
_MIN_AREA = 0.0004
# Regions larger than this share are the backdrop: seeded with no motion.
_BACKDROP = 0.25
# Match cost: mean colour distance (grey levels) + these terms; matches costlier than _MAX_COST drop.
_AREA_COST = 40.0      # per unit of |log(area ratio)|
_PLACE_COST = 60.0     # per image diagonal of centroid displacement
_SHAPE_COST = 40.0     # per unit of change in log aspect (major / minor axis): shape, not size
_MAX_COST = 60.0
# A pair with no rival within _UNIQUE_MARGIN (the only paint of its colour in both keys, say) may
# cost up to _MAX_COST_UNIQUE: a shape that both grows and travels far.
_MAX_COST_UNIQUE = 100.0
_UNIQUE_MARGIN = 40.0
# A shape that turns by less (radians) is left to straight-line motion (see turn_offsets).
_TURN_MIN = np.radians(2.0)
# _regions keeps its last _CUT_KEPT answers (a key pair's two, and the pair before's).
_CUT_KEPT = 4
_CUT: OrderedDict[bytes, tuple[np.ndarray, ...]] = OrderedDict()
_CUT_LOCK = threading.Lock()
# A matched pair the autopilot may offer as a path (shape_matches) must stand on its own, as a
# seed need not (per-pixel fusion checks a seed). Offered unchecked, pairs cost Big Buck Bunny
# 1.3 dB on the shared bench and the Synfig clip 0.6 dB at 8 frames apart. A pair must:
# - lay one shape onto the other by its map, with _SHAPE_OVERLAP of their union in common;
_SHAPE_OVERLAP = 0.8
# - be no smaller than _SHAPE_MIN_AREA of the image in either key (in film, patches of flat sky or
#   shade a few dozen px across match by chance);
_SHAPE_MIN_AREA = 0.002
# - have no other region in either key that looks within _SHAPE_RIVAL of it by colour, size and
#   shape (identical discs orbiting in the Synfig clip match by place alone);
_SHAPE_RIVAL = 20.0
# - and where either key has the shape, the other must show no paint of its colour (within
#   _SHAPE_RIVAL grey levels) over _SHAPE_STAYED of the smaller of the two: the shape may have
#   stayed and changed (in the Synfig clip one disc shrinks in place while another grows; the
#   big one's match across the frame is the wrong story).
_SHAPE_STAYED = 0.25


def _regions(rgb: np.ndarray) -> tuple[np.ndarray, ...]:
    """Flat-paint regions of `rgb`, as _describe gives them (label 0 = edge or line), read-only.

    The last few are kept by the image's digest: the autopilot (shape_matches) and the flow
    engine's seeds (region_motion) cut the same keys, at 512 px some 15 ms a key."""
    digest = hashlib.blake2b(np.ascontiguousarray(rgb).data, digest_size=16)
    digest.update(repr(rgb.shape).encode())
    known = digest.digest()
    with _CUT_LOCK:
        if known in _CUT:
            _CUT.move_to_end(known)
            return _CUT[known]
    ranges = cv2.morphologyEx(rgb, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    step = cv2.max(cv2.max(ranges[..., 0], ranges[..., 1]), ranges[..., 2])  # numpy's max is slower
    count, labels = cv2.connectedComponents((step < _FLAT_STEP).astype(np.uint8), connectivity=4)
    regions = _describe(rgb, labels, count)
    for array in regions:
        array.setflags(write=False)  # (shared by whoever asks next)
    with _CUT_LOCK:
        _CUT[known] = regions
        while len(_CUT) > _CUT_KEPT:
            _CUT.popitem(last=False)
    return regions


def _describe(rgb: np.ndarray, labels: np.ndarray, count: int) -> tuple[np.ndarray, ...]:
    """Labels (H, W) and per label: area, centroid (x, y), mean colour, the lengths of the principal
    axes (square roots of the second moments' eigenvalues: a rotation-free description of the
    shape), whether it is flat paint, and the major axis's direction. Label 0 (edges and lines,
    or what lies outside the shapes) is no region: only its area is counted."""
    flat_labels = labels.ravel()
    areas = np.bincount(flat_labels, minlength=count).astype(np.float64)
    # The sums run over the regions' pixels only: label 0 is most of the frame as a rule, and
    # summing into one bin over and over is what a bincount is slowest at.
    inside = np.flatnonzero(flat_labels)
    owner = flat_labels[inside]

    def label_mean(values: np.ndarray) -> np.ndarray:
        return np.bincount(owner, values.astype(np.float64), count) / np.maximum(areas, 1.0)

    colour = rgb.reshape(-1, rgb.shape[-1])[inside].T.astype(np.float32)  # (3, regions' pixels)
    means = np.stack([label_mean(colour[c]) for c in range(3)], axis=1)
    squares = np.stack([label_mean(colour[c] ** 2) for c in range(3)], axis=1)
    # Smooth shading is not paint: such regions drift with the light, not with the object.
    paint = np.sqrt(np.maximum(squares - means ** 2, 0.0)).mean(axis=1) <= _PAINT_SPREAD
    ys, xs = (v.astype(np.float64) for v in np.divmod(inside, labels.shape[1]))
    cx, cy = label_mean(xs), label_mean(ys)
    mxx, myy, mxy = label_mean(xs * xs) - cx * cx, label_mean(ys * ys) - cy * cy, label_mean(xs * ys) - cx * cy
    half_trace = 0.5 * (mxx + myy)
    offset = np.sqrt(np.maximum(half_trace ** 2 - (mxx * myy - mxy ** 2), 0.0))
    axes = np.sqrt(np.maximum(np.stack([half_trace + offset, half_trace - offset], axis=1), 0.25))
    orientation = 0.5 * np.arctan2(2.0 * mxy, mxx - myy)  # of the major axis, radians
    return labels, areas, np.stack([cx, cy], axis=1), means, axes, paint, orientation


def _match(a: tuple, b: tuple, size: int, diagonal: float) -> list[tuple[int, int]]:
    """Mutually best (label in A, label in B) pairs under the colour + size + place cost."""
    keep_a, keep_b = _matchable(a, size), _matchable(b, size)
    if len(keep_a) == 0 or len(keep_b) == 0:
        return []
    cent_a, cent_b = a[2], b[2]
    place = np.hypot(*(cent_a[keep_a][:, None, :] - cent_b[keep_b][None, :, :]).transpose(2, 0, 1)) / diagonal
    cost = _looks(a, b, keep_a, keep_b) + _PLACE_COST * place
    best_b = cost.argmin(axis=1)
    best_a = cost.argmin(axis=0)
    # How much costlier the next candidate is, on either side (no rival: as good as unique).
    padded = np.pad(cost, ((0, 1), (0, 1)), constant_values=np.inf)
    runner_up = np.minimum(np.partition(padded, 1, axis=1)[:-1, 1][:, None],
                           np.partition(padded, 1, axis=0)[1, :-1][None, :])
    margin = runner_up - cost
    return [(int(keep_a[i]), int(keep_b[j])) for i, j in enumerate(best_b)
            if best_a[j] == i and (cost[i, j] <= _MAX_COST
                                   or (cost[i, j] <= _MAX_COST_UNIQUE and margin[i, j] >= _UNIQUE_MARGIN))]


def _matchable(regions: tuple, size: int) -> np.ndarray:
    """The labels that may be matched: flat paint, neither too small nor the backdrop."""
    areas, paint = regions[1], regions[5]
    keep = np.nonzero(paint & (areas >= _MIN_AREA * size) & (areas <= _BACKDROP * size))[0]
    return keep[keep != 0]  # label 0 is the edges


def _looks(a: tuple, b: tuple, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """(len(rows), len(cols)) how unlike regions `rows` of A and `cols` of B look, place aside:
    mean colour distance (grey levels) + the area and shape terms of the match cost."""
    _, area_a, _, mean_a, axes_a, _, _ = a
    _, area_b, _, mean_b, axes_b, _, _ = b
    colour = np.abs(mean_a[rows][:, None, :] - mean_b[cols][None, :, :]).mean(axis=2)
    area = np.abs(np.log(area_a[rows][:, None] / area_b[cols][None, :]))
    # Shape apart from size (the area term has size): a figure that grows keeps its proportions.
    aspect_a = np.log(axes_a[rows, 0] / axes_a[rows, 1])
    aspect_b = np.log(axes_b[cols, 0] / axes_b[cols, 1])
    shape = np.abs(aspect_a[:, None] - aspect_b[None, :])
    return colour + _AREA_COST * area + _SHAPE_COST * shape


def _rotation(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


def _linear_map(src: tuple, dst: tuple, i: int, j: int) -> np.ndarray:
    """2x2 map taking region i of one key onto region j of the other: the turn of the major axes
    (none unless both are elongated: a round region's axes say nothing), then each principal axis
    scaled to its partner's length (squash and stretch; a plain scale for a shape that only grows)."""
    elongated_src = src[4][i, 0] / src[4][i, 1] >= _ELONGATED
    elongated_dst = dst[4][j, 0] / dst[4][j, 1] >= _ELONGATED
    turn = 0.0
    if elongated_src and elongated_dst:
        turn = (dst[6][j] - src[6][i] + np.pi / 2) % np.pi - np.pi / 2  # axes have no sign
    if elongated_src or elongated_dst:
        # The axes the lengths are measured along, in the source's frame.
        frame = _rotation(src[6][i] if elongated_src else dst[6][j] - turn)
        stretch = np.diag(dst[4][j] / np.maximum(src[4][i], 0.5))
    else:
        frame = np.eye(2)
        stretch = np.eye(2) * np.sqrt(dst[1][j] / max(src[1][i], 1.0))
    return (_rotation(turn) @ frame @ stretch @ frame.T).astype(np.float32)


def _hollow(regions: tuple, i: int) -> bool:
    """True when region i's moments misdescribe how it moves: its centroid lies outside it, in a
    ring (an outline: less than half of what its outer edge encloses) or beside a bent shape (a
    stroke curving round). A shape with a dot or an eye at its centre is not hollow."""
    labels = regions[0]
    cx, cy = (int(round(v)) for v in regions[2][i])
    if 0 <= cy < labels.shape[0] and 0 <= cx < labels.shape[1] and labels[cy, cx] == i:
        return False
    ys, xs = np.nonzero(labels == i)
    if len(ys) == 0:
        return True
    top, left = ys.min(), xs.min()
    mask = np.ascontiguousarray(labels[top:ys.max() + 1, left:xs.max() + 1] == i).astype(np.uint8)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    centre = (float(cx - left), float(cy - top))
    around = [c for c in contours if cv2.pointPolygonTest(c, centre, False) >= 0]
    return not around or len(ys) < 0.5 * sum(cv2.contourArea(c) for c in around)


def _with_outlines(labels: np.ndarray, matched: list[int], known: np.ndarray) -> np.ndarray:
    """Labels with each line or edge pixel within _OUTLINE_REACH of a matched region given to the
    nearest one: a cartoon's ink outline moves with the shape it encloses (sharing it with the
    backdrop drags its outer half behind, a dent in the moving shape), and it moves by that
    region's own map, squash and turn included."""
    owned = np.zeros(len(known), bool)
    owned[matched] = True
    own = owned[labels]
    if not own.any():
        return labels
    distance, nearest = cv2.distanceTransformWithLabels((~own).astype(np.uint8), cv2.DIST_L2, 3,
                                                        labelType=cv2.DIST_LABEL_PIXEL)
    owner = np.zeros(int(nearest.max()) + 1, labels.dtype)
    owner[nearest[own]] = labels[own]  # each matched pixel is its own nearest
    inherit = (known[labels] == 0) & (distance <= _OUTLINE_REACH)
    return np.where(inherit, owner[nearest], labels)


def _strokes(rgb: np.ndarray, regions: tuple, matched: list[int]) -> tuple[np.ndarray, ...]:
    """The parts of unmatched paint regions that touch a matched shape, with what lies within
    _OUTLINE_REACH of it cut away, as regions of their own (described like _regions'): an arm drawn
    as one stroke with the body's outline is part of a ring that matches nothing, but once cut
    free of the outline it is a shape like any other."""
    labels, areas = regions[0], regions[1]
    owned = np.zeros(len(areas), bool)
    owned[matched] = True
    reach = 2 * _OUTLINE_REACH + 1
    near = cv2.dilate(owned[labels].astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach)))
    loose = regions[5] & ~owned & (areas <= _BACKDROP * labels.size)
    loose[0] = False
    cut = np.zeros(len(areas), bool)
    cut[np.unique(labels[(near > 0) & loose[labels]])] = True
    count, free = cv2.connectedComponents((cut[labels] & (near == 0)).astype(np.uint8), connectivity=4)
    return _describe(rgb, free, count)


def _with_strokes(rgb_a: np.ndarray, rgb_b: np.ndarray, reg_a: tuple, reg_b: tuple,
                  pairs: list[tuple[int, int]], at_once: bool = False) -> tuple[tuple, tuple, list[tuple[int, int]]]:
    """The regions of both keys extended by their strokes cut free (see _strokes), and the pairs
    extended by the strokes matched across the keys."""
    free_a, free_b = both(at_once, partial(_strokes, rgb_a, reg_a, [i for i, _ in pairs]),
                          partial(_strokes, rgb_b, reg_b, [j for _, j in pairs]))
    more = _solid_pairs(free_a, free_b)
    if not more:
        return reg_a, reg_b, pairs
    out = []
    for reg, free in ((reg_a, free_a), (reg_b, free_b)):
        n = len(reg[1])
        labels = np.where(free[0] > 0, free[0] + n, reg[0])
        out.append((labels,) + tuple(np.concatenate([r, f]) for r, f in zip(reg[1:], free[1:], strict=True)))
    n_a, n_b = len(reg_a[1]), len(reg_b[1])
    return out[0], out[1], pairs + [(i + n_a, j + n_b) for i, j in more]


@dataclass(frozen=True)
class RegionMotion:
    """What matched paint regions do between the keys (at the keys' size): seed flows A->B and
    B->A, and for the turn at time t, which matched region each pixel of A and of B goes with
    (`owner_*`, -1 for none), the regions' centres in A and in B, and their 2x2 maps A->B."""
    seed_ab: np.ndarray
    seed_ba: np.ndarray
    owner_a: np.ndarray
    owner_b: np.ndarray
    centre_a: np.ndarray
    centre_b: np.ndarray
    linear: np.ndarray


def region_motion(rgb_a: np.ndarray, rgb_b: np.ndarray, at_once: bool = False) -> RegionMotion | None:
    """Matched paint regions' motion (see RegionMotion); None when nothing matched that moves
    (textured keys, or only the backdrop). With `at_once`, each key's half of the work runs
    alongside the other's."""
    full_h, full_w = rgb_a.shape[:2]
    rgb_a, rgb_b = _at_region_scale(rgb_a, rgb_b)
    h, w = rgb_a.shape[:2]
    reg_a, reg_b = both(at_once, partial(_regions, rgb_a), partial(_regions, rgb_b))
    pairs = _solid_pairs(reg_a, reg_b)
    reg_a, reg_b, pairs = _with_strokes(rgb_a, rgb_b, reg_a, reg_b, pairs, at_once)
    moves = [(i, j, reg_b[2][j] - reg_a[2][i]) for i, j in pairs]
    if not any(np.hypot(*m) >= 2.0 for _, _, m in moves):
        return None
    maps_ab = [_linear_map(reg_a, reg_b, i, j) for i, j, _ in moves]
    (seed_ab, owner_a), (seed_ba, owner_b) = both(
        at_once, partial(_seed, reg_a, reg_b, moves, maps_ab, 0, (full_w, full_h)),
        partial(_seed, reg_b, reg_a, moves, maps_ab, 1, (full_w, full_h)))
    to_full = np.array([full_w / w, full_h / h])
    return RegionMotion(seed_ab, seed_ba, owner_a, owner_b,
                        np.array([reg_a[2][i] for i, _, _ in moves]).reshape(-1, 2) * to_full,
                        np.array([reg_b[2][j] for _, j, _ in moves]).reshape(-1, 2) * to_full,
                        np.array(maps_ab).reshape(-1, 2, 2))


def _at_region_scale(rgb_a: np.ndarray, rgb_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The keys scaled down to at most _MAX_SIDE across (as they are when smaller)."""
    full_h, full_w = rgb_a.shape[:2]
    factor = min(1.0, _MAX_SIDE / max(full_h, full_w))
    if factor >= 1.0:
        return rgb_a, rgb_b
    size = (max(8, round(full_w * factor)), max(8, round(full_h * factor)))
    return (cv2.resize(rgb_a, size, interpolation=cv2.INTER_AREA),
            cv2.resize(rgb_b, size, interpolation=cv2.INTER_AREA))


def _solid_pairs(reg_a: tuple, reg_b: tuple) -> list[tuple[int, int]]:
    """The matched pairs (see _match) whose moments describe how they move. A ring (an outline
    around a shape) or a bent stroke says little by its own moments (a ring's points are spread by
    arc length, not area): it moves with the shape it encloses (see _with_outlines), and a stroke
    drawn on from it is matched once cut free (_with_strokes)."""
    h, w = reg_a[0].shape
    return [(i, j) for i, j in _match(reg_a, reg_b, h * w, float(np.hypot(h, w)))
            if not (_hollow(reg_a, i) or _hollow(reg_b, j))]


def shape_matches(rgb_a: np.ndarray, rgb_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Paint shapes matched across two (H, W, 3) uint8 keys that stand as correspondences on their
    own (see _SHAPE_OVERLAP): each one's centroid in A and its partner's in B, (N, 2) xy px of
    the keys given. A centroid that falls off its shape's own paint (on an eye at its middle, in
    the crook of a bent shape) is no point of it to pin: such pairs are left out. The autopilot's
    matches on flat paint, where feature points find little to hold (match.propose_paths)."""
    full_h, full_w = rgb_a.shape[:2]
    small_a, small_b = _at_region_scale(rgb_a, rgb_b)
    h, w = small_a.shape[:2]
    reg_a, reg_b = _regions(small_a), _regions(small_b)
    src, dst = [], []
    for i, j in _solid_pairs(reg_a, reg_b):
        if (min(reg_a[1][i], reg_b[1][j]) >= _SHAPE_MIN_AREA * h * w and _on_own_paint(reg_a, i)
                and _on_own_paint(reg_b, j) and _rival_gap(reg_a, reg_b, i, j) >= _SHAPE_RIVAL
                and not (_may_have_stayed(reg_a, reg_b, i, j) or _may_have_stayed(reg_b, reg_a, j, i))
                and _overlap(reg_a, reg_b, i, j) >= _SHAPE_OVERLAP):
            src.append(reg_a[2][i])
            dst.append(reg_b[2][j])
    to_full = np.array([full_w / w, full_h / h])
    return np.array(src).reshape(-1, 2) * to_full, np.array(dst).reshape(-1, 2) * to_full


def _on_own_paint(regions: tuple, i: int) -> bool:
    """Whether region i's centroid lies on region i."""
    labels = regions[0]
    x, y = (int(round(v)) for v in regions[2][i])
    return 0 <= y < labels.shape[0] and 0 <= x < labels.shape[1] and labels[y, x] == i


def _rival_gap(reg_a: tuple, reg_b: tuple, i: int, j: int) -> float:
    """How much less alike (see _looks) than the pair (i, j) the next region of B looks to i, or
    of A to j (inf with no other region of the like): small when the pair rests on place alone."""
    size = reg_a[0].size
    others_a = _matchable(reg_a, size)
    others_b = _matchable(reg_b, size)
    one_a, one_b = np.array([i]), np.array([j])
    pair = float(_looks(reg_a, reg_b, one_a, one_b)[0, 0])
    rivals = [_looks(reg_a, reg_b, one_a, others_b[others_b != j]).ravel(),
              _looks(reg_a, reg_b, others_a[others_a != i], one_b).ravel()]
    nearest = min((float(r.min()) for r in rivals if len(r)), default=np.inf)
    return nearest - pair


def _may_have_stayed(here: tuple, there: tuple, i: int, j: int) -> bool:
    """Whether the other key (`there`) shows a region of region i's colour, other than its
    partner j, over region i's place (see _SHAPE_STAYED)."""
    under = there[0][here[0] == i]
    labels, counts = np.unique(under[(under != 0) & (under != j)], return_counts=True)
    alike = np.abs(there[3][labels] - here[3][i]).mean(axis=1) <= _SHAPE_RIVAL
    return bool((counts > _SHAPE_STAYED * np.minimum(there[1][labels], len(under)))[alike].any())


def _overlap(reg_a: tuple, reg_b: tuple, i: int, j: int) -> float:
    """Intersection over union of region j of B and region i of A laid onto it by the pair's map
    (_linear_map about the centroids)."""
    linear = _linear_map(reg_a, reg_b, i, j).astype(np.float64)
    affine = np.hstack([linear, (reg_b[2][j] - linear @ reg_a[2][i])[:, None]])
    h, w = reg_b[0].shape
    laid = cv2.warpAffine((reg_a[0] == i).astype(np.uint8), affine, (w, h), flags=cv2.INTER_NEAREST) > 0
    partner = reg_b[0] == j
    return float((laid & partner).sum() / max(1, (laid | partner).sum()))


def _seed(src: tuple, dst: tuple, moves: list, maps_ab: list[np.ndarray], index: int,
          full_size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """One key's seed flow towards the other (at `full_size`) and which matched pair each of its
    pixels goes with (-1: none); `index` 0 for key A (src) -> B, 1 for B -> A."""
    labels, areas = src[0], src[1]
    h, w = labels.shape
    gy, gx = np.mgrid[:h, :w].astype(np.float32)
    # Per label: an affine map (turn, squash or stretch, then the centroids' displacement).
    centre_src = np.zeros((len(areas), 2), np.float32)
    centre_dst = np.zeros((len(areas), 2), np.float32)
    linear = np.zeros((len(areas), 2, 2), np.float32)
    linear[:] = np.eye(2, dtype=np.float32)
    known = np.zeros(len(areas), np.float32)
    known[areas > _BACKDROP * h * w] = 1.0  # the backdrop stays put
    for k, pair in enumerate(moves):
        i, j = pair[index], pair[1 - index]
        centre_src[i], centre_dst[i] = src[2][i], dst[2][j]
        linear[i] = maps_ab[k] if index == 0 else _linear_map(src, dst, i, j)
        known[i] = 1.0
    known[0] = 0.0
    outlined = _with_outlines(labels, [pair[index] for pair in moves], known)
    rel_x, rel_y = gx - centre_src[outlined, 0], gy - centre_src[outlined, 1]
    m = linear[outlined]
    mapped = np.dstack([centre_dst[outlined, 0] + m[..., 0, 0] * rel_x + m[..., 0, 1] * rel_y - gx,
                        centre_dst[outlined, 1] + m[..., 1, 0] * rel_x + m[..., 1, 1] * rel_y - gy])
    # Other lines and edges take their neighbouring regions' motion (not an outline's: the
    # ground a figure stands on does not walk off with it); unmatched regions far from any stay.
    weight = known[labels]
    reach = (2 * _EDGE_REACH + 1, 2 * _EDGE_REACH + 1)
    total = cv2.blur(weight, reach)[..., None]
    spread = cv2.blur(mapped * weight[..., None], reach) / np.maximum(total, 1e-6)
    spread = np.where(total > 1e-3, spread, 0.0)
    seed = np.where(known[outlined][..., None] > 0, mapped, spread).astype(np.float32)
    # Which pair each pixel goes with (its own region's, or the outlined shape's).
    pair_of = np.full(len(areas), -1, np.int32)
    pair_of[[pair[index] for pair in moves]] = np.arange(len(moves), dtype=np.int32)
    owner = cv2.resize(pair_of[outlined], full_size, interpolation=cv2.INTER_NEAREST)
    return resize_flow(seed, *full_size), owner


def shape_map(mask_src: np.ndarray, mask_dst: np.ndarray) -> np.ndarray:
    """2x2 map taking the shape `mask_src` (bool (H, W)) onto `mask_dst` as _linear_map does for
    matched regions (turn of the major axes, each axis scaled to its partner's length)."""
    blank = np.zeros(mask_src.shape + (3,), np.uint8)
    src = _describe(blank, mask_src.astype(np.int32), 2)
    dst = _describe(blank, mask_dst.astype(np.int32), 2)
    return _linear_map(src, dst, 1, 1)


def follows_seed(flow: np.ndarray, seed: np.ndarray, tolerance: float = 1.0) -> np.ndarray:
    """(H, W) bool: where the seed moves (>= 1 px) and the flow follows it within `tolerance` px
    (paint that moves as its matched region does: its motion is evidence, not the flow sliding
    along a flat surface)."""
    miss = flow - seed
    return (squared_length(miss) <= tolerance ** 2) & (squared_length(seed) >= 1.0)


def _rotation_stack(angles: np.ndarray) -> np.ndarray:
    c, s = np.cos(angles), np.sin(angles)
    return np.stack([np.stack([c, -s], axis=-1), np.stack([s, c], axis=-1)], axis=-2)


def _turn_angles(linear: np.ndarray) -> np.ndarray:
    """(n,) the turn of each 2x2 map (the rotation of its polar decomposition), radians."""
    return np.arctan2(linear[:, 1, 0] - linear[:, 0, 1], linear[:, 0, 0] + linear[:, 1, 1])


def turns(linear: np.ndarray) -> np.ndarray:
    """(n,) bool: which 2x2 maps turn their shape by more than _TURN_MIN (a stretch alone
    interpolates linearly, as the chord does)."""
    return np.abs(_turn_angles(np.asarray(linear, np.float64))) > _TURN_MIN


def turn_offsets(linear: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
    """(n, 2, 2) twice: for each shape mapped from A onto B by a 2x2 map (n, 2, 2), what takes a
    point of it in A (relative to the map's centre in A) and in B (relative to its centre in B)
    from straight-line motion at time t onto the shape's turn by t x its angle, stretched by the
    matching share of its stretch (see RegionTurns)."""
    linear = np.asarray(linear, np.float64)
    angle = _turn_angles(linear)
    stretch = np.transpose(_rotation_stack(angle), (0, 2, 1)) @ linear
    inverse = np.linalg.inv(linear)
    eye = np.eye(2)
    at_t = _rotation_stack(t * angle) @ ((1.0 - t) * eye + t * stretch)
    return at_t - ((1.0 - t) * eye + t * linear), at_t @ inverse - (t * eye + (1.0 - t) * inverse)


class RegionTurns:
    """Per-time corrections that carry matched regions round their turn instead of along the chord.

    Straight-line motion takes each point of a shape that turns by an angle between the keys along
    the chord: mid-way the shape has turned half as far but shrunk (to cos(angle / 2) across, for
    a quarter turn 0.71) and its far end has swung inwards. Each region's 2x2 map splits into a
    turn and a stretch (polar decomposition); at time t the shape is turned by t x the angle and
    stretched by the matching share of the stretch (as-rigid-as-possible interpolation, Alexa et
    al. 2000, "As-Rigid-As-Possible Shape Interpolation", for one affine map per region). Only
    pixels whose motion follows their region's map (`keep_a`, `keep_b`) are corrected.
    """

    @classmethod
    def of(cls, motion: RegionMotion, keep_a: np.ndarray, keep_b: np.ndarray) -> RegionTurns | None:
        """The corrections, or None when no region turns (a stretch alone interpolates linearly,
        as the chord does)."""
        return cls(motion, keep_a, keep_b) if turns(motion.linear).any() else None

    def __init__(self, motion: RegionMotion, keep_a: np.ndarray, keep_b: np.ndarray):
        self.linear = motion.linear.astype(np.float64)
        self.shape = keep_a.shape
        self.sides = []
        for owner, keep, centres in ((motion.owner_a, keep_a, motion.centre_a),
                                     (motion.owner_b, keep_b, motion.centre_b)):
            where = np.flatnonzero((owner >= 0) & keep)
            own = owner.ravel()[where]
            ys, xs = np.divmod(where, self.shape[1])
            rel = np.stack([xs - centres[own, 0], ys - centres[own, 1]], axis=1).astype(np.float32)
            self.sides.append((where, own, rel))

    def bends(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """(H, W, 2) offsets from straight-line motion at time t for the pixels of A and of B."""
        corrections = turn_offsets(self.linear, t)
        out = []
        for (where, own, rel), correction in zip(self.sides, corrections, strict=True):
            bend = np.zeros(self.shape + (2,), np.float32)
            bend.reshape(-1, 2)[where] = np.einsum("kij,kj->ki", correction.astype(np.float32)[own], rel)
            out.append(bend)
        return out[0], out[1]
