"""Recovery files: one slot per document in the data folder, atomic, never the user's file."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from inbetweener.errors import ProjectFileError
from inbetweener.io import recovery
from inbetweener.io.project_file import project_to_json, save_project
from inbetweener.model.images import ImageData
from inbetweener.model.project import Keyframe, Project, SegmentSettings


def small_project(name: str = "walk", shade: int = 10) -> Project:
    a = np.full((16, 24, 4), shade, np.uint8)
    b = np.full((16, 24, 4), 255 - shade, np.uint8)
    ia, ib = ImageData.from_array(a), ImageData.from_array(b)
    return Project(24, 16, 12.0, (Keyframe(0, ia.content_id()), Keyframe(5, ib.content_id())),
                   (SegmentSettings(seed=3),), {}, {ia.content_id(): ia, ib.content_id(): ib}, name=name)


def same(a: Project, b: Project) -> bool:
    da, db = project_to_json(a), project_to_json(b)
    return da == db and all(a.images[i].png_bytes() == b.images[i].png_bytes() for i in da["images"])


def test_data_dir_follows_the_environment(data_dir) -> None:
    assert recovery.recovery_dir() == data_dir / "recovery"


def test_data_dir_defaults_to_platform_folder(monkeypatch) -> None:
    monkeypatch.delenv(recovery.DATA_DIR_ENV, raising=False)
    assert "inbetweener" in str(recovery.data_dir()).lower()


def test_write_list_restore_discard_round_trip(data_dir, tmp_path) -> None:
    user_file = tmp_path / "work" / "walk.ibw"
    user_file.parent.mkdir()
    save_project(small_project(shade=1), user_file)
    before = user_file.read_bytes()
    edited = small_project(shade=77)
    slot = recovery.write_recovery(edited, user_file)
    assert slot.parent == data_dir / "recovery"
    assert user_file.read_bytes() == before  # the user's file is never touched
    entries = recovery.list_recoveries()
    assert [e.file for e in entries] == [slot]
    assert entries[0].original == user_file.resolve()
    assert str(user_file.resolve()) in entries[0].describe()
    assert same(recovery.restore(entries[0]), edited)
    recovery.discard(entries[0])
    assert recovery.list_recoveries() == []
    assert not any((data_dir / "recovery").iterdir())


def test_one_slot_per_document(data_dir, tmp_path) -> None:
    a, b = tmp_path / "a.ibw", tmp_path / "sub" / ".." / "b.ibw"
    assert recovery.slot_for(a) == recovery.slot_for(tmp_path / "." / "a.ibw")  # same file, same slot
    assert recovery.slot_for(a) != recovery.slot_for(b)
    u1, u2 = recovery.new_untitled_id(), recovery.new_untitled_id()
    assert recovery.slot_for(None, u1) != recovery.slot_for(None, u2)
    recovery.write_recovery(small_project(shade=1), a)
    recovery.write_recovery(small_project(shade=2), a)  # overwrites its own slot
    recovery.write_recovery(small_project(shade=3), None, u1)
    entries = recovery.list_recoveries()
    assert len(entries) == 2
    assert {e.original for e in entries} == {a.resolve(), None}
    assert same(recovery.restore(recovery.slot_for(a)), small_project(shade=2))


def test_unsaved_document_needs_an_id(data_dir) -> None:
    with pytest.raises(ValueError):
        recovery.slot_for(None)


def test_newest_first_and_damaged_note_still_listed(data_dir, tmp_path) -> None:
    first = recovery.write_recovery(small_project(shade=1), tmp_path / "one.ibw")
    second = recovery.write_recovery(small_project(shade=2), tmp_path / "two.ibw")
    note = json.loads(second.with_suffix(".json").read_text())
    note["saved_at"] = 1000.0  # long ago
    second.with_suffix(".json").write_text(json.dumps(note))
    assert [e.file for e in recovery.list_recoveries()] == [first, second]
    first.with_suffix(".json").write_text("{not json")
    entries = recovery.list_recoveries()
    damaged = next(e for e in entries if e.file == first)
    assert damaged.original is None  # unknown, but the work is still offered
    assert entries[-1].file == second


@pytest.mark.parametrize("saved_at", [1e300, -1e20, 1e19])
def test_a_note_with_an_impossible_time_still_describes(data_dir, tmp_path, saved_at) -> None:
    file = recovery.write_recovery(small_project(), tmp_path / "one.ibw")
    note = json.loads(file.with_suffix(".json").read_text())
    note["saved_at"] = saved_at
    file.with_suffix(".json").write_text(json.dumps(note))
    (entry,) = recovery.list_recoveries()
    assert "one.ibw" in entry.describe()  # the file's own time stands in; no OverflowError


def test_stray_files_are_never_listed(data_dir, tmp_path) -> None:
    slot = recovery.write_recovery(small_project(), tmp_path / "x.ibw")
    folder = slot.parent
    (folder / f".{slot.name}.abc123.saving").write_bytes(b"half a zip")
    (folder / "notes.txt").write_text("hello")
    (folder / "random.ibw").write_bytes(b"x")
    assert [e.file for e in recovery.list_recoveries()] == [slot]


def test_damaged_recovery_file_is_a_project_file_error(data_dir, tmp_path) -> None:
    slot = recovery.write_recovery(small_project(), tmp_path / "x.ibw")
    slot.write_bytes(slot.read_bytes()[:100])
    with pytest.raises(ProjectFileError):
        recovery.restore(recovery.list_recoveries()[0])


def test_discard_refuses_files_outside_the_recovery_folder(data_dir, tmp_path) -> None:
    victim = tmp_path / "precious.ibw"
    victim.write_bytes(b"user work")
    with pytest.raises(ValueError):
        recovery.discard(victim)
    assert victim.read_bytes() == b"user work"


def test_discard_slot_and_missing_folder(data_dir, tmp_path) -> None:
    recovery.discard_slot(tmp_path / "never.ibw")  # nothing there: fine
    assert recovery.list_recoveries() == []
    recovery.write_recovery(small_project(), tmp_path / "y.ibw")
    recovery.discard_slot(tmp_path / "y.ibw")
    assert recovery.list_recoveries() == []


def test_a_locked_slot_is_live_until_released(data_dir, tmp_path) -> None:
    slot = recovery.write_recovery(small_project(), tmp_path / "x.ibw")
    assert not recovery.is_live(slot)
    lock = recovery.SlotLock(slot)
    assert lock.acquire() and lock.held
    assert recovery.is_live(slot)
    assert not recovery.SlotLock(slot).acquire()  # a second session cannot take it
    assert recovery.list_recoveries(include_live=False) == []
    assert [e.file for e in recovery.list_recoveries()] == [slot]
    lock.release()
    assert not recovery.is_live(slot)
    assert [e.file for e in recovery.list_recoveries(include_live=False)] == [slot]


CRASHING_SESSION = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from test_recovery import small_project
from inbetweener.io import recovery
slot = recovery.write_recovery(small_project(), Path(sys.argv[2]))
lock = recovery.SlotLock(slot)
assert lock.acquire()
print("ready", flush=True)
sys.stdin.readline()  # wait to be killed
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_the_os_drops_the_lock_of_a_killed_session(data_dir, tmp_path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", CRASHING_SESSION, str(Path(__file__).parent),
                             str(tmp_path / "scene.ibw")], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"ready"
        assert recovery.list_recoveries(include_live=False) == []  # its window is still open
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdin.close()
        proc.stdout.close()
    entries = recovery.list_recoveries(include_live=False)
    assert len(entries) == 1 and entries[0].original == (tmp_path / "scene.ibw").resolve()
