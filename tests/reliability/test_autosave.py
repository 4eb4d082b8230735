"""Autosave in the editor: recovery copies while there is unsaved work, gone after a save or a clean
exit, offered and restored after a crash. Offscreen Qt; no sleeps (signals and timers only)."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("PySide6")

from PySide6.QtWidgets import QMessageBox  # noqa: E402
from reliability_helpers import small_disc_project  # noqa: E402

from inbetweener.io import recovery  # noqa: E402
from inbetweener.io.project_file import load_project, project_to_json, save_project  # noqa: E402
from inbetweener.model.commands import SetProjectSettings, UpdateSegment  # noqa: E402
from ui.autosave import Autosaver, offer_recovery, restore_into  # noqa: E402
from ui.document import Document  # noqa: E402


def doc_json(project) -> dict:
    return project_to_json(project)


@pytest.fixture
def document(qtbot, data_dir):
    return Document(small_disc_project())


def test_nothing_is_written_without_changes(document) -> None:
    saver = Autosaver(document, interval_ms=60_000)
    assert saver.autosave_now() is None
    assert recovery.list_recoveries() == []


def test_unsaved_edit_is_autosaved_and_loads_back(document) -> None:
    saver = Autosaver(document, interval_ms=60_000)
    document.push(UpdateSegment(0, seed=42))
    slot = saver.autosave_now()
    assert slot is not None and slot.exists()
    assert doc_json(load_project(slot)) == doc_json(document.project)
    entry = recovery.list_recoveries()[0]
    assert entry.original is None  # an untitled document
    assert saver.autosave_now() is None  # nothing new since


def test_timer_autosaves_after_an_edit(document, qtbot) -> None:
    saver = Autosaver(document, interval_ms=30)
    with qtbot.waitSignal(saver.saved, timeout=5000) as blocker:
        document.push(UpdateSegment(0, seed=7))
    assert recovery.list_recoveries()[0].file.name == blocker.args[0].rsplit("/", 1)[-1]


def test_users_file_untouched_and_save_removes_the_recovery_copy(document, tmp_path) -> None:
    user_file = tmp_path / "discs.ibw"
    document.save(user_file)
    before = user_file.read_bytes()
    saver = Autosaver(document, interval_ms=60_000)
    document.push(UpdateSegment(0, seed=9))
    slot = saver.autosave_now()
    assert user_file.read_bytes() == before
    assert recovery.list_recoveries()[0].original == user_file.resolve()
    document.save()
    assert not slot.exists()
    assert recovery.list_recoveries() == []


def test_save_as_moves_the_slot(document, tmp_path) -> None:
    saver = Autosaver(document, interval_ms=60_000)
    document.push(UpdateSegment(0, seed=1))
    untitled = saver.autosave_now()
    document.save(tmp_path / "named.ibw")
    document.push(UpdateSegment(0, seed=2))
    named = saver.autosave_now()
    assert named != untitled and not untitled.exists() and named.exists()


def test_clean_exit_removes_recovery(document) -> None:
    saver = Autosaver(document, interval_ms=60_000)
    document.push(UpdateSegment(0, seed=3))
    saver.autosave_now()
    saver.discard_on_clean_exit()
    assert recovery.list_recoveries() == []


def test_offer_recovery_without_files_asks_nothing(data_dir, monkeypatch) -> None:
    monkeypatch.setattr(QMessageBox, "exec", lambda self: pytest.fail("no dialog expected"))
    assert offer_recovery(None) is None


def _answer(monkeypatch, text: str) -> None:
    monkeypatch.setattr(QMessageBox, "exec", lambda self: 0)
    monkeypatch.setattr(QMessageBox, "clickedButton",
                        lambda self: next(b for b in self.buttons() if b.text() == text))


def test_crash_then_restore(qtbot, data_dir, tmp_path, monkeypatch) -> None:
    user_file = tmp_path / "scene.ibw"
    save_project(small_disc_project(), user_file)
    # Session 1 edits and crashes (no clean exit, no save).
    first = Document()
    first.open(user_file)
    saver = Autosaver(first, interval_ms=60_000)
    first.push(SetProjectSettings(fps=30.0))
    saver.autosave_now()
    lost_work = first.project
    saver._lock.release()  # what the OS does to a crashed process's lock
    del saver, first
    # Session 2 starts: the user is asked and restores.
    _answer(monkeypatch, "Restore")
    chosen = offer_recovery(None)
    assert chosen is not None
    second = Document()
    saver2 = Autosaver(second, interval_ms=60_000)
    restore_into(second, chosen, saver2)
    assert doc_json(second.project) == doc_json(lost_work)
    assert second.path == user_file.resolve()
    assert not second.is_clean()  # the restored work still has to be saved
    assert load_project(user_file).fps == 12.0  # the user's file was never touched
    # The work stays on disk as a recovery copy until the user saves.
    entries = recovery.list_recoveries()
    assert len(entries) == 1 and doc_json(recovery.restore(entries[0])) == doc_json(lost_work)
    second.save()
    assert recovery.list_recoveries() == []
    assert load_project(user_file).fps == 30.0


def test_discard_answer_removes_all(data_dir, tmp_path, monkeypatch) -> None:
    recovery.write_recovery(small_disc_project(), tmp_path / "a.ibw")
    recovery.write_recovery(small_disc_project(), None, "abc")
    _answer(monkeypatch, "Discard")
    assert offer_recovery(None) is None
    assert recovery.list_recoveries() == []


def test_not_now_keeps_the_files(data_dir, tmp_path, monkeypatch) -> None:
    recovery.write_recovery(small_disc_project(), tmp_path / "a.ibw")
    _answer(monkeypatch, "Not now")
    assert offer_recovery(None) is None
    assert len(recovery.list_recoveries()) == 1


def test_main_window_has_an_autosaver(main_window) -> None:
    assert isinstance(main_window.autosaver, Autosaver)
    assert main_window.autosaver.interval_ms == 60_000


def test_autosave_of_the_sample_is_fast(qtbot, data_dir) -> None:
    from ui.preview import sample_project

    document = Document(sample_project())
    saver = Autosaver(document, interval_ms=60_000)
    document.push(SetProjectSettings(fps=25.0))
    started = time.perf_counter()
    assert saver.autosave_now() is not None
    elapsed = time.perf_counter() - started
    # Synchronous on the GUI thread: it must stay far below a noticeable hitch.
    assert elapsed < 1.0, f"autosave of the sample took {elapsed * 1000:.0f} ms"


def test_timed_autosave_encodes_new_frames_a_little_per_turn(qtbot, data_dir) -> None:
    import numpy as np

    from inbetweener.model.commands import PutGeneratedFrames
    from inbetweener.model.images import ImageData

    project = small_disc_project(count=24, w=192, h=144)
    rng = np.random.default_rng(1)
    document = Document(project)
    saver = Autosaver(document, interval_ms=10)
    frames = tuple((f, ImageData.from_array(rng.integers(0, 256, (144, 192, 4), dtype=np.uint8)))
                   for f in project.segments[0].frames)  # fresh arrays: no PNG yet
    with qtbot.waitSignal(saver.saved, timeout=60_000):
        document.push(PutGeneratedFrames(frames))
    assert saver.steps_taken >= 2  # the encoding was split over several event-loop turns
    saved = load_project(recovery.list_recoveries()[0].file)
    assert doc_json(saved) == doc_json(document.project)
    assert np.array_equal(saved.image(saved.cells[5].image_id), document.project.image(document.project.cells[5].image_id))


def test_main_window_crash_offer_restore_and_clean_exit(qtbot, tmp_path, data_dir, monkeypatch) -> None:
    from PySide6.QtCore import QSettings

    from ui.main_window import MainWindow

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    crashed = MainWindow(small_disc_project(), None, settings)  # never closed: it "crashes"
    crashed.document.push(SetProjectSettings(fps=30.0))
    assert crashed.autosaver.autosave_now() is not None
    crashed.autosaver._timer.stop()
    crashed.autosaver._lock.release()  # what the OS does to a crashed process's lock
    lost_work = crashed.document.project

    _answer(monkeypatch, "Restore")
    window = MainWindow(small_disc_project(), None, settings)
    window.quiet = True
    qtbot.addWidget(window)
    window.offer_recovery()
    assert doc_json(window.document.project) == doc_json(lost_work)
    assert not window.document.is_clean()
    assert len(recovery.list_recoveries()) == 1  # the restored work is on disk again, once
    window.close()  # a clean exit (quiet: no save prompt) removes the recovery copy
    assert recovery.list_recoveries() == []


def test_open_windows_are_not_offered_as_crashes(document, monkeypatch) -> None:
    saver = Autosaver(document, interval_ms=60_000)
    document.push(UpdateSegment(0, seed=11))
    slot = saver.autosave_now()
    assert recovery.is_live(slot)
    monkeypatch.setattr(QMessageBox, "exec", lambda self: pytest.fail("a live window is no crash"))
    assert offer_recovery(None) is None
    assert len(recovery.list_recoveries()) == 1  # still on disk, just not offered
    saver.discard_on_clean_exit()
    assert not any(slot.parent.iterdir())  # recovery file, note and lock file all gone
