"""Project file saving: failures are one ProjectFileError sentence and leave the old file intact."""

from __future__ import annotations

import errno
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

from inbetweener.errors import ProjectFileError
from inbetweener.io.project_file import MAX_FRAMES, load_project, save_project
from inbetweener.model import (
    AddPath,
    ImageData,
    InsertFrames,
    InsertKeyframe,
    MotionPath,
    Project,
    PutGeneratedFrames,
    UpdateSegment,
    apply,
)
from inbetweener.paths import Timing


def _project(value: int = 0) -> Project:
    img = np.full((6, 8, 4), value, np.uint8)
    p, _ = apply(Project(8, 6, name="shot"), InsertKeyframe(0, ImageData.from_array(img)))
    return p


def test_unwritable_folder_is_one_sentence_and_old_file_stays(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "shot.ibw"
    save_project(_project(1), target)
    before = target.read_bytes()

    def refuse(*_args, **_kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / ".shot.ibw.x.saving"))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(ProjectFileError, match=r"could not save shot\.ibw \(Permission denied\)"):
        save_project(_project(2), target)
    assert target.read_bytes() == before
    assert load_project(target).name == "shot"


def _two_keys() -> Project:
    p = _project(1)
    p, _ = apply(p, InsertKeyframe(4, ImageData.from_array(np.full((6, 8, 4), 9, np.uint8))))
    return p


@pytest.mark.parametrize("edit", [
    # The loader refuses each of these, so writing them would replace a good file with a dead one.
    lambda p: apply(p, InsertFrames(1, MAX_FRAMES))[0],
    lambda p: apply(p, UpdateSegment(0, seed=2**64))[0],
    lambda p: apply(p, UpdateSegment(0, options=(("steps", float("nan")),)))[0],
    lambda p: apply(p, UpdateSegment(0, options=(("size", [1, 2]),)))[0],
    lambda p: apply(p, UpdateSegment(0, engine="e" * 65))[0],
], ids=["too-long", "huge-seed", "nan-option", "list-option", "long-engine"])
def test_a_document_the_loader_would_refuse_is_not_saved(edit, tmp_path: Path) -> None:
    target = tmp_path / "shot.ibw"
    save_project(_two_keys(), target)
    before = target.read_bytes()
    with pytest.raises(ProjectFileError, match="was not saved"):
        save_project(edit(_two_keys()), target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["shot.ibw"]


def test_a_document_at_the_limits_round_trips(tmp_path: Path) -> None:
    p = apply(_two_keys(), UpdateSegment(0, seed=2**63 - 1, options=(("a", 1.5), ("b", None), ("c", True))))[0]
    p = apply(p, InsertFrames(5, MAX_FRAMES - p.length))[0]
    save_project(p, tmp_path / "big.ibw")
    back = load_project(tmp_path / "big.ibw")
    assert back.length == MAX_FRAMES and back.segment_settings == p.segment_settings


def test_overshooting_timings_round_trip_and_out_of_range_ones_are_damage(tmp_path: Path) -> None:
    p = apply(_two_keys(), AddPath(0, MotionPath.straight((1, 1), (6, 4), Timing.preset("overshoot"), "ball")))[0]
    p = apply(p, AddPath(0, MotionPath.straight((1, 1), (6, 4), Timing(0.2, -1.0, 0.8, 2.0))))[0]
    save_project(p, tmp_path / "shot.ibw")
    back = load_project(tmp_path / "shot.ibw")
    assert back.segment_settings == p.segment_settings
    assert back.segment(0).settings.paths[0].timing.name == "overshoot"
    # A timing handle past the editor's range is damage, named in one sentence.
    with zipfile.ZipFile(tmp_path / "shot.ibw") as z:
        members = {n: z.read(n) for n in z.namelist()}
    doc = json.loads(members["project.json"])
    doc["segments"][0]["paths"][1]["timing"] = [0.2, -1.5, 0.8, 2.0]
    members["project.json"] = json.dumps(doc).encode()
    with zipfile.ZipFile(tmp_path / "bad.ibw", "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    with pytest.raises(ProjectFileError, match=r"y1=-1\.5 must be between -1 and 2") as exc:
        load_project(tmp_path / "bad.ibw")
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize("where", ["keyframes", "cells"])
def test_a_frame_past_the_longest_timeline_is_refused_at_load(where: str, tmp_path: Path) -> None:
    # A key or frame at 0-based MAX_FRAMES makes the timeline MAX_FRAMES + 1 long: more than a file holds.
    import json
    import zipfile

    good = tmp_path / "good.ibw"
    p = _two_keys()
    p = apply(p, PutGeneratedFrames(((2, ImageData.from_array(np.full((6, 8, 4), 5, np.uint8))),)))[0]
    save_project(p, good)
    with zipfile.ZipFile(good) as zf:
        doc = json.loads(zf.read("project.json"))
        members = {n: zf.read(n) for n in zf.namelist() if n != "project.json"}
    doc[where][-1]["frame"] = MAX_FRAMES
    bad = tmp_path / "bad.ibw"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("project.json", json.dumps(doc))
        for n, data in members.items():
            zf.writestr(n, data)
    with pytest.raises(ProjectFileError, match="frame must be a whole number"):
        load_project(bad)
    doc[where][-1]["frame"] = MAX_FRAMES - 1  # the last frame a timeline holds still opens
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("project.json", json.dumps(doc))
        for n, data in members.items():
            zf.writestr(n, data)
    assert load_project(bad).length == MAX_FRAMES


# -- where the bytes land: symlinks, read-only files and folders --------------------------------
def test_saving_over_a_symlink_replaces_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    real = real_dir / "shot.ibw"
    save_project(_project(1), real)
    link = tmp_path / "link.ibw"
    link.symlink_to(real)
    save_project(_two_keys(), link)
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert len(load_project(real).keyframes) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.ibw", "real"]  # no temp beside the link
    assert sorted(p.name for p in real_dir.iterdir()) == ["shot.ibw"]


def test_a_read_only_file_is_one_sentence_and_stays(tmp_path: Path) -> None:
    target = tmp_path / "shot.ibw"
    save_project(_project(1), target)
    target.chmod(0o444)
    before = target.read_bytes()
    with pytest.raises(ProjectFileError, match=r"^could not save shot\.ibw \(the file is read-only\);[^.]*$"):
        save_project(_two_keys(), target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["shot.ibw"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_one_sentence_and_the_file_stays(tmp_path: Path) -> None:
    target = tmp_path / "shot.ibw"
    save_project(_project(1), target)
    before = target.read_bytes()
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(ProjectFileError, match=r"could not save shot\.ibw"):
            save_project(_two_keys(), target)
    finally:
        tmp_path.chmod(0o755)
    assert target.read_bytes() == before


def test_a_failed_rename_leaves_the_old_file_and_no_temp(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "shot.ibw"
    save_project(_project(1), target)
    before = target.read_bytes()

    def refuse(*_args):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(ProjectFileError, match="Permission denied"):
        save_project(_two_keys(), target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["shot.ibw"]


def _rewrite_segment(src: Path, dst: Path, **fields) -> None:
    """A copy of project `src` with the first segment's JSON fields set (None: removed)."""
    with zipfile.ZipFile(src) as z:
        members = {n: z.read(n) for n in z.namelist()}
    doc = json.loads(members["project.json"])
    for key, value in fields.items():
        if value is None:
            doc["segments"][0].pop(key, None)
        else:
            doc["segments"][0][key] = value
    members["project.json"] = json.dumps(doc).encode()
    with zipfile.ZipFile(dst, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)


def test_a_segments_spacing_survives_a_save_and_older_files_open_evenly(tmp_path: Path) -> None:
    eased = apply(_two_keys(), UpdateSegment(0, spacing=Timing.preset("ease-out")))[0]
    save_project(eased, tmp_path / "shot.ibw")
    assert load_project(tmp_path / "shot.ibw").segment(0).settings.spacing.name == "ease-out"
    custom = apply(_two_keys(), UpdateSegment(0, spacing=Timing(0.3, 0.1, 0.6, 0.9)))[0]
    save_project(custom, tmp_path / "custom.ibw")
    assert load_project(tmp_path / "custom.ibw").segment_settings == custom.segment_settings
    # Even spacing is not written at all: files stay as they were, and files without it open evenly.
    save_project(_two_keys(), tmp_path / "even.ibw")
    with zipfile.ZipFile(tmp_path / "even.ibw") as z:
        assert "spacing" not in json.loads(z.read("project.json"))["segments"][0]
    _rewrite_segment(tmp_path / "shot.ibw", tmp_path / "old.ibw", spacing=None)
    assert load_project(tmp_path / "old.ibw").segment(0).settings.spacing == Timing()


@pytest.mark.parametrize("spacing, message", [
    ("bouncy", "unknown timing preset 'bouncy'"),
    (7, "must be a preset name or"),
    ([0.2, 0.0, 0.8, 1.4], "between the keys"),
])
def test_a_damaged_spacing_is_one_sentence(tmp_path: Path, spacing, message: str) -> None:
    save_project(_two_keys(), tmp_path / "shot.ibw")
    _rewrite_segment(tmp_path / "shot.ibw", tmp_path / "bad.ibw", spacing=spacing)
    with pytest.raises(ProjectFileError, match=message) as exc:
        load_project(tmp_path / "bad.ibw")
    assert "\n" not in str(exc.value) and "segment 1 spacing" in str(exc.value)
