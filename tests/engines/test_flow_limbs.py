"""Line art: a stroke joining two paths' points swings between them as a bone (flowlib/limbs.py)."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from inbetweener.engines.base import Progress, TweenFrame, TweenRequest
from inbetweener.engines.flow import FlowEngine
from inbetweener.engines.flowlib.limbs import _Strokes, find_limbs
from inbetweener.model.project import MotionPath
from inbetweener.paths.bezier import BezierChain, CubicBezier

SIZE = 240
PAPER = (245, 240, 230)
INK = (30, 30, 40)
BODY_RADIUS = 30
ARM = 60  # shoulder to hand (px)
SWING = 130.0  # degrees the arm turns about the shoulder, from hanging down


def _body_centre(t: float) -> tuple[float, float]:
    return 100.0 + 12.0 * t, 110.0


def _shoulder(t: float) -> np.ndarray:
    cx, cy = _body_centre(t)
    return np.array([cx + BODY_RADIUS * math.cos(math.radians(-30)), cy + BODY_RADIUS * math.sin(math.radians(-30))])


def _hand(t: float) -> np.ndarray:
    """The hand circles the shoulder: hanging down-right at t=0, raised at t=1."""
    angle = math.radians(60.0 - SWING * t)
    return _shoulder(t) + ARM * np.array([math.cos(angle), math.sin(angle)])


def _key(t: float, alpha: bool = False) -> np.ndarray:
    canvas = np.zeros((SIZE, SIZE, 3), np.uint8)
    canvas[:] = PAPER
    cx, cy = _body_centre(t)
    cv2.circle(canvas, (round(cx), round(cy)), BODY_RADIUS, INK, 3, cv2.LINE_AA)
    cv2.line(canvas, (round(cx) - 10, round(cy) + BODY_RADIUS), (round(cx) - 14, round(cy) + 80), INK, 3, cv2.LINE_AA)
    s, h = _shoulder(t), _hand(t)
    cv2.line(canvas, tuple(int(round(v)) for v in s), tuple(int(round(v)) for v in h), INK, 3, cv2.LINE_AA)
    cv2.circle(canvas, tuple(int(round(v)) for v in h), 5, INK, 2, cv2.LINE_AA)
    if not alpha:
        return np.dstack([canvas, np.full((SIZE, SIZE), 255, np.uint8)])
    ink = 255 - cv2.cvtColor(canvas, cv2.COLOR_RGB2GRAY).astype(np.int32)
    a = np.clip((ink - 20) * 255 // (255 - 40 - 20), 0, 255).astype(np.uint8)  # paper: 0
    return np.dstack([np.zeros_like(canvas) + np.array(INK, np.uint8), a])


def _hand_path() -> MotionPath:
    """Bezier close to the hand's circle about the moving shoulder (tangent handles 4/3 tan(a/4) r)."""
    sweep = math.radians(SWING)
    k = 4.0 / 3.0 * math.tan(sweep / 4.0) * ARM
    a0, a1 = math.radians(60.0), math.radians(60.0 - SWING)
    tangent0 = np.array([math.sin(a0), -math.cos(a0)])  # direction of decreasing angle
    tangent1 = np.array([math.sin(a1), -math.cos(a1)])
    drift = _shoulder(1.0) - _shoulder(0.0)
    p0, p3 = _hand(0.0), _hand(1.0)
    c1 = p0 + k * tangent0 + drift / 3.0
    c2 = p3 - k * tangent1 - drift / 3.0
    return MotionPath(BezierChain.from_segments([CubicBezier(tuple(p0), tuple(c1), tuple(c2), tuple(p3))]))


def _paths() -> tuple[MotionPath, MotionPath]:
    shoulder = MotionPath(BezierChain.line(tuple(_shoulder(0.0)), tuple(_shoulder(1.0))))
    return shoulder, _hand_path()


def _darkness(frame: np.ndarray) -> np.ndarray:
    rgb = frame[..., :3].astype(np.float32)
    alpha = frame[..., 3:4].astype(np.float32) / 255.0
    grey = cv2.cvtColor(np.ascontiguousarray(rgb * alpha + 255.0 * (1.0 - alpha)), cv2.COLOR_RGB2GRAY)
    return 1.0 - grey / 255.0


def _ink_along(dark: np.ndarray, p: np.ndarray, q: np.ndarray, lo: float = 0.2, hi: float = 0.8) -> np.ndarray:
    """Darkest value within 2 px of each of 20 samples on the segment p-q (between lo and hi)."""
    out = []
    for u in np.linspace(lo, hi, 20):
        x, y = p + u * (q - p)
        patch = dark[int(round(y)) - 2:int(round(y)) + 3, int(round(x)) - 2:int(round(x)) + 3]
        out.append(patch.max())
    return np.array(out)


def _frames(request: TweenRequest) -> dict[int, np.ndarray]:
    return {f.index: f.image for f in FlowEngine().tween(request) if isinstance(f, TweenFrame)}


def _track(paths) -> np.ndarray:
    return np.stack([[np.asarray(p.position(t), float).reshape(2) for p in paths] for t in (0, .25, .5, .75, 1)])


def test_a_stroke_joining_two_paths_points_is_found_as_a_bone():
    dark_a = _darkness(_key(0.0))
    dark_b = _darkness(_key(1.0))
    limbs = find_limbs(_track(_paths()), dark_a, dark_b)
    assert limbs is not None and limbs.pairs == [(0, 1)]
    owned_a = limbs.owned[0]
    # The arm's middle is the bone's; the body's far side and the leg are not.
    middle = ((_shoulder(0.0) + _hand(0.0)) / 2).round().astype(int)
    assert owned_a[middle[1], middle[0]]
    cx, cy = _body_centre(0.0)
    assert not owned_a[int(cy), int(cx - BODY_RADIUS)]
    assert not owned_a[int(cy + 60), int(cx - 12)]
    # The knob about the hand goes with the bone.
    hand = _hand(0.0).round().astype(int)
    assert owned_a[hand[1], hand[0] + 5]


def test_an_outline_a_bone_was_drawn_along_is_carried_on_under_it():
    # The arm leaves the shoulder along the body's outline: for a stretch the two are one stroke,
    # and all of it was the bone's. Erased for the flow, the outline had a gap there that the flow
    # slid across, and the in-betweens drew a torn, doubled strip of outline below the shoulder.
    dark_a, dark_b = _darkness(_key(0.0)), _darkness(_key(1.0))
    limbs = find_limbs(_track(_paths()), dark_a, dark_b)
    assert limbs is not None
    for key, t in enumerate((0.0, 1.0)):
        cx, cy = _body_centre(t)
        under = []
        for angle in np.radians(np.arange(0, 360, 2)):
            x, y = round(cx + BODY_RADIUS * math.cos(angle)), round(cy + BODY_RADIUS * math.sin(angle))
            if limbs.keys[key].owned[y, x]:
                under.append(limbs.hidden[key][y, x])
        assert len(under) >= 8 and all(under), (key, under)  # the outline under the bone is kept
        assert not (limbs.hidden[key] & ~limbs.keys[key].owned).any()
    # The arm itself and the hand are still the bone's alone.
    middle = ((_shoulder(0.0) + _hand(0.0)) / 2).round().astype(int)
    hand = _hand(0.0).round().astype(int)
    assert limbs.owned[0][middle[1], middle[0]] and limbs.owned[0][hand[1], hand[0] + 5]


def test_bone_pixels_by_another_stroke_move_as_that_stroke_does():
    """What a bone hid (where the arm joins the body's outline) takes the motion of the strokes
    round it, not that of the paper; bone pixels far from other ink keep theirs."""
    dark_a, dark_b = _darkness(_key(0.0)), _darkness(_key(1.0))
    limbs = find_limbs(_track(_paths()), dark_a, dark_b)
    assert limbs is not None
    flows = []
    for dark, own in zip((dark_a, dark_b), limbs.owned, strict=True):
        flow = np.zeros(dark.shape + (2,), np.float32)
        flow[:] = (-17.0, 0.0)                   # paper: whatever the flow made of it
        flow[dark >= 0.25] = (12.0, 0.0)         # the body's strokes
        flow[own] = (0.0, 20.0)                  # bones: a guess across the gap they left
        flows.append(flow)
    limbs.follow_strokes((flows[0], flows[1]), (dark_a, dark_b))
    for key, (flow, own, dark) in enumerate(zip(flows, limbs.owned, (dark_a, dark_b), strict=True)):
        others = ((dark >= 0.25) & ~limbs.keys[key].owned).astype(np.uint8)
        by_body = own & cv2.dilate(others, np.ones((7, 7), np.uint8)).astype(bool)
        assert by_body.sum() >= 5, key
        assert np.abs(flow[by_body] - (12.0, 0.0)).max() < 0.01, key
    hand = _hand(0.0).round().astype(int)
    assert tuple(flows[0][hand[1], hand[0] + 5]) == (0.0, 20.0)


def test_a_point_on_the_way_splits_the_stroke_into_two_bones():
    dark = _darkness(_key(0.0))
    elbow = (_shoulder(0.0) + _hand(0.0)) / 2
    points = np.array([_shoulder(0.0), _hand(0.0), elbow])
    assert _Strokes(points, dark).pairs == [(0, 2), (1, 2)]


def test_two_points_on_a_closed_outline_make_no_bone():
    """A quarter of the body's outline is fairly straight, but the rest of the outline still joins
    its ends: a stretch of a shape, not a limb."""
    dark = _darkness(_key(0.0))
    cx, cy = _body_centre(0.0)
    points = np.array([[cx + BODY_RADIUS, cy], [cx, cy - BODY_RADIUS]])
    assert _Strokes(points, dark).pairs == []


def test_points_on_separate_strokes_make_no_bone():
    dark = _darkness(_key(0.0))
    cx, cy = _body_centre(0.0)
    leg_foot = np.array([cx - 14, cy + 80])
    points = np.array([_hand(0.0), leg_foot])  # hand and foot: joined only the long way round
    assert _Strokes(points, dark).pairs == []


def test_points_that_move_together_make_no_bone():
    """Shoulder and hand travelling side by side (the arm does not swing): the flow follows that."""
    dark = _darkness(_key(0.0))
    points = np.array([_shoulder(0.0), _hand(0.0)])
    assert _Strokes(points, dark).pairs == [(0, 1)]
    track = np.stack([points + np.array([3.0 * k, 0.0]) for k in range(5)])
    assert find_limbs(track, dark, dark) is None


@pytest.mark.parametrize("alpha, options", [(False, {}), (True, {}), (False, {"quality": "fast"}),
                                            (False, {"max_flow_size": 160})])
def test_the_arm_swings_about_the_shoulder_whole_and_crisp(alpha, options):
    """Opaque and transparent keys; the motion made at half scale (fast); keys larger than the
    flow's working size."""
    key_a, key_b = _key(0.0, alpha), _key(1.0, alpha)
    shoulder, hand = _paths()
    times = (0.25, 0.5, 0.75)
    frames = _frames(TweenRequest(key_a, key_b, times, paths=(shoulder, hand), options=options))
    for i, t in enumerate(times):
        dark = _darkness(frames[i])
        s = np.asarray(shoulder.position(t), float).reshape(2)
        h = np.asarray(hand.position(t), float).reshape(2)
        along = _ink_along(dark, s, h)
        assert along.min() > 0.5, (t, along.round(2))  # one unbroken, dark arm where the paths say
        assert dark[round(h[1]) - 7:round(h[1]) + 8, round(h[0]) - 7:round(h[0]) + 8].max() > 0.6  # the hand
        # Nothing left where the arm and hand hung (a faded arm or a ghost of it).
        drift = _shoulder(t) - _shoulder(0.0)
        assert _ink_along(dark, _shoulder(t), _hand(0.0) + drift, 0.45, 1.0).max() < 0.25, t
        if alpha:  # paper stays transparent
            assert frames[i][5:20, 5:20, 3].max() == 0


def test_the_body_the_arm_hangs_from_stays_whole():
    key_a, key_b = _key(0.0), _key(1.0)
    frames = _frames(TweenRequest(key_a, key_b, (0.5,), paths=_paths()))
    dark = _darkness(frames[0])
    cx, cy = _body_centre(0.5)
    angles = np.radians(np.arange(0, 360, 6))
    on_outline = [dark[int(round(cy + BODY_RADIUS * math.sin(a))) - 1:int(round(cy + BODY_RADIUS * math.sin(a))) + 2,
                       int(round(cx + BODY_RADIUS * math.cos(a))) - 1:int(round(cx + BODY_RADIUS * math.cos(a))) + 2].max()
                  for a in angles]
    assert np.mean(np.array(on_outline) > 0.5) >= 0.95, np.round(on_outline, 2)


def test_without_a_second_path_nothing_is_a_bone_and_frames_are_made():
    key_a, key_b = _key(0.0), _key(1.0)
    frames = _frames(TweenRequest(key_a, key_b, (0.5,), paths=(_hand_path(),)))
    assert frames[0].shape == key_a.shape


def test_keys_all_ink_make_no_bone_and_frames_are_made():
    # With no paper anywhere, a stroke's half width measured as the distance to paper was
    # astronomically large, and the search box built from it overflowed.
    a = np.zeros((60, 80, 4), np.uint8)
    a[..., 3] = 255
    paths = (MotionPath.straight((10, 10), (30, 40)), MotionPath.straight((60, 50), (20, 15)))
    request = TweenRequest(a, a.copy(), (0.5,), paths=paths, options={"line_art": "on"})
    frames = [f.image for f in FlowEngine().tween(request) if isinstance(f, TweenFrame)]
    assert len(frames) == 1 and frames[0].shape == (60, 80, 4)


def test_the_bundled_figure_waves_and_lifts_its_knee_along_its_joint_paths(make_samples):
    """resources/samples: with its paths on shoulder, elbow, hand, hip, knee, ankle and toe, the
    stick figure's arm and leg are drawn whole between their joints at t (they faded out and in
    before)."""
    from pathlib import Path

    from inbetweener.io.images import load_image
    from inbetweener.io.paths_json import load_paths

    samples = Path(__file__).resolve().parents[2] / "resources" / "samples"
    key_a, key_b = load_image(samples / "figure_a.png"), load_image(samples / "figure_b.png")
    paths = load_paths(samples / "figure_paths.json")
    times = (0.25, 0.5, 0.75)
    frames = _frames(TweenRequest(key_a, key_b, times, paths=paths))
    for i, t in enumerate(times):
        dark = _darkness(frames[i])
        joints = {p.name: np.asarray(p.position(t), float).reshape(2) for p in paths}
        for limb in (("shoulder", "elbow", "hand"), ("hip", "knee", "ankle", "toe")):
            # The limb is drawn, dark and whole, between its joints' paths at t.
            for p, q in zip(limb[:-1], limb[1:], strict=True):
                along = _ink_along(dark, joints[p], joints[q])
                assert along.min() > 0.5, (t, p, q, along.round(2))
        # And nothing is left of the forearm where it hung.
        before = {k: np.array(v) for k, v in make_samples.figure_joints(0.0).items()}
        drift = joints["shoulder"] - before["shoulder"]
        assert _ink_along(dark, before["elbow"] + drift, before["hand"] + drift, 0.3, 0.8).max() < 0.25, t
    # The rest of the figure is where its true pose has it: ink IoU against the sample script's
    # drawing at t (ink darker than 40% in both over either). The flow ran on keys without the
    # arm, the body's outline where the arm lay along it erased too; the flow slid the outline
    # along the gap, and it broke up there in the in-betweens: 0.839, 0.858 with the bone's
    # pixels that touch the outline kept for the flow.
    ious = []
    for i, t in enumerate(times):
        made = _darkness(frames[i]) > 0.4
        true = _darkness(make_samples.figure(t)) > 0.4
        ious.append((made & true).sum() / (made | true).sum())
    assert np.mean(ious) > 0.85, np.round(ious, 3)
    # Below the shoulder, where the arm hung along the body's outline in key A, the outline is one
    # line where the true pose has it: ink IoU 0.70 there when the flow ran on a gap in it (a torn,
    # doubled strip), 0.84 with the outline carried on under the arm.
    local = []
    for i, t in enumerate(times):
        x, y = (int(v) for v in make_samples.figure_joints(t)["shoulder"])
        box = (slice(y + 6, y + 36), slice(x - 15, x + 10))
        made = _darkness(frames[i])[box] > 0.4
        true = _darkness(make_samples.figure(t))[box] > 0.4
        local.append((made & true).sum() / (made | true).sum())
    assert np.mean(local) > 0.78, np.round(local, 3)
    # Nor does a stub of that outline stand off the arm as it swings (the bone's layer drew the
    # stretch of outline the arm was drawn along, turned with the arm): ink more than 2 px from
    # any true ink round the shoulder, 124 px over the three frames with the stub, 61 without.
    stray = 0
    for i, t in enumerate(times):
        x, y = (int(v) for v in make_samples.figure_joints(t)["shoulder"])
        box = (slice(y - 20, y + 40), slice(x - 20, x + 30))
        true = cv2.dilate((_darkness(make_samples.figure(t)) > 0.4).astype(np.uint8), np.ones((5, 5), np.uint8))
        stray += int(((_darkness(frames[i]) > 0.4) & (true == 0))[box].sum())
    assert stray < 90, stray
    # The leg is one solid stroke through the knee, where its two bones meet: no pale seam across it
    # (their soft edges were kept as the larger, not added up) and no wedge of paper on the bend's
    # outside (each bone now also draws the ink about the joint). Darkest-path darkness along the
    # middle of the leg within 6 px either side of the knee: 0.40 - 0.68 before, over 0.8 now.
    for i, t in enumerate(times):
        joints = {k: np.array(v, np.float32) for k, v in make_samples.figure_joints(t).items()}
        dark = _darkness(frames[i]).astype(np.float32)
        through = []
        for end in (joints["hip"], joints["ankle"]):
            way = (end - joints["knee"]) / np.hypot(*(end - joints["knee"]))
            for s in np.arange(0.0, 6.0, 0.25):
                x, y = joints["knee"] + s * way
                through.append(float(cv2.getRectSubPix(dark, (1, 1), (float(x), float(y)))[0, 0]))
        assert min(through) > 0.75, (t, round(min(through), 2))


def test_the_status_bar_names_the_limbs_found():
    shoulder, hand = _paths()
    request = TweenRequest(_key(0.0), _key(1.0), (0.5,),
                           paths=(MotionPath(shoulder.curve, name="shoulder"), MotionPath(hand.curve, name="hand")))
    notes = [item.message for item in FlowEngine().tween(request) if isinstance(item, Progress) and item.note]
    assert notes == ["line art: 1 limb between paths (shoulder–hand)"]  # said again when the job is done
