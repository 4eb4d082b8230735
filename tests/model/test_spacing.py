"""A segment's spacing chart: where its in-betweens fall in time between the keys."""

from __future__ import annotations

import numpy as np
import pytest
from model_builders import ARC, img

from inbetweener.jobs import plan_segment
from inbetweener.model import InsertKeyframe, Project, UpdateSegment, apply
from inbetweener.model.commands import CommandError
from inbetweener.model.fingerprint import segment_fingerprint
from inbetweener.model.project import SegmentSettings
from inbetweener.paths import Timing


def _project(count: int = 5) -> Project:
    project = Project(8, 6)
    project, _ = apply(project, InsertKeyframe(0, img(10)))
    project, _ = apply(project, InsertKeyframe(count + 1, img(20)))
    return project


def test_even_spacing_is_the_default_and_unchanged():
    seg = _project().segment(0)
    assert seg.settings.spacing == Timing()
    assert seg.times == (1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6)


def test_ease_in_bunches_the_inbetweens_near_the_first_key():
    project, _ = apply(_project(), UpdateSegment(0, spacing=Timing.preset("ease-in")))
    times = np.array(project.segment(0).times)
    assert np.all(np.diff(times) > 0)                      # still in order, between the keys
    assert 0 < times[0] < 1 / 6 and times[-1] < 1
    assert np.all(np.diff(np.diff(times)) > 0)             # gaps grow: slow out of key A
    assert np.allclose(times, Timing.preset("ease-in").progress(np.arange(1, 6) / 6))
    # The engine is asked for exactly these times.
    job = plan_segment(project, 0)
    assert job.request.times == project.segment(0).times


def test_a_spacing_that_would_leave_the_keys_is_refused_in_one_sentence():
    with pytest.raises(ValueError, match="between the keys"):
        SegmentSettings(spacing=Timing.preset("overshoot"))
    with pytest.raises(CommandError, match="between the keys"):
        apply(_project(), UpdateSegment(0, spacing=Timing.preset("anticipate")))


def test_spacing_is_undoable_and_makes_older_frames_out_of_date():
    project = _project()
    before = segment_fingerprint(project.segment(0))
    eased, inverse = apply(project, UpdateSegment(0, spacing=Timing.preset("ease-in-out")))
    assert segment_fingerprint(eased.segment(0)) != before
    restored, _ = apply(eased, inverse)
    assert restored.segment(0).settings == project.segment(0).settings
    assert segment_fingerprint(restored.segment(0)) == before


def test_even_spacing_keeps_the_fingerprints_of_frames_made_before_spacing_existed():
    # An even segment's fingerprint is what it was before the field existed (the value pinned here
    # was computed by the code of that time), so opening an older project marks no frame out of date.
    from inbetweener.model.fingerprint import fingerprint_of

    assert fingerprint_of("a", "b", 3, SegmentSettings(paths=(ARC,))) == "5977bb4d40aac624"
