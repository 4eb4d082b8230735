"""Flat-paint region matching (flowlib/regions.py) and what it buys the flow engine on cartoons."""

from __future__ import annotations

import cv2
import numpy as np

from inbetweener.engines.base import TweenFrame, TweenRequest
from inbetweener.engines.flow import FlowEngine
from inbetweener.engines.flowlib.regions import region_motion, shape_matches

BODY = (240, 180, 40, 255)   # grey 182: the same grey as the sky behind it
HEAD = (250, 210, 170, 255)
INK = (30, 20, 10, 255)


def region_seeds(rgb_a: np.ndarray, rgb_b: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The seed flows A->B and B->A region matching gives the flow, or None."""
    motion = region_motion(rgb_a, rgb_b)
    return None if motion is None else (motion.seed_ab, motion.seed_ba)


def _sky(h: int, w: int) -> np.ndarray:
    sky = np.zeros((h, w, 4), np.uint8)
    sky[..., 0] = sky[..., 1] = np.linspace(120, 220, h).astype(np.uint8)[:, None]
    sky[..., 2:] = (250, 255)
    return sky


def _character(image: np.ndarray, centre: tuple[float, float], angle: float, size: int = 1) -> np.ndarray:
    """A flat-painted figure (body, head, an arm drawn on from the body's outline, ink outlines),
    turned by `angle` degrees, `size` times the small one."""
    out = image.copy()
    turn = cv2.getRotationMatrix2D((0, 0), angle, 1.0)

    def at(x: float, y: float) -> tuple[int, int]:
        p = turn @ np.array([x * size, y * size, 1.0])
        return round(centre[0] + p[0]), round(centre[1] + p[1])

    ink = 2 + (size > 1)
    cv2.ellipse(out, at(0, 0), (18 * size, 28 * size), -angle, 0, 360, BODY, -1, cv2.LINE_AA)
    cv2.ellipse(out, at(0, 0), (18 * size, 28 * size), -angle, 0, 360, INK, ink, cv2.LINE_AA)
    cv2.circle(out, at(0, -40), 13 * size, HEAD, -1, cv2.LINE_AA)
    cv2.circle(out, at(0, -40), 13 * size, INK, ink, cv2.LINE_AA)
    cv2.line(out, at(15, -10), at(38, -30), INK, 4 * size - (size > 1), cv2.LINE_AA)
    return out


def _on_arm(centre: tuple[float, float], angle: float, size: int) -> np.ndarray:
    """A point two thirds out along the figure's arm."""
    turn = cv2.getRotationMatrix2D((0, 0), angle, 1.0)
    return np.array(centre) + turn @ np.array([30.0 * size, -23.0 * size, 1.0])


def _mask(image: np.ndarray, colour: tuple[int, ...]) -> np.ndarray:
    return np.abs(image[..., :3].astype(int) - colour[:3]).max(axis=2) <= 12


def test_region_seeds_carry_each_flat_shape_by_its_own_displacement():
    h, w = 120, 200
    a, b = np.full((h, w, 3), 230, np.uint8), np.full((h, w, 3), 230, np.uint8)
    cv2.rectangle(a, (20, 30), (50, 60), (200, 40, 40), -1)
    cv2.rectangle(b, (120, 40), (150, 70), (200, 40, 40), -1)   # moved (100, 10)
    cv2.circle(a, (60, 95), 12, (40, 40, 200), -1)
    cv2.circle(b, (80, 90), 12, (40, 40, 200), -1)             # moved (20, -5)
    seeds = region_seeds(a, b)
    assert seeds is not None
    seed_ab, seed_ba = seeds
    assert np.allclose(seed_ab[45, 35], (100, 10), atol=0.5)
    assert np.allclose(seed_ab[95, 60], (20, -5), atol=0.5)
    assert np.allclose(seed_ba[55, 135], (-100, -10), atol=0.5)
    assert np.allclose(seed_ab[5, 190], (0, 0), atol=0.5)      # the backdrop stays put


def _assert_squashed_by(factor: float, seed: np.ndarray, points, centre_a, centre_b, atol: float) -> None:
    """Each point of A lands `factor` times as far from B's centre across and 1/factor as far down."""
    for x, y in points:
        lands = np.array((x, y)) + seed[y, x]
        expected = (centre_b[0] + (x - centre_a[0]) * factor, centre_b[1] + (y - centre_a[1]) / factor)
        assert np.allclose(lands, expected, atol=atol), (x, y, lands, expected)


def test_region_seeds_squash_a_disc_into_the_ellipse_it_becomes():
    # Squash and stretch: a round disc lands as an ellipse 1.3x as wide and as much flatter. Each
    # axis is scaled to its partner's length (a plain scale from the areas would keep it round).
    h, w = 160, 260
    a, b = np.full((h, w, 3), 230, np.uint8), np.full((h, w, 3), 230, np.uint8)
    cv2.circle(a, (60, 60), 30, (200, 40, 40), -1)
    cv2.ellipse(b, (180, 100), (39, 23), 0, 0, 360, (200, 40, 40), -1)
    seed_ab, _ = region_seeds(a, b)
    # 25 px right, left, up and down of the centre
    _assert_squashed_by(1.3, seed_ab, ((85, 60), (35, 60), (60, 40), (60, 80)), (60, 60), (180, 100), 1.0)


def test_an_ink_outline_moves_by_the_map_of_the_shape_it_encloses():
    # The outline ring is flat paint too, but its moments are spread by arc length: by its own
    # moments a squashing ring was mapped 7 px off; shared with the backdrop, its outer half stayed.
    h, w = 200, 320
    a, b = np.full((h, w, 3), 230, np.uint8), np.full((h, w, 3), 230, np.uint8)
    cv2.circle(a, (70, 70), 40, (200, 40, 40), -1)
    cv2.circle(a, (70, 70), 40, (30, 20, 10), 3)
    cv2.ellipse(b, (220, 120), (52, 31), 0, 0, 360, (200, 40, 40), -1)
    cv2.ellipse(b, (220, 120), (52, 31), 0, 0, 360, (30, 20, 10), 3)
    seed_ab, _ = region_seeds(a, b)
    # on the outline: right, left, top, bottom
    _assert_squashed_by(1.3, seed_ab, ((110, 70), (30, 70), (70, 30), (70, 110)), (70, 70), (220, 120), 1.5)


def test_a_shape_that_grows_is_matched_by_its_proportions_not_its_size():
    # A head drawn 1.6x larger in the next key (a character coming closer): the size change is
    # the area term's to weigh; counted again as a change of shape, the pair went unmatched.
    h, w = 160, 260
    a, b = np.full((h, w, 3), 230, np.uint8), np.full((h, w, 3), 230, np.uint8)
    cv2.ellipse(a, (70, 80), (20, 14), 0, 0, 360, (250, 210, 170), -1)
    cv2.ellipse(b, (170, 70), (32, 22), 0, 0, 360, (250, 210, 170), -1)
    seeds = region_seeds(a, b)
    assert seeds is not None
    for x, y in ((70, 80), (85, 80), (70, 70)):
        lands = np.array((x, y)) + seeds[0][y, x]
        assert np.allclose(lands, (170 + (x - 70) * 1.6, 70 + (y - 80) * 1.6), atol=1.5), (x, y, lands)


def test_a_shape_with_a_dot_at_its_centre_is_still_a_shape():
    # Its centroid falls in the dot, not in the shape, as a ring's does; but it is no ring (the
    # bundled star sample has such a dot), and it must be matched and carried.
    h, w = 120, 220
    a, b = np.full((h, w, 3), 230, np.uint8), np.full((h, w, 3), 230, np.uint8)
    for image, x in ((a, 50), (b, 150)):
        cv2.circle(image, (x, 60), 26, (250, 200, 40), -1)
        cv2.circle(image, (x, 60), 6, (150, 80, 10), -1)
    seeds = region_seeds(a, b)
    assert seeds is not None
    assert np.allclose(seeds[0][60, 50 + 17], (100, 0), atol=0.5)
    assert np.allclose(seeds[0][60 - 17, 50], (100, 0), atol=0.5)


def test_the_only_shape_of_its_colour_is_matched_even_when_it_grows_and_travels_far():
    # A star that comes closer while crossing the frame (the bundled sample) costs more than a
    # shape that merely moves; with no rival of its colour in either key, it is still the same one.
    h, w = 384, 512
    a, b = np.full((h, w, 3), 230, np.uint8), np.full((h, w, 3), 230, np.uint8)
    cv2.circle(a, (100, 260), 20, (250, 200, 40), -1)
    cv2.circle(b, (350, 130), 34, (250, 200, 40), -1)
    seeds = region_seeds(a, b)
    assert seeds is not None
    assert np.allclose(np.array((110, 260)) + seeds[0][260, 110], (350 + 17, 130), atol=1.0)


def test_region_seeds_give_nothing_for_texture():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 255, (96, 128, 3), dtype=np.uint8)
    assert region_seeds(a, np.roll(a, 9, axis=1)) is None


def test_flat_character_that_moves_and_turns_stays_whole():
    # A flat figure crossing 100 px of a 256 px sky while turning 30 degrees: without region
    # matches the head was left behind, and motion chosen by a chance match of sky in both keys
    # cut the body into pieces.
    sky = _sky(192, 256)
    a = _character(sky, (70, 110), 0.0)
    b = _character(sky, (170, 100), 30.0)
    frames = [f.image for f in FlowEngine().tween(TweenRequest(a, b, (0.25, 0.5, 0.75)))
              if isinstance(f, TweenFrame)]
    for t, frame in zip((0.25, 0.5, 0.75), frames, strict=True):
        for colour in (BODY, HEAD):
            want, got = _mask(a, colour), _mask(frame, colour)
            # Straight-line motion makes a turning shape about cos^2(turn/2) of its area mid-way
            # (0.93 here); below that, paint is missing.
            assert 0.8 * want.sum() <= got.sum() <= 1.15 * want.sum()
        body = _mask(frame, BODY)
        ys, xs = np.nonzero(body)
        assert abs(xs.mean() - (70 + 100 * t)) <= 6
        # one piece: the body's largest connected part holds nearly all of it
        _, labels, stats, _ = cv2.connectedComponentsWithStats(body.astype(np.uint8))
        assert stats[1:, cv2.CC_STAT_AREA].max() >= 0.95 * body.sum()


def test_line_art_is_not_matched_as_paint_regions(monkeypatch):
    # Paper between strokes is alike everywhere: matched by chance, it once threw an ink sprite on a
    # path 112 px off in bench/paths.py.
    from inbetweener.engines import flow as flow_module

    def refuse(*_):
        raise AssertionError("region matching ran on line art")

    monkeypatch.setattr(flow_module, "region_motion", refuse)
    monkeypatch.setattr("inbetweener.engines.flowlib.regions.shape_matches", refuse)  # (the autopilot's)
    a = np.full((96, 128, 4), 255, np.uint8)
    b = a.copy()
    cv2.circle(a, (40, 48), 14, (0, 0, 0, 255), 2, cv2.LINE_AA)
    cv2.circle(b, (80, 48), 14, (0, 0, 0, 255), 2, cv2.LINE_AA)
    frames = [f for f in FlowEngine().tween(TweenRequest(a, b, (0.5,))) if isinstance(f, TweenFrame)]
    assert len(frames) == 1


def test_a_figure_leaves_no_trace_where_it_stood_on_the_ground():
    # Sky uncovered at a figure's feet has no partner in the other key; the flow slides it along
    # the flat sky, and the fill used to pick the figure's motion for it (ground, its nearest
    # trusted neighbour, looks even less like sky), leaving a ghost of the feet where it stood.
    h, w = 192, 256
    rng = np.random.default_rng(5)
    back = _sky(h, w)
    blades = cv2.GaussianBlur((rng.random((h - 140, w)) * 60 + 100).astype(np.uint8), (0, 0), 1.5)
    back[140:, :, :3] = np.dstack([np.full_like(blades, 30), blades, np.full_like(blades, 30)])
    a = _character(back, (60, 112), 0.0)   # the body's bottom rests on the ground line
    b = _character(back, (170, 112), 5.0)
    frame = [f.image for f in FlowEngine().tween(TweenRequest(a, b, (0.5,))) if isinstance(f, TweenFrame)][0]
    for x0 in (60, 170):  # where it stood in A, and where it will stand in B
        feet = (slice(118, 142), slice(x0 - 22, x0 + 22))
        error = np.abs(frame[feet][..., :3].astype(int) - back[feet][..., :3]).max(axis=2)
        assert np.percentile(error, 99) <= 16, (x0, np.percentile(error, 99))  # was 119


def test_an_arm_drawn_as_one_stroke_with_the_outline_turns_with_its_figure():
    # A 7 px ink arm drawn on from the body's outline: together they are a ring that
    # matches nothing. Cut free of the outline the arm is a shape of its own, matched and turned;
    # before, its seed stayed put and flow lost the arm mid-way.
    sky = _sky(384, 512)
    a, b = _character(sky, (130, 220), 0.0, size=2), _character(sky, (330, 200), 30.0, size=2)
    seed_ab, _ = region_seeds(a[..., :3], b[..., :3])
    x, y = np.round(_on_arm((130, 220), 0.0, 2)).astype(int)
    lands = np.array((x, y)) + seed_ab[y, x]
    assert np.hypot(*(lands - _on_arm((330, 200), 30.0, 2))) <= 2.0, lands


def test_a_turning_shape_turns_along_an_arc_and_keeps_its_length():
    # A flat bar turns 60 degrees while it moves. Straight-line motion would take its ends along
    # the chord: mid-way it would have turned 30 degrees but shrunk to cos(30) = 0.87 of its length.
    sky = _sky(240, 320)

    def bar(centre: tuple[float, float], angle: float) -> np.ndarray:
        out = sky.copy()
        box = cv2.boxPoints(((centre[0], centre[1]), (120, 16), -angle))  # counter-clockwise on screen
        cv2.fillConvexPoly(out, np.round(box).astype(np.int32), BODY, cv2.LINE_AA)
        return out

    a, b = bar((110, 120), 0.0), bar((200, 120), 60.0)
    frame = [f.image for f in FlowEngine().tween(TweenRequest(a, b, (0.5,))) if isinstance(f, TweenFrame)][0]

    def length_and_angle(image: np.ndarray) -> tuple[float, float]:
        ys, xs = np.nonzero(_mask(image, BODY))
        cov = np.cov(np.stack([xs, ys]).astype(float))
        values, vectors = np.linalg.eigh(cov)
        major = vectors[:, 1]
        return float(np.sqrt(12 * values[1])), float(np.degrees(np.arctan2(-major[1], major[0])) % 180)

    length_a, _ = length_and_angle(a)
    length, angle = length_and_angle(frame)
    assert length >= 0.95 * length_a, (length, length_a)
    assert abs(angle - 30.0) <= 3.0, angle


def _growing_figure(sky: np.ndarray, centre: tuple[float, float], scale: float) -> np.ndarray:
    """A flat body and head with ink outlines, `scale` times their size, about the body's centre."""
    out = sky.copy()
    cx, cy = centre
    cv2.ellipse(out, (round(cx), round(cy)), (round(22 * scale), round(34 * scale)), 0, 0, 360, BODY, -1, cv2.LINE_AA)
    cv2.ellipse(out, (round(cx), round(cy)), (round(22 * scale), round(34 * scale)), 0, 0, 360, INK, 2, cv2.LINE_AA)
    head = (round(cx), round(cy - 48 * scale))
    cv2.circle(out, head, round(16 * scale), HEAD, -1, cv2.LINE_AA)
    cv2.circle(out, head, round(16 * scale), INK, 2, cv2.LINE_AA)
    return out


def test_shape_matches_offer_a_shape_that_grows_and_travels_far():
    # The head of a figure coming closer: 1.56 times as large and 42 px higher, on paint of its own.
    sky = _sky(240, 320)
    a, b = _growing_figure(sky, (160, 170), 0.8), _growing_figure(sky, (160, 150), 1.25)
    src, dst = shape_matches(a[..., :3], b[..., :3])
    head = np.hypot(*(src - (160, 170 - 48 * 0.8)).T).argmin()
    assert np.allclose(src[head], (160, 170 - 48 * 0.8), atol=1.0)
    assert np.allclose(dst[head], (160, 150 - 48 * 1.25), atol=1.0)


def test_shape_matches_leave_out_what_may_have_stayed_and_look_alikes():
    h, w = 160, 320
    a, b = np.full((h, w, 3), 230, np.uint8), np.full((h, w, 3), 230, np.uint8)
    # A disc that shrinks where it stands while another grows where it stands, or the big one
    # moving across: the keys cannot tell, and a path across would pin the wrong story.
    for image, (left, right) in ((a, (30, 12)), (b, (12, 30))):
        cv2.circle(image, (50, 50), left, (40, 40, 200), -1)
        cv2.circle(image, (250, 50), right, (40, 40, 200), -1)
    assert region_seeds(a, b) is not None  # (the seed may take it: fusion checks it per pixel)
    assert len(shape_matches(a, b)[0]) == 0
    # Twin discs that both move: matched by place alone.
    a, b = np.full((h, w, 3), 230, np.uint8), np.full((h, w, 3), 230, np.uint8)
    for image, x in ((a, 60), (b, 200)):
        cv2.circle(image, (x, 40), 20, (200, 40, 40), -1)
        cv2.circle(image, (x, 120), 20, (200, 40, 40), -1)
    assert len(shape_matches(a, b)[0]) == 0
    # Alone, one of them is offered.
    a[100:, :], b[100:, :] = 230, 230
    src, dst = shape_matches(a, b)
    assert np.allclose(src, [(60, 40)], atol=0.5) and np.allclose(dst, [(200, 40)], atol=0.5)


def test_a_figure_that_grows_and_rises_keeps_its_head_whole_without_paths():
    # Region seeds alone left the head torn (its outline drawn twice, at 31.2 dB in bench/cartoon.py);
    # the autopilot's path on it carries the head as one shape (33.6 dB).
    sky = _sky(240, 320)
    a, b = _growing_figure(sky, (160, 170), 0.8), _growing_figure(sky, (160, 150), 1.25)
    truth = _growing_figure(sky, (160, 160), 1.025)
    frame = next(f.image for f in FlowEngine().tween(TweenRequest(a, b, (0.5,))) if isinstance(f, TweenFrame))
    want, got = _mask(truth, HEAD), _mask(frame, HEAD)
    assert (want & got).sum() >= 0.9 * (want | got).sum()
    ink_want, ink_got = _mask(truth, INK), _mask(frame, INK)
    assert (ink_want & ink_got).sum() >= 0.6 * (ink_want | ink_got).sum()
