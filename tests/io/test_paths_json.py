"""The --paths file format: round trip and one-sentence errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from inbetweener.io.paths_json import PathsFileError, load_paths, paths_from_json, save_paths
from inbetweener.model import MotionPath
from inbetweener.paths import BezierChain, Timing


def test_round_trip(tmp_path: Path) -> None:
    paths = (
        MotionPath(BezierChain(((0, 0), (10, -20), (30, -20), (40, 0))), Timing.preset("ease-in-out"), "ball"),
        MotionPath.straight((5, 5), (50, 60), Timing(0.1, 0.2, 0.3, 0.9)),
        MotionPath(BezierChain(((0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 6))), Timing()),
        MotionPath.straight((7, 7), (9, 9), name="auto 1", proposed=True),
    )
    save_paths(tmp_path / "p.json", paths)
    assert load_paths(tmp_path / "p.json") == paths
    raw = json.loads((tmp_path / "p.json").read_text())
    assert raw["paths"][3]["proposed"] is True and all("proposed" not in e for e in raw["paths"][:3])
    assert raw["paths"][0]["timing"] == "ease-in-out" and raw["paths"][0]["via"] == [[10, -20], [30, -20]]
    assert raw["paths"][1]["timing"] == [0.1, 0.2, 0.3, 0.9]
    assert "points" in raw["paths"][2]


def test_overshoot_and_anticipation_round_trip(tmp_path: Path) -> None:
    paths = (
        MotionPath.straight((0, 0), (100, 0), Timing.preset("overshoot"), "ball"),
        MotionPath.straight((0, 0), (100, 0), Timing.preset("anticipate")),
        MotionPath.straight((0, 0), (100, 0), Timing(0.3, 2.0, 0.7, -1.0)),  # the free curve's limits
    )
    save_paths(tmp_path / "p.json", paths)
    assert load_paths(tmp_path / "p.json") == paths
    raw = json.loads((tmp_path / "p.json").read_text())
    assert [p["timing"] for p in raw["paths"]] == ["overshoot", "anticipate", [0.3, 2.0, 0.7, -1.0]]
    assert float(paths_from_json(raw)[0].position(0.5)[0]) > 105.0  # flies past the end (x = 100)


def test_documented_example() -> None:
    data = {"paths": [{"from": [10, 20], "to": [110, 20], "via": [[40, -10], [80, -10]], "timing": "ease-in"},
                      {"from": [0, 0], "to": [9, 0]}]}
    arc, line = paths_from_json(data)
    assert arc.start == (10, 20) and arc.end == (110, 20)
    assert arc.timing == Timing.preset("ease-in")
    np.testing.assert_allclose(line.position(0.5), (4.5, 0), atol=1e-6)
    assert line.timing == Timing()


@pytest.mark.parametrize("data,needle", [
    ([], "\"paths\" list"),
    ({"paths": [{"from": [0, 0]}]}, "path 1"),
    ({"paths": [{"from": [0, 0], "to": [1]}]}, "pair of numbers"),
    ({"paths": [{"from": [0, 0], "to": [1, 1], "via": [[0, 0]]}]}, "two control points"),
    ({"paths": [{"from": [0, 0], "to": [1, 1], "timing": "bouncy"}]}, "bouncy"),
    ({"paths": [{"from": [0, 0], "to": [1, 1], "timing": [0, 0, 2, 1]}]}, "between 0 and 1"),
    ({"paths": [{"from": [0, 0], "to": [1, 1], "timing": [0, 2.5, 1, 1]}]}, "y1=2.5 must be between -1 and 2"),
    ({"paths": [{"points": [[0, 0], [1, 1]]}]}, "3n+1"),
    ({"paths": [{"from": [0, "x"], "to": [1, 1]}]}, "pair of numbers"),
    ({"paths": [{"from": [0, 1e12], "to": [1, 1]}]}, "sensible"),
    ({"paths": [{"from": [0, 0], "to": [1, 1], "proposed": "yes"}]}, "proposed must be true or false"),
])
def test_errors(data, needle: str) -> None:
    with pytest.raises(PathsFileError) as exc:
        paths_from_json(data)
    assert needle in str(exc.value) and "\n" not in str(exc.value)


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(PathsFileError, match="does not exist"):
        load_paths(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(PathsFileError, match="not valid JSON"):
        load_paths(tmp_path / "bad.json")
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(PathsFileError):
        load_paths(tmp_path / "bin.json")


def test_a_file_saved_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    # Notepad and other Windows editors write UTF-8 with a BOM.
    f = tmp_path / "bom.json"
    f.write_bytes(b"\xef\xbb\xbf" + json.dumps({"paths": [{"from": [1, 2], "to": [3, 4]}]}).encode())
    (path,) = load_paths(f)
    assert path.start == (1.0, 2.0) and path.end == (3.0, 4.0)


def test_save_paths_is_atomic_and_keeps_a_symlink(tmp_path: Path, monkeypatch) -> None:
    import os

    from inbetweener.io import atomic

    one = (MotionPath.straight((0, 0), (10, 10), Timing()),)
    two = one + (MotionPath.straight((5, 5), (1, 1), Timing()),)
    real = tmp_path / "real.json"
    save_paths(real, one)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    save_paths(link, two)
    assert link.is_symlink() and load_paths(real) == two

    # The bytes go to a temp file beside the target, fsynced, then renamed over it.
    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])

    def replace(src, dst):
        calls.append("replace")
        assert Path(src).parent == real.parent and Path(dst) == real
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", replace)
    with pytest.raises(PathsFileError, match=r"could not save real\.json \(No space left on device\)"):
        save_paths(real, one)
    assert calls[:2] == ["fsync", "replace"]
    monkeypatch.setattr(atomic.os, "replace", real_replace)
    assert load_paths(real) == two  # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "real.json"]


def test_save_paths_over_a_read_only_file_is_one_sentence(tmp_path: Path) -> None:
    target = tmp_path / "p.json"
    target.write_text("{\"paths\": []}")
    target.chmod(0o444)
    with pytest.raises(PathsFileError, match="read-only"):
        save_paths(target, (MotionPath.straight((0, 0), (1, 1), Timing()),))
    assert target.read_text() == "{\"paths\": []}"
