"""Document: commands on the undo stack, drag merging, files."""

from __future__ import annotations

import pytest

from inbetweener.model.commands import AddPath, CommandError, InsertFrames, MovePathPoint, SetTiming
from inbetweener.model.project import MotionPath, Project
from inbetweener.paths.timing import Timing
from ui.document import Document


def test_push_undo_redo_restore_exact_projects(qtbot, project):
    doc = Document(project)
    seen = []
    doc.changed.connect(lambda: seen.append(doc.project))
    doc.push(InsertFrames(2, 3))
    edited = doc.project
    assert edited.length == project.length + 3
    doc.undo_stack.undo()
    assert doc.project == project
    doc.undo_stack.redo()
    assert doc.project == edited
    assert len(seen) == 3


def test_nonsense_command_raises_and_changes_nothing(qtbot, project):
    doc = Document(project)
    with pytest.raises(CommandError):
        doc.push(MovePathPoint(0, 3, 0, 1.0, 1.0))
    assert doc.project is project
    assert doc.undo_stack.count() == 0


def test_drags_of_one_point_merge_until_end_drag(qtbot, project):
    doc = Document(project)
    doc.push(AddPath(0, MotionPath.straight((40, 60), (120, 60))))
    for x in (50, 60, 70):
        doc.push(MovePathPoint(0, 0, 1, x, 20))
    assert doc.undo_stack.count() == 2
    doc.end_drag()
    doc.push(MovePathPoint(0, 0, 1, 80, 20))
    assert doc.undo_stack.count() == 3
    doc.undo_stack.undo()
    assert doc.project.segment(0).settings.paths[0].curve.points[1] == (70.0, 20.0)
    doc.undo_stack.undo()
    assert doc.project.segment(0).settings.paths[0].curve.points[1] == pytest.approx((40 + 80 / 3, 60))
    doc.undo_stack.redo()
    assert doc.project.segment(0).settings.paths[0].curve.points[1] == (70.0, 20.0)


def test_different_points_and_kinds_do_not_merge(qtbot, project):
    doc = Document(project)
    doc.push(AddPath(0, MotionPath.straight((40, 60), (120, 60))))
    doc.push(MovePathPoint(0, 0, 1, 50, 20))
    doc.push(MovePathPoint(0, 0, 2, 90, 20))
    doc.push(SetTiming(0, 0, Timing.preset("ease-in")))
    assert doc.undo_stack.count() == 4


def test_push_many_is_one_step_and_all_or_nothing(qtbot, project):
    doc = Document(project)
    doc.push_many([InsertFrames(1, 1), InsertFrames(1, 2)], "two inserts")
    assert doc.undo_stack.count() == 1
    assert doc.project.length == project.length + 3
    with pytest.raises(CommandError):
        doc.push_many([InsertFrames(1, 1), InsertFrames(-5, 1)], "bad")
    assert doc.undo_stack.count() == 1


def test_save_open_roundtrip_and_clean_state(qtbot, project, tmp_path):
    doc = Document(project)
    states = []
    doc.cleanChanged.connect(states.append)
    doc.push(InsertFrames(1, 2))
    assert not doc.is_clean()
    target = doc.save(tmp_path / "shot")
    assert target.suffix == ".ibw" and target.exists()
    assert doc.is_clean() and doc.path == target
    assert states == [False, True]
    other = Document()
    other.open(target)
    assert other.project.length == doc.project.length
    assert [k.frame for k in other.project.keyframes] == [k.frame for k in doc.project.keyframes]


def test_save_under_a_dotted_name_never_replaces_another_project(qtbot, project, tmp_path):
    from inbetweener.io.project_file import load_project, save_project

    other = tmp_path / "scene1.ibw"
    save_project(Project(32, 32, name="the other scene"), other)
    doc = Document(project)
    target = doc.save(tmp_path / "scene1.final")  # ".final" became ".ibw": scene1.ibw was overwritten
    assert target == tmp_path / "scene1.final.ibw" and target.exists()
    assert load_project(other).name == "the other scene"


def test_save_as_without_the_suffix_asks_before_replacing_that_project(window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from inbetweener.io.project_file import save_project

    existing = tmp_path / "ball.ibw"
    save_project(Project(32, 32, name="keep me"), existing)
    before = existing.read_bytes()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "ball"), ""))
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.No)
    assert not window.files.save_as()  # the dialog asked about "ball", not the ball.ibw written
    assert asked and "ball.ibw" in asked[0]
    assert existing.read_bytes() == before
