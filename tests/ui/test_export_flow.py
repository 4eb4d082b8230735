"""Exporting a PNG sequence from the editor: older frames left in the folder by an earlier, longer
export are asked about (Remove / Cancel), and numbering too narrow to sort is one sentence."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from inbetweener.io.png import png_size


@pytest.fixture
def answer(monkeypatch):
    """Answers the leftovers question without showing it: set `answer.role`; the texts asked are kept."""

    class Answer:
        role = QMessageBox.ButtonRole.RejectRole
        asked: list[str] = []

    def fake_exec(box):
        Answer.asked.append(f"{box.text()} {box.informativeText()}")
        button = next(b for b in box.buttons() if box.buttonRole(b) == Answer.role)
        button.click()
        return 0

    Answer.asked = []
    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    return Answer


def _earlier_longer_export(folder, length, extra=3):
    folder.mkdir()
    for i in range(1, length + extra + 1):
        (folder / f"shot_{i:03d}.png").write_bytes(b"old frame")
    (folder / "notes.txt").write_bytes(b"keep me")  # not part of the sequence: never touched
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_leftovers_and_remove_writes_the_new_frames_and_removes_the_old_extras(window, tmp_path, answer):
    length = window.document.project.length
    out = tmp_path / "out"
    _earlier_longer_export(out, length)
    answer.role = QMessageBox.ButtonRole.DestructiveRole
    files = window.files.export(out, "png", "shot", 3, 1)
    assert len(answer.asked) == 1
    question = answer.asked[0]
    assert "3 older frames" in question and f"shot_{length + 1:03d}.png" in question
    assert "Remove them" in question and "--clean" not in question
    assert sorted(p.name for p in out.glob("*.png")) == [f"shot_{i:03d}.png" for i in range(1, length + 1)]
    assert [f.name for f in files] == [f"shot_{i:03d}.png" for i in range(1, length + 1)]
    assert png_size(files[0].read_bytes()) == (160, 120)  # new frames, not the old bytes
    assert (out / "notes.txt").read_bytes() == b"keep me" and (out / "shot.json").exists()
    assert "Exported" in window.statusBar().currentMessage()


def test_leftovers_and_cancel_exports_nothing_and_leaves_the_folder(window, tmp_path, answer):
    out = tmp_path / "out"
    before = _earlier_longer_export(out, window.document.project.length)
    answer.role = QMessageBox.ButtonRole.RejectRole
    assert window.files.export(out, "png", "shot", 3, 1) == []
    assert len(answer.asked) == 1
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    message = window.statusBar().currentMessage()
    assert "cancelled" in message and "--clean" not in message


def test_one_leftover_is_named_in_the_singular(window, tmp_path, answer):
    out = tmp_path / "out"
    _earlier_longer_export(out, window.document.project.length, extra=1)
    window.files.export(out, "png", "shot", 3, 1)
    assert "1 older frame named" in answer.asked[0] and "Remove it after" in answer.asked[0]


def test_no_leftovers_asks_nothing(window, tmp_path, answer):
    length = window.document.project.length
    out = tmp_path / "out"
    out.mkdir()
    for i in range(1, length + 1):  # the same frames again: overwritten, nothing to ask
        (out / f"shot_{i:03d}.png").write_bytes(b"old frame")
    (out / f"shot_{length + 5:04d}.png").write_bytes(b"other width")  # another numbering: not ours
    (out / f"take2_{length + 5:03d}.png").write_bytes(b"other name")
    files = window.files.export(out, "png", "shot", 3, 1)
    assert answer.asked == []
    assert len(files) == length and png_size(files[-1].read_bytes()) == (160, 120)
    assert (out / f"shot_{length + 5:04d}.png").exists() and (out / f"take2_{length + 5:03d}.png").exists()


def test_too_few_digits_is_one_sentence_about_the_digits_box(window, tmp_path, answer):
    out = tmp_path / "out"
    length = window.document.project.length
    assert window.files.export(out, "png", "shot", 1, 8) == []  # frames 8 .. 8+length-1 need 2 digits
    message = window.statusBar().currentMessage()
    assert message == f"Frame numbers 8 to {8 + length - 1} need 2 digits to sort in order; set Digits to 2 or more."
    assert not out.exists() and answer.asked == []


def test_the_digits_box_never_goes_below_what_the_frames_need(qtbot, tmp_path):
    from ui.export_dialog import ExportDialog

    dialog = ExportDialog("walk", tmp_path, length=120)
    qtbot.addWidget(dialog)
    assert dialog.pad.minimum() == 3  # frames 1..120
    dialog.pad.setValue(3)
    dialog.start.setValue(998)  # frames 998..1117: four digits, so the box rises with it
    assert dialog.pad.minimum() == 4 and dialog.pad.value() == 4
    dialog.start.setValue(0)
    assert dialog.pad.minimum() == 3 and dialog.pad.value() == 4  # lowering the need keeps the choice
