"""Autopilot: reliable correspondences on a known transform, nothing on unrelated images."""

from __future__ import annotations

import cv2
import numpy as np

from inbetweener.match import autopilot_paths


def _texture(seed: int, h: int = 200, w: int = 260) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (h // 8, w // 8, 3), dtype=np.uint8)
    img = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    return np.dstack([img, np.full((h, w), 255, np.uint8)])


def test_recovers_rotation_and_translation_within_one_and_a_half_pixels():
    a = _texture(1)
    h, w = a.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), 8.0, 1.0)
    m[:, 2] += (9.0, -6.0)
    b = cv2.warpAffine(a, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
    paths = autopilot_paths(a, b)
    assert 4 <= len(paths) <= 8
    for p in paths:
        expected = m @ np.array([p.start[0], p.start[1], 1.0])
        assert np.hypot(*(np.array(p.end) - expected)) <= 1.5
        assert p.timing.name == "linear"
        assert np.allclose(p.position(0.5), (np.array(p.start) + np.array(p.end)) / 2)
    starts = np.array([p.start for p in paths])
    gaps = np.linalg.norm(starts[:, None] - starts[None], axis=2) + np.eye(len(paths)) * 1e9
    assert gaps.min() > 10  # well spread, not a cluster


def test_unrelated_noise_gives_nothing():
    rng = np.random.default_rng(3)
    a = np.dstack([rng.integers(0, 256, (160, 200, 3), dtype=np.uint8), np.full((160, 200), 255, np.uint8)])
    b = np.dstack([rng.integers(0, 256, (160, 200, 3), dtype=np.uint8), np.full((160, 200), 255, np.uint8)])
    assert autopilot_paths(a, b) == []
    assert autopilot_paths(_texture(5), _texture(6)) == []


def test_flat_images_and_limits():
    flat = np.full((64, 64, 4), 255, np.uint8)
    assert autopilot_paths(flat, flat) == []
    a = _texture(1)
    assert autopilot_paths(a, a, max_paths=0) == []
    assert len(autopilot_paths(a, a, max_paths=3)) <= 3


def test_repeatable():
    a = _texture(2)
    b = np.roll(a, (5, 12), axis=(0, 1))
    first = autopilot_paths(a, b)
    assert first and first == autopilot_paths(a, b)


def test_two_features_of_a_never_claim_one_of_b(make_samples):
    # The bundled figure's hands are the same little circle. The raised hand in B drew both of
    # A's hands past the ratio test (their arms join them differently), so two paths ended on
    # one point and the left arm was dragged up with the right. B's feature must find A's back.
    a, b = make_samples.figure(0.0), make_samples.figure(1.0)
    paths = autopilot_paths(a, b)
    assert len(paths) >= 3
    ends = np.array([p.end for p in paths])
    starts = np.array([p.start for p in paths])
    for i in range(len(paths)):
        for j in range(i + 1, len(paths)):
            if np.hypot(*(ends[i] - ends[j])) <= 2.0:
                assert np.hypot(*(starts[i] - starts[j])) <= 2.0, (paths[i], paths[j])


def test_points_along_a_stroke_are_edge_like_its_corner_and_a_crossing_are_not():
    # A match on a stroke can slide along it (the aperture problem), so the autopilot keeps none.
    from inbetweener.match import _edge_like

    grey = np.full((120, 160), 240, np.uint8)
    cv2.polylines(grey, [np.array([[20, 100], [80, 100], [80, 30]], np.int32)], False, 20, 3, cv2.LINE_AA)
    cv2.line(grey, (110, 20), (150, 60), 20, 3, cv2.LINE_AA)
    cv2.line(grey, (110, 60), (150, 20), 20, 3, cv2.LINE_AA)
    points = np.array([[50.0, 100.0], [80.0, 65.0], [120.0, 30.0],  # along the strokes
                       [80.0, 100.0], [130.0, 40.0]])                # the corner, the crossing
    assert _edge_like(grey, points).tolist() == [True, True, True, False, False]


def test_no_autopilot_path_on_the_sample_figure_slides_along_its_arm():
    # Key A's left arm hangs still while the body moves: a match on the arm's straight stroke
    # passed every check yet was 14 px off along it (the aperture problem).
    from pathlib import Path

    from inbetweener.match import _edge_like

    samples = Path(__file__).resolve().parents[1] / "resources" / "samples"
    a, b = (cv2.cvtColor(cv2.imread(str(samples / f"figure_{k}.png")), cv2.COLOR_BGR2RGBA) for k in "ab")
    paths = autopilot_paths(a, b)
    assert paths
    starts = np.array([p.start for p in paths])
    assert not _edge_like(cv2.cvtColor(a, cv2.COLOR_RGBA2GRAY), starts).any()


def _far_square() -> tuple[np.ndarray, np.ndarray]:
    """A textured square that travels 115 px and turns 20 degrees over flat grey."""
    rng = np.random.default_rng(1)
    tex = cv2.resize((rng.random((10, 10)) * 255).astype(np.uint8), (60, 60), interpolation=cv2.INTER_NEAREST)
    a = np.full((150, 200), 128, np.uint8)
    b = a.copy()
    a[45:105, 10:70] = tex
    turn = cv2.getRotationMatrix2D((30, 30), 20, 1.0)
    b[40:100, 125:185] = cv2.warpAffine(tex, turn, (60, 60), flags=cv2.INTER_NEAREST, borderValue=128)
    return cv2.cvtColor(a, cv2.COLOR_GRAY2RGBA), cv2.cvtColor(b, cv2.COLOR_GRAY2RGBA)


def test_proposed_paths_are_the_matches_the_flow_misses():
    from inbetweener.match import propose_paths

    a = _texture(2)
    b = np.roll(a, (5, 12), axis=(0, 1))  # a small shift: the optical flow follows every match
    assert autopilot_paths(a, b)
    shifted = propose_paths(a, b)
    assert shifted.paths == [] and shifted.followed >= 4
    assert "already follows" in shifted.summary()
    far = propose_paths(*_far_square())  # too far for the flow: every match needs its path
    assert len(far.paths) >= 4 and far.followed == 0
    for p in far.paths:
        assert p.end[0] - p.start[0] > 90
        assert p.proposed  # (a hint to the engine until the animator changes it)


def test_no_path_is_proposed_on_the_sample_figures_head(make_samples):
    # The eyes move 4 px more than the head round them: pinned, their motion dragged the head's
    # outline along and it was drawn twice. The flow follows them already.
    from inbetweener.match import propose_paths

    a, b = make_samples.figure(0.0), make_samples.figure(1.0)
    assert any(p.start[1] < 110 for p in autopilot_paths(a, b))  # a reliable match on the head...
    proposal = propose_paths(a, b)
    assert not any(p.start[1] < 110 for p in proposal.paths)  # ...which needs no path
    assert proposal.followed >= 1


def test_proposal_summaries_read_as_sentences():
    from inbetweener.match import Proposal
    from inbetweener.model.project import MotionPath

    one = MotionPath.straight((0.0, 0.0), (1.0, 1.0))
    assert Proposal([one], 0).summary() == "autopilot: 1 path"
    assert Proposal([one, one], 1).summary() == "autopilot: 2 paths; the motion already follows 1 other match"
    assert Proposal([], 5).summary() == "autopilot: no path needed; the motion already follows all 5 matches"
    assert Proposal([], 0).summary() == "autopilot: no reliable matches between the keys"


def test_a_symmetric_shape_whose_parts_pair_up_mirrored_gives_no_paths(make_samples):
    # The sample star turns 72 degrees: each tip matches some tip, and the best fit of those
    # pairs flips the image over. Its paths tore the star apart in the engine's frames.
    a = make_samples.star((120, 250), 0, 0.8)
    b = make_samples.star((380, 130), 72, 1.2)
    assert autopilot_paths(a, b) == []


def test_a_mirroring_model_is_told_from_a_turning_one():
    from inbetweener.match import _mirrors

    points = np.array([[10.0, 20.0], [100.0, 50.0], [60.0, 90.0]])
    turn = np.vstack([cv2.getRotationMatrix2D((50, 50), 70, 1.3), [0, 0, 1]])
    flip = np.diag([-1.0, 1.0, 1.0]) @ turn
    assert not _mirrors(turn, points) and _mirrors(flip, points)


def test_the_same_keys_asked_again_get_the_kept_answer_and_others_are_worked_out(monkeypatch):
    # A segment generated again (a path dragged) asks the same keys: the answer is kept, not worked
    # out again; other keys, or other settings, are.
    from collections import OrderedDict

    import inbetweener.match as match

    monkeypatch.setattr(match, "_ANSWERS", OrderedDict())  # (earlier tests asked of these keys)
    worked = []
    propose = match._propose
    monkeypatch.setattr(match, "_propose", lambda *args: worked.append(args[2:]) or propose(*args))
    a, b = _far_square()
    first = match.propose_paths(a, b)
    again = match.propose_paths(a.copy(), b.copy())
    assert again == first and len(worked) == 1
    again.paths.clear()  # the caller's own list: the kept answer is untouched
    assert match.propose_paths(a, b) == first
    match.propose_paths(a, b, max_paths=2)
    match.propose_paths(a, b, shapes=False)
    b[0, 0] = (1, 2, 3, 255)
    match.propose_paths(a, b)
    assert worked == [(8, None, True), (2, None, True), (8, None, False), (8, None, True)]


def test_keys_matched_scaled_down_give_paths_in_the_keys_own_pixels():
    from inbetweener.match import propose_paths

    a, b = _far_square()  # 200 x 150: the square at x 10..70, y 45..105 in A, at 125, 40 in B, turned
    turn = cv2.getRotationMatrix2D((30, 30), 20, 1.0)
    small = propose_paths(a, b, max_side=120)
    assert len(small.paths) >= 4
    for p in small.paths:
        assert 8 <= p.start[0] <= 72 and 43 <= p.start[1] <= 107, p.start
        want = turn @ (p.start[0] - 10, p.start[1] - 45, 1.0) + (125, 40)
        assert np.hypot(*(np.asarray(p.end) - want)) <= 3.0, (p.start, p.end, want)


def test_a_match_that_moves_a_few_px_is_left_to_the_flow_even_where_the_flow_disagrees():
    # Keys alike: the flow is still, so a 5-px "match" is one it misses. Yet a keypoint a few px off
    # is as likely a detail that deformed (a yawning head's tuft, pinned: 0.65 dB lost); the
    # autopilot is for motion beyond the flow's reach, as the 12-px one is.
    from inbetweener.match import _grey, followed_by_flow

    a = _texture(3)
    grey = _grey(a)
    src = np.array([[60.0, 60.0], [100.0, 80.0]])
    dst = src + [[5.0, 0.0], [12.0, 0.0]]
    assert list(followed_by_flow(grey, grey, src, dst)) == [True, False]


def test_flat_paint_shapes_join_the_feature_points_except_on_line_art(monkeypatch):
    # A flat disc with an outline, 1.4 times as large and 140 px on: its plain paint holds no
    # feature point, and the flow cannot follow it that far. Its middle is the match.
    from inbetweener.match import propose_paths

    a = np.full((180, 300, 4), 255, np.uint8)
    a[..., :3] = (120, 170, 230)
    b = a.copy()
    cv2.circle(a, (60, 90), 25, (230, 60, 40, 255), -1)
    cv2.circle(a, (60, 90), 25, (20, 20, 20, 255), 2)
    cv2.circle(b, (200, 80), 35, (230, 60, 40, 255), -1)
    cv2.circle(b, (200, 80), 35, (20, 20, 20, 255), 2)
    proposal = propose_paths(a, b)
    assert len(proposal.paths) == 1 and proposal.paths[0].proposed
    assert np.allclose(proposal.paths[0].start, (60, 90), atol=1.0)
    assert np.allclose(proposal.paths[0].end, (200, 80), atol=1.0)
    assert propose_paths(a, b, shapes=False).paths == []
    # The same drawn in ink on paper is line art: its "shapes" are paper between strokes, and
    # they are not looked for.
    def refuse(*_):
        raise AssertionError("paint shapes looked for in line art")

    monkeypatch.setattr("inbetweener.engines.flowlib.regions.shape_matches", refuse)
    a[..., :3], b[..., :3] = 255, 255
    cv2.circle(a, (60, 90), 25, (20, 20, 20, 255), 2)
    cv2.circle(b, (200, 80), 35, (20, 20, 20, 255), 2)
    assert propose_paths(a, b).paths == []
