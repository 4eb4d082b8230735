"""Crash-proof saving, proven: SIGKILL a child mid-save many times; the file is always old or new."""

from __future__ import annotations

import signal
import sys

import killsave
import pytest

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL") or sys.platform == "win32",
                                reason="needs POSIX SIGKILL")


@pytest.fixture(scope="module")
def kill_fixture(tmp_path_factory) -> killsave.Fixture:
    # 40 keys of 512x512 noise: ~42 MB, so a save lasts long enough to be cut in many places.
    return killsave.make_fixture(tmp_path_factory.mktemp("killsave"), frames=40, side=512)


def test_fixture_projects_differ(kill_fixture: killsave.Fixture) -> None:
    # Otherwise "old or new" would prove nothing.
    assert kill_fixture.old_print != kill_fixture.new_print


def test_sigkill_during_save_leaves_old_or_new_project(kill_fixture: killsave.Fixture) -> None:
    report = killsave.run_kills(kill_fixture, trials=52, seed=20261122)
    assert report.problems == []
    assert report.outcomes["other"] == 0
    assert sum(report.outcomes.values()) == 52
    # The kills must really land on both sides of the rename, or the test shows nothing.
    assert report.outcomes["old"] >= 5, report
    assert report.outcomes["new"] >= 1, report
