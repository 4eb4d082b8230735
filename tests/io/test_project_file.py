"""Project file saving: failures are one ProjectFileError sentence and leave the old file intact."""

from __future__ import annotations

import errno
import tempfile
from pathlib import Path

import numpy as np
import pytest

from inbetweener.errors import ProjectFileError
from inbetweener.io.project_file import load_project, save_project
from inbetweener.model import ImageData, InsertKeyframe, Project, apply


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
