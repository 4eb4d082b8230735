"""Limbs in line art: a stroke that joins two paths' points swings between them as a bone.

Optical flow cannot follow a thin stroke that sweeps far (an arm raised 150 degrees): it fades out
at one place and in at another. A path on the hand moves the hand only. So where one stroke joins
two paths' points in both keys (fairly straight, no other path's point on the way, not a stretch
of a closed outline) and the points swing apart, that stroke is a bone: at every t it is drawn
where the segment between the two points is, turned with it and stretched along it only (the
line keeps its width). A chain of paths (shoulder, elbow, hand) makes a chain of bones; a loose
end (a hand drawn as a knob about the path's point) goes with its bone.

The rest of the drawing is in-betweened as usual, from keys without their bones; the bones are
drawn over it as a layer. A stroke a bone hides (the body's outline an arm was drawn along, or
that a leg joins) is carried on across the bone from the ends it was cut into, and kept: the flow
sees it whole and the frame is warped from it. Whatever else a bone hid is paper.
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from inbetweener.engines.flowlib.lineart import INK, darkness, thinned

# How far (px, beyond a few stroke widths) a path's point may sit from the stroke it belongs to.
_SNAP_MIN = 12.0
# A bone's stroke may bend a little: up to this many times the straight distance between its
# points (an arm bent by 75 degrees at an elbow half-way is 1.26; a path on the elbow makes two
# bones of it). Beyond, the way between two points runs round other strokes (shoulder to hip
# along the body's outline, hand to foot over the body), not along one limb.
_WINDING = 1.25
# A bone's ends must move apart (turn or stretch) by at least this share of their distance.
_SWING = 0.25
# Bone pixels take the motion of the other strokes within about twice this many px (follow_strokes);
# weights below _FOLLOW_MIN_WEIGHT (a stroke's share of the Gaussian there) are too little ink to go by.
_FOLLOW_SIGMA = 10.0
_FOLLOW_MIN_WEIGHT = 0.02
# Bone pixels within this many px (at the keys' size) of another stroke stay in the keys the flow
# is estimated on (see Limbs.for_flow).
_TOUCH_PX = 2.0
# A stroke a bone hides (the outline an arm was drawn along) is carried on across it, between two
# ends of it that the bone cuts: at most _HIDDEN_GAP half stroke widths apart, each facing the
# other (the cosine between its direction and the way to the other over _HIDDEN_FACING), and the
# curve between them over the bone's ink for at least _HIDDEN_OVER of its length.
_HIDDEN_GAP = 25.0
_HIDDEN_FACING = 0.5
_HIDDEN_OVER = 0.6
_SQUARE = np.ones((3, 3), np.uint8)
_NEIGHBOURS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))
_FAR = np.iinfo(np.int32).max // 4  # geodesic distance of what cannot be reached


class _Key(NamedTuple):
    """One key's bones: which pixels move with which bone, and where they sit in its frame."""
    owned: np.ndarray   # (H, W) bool
    rows: np.ndarray    # flat pixel indices of the owned pixels
    bone: np.ndarray    # bone index of each owned pixel
    along: np.ndarray   # px along the bone's segment from its first point
    across: np.ndarray  # px to the left of the segment
    anchored: frozenset[int]  # bone ends that other strokes touch (a shoulder on the body)


class Limbs:
    """Bones between pairs of paths, over both keys' pixels (work scale)."""

    def __init__(self, pairs: list[tuple[int, int]], key_a: _Key, key_b: _Key,
                 starts: np.ndarray, ends: np.ndarray, shape: tuple[int, int], half: tuple[float, float],
                 hidden: tuple[np.ndarray, np.ndarray] | None = None):
        self.pairs = pairs
        self.half = half  # each key's half stroke width (px)
        self.keys = (key_a, key_b)
        self.references = (starts, ends)
        self.shape = shape
        # Bone pixels that another stroke runs on under (an arm drawn along the body's outline,
        # see hidden_strokes): they stay in the keys the flow sees and the rest is in-betweened
        # from, and the bones' layer draws them again.
        self.hidden = hidden if hidden is not None else (np.zeros(shape, bool), np.zeros(shape, bool))
        self._masks = [self._bone_masks(k, self.hidden[k], self.half[k]) for k in range(2)]

    def _bone_masks(self, key: int, hidden: np.ndarray, half: float) -> list[np.ndarray]:
        """(H, W) uint8 per bone: 255 on the pixels its layer draws. That is all of them but the
        hidden stroke's off the limb's own line (more than half a stroke width from the middle of
        the pixels the bone has alone): swung with the arm, the stretch of outline it was drawn
        along stood off it as a stub."""
        data = self.keys[key]
        h, w = self.shape
        ends = [i for pair in self.pairs for i in pair]
        joints = {i for i in ends if ends.count(i) > 1}
        out = []
        for n, pair in enumerate(self.pairs):
            mine = data.bone == n
            rows = data.rows[mine]
            under = hidden.reshape(-1)[rows]
            if under.any() and not under.all():
                middle = float(np.median(data.across[mine][~under]))
                rows = rows[~under | (np.abs(data.across[mine] - middle) <= half + 0.5)]
            mask = np.zeros(h * w, np.uint8)
            mask[rows] = 255
            mask = mask.reshape(self.shape)
            for end in joints.intersection(pair):
                # Round a joint (a knee): each bone there also draws the limb's ink about the
                # joint, so turned apart the two leave no wedge of paper on the bend's outside.
                x, y = self.references[key][end]
                r = 2.0 * half
                x0, x1 = max(int(x - r), 0), min(int(x + r) + 2, w)
                y0, y1 = max(int(y - r), 0), min(int(y + r) + 2, h)
                if x0 >= x1 or y0 >= y1:
                    continue
                yy, xx = np.mgrid[y0:y1, x0:x1]
                near = ((xx - x) ** 2 + (yy - y) ** 2 <= r * r) & data.owned[y0:y1, x0:x1]
                mask[y0:y1, x0:x1][near] = 255
            out.append(mask)
        return out

    def follow_strokes(self, flows: tuple[np.ndarray, np.ndarray], inks: tuple[np.ndarray, np.ndarray]) -> None:
        """Give each key's bone-only pixels (`owned`) the motion of the other strokes near them, in
        place (flows A->B, B->A and darkness at work scale): a Gaussian-weighted mean over that
        key's ink that is no bone's, within about 2 x _FOLLOW_SIGMA px. What a bone hid there then
        moves as the strokes round it do; the flow read there had a gap to cross, the bones (bar
        where they touch another stroke or hide one) having been erased before it ran. Bone pixels
        with no such ink near them keep their flow."""
        for flow, ink, data, only in zip(flows, inks, self.keys, self.owned, strict=True):
            if not only.any():
                continue
            strokes = ((ink >= INK) & ~data.owned).astype(np.float32)
            weight = cv2.GaussianBlur(strokes, (0, 0), _FOLLOW_SIGMA)
            near = only & (weight > _FOLLOW_MIN_WEIGHT)
            for c in range(2):
                mean = cv2.GaussianBlur(flow[..., c] * strokes, (0, 0), _FOLLOW_SIGMA)
                flow[..., c][near] = mean[near] / weight[near]

    def for_flow(self, inks: tuple[np.ndarray, np.ndarray], scale: float) -> tuple[np.ndarray, np.ndarray]:
        """Each key's bone pixels to erase before the flow runs (`inks`: darkness at work scale,
        `scale`: work px per key px): all but those another stroke runs on under (`hidden`) and
        those within _TOUCH_PX of another stroke (where a shoulder meets the body). Erased, the
        outline an arm was drawn along left a gap, and the flow slid the outline along it."""
        radius = max(1, int(round(_TOUCH_PX * scale)))
        touch = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * radius + 1,) * 2)
        out = []
        for ink, data, hidden in zip(inks, self.keys, self.hidden, strict=True):
            others = ((ink >= INK) & ~data.owned).astype(np.uint8)
            out.append(data.owned & (cv2.dilate(others, touch) == 0) & ~hidden)
        return out[0], out[1]

    @property
    def unanchored(self) -> frozenset[int]:
        """Bone ends that no other stroke touches in one key or both (a hand, an elbow, a foot in
        the air): the bones move them, and nothing else there moves with them."""
        ends = {i for pair in self.pairs for i in pair}
        return frozenset(ends - (self.keys[0].anchored & self.keys[1].anchored))

    @property
    def owned(self) -> tuple[np.ndarray, np.ndarray]:
        """Each key's pixels that are its bones' only (not those another stroke runs on under)."""
        return self.keys[0].owned & ~self.hidden[0], self.keys[1].owned & ~self.hidden[1]

    def box(self, positions: np.ndarray, scale: float, size: tuple[int, int]) -> tuple[int, int, int, int] | None:
        """(x0, y0, x1, y1) at full size (`size` = (h, w)) holding both keys' bones where the
        paths' points at `positions` put them; None when none is in the frame."""
        h, w = size
        xs, ys = zip(*(self._placed(k, positions) for k in range(2)), strict=True)
        xs, ys = np.concatenate(xs) / scale, np.concatenate(ys) / scale
        if xs.size == 0:
            return None
        x0, x1 = max(int(xs.min()) - 2, 0), min(int(xs.max()) + 3, w)
        y0, y1 = max(int(ys.min()) - 2, 0), min(int(ys.max()) + 3, h)
        return (x0, y0, x1, y1) if x0 < x1 and y0 < y1 else None

    def draw(self, key: int, image: np.ndarray, positions: np.ndarray, scale: float,
             box: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
        """The key's bones (every bone pixel, shared ones too) where the paths' points at
        `positions` put them, within `box` of the full-size frame: float32 colour of `image` and
        coverage in [0, 1], both the box's size.

        Backward mapping per bone: each full-size pixel asks where in the key its bone came from.
        """
        data = self.keys[key]
        reference = self.references[key]
        bx0, by0, bx1, by1 = box
        colour = np.zeros((by1 - by0, bx1 - bx0, image.shape[2]), np.float32)
        cover = np.zeros(colour.shape[:2], np.float32)
        placed_x, placed_y = self._placed(key, positions)
        for n, (i, j) in enumerate(self.pairs):
            mine = data.bone == n
            if not mine.any():
                continue
            xs, ys = placed_x[mine] / scale, placed_y[mine] / scale
            x0, x1 = max(int(xs.min()) - 2, bx0), min(int(xs.max()) + 3, bx1)
            y0, y1 = max(int(ys.min()) - 2, by0), min(int(ys.max()) + 3, by1)
            if x0 >= x1 or y0 >= y1:
                continue
            qx, qy = np.meshgrid(np.arange(x0, x1, dtype=np.float32) * scale,
                                 np.arange(y0, y1, dtype=np.float32) * scale)
            src_x, src_y = _unbend(qx, qy, reference[i], reference[j], positions[i], positions[j])
            got = cv2.remap(self._masks[key][n], src_x, src_y, cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=0) * np.float32(1.0 / 255.0)
            if not got.any():
                continue
            region = (slice(y0 - by0, y1 - by0), slice(x0 - bx0, x1 - bx0))
            pixels = cv2.remap(image, src_x / scale, src_y / scale, cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
            colour[region] += pixels * got[..., None]
            cover[region] += got
        # The bones' pixels do not overlap, so where two bones meet (a knee) their soft edges add
        # up to the whole stroke. Kept as the larger of the two, they left a pale seam across it.
        colour /= np.maximum(cover, np.float32(1e-6))[..., None]
        np.minimum(cover, np.float32(1.0), out=cover)
        return colour, cover

    def _placed(self, key: int, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where each of the key's (0: A, 1: B) bone pixels is when the paths' points are at
        `positions` ((n, 2) work scale): x and y per pixel of the key's `rows`."""
        data = self.keys[key]
        reference = self.references[key]
        first = np.array([i for i, _ in self.pairs])
        second = np.array([j for _, j in self.pairs])
        base, tip = positions[first], positions[second]
        length0 = np.hypot(*(reference[second] - reference[first]).T)
        axis = tip - base
        length = np.hypot(axis[:, 0], axis[:, 1])
        # A bone squeezed to a point keeps the direction it had in the key (no turn to guess).
        fallback = (reference[second] - reference[first]) / length0[:, None]
        unit = np.where(length[:, None] > 1e-6, axis / np.maximum(length, 1e-6)[:, None], fallback)
        normal = np.stack([-unit[:, 1], unit[:, 0]], axis=1)
        b = data.bone
        inside = np.clip(data.along, 0.0, length0[b])
        # Stretch the segment, not what hangs past its ends (a hand keeps its size).
        along = inside * (length[b] / length0[b]) + (data.along - inside)
        x = base[b, 0] + along * unit[b, 0] + data.across * normal[b, 0]
        y = base[b, 1] + along * unit[b, 1] + data.across * normal[b, 1]
        return x, y


def find_limbs(track: np.ndarray, ink_a: np.ndarray, ink_b: np.ndarray,
               skip: frozenset[int] = frozenset()) -> Limbs | None:
    """The bones between the paths' points given where they are over time (`track`: (k, n, 2) at
    work scale, first on key A, last on key B, a few times between) and each key's darkness
    (H, W) in [0, 1], no bone ending on the points `skip` holds; None when no two points that
    swing apart share a stroke in both keys."""
    starts, ends = track[0], track[-1]
    if len(starts) < 2:
        return None
    found = [_Strokes(starts, ink_a), _Strokes(ends, ink_b)]
    shared = set(found[0].pairs) & set(found[1].pairs)
    pairs = _limb_chains(track, sorted(p for p in shared if not skip & set(p)))
    if not pairs:
        return None
    keys = [f.owner(pairs, points) for f, points in zip(found, (starts, ends), strict=True)]
    hidden = [hidden_strokes(k.owned, f.ink, f.half) for k, f in zip(keys, found, strict=True)]
    return Limbs(pairs, keys[0], keys[1], starts, ends, ink_a.shape, (found[0].half, found[1].half),
                 (hidden[0], hidden[1]))


def _limb_chains(track: np.ndarray, pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The pairs that make up limbs: those whose ends swing apart (one moves about the other, at
    some time, by at least _SWING of their distance), and those chained to them (a foot that the
    swinging shin carries). A stretch of strokes whose ends move together is the flow's to follow
    (a bone there would only risk a seam)."""
    def swings(i: int, j: int) -> bool:
        offsets = track[:, j] - track[:, i]
        return np.hypot(*(offsets - offsets[0]).T).max() >= _SWING * float(np.hypot(*offsets[0]))

    kept = [p for p in pairs if swings(*p)]
    joints = {i for p in kept for i in p}
    grew = True
    while grew:
        grew = False
        for p in pairs:
            if p not in kept and joints & set(p):
                kept.append(p)
                joints |= set(p)
                grew = True
    return sorted(kept)


class _Strokes:
    """The strokes of one key and how the paths' points sit on them."""

    def __init__(self, points: np.ndarray, ink: np.ndarray):
        self.ink = ink >= INK
        h, w = ink.shape
        widths = cv2.distanceTransform(self.ink.astype(np.uint8), cv2.DIST_L2, 3)
        # Half a stroke's width: the stroke's core depth (ignoring blobs and thin fringe). Ink
        # everywhere (no paper to measure from) is no stroke: the depth stops at the key's size.
        core = widths[widths >= 1.0]
        self.half = min(float(np.percentile(core, 75)), float(max(h, w))) if core.size else 1.0
        self.snaps = [self._snap(p) for p in points]
        snapped = [s for s in self.snaps if s is not None]
        self.steps: list[np.ndarray | None] = [None] * len(points)
        self.pairs: list[tuple[int, int]] = []
        if len(snapped) < 2:
            return
        xy = np.array(snapped, float)
        spread = float(np.hypot(*(xy.max(axis=0) - xy.min(axis=0))))
        margin = int(spread * 0.5 + 4 * self.half + 8)
        x0, y0 = (np.maximum(xy.min(axis=0).astype(int) - margin, 0))
        x1, y1 = np.minimum(xy.max(axis=0).astype(int) + margin + 1, (w, h))
        self.box = (int(x0), int(y0), int(x1), int(y1))
        limit = int(_WINDING * spread + 4 * self.half + 8)
        for i, s in enumerate(self.snaps):
            if s is not None:
                self.steps[i] = self._geodesic(s, limit)
        self.slack = self.half + 2.0
        for i in range(len(points)):
            for j in range(i + 1, len(points)):
                if self._joins(i, j):
                    self.pairs.append((i, j))

    def _snap(self, point: np.ndarray) -> tuple[int, int] | None:
        """The stroke pixel nearest a path's point, if one is near."""
        radius = max(_SNAP_MIN, 4.0 * self.half)
        h, w = self.ink.shape
        x, y = float(point[0]), float(point[1])
        x0, x1 = max(int(x - radius), 0), min(int(x + radius) + 2, w)
        y0, y1 = max(int(y - radius), 0), min(int(y + radius) + 2, h)
        if x0 >= x1 or y0 >= y1:
            return None
        ys, xs = np.nonzero(self.ink[y0:y1, x0:x1])
        if xs.size == 0:
            return None
        d2 = (xs + x0 - x) ** 2 + (ys + y0 - y) ** 2
        k = int(np.argmin(d2))
        if d2[k] > radius * radius:
            return None
        return int(xs[k] + x0), int(ys[k] + y0)

    def _geodesic(self, seed: tuple[int, int], limit: int) -> np.ndarray:
        """Distance (px, octagonal steps) along the strokes from `seed` to every stroke pixel in
        the box (a large number where unreachable within `limit`), at full image size.

        Breadth-first over flat pixel indices: each step costs what its front holds, not the box.
        """
        x0, y0, x1, y1 = self.box
        bw = x1 - x0 + 2  # one pixel of padding all round: no bounds checks
        allowed = np.zeros((y1 - y0 + 2, bw), bool)
        allowed[1:-1, 1:-1] = self.ink[y0:y1, x0:x1]
        allowed = allowed.reshape(-1)
        steps = np.full(allowed.shape, _FAR, np.int32)
        front = np.array([(seed[1] - y0 + 1) * bw + seed[0] - x0 + 1])
        steps[front] = 0
        allowed[front] = False
        cross = np.array([-bw, -1, 1, bw])
        square = np.concatenate([cross, [-bw - 1, -bw + 1, bw - 1, bw + 1]])
        for step in range(1, limit + 1):
            # Square and cross steps in turn: an octagonal metric, within 8% of straight-line
            # lengths in every direction (square steps alone count a diagonal as 1).
            reach = (front[:, None] + (square if step % 2 else cross)[None, :]).reshape(-1)
            reach = np.unique(reach[allowed[reach]])
            if reach.size == 0:
                break
            steps[reach] = step
            allowed[reach] = False
            front = reach
        full = np.full(self.ink.shape, _FAR, np.int32)
        full[y0:y1, x0:x1] = steps.reshape(y1 - y0 + 2, bw)[1:-1, 1:-1]
        return full

    def _distance(self, i: int, j: int) -> int:
        x, y = self.snaps[j]
        return int(self.steps[i][y, x])

    def _joins(self, i: int, j: int) -> bool:
        """One stroke runs from point i to point j, not much longer than the straight line, and
        no other path's point sits on it."""
        if self.steps[i] is None or self.steps[j] is None:
            return False
        far = self._distance(i, j)
        straight = float(np.hypot(self.snaps[i][0] - self.snaps[j][0], self.snaps[i][1] - self.snaps[j][1]))
        if straight < 4.0 * self.half or far > _WINDING * straight + 2.0 * self.half:
            return False
        for k, s in enumerate(self.snaps):
            if k in (i, j) or s is None:
                continue
            # On the way, give or take a corner cut inside a thick stroke.
            if self._distance(i, k) + self._distance(j, k) <= far + 2.0 * self.half + 4.0:
                return False
        return self._splits(i, j, far)

    def _splits(self, i: int, j: int, far: int) -> bool:
        """Taking the stroke from i to j away leaves nothing that joins what touches its two ends:
        a limb, not a stretch of a closed outline (the rest of the outline still joins those)."""
        x0, y0, x1, y1 = self.box
        steps_i, steps_j = self.steps[i][y0:y1, x0:x1], self.steps[j][y0:y1, x0:x1]
        corridor = (steps_i + steps_j - far <= self.slack).astype(np.uint8)
        rest = self.ink[y0:y1, x0:x1] & ~cv2.dilate(corridor, _SQUARE).astype(bool)
        labels = cv2.connectedComponents(rest.astype(np.uint8), connectivity=8)[1]
        touching = []
        for steps in (steps_i, steps_j):
            end = ((corridor > 0) & (steps <= self.slack + 2.0)).astype(np.uint8)
            beside = cv2.dilate(end, np.ones((5, 5), np.uint8)).astype(bool)  # just past the cut
            touching.append(set(np.unique(labels[beside & rest]).tolist()))
        return not (touching[0] & touching[1])

    def owner(self, pairs: list[tuple[int, int]], points: np.ndarray) -> _Key:
        """Which bone each stroke pixel near a bone moves with, and its place in that bone's frame."""
        h, w = self.ink.shape
        best = np.full((h, w), np.inf, np.float32)
        bone = np.full((h, w), -1, np.int32)
        for n, (i, j) in enumerate(pairs):
            # On a shortest way from i to j, give or take the stroke's width.
            excess = (self.steps[i] + self.steps[j]).astype(np.float32) - self._distance(i, j)
            mine = (excess <= self.slack) & (excess < best)
            best[mine] = excess[mine]
            bone[mine] = n
        degree = np.zeros(len(points), int)
        for i, j in pairs:
            degree[i] += 1
            degree[j] += 1
        for end in np.flatnonzero(degree == 1):
            mine = next(n for n, pair in enumerate(pairs) if end in pair)
            knob = self._knob(int(end), points[end], bone == mine)
            if knob is not None:  # a loose end: the knob drawn about it goes with its bone
                bone[knob & (bone < 0)] = mine
        owned = bone >= 0
        # Bone ends that other strokes touch (a shoulder on the body's outline).
        reach = 2.0 * self.half + 3.0
        others = self.ink & ~owned
        anchored = set()
        for end in np.flatnonzero(degree):
            x, y = points[end]
            x0, x1 = max(int(x - reach), 0), min(int(x + reach) + 2, w)
            y0, y1 = max(int(y - reach), 0), min(int(y + reach) + 2, h)
            ys, xs = np.nonzero(others[y0:y1, x0:x1])
            if np.any((xs + x0 - x) ** 2 + (ys + y0 - y) ** 2 <= reach * reach):
                anchored.add(int(end))
        # The stroke's anti-aliased fringe goes with it (else a faint trace stays behind).
        grown = cv2.dilate(owned.astype(np.uint8), _SQUARE).astype(bool) & ~owned
        if grown.any():
            near = cv2.dilate(np.where(owned, bone + 1, 0).astype(np.float32), _SQUARE)
            bone[grown] = near[grown].astype(np.int32) - 1
            owned |= grown
        rows = np.flatnonzero(owned)
        which = bone.reshape(-1)[rows]
        px = (rows % w).astype(np.float32)
        py = (rows // w).astype(np.float32)
        first = np.array([points[i] for i, _ in pairs], np.float64)
        second = np.array([points[j] for _, j in pairs], np.float64)
        axis = second - first
        length = np.hypot(axis[:, 0], axis[:, 1])
        unit = axis / np.maximum(length, 1e-6)[:, None]
        rel_x = px - first[which, 0]
        rel_y = py - first[which, 1]
        along = rel_x * unit[which, 0] + rel_y * unit[which, 1]
        across = -rel_x * unit[which, 1] + rel_y * unit[which, 0]
        return _Key(owned, rows, which, along.astype(np.float32), across.astype(np.float32), frozenset(anchored))

    def _knob(self, end: int, point: np.ndarray, bone: np.ndarray) -> np.ndarray | None:
        """The ink about a bone's end (a hand drawn as a ring about the path's point: what lies
        within two stroke widths beyond the nearest stroke), if nothing but the bone leads away."""
        sx, sy = self.snaps[end]
        gap = float(np.hypot(sx - point[0], sy - point[1]))
        radius = gap + 4.0 * self.half + 2.0
        h, w = self.ink.shape
        dist = np.hypot(np.arange(w)[None, :] - point[0], np.arange(h)[:, None] - point[1])
        outer = radius + 3.0 * self.half + 2.0
        disc = self.ink & (self.steps[end] <= 4.0 * radius) & (dist <= radius)
        # What leads away from the point along the strokes (not a stroke it reaches only the
        # long way round, such as the body beside an elbow).
        ring = self.ink & (self.steps[end] <= 2.0 * outer) & (dist > radius) & (dist <= outer)
        count, labels = cv2.connectedComponents(ring.astype(np.uint8), connectivity=8)
        for label in range(1, count):
            if not (bone & (labels == label)).any():
                return None  # another stroke leads away: a joint, not a loose end
        return disc


def _unbend(qx: np.ndarray, qy: np.ndarray, ref_first: np.ndarray, ref_second: np.ndarray,
            first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where in the key (bone from ref_first to ref_second) a point q of the bone now from `first`
    to `second` came from: the inverse of Limbs.displacements for one bone."""
    axis0 = np.asarray(ref_second, np.float64) - ref_first
    length0 = float(np.hypot(*axis0))
    unit0 = axis0 / max(length0, 1e-6)
    axis = np.asarray(second, np.float64) - first
    length = float(np.hypot(*axis))
    unit = axis / length if length > 1e-6 else unit0
    rel_x, rel_y = qx - np.float32(first[0]), qy - np.float32(first[1])
    along = rel_x * np.float32(unit[0]) + rel_y * np.float32(unit[1])
    across = -rel_x * np.float32(unit[1]) + rel_y * np.float32(unit[0])
    inside = np.clip(along, 0.0, length)
    along0 = inside * np.float32(length0 / max(length, 1e-6)) + (along - inside)
    src_x = np.float32(ref_first[0]) + along0 * np.float32(unit0[0]) - across * np.float32(unit0[1])
    src_y = np.float32(ref_first[1]) + along0 * np.float32(unit0[1]) + across * np.float32(unit0[0])
    return src_x.astype(np.float32), src_y.astype(np.float32)


def erase_bones(keys: tuple[np.ndarray, np.ndarray],
                owned: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Copies of both keys (uint8 RGBA or premultiplied float, full size) without their bone
    pixels (`owned`, work scale), painted in the key's paper colour (the median of its light
    pixels). What a bone hid is a stroke it is kept for (hidden_strokes), or paper."""
    h, w = keys[0].shape[:2]
    out = []
    for key, mask in zip(keys, owned, strict=True):
        if mask.shape != (h, w):
            mask = cv2.resize(mask.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST)
            mask = cv2.dilate(mask, _SQUARE).astype(bool)  # upscaled edges fall short
        light = darkness(key) < 0.1
        paper = np.median(key[light], axis=0) if light.any() else np.full(key.shape[2], 255.0)
        papered = key.copy()
        papered[mask] = paper.astype(key.dtype)
        out.append(papered)
    return out[0], out[1]


def hidden_strokes(owned: np.ndarray, ink: np.ndarray, half: float) -> np.ndarray:
    """(H, W) bool: the ink of a key's bones (`owned`) that another stroke runs on under, found
    by carrying that stroke across: where the bones cut the other strokes (`ink` minus `owned`)
    into ends that face each other, a cubic (Hermite) curve joins each such pair along the ends'
    directions, as wide as a stroke (`half` its half width). The body's outline an arm was drawn
    along, or that a leg joins, is then one line again in the key the flow sees and the frame is
    warped from, rather than a gap the other key's outline is guessed into."""
    out = np.zeros(owned.shape, bool)
    ends = _cut_ends(owned, ink, half)
    if len(ends) < 2:
        return out
    h, w = owned.shape
    over = cv2.dilate(owned.astype(np.uint8), _SQUARE).astype(bool)
    reach = _HIDDEN_GAP * half
    pairs = []
    for i, (p, d) in enumerate(ends):
        for j in range(i + 1, len(ends)):
            q, e = ends[j]
            gap = float(np.hypot(*(q - p)))
            if not 1.0 <= gap <= reach:
                continue
            way = (q - p) / gap
            facing = min(float(d @ way), float(-e @ way))
            if facing >= _HIDDEN_FACING:
                pairs.append((facing - gap / reach, i, j, gap))
    mask = np.zeros((h, w), np.uint8)
    taken: set[int] = set()
    for _, i, j, gap in sorted(pairs, reverse=True):  # the best-facing, nearest pairs first
        if i in taken or j in taken:
            continue
        (p, d), (q, e) = ends[i], ends[j]
        s = np.linspace(0.0, 1.0, max(8, int(2 * gap)))[:, None]
        curve = ((2 * s**3 - 3 * s**2 + 1) * p + (s**3 - 2 * s**2 + s) * gap * d
                 + (3 * s**2 - 2 * s**3) * q - (s**3 - s**2) * gap * e)
        xs = np.clip(np.rint(curve[:, 0]).astype(int), 0, w - 1)
        ys = np.clip(np.rint(curve[:, 1]).astype(int), 0, h - 1)
        if over[ys, xs].mean() < _HIDDEN_OVER:
            continue  # two strokes ending near a bone, not one running on under it
        taken |= {i, j}
        cv2.polylines(mask, [np.rint(curve).astype(np.int32)], False, 1, max(1, int(round(2 * half))))
    # And the stroke's soft edge (the bone's pixels next to its ink).
    return cv2.dilate((mask.astype(bool) & owned & ink).astype(np.uint8), _SQUARE).astype(bool) & owned


def _cut_ends(owned: np.ndarray, ink: np.ndarray, half: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """The ends, next to a bone, of the other strokes' middle lines: each as its point (x, y) and
    the unit direction it leaves the stroke in (from a few stroke widths back along the line)."""
    if not owned.any():
        return []
    others = ink & ~owned
    near = cv2.dilate(owned.astype(np.uint8), cv2.getStructuringElement(
        cv2.MORPH_ELLIPSE, (2 * int(np.ceil(half)) + 5,) * 2)).astype(bool)
    ys, xs = np.nonzero(owned)
    margin = int(4 * half + 12)  # room to follow each line back from its end
    y0, y1 = max(int(ys.min()) - margin, 0), min(int(ys.max()) + margin + 1, owned.shape[0])
    x0, x1 = max(int(xs.min()) - margin, 0), min(int(xs.max()) + margin + 1, owned.shape[1])
    line = thinned(others[y0:y1, x0:x1])
    padded = np.pad(line, 1).astype(np.uint8)
    hh, ww = line.shape
    count = sum(padded[1 + dy:1 + dy + hh, 1 + dx:1 + dx + ww] for dy, dx in _NEIGHBOURS)
    out = []
    back = int(3 * half + 6)
    for ey, ex in zip(*np.nonzero(line & (count == 1) & near[y0:y1, x0:x1]), strict=True):
        # Breadth-first back along the line (through any spur thinning left at the end).
        front = {(int(ey), int(ex))}
        seen = set(front)
        for _ in range(back):
            step = {(y + dy, x + dx) for y, x in front for dy, dx in _NEIGHBOURS
                    if 0 <= y + dy < hh and 0 <= x + dx < ww and line[y + dy, x + dx]} - seen
            if not step:
                break
            seen |= step
            front = step
        if len(seen) < 4:
            continue  # a speck, not a line
        from_y = np.mean([y for y, _ in front])
        from_x = np.mean([x for _, x in front])
        direction = np.array([ex - from_x, ey - from_y], np.float64)
        norm = float(np.hypot(*direction))
        if norm > 0:
            out.append((np.array([ex + x0, ey + y0], np.float64), direction / norm))
    return out
