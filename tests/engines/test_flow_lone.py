"""Line art: strokes only one key has are drawn whole, growing or shrinking (flowlib/lone.py)."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from inbetweener.engines.base import Progress, TweenFrame, TweenRequest
from inbetweener.engines.flow import FlowEngine
from inbetweener.engines.flowlib.lone import _spine

SIZE = (240, 320)  # h, w
PAPER = (245, 242, 235)
INK = (25, 25, 30)
SHIFT = 12  # px the drawing both keys share moves right


def _key(shift: float, circles: list[tuple[tuple[int, int], int]]) -> np.ndarray:
    canvas = np.full(SIZE + (3,), PAPER, np.uint8)
    cv2.rectangle(canvas, (40 + round(shift), 60), (150 + round(shift), 180), INK, 2, cv2.LINE_AA)
    cv2.line(canvas, (60 + round(shift), 90), (130 + round(shift), 150), INK, 2, cv2.LINE_AA)
    for centre, radius in circles:
        cv2.circle(canvas, centre, radius, INK, 2, cv2.LINE_AA)
    return np.dstack([canvas, np.full(SIZE, 255, np.uint8)])


def _frames(a: np.ndarray, b: np.ndarray, times: tuple[float, ...], **options) -> list[np.ndarray]:
    request = TweenRequest(a, b, times, options={"line_art": "on", **options})
    return [f.image for f in FlowEngine().tween(request) if isinstance(f, TweenFrame)]


def _ring(frame: np.ndarray, centre: tuple[float, float], radius: float) -> np.ndarray:
    """Darkest value (0 paper .. 1 ink) within 1 px of each of 72 points round a circle."""
    dark = 1.0 - cv2.cvtColor(frame[..., :3], cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    out = []
    for angle in np.radians(np.arange(0, 360, 5)):
        x, y = (int(round(c + radius * f(angle))) for c, f in zip(centre, (math.cos, math.sin), strict=True))
        out.append(dark[y - 1:y + 2, x - 1:x + 2].max())
    return np.array(out)


def _ink_centre(frame: np.ndarray, box: tuple[int, int, int, int]) -> tuple[float, float]:
    """Mean position (x, y) of the ink (darkness over 0.5) within box (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = box
    dark = 1.0 - cv2.cvtColor(frame[y0:y1, x0:x1, :3], cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    ys, xs = np.nonzero(dark > 0.5)
    assert xs.size, "no ink there"
    return x0 + float(xs.mean()), y0 + float(ys.mean())


def _line_widths(frame: np.ndarray, centre: tuple[float, float], radii: np.ndarray) -> list[float]:
    """Px of ink (darkness over 0.5) along 12 rays from centre, sampled every half px over radii."""
    dark = 1.0 - cv2.cvtColor(frame[..., :3], cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    widths = []
    for angle in np.radians(np.arange(0, 360, 30)):
        along = [dark[int(round(centre[1] + r * math.sin(angle))), int(round(centre[0] + r * math.cos(angle)))]
                 for r in radii]
        widths.append(0.5 * np.sum(np.array(along) > 0.5))
    return widths


NEAR_CIRCLE = (200, 30, 300, 130)  # x0, y0, x1, y1 round the circle below


@pytest.mark.parametrize("options", [{}, {"max_flow_size": 200}, {"quality": "fast"}])
@pytest.mark.parametrize("drawn_at", ["A", "B"])
def test_a_circle_only_one_key_has_grows_from_its_middle_whole_and_solid(options, drawn_at):
    # The circle has nothing to match in the other key: warped by the fill's motion, which varies
    # along it, it came apart (at t = 0.75 a quarter of it was drawn). Then it was drawn whole but
    # faded in: a grey ghost of a line. Now it grows (or shrinks) about its middle at full ink:
    # none by the middle, half its size a quarter of the way on.
    circle = ((250, 80), 28)
    a, b = _key(0, [circle] if drawn_at == "A" else []), _key(SHIFT, [circle] if drawn_at == "B" else [])
    times = (0.75, 0.25) if drawn_at == "A" else (0.25, 0.75)
    without, half_grown = _frames(a, b, times, **options)
    assert _ring(without, *circle).max() < 0.15
    x0, y0, x1, y1 = NEAR_CIRCLE
    assert (cv2.cvtColor(without[y0:y1, x0:x1, :3], cv2.COLOR_RGB2GRAY) > 200).all()  # nothing there yet
    centre = _ink_centre(half_grown, NEAR_CIRCLE)
    assert math.dist(centre, circle[0]) < 5.0, centre  # it moves with its surroundings (3 px)
    ring = _ring(half_grown, centre, 14)
    assert ring.min() > 0.6, ring.round(2)  # one solid line, all round
    assert _ring(half_grown, centre, 28).max() < 0.15


def test_a_circle_just_begun_keeps_its_line_width():
    # At t = 0.6 the circle is a fifth of its size: shrunk with it, its line was a fifth as wide
    # and broke up; its line is as wide as the key drew it (3.5 px along a ray).
    circle = ((250, 80), 28)
    a, b = _key(0, []), _key(SHIFT, [circle])
    (begun,) = _frames(a, b, (0.6,))
    centre = _ink_centre(begun, NEAR_CIRCLE)
    assert _ring(begun, centre, 5.6).min() > 0.6
    widths = _line_widths(begun, centre, np.arange(2.0, 12.0, 0.5))
    assert 2.5 <= np.median(widths) <= 4.5, widths
    assert min(widths) >= 2.0, widths


def test_a_mark_drawn_much_bigger_in_the_second_key_grows():
    # A small ring in key A, a big one round the same place in key B: too far apart for the flow
    # to match any of either. Half-way it is one ring between the two (none was whole before),
    # drawn from key B's, the bigger drawing.
    centre = (250, 120)
    a, b = _key(0, [(centre, 8)]), _key(SHIFT, [(centre, 36)])
    (middle,) = _frames(a, b, (0.5,))
    between = _ring(middle, centre, 22)
    assert between.min() > 0.5, between.round(2)
    assert _ring(middle, centre, 36).max() < 0.3


def test_a_straight_line_only_one_key_has_grows_in_length_not_width():
    # A thick line's box is no taller than the line: scaled whole, it thinned as it grew.
    b = _key(SHIFT, [])
    cv2.line(b, (230, 80), (290, 80), (*INK, 255), 5)

    def inked(frame: np.ndarray) -> np.ndarray:
        return cv2.cvtColor(frame[60:100, 200:320, :3], cv2.COLOR_RGB2GRAY) < 128

    (half,) = _frames(_key(0, []), b, (0.75,))
    drawn, true = inked(half), inked(b)
    assert drawn.any(axis=0).sum() in range(26, 38), drawn.any(axis=0).sum()  # about half as long
    assert abs(int(drawn.sum(axis=0).max()) - int(true.sum(axis=0).max())) <= 1  # as thick as drawn


def test_a_filled_blob_only_one_key_has_grows_with_its_size():
    # A line keeps its width as it grows, but a blob's "line" is all of it: it grows from a dot.
    b = _key(SHIFT, [])
    cv2.circle(b, (250, 80), 12, (*INK, 255), -1)
    quarter, late = _frames(_key(0, []), b, (0.75, 0.95))
    x0, y0, x1, y1 = NEAR_CIRCLE
    full = int((cv2.cvtColor(b[y0:y1, x0:x1, :3], cv2.COLOR_RGB2GRAY) < 128).sum())
    areas = [int((cv2.cvtColor(f[y0:y1, x0:x1, :3], cv2.COLOR_RGB2GRAY) < 128).sum()) / full for f in (quarter, late)]
    assert 0.15 < areas[0] < 0.45 and areas[1] > 0.75, areas


def test_on_a_transparent_layer_the_circle_grows_in_by_its_alpha():
    def on_transparency(key: np.ndarray) -> np.ndarray:
        ink = 255.0 - key[..., :3].mean(axis=2)
        out = np.zeros_like(key)
        out[..., :3] = INK
        out[..., 3] = np.clip((ink - 15.0) * 255.0 / 215.0, 0, 255).astype(np.uint8)
        return out

    circle = ((250, 80), 28)
    a, b = on_transparency(_key(0, [])), on_transparency(_key(SHIFT, [circle]))
    early, late = _frames(a, b, (0.25, 0.75))
    # Alpha as darkness: over white, the ring's strength.
    over_white = [np.dstack([255 - f[..., 3]] * 3 + [np.full(f.shape[:2], 255, np.uint8)]) for f in (early, late)]
    assert _ring(over_white[0], *circle).max() < 0.15
    centre = _ink_centre(over_white[1], NEAR_CIRCLE)
    ring = _ring(over_white[1], centre, 14)
    assert ring.min() > 0.6, ring.round(2)
    assert (late[..., :3][late[..., 3] > 128] < 60).all()  # its colour is the ink's


def test_a_mark_resized_as_it_grows_keeps_its_line_width():
    # At t = 0.25 the ring is half as big as key B's (stretched 1.9 times from key A's). Measured
    # along rays from its centre, the keys' rings are 3.5 px of ink; stretched from A's with it,
    # the line came out 5.25 px wide and soft (3.5 now).
    centre = (250, 120)
    a, b = _key(0, [(centre, 8)]), _key(SHIFT, [(centre, 36)])
    (early,) = _frames(a, b, (0.25,))
    widths = _line_widths(early, centre, np.arange(5.0, 30.0, 0.5))
    assert 2.0 <= np.median(widths) <= 4.5, widths


def test_a_ring_redrawn_bigger_that_the_flow_half_follows_grows_whole():
    # The flow matched part of the small ring to part of the big one; the rest had no partner.
    # Only that half was drawn, the rest came apart (darkest point round the ring 0.05).
    centre = (250, 120)
    a, b = _key(0, [(centre, 14)]), _key(SHIFT, [(centre, 40)])
    for t, frame in zip((0.25, 0.5, 0.75), _frames(a, b, (0.25, 0.5, 0.75)), strict=True):
        ring = _ring(frame, centre, 14 + t * 26)
        assert ring.min() > 0.5, (t, ring.round(2))


def test_a_stroke_coming_into_the_picture_grows_from_the_frame_edge():
    # A line only key B has, cut by the left edge, grew about the middle of what the frame shows
    # of it: half-way to B it floated in mid-air, clear of the edge it comes in from.
    a = _key(0, [])
    paper = np.ascontiguousarray(_key(SHIFT, [])[..., :3])
    cv2.line(paper, (0, 215), (90, 215), INK, 3, cv2.LINE_AA)
    b = np.dstack([paper, a[..., 3]])
    (frame,) = _frames(a, b, (0.75,))
    dark = 1.0 - cv2.cvtColor(frame[..., :3], cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    inked = np.flatnonzero(dark[211:220].max(axis=0) > 0.5)
    assert inked.size and inked.min() <= 1 and 40 <= inked.max() <= 50, inked


@pytest.mark.parametrize(("circles_a", "circles_b", "said"), [
    ([], [((250, 80), 28)], ["line art: 1 stroke only the second key has grows in"]),
    ([((250, 80), 28), ((60, 210), 12)], [], ["line art: 2 strokes only the first key has shrink away"]),
    ([((250, 120), 14)], [((250, 120), 40)], ["line art: 1 stroke drawn at another size changes size"]),
    ([], [], []),
])
def test_the_animator_is_told_which_strokes_grow_rather_than_move(circles_a, circles_b, said):
    # Such a stroke does not travel with the drawing: an animator who sees it grow in should know
    # the engine chose that (it found no partner), and the note outlasts the job's progress text.
    request = TweenRequest(_key(0, circles_a), _key(SHIFT, circles_b), (0.5,), options={"line_art": "on"})
    notes = [item.message for item in FlowEngine().tween(request) if isinstance(item, Progress) and item.note]
    assert notes == said


@pytest.mark.parametrize("thickness", [1, 3, 5])
def test_a_strokes_middle_line_is_as_long_as_the_stroke(thickness):
    # Its length sets how wide the line is drawn when it is shrunk (its ink over its length).
    ring = np.zeros((90, 90), np.uint8)
    cv2.circle(ring, (45, 45), 30, 1, thickness)
    (rows, cols), length = _spine(ring.astype(bool))
    assert abs(length - 2 * math.pi * 30) < 0.1 * 2 * math.pi * 30, length  # (1 px wide: within 1%)
    assert np.allclose(np.hypot(rows - 45, cols - 45), 30, atol=1.5)  # along the middle of the line
    line = np.zeros((40, 90), np.uint8)
    cv2.line(line, (10, 20), (80, 20), 1, thickness)
    _, length = _spine(line.astype(bool))
    assert abs(length - 70) <= 7 + thickness, length


def test_a_mark_thinning_wears_away_keeps_a_middle():
    # Thinning (Zhang & Suen) erases a 2 x 2 block whole; the mark must still be drawn.
    (rows, cols), _ = _spine(np.ones((2, 2), bool))
    assert rows.size >= 1 and 0 <= rows[0] <= 1 and 0 <= cols[0] <= 1
