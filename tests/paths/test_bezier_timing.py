"""Property tests for the Bézier and timing maths (hypothesis)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inbetweener.model import MotionPath
from inbetweener.paths import PRESETS, BezierChain, Timing

# IB_HYPOTHESIS_EXAMPLES=500 for a deeper search by hand; the suite keeps it quick.
FAST = settings(max_examples=int(os.environ.get("IB_HYPOTHESIS_EXAMPLES", "40")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
coord = st.floats(-2000, 2000, allow_nan=False, allow_infinity=False)
point = st.tuples(coord, coord)
unit = st.floats(0.0, 1.0, allow_nan=False)


@st.composite
def chains(draw, max_segments: int = 3) -> BezierChain:
    n = draw(st.integers(1, max_segments))
    return BezierChain(tuple(draw(point) for _ in range(3 * n + 1)))


@st.composite
def long_chains(draw) -> BezierChain:
    """Chains whose knots are well apart, so the arc length is not dominated by rounding."""
    chain = draw(chains())
    if chain.length < 20.0:
        pts = list(chain.points)
        pts[-1] = (pts[0][0] + 300.0, pts[0][1] + 200.0)
        chain = BezierChain(tuple(pts))
    return chain


def _dense_arc(chain: BezierChain, per_segment: int = 20000) -> tuple[np.ndarray, np.ndarray]:
    """An independent, much finer arc-length table: (chain parameter, cumulative length)."""
    n = len(chain.segments)
    v = np.linspace(0.0, n, n * per_segment + 1)
    p = chain.evaluate(v)
    return v, np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(p, axis=0), axis=1))])


# -- curves -------------------------------------------------------------------------------------
@FAST
@given(chains())
def test_endpoints_exact(chain: BezierChain) -> None:
    assert tuple(chain.point_at_fraction(0.0)) == chain.start
    assert tuple(chain.point_at_fraction(1.0)) == chain.end
    for seg in chain.segments:
        assert tuple(seg.evaluate(0.0)) == seg.p0
        assert tuple(seg.evaluate(1.0)) == seg.p3
    path = MotionPath(chain, Timing.preset("ease-in-out"))
    assert tuple(path.position(0.0)) == chain.start and tuple(path.position(1.0)) == chain.end


@FAST
@given(long_chains())
def test_arc_length_spacing_uniform(chain: BezierChain) -> None:
    fractions = np.linspace(0.0, 1.0, 21)
    v = chain.parameter_at_fraction(fractions)
    dense_v, dense_len = _dense_arc(chain)
    arc = np.interp(v, dense_v, dense_len)
    steps = np.diff(arc)
    total = dense_len[-1]
    # Equal fractions -> equal arc steps (within 0.2% of the length, or 0.05 px).
    assert np.abs(steps - total / 20).max() <= max(2e-3 * total, 0.05)
    assert abs(chain.length - total) <= max(1e-3 * total, 0.05)


@FAST
@given(chains(max_segments=1), unit, st.lists(unit, min_size=1, max_size=8))
def test_split_preserves_the_curve(chain: BezierChain, u: float, samples: list[float]) -> None:
    seg = chain.segments[0]
    u = min(max(u, 0.01), 0.99)
    left, right = seg.split(u)
    a = np.asarray(samples)
    scale = 1.0 + np.abs(seg.control).max()
    np.testing.assert_allclose(left.evaluate(a), seg.evaluate(a * u), atol=1e-9 * scale)
    np.testing.assert_allclose(right.evaluate(a), seg.evaluate(u + a * (1 - u)), atol=1e-9 * scale)
    assert left.p3 == right.p0


@FAST
@given(long_chains(), st.floats(0.05, 0.95))
def test_split_at_fraction_keeps_shape_and_adds_a_knot(chain: BezierChain, s: float) -> None:
    split = chain.split_at_fraction(s)
    grid = np.linspace(0, 1, 41)
    tol = max(2e-3 * chain.length, 0.05)
    np.testing.assert_allclose(split.point_at_fraction(grid), chain.point_at_fraction(grid), atol=tol)
    if len(split.segments) == len(chain.segments) + 1:
        knots = np.asarray(split.points[::3])
        target = chain.point_at_fraction(s)
        assert np.linalg.norm(knots - target, axis=1).min() <= tol


@FAST
@given(chains(max_segments=1), st.floats(0.02, 0.98))
def test_derivative_matches_finite_difference(chain: BezierChain, u: float) -> None:
    seg = chain.segments[0]
    h = 1e-6
    numeric = (seg.evaluate(u + h) - seg.evaluate(u - h)) / (2 * h)
    scale = 1.0 + np.abs(seg.control).max()
    np.testing.assert_allclose(seg.derivative(u), numeric, atol=1e-4 * scale)


def test_straight_line_moves_uniformly() -> None:
    line = BezierChain.line((0, 0), (100, 50))
    np.testing.assert_allclose(line.point_at_fraction([0.25, 0.5]), [[25, 12.5], [50, 25]], atol=1e-6)


def test_translate_knot_carries_handles() -> None:
    chain = BezierChain(((0, 0), (1, 0), (2, 0), (3, 0), (4, 0), (5, 0), (6, 0)))
    moved = chain.translated(3, 0, 10)
    assert moved.points[2:5] == ((2, 10), (3, 10), (4, 10))
    assert moved.points[:2] == chain.points[:2] and moved.points[5:] == chain.points[5:]
    handle = chain.translated(1, 5, 5)
    assert handle.points[1] == (6, 5) and handle.points[0] == (0, 0)


def test_bad_chains_refused() -> None:
    with pytest.raises(ValueError):
        BezierChain(((0, 0), (1, 1), (2, 2)))
    with pytest.raises(ValueError):
        BezierChain(((0, 0), (1, 1), (2, 2), (float("nan"), 3)))


# -- timing -------------------------------------------------------------------------------------
def _css_reference(handles: tuple[float, float, float, float], t: np.ndarray) -> np.ndarray:
    """CSS cubic-bezier by dense sampling of the parametric curve (independent of Timing's solver)."""
    x1, y1, x2, y2 = handles
    u = np.linspace(0, 1, 400001)
    w = 1 - u
    x = 3 * w * w * u * x1 + 3 * w * u * u * x2 + u**3
    y = 3 * w * w * u * y1 + 3 * w * u * u * y2 + u**3
    return np.interp(t, x, y)


@FAST
@given(unit, unit, unit, unit)
def test_timing_monotone_and_exact_at_ends(x1: float, y1: float, x2: float, y2: float) -> None:
    timing = Timing(x1, y1, x2, y2)
    t = np.linspace(0, 1, 201)
    s = timing.progress(t)
    assert s[0] == 0.0 and s[-1] == 1.0
    assert float(timing.progress(0.0)) == 0.0 and float(timing.progress(1.0)) == 1.0
    assert np.all(np.diff(s) >= -1e-12)
    assert np.all((s >= 0) & (s <= 1))


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_match_css(name: str) -> None:
    t = np.array([0.1, 0.25, 0.5, 0.75, 0.9])
    np.testing.assert_allclose(Timing.preset(name).progress(t), _css_reference(PRESETS[name], t), atol=1e-5)


def test_preset_values_and_names() -> None:
    assert PRESETS["ease-in"] == (0.42, 0.0, 1.0, 1.0)
    assert PRESETS["ease-out"] == (0.0, 0.0, 0.58, 1.0)
    assert PRESETS["ease-in-out"] == (0.42, 0.0, 0.58, 1.0)
    assert float(Timing.preset("ease-in-out").progress(0.5)) == pytest.approx(0.5, abs=1e-9)
    assert float(Timing.preset("ease-in").progress(0.5)) == pytest.approx(0.3153, abs=1e-3)
    assert float(Timing.preset("ease-out").progress(0.5)) == pytest.approx(0.6847, abs=1e-3)
    assert float(Timing.preset("linear").progress(0.3)) == pytest.approx(0.3, abs=1e-9)
    assert Timing.parse("ease-out").name == "ease-out" and Timing.parse([0.1, 0.2, 0.3, 0.4]).name is None
    assert Timing.parse(Timing.preset("ease-in").to_json()) == Timing.preset("ease-in")


@pytest.mark.parametrize("bad", ["wobble", [0.1, 0.2, 0.3], [0.1, 0.2, 1.5, 1.0], [True, 0, 1, 1]])
def test_bad_timing(bad) -> None:
    with pytest.raises(ValueError):
        Timing.parse(bad)


@FAST
@given(long_chains(), unit, unit)
def test_path_position_follows_timing_along_arc(chain: BezierChain, x1: float, x2: float) -> None:
    timing = Timing(x1, 0.0, x2, 1.0)
    path = MotionPath(chain, timing)
    t = np.array([0.2, 0.5, 0.8])
    np.testing.assert_allclose(path.position(t), chain.point_at_fraction(timing.progress(t)), atol=1e-9)


# -- overshoot and anticipation -----------------------------------------------------------------
def test_overshoot_passes_the_mark_and_settles_back() -> None:
    timing = Timing.preset("overshoot")
    t = np.linspace(0, 1, 401)
    s = timing.progress(t)
    assert s[0] == 0.0 and s[-1] == 1.0
    assert float(timing.progress(0.0)) == 0.0 and float(timing.progress(1.0)) == 1.0
    assert s.max() > 1.05  # flies past the end...
    assert s[-2] > 1.0  # ...and is still coming back just before it lands
    assert np.all(s >= 0.0)


def test_anticipation_backs_up_before_going() -> None:
    timing = Timing.preset("anticipate")
    t = np.linspace(0, 1, 401)
    s = timing.progress(t)
    assert s[0] == 0.0 and s[-1] == 1.0
    assert s.min() < -0.05 and s[1] < 0.0
    assert np.all(s <= 1.0)


def test_back_presets_round_trip_by_name() -> None:
    for name in ("anticipate", "overshoot"):
        timing = Timing.preset(name)
        assert timing.name == name and Timing.parse(timing.to_json()) == timing
    assert PRESETS["overshoot"] == (0.34, 1.56, 0.64, 1.0)
    assert PRESETS["anticipate"] == (0.36, 0.0, 0.66, -0.56)


@pytest.mark.parametrize("handles", [(0.5, -1.0, 0.5, 2.0), (0.0, 2.0, 1.0, -1.0), (0.2, 1.7, 0.8, -0.4)])
def test_progress_handles_may_leave_zero_one(handles) -> None:
    timing = Timing(*handles)
    t = np.array([0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0])
    np.testing.assert_allclose(timing.progress(t), _css_reference(handles, t), atol=1e-5)
    assert float(timing.progress(0.0)) == 0.0 and float(timing.progress(1.0)) == 1.0


@pytest.mark.parametrize("handles, message", [
    ((0.5, -1.01, 0.5, 1.0), "y1=-1.01 must be between -1 and 2"),
    ((0.5, 0.0, 0.5, 2.5), "y2=2.5 must be between -1 and 2"),
    ((-0.1, 0.0, 0.5, 1.0), "x1=-0.1 must be between 0 and 1"),
    ((0.5, 0.0, 1.2, 1.0), "x2=1.2 must be between 0 and 1"),
    ((0.5, float("nan"), 0.5, 1.0), "y1=nan"),
])
def test_timing_handle_bounds(handles, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        Timing(*handles)


def test_position_past_the_end_goes_on_along_the_end_tangent() -> None:
    # An arc whose end tangent points down-right (from the last handle (90, 0) to the end (100, 20)).
    chain = BezierChain(((0.0, 0.0), (10.0, -40.0), (90.0, 0.0), (100.0, 20.0)))
    tangent = np.array([10.0, 20.0]) / np.hypot(10.0, 20.0)
    for extra in (0.01, 0.1, 0.3):
        p = chain.point_at_fraction(1.0 + extra)
        offset = p - np.asarray(chain.end)
        assert np.hypot(*offset) == pytest.approx(extra * chain.length, rel=1e-9)
        np.testing.assert_allclose(offset / np.hypot(*offset), tangent, atol=1e-12)
    back = np.array([10.0, -40.0]) / np.hypot(10.0, -40.0)
    p = chain.point_at_fraction(-0.2)
    np.testing.assert_allclose(p, np.asarray(chain.start) - back * 0.2 * chain.length, atol=1e-9)


def test_position_is_continuous_across_the_ends() -> None:
    chain = BezierChain(((0.0, 0.0), (10.0, -40.0), (90.0, 0.0), (100.0, 20.0)))
    step = 1e-4 * chain.length
    for s in (0.0, 1.0):
        inside = chain.point_at_fraction(s - 1e-4 if s else s + 1e-4)
        outside = chain.point_at_fraction(s + 1e-4 if s else s - 1e-4)
        # Both sides of the end sit one small step away from it: no jump, no turn back.
        for q in (inside, outside):
            assert np.hypot(*(q - chain.point_at_fraction(s))) == pytest.approx(step, rel=1e-2)
        assert np.hypot(*(outside - inside)) == pytest.approx(2 * step, rel=1e-2)


def test_degenerate_end_handle_uses_the_next_point_back() -> None:
    # The last handle sits on the end knot: the tangent there is the one from the first handle.
    chain = BezierChain(((0.0, 0.0), (0.0, 50.0), (100.0, 0.0), (100.0, 0.0)))
    offset = chain.point_at_fraction(1.5) - np.asarray(chain.end)
    direction = np.array([100.0, -50.0]) / np.hypot(100.0, -50.0)
    np.testing.assert_allclose(offset / np.hypot(*offset), direction, atol=1e-12)
    point = BezierChain(((5.0, 5.0),) * 4)
    np.testing.assert_array_equal(point.point_at_fraction(np.array([-1.0, 2.0])), [[5.0, 5.0], [5.0, 5.0]])


@FAST
@given(long_chains(), st.floats(-0.5, 1.5, allow_nan=False))
def test_inside_zero_one_nothing_changes_and_ends_are_exact(chain: BezierChain, s: float) -> None:
    p = chain.point_at_fraction(s)
    if 0.0 < s < 1.0:
        np.testing.assert_array_equal(p, chain.evaluate(chain.parameter_at_fraction(s)))
    assert tuple(chain.point_at_fraction(0.0)) == chain.start and tuple(chain.point_at_fraction(1.0)) == chain.end


def test_overshooting_path_position() -> None:
    path = MotionPath(BezierChain.line((0.0, 0.0), (100.0, 0.0)), Timing.preset("overshoot"))
    t = np.linspace(0, 1, 201)
    x = path.position(t)[:, 0]
    assert x.max() > 105.0 and x[-1] == 100.0 and x[0] == 0.0
    np.testing.assert_allclose(path.position(t)[:, 1], 0.0, atol=1e-12)
    np.testing.assert_allclose(x, 100.0 * path.timing.progress(t), atol=1e-6)
