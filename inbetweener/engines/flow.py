"""The flow engine: the animator's paths + optional autopilot matches + matched paint regions +
dense optical flow -> backward warps from both keys -> occlusion-aware blend (crisp strokes in
line-art mode).

The default engine: CPU only, no model download. Frame synthesis follows Baker et al. 2011,
"A Database and Evaluation Methodology for Optical Flow" (flow splatted to time t, both keys
warped, visibility-weighted blend), with the paths as hard constraints (flowlib/pathfield.py) and
matched paint regions turning along arcs rather than chords (flowlib/regions.py).
Where no path steers, a bilateral check lets the flows read directly at the pixel replace the
splatted motion when they make the keys agree clearly better (flowlib/candidates.py). In line
art, strokes joining two paths' points swing between them as bones (flowlib/limbs.py), and
strokes only one key has are drawn whole as a layer (flowlib/lone.py).
"""

from __future__ import annotations

import itertools
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from typing import ClassVar

import cv2
import numpy as np

from inbetweener.engines.base import EngineOption, Progress, TweenFrame, TweenRequest
from inbetweener.engines.flowlib.candidates import (
    hypothesis_weights,
    pick_motion,
    read_candidates,
    time_t_candidates,
)
from inbetweener.engines.flowlib.dense import bidirectional_flow, colour_match, consistency, guide_image
from inbetweener.engines.flowlib.fields import (
    as_pairs,
    pixel_grid,
    premultiply,
    resize_flow,
    resize_motion,
    squared_length,
    unpremultiply,
    warp,
    within,
)
from inbetweener.engines.flowlib.limbs import erase_bones
from inbetweener.engines.flowlib.lineart import consensus_share, darkness, looks_like_line_art, select_weights
from inbetweener.engines.flowlib.lone import LoneStrokes
from inbetweener.engines.flowlib.parallel import both
from inbetweener.engines.flowlib.pathfield import Carried, PathField
from inbetweener.engines.flowlib.regions import RegionTurns, follows_seed, region_motion
from inbetweener.engines.flowlib.splat import (
    HOLE,
    fill_holes,
    fill_occluded,
    relative_motion,
    splat_displacement,
    splat_importance,
    splat_trust,
    texture,
)
from inbetweener.errors import EngineError
from inbetweener.model.project import MotionPath

# Splat weight at which a key counts as fully visible at a time-t pixel (bilinear splats of a
# stretched region deliver less than 1 per pixel without being holes).
_FULL_COVER = 0.3
_MIN_FLOW_SIDE = 384
_COARSE = 1            # the z-ordered forward splat runs at 1/_COARSE of the work scale
_FIXED_POINT_STEPS = 2
_OPENING = np.ones((3, 3), np.uint8)
# quality=fast synthesises the motion at time t at 1/2 of the work scale (about 2x faster; object
# edges fray where a half-scale pixel mixes two motions), when its short side stays >= _MOTION_MIN_SIDE.
_MOTION_DOWNSCALE = {"fast": 2}
_MOTION_MIN_SIDE = 128
# Side (px at the keys' size) of the tiles in which hypotheses are blended (see hypothesis_weights).
_HYPOTHESIS_TILE = 128
# px^2 beyond which a time-t pixel's source lands too far from it: where both keys' do, no
# pixel of either moves there, and the frame is painted in from round it (see _paint_in_flat).
_LOST_PX2 = 4.0
# px^2 within which a time-t pixel's source lands on it: that key's motion does bring it here.
_EXACT_PX2 = 1.0
# Texture (0 flat paint .. 1) below which a key's read counts as flat paint.
_FLAT_READ = 0.3
_PAINT_IN_RING = 4
_PAINT_IN_FLAT = 30.0
# Path reach (pin / bend weight) above which a pixel's motion is the paths' to decide.
_PATH_REACH = 0.05
# Splat visibility below which a key counts as not seen at a time-t pixel.
_ONE_SIDED = 0.25
# The splat's share beyond which one key alone is seen at a time-t pixel, and the motion (px at
# work scale) within which a surface counts as still there (see _uncovered).
_ONE_KEY = 0.1
_STILL_MOVE = 4.0
# Gaussian sigma (px at work scale) of the blend share's smoothing.
_SHARE_BLUR = 4.0
# px (work scale) by which a key's "seen" shrinks around a region it does not see, where the other
# key sees all around.
_SEEN_MARGIN = 2
_SEEN_KERNEL = np.ones((2 * _SEEN_MARGIN + 1, 2 * _SEEN_MARGIN + 1), np.uint8)
# Colour difference (sum over RGB) from which two keys show different surfaces at a pixel.
_UNCOVER_DIFF = 60.0
# A carried shape's ground (see _carried_ground): flow within _GROUND_SAME_PX of the shape's motion,
# colour within _GROUND_DIFF (sum over RGB) of the mean colour around (Gaussian, _GROUND_SIGMA px)
# of what stays behind, or, beside steady ground (see _steady_ground), within the range of its
# colours within _GROUND_NEAR px (textured ground: grass blades, the gaps between them and their
# anti-aliased edges are each far from their mean). Where a key's own flow leaves a pixel in place
# (within _STILL_PX) and it is no ground of that key's, the key's ground carried there at time t
# shows the key's own pixel instead.
_GROUND_SAME_PX = 1.0
_GROUND_SIGMA = 3.0
_GROUND_DIFF = 30.0
_GROUND_STEPS = 4
_GROUND_NEAR = 2
_STILL_PX = 1.0
# Frames made at once by default (see _frame_workers).
_MAX_FRAME_WORKERS = 4


class FlowEngine:
    name: ClassVar[str] = "flow"
    options: ClassVar[tuple[EngineOption, ...]] = (
        EngineOption("line_art", "auto", "keep ink strokes single and crisp (auto: detect sparse dark "
                     "strokes on a light ground)", choices=("auto", "on", "off")),
        EngineOption("autopilot", True, "follow matched feature points (SIFT) as straight paths where the "
                     "optical flow misses them (large or turning motion)", choices=(False, True)),
        EngineOption("quality", "medium", "optical flow effort (fast also builds each frame's motion "
                     "at half size)", choices=("fast", "medium", "high")),
        EngineOption("max_flow_size", 1024, "longest side (px) the motion is estimated at; larger "
                     "keys are scaled down for the flow only", minimum=64, maximum=8192),
        EngineOption("line_sharpness", 0.6, "line-art mode: how quickly a stroke switches from key A's "
                     "to key B's (0 = plain blend)", minimum=0.0, maximum=0.95),
    )

    @classmethod
    def unavailable_reason(cls) -> str | None:
        return None

    def tween(self, request: TweenRequest) -> Iterator[Progress | TweenFrame]:
        n = len(request.times)
        if n == 0:
            return
        workers = _frame_workers(request)
        yield Progress(0.0, "estimating motion")
        synth = None
        for item in _prepare(request, at_once=workers > 1):
            if isinstance(item, Progress):
                yield replace(item, fraction=0.4 * item.fraction)
            else:
                synth = item
        assert synth is not None
        for i, image in enumerate(_in_order(synth.frame, request.times, workers)):
            yield TweenFrame(i, image)
            yield Progress(0.4 + 0.6 * (i + 1) / n, f"frame {i + 1} of {n}")


def _new_matches(proposed: Sequence[MotionPath], paths: Sequence[MotionPath], gap: float) -> list[MotionPath]:
    """The autopilot's paths that start more than `gap` px (its own spacing) from every path's
    start: nearer, the segment holds that match already (the editor's Autopilot, tween
    --autopilot; found at another scale it lands a px or two off, and two pins that close pull
    apart) or a path of the animator's."""
    starts = np.array([p.start for p in paths], np.float64).reshape(-1, 2)
    return [p for p in proposed if not len(starts) or np.hypot(*(starts - np.asarray(p.start)).T).min() > gap]


def _autopilot_message(added: int, followed: int) -> str:
    """What the engine's autopilot did, for the status bar or the terminal (its matches are not
    paths the animator sees: Autopilot paths in the editor puts them in the segment)."""
    if added:
        rest = f"; the optical flow follows {followed} other{'s' if followed != 1 else ''}" if followed else ""
        return (f"autopilot: followed {added} feature match{'es' if added != 1 else ''} the optical flow "
                f"missed{rest} (engine option autopilot)")
    if followed:
        return ("autopilot: the optical flow follows " +
                (f"all {followed} reliable feature matches" if followed > 1 else "the one reliable feature match"))
    return "autopilot: no reliable feature matches between the keys"


def _frame_workers(request: TweenRequest) -> int:
    """How many frames are made at once: the `threads` option (the CLI's --threads), else up to
    _MAX_FRAME_WORKERS, one per core (each frame in flight holds its own full-size temporaries)."""
    raw = request.option("threads", "auto")
    if raw in (None, "", "auto", 0, "0"):
        return max(1, min(_MAX_FRAME_WORKERS, os.cpu_count() or 1))
    try:
        value = int(float(raw))
    except (TypeError, ValueError):
        raise EngineError(f"threads must be a whole number of threads or auto, not {raw!r}") from None
    if value < 1:
        raise EngineError(f"threads must be 1 or more, not {value}")
    return value


def _in_order(make: Callable[[float, bool], np.ndarray], times: Sequence[float],
              workers: int) -> Iterator[np.ndarray]:
    """make(t, split) for each time, in order, with up to `workers` frames made at once on a private
    pool (frames are independent; most of their work runs in OpenCV and numpy outside the GIL).
    `split` asks a frame to run its two keys' halves at once: true for the frames started when
    fewer remain than workers (a lone in-between, the last of a segment), which would otherwise
    leave cores idle. Closing the iterator early drops the frames not yet started and waits for
    those in flight."""
    if workers <= 1:
        for t in times:
            yield make(t, False)
        return
    if len(times) == 1:
        yield make(times[0], True)
        return
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="flow-frame")
    pending: deque[Future[np.ndarray]] = deque()
    remaining = len(times)

    def start(t: float) -> None:
        nonlocal remaining
        pending.append(pool.submit(make, t, remaining < workers))
        remaining -= 1

    try:
        upcoming = iter(times)
        for t in itertools.islice(upcoming, workers):
            start(t)
        while pending:
            image = pending.popleft().result()
            for t in itertools.islice(upcoming, 1):  # keep the pool busy while the frame is used
                start(t)
            yield image
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True)


def _option_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _prepare(request: TweenRequest, at_once: bool = False) -> Iterator[Progress | _Synthesizer]:
    """Everything computed once per request: work-scale flows, pins, bends, visibility (with
    `at_once`, each key's half of the work alongside the other's)."""
    # The options first: a typo is told before any work is done.
    mode = request.choice("line_art", "auto", ("auto", "on", "off"))
    max_side = request.number("max_flow_size", 1024, int, 64, 8192)
    quality = request.choice("quality", "medium", ("fast", "medium", "high"))
    sharpness = request.number("line_sharpness", 0.6, float, 0.0, 0.95)
    line_art = mode == "on" or (mode == "auto" and looks_like_line_art(request.key_a, request.key_b))
    paths = list(request.paths)
    if _option_bool(request.option("autopilot", True)):
        from inbetweener.match import SPACING, propose_paths

        yield Progress(0.05, "matching features")
        # Matched at the flow's work scale (the flow could not place them finer).
        # (Paint shapes too, but not in line art: there they are paper between strokes.)
        proposal = propose_paths(request.key_a, request.key_b, max_side=max_side, shapes=not line_art)
        added = _new_matches(proposal.paths, paths, SPACING * float(np.hypot(*request.size)))
        paths += added
        # Said when it changes the motion, or when asked for by name.
        if added or "autopilot" in request.options:
            yield Progress(0.08, _autopilot_message(len(added), proposal.followed), note=True)
    width, height = request.size
    # Small keys are enlarged for the flow: DIS needs pyramid levels to follow large motions.
    scale = min(max(1.0, _MIN_FLOW_SIDE / max(width, height)), max_side / max(width, height))
    work_w, work_h = max(8, round(width * scale)), max(8, round(height * scale))
    scale = work_w / width  # the exact factor used for both axes' path coordinates

    premul_a = premultiply(request.key_a)
    premul_b = premultiply(request.key_b)
    if (work_w, work_h) != (width, height):  # (a key under 8 px across is stretched to 8 on that axis)
        interp = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
        small_a = cv2.resize(premul_a, (work_w, work_h), interpolation=interp)
        small_b = cv2.resize(premul_b, (work_w, work_h), interpolation=interp)
    else:
        small_a, small_b = premul_a, premul_b
    transparent = bool(request.key_a[..., 3].min() < 255 or request.key_b[..., 3].min() < 255)
    gx, gy = pixel_grid(work_h, work_w)
    field = PathField(paths, scale, gx, gy)
    inks = None
    if line_art and field:  # strokes joining two paths' points swing as bones between them
        inks = (darkness(small_a), darkness(small_b))
        field.settle_on_strokes(*inks)
        field.find_limbs(*inks)
        if field.limbs:
            yield Progress(0.1, _limbs_message(paths, field.limbs.pairs), note=True)
            # The rest is in-betweened without the bones: flow cannot follow them, and where they
            # sweep they drag the strokes they pass (bar where they touch another stroke).
            small_a, small_b = erase_bones((small_a, small_b), field.limbs.for_flow(inks, scale))
    guide_a = guide_image(small_a, line_art, transparent)
    guide_b = guide_image(small_b, line_art, transparent)
    init_ab = init_ba = None
    if field:
        init_ab, init_ba = field.initial_flows((guide_a, guide_b))
    yield Progress(0.2, "optical flow")
    # The keys at work scale in uint8 (half the cost of float): colour judges flow candidates here
    # and motion candidates at time t later.
    match_a = np.clip(small_a + np.float32(0.5), 0, 255).astype(np.uint8)
    match_b = np.clip(small_b + np.float32(0.5), 0, 255).astype(np.uint8)
    colours = (np.ascontiguousarray(match_a[..., :3]), np.ascontiguousarray(match_b[..., :3]))
    # Flat paint regions matched across the keys seed large motions that flow alone loses. Not on
    # line art: its "regions" are paper between strokes, alike everywhere, and match by chance.
    motion = None if line_art else region_motion(*colours, at_once=at_once)
    regions = None if motion is None else (motion.seed_ab, motion.seed_ba)
    flow_ab, flow_ba = bidirectional_flow(guide_a, guide_b, quality, init_ab, init_ba, regions, colours, at_once)
    # Paint that moves as its matched region does: the fill below must not take that for sliding,
    # and at time t it turns as its region does.
    matched = (None, None) if regions is None else (follows_seed(flow_ab, regions[0]),
                                                     follows_seed(flow_ba, regions[1]))
    turns = None if motion is None else RegionTurns.of(motion, *matched)
    del regions, init_ab, init_ba
    yield Progress(0.8, "applying paths")
    if field:
        flow_ab, flow_ba = field.pin(flow_ab, flow_ba, colours)
    cons_a, cons_b = both(at_once, partial(consistency, flow_ab, flow_ba, gx, gy),
                          partial(consistency, flow_ba, flow_ab, gx, gy))
    # The flows as estimated, kept for reading motion straight off them at time t: the fill below
    # serves the splat's occlusion reasoning, but its borrowed motion is worse where the flow saw
    # the surface on both sides (flat paint it judges as slid, say).
    direct = (flow_ab, flow_ba)
    # Colour, not grey, decides which surface an occluded pixel joins (green grass and a red ball
    # can share one grey level).
    # How textured each key is (0 flat paint .. 1): the fill and the time-t candidate check both ask.
    textures = both(at_once, partial(texture, match_a), partial(texture, match_b))
    # Where one key's shape moves off (or onto) a pixel that shows another surface in the other
    # key, that surface is being uncovered (or covered): background.
    relative = both(at_once, partial(relative_motion, flow_ab), partial(relative_motion, flow_ba))
    moving_a = (cons_a > 0.5) & (relative[0] > 3.0)
    moving_b = (cons_b > 0.5) & (relative[1] > 3.0)
    differs = cv2.absdiff(match_a[..., :3], match_b[..., :3]).astype(np.float32).sum(axis=2) > _UNCOVER_DIFF
    # Shapes the paths carry move as wholes, squash and turn included, rims and all. Not in line
    # art: there what moves with a point is paper and strokes alike (its bones carry strokes).
    carried = field.carried(flow_ab, flow_ba, (match_a, match_b), (cons_a, cons_b), motion) \
        if field and not line_art else None
    del motion
    if field and field.settled:
        # (The autopilot option's paths, after the request's, are not the project's to keep.)
        followed = tuple((i, field.paths[i]) for i, _ in field.settled if i < len(request.paths))
        yield Progress(0.82, _settled_message(paths, field.settled), note=True, followed=followed)
    # The fill compares colours (alpha too, where there is transparency: opaque keys' is all 255).
    paint_a, paint_b = (small_a, small_b) if transparent else (small_a[..., :3], small_b[..., :3])
    fill_a = partial(_fill, flow_ab, cons_a, guide_a, guide_b, paint_a, gx, gy, textured=textures[0],
                     matched=matched[0], uncovered=moving_b & differs, relative=relative[0],
                     carried=(carried[0].motion, carried[0].near) if carried else None)
    fill_b = partial(_fill, flow_ba, cons_b, guide_b, guide_a, paint_b, gx, gy, textured=textures[1],
                     matched=matched[1], uncovered=moving_a & differs, relative=relative[1],
                     carried=(carried[1].motion, carried[1].near) if carried else None)
    flow_ab, flow_ba = both(at_once, fill_a, fill_b)
    del fill_a, fill_b, paint_a, paint_b
    if carried:
        flow_ab = np.where(carried[0].body[..., None], carried[0].motion, flow_ab)
        flow_ba = np.where(carried[1].body[..., None], carried[1].motion, flow_ba)
    if not transparent:  # opaque keys are warped as they are (uint8)
        premul_a, premul_b = request.key_a, request.key_b
    bases = None
    if field:  # pinned again: the fill may have moved a path's point
        flow_ab, flow_ba = field.pin(flow_ab, flow_ba, colours)
        if field.limbs:
            field.limbs.follow_strokes((flow_ab, flow_ba), inks)
            # The base frame is warped from keys without their bones (the bones' layer draws
            # them), bar the strokes they hid (the outline an arm was drawn along).
            bases = erase_bones((premul_a, premul_b), field.limbs.owned)
        field.prepare_bends(flow_ab, flow_ba)
    lone = None
    if line_art:
        # Strokes one key has and the other has not are drawn whole as a layer (flowlib/lone.py).
        lone = LoneStrokes.find((darkness(small_a), darkness(small_b)), (cons_a, cons_b), (flow_ab, flow_ba),
                                (height, width))
        if lone is not None:  # (erase_bones paints any mask with the key's paper)
            yield Progress(0.85, lone.message(), note=True)
            bases = erase_bones(bases if bases is not None else (premul_a, premul_b), lone.masks)
    if carried:
        # A carried shape's body maps onto its partner and back by construction: the forward-backward
        # check of the flows as estimated (which the body's motion replaced) no longer applies. Left
        # low at a rim the flow missed, it had the rim count as unseen, and the frame took that rim
        # from the other key's warp, its sky showing through in notches.
        cons_a[carried[0].body] = 1.0
        cons_b[carried[1].body] = 1.0
    grounds = None
    if carried:
        grounds = both(at_once, partial(_carried_ground, flow_ab, carried[0], match_a, match_b),
                       partial(_carried_ground, flow_ba, carried[1], match_b, match_a))
    del carried, relative, small_a, small_b
    vis_a, vis_b = both(at_once, partial(_visibility, flow_ab, cons_a), partial(_visibility, flow_ba, cons_b))
    del cons_a, cons_b
    synth = _Synthesizer(premul_a, premul_b, match_a, match_b, flow_ab, flow_ba, vis_a, vis_b, field,
                         sharpness if line_art else 0.0, line_art, _MOTION_DOWNSCALE.get(quality, 1), direct, textures, turns, bases)
    synth.lone = lone
    if grounds is not None:
        synth.set_grounds(*grounds)
    yield synth


def _carried_ground(flow: np.ndarray, carried: Carried, colour: np.ndarray, other: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels that move with a carried shape yet are the ground around it: the sky
    the flow dragged along its rim. Carried to the shape's place at time t, each key's own
    ground there would ring it with a halo of another shade (the sky by the grass is paler).
    Such a pixel looks like the ground (within _GROUND_DIFF of the mean colour of the pixels near
    it that stay behind: those that do not move with the shape and join the world outside its
    zone; or, beside steady ground, within the range of its colours: see _like_ground_near) and
    joins what stays behind through pixels that do too, within _GROUND_STEPS px: a shape painted
    in the ground's colour inside its outline is not ground. `other`: the other key's colours."""
    out = np.zeros(carried.near.shape, bool)
    ys, xs = np.nonzero(carried.near)
    if len(ys) == 0:
        return out
    # Worked out over the shapes' zones and a margin (a small part of the frame, as a rule).
    margin = int(3 * _GROUND_SIGMA) + _GROUND_STEPS
    h, w = out.shape
    box = (slice(max(0, ys.min() - margin), min(h, ys.max() + margin + 1)),
           slice(max(0, xs.min() - margin), min(w, xs.max() + margin + 1)))
    miss = flow[box] - carried.motion[box]
    near = carried.near[box]
    moves_with = near & (np.hypot(miss[..., 0], miss[..., 1]) <= _GROUND_SAME_PX)
    # What stays behind is what joins the world outside the shapes' zones: a patch inside a
    # shape whose flow strayed from the shape's is the shape still (its paint is no ground).
    count, labels = cv2.connectedComponents((~moves_with).astype(np.uint8), connectivity=4)
    outside = np.zeros(count, bool)
    outside[np.unique(labels[~near])] = True
    outside[0] = False  # label 0: the pixels that move with the shapes
    behind = outside[labels].astype(np.float32)
    rgb = colour[box][..., :3].astype(np.float32)
    weight = cv2.GaussianBlur(behind, (0, 0), _GROUND_SIGMA)
    mean = cv2.GaussianBlur(rgb * behind[..., None], (0, 0), _GROUND_SIGMA) / np.maximum(weight, 1e-6)[..., None]
    like = moves_with & (((np.abs(rgb - mean).sum(axis=2) < _GROUND_DIFF) & (weight > 0.01))
                         | _like_ground_near(rgb, _steady_ground(flow, box, behind > 0, near, rgb, other), moves_with))
    like = like.astype(np.uint8)
    ground = np.zeros_like(like)
    reached = behind.astype(np.uint8)
    for _ in range(_GROUND_STEPS):  # grown from what stays behind, through ground-like pixels only
        reached = cv2.dilate(reached, _OPENING) & like
        ground |= reached
    out[box] = ground.astype(bool)
    return out


def _steady_ground(flow: np.ndarray, box: tuple[slice, slice], behind: np.ndarray, near: np.ndarray,
                   rgb: np.ndarray, other: np.ndarray) -> np.ndarray:
    """(h, w) bool over `box`: what stays behind (`behind`), moves as the ground at large does (the
    median of what stays behind outside the zones `near`; not a limb swinging on its own) and shows
    the same colour in the other key where its flow takes it (not a patch of the shape the flow
    lost and left in place)."""
    afar = behind & ~near
    ground_motion = np.median(flow[box][afar], axis=0) if afar.any() else np.zeros(2)
    off_ground = flow[box] - ground_motion.astype(np.float32)
    rows, cols = np.mgrid[box].astype(np.float32)
    seen = cv2.remap(other, cols + flow[box][..., 0], rows + flow[box][..., 1], cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)[..., :3].astype(np.float32)
    return (behind & (np.hypot(off_ground[..., 0], off_ground[..., 1]) <= _GROUND_SAME_PX)
            & (np.abs(seen - rgb).sum(axis=2) < _GROUND_DIFF))


def _like_ground_near(rgb: np.ndarray, ground: np.ndarray, asked: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels of `asked` next to `ground` whose colour lies, channel by channel,
    within the range of the colours of `ground` within _GROUND_NEAR px (widened by a third of
    _GROUND_DIFF): a grass blade, the gap beside it and the anti-aliased mix of the two alike
    (such mixes lie on the ground's edge, so only pixels touching it are asked)."""
    asked = asked & cv2.dilate(ground.astype(np.uint8), _OPENING).astype(bool)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * _GROUND_NEAR + 1,) * 2)
    lowest = cv2.erode(np.where(ground[..., None], rgb, np.float32(np.inf)), disc, borderValue=np.inf)
    highest = cv2.dilate(np.where(ground[..., None], rgb, np.float32(-np.inf)), disc, borderValue=-np.inf)
    slack = np.float32(_GROUND_DIFF / 3)
    return asked & ((rgb >= lowest - slack) & (rgb <= highest + slack)).all(axis=2)


def _paint_in_flat(frame: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Each patch of `mask` (uint8 (H, W)) filled from the flat paint round it, in place: from
    the pixels of a _PAINT_IN_RING px ring within _PAINT_IN_FLAT (colour difference summed over
    the channels) of the ring's median colour, when they are most of it (a stroke passing on
    one side is no source). A patch in texture keeps what the keys gave: a read of grass from
    a little way off beats a blur."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    h, w = mask.shape
    pad = _PAINT_IN_RING
    for i in range(1, count):
        x, y, bw, bh = stats[i, :4]
        box = (slice(max(0, y - pad), min(h, y + bh + pad)), slice(max(0, x - pad), min(w, x + bw + pad)))
        hole = labels[box] == i
        ring = (cv2.dilate(hole.astype(np.uint8), np.ones((2 * pad + 1,) * 2, np.uint8)) > 0) & (mask[box] == 0)
        if not ring.any():
            continue
        patch = frame[box].astype(np.float32)
        paint = patch[..., :3] if frame.dtype == np.uint8 else patch
        like = np.abs(paint - np.median(paint[ring], axis=0)).sum(axis=2) <= _PAINT_IN_FLAT
        sources = ring & like
        if sources.sum() < 0.6 * ring.sum():
            continue
        filled = fill_holes(patch, (~hole).astype(np.float32), sources.astype(np.float32))
        frame[box][hole] = (np.clip(filled[hole] + 0.5, 0, 255) if frame.dtype == np.uint8 else filled[hole]).astype(frame.dtype)
    return frame


def _limbs_message(paths: Sequence[MotionPath], pairs: list[tuple[int, int]]) -> str:
    """What the status bar says about the bones found: which paths each one joins."""
    def name(i: int) -> str:
        return paths[i].name or f"path {i + 1}"

    joined = ", ".join(f"{name(i)}–{name(j)}" for i, j in pairs)
    return f"line art: {len(pairs)} limb{'s' if len(pairs) > 1 else ''} between paths ({joined})"


def _settled_message(paths: Sequence[MotionPath], settled: list[tuple[int, float]]) -> str:
    """What the status bar says about path ends moved onto their shapes' match (PathField.settled)."""
    said = ", ".join(f"{paths[i].name or f'path {i + 1}'} ({px:.1f} px)" for i, px in settled)
    return (f"path ends off their match in key B, followed to the match: {said}; "
            "drag an end onto its match to follow the path exactly")


def _fill(flow: np.ndarray, cons: np.ndarray, guide: np.ndarray, other_guide: np.ndarray, colour: np.ndarray,
          gx: np.ndarray, gy: np.ndarray, **known) -> np.ndarray:
    """One key's flow with its occluded pixels filled (fill_occluded), trusted as far as it is
    consistent with the other key's flow and its colour matches where it lands."""
    return fill_occluded(flow, cons * colour_match(guide, other_guide, flow, gx, gy), colour, **known)


def _uncovered(to_a: np.ndarray, to_b: np.ndarray, share_a: np.ndarray, miss_a: np.ndarray,
               miss_b: np.ndarray) -> np.ndarray:
    """(H, W) bool: time-t pixels where the splat shows one key alone (share beyond _ONE_KEY of
    0 or 1), that key's surface there still (its motion within _STILL_MOVE px), and no pixel of the
    other key comes there (its inversion misses by over _LOST_PX2 px^2): a background a shape
    uncovers, or is yet to cover. (Where a pixel of the other key does come, the splat's count
    only had a crack: a stretching shape's paint, which a candidate may bring back.)"""
    one_key = (share_a > 1.0 - _ONE_KEY) | (share_a < _ONE_KEY)
    a_alone = within(to_a, _STILL_MOVE) & (miss_b > _LOST_PX2)
    b_alone = within(to_b, _STILL_MOVE) & (miss_a > _LOST_PX2)
    return one_key & np.where(share_a >= 0.5, a_alone, b_alone)


def _visibility(flow: np.ndarray, cons: np.ndarray) -> np.ndarray:
    """(H, W, 2): each source pixel's splat importance and trust."""
    return np.dstack([splat_importance(flow, cons), splat_trust(flow, cons)])


@dataclass
class _Motion:
    """What motion_at gives: the chosen displacements to A and to B and key A's blend share, and
    the other candidates with the weights of all as hypotheses (chosen first; None: none)."""
    to_a: np.ndarray
    to_b: np.ndarray
    share_a: np.ndarray
    # Each key's forward motion to time t, which to_a and to_b invert (for resize_motion).
    moves: tuple[np.ndarray, np.ndarray]
    others: list[tuple[np.ndarray, np.ndarray]] | None = None
    weights: list[np.ndarray] | None = None
    lost: np.ndarray | None = None  # (H, W) bool: time-t pixels neither key's motion reaches


class _Synthesizer:
    """Makes the frame at any time t from the per-request state (flows at work scale)."""

    def __init__(self, key_a: np.ndarray, key_b: np.ndarray, match_a: np.ndarray, match_b: np.ndarray,
                 flow_ab: np.ndarray, flow_ba: np.ndarray, vis_a: np.ndarray, vis_b: np.ndarray,
                 field: PathField, sharpness: float, line_art: bool, motion_downscale: int = 1,
                 direct: tuple[np.ndarray, np.ndarray] | None = None,
                 textures: tuple[np.ndarray, np.ndarray] | None = None,
                 turns: RegionTurns | None = None, bases: tuple[np.ndarray, np.ndarray] | None = None):
        # Opaque keys are warped as uint8 RGBA; keys with transparency as premultiplied float32.
        self.key_a, self.key_b = key_a, key_b
        self.field = field
        self.limbs = field.limbs if field else None
        # The keys the base frame is warped from: with bones, the keys without them.
        self.base_a, self.base_b = bases if bases is not None else (key_a, key_b)
        self.turns = turns
        self.sharpness = sharpness
        self.line_art = line_art
        h, w = flow_ab.shape[:2]
        if motion_downscale > 1 and min(h, w) >= _MOTION_MIN_SIDE * motion_downscale:
            # Motion fields are smooth: synthesise them at a lower scale, warp at full size.
            h, w = h // motion_downscale, w // motion_downscale
            flow_ab, flow_ba = resize_flow(flow_ab, w, h), resize_flow(flow_ba, w, h)
            if direct is not None:
                direct = (resize_flow(direct[0], w, h), resize_flow(direct[1], w, h))
            vis_a = cv2.resize(vis_a, (w, h), interpolation=cv2.INTER_AREA)
            vis_b = cv2.resize(vis_b, (w, h), interpolation=cv2.INTER_AREA)
            match_a = cv2.resize(match_a, (w, h), interpolation=cv2.INTER_AREA)
            match_b = cv2.resize(match_b, (w, h), interpolation=cv2.INTER_AREA)
            textures = None  # measured again on the smaller keys
        self.match_a, self.match_b = match_a, match_b
        self.textures = textures if textures is not None else (texture(match_a), texture(match_b))
        self.reach_a, self.reach_b = field.reach() if field else (None, None)
        if self.reach_a is not None and self.reach_a.shape != (h, w):
            self.reach_a = cv2.resize(self.reach_a, (w, h), interpolation=cv2.INTER_AREA)
            self.reach_b = cv2.resize(self.reach_b, (w, h), interpolation=cv2.INTER_AREA)
        self.flow_ab, self.flow_ba = flow_ab, flow_ba
        # Flows the time-t candidates read straight off (default: the splatted ones).
        self.direct = direct if direct is not None else (flow_ab, flow_ba)
        self.vis_a, self.vis_b = vis_a, vis_b
        self.gx, self.gy = pixel_grid(h, w)
        factor = _COARSE if min(h, w) >= 16 * _COARSE else 1
        self.coarse_shape = (max(4, h // factor), max(4, w // factor))
        self.coarse_gx, self.coarse_gy = pixel_grid(*self.coarse_shape)
        self.importance_a = cv2.resize(vis_a, self.coarse_shape[::-1], interpolation=cv2.INTER_AREA)
        self.importance_b = cv2.resize(vis_b, self.coarse_shape[::-1], interpolation=cv2.INTER_AREA)
        full_h, full_w = key_a.shape[:2]
        self.full_gx, self.full_gy = pixel_grid(full_h, full_w)
        self.grounds: tuple[np.ndarray, np.ndarray] | None = None
        self.lone: LoneStrokes | None = None
        self.settled: tuple[np.ndarray, np.ndarray] | None = None

    def set_grounds(self, ground_a: np.ndarray, ground_b: np.ndarray) -> None:
        """Each key's carried ground (see _carried_ground, work scale): where a key's warp reads it
        at a pixel that key shows settled, the frame takes that key's own pixel instead."""
        h, w = self.flow_ab.shape[:2]
        # As uint8 (255: ground): read at full size, a float copy would cost 4 bytes a pixel.
        self.grounds = tuple(cv2.resize(g.astype(np.uint8) * np.uint8(255), (w, h), interpolation=cv2.INTER_AREA)
                             for g in (ground_a, ground_b))
        # Settled: the key's own flow leaves the pixel in place (within _STILL_PX) and it is no
        # ground of that key's, so what the key shows there stays put, the sky its shape has left
        # included. (Asking both keys to show the same still colour there missed that sky: the
        # other key's shape still covers it, and the ball's ground from where it lands, paler
        # sky by the grass, trailed it at take-off.)
        full = self.key_a.shape[1::-1]
        settled = []
        for flow, ground in zip((self.flow_ab, self.flow_ba), self.grounds, strict=True):
            mask = (within(flow, _STILL_PX) & (ground < 128)).astype(np.uint8)
            if mask.shape[::-1] != full:
                mask = cv2.resize(mask, full, interpolation=cv2.INTER_NEAREST)
            settled.append(mask > 0)
        self.settled = (settled[0], settled[1])

    def frame(self, t: float, split: bool = False) -> np.ndarray:
        """The frame at time t; with `split`, each key's half of its motion is made alongside the
        other's (see _in_order)."""
        if t <= 0.0:
            return self._key(self.key_a)
        if t >= 1.0:
            return self._key(self.key_b)
        motion = self.motion_at(t, split)
        out = self._blend(motion, t)
        if motion.weights is not None:
            out = self._with_hypotheses(out, motion, t)
        if motion.lost is not None:
            out = self._paint_in(out, motion.lost)
        if self.lone is not None:
            out = self.lone.draw(out, (self.key_a, self.key_b), t)
        if self.limbs:
            out = self._draw_limbs(out, t)
        return out if out.dtype == np.uint8 else unpremultiply(out)

    def _full_size(self, field: np.ndarray) -> np.ndarray:
        """A work-scale motion (H, W, 2) or weight (H, W) at the keys' size."""
        full_h, full_w = self.key_a.shape[:2]
        if field.shape[:2] == (full_h, full_w):
            return field
        if field.ndim == 3:
            return resize_flow(field, full_w, full_h)
        return cv2.resize(field, (full_w, full_h), interpolation=cv2.INTER_LINEAR)

    def _blend(self, motion: _Motion, t: float) -> np.ndarray:
        """The base keys warped by the chosen motion and blended: uint8 for opaque keys, else
        premultiplied float."""
        to_a, to_b = motion.to_a, motion.to_b
        share_a = self._full_size(motion.share_a)
        full_h, full_w = self.key_a.shape[:2]
        move_a, move_b = motion.moves
        warped_a = warp(self.base_a, resize_motion(to_a, move_a, full_w, full_h), self.full_gx, self.full_gy)
        warped_b = warp(self.base_b, resize_motion(to_b, move_b, full_w, full_h), self.full_gx, self.full_gy)
        if self.grounds is not None:
            for warped, key, ground, settled, to in ((warped_a, self.base_a, self.grounds[0], self.settled[0], to_a),
                                                     (warped_b, self.base_b, self.grounds[1], self.settled[1], to_b)):
                read = warp(ground, to, self.gx, self.gy)
                if read.shape != settled.shape:
                    read = cv2.resize(read, settled.shape[::-1], interpolation=cv2.INTER_LINEAR)
                read = (read > 127) & settled
                warped[read] = key[read]
        if self.line_art:
            share_a = consensus_share(warped_a, warped_b, share_a, t)
        if self.key_a.dtype == np.uint8:  # opaque keys: straight colour blends as is, in uint8
            return cv2.blendLinear(warped_a, warped_b, share_a, 1.0 - share_a)
        # (Weights laid out per channel for cv2.multiply: numpy's (H, W, 1) broadcast over four
        # channels is some three times slower.)
        channels = warped_a.shape[2]
        warped_a = cv2.multiply(warped_a, cv2.merge([share_a] * channels))
        warped_a += cv2.multiply(warped_b, cv2.merge([1.0 - share_a] * channels))
        return warped_a

    def _with_hypotheses(self, chosen: np.ndarray, motion: _Motion, t: float) -> np.ndarray:
        """The frame of the chosen motion blended with those of the other candidates, each by
        its weight (candidates carry no occlusion reasoning: they blend the keys by time). Only
        tiles where a candidate has weight are made again (a few tenths of the frame at most),
        their motions and weights read off the work-scale fields tile by tile (at 4K, whole
        full-size copies of six motion fields cost half a gigabyte per frame in flight)."""
        mixed = self._full_size(np.logical_or.reduce([w > 0 for w in motion.weights[1:]]).astype(np.float32)) > 0
        out = chosen.copy()
        h, w = mixed.shape
        for y0 in range(0, h, _HYPOTHESIS_TILE):
            for x0 in range(0, w, _HYPOTHESIS_TILE):
                tile = (slice(y0, y0 + _HYPOTHESIS_TILE), slice(x0, x0 + _HYPOTHESIS_TILE))
                if not mixed[tile].any():
                    continue
                gx, gy = self.full_gx[tile], self.full_gy[tile]
                total = self._tile_of(motion.weights[0], tile)
                blend = chosen[tile].astype(np.float32) * total[..., None]
                for (to_a, to_b), weight in zip(motion.others, motion.weights[1:], strict=True):
                    weight = self._tile_of(weight, tile)
                    warped_a = warp(self.base_a, self._tile_of(to_a, tile), gx, gy).astype(np.float32)
                    warped_b = warp(self.base_b, self._tile_of(to_b, tile), gx, gy).astype(np.float32)
                    blend += (warped_a * np.float32(1.0 - t) + warped_b * np.float32(t)) * weight[..., None]
                    total += weight
                blend /= total[..., None]
                if out.dtype == np.uint8:
                    out[tile] = np.clip(blend + np.float32(0.5), 0, 255).astype(np.uint8)
                else:
                    out[tile] = blend
        return out

    def _paint_in(self, frame: np.ndarray, lost: np.ndarray) -> np.ndarray:
        """`frame` (uint8 or premultiplied float) with the `lost` pixels (work scale) painted in,
        changed in place: see _paint_in_flat."""
        full_h, full_w = frame.shape[:2]
        mask = lost.astype(np.uint8)
        if mask.shape != (full_h, full_w):
            mask = cv2.resize(mask, (full_w, full_h), interpolation=cv2.INTER_NEAREST)
        return _paint_in_flat(frame, cv2.dilate(mask, _OPENING))  # and the pixels mixed with them

    def _tile_of(self, field: np.ndarray, tile: tuple[slice, slice]) -> np.ndarray:
        """A work-scale field (motion in work-scale px, or weight) at the full-size pixels of
        `tile`, as _full_size would give it (bilinear, pixel centres aligned); a new array."""
        h, w = field.shape[:2]
        full_h, full_w = self.key_a.shape[:2]
        if (h, w) == (full_h, full_w):
            return field[tile].copy()
        sx, sy = w / full_w, h / full_h
        map_x = (self.full_gx[tile] + np.float32(0.5)) * np.float32(sx) - np.float32(0.5)
        map_y = (self.full_gy[tile] + np.float32(0.5)) * np.float32(sy) - np.float32(0.5)
        out = cv2.remap(field, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        if field.ndim == 3:
            out[..., 0] *= np.float32(1.0 / sx)
            out[..., 1] *= np.float32(1.0 / sy)
        return out

    def _draw_limbs(self, frame: np.ndarray, t: float) -> np.ndarray:
        """The bones drawn over the frame (in place) where the paths put them at time t: strokes
        darken opaque paper; over transparency they are composited by their alpha."""
        positions = self.field.positions(t)
        box = self.limbs.box(positions, self.field.scale, frame.shape[:2])
        if box is None:
            return frame
        x0, y0, x1, y1 = box
        under = frame[y0:y1, x0:x1]
        opaque = frame.dtype == np.uint8
        layers, covers = [], []
        for k, key in enumerate((self.key_a, self.key_b)):
            colour, cover = self.limbs.draw(k, key, positions, self.field.scale, box)
            covers.append(cover)
            colour *= cover[..., None]
            if opaque:  # white paper elsewhere: darkening with it changes nothing
                colour += (255.0 * (1.0 - cover))[..., None]
                colour = np.clip(colour + 0.5, 0, 255).astype(np.uint8)
            layers.append(colour)
        # Where both keys' bones lie, blend them by time; a stroke only one key's bone has (the
        # arm is bent in one key only) comes whole from the key nearer in time: one line, no ghost.
        share = np.full(under.shape[:2], 1.0 - t, np.float32)
        share[(covers[0] > 0.5) != (covers[1] > 0.5)] = 1.0 if t < 0.5 else 0.0
        if opaque:
            np.minimum(under, cv2.blendLinear(layers[0], layers[1], share, 1.0 - share), out=under)
        else:
            layer = layers[0] * share[..., None] + layers[1] * (1.0 - share)[..., None]
            under[:] = layer + under * (1.0 - layer[..., 3:4] / 255.0)
        return frame

    @staticmethod
    def _key(key: np.ndarray) -> np.ndarray:
        return key.copy() if key.dtype == np.uint8 else unpremultiply(key)

    def _invert(self, move: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fixed-point steps to = -move(p + to), keeping per pixel the iterate that fits best
        (at motion edges the iteration can jump between surfaces; the best fit stays put).
        Also returns how far (px^2) the kept iterate's source lands from the pixel."""
        best = start.copy()
        best_err = None
        current = start
        for _ in range(_FIXED_POINT_STEPS):
            nxt = warp(move, current, self.gx, self.gy)
            np.negative(nxt, out=nxt)
            diff = nxt - current
            err = squared_length(diff)  # how far `current` is from a fixed point
            if best_err is None:
                best_err = err
            else:
                better = err < best_err
                np.copyto(as_pairs(best), as_pairs(current), where=better)
                np.minimum(best_err, err, out=best_err)
            current = nxt
        return best, best_err

    def _splat(self, move: np.ndarray, vis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One key's forward splat at 1/_COARSE scale (see splat_displacement)."""
        h, w = move.shape[:2]
        ch, cw = self.coarse_shape
        small = cv2.resize(move, (cw, ch), interpolation=cv2.INTER_AREA)
        small[..., 0] *= cw / w
        small[..., 1] *= ch / h
        return splat_displacement(small, vis[..., 0], self.coarse_gx, self.coarse_gy, vis[..., 1])

    def _coarse_splat(self, move_a: np.ndarray, move_b: np.ndarray, t: float, split: bool = False):
        """Starting displacements and visibility from forward splats at 1/_COARSE scale (z-ordered);
        with `split`, the two keys' splats run at once."""
        h, w = move_a.shape[:2]
        (to_a, count_a), (to_b, count_b) = both(split, partial(self._splat, move_a, self.importance_a),
                                                partial(self._splat, move_b, self.importance_b))
        # Where one key's splat left a hole, borrow the other's motion under constant velocity.
        hole_a = (count_a < HOLE) & (count_b >= HOLE)
        hole_b = (count_b < HOLE) & (count_a >= HOLE)
        np.copyto(as_pairs(to_a), as_pairs(to_b * np.float32(-t / (1.0 - t))), where=hole_a)
        np.copyto(as_pairs(to_b), as_pairs(to_a * np.float32(-(1.0 - t) / t)), where=hole_b)
        to_a = resize_flow(fill_holes(to_a, np.where(hole_a, 1.0, count_a)), w, h)
        to_b = resize_flow(fill_holes(to_b, np.where(hole_b, 1.0, count_b)), w, h)
        seen = []
        for count in (count_a, count_b):
            visible = np.clip(cv2.blur(count, (3, 3)) / _FULL_COVER, 0.0, 1.0)
            # Opening: a few stray landings inside a region the key left are not "seen" (they would
            # blend a ghost of what moved away into the frame).
            seen.append(cv2.dilate(cv2.erode(visible, _OPENING), _OPENING))
        # The outermost pixels around a region a key does not see (where a shape left, or will
        # land) are mixed with that shape's outline, yet move with the background: counted as seen,
        # they leave a ghost ring of the outline. Where the other key sees all around, they are
        # handed to it.
        core_a, core_b = (cv2.erode(v, _SEEN_KERNEL) for v in seen)
        seen = [seen[0] + core_b * (core_a - seen[0]), seen[1] + core_a * (core_b - seen[1])]
        seen = [cv2.resize(v, (w, h), interpolation=cv2.INTER_LINEAR) for v in seen]
        return to_a, seen[0], to_b, seen[1]

    def motion_at(self, t: float, split: bool = False) -> _Motion:
        """Displacements from time-t pixels to A and to B, key A's blend share, and the other
        motions to blend in as hypotheses with their weights (work scale)."""
        bend_a, bend_b = self.field.bends(t) if self.field else (None, None)
        h, w = self.flow_ab.shape[:2]
        if bend_a is not None and bend_a.shape[:2] != (h, w):
            bend_a, bend_b = resize_flow(bend_a, w, h), resize_flow(bend_b, w, h)
        turned = None
        if self.turns is not None:
            turn_a, turn_b = self.turns.bends(t)
            if turn_a.shape[:2] != (h, w):
                turn_a, turn_b = resize_flow(turn_a, w, h), resize_flow(turn_b, w, h)
            if self.field:  # the paths' arcs are the animator's word: their points do not turn away
                turn_a, turn_b = self.field.keep_points(turn_a, turn_b)
            # Where a region turns, its motion is not straight: time-t candidates read off the
            # flows (straight by nature) must not replace it.
            turned = [(~within(turn, 0.5)).astype(np.float32) for turn in (turn_a, turn_b)]
            bend_a = turn_a if bend_a is None else bend_a + turn_a
            bend_b = turn_b if bend_b is None else bend_b + turn_b
        move_a = self.flow_ab * np.float32(t)
        if bend_a is not None:
            move_a += bend_a
        move_b = self.flow_ba * np.float32(1.0 - t)
        if bend_b is not None:
            move_b += bend_b
        to_a, seen_a, to_b, seen_b = self._coarse_splat(move_a, move_b, t, split)
        # Refine at work scale by fixed-point inversion of each key's forward motion:
        # the source x of a time-t pixel p solves x + move(x) = p (smooth, hole-free, exact on paths).
        (to_a, miss_a), (to_b, miss_b) = both(split, partial(self._invert, move_a, to_a),
                                              partial(self._invert, move_b, to_b))
        # Over flat paint, a key whose motion brings no source pixel here (its inversion misses by
        # over _LOST_PX2) while the other key's brings one (within _EXACT_PX2) does not see the
        # pixel, whatever its splat says: the splat's count is blurred over a few pixels, and in
        # the thin strip a shape has just left (or is about to cover) it let the shape's outline
        # in as specks. (Over texture the inversion misses more by chance: photos lose by it.)
        flat_b = warp(self.textures[1], to_b, self.gx, self.gy) < _FLAT_READ
        flat_a = warp(self.textures[0], to_a, self.gx, self.gy) < _FLAT_READ
        seen_a[(miss_a > _LOST_PX2) & (miss_b <= _EXACT_PX2) & flat_b] = 0.0
        seen_b[(miss_b > _LOST_PX2) & (miss_a <= _EXACT_PX2) & flat_a] = 0.0
        del flat_a, flat_b
        # Where neither key's splat arrived, the key whose source pixel really moves here wins
        # (not one whose source, e.g. a shape that has moved on, lands somewhere else).
        weight_a = np.float32(1.0 - t) * (seen_a + np.float32(1e-3) * np.exp(-0.5 * miss_a) + np.float32(1e-6))
        weight_b = np.float32(t) * (seen_b + np.float32(1e-3) * np.exp(-0.5 * miss_b) + np.float32(1e-6))
        share_a = (weight_a / (weight_a + weight_b)).astype(np.float32)
        # Where the splat went astray, the flows read directly at the pixel may make both keys
        # agree better. Pixels the paths steer keep the splatted motion (it follows their arcs).
        locked = np.zeros(share_a.shape, bool)
        if self.reach_a is not None:
            locked |= warp(self.reach_a, to_a, self.gx, self.gy) > _PATH_REACH
            locked |= warp(self.reach_b, to_b, self.gx, self.gy) > _PATH_REACH
        if turned is not None:
            locked |= warp(turned[0], to_a, self.gx, self.gy) > 0.5
            locked |= warp(turned[1], to_b, self.gx, self.gy) > 0.5
        candidates = time_t_candidates(*self.direct, t)
        # Off line art the hypotheses read every candidate over the whole frame: read once, shared.
        reads = None if self.line_art else read_candidates(self.match_a, self.match_b, self.gx, self.gy,
                                                           candidates, self.textures)
        splatted = to_a
        # Where the splat shows a still surface of one key that the other key's shape has left
        # (or is yet to cover), the keys cannot agree: their mismatch there is neither a reason to
        # read that surface elsewhere nor doubt to blend hypotheses over.
        uncovered = _uncovered(to_a, to_b, share_a, miss_a, miss_b)
        to_a, to_b, share_a = pick_motion(self.match_a, self.match_b, self.gx, self.gy, (to_a, to_b, share_a),
                                          candidates, 1.0 - t, locked, self.textures, reads, uncovered)
        # Where no pixel of either key moves here (sky a moving figure's arm encloses, hidden by
        # it in both keys) and no time-t candidate took over, any key pixel read is a guess, often
        # a stroke: the frame is painted in from round it instead. Not on line art: there, what
        # no key pixel reaches is as often a stroke sweeping through (a swinging limb), and paper
        # painted in would erase it (bench/limbs.py: ink IoU 0.816 -> 0.813 with it).
        lost = None
        if not self.line_art:
            lost = (miss_a > _LOST_PX2) & (miss_b > _LOST_PX2) & (as_pairs(to_a) == as_pairs(splatted))
            lost = lost if lost.any() else None
        del splatted
        # A share that jumps from pixel to pixel cuts an outline into fragments of either key
        # wherever one key's warp is a little off; a soft cross-over blends them instead. It must
        # not carry a key into where that key is not seen (a soft ghost of what left).
        smooth = cv2.GaussianBlur(share_a, (0, 0), _SHARE_BLUR)
        np.minimum(smooth, share_a, out=smooth, where=seen_a < _ONE_SIDED)
        np.maximum(smooth, share_a, out=smooth, where=seen_b < _ONE_SIDED)
        share_a = select_weights(smooth, 1.0 - smooth, self.sharpness).astype(np.float32)
        # Line art is drawn from one motion: a blend of hypotheses would ghost its strokes.
        weights = None if self.line_art else hypothesis_weights(
            self.match_a, self.match_b, self.gx, self.gy, (to_a, to_b), candidates, self.textures,
            locked | uncovered, reads)
        if weights is None:
            return _Motion(to_a, to_b, share_a, (move_a, move_b), lost=lost)
        return _Motion(to_a, to_b, share_a, (move_a, move_b), candidates, weights, lost)
