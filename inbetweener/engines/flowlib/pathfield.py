"""Motion paths as hard constraints on the flow: exact endpoints, then curved, eased trajectories.

Sparse-to-dense by Gaussian radial basis interpolation (exact at the path points), with the bend
gated by motion similarity so only what moves with a path's point follows its arc, and the pin's
correction kept off pixels where it would make the keys disagree
(cf. Revaud et al. 2015, "EpicFlow", for edge/motion-aware sparse-to-dense interpolation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import NamedTuple

import cv2
import numpy as np

from inbetweener.engines.flowlib.candidates import window_difference
from inbetweener.engines.flowlib.fields import hypot, pixel_grid, read_points, sample_points, warp
from inbetweener.engines.flowlib.limbs import Limbs, find_limbs
from inbetweener.engines.flowlib.regions import RegionMotion, shape_map, turn_offsets, turns
from inbetweener.model.project import MotionPath
from inbetweener.paths.bezier import BezierChain, CubicBezier

_RIDGE = 1e-4  # keeps the RBF system solvable when two paths start at (nearly) the same point
# What a path carries: pixels connected to its point whose flow is within this share of the path's
# displacement (then of the motion the shape's map gives each pixel); the shape's motion reaches
# _CARRY_REACH px beyond them (its rim, which the flow could not follow). Paths shorter than
# _CARRY_MIN px carry nothing of their own.
_CARRY_SHARE = 0.2
_CARRY_REACH = 10
_CARRY_MIN = 8.0
# Share of the motion a carried shape's map gives a pixel of it (at least 3 px) within which the
# pixel's flow gives way to that motion.
_CARRY_OWN = 0.1
# px round a carried shape's own pixels that move with it outright (its rim).
_CARRY_RIM = 2
# Window mismatch (grey levels summed over channels, candidates.window_difference) within which a
# carried shape's map lands a pixel's paint on its like in the other key.
_CARRY_FIT = 30.0
# px within which a pixel's final flow (after the occlusion fill) is its carried shape's motion:
# the pixel moves with the shape (its body, and the rim pixels the fill joined to it).
_CARRY_SAME_PX = 1.0
# A carried shape's candidate maps are judged on it and _CARRY_CHECK px round it; a map that
# shrinks it below _CARRY_MIN_AREA of its area is no candidate.
_CARRY_CHECK = 3
_CARRY_MIN_AREA = 0.1
# A carried shape's map is moved by up to _SETTLE_REACH of the shape's size (at least
# _SETTLE_MIN_REACH px, at most _SETTLE_MAX_REACH of the frame's size) to where its paint fits the
# other key best; when that moves the path's end by _SETTLE_PX or more, the path is settled there
# (see PathField.settled). The search weighs some _SETTLE_COARSE_SPOTS of the shape's pixels on
# its coarse grid, some _SETTLE_FINE_SPOTS on its fine one.
_SETTLE_REACH = 0.2
_SETTLE_MAX_REACH = 0.03
_SETTLE_COARSE_SPOTS = 1500
_SETTLE_FINE_SPOTS = 12000
_SETTLE_MIN_REACH = 4.0
_SETTLE_PX = 1.0
# On line art a path's end is settled onto where the strokes round its start (a _STROKE_PATCH share
# of the frame's size across, at least _STROKE_MIN_PATCH px) match key B best, searched within
# _STROKE_REACH of the frame's size (at least _SETTLE_MIN_REACH px): only on a clear, sharp match
# (normalised correlation from _STROKE_MATCH, _STROKE_GAIN above the end's own) that finds the
# start again when matched back.
_STROKE_PATCH = 0.05
_STROKE_MIN_PATCH = 13
_STROKE_REACH = 0.02
_STROKE_MATCH = 0.85
_STROKE_GAIN = 0.2
_STROKE_INK = 0.05
# The flow's path-guided start carries each path's start to where the _GUIDE_PATCH-px square round
# it matches key B best within _STROKE_REACH of the end (normalised correlation from _GUIDE_MATCH,
# _STROKE_GAIN above the end's own, and matched back it finds the start within 1 px): a start a
# few px off the shape, on a large frame, lost a small shape altogether (the flow refined from it
# followed the ground; see initial_flows). The square is small whatever the frame's size: the
# shape may be some 15 px across at work scale (a 40-px sprite on a 2400-px frame), and a square
# reaching past it onto the ground, which differs round the start and the end, matched nothing.
_GUIDE_PATCH = 13
_GUIDE_MATCH = 0.8
# A pin's correction stays off the pixels it makes the keys disagree on: it applies fully where it
# worsens their window mismatch (candidates.window_difference: grey levels summed over channels) by
# under _PIN_WORSE, not at all from twice that. It holds outright within _PIN_HOLD px of the path's
# point (exact there).
_PIN_WORSE = 8.0
_PIN_HOLD = 2.0
# An autopilot proposal that starts within _DEFER_REACH bend widths (_bend_sigma) of a drawn path's
# start, its displacement within _DEFER_SHARE of that path's, follows the drawn path's motion.
_DEFER_REACH = 1.0
_DEFER_SHARE = 0.35


def _gaussian_basis(centres: np.ndarray, sigma: float, gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """(n, H, W) float32 Gaussian bumps around each centre."""
    out = np.empty((len(centres),) + gx.shape, np.float32)
    inv = np.float32(-0.5 / sigma ** 2)
    for i, (cx, cy) in enumerate(centres):
        dx2 = (gx[0] - np.float32(cx)) ** 2
        dy2 = (gy[:, 0] - np.float32(cy)) ** 2
        out[i] = np.exp(dx2[None, :] * inv) * np.exp(dy2[:, None] * inv)
    return out


def _solve(kernel: np.ndarray, values: np.ndarray) -> np.ndarray:
    n = kernel.shape[0]
    return np.linalg.solve(kernel + _RIDGE * np.eye(n), values)


def _combine(coeffs: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Sum_j coeffs[j] * basis[j] as an (H, W, 2) float32 field."""
    field = np.zeros(basis.shape[1:] + (2,), np.float32)
    for c, b in zip(coeffs.astype(np.float32), basis, strict=True):
        field[..., 0] += c[0] * b
        field[..., 1] += c[1] * b
    return field


def _stroke_match(ink: np.ndarray, other: np.ndarray, point: np.ndarray, near: np.ndarray,
                  half: int, reach: int, gain: float = _STROKE_GAIN, match: float = _STROKE_MATCH) -> np.ndarray | None:
    """Where the (2 half + 1)-px square of `ink` round `point` matches `other` best within `reach`
    px of `near` (sub-pixel), if the match is clear (normalised correlation from `match`) and
    beats `near`'s own by `gain`; None when the square holds little ink (or contrast, of an image
    in 0..1), leaves the frame, or the match is weak, no gain or at the reach's rim."""
    h, w = ink.shape
    side = 2 * half + 1
    if not (half <= point[0] < w - half and half <= point[1] < h - half
            and half + reach <= near[0] < w - half - reach and half + reach <= near[1] < h - half - reach):
        return None
    template = cv2.getRectSubPix(ink, (side, side), (float(point[0]), float(point[1])))
    if template.std() < _STROKE_INK:
        return None
    area = cv2.getRectSubPix(other, (side + 2 * reach,) * 2, (float(near[0]), float(near[1])))
    score = cv2.matchTemplate(area, template, cv2.TM_CCOEFF_NORMED)
    _, peak, _, (px, py) = cv2.minMaxLoc(score)
    if peak < match or peak - score[reach, reach] < gain or not (0 < px < 2 * reach and 0 < py < 2 * reach):
        return None

    def vertex(lo: float, mid: float, hi: float) -> float:
        bend = lo - 2.0 * mid + hi
        return 0.0 if bend >= 0 else 0.5 * (lo - hi) / bend

    return np.array([near[0] + px - reach + vertex(score[py, px - 1], peak, score[py, px + 1]),
                     near[1] + py - reach + vertex(score[py - 1, px], peak, score[py + 1, px])])


class Carried(NamedTuple):
    """The motion of the shapes paths carry, over one key's pixels (H, W, 2); `near`: the shapes
    and _CARRY_REACH px around them (a pixel there that joins a shape moves by this, not by its
    neighbours' average); `body`: the shapes' pixels (and _CARRY_RIM px round them) that move by it
    outright."""
    motion: np.ndarray
    near: np.ndarray
    body: np.ndarray


class _Body(NamedTuple):
    """A carried shape's path and the pixels in A and in B that move with the shape: the shape
    bends as one, by its path's own bend, however far a pixel is from the path's point (else the
    side away from the point lags and the two keys' warps of the shape disagree: a doubled
    outline). A shape that turns (`linear`, its map from A onto B; else None) turns round the
    path's point as it goes (`rel_a`, `rel_b`: its pixels less the path's start in A, its end in B)."""

    path: int
    in_a: np.ndarray
    in_b: np.ndarray
    linear: np.ndarray | None
    rel_a: np.ndarray | None
    rel_b: np.ndarray | None


class _Zone(NamedTuple):
    """A carried shape's path, its zone in A and in B (Carried.near), its 2x2 map from A onto B,
    and the point it turns round in A and in B."""

    path: int
    in_a: np.ndarray
    in_b: np.ndarray
    linear: np.ndarray
    pivot_a: np.ndarray
    pivot_b: np.ndarray


class PathField:
    """The animator's paths at work scale, turned into flow corrections and per-time bends."""

    def __init__(self, paths: Sequence[MotionPath], scale: float, gx: np.ndarray, gy: np.ndarray):
        self.paths = tuple(paths)
        # Which paths the animator drew (or changed); the others are the autopilot's proposals.
        self.drawn = np.array([not p.proposed for p in self.paths], bool)
        self.scale = scale
        self.gx, self.gy = gx, gy
        h, w = gx.shape
        self.extent = float(max(h, w))
        self.starts = np.array([p.start for p in self.paths], np.float64).reshape(-1, 2) * scale
        self.ends = np.array([p.end for p in self.paths], np.float64).reshape(-1, 2) * scale
        self._bend_a: tuple[np.ndarray, np.ndarray] | None = None
        self._bend_b: tuple[np.ndarray, np.ndarray] | None = None
        self._bend_paths = np.zeros(0, int)  # the paths whose bends those are (see _bending)
        # What carried found: the shapes' motions over A's and B's pixels, and each shape's zone.
        self._carried_motion: tuple[np.ndarray, np.ndarray] | None = None
        self._carried_zones: list[_Zone] = []
        # The pixels of A and of B that take the carried shapes' motion (Carried.body), and them
        # at the size keep_points last asked for.
        self._carried_body: tuple[np.ndarray, np.ndarray] | None = None
        self._body_at: tuple[tuple[int, int], list[np.ndarray]] | None = None
        # The carried shapes that bend or turn (see prepare_bends).
        self._bodies: list[_Body] = []
        self.limbs: Limbs | None = None
        # (path index, px at the keys' scale) of each path whose end was settled onto its shape's match.
        self.settled: list[tuple[int, float]] = []
        # The proposals the drawn paths' motion takes along: those that start by a drawn path's
        # start and move like it (see _deferring), and those on a shape a drawn path carries (see
        # _follow_drawn_shape). They pin, bend and carry nothing of their own.
        self._followers: set[int] = self._deferring()
        # keep_points' Gaussian bases round the paths' starts and ends, for one field size.
        self._keep_basis: tuple[tuple[int, int], list] | None = None

    def __bool__(self) -> bool:
        return bool(self.paths)

    def _pin_sigma(self) -> float:
        """Width (px, work scale) over which a correction at a path's point is spread (pin,
        reach, keep_points)."""
        return max(4.0, 0.04 * self.extent)

    def _kernel(self, centres: np.ndarray, sigma: float) -> np.ndarray:
        d2 = np.sum((centres[:, None, :] - centres[None, :, :]) ** 2, axis=2)
        return np.exp(-0.5 * d2 / sigma ** 2)

    def _bend_sigma(self) -> float:
        """Width (px, work scale) over which a path's bend reaches what moves like it."""
        return 0.25 * self.extent

    def _deferring(self) -> set[int]:
        """The proposals that start within _DEFER_REACH bend widths of a drawn path's start and
        move like it (their displacements differ by at most _DEFER_SHARE of its, or of 8 px):
        what the drawn path's bend moves already, the animator's motion. Kept, a straight proposal
        on a sprite the animator sent along a curved arc pulled it onto its chord a few px from
        the arc's pin (on line art, with no carried shape to take it over: the sprite smeared 95
        px off its path); and those on a figure the animator's centre path carries, pinned before
        the figure was found, steered its flow off (1280x960, over grass: 40.22 -> 38.96 dB)."""
        near = _DEFER_REACH * self._bend_sigma()
        out = set()
        for j in np.flatnonzero(~self.drawn):
            for i in np.flatnonzero(self.drawn):
                disp = self.ends[i] - self.starts[i]
                differ = np.hypot(*(self.ends[j] - self.starts[j] - disp))
                if np.hypot(*(self.starts[j] - self.starts[i])) <= near and \
                        differ <= _DEFER_SHARE * max(float(np.hypot(*disp)), 8.0):
                    out.add(int(j))
                    break
        return out

    def _unboned(self) -> np.ndarray:
        """Indices of the paths the flow must be steered to: all but the bone ends no other stroke
        touches (a bone moves its hand itself, and its strokes are not in the images the flow
        sees; a shoulder is the body's too) and the proposals a drawn path's shape took over
        (its motion moves them)."""
        free = self.limbs.unanchored if self.limbs is not None else frozenset()
        return np.array([i for i in self._bending() if i not in free], int)

    def initial_flows(self, guides: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Wide smooth fields through the path displacements (A->B at starts, B->A at ends).

        Given the keys' grey guides (uint8, work scale), each displacement is first matched to the
        keys round the path's start (see _GUIDE_PATCH). These fields only start the flow (the
        path's end stays where it is), but one a few px off a small shape's motion let the flow
        take the ground's motion there instead."""
        sigma = 0.2 * self.extent
        free = self._unboned()
        if free.size == 0:
            zero = np.zeros(self.gx.shape + (2,), np.float32)
            return zero, zero.copy()
        starts, ends = self.starts[free], self.ends[free].copy()
        if guides is not None:
            grey_a, grey_b = (g.astype(np.float32) * np.float32(1.0 / 255.0) for g in guides)
            half = _GUIDE_PATCH // 2
            reach = max(int(_SETTLE_MIN_REACH), round(_STROKE_REACH * self.extent))
            for k, (start, end) in enumerate(zip(starts, ends, strict=True)):
                found = _stroke_match(grey_a, grey_b, start, end, half, reach, match=_GUIDE_MATCH)
                back = None if found is None else _stroke_match(grey_b, grey_a, found, start, half, reach,
                                                                gain=0.0, match=_GUIDE_MATCH)
                if back is not None and np.hypot(*(back - start)) <= 1.0:  # the match finds the start again
                    ends[k] = found
        out = []
        for centres, disp in ((starts, ends - starts), (ends, starts - ends)):
            coeffs = _solve(self._kernel(centres, sigma), disp)
            out.append(_combine(coeffs, _gaussian_basis(centres, sigma, self.gx, self.gy)))
        return out[0], out[1]

    def pin(self, flow_ab: np.ndarray, flow_ba: np.ndarray,
            colours: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Correct both flows so each path's start maps exactly to its end and back.

        The correction is spread round each point; given the keys' colours at work scale, it
        stays off pixels it would make the keys disagree on (see _agreeing)."""
        sigma = self._pin_sigma()
        free = self._unboned()
        if free.size == 0:
            return flow_ab, flow_ba
        starts, ends = self.starts[free], self.ends[free]
        out = []
        for flow, centres, disp, pair in ((flow_ab, starts, ends - starts, colours),
                                          (flow_ba, ends, starts - ends, colours and colours[::-1])):
            residual = disp - sample_points(flow, centres)
            coeffs = _solve(self._kernel(centres, sigma), residual)
            correction = _combine(coeffs, _gaussian_basis(centres, sigma, self.gx, self.gy))
            if pair is not None:
                correction *= self._agreeing(correction, flow, pair, centres, self._bone_ends()[free])[..., None]
            out.append(flow + correction)
        return out[0], out[1]

    def _bone_ends(self) -> np.ndarray:
        """(n,) bool: which paths end a bone (limbs.py), whose layer draws over their points."""
        ends = {i for pair in self.limbs.pairs for i in pair} if self.limbs is not None else set()
        return np.array([i in ends for i in range(len(self.paths))], bool)

    def _agreeing(self, correction: np.ndarray, flow: np.ndarray, colours: tuple[np.ndarray, np.ndarray],
                  centres: np.ndarray, bone_ends: np.ndarray) -> np.ndarray:
        """(H, W) 0..1: how far a pin's correction of `flow` (from colours[0]'s pixels into
        colours[1]) may apply at each pixel. A point's motion is not its surroundings': a path on
        a face's eyes, which move a little further than the head, must not drag the head's outline
        by that much (doubling it), while a sprite the flow lost takes the correction gladly (it
        makes the keys agree). Over flat paint neither read is evidence and the correction stands."""
        before = window_difference(colours[0], warp(colours[1], flow, self.gx, self.gy))
        after = window_difference(colours[0], warp(colours[1], flow + correction, self.gx, self.gy))
        worse = after - before
        gate = np.clip((2.0 * _PIN_WORSE - worse) * np.float32(1.0 / _PIN_WORSE), 0.0, 1.0)
        # Where the keys contradict a path at its very point (a thing made to move that does not
        # move in the drawings, a path's end placed a few px off), the animator's word stands: the
        # correction spreads round that point as the pin spreads it (kept to the point alone, it
        # would tear a small patch loose). Not at a bone's end: the bone's layer covers the point,
        # and the stroke it joins keeps its own motion (the body's outline at a shoulder).
        against = (sample_points(worse[..., None], centres)[:, 0] > _PIN_WORSE) & ~bone_ends
        if against.any():
            # (whole within 2 sigma, beyond which the correction is faint anyway)
            spread = _gaussian_basis(centres[against], self._pin_sigma(), self.gx, self.gy).max(axis=0)
            np.maximum(gate, np.minimum(spread * np.float32(np.e ** 2), 1.0), out=gate)
        for x, y in centres:  # exact at the points: the four pixels round each sample it
            rows = slice(max(0, int(np.floor(y - _PIN_HOLD))), max(0, int(np.ceil(y + _PIN_HOLD)) + 1))
            cols = slice(max(0, int(np.floor(x - _PIN_HOLD))), max(0, int(np.ceil(x + _PIN_HOLD)) + 1))
            gate[rows, cols] = 1.0
        return gate

    def keep_points(self, move_a: np.ndarray, move_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Extra motions at time t over A's and B's pixels (a region's turn, say; (h, w, 2) at
        any scale, in its own px) less what they would move the paths' points by, the difference
        spread round each point as pin spreads its correction: the points stay on their paths,
        the rest of the shape turns round them. None on the shapes the paths carry: they move by
        their own map, turn included (see bends); a region's turn added to it turned them twice."""
        h, w = move_a.shape[:2]
        if self._carried_body is not None:
            sized = self._body_at  # (frames in flight share it, as _keep_basis)
            if sized is None or sized[0] != (h, w):
                sized = self._body_at = ((h, w), [body if body.shape == (h, w) else
                                                  cv2.resize(body.astype(np.uint8), (w, h),
                                                             interpolation=cv2.INTER_NEAREST) > 0
                                                  for body in self._carried_body])
            bodies = sized[1]
            move_a, move_b = (np.where(body[..., None], np.float32(0.0), move)
                              for move, body in zip((move_a, move_b), bodies, strict=True))
        free = self._unboned()
        if free.size == 0:
            return move_a, move_b
        ratio = w / self.gx.shape[1]
        sigma = self._pin_sigma() * ratio
        cached = self._keep_basis  # (frames in flight share it; a race only builds it twice)
        if cached is None or cached[0] != (h, w):
            gx, gy = pixel_grid(h, w)
            bases = []
            for points in (self.starts[free], self.ends[free]):
                centres = points * ratio
                bases.append((centres, np.linalg.inv(self._kernel(centres, sigma) + _RIDGE * np.eye(len(centres))),
                              _gaussian_basis(centres, sigma, gx, gy)))
            cached = self._keep_basis = ((h, w), bases)
        out = []
        for move, (centres, inverse, basis) in zip((move_a, move_b), cached[1], strict=True):
            out.append(move - _combine(inverse @ sample_points(move, centres), basis))
        return out[0], out[1]

    def settle_on_strokes(self, ink_a: np.ndarray, ink_b: np.ndarray) -> None:
        """Line art, given each key's darkness at work scale: each path's end a few px off the
        match of the strokes round its start is settled onto it (see _STROKE_PATCH; held to it,
        the keys' warps of those strokes disagree and the frames draw them twice)."""
        half = max(_STROKE_MIN_PATCH, round(_STROKE_PATCH * self.extent)) // 2
        reach = max(int(_SETTLE_MIN_REACH), round(_STROKE_REACH * self.extent))
        for j in range(len(self.paths)):
            if j in self._followers:
                continue
            found = _stroke_match(ink_a, ink_b, self.starts[j], self.ends[j], half, reach)
            if found is None:
                continue
            back = _stroke_match(ink_b, ink_a, found, self.starts[j], half, reach, gain=0.0)
            if back is not None and np.hypot(*(back - self.starts[j])) <= 1.0 \
                    and np.hypot(*(found - self.ends[j])) >= _SETTLE_PX:
                self._settle(j, found)

    def find_limbs(self, ink_a: np.ndarray, ink_b: np.ndarray) -> None:
        """Line art: the strokes that join two paths' points in both keys become bones (limbs.py),
        given each key's darkness at work scale."""
        track = np.stack([self.positions(t) for t in (0.0, 0.25, 0.5, 0.75, 1.0)])
        self.limbs = find_limbs(track, ink_a, ink_b, frozenset(self._followers))

    def reach(self) -> tuple[np.ndarray, np.ndarray]:
        """Where the paths steer the motion: (H, W) weights over A's and over B's pixels, > 0
        within reach of a pin or of a bend (the pixels other motion estimates must not take)."""
        sigma = self._pin_sigma()
        out = []
        for side, (centres, bend) in enumerate(((self.starts, self._bend_a), (self.ends, self._bend_b))):
            reach = _gaussian_basis(centres, sigma, self.gx, self.gy).max(axis=0)
            if bend is not None:
                np.maximum(reach, bend[1].max(axis=0), out=reach)
            for body in self._bodies:  # a turning shape's motion is not straight anywhere on it
                if body.linear is not None:
                    reach[(body.in_a, body.in_b)[side]] = 1.0
            # Nor are the motions read off the flows at time t a carried shape's own: where its
            # flat paint matched them by chance, a growing figure's head came out torn.
            if self._carried_body is not None:
                reach[self._carried_body[side]] = 1.0
            out.append(reach)
        return out[0], out[1]

    def _bend_basis(self, flow: np.ndarray, centres: np.ndarray, disp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Inverse kernel and (n, H, W) weights: near a path's point AND moving like it."""
        sigma = self._bend_sigma()
        basis = _gaussian_basis(centres, sigma, self.gx, self.gy)
        n = len(centres)
        kernel = np.empty((n, n))
        for j in range(n):
            # Flat-topped gate: everything moving within 15% of the path's displacement follows the
            # arc fully (a squashing or turning object moves unevenly, yet must not shred), nothing
            # beyond 35% does. No spatial blur: bends are large, so a soft spatial edge smears the
            # object's rim between the chord and the arc, and a leak onto static neighbours tears them.
            scale = max(float(np.hypot(*disp[j])), 8.0)
            miss = self._misses(flow, disp[j])
            basis[j] *= np.clip((0.35 * scale - miss) / (0.2 * scale), 0.0, 1.0)
            kernel[:, j] = sample_points(basis[j][..., None], centres)[:, 0]
        inverse = np.linalg.inv(kernel + _RIDGE * np.eye(n))
        return inverse, basis

    def prepare_bends(self, flow_ab: np.ndarray, flow_ba: np.ndarray) -> None:
        """Precompute the bend weights once per request (flows already pinned), and the carried
        shapes that bend or turn as one."""
        curved = self._curved()
        self._bodies = []
        if self._carried_motion is not None:
            moves_with = [self._misses(flow, motion) <= _CARRY_SAME_PX
                          for flow, motion in zip((flow_ab, flow_ba), self._carried_motion, strict=True)]
            for j, zone_a, zone_b, linear, pivot_a, pivot_b in self._carried_zones:
                body_a, body_b = zone_a & moves_with[0], zone_b & moves_with[1]
                # A shape that holds another drawn path's point too bends by the paths'
                # interpolation, which is exact at every point (one path's bend or turn throughout
                # would move the other's). The autopilot's points do not hold it back: its straight
                # paths pinned a turning figure's eye and head along chords, and it did not turn.
                others = self.drawn.copy()
                others[j] = False
                if any(self._inside(body_a, p) for p in self.starts[others]) or \
                        any(self._inside(body_b, p) for p in self.ends[others]):
                    continue
                if turns(linear[None])[0]:
                    rel_a = np.stack([self.gx[body_a] - np.float32(pivot_a[0]),
                                      self.gy[body_a] - np.float32(pivot_a[1])], axis=1)
                    rel_b = np.stack([self.gx[body_b] - np.float32(pivot_b[0]),
                                      self.gy[body_b] - np.float32(pivot_b[1])], axis=1)
                    self._bodies.append(_Body(j, body_a, body_b, linear, rel_a, rel_b))
                elif curved:
                    self._bodies.append(_Body(j, body_a, body_b, None, None, None))
        if not curved:
            return
        own = self._bend_paths = self._bending()
        self._bend_a = self._bend_basis(flow_ab, self.starts[own], (self.ends - self.starts)[own])
        self._bend_b = self._bend_basis(flow_ba, self.ends[own], (self.starts - self.ends)[own])

    def _bending(self) -> np.ndarray:
        """Indices of the paths whose points bend the motion at time t: all but the followers
        (a follower's straight chord beside the curved arc of the path it follows tore the shape
        between them)."""
        return np.array([i for i in range(len(self.paths)) if i not in self._followers], int)

    def carried(self, flow_ab: np.ndarray, flow_ba: np.ndarray, colours: tuple[np.ndarray, np.ndarray],
                trust: tuple[np.ndarray, np.ndarray], regions: RegionMotion | None = None) -> list[Carried] | None:
        """For each key, the whole motion of the shapes the paths carry (see Carried): a map from
        each shape in one key onto its partner in the other, centred on the path's ends (see
        _best_map for its squash and turn), given the keys' colours at work scale, how far each
        flow is trusted (forward-backward consistency, 0..1) and the matched paint regions, if
        any (a path from one onto its partner offers the pair's map). None when no path carries
        a shape."""
        h, w = self.gx.shape
        out = [Carried(np.zeros((h, w, 2), np.float32), np.zeros((h, w), bool), np.zeros((h, w), bool))
               for _ in range(2)]
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * _CARRY_REACH + 1,) * 2)
        rim = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * _CARRY_RIM + 1,) * 2)
        found = False
        self._carried_zones = []
        # The drawn paths' shapes in A with their maps: (mask, start, end, 2x2 map).
        drawn_shapes: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        # Where the keys differ (window mismatch in place beyond _CARRY_FIT): what moves, covers or
        # is uncovered.
        changed = window_difference(colours[0], colours[1]) > _CARRY_FIT
        # Where A's flow is evidence of a shape's map: trusted, and where the keys differ (paint
        # that both keys show in place says nothing of how it moved; flat paint's flow is a guess).
        evidence = (trust[0] > 0.5) & changed
        # The drawn paths first: a proposal on a shape one of them carries follows that shape.
        for j in sorted(range(len(self.paths)), key=lambda i: not self.drawn[i]):
            start, end = self.starts[j], self.ends[j]
            if not self.drawn[j] and (self._follow_drawn_shape(j, drawn_shapes) or j in self._followers):
                continue  # (a follower carries nothing of its own)
            disp = end - start
            if np.hypot(*disp) < _CARRY_MIN:
                continue
            masks = [self._shape_at(flow_ab, start, disp), self._shape_at(flow_ba, end, -disp)]
            if any(m is None for m in masks):
                continue
            # A path from a matched paint region onto its partner offers the pair's map, and the
            # regions join the shape (the flow of a shape that grows or shrinks is within the
            # path's share of its displacement only round its point).
            region = self._region_at(regions, start, end)
            offered = [] if region is None else [region[0]]
            if region is not None:
                masks = [m | r for m, r in zip(masks, region[1:], strict=True)]
            # A proposal's end is a feature match: a px or two off at most (on a disc's rim, say),
            # not the fifth of the shape an animator's end may be off. Searched that far, a scrap
            # of a turning head moved a right match 6 px off, and each proposal cost seconds at HD.
            near = not self.drawn[j]
            linear, settled_end = self._best_map(flow_ab, masks, colours, start, end, offered, evidence, near)
            # The shape is then what moves as that map moves it, within the same share of the motion
            # it gives, and the map is found again on it: a figure that turns or grows moves its far
            # side (an arm, a head) further than its centre, so going by the path's displacement
            # alone left those parts out (torn from the body, and the map's turn misjudged on the
            # rest: 36 degrees for 30).
            # Flat paint whose flow is not trusted (left where the path-guided start put it, which
            # fits flat paint as well as any) joins where the map lands its paint on its like.
            grown = []
            for flow, src, dst, m, side in ((flow_ab, start, settled_end, linear, 0),
                                            (flow_ba, settled_end, start, np.linalg.inv(linear), 1)):
                motion = self._map_motion(src, dst, m)
                fits = self._fits(motion, colours[side], colours[1 - side], trust[side] < 0.5, changed)
                moving = self._misses(flow, motion) <= np.float32(_CARRY_SHARE) * hypot(motion[..., 0], motion[..., 1])
                grown.append(self._connected(moving | fits, src))
            if all(g is not None for g in grown):
                masks = [m | g for m, g in zip(masks, grown, strict=True)]
                linear, settled_end = self._best_map(flow_ab, masks, colours, start, end,
                                                     offered + [linear] + self._proposals_map(j, masks[0]), evidence,
                                                     near)
            if np.hypot(*(settled_end - end)) >= _SETTLE_PX:
                self._settle(j, settled_end)
                end = settled_end
            zones = []
            for (motion, near, body), flow, mask, src, dst, m, side in (
                    (out[0], flow_ab, masks[0], start, end, linear, 0),
                    (out[1], flow_ba, masks[1], end, start, np.linalg.inv(linear), 1)):
                around = cv2.dilate(mask.astype(np.uint8), kernel).astype(bool)
                motion[around] = self._map_motion(src, dst, m, around)
                near |= around
                # The shape's own pixels take its whole motion where their flow is near it anyway
                # (shading drifts; the flow follows a squash only part way) or untrusted over paint
                # the map fits; a part that moves on its own (a limb swinging further) keeps its flow.
                tolerance = np.maximum(np.float32(3.0), np.float32(_CARRY_OWN) * hypot(motion[..., 0], motion[..., 1]))
                own = (self._misses(flow, motion) <= tolerance) | self._fits(
                    motion, colours[side], colours[1 - side], trust[side] < 0.5, changed)
                # And so does the ring _CARRY_RIM px round them: the shape's anti-aliased rim,
                # which the flow splits at a pixel's whim (a jagged, flecked outline). What of the
                # ring is ground is told apart later (flow._carried_ground).
                body |= cv2.dilate((mask & own).astype(np.uint8), rim).astype(bool) & around
                zones.append(around)
            # A drawn path's shape turns round its point, which the animator set going; a
            # proposal's round its middle: a match sits anywhere on it (a turning figure's head
            # top), and its straight path is a chord, not where the figure's middle goes.
            pivot_a, pivot_b = start, end
            if not self.drawn[j]:
                ys, xs = np.nonzero(masks[0])
                pivot_a = np.array([xs.mean(), ys.mean()])
                pivot_b = end + np.asarray(linear, np.float64) @ (pivot_a - start)
            self._carried_zones.append(_Zone(j, zones[0], zones[1], linear, pivot_a, pivot_b))
            if self.drawn[j]:
                drawn_shapes.append((masks[0], start, end, linear))
            found = True
        self._carried_motion = (out[0].motion, out[1].motion) if found else None
        self._carried_body = (out[0].body, out[1].body) if found else None
        self._body_at = None
        return out if found else None

    def _proposals_map(self, j: int, mask: np.ndarray) -> list[np.ndarray]:
        """For proposal j, the 2x2 map about its start that takes the other proposals starting on
        `mask` (its shape in A) nearest their ends (least squares), as a one-item list ([] for a
        drawn path, or under two others): the feature matches spread over a shape pin its turn
        better than a fit of its flow (a turning figure's: 28.0 degrees for 30, grown 3%)."""
        if self.drawn[j]:
            return []
        on = [i for i in range(len(self.paths)) if not self.drawn[i] and self._inside(mask, self.starts[i])]
        if j not in on or len(on) < 3:
            return []
        rel = self.starts[on] - self.starts[j]
        lands = self.ends[on] - self.ends[j]
        return [np.linalg.lstsq(rel, lands, rcond=None)[0].T.astype(np.float32)]

    def _follow_drawn_shape(self, j: int,
                            shapes: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]) -> bool:
        """Whether proposed path j starts on a shape a drawn path carries (mask in A, start, end,
        map); if so its end is settled where that shape's map takes its start (a match's end a few
        px off would pull the shape's flow off its motion when pinned), and it carries no shape
        of its own: a feature match on a turning figure's head carried a scrap of the head whose
        map (turned 12 degrees for 30) settled the match's end 6 px off the head's turn, and the
        head was drawn twice."""
        start = self.starts[j]
        for mask, src, dst, linear in shapes:
            if self._inside(mask, start):
                lands = dst + np.asarray(linear, np.float64) @ (start - src)
                if np.hypot(*(lands - self.ends[j])) >= _SETTLE_PX:
                    self._settle(j, lands)
                self._followers.add(j)
                return True
        return False

    @staticmethod
    def _region_at(regions: RegionMotion | None, start: np.ndarray,
                   end: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """The 2x2 map and the pixels in A and in B of the matched paint regions the path goes
        from and onto (a pair), if it does."""
        if regions is None:
            return None
        h, w = regions.owner_a.shape
        (xa, ya), (xb, yb) = (np.clip(np.round(p), 0, (w - 1, h - 1)).astype(int) for p in (start, end))
        pair = regions.owner_a[ya, xa]
        if pair < 0 or regions.owner_b[yb, xb] != pair:
            return None
        return regions.linear[pair], regions.owner_a == pair, regions.owner_b == pair

    @staticmethod
    def _best_map(flow_ab: np.ndarray, masks: list[np.ndarray], colours: tuple[np.ndarray, np.ndarray],
                  start: np.ndarray, end: np.ndarray, known: Sequence[np.ndarray] = (),
                  evidence: np.ndarray | None = None, near: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """The 2x2 map (about the path's start and a point near its end) that carries the shape's
        paint best onto the other key, both ways: the two shapes' moments (a squash the flow
        follows only part way), a plain move, the flow's own fit over the shape and over its
        pixels whose flow is `evidence` (bool, A's pixels; a flat body's guessed flow pulled a
        growing figure's fit 5% short), or one `known`. Moments alone mislead when the flow's
        view of the shape is partial (its rim or a limb left out on one side only): then a
        figure that merely stepped came out shrunk or turned, smearing its outline.

        And the point the start maps to: the path's end, or near it where the paint fits better
        (an end placed a few px off the shape's match in the other key: held to it, the two keys'
        warps of the shape disagree by that much, and the frames show the shape twice). With
        `near`, only within _SETTLE_MIN_REACH px of the end."""
        def flow_fit(where: np.ndarray) -> list[np.ndarray]:
            """The least-squares map of the flow over the pixels `where` (none from under 20)."""
            ys, xs = np.nonzero(where)
            if len(xs) < 20:
                return []
            rel = np.stack([xs - start[0], ys - start[1]], axis=1)
            lands = np.stack([xs + flow_ab[ys, xs, 0], ys + flow_ab[ys, xs, 1]], axis=1) - end
            return [np.linalg.lstsq(rel, lands, rcond=None)[0].T.astype(np.float32)]

        candidates = [shape_map(masks[0], masks[1]), np.eye(2, dtype=np.float32), *flow_fit(masks[0])]
        if evidence is not None:
            candidates += flow_fit(masks[0] & evidence)
        candidates += [np.asarray(m, np.float32) for m in known]
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * _CARRY_CHECK + 1,) * 2)
        # Each shape with a little ground round it: its rim must land on the partner's rim too.
        spots = [np.stack(np.nonzero(cv2.dilate(m.astype(np.uint8), kernel))[::-1], axis=1).astype(np.float64)
                 for m in masks]
        # Each spot's own colour, which the other key must show where a map takes it.
        own = [c[p[:, 1].astype(int), p[:, 0].astype(int)].astype(np.float32) for c, p in zip(colours, spots, strict=True)]
        # The keys' colours as float, read at the mapped spots by read_points: the settle search
        # below asks some hundred maps and places per shape, and sample_points' numpy reads took
        # most of the time of a pair with the autopilot's paths on a photo (1 s of 2).
        paints = [np.asarray(c, np.float32) for c in colours]

        # A's spots about the start (each map's fixed point there); B's as they are (about the target).
        rel = [(spots[0] - start).astype(np.float32), spots[1].astype(np.float32)]

        def miss(linear: np.ndarray, target: np.ndarray, every: int = 1) -> float:
            """Mean colour difference (summed over channels) between each shape's pixels (every
            `every`-th of them) and where `linear` (start to `target`) takes them in the other
            key, A to B and back."""
            det = float(np.linalg.det(linear))
            if not np.isfinite(det) or det < _CARRY_MIN_AREA:
                return np.inf
            total = 0.0
            back = np.linalg.inv(np.asarray(linear, np.float64))
            # B's spot p lands at start + back (p - target) = back p + (start - back target).
            for pts, paint, other, m, shift in ((rel[0], own[0], paints[1], np.asarray(linear, np.float64), target),
                                                (rel[1], own[1], paints[0], back, start - back @ target)):
                where = pts[::every] @ m.T.astype(np.float32) + shift.astype(np.float32)
                seen = read_points(other, where)
                total += float(cv2.norm(seen, np.ascontiguousarray(paint[::every]), cv2.NORM_L1)) / len(where)
            return total

        scores = [miss(c, end) for c in candidates]
        chosen = candidates[int(np.argmin(scores))]
        # Where none of the eight 1-px steps round the end fits better, the end stands (as a rule);
        # else each map's best place on a 2-px grid over the reach decides the map, then a half-px
        # grid round its place decides the place (each on a sample of the shape's pixels).
        count = max(len(spots[0]), len(spots[1]))
        coarse_every, fine_every = max(1, count // _SETTLE_COARSE_SPOTS), max(1, count // _SETTLE_FINE_SPOTS)
        at_end = miss(chosen, end, fine_every)
        steps = [end + (dx, dy) for dy in (-1.0, 0.0, 1.0) for dx in (-1.0, 0.0, 1.0) if dx or dy]
        if min(miss(chosen, target, fine_every) for target in steps) >= at_end:
            return chosen, end
        reach = _SETTLE_MIN_REACH if near else \
            min(max(_SETTLE_MIN_REACH, _SETTLE_REACH * float(np.sqrt(masks[0].sum()))),
                max(_SETTLE_MIN_REACH, _SETTLE_MAX_REACH * max(masks[0].shape)))
        grid = np.arange(-reach, reach + 1e-6, 2.0)
        coarse = [end + (dx, dy) for dy in grid for dx in grid if np.hypot(dx, dy) <= reach]
        placed = []
        for c in candidates:
            quick = [miss(c, target, coarse_every) for target in coarse]
            placed.append((min(quick), c, coarse[int(np.argmin(quick))]))
        _, chosen, place = min(placed, key=lambda p: p[0])
        fine = [place + (dx, dy) for dy in np.arange(-1.0, 1.01, 0.5) for dx in np.arange(-1.0, 1.01, 0.5)]
        fits = [miss(chosen, target, fine_every) for target in fine]
        if min(fits) >= miss(chosen, end, fine_every):
            return chosen, end
        return chosen, np.asarray(fine[int(np.argmin(fits))], np.float64)

    def _settle(self, j: int, end: np.ndarray) -> None:
        """Path j's end moves to `end` (work scale): its curve takes the move in step with the
        curve's parameter (its start stays), so its point leaves the animator's curve by a share
        of the move that grows along the path, the whole move at its end."""
        path = self.paths[j]
        move = (end - self.ends[j]) / self.scale
        segments = path.curve.segments
        n = len(segments)
        moved = []
        for k, seg in enumerate(segments):
            pts = [np.asarray(q, np.float64) + move * (k + i / 3.0) / n for i, q in enumerate((seg.p0, seg.p1, seg.p2, seg.p3))]
            moved.append(CubicBezier(*(tuple(float(v) for v in q) for q in pts)))
        self.paths = self.paths[:j] + (replace(path, curve=BezierChain.from_segments(moved)),) + self.paths[j + 1:]
        self.ends[j] = end
        self.settled.append((j, float(np.hypot(*move))))

    @staticmethod
    def _pixel(point: np.ndarray) -> tuple[int, int]:
        """The (x, y) of the pixel nearest `point`."""
        return int(round(float(point[0]))), int(round(float(point[1])))

    @staticmethod
    def _inside(mask: np.ndarray, point: np.ndarray) -> bool:
        """Whether the pixel nearest `point` (x, y) is in the frame and in `mask`."""
        x, y = PathField._pixel(point)
        return 0 <= y < mask.shape[0] and 0 <= x < mask.shape[1] and bool(mask[y, x])

    def _map_motion(self, src: np.ndarray, dst: np.ndarray, linear: np.ndarray,
                    where: np.ndarray | None = None) -> np.ndarray:
        """(H, W, 2), or (n, 2) at the pixels `where` holds: how the 2x2 map `linear` about `src`,
        taking `src` onto `dst`, moves each pixel."""
        gx, gy = (self.gx, self.gy) if where is None else (self.gx[where], self.gy[where])
        m = np.asarray(linear, np.float32)
        rel_x, rel_y = gx - np.float32(src[0]), gy - np.float32(src[1])
        return np.stack([np.float32(dst[0]) + m[0, 0] * rel_x + m[0, 1] * rel_y - gx,
                         np.float32(dst[1]) + m[1, 0] * rel_x + m[1, 1] * rel_y - gy], axis=-1)

    def _fits(self, motion: np.ndarray, colour: np.ndarray, other: np.ndarray, untrusted: np.ndarray,
              changed: np.ndarray) -> np.ndarray:
        """(H, W) bool: pixels whose flow is `untrusted` and whose paint `motion` lands on its like
        in the other key (window mismatch within _CARRY_FIT), where the keys differ (`changed`:
        flat sky round a shape fits any motion, and staying put as well)."""
        return untrusted & changed & (window_difference(colour, warp(other, motion, self.gx, self.gy)) <= _CARRY_FIT)

    @staticmethod
    def _misses(flow: np.ndarray, motion: np.ndarray) -> np.ndarray:
        """(H, W): how far (px) `flow` is from `motion` (a field, or one (2,) displacement)."""
        motion = np.asarray(motion, np.float32)
        return hypot(flow[..., 0] - motion[..., 0], flow[..., 1] - motion[..., 1])

    @staticmethod
    def _connected(mask: np.ndarray, point: np.ndarray) -> np.ndarray | None:
        """The pixels of `mask` connected to `point` (8-way), or None when `point` is not one."""
        if not PathField._inside(mask, point):
            return None
        x, y = PathField._pixel(point)
        labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)[1]
        return labels == labels[y, x]

    def _shape_at(self, flow: np.ndarray, point: np.ndarray, disp: np.ndarray) -> np.ndarray | None:
        """The pixels connected to `point` whose flow is within _CARRY_SHARE of `disp`."""
        shape = self._connected(self._misses(flow, disp) <= _CARRY_SHARE * float(np.hypot(*disp)), point)
        return shape if shape is not None and shape.sum() >= 20 else None

    def _curved(self) -> bool:
        """True if any path departs from straight, uniform motion (else bends are all zero)."""
        ts = np.linspace(0.0, 1.0, 9)
        for p in self.paths:
            line = np.outer(1 - ts, p.start) + np.outer(ts, p.end)
            if np.max(np.abs(np.asarray(p.position(ts)) - line)) * self.scale > 0.05:
                return True
        return False

    def bend_values(self, t: float) -> np.ndarray:
        """(n, 2): how far each path's point at time t is from straight, uniform motion."""
        return self.positions(t) - ((1.0 - t) * self.starts + t * self.ends)

    def positions(self, t: float) -> np.ndarray:
        """(n, 2): each path's point at time t (work scale)."""
        return np.array([np.asarray(p.position(t), np.float64).reshape(2) for p in self.paths]) * self.scale

    def bends(self, t: float) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Bend fields at time t for pixels of A and of B: offsets from straight-line motion
        (None when every path is straight and uniform and no carried shape turns)."""
        if self._bend_a is None and not self._bodies:
            return None, None
        values = self.bend_values(t)
        if self._bend_a is not None and self._bend_b is not None:
            own = values[self._bend_paths]  # (the paths the bases were built for)
            fields = [_combine(inverse @ own, basis) for inverse, basis in (self._bend_a, self._bend_b)]
        else:
            fields = [np.zeros(self.gx.shape + (2,), np.float32) for _ in range(2)]
        for body in self._bodies:
            bend = values[body.path].astype(np.float32)
            if body.linear is None:
                fields[0][body.in_a] = bend
                fields[1][body.in_b] = bend
                continue
            turn_a, turn_b = (off[0].astype(np.float32) for off in turn_offsets(body.linear[None], t))
            fields[0][body.in_a] = bend + body.rel_a @ turn_a.T
            fields[1][body.in_b] = bend + body.rel_b @ turn_b.T
        return fields[0], fields[1]
