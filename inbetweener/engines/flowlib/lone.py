"""Line art: strokes that only one key has (a circle drawn in at the second key, a mark drawn
smaller in the first).

No flow can follow such a stroke: it has nothing in the other key to match. Warped by the motion
the occlusion fill lends it, which varies along it, it came apart, and parts of it were blended in
at different times: a broken, flickering stroke. So a connected stroke of a key whose pixels all
but a few fail the forward-backward check, and which the other key has no ink for where the
stroke's surroundings take it, is lifted out of the key the frame is warped from and drawn as a
layer, whole:

- Where both keys have such a stroke in one place (a circle that grows), the two are one stroke
  changing shape: it is drawn from the key that has it bigger (the more detailed drawing), its
  ink's box fitted to the box between the two keys' at time t. So are two strokes in one place,
  one much bigger than the other, that the flow only half matched (a ring redrawn bigger: half of
  it followed, the rest came apart).
- A stroke alone moves as its surroundings do and grows from its middle (or, cut by the frame's
  edge, from that edge: it comes into the picture), as a stroke redrawn bigger does: B's from a
  dot at the middle of the segment to its drawn size at B, A's shrinking likewise to nothing by
  the middle. (Faded in, it was a grey ghost of a line: in cel animation a new mark is drawn,
  small, not dissolved in.)

Either way the stroke is drawn in solid ink with its line as wide as in its key (see _draw).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from inbetweener.engines.flowlib.lineart import INK, thinned

# A lone stroke: at most this share of its pixels passes the forward-backward check (consistency
# over 0.5), and it has at least _MIN_PX pixels at work scale (smaller specks are left to the blend).
_TRUSTED_SHARE = 0.05
_MIN_PX = 12
# Nor is it most of the drawing: a figure the flow lost altogether is moved by it as well as it can.
_MAX_INK_SHARE = 0.5
# Where the stroke's surroundings take it, the other key has ink on no more than this share of it.
_PARTNER_SHARE = 0.2
# Resized: strokes of A and B in one place half-way, one's box at least _RESIZED_RATIO times the
# other's on an axis, each with at most _RESIZED_TRUST of its pixels passing the check.
_RESIZED_RATIO = 1.5
_RESIZED_TRUST = 0.5
_SQUARE = np.ones((3, 3), np.uint8)
# A stroke is laid down on a grid this many times finer than the frame, then averaged down.
_FINE = 4
# A stroke's core, whose colour it is drawn in: its pixels at least this share of its darkest.
_CORE = 0.8
# Length of a step along a chain of pixels: to a side, to a corner (Kulpa 1977, "Area and perimeter
# measurement of blobs in discrete binary pictures").
_SQUARE_STEP, _DIAGONAL_STEP = 0.948, 1.343

# x0, y0, x1, y1 at the keys' size, in px where pixel i spans i - 0.5 .. i + 0.5.
Box = tuple[float, float, float, float]


@dataclass
class _Stroke:
    ink: Box                               # the box round its ink
    motion: tuple[float, float]            # its surroundings' motion towards the other key (keys' px)
    spine: tuple[np.ndarray, np.ndarray]   # its middle line: rows, columns (float, keys' px)
    half_width: float                      # its line's half-width drawn in solid ink (keys' px)
    core: tuple[np.ndarray, np.ndarray]    # rows, columns of its darkest pixels (keys' px): its colour
    # Where in its box (0 .. 1 across, down) it grows from: its middle, or the frame's edge where
    # the edge cuts it (a stroke coming into the picture is drawn in from there).
    anchor: tuple[float, float] = (0.5, 0.5)

    @classmethod
    def of(cls, labels: np.ndarray, label: int, stats: tuple[int, int, int, int], size: tuple[int, int],
           motion: tuple[float, float], dark: np.ndarray) -> _Stroke:
        """The stroke `label` of the components `labels` (work scale; `stats` its x, y, width and
        height there, `dark` the key's darkness there), at the keys' `size` (w, h)."""
        h, w = labels.shape
        full_w, full_h = size
        sx, sy = full_w / w, full_h / h
        scale = float(np.sqrt(sx * sy))
        x, y, bw, bh = stats
        # Work pixel x spans keys' px x sx - 0.5 .. (x + 1) sx - 0.5.
        ink = (x * sx - 0.5, y * sy - 0.5, (x + bw) * sx - 0.5, (y + bh) * sy - 0.5)
        own = labels[y:y + bh, x:x + bw] == label
        # Its colour is that of its core, its darkest pixels; drawn in it, the line is as wide as
        # holds as much ink as the stroke has along its middle line (its mask takes in the line's
        # soft edge down to INK darkness: drawn solid, it would be bolder).
        darkness = np.where(own, dark[y:y + bh, x:x + bw], 0.0)
        deep = darkness >= _CORE * float(darkness.max())
        (rows, cols), length = _spine(own)
        width = float(darkness.sum() / max(float(darkness[deep].mean()), 1e-6)) / max(length, 1.0) * scale
        # No wider than the mask (a blob's middle line is a dot: its length says nothing).
        depth = cv2.distanceTransform(np.pad(own.astype(np.uint8), 1), cv2.DIST_L2, 3)[1:-1, 1:-1]
        half_width = min(0.5 * width, float(depth.max()) * scale)
        deep_rows, deep_cols = np.nonzero(deep)
        core = (np.clip(np.rint((y + deep_rows + 0.5) * sy - 0.5), 0, full_h - 1).astype(int),
                np.clip(np.rint((x + deep_cols + 0.5) * sx - 0.5), 0, full_w - 1).astype(int))
        spine = ((y + rows + 0.5) * sy - 0.5, (x + cols + 0.5) * sx - 0.5)

        def side(first: bool, last: bool) -> float:
            return 0.0 if first and not last else 1.0 if last and not first else 0.5

        anchor = (side(x == 0, x + bw == w), side(y == 0, y + bh == h))
        return cls(ink, motion, spine, half_width, core, anchor)

    def moved(self, by: float, size: float = 1.0) -> Box:
        """Its ink's box moved `by` of its way to the other key, at `size` times its own about its
        anchor."""
        x0, y0, x1, y1 = self.ink
        (ax, ay), bw, bh = self.anchor, x1 - x0, y1 - y0
        px, py = x0 + ax * bw + self.motion[0] * by, y0 + ay * bh + self.motion[1] * by
        return px - size * ax * bw, py - size * ay * bh, px + size * (1 - ax) * bw, py + size * (1 - ay) * bh


class LoneStrokes:
    """Each key's strokes with no partner in the other key (see the module's docstring)."""

    def __init__(self, strokes: tuple[list[_Stroke], list[_Stroke]], masks: tuple[np.ndarray, np.ndarray],
                 pairs: list[tuple[int, int]]):
        self.strokes = strokes
        self.masks = masks  # each key's lone pixels at work scale (bool), soft edges included
        self.pairs = pairs  # (A's, B's) strokes that are one stroke changing shape

    @classmethod
    def find(cls, inks: tuple[np.ndarray, np.ndarray], cons: tuple[np.ndarray, np.ndarray],
             flows: tuple[np.ndarray, np.ndarray], size: tuple[int, int]) -> LoneStrokes | None:
        """From each key's darkness, forward-backward consistency and filled flow (A->B, B->A),
        all at work scale; `size` is the keys' (h, w). None when neither key has such a stroke."""
        h, w = inks[0].shape
        full_h, full_w = size
        sx, sy = full_w / w, full_h / h
        parts = [_components(inks[k], cons[k], flows[k]) for k in range(2)]
        chosen: tuple[list[int], list[int]] = ([], [])
        for k in range(2):
            near_other = cv2.dilate((inks[1 - k] >= INK).astype(np.uint8), _SQUARE).astype(bool)
            labels = parts[k].labels
            for n, (x, y, bw, bh, area) in enumerate(parts[k].stats):
                if parts[k].trusted[n] > _TRUSTED_SHARE * area or not parts[k].sized[n]:
                    continue
                move = parts[k].moves[n]
                ys, xs = np.nonzero(labels[y:y + bh, x:x + bw] == parts[k].ids[n])
                lx = np.rint(xs + x + move[0]).astype(int)
                ly = np.rint(ys + y + move[1]).astype(int)
                inside = (lx >= 0) & (lx < w) & (ly >= 0) & (ly < h)
                if near_other[ly[inside], lx[inside]].sum() > _PARTNER_SHARE * area:
                    continue  # the other key has ink there: a stroke the flow only missed
                chosen[k].append(n)
        # Lone strokes of A and B in one place half-way (each moved half its way) are one stroke
        # changing shape; so are two there, one much bigger, that the flow only half matched.
        pairs = _pairs(parts, chosen[0], chosen[1], 0.0, 1.0)
        taken = (set(chosen[0]), set(chosen[1]))
        resized = [[n for n, (*_, area) in enumerate(parts[k].stats) if n not in taken[k]
                    and parts[k].sized[n] and parts[k].trusted[n] <= _RESIZED_TRUST * area] for k in range(2)]
        for i, j in _pairs(parts, resized[0], resized[1], 0.5, _RESIZED_RATIO):
            chosen[0].append(i)
            chosen[1].append(j)
            pairs.append((i, j))
        if not chosen[0] and not chosen[1]:
            return None
        found: tuple[list[_Stroke], list[_Stroke]] = ([], [])
        masks = []
        for k in range(2):
            lone = np.isin(parts[k].labels, [parts[k].ids[n] for n in chosen[k]])
            masks.append(cv2.dilate(lone.astype(np.uint8), _SQUARE).astype(bool))  # and its soft edge
            for n in chosen[k]:
                x, y, bw, bh, _ = parts[k].stats[n]
                move = parts[k].moves[n]
                found[k].append(_Stroke.of(parts[k].labels, parts[k].ids[n], (x, y, bw, bh), (full_w, full_h),
                                           (move[0] * sx, move[1] * sy), inks[k]))
        index = [{n: m for m, n in enumerate(chosen[k])} for k in range(2)]
        return cls(found, (masks[0], masks[1]), [(index[0][i], index[1][j]) for i, j in pairs])

    def message(self) -> str:
        """What the status bar says about these strokes: an animator who sees a stroke grow in
        rather than travel should know the engine chose to (it found no partner to move it to)."""
        paired = len(self.pairs)
        counts = (len(self.strokes[0]) - paired, len(self.strokes[1]) - paired)

        def strokes(n: int) -> str:
            return f"{n} stroke{'s' if n > 1 else ''}"

        parts = []
        if counts[1]:
            parts.append(f"{strokes(counts[1])} only the second key has grow{'s' if counts[1] == 1 else ''} in")
        if counts[0]:
            parts.append(f"{strokes(counts[0])} only the first key has shrink{'s' if counts[0] == 1 else ''} away")
        if paired:
            parts.append(f"{strokes(paired)} drawn at another size change{'s' if paired == 1 else ''} size")
        return "line art: " + "; ".join(parts)

    @staticmethod
    def grown(key: int, t: float) -> float:
        """The size at time t (0 none .. 1 as drawn) of a stroke only key 0 (A) or key 1 (B) has."""
        return float(np.clip(1.0 - 2.0 * t if key == 0 else 2.0 * t - 1.0, 0.0, 1.0))

    def draw(self, frame: np.ndarray, keys: tuple[np.ndarray, np.ndarray], t: float) -> np.ndarray:
        """The lone strokes drawn over `frame` (in place) at time t: strokes darken opaque paper
        (uint8 keys); over transparency (premultiplied float keys) they are composited by alpha."""
        paired = ({i for i, _ in self.pairs}, {j for _, j in self.pairs})
        for k in range(2):
            size = self.grown(k, t)
            if size <= 0.0:
                continue
            for n, stroke in enumerate(self.strokes[k]):
                if n not in paired[k]:
                    _draw(frame, keys[k], stroke, stroke.moved(t if k == 0 else 1.0 - t, size))
        for pair in self.pairs:
            a, b = self.strokes[0][pair[0]], self.strokes[1][pair[1]]
            at = tuple((1.0 - t) * p + t * q for p, q in zip(a.ink, b.ink, strict=True))
            bigger = int(_area(b.ink) > _area(a.ink))
            _draw(frame, keys[bigger], self.strokes[bigger][pair[bigger]], at)
        return frame


def _draw(frame: np.ndarray, key: np.ndarray, stroke: _Stroke, at: Box) -> None:
    """The key's stroke, its ink's box fitted to `at`, drawn onto `frame` in place: darkening
    opaque paper (uint8 frames), or over by alpha (premultiplied float).

    Scaled with the stroke, its line would thin and break up (or swell and blur). So its middle
    line is fitted to `at` less the line's half-width all round and inked round to that width, in
    the stroke's colour; the half-width is kept, but no more than half of `at`'s longer side, so a
    blob (a filled pupil, whose middle line is a dot) scales as a whole while a line (whose box may
    be as thin as the line) keeps its width."""
    rows, cols = stroke.spine
    if rows.size == 0:
        return
    half_width = min(stroke.half_width, 0.5 * max(at[2] - at[0], at[3] - at[1]))
    reach = int(np.ceil(half_width)) + 2
    x0, y0 = max(int(np.floor(at[0])) - reach, 0), max(int(np.floor(at[1])) - reach, 0)
    x1 = min(int(np.ceil(at[2])) + reach + 1, frame.shape[1])
    y1 = min(int(np.ceil(at[3])) + reach + 1, frame.shape[0])
    if x0 >= x1 or y0 >= y1:
        return
    # The middle line's own box onto `at` less the half-width (a point where nothing is left).
    def fit(own: np.ndarray, lo: float, hi: float) -> np.ndarray:
        span = float(own.max() - own.min())
        room = max(hi - lo - 2.0 * half_width, 0.0)
        middle = 0.5 * float(own.max() + own.min())
        return 0.5 * (lo + hi) + (own - middle) * (room / span if span > 0.0 else 0.0)

    # Laid down on a grid _FINE times finer, then averaged down: the fitted line falls between
    # pixels, and rounded to whole ones it came out lumpy.
    fine = (y1 - y0) * _FINE, (x1 - x0) * _FINE
    px = np.floor((fit(cols, at[0], at[2]) - x0 + 0.5) * _FINE).astype(int)
    py = np.floor((fit(rows, at[1], at[3]) - y0 + 0.5) * _FINE).astype(int)
    inside = (px >= 0) & (px < fine[1]) & (py >= 0) & (py < fine[0])
    if not inside.any():
        return
    middle = np.ones(fine, np.uint8)
    middle[py[inside], px[inside]] = 0
    inked = cv2.distanceTransform(middle, cv2.DIST_L2, cv2.DIST_MASK_PRECISE) <= half_width * _FINE
    cover = cv2.resize(inked.astype(np.float32), (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
    colour = key[stroke.core].astype(np.float32).mean(axis=0)
    _lay(frame, (x0, y0), colour, cover)


def _lay(frame: np.ndarray, origin: tuple[int, int], colour: np.ndarray, cover: np.ndarray) -> None:
    """One `colour` (float32 channels of the key's kind) laid onto `frame` at `origin` (x, y) where
    `cover` says."""
    x0, y0 = origin
    layer = colour * cover[..., None]
    under = frame[y0:y0 + cover.shape[0], x0:x0 + cover.shape[1]]
    if frame.dtype == np.uint8:  # white paper elsewhere: darkening with it changes nothing
        layer += (255.0 * (1.0 - cover))[..., None]
        np.minimum(under, np.clip(layer + 0.5, 0, 255).astype(np.uint8), out=under)
    else:
        under[:] = layer + under * (1.0 - layer[..., 3:4] / 255.0)


@dataclass
class _Components:
    """A key's strokes as connected components (work scale), those of a size to be lone."""
    labels: np.ndarray
    ids: list[int]                        # component label of each stroke below
    stats: list[tuple[int, int, int, int, int]]  # x, y, width, height, area
    trusted: list[float]                  # pixels passing the forward-backward check
    moves: list[tuple[float, float]]      # mean (filled) flow, work px
    sized: list[bool]                     # at least _MIN_PX and not most of the drawing


def _components(ink: np.ndarray, cons: np.ndarray, flow: np.ndarray) -> _Components:
    mask = (ink >= INK).astype(np.uint8)
    total = int(mask.sum())
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    flat = labels.ravel()
    trusted = np.bincount(flat, (cons.ravel() > 0.5).astype(np.float64), count)
    sum_x = np.bincount(flat, flow[..., 0].ravel().astype(np.float64), count)
    sum_y = np.bincount(flat, flow[..., 1].ravel().astype(np.float64), count)
    out = _Components(labels, [], [], [], [], [])
    for label in range(1, count):
        x, y, bw, bh, area = (int(v) for v in stats[label])
        out.ids.append(label)
        out.stats.append((x, y, bw, bh, area))
        out.trusted.append(float(trusted[label]))
        out.moves.append((sum_x[label] / area, sum_y[label] / area))
        out.sized.append(_MIN_PX <= area <= _MAX_INK_SHARE * total)
    return out


def _pairs(parts: list[_Components], of_a: list[int], of_b: list[int], overlap: float,
           ratio: float) -> list[tuple[int, int]]:
    """Strokes of A (indices `of_a` into parts[0]) each paired with the free stroke of B (`of_b`)
    whose box half-way overlaps its own most, by over `overlap` of the smaller box, their boxes
    at least `ratio` times apart in size on an axis (1: any)."""
    def halfway(k: int, chosen: list[int]) -> np.ndarray:
        boxes = np.array([parts[k].stats[n][:4] for n in chosen], np.float64).reshape(-1, 4)
        moves = np.array([parts[k].moves[n] for n in chosen], np.float64).reshape(-1, 2)
        boxes[:, 2:] += boxes[:, :2]  # x, y, width, height -> x0, y0, x1, y1
        return boxes + 0.5 * np.tile(moves, 2)

    if not of_a or not of_b:
        return []
    boxes_a, boxes_b = halfway(0, of_a), halfway(1, of_b)
    size_a, size_b = boxes_a[:, 2:] - boxes_a[:, :2], boxes_b[:, 2:] - boxes_b[:, :2]
    pairs = []
    free = np.ones(len(of_b), bool)
    for i, box, sides in zip(of_a, boxes_a, size_a, strict=True):
        apart = np.maximum(size_b / sides, sides / size_b).max(axis=1)
        inter = np.clip(np.minimum(box[2:], boxes_b[:, 2:]) - np.maximum(box[:2], boxes_b[:, :2]), 0.0, None)
        share = inter.prod(axis=1) / np.minimum(sides.prod(), size_b.prod(axis=1))
        share[(apart < ratio) | ~free] = 0.0
        j = int(np.argmax(share))
        if share[j] > overlap:
            pairs.append((i, of_b[j]))
            free[j] = False
    return pairs


def _spine(mask: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray], float]:
    """The middle line of a stroke's mask (bool): its points (rows, columns; float, a quarter of
    a px apart at most along it) and its length (px)."""
    thin = thinned(mask)
    if not thin.any():  # thinning wears a 2 x 2 block away: its middle is its pixel nearest the centre
        rows, cols = np.nonzero(mask)
        nearest = np.argmin(np.hypot(rows - rows.mean(), cols - cols.mean()))
        thin[rows[nearest], cols[nearest]] = True
    rows, cols = np.nonzero(thin)
    points_r, points_c = [rows.astype(np.float32)], [cols.astype(np.float32)]
    padded = np.pad(thin, 1)
    length = 0.0
    for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
        linked = padded[1 + rows + dy, 1 + cols + dx]
        if dy and dx:  # a diagonal step round a corner the square steps already take is no extra length
            linked &= ~(padded[1 + rows, 1 + cols + dx] | padded[1 + rows + dy, 1 + cols])
        # Steps weighed as Kulpa 1977 found unbiased over line directions (1 and sqrt 2 overcount
        # a line between the axes and the diagonals by up to 8%).
        length += float(linked.sum()) * (_DIAGONAL_STEP if dy and dx else _SQUARE_STEP)
        for f in (0.25, 0.5, 0.75):
            points_r.append(rows[linked] + np.float32(f * dy))
            points_c.append(cols[linked] + np.float32(f * dx))
    return (np.concatenate(points_r), np.concatenate(points_c)), length


def _area(box: Box) -> float:
    return (box[2] - box[0]) * (box[3] - box[1])
