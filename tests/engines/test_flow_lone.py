"""Line art: strokes only one key has are drawn whole (flowlib/lone.py)."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from inbetweener.engines.base import TweenFrame, TweenRequest
from inbetweener.engines.flow import FlowEngine

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


@pytest.mark.parametrize("options", [{}, {"max_flow_size": 200}, {"quality": "fast"}])
def test_a_circle_only_the_second_key_has_fades_in_whole(options):
    # The circle has nothing to match in key A: warped by the fill's motion, which varies along it,
    # it came apart: at t = 0.75 a quarter of it was drawn, the rest was missing.
    circle = ((250, 80), 28)
    a, b = _key(0, []), _key(SHIFT, [circle])
    early, late = _frames(a, b, (0.25, 0.75), **options)
    assert _ring(early, *circle).max() < 0.15  # not yet
    ring = _ring(late, *circle)
    assert ring.min() > 0.35, ring.round(2)          # there, all round: one stroke
    assert ring.max() - ring.min() < 0.2, ring.round(2)  # fading in evenly


def test_a_mark_drawn_much_bigger_in_the_second_key_grows():
    # A small ring in key A, a big one round the same place in key B: too far apart for the flow
    # to match any of either. Half-way it is one ring between the two (none was whole before),
    # drawn from key B's, the nearer at t = 0.5.
    centre = (250, 120)
    a, b = _key(0, [(centre, 8)]), _key(SHIFT, [(centre, 36)])
    (middle,) = _frames(a, b, (0.5,))
    between = _ring(middle, centre, 22)
    assert between.min() > 0.5, between.round(2)
    assert _ring(middle, centre, 36).max() < 0.3


def test_on_a_transparent_layer_the_circle_fades_in_by_its_alpha():
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
    ring = _ring(over_white[1], *circle)
    assert ring.min() > 0.35 and ring.max() - ring.min() < 0.2, ring.round(2)


def test_a_mark_stretched_as_it_grows_keeps_its_line_width():
    # Before the middle the small ring is drawn from key A, stretched 1.9 times. Measured along
    # rays from its centre, the keys' rings are 3.5 px of ink; stretched with it, the line came
    # out 5.25 px wide and soft (4.0 now).
    centre = (250, 120)
    a, b = _key(0, [(centre, 8)]), _key(SHIFT, [(centre, 36)])
    (early,) = _frames(a, b, (0.25,))
    dark = 1.0 - cv2.cvtColor(early[..., :3], cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    widths = []
    for angle in np.radians(np.arange(0, 360, 30)):
        along = [dark[int(round(centre[1] + r * math.sin(angle))), int(round(centre[0] + r * math.cos(angle)))]
                 for r in np.arange(5.0, 30.0, 0.5)]
        widths.append(0.5 * np.sum(np.array(along) > 0.5))  # px of the ray on ink
    assert 2.0 <= np.median(widths) <= 4.5, widths


def test_a_ring_redrawn_bigger_that_the_flow_half_follows_grows_whole():
    # The flow matched part of the small ring to part of the big one; the rest had no partner.
    # Only that half was drawn, the rest came apart (darkest point round the ring 0.05).
    centre = (250, 120)
    a, b = _key(0, [(centre, 14)]), _key(SHIFT, [(centre, 40)])
    for t, frame in zip((0.25, 0.5, 0.75), _frames(a, b, (0.25, 0.5, 0.75)), strict=True):
        ring = _ring(frame, centre, 14 + t * 26)
        assert ring.min() > 0.5, (t, ring.round(2))

