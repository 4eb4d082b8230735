"""Generated frames keep their input fingerprints through a save and load; older files load as unknown."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from inbetweener.errors import ProjectFileError
from inbetweener.io.project_file import load_project, save_project
from inbetweener.jobs import generate_segment
from inbetweener.model import (
    Cell,
    FrameStatus,
    ImageData,
    InsertKeyframe,
    MotionPath,
    MovePathPoint,
    Project,
    SetFrameStatus,
    SetPaths,
    UpdateSegment,
    apply,
    segment_fingerprint,
    stale_frames,
)
from inbetweener.paths import Timing


def _image(value: int) -> ImageData:
    a = np.zeros((6, 8, 4), np.uint8)
    a[..., 1] = value
    a[..., 3] = 255
    return ImageData.from_array(a)


def _generated() -> Project:
    """Keys at 0 and 4, a curved eased path (non-round floats), three generated in-betweens."""
    p = Project(8, 6, name="shot")
    p, _ = apply(p, InsertKeyframe(0, _image(10)))
    p, _ = apply(p, InsertKeyframe(4, _image(200)))
    path = MotionPath.straight((1 / 3, 0.1), (7.123456789, 5.2), Timing(0.1, 0.2, 0.3, 0.7), "hand")
    p, _ = apply(p, SetPaths(0, (path,)))
    p, _ = apply(p, UpdateSegment(0, engine="crossfade", options=(("timing", "ease-out"),)))
    p, _ = apply(p, generate_segment(p, 0))
    return p


def _rewrite(src: Path, dst: Path, edit) -> None:
    with zipfile.ZipFile(src) as zf:
        doc = json.loads(zf.read("project.json"))
        members = {n: zf.read(n) for n in zf.namelist() if n != "project.json"}
    edit(doc)
    with zipfile.ZipFile(dst, "w") as zf:
        zf.writestr("project.json", json.dumps(doc))
        for n, data in members.items():
            zf.writestr(n, data)


def test_fingerprints_round_trip_and_still_match_the_loaded_segment(tmp_path: Path) -> None:
    p, _ = apply(_generated(), SetFrameStatus((2,), FrameStatus.ACCEPTED))
    save_project(p, tmp_path / "shot.ibw")
    back = load_project(tmp_path / "shot.ibw")
    assert back.cells == p.cells
    assert back.cells[2].fingerprint is not None
    # The loaded paths re-hash to the same fingerprint: reopening a file never makes frames stale.
    assert segment_fingerprint(back.segment(0)) == segment_fingerprint(p.segment(0))
    assert stale_frames(back, 0) == ()


def test_stale_frames_stay_stale_after_reopening(tmp_path: Path) -> None:
    p, _ = apply(_generated(), MovePathPoint(0, 0, 3, 6.0, 1.0))
    save_project(p, tmp_path / "shot.ibw")
    assert stale_frames(load_project(tmp_path / "shot.ibw"), 0) == (1, 2, 3)


def test_a_file_without_fingerprints_loads_them_as_unknown(tmp_path: Path) -> None:
    save_project(_generated(), tmp_path / "new.ibw")

    def strip(doc: dict[str, Any]) -> None:  # how files were written before fingerprints
        for cell in doc["cells"]:
            del cell["fingerprint"]

    _rewrite(tmp_path / "new.ibw", tmp_path / "old.ibw", strip)
    old = load_project(tmp_path / "old.ibw")
    assert [c.fingerprint for c in old.cells.values()] == [None, None, None]
    changed, _ = apply(old, UpdateSegment(0, seed=8))
    assert stale_frames(changed, 0) == ()  # unknown is not stale
    # Saved again, an unknown frame writes no fingerprint at all (not null).
    save_project(old, tmp_path / "again.ibw")
    with zipfile.ZipFile(tmp_path / "again.ibw") as zf:
        assert all("fingerprint" not in c for c in json.loads(zf.read("project.json"))["cells"])


@pytest.mark.parametrize("value", [None, 7, 1.5, True, [], {}, "f" * 65])
def test_a_fingerprint_that_is_not_short_text_is_one_sentence(value: Any, tmp_path: Path) -> None:
    save_project(_generated(), tmp_path / "good.ibw")

    def spoil(doc: dict[str, Any]) -> None:
        doc["cells"][1]["fingerprint"] = value

    _rewrite(tmp_path / "good.ibw", tmp_path / "bad.ibw", spoil)
    with pytest.raises(ProjectFileError, match=r"^bad\.ibw is damaged: frame entry 2 fingerprint must be text$"):
        load_project(tmp_path / "bad.ibw")


def test_a_damaged_fingerprint_in_memory_is_not_saved(tmp_path: Path) -> None:
    p = _generated()
    target = tmp_path / "shot.ibw"
    save_project(p, target)
    before = target.read_bytes()
    bad = Project(p.width, p.height, p.fps, p.keyframes, p.segment_settings,
                  {**p.cells, 2: Cell(p.cells[2].image_id, FrameStatus.GENERATED, 12345)},  # type: ignore[arg-type]
                  p.images, p.length, p.name)
    with pytest.raises(ProjectFileError, match="was not saved: frame 3 records a damaged fingerprint"):
        save_project(bad, target)
    assert target.read_bytes() == before
