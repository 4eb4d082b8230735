"""The command line: outputs, one-line errors (exit 2) that write nothing, project round trips."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import cv2
import numpy as np
import pytest

from inbetweener.cli import main
from inbetweener.io.images import load_image


@pytest.fixture
def keys(tmp_path: Path, disc_keys) -> tuple[Path, Path]:
    a, b = disc_keys
    pa, pb = tmp_path / "key_a.png", tmp_path / "key_b.png"
    cv2.imwrite(str(pa), cv2.cvtColor(a, cv2.COLOR_RGBA2BGRA))
    cv2.imwrite(str(pb), cv2.cvtColor(b, cv2.COLOR_RGBA2BGRA))
    return pa, pb


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and lines[0].startswith("inbetweener: error: ")
    return lines[0]


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# -- tween --------------------------------------------------------------------------------------
def test_tween_writes_n_plus_two_named_pngs(keys, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["tween", str(keys[0]), str(keys[1]), "--inbetweens", "3", "--out", str(out),
                 "--engine", "crossfade"]) == 0
    assert _files(out) == [f"key_a_{i:04d}.png" for i in range(1, 6)]
    frames = [load_image(out / f) for f in _files(out)]
    assert all(f.shape == (64, 96, 4) for f in frames)
    np.testing.assert_array_equal(frames[0], load_image(keys[0]))
    np.testing.assert_array_equal(frames[-1], load_image(keys[1]))
    # A dissolve: the middle frame mixes both discs, and later frames lean towards key B.
    mid = frames[2][32, 25, 0].astype(int)
    assert 20 < mid < 255
    assert frames[1][32, 55, 0] > frames[3][32, 55, 0]


def test_tween_naming_options(keys, tmp_path: Path) -> None:
    out = tmp_path / "o"
    assert main(["tween", str(keys[0]), str(keys[1]), "-n", "2", "-o", str(out), "--engine", "crossfade",
                 "--name", "ball", "--pad", "2", "--start", "0", "--quiet"]) == 0
    assert _files(out) == ["ball_00.png", "ball_01.png", "ball_02.png", "ball_03.png"]


def test_tween_timing_and_paths_reach_the_engine(keys, tmp_path: Path, monkeypatch) -> None:
    from inbetweener.engines import base

    seen = {}

    class Spy:
        name = "spy"
        options = ()

        @classmethod
        def unavailable_reason(cls):
            return None

        def tween(self, request):
            seen["request"] = request
            for i in range(len(request.times)):
                yield base.TweenFrame(i, request.key_a.copy())

    monkeypatch.setitem(base._INSTANCES, "spy", Spy())
    monkeypatch.setitem(base._REGISTRY, "spy", "inbetweener.engines.crossfade:CrossfadeEngine")
    paths = tmp_path / "p.json"
    paths.write_text(json.dumps({"paths": [
        {"from": [25, 32], "to": [55, 32]},
        {"from": [0, 0], "to": [5, 5], "timing": "ease-out"},
    ]}))
    assert main(["tween", str(keys[0]), str(keys[1]), "-n", "4", "-o", str(tmp_path / "o"), "--engine", "spy",
                 "--paths", str(paths), "--timing", "ease-in", "--seed", "7", "--steps", "3",
                 "--option", "flow_quality=\"high\"", "--option", "radius=2.5", "--option", "raw=abc"]) == 0
    req = seen["request"]
    assert req.times == (0.2, 0.4, 0.6, 0.8) and req.seed == 7
    assert req.paths[0].timing.name == "ease-in" and req.paths[1].timing.name == "ease-out"
    assert req.options == {"timing": "ease-in", "steps": 3, "flow_quality": "high", "radius": 2.5, "raw": "abc"}


def test_tween_paths_file_with_a_byte_order_mark_and_timing(keys, tmp_path: Path) -> None:
    paths = tmp_path / "p.json"  # as Notepad saves it: UTF-8 with a BOM
    paths.write_bytes(b"\xef\xbb\xbf" + json.dumps({"paths": [{"from": [25, 32], "to": [55, 32]}]}).encode())
    out = tmp_path / "o"
    assert main(["tween", str(keys[0]), str(keys[1]), "-n", "1", "-o", str(out), "--engine", "crossfade",
                 "--paths", str(paths), "--timing", "ease-in", "-q"]) == 0
    assert len(_files(out)) == 3


def test_tween_with_an_overshooting_path(keys, tmp_path: Path) -> None:
    """The disc flies past its mark on key B and settles back: the middle frame is beyond x = 55."""
    from inbetweener.cli import TIMING_PRESETS
    from inbetweener.paths.timing import PRESET_NAMES

    assert TIMING_PRESETS == PRESET_NAMES  # the CLI spells the list out to stay numpy-free on --help
    from inbetweener.cli import SPACING_PRESETS
    from inbetweener.paths.timing import SPACING_PRESET_NAMES

    assert SPACING_PRESETS == SPACING_PRESET_NAMES
    paths = tmp_path / "p.json"
    paths.write_text(json.dumps({"paths": [{"from": [25, 32], "to": [55, 32], "timing": "overshoot"}]}))
    out = tmp_path / "o"
    assert main(["tween", str(keys[0]), str(keys[1]), "-n", "3", "-o", str(out), "--paths", str(paths), "-q"]) == 0
    middle = load_image(out / "key_a_0003.png")
    dark = np.argwhere(middle[..., 0] < 128)
    centre_x = float(dark[:, 1].mean())
    assert 55.5 < centre_x < 55 + 0.1 * 30 + 1.0, centre_x  # progress 1.087 at t = 0.5: x = 57.6
    np.testing.assert_array_equal(load_image(out / "key_a_0005.png"), load_image(keys[1]))  # settles on B
    assert main(["tween", str(keys[0]), str(keys[1]), "-n", "1", "-o", str(tmp_path / "o2"), "--engine",
                 "crossfade", "--timing", "anticipate", "-q"]) == 0


def test_tween_fit_resizes_key_b(keys, tmp_path: Path) -> None:
    big = tmp_path / "big.png"
    cv2.imwrite(str(big), np.full((128, 192, 3), 200, np.uint8))
    out = tmp_path / "o"
    assert main(["tween", str(keys[0]), str(big), "-n", "1", "-o", str(out), "--engine", "crossfade",
                 "--fit", "contain"]) == 0
    assert load_image(out / "key_a_0003.png").shape == (64, 96, 4)


@pytest.mark.parametrize("case", [
    "missing_key", "text_png", "empty_png", "wrong_size", "negative_n", "unknown_engine", "bad_paths",
    "out_is_file", "bad_option", "unknown_flag", "no_args", "bad_timing", "bad_pad",
])
def test_tween_bad_inputs_exit_2_with_one_line_and_write_nothing(case: str, keys, tmp_path: Path,
                                                                 capsys) -> None:
    a, b = str(keys[0]), str(keys[1])
    out = tmp_path / "out"
    (tmp_path / "text.png").write_text("hello, not an image")
    (tmp_path / "empty.png").write_bytes(b"")
    cv2.imwrite(str(tmp_path / "small.png"), np.zeros((10, 10, 3), np.uint8))
    (tmp_path / "bad.json").write_text('{"paths": [{"from": [1, 2]}]}')
    (tmp_path / "afile").write_text("x")
    base = ["--engine", "crossfade", "-o", str(out)]
    argv = {
        "missing_key": ["tween", str(tmp_path / "nope.png"), b, "-n", "3", *base],
        "text_png": ["tween", a, str(tmp_path / "text.png"), "-n", "3", *base],
        "empty_png": ["tween", str(tmp_path / "empty.png"), b, "-n", "3", *base],
        "wrong_size": ["tween", a, str(tmp_path / "small.png"), "-n", "3", *base],
        "negative_n": ["tween", a, b, "-n", "-1", *base],
        "unknown_engine": ["tween", a, b, "-n", "3", "-o", str(out), "--engine", "warpdrive"],
        "bad_paths": ["tween", a, b, "-n", "3", "--paths", str(tmp_path / "bad.json"), *base],
        "out_is_file": ["tween", a, b, "-n", "3", "--engine", "crossfade", "-o", str(tmp_path / "afile")],
        "bad_option": ["tween", a, b, "-n", "3", "--option", "novalue", *base],
        "unknown_flag": ["tween", a, b, "-n", "3", "--sparkle", *base],
        "no_args": ["tween"],
        "bad_timing": ["tween", a, b, "-n", "3", "--timing", "bouncy", *base],
        "bad_pad": ["tween", a, b, "-n", "3", "--pad", "0", *base],
    }[case]
    before = _files(tmp_path)
    assert main(argv) == 2
    line = _one_error_line(capsys)
    assert not out.exists()
    assert _files(tmp_path) == before
    if case == "wrong_size":
        assert "96x64" in line and "10x10" in line and "--fit" in line


def test_engine_failure_midway_leaves_no_files(keys, tmp_path: Path, monkeypatch, capsys) -> None:
    from inbetweener.engines import base
    from inbetweener.errors import EngineError

    class Broken:
        name = "broken"
        options = ()

        @classmethod
        def unavailable_reason(cls):
            return None

        def tween(self, request):
            yield base.TweenFrame(0, request.key_a.copy())
            raise EngineError("the broken engine broke; try crossfade")

    monkeypatch.setitem(base._INSTANCES, "broken", Broken())
    monkeypatch.setitem(base._REGISTRY, "broken", "x:y")
    out = tmp_path / "out"
    assert main(["tween", str(keys[0]), str(keys[1]), "-n", "3", "-o", str(out), "--engine", "broken"]) == 2
    assert "broke" in _one_error_line(capsys)
    assert not out.exists()


def test_tween_spacing_places_the_inbetweens_as_the_project_would(keys, tmp_path: Path) -> None:
    # --spacing ease-in: the crossfade's first in-between of 3 sits at ease-in(1/4), near key A;
    # the times are the ones the editor's segment would ask for with that spacing.
    from inbetweener.model import InsertKeyframe, Project, UpdateSegment, apply
    from inbetweener.model.images import ImageData
    from inbetweener.paths import Timing

    out = tmp_path / "o"
    assert main(["tween", str(keys[0]), str(keys[1]), "-n", "3", "-o", str(out), "--engine", "crossfade",
                 "--spacing", "ease-in", "-q"]) == 0
    a, b = (load_image(k).astype(np.float64) for k in keys)
    first = load_image(out / "key_a_0002.png").astype(np.float64)
    project = Project(a.shape[1], a.shape[0])
    for frame, key in ((0, a), (4, b)):
        project, _ = apply(project, InsertKeyframe(frame, ImageData.from_array(key.astype(np.uint8))))
    project, _ = apply(project, UpdateSegment(0, spacing=Timing.preset("ease-in")))
    t = project.segment(0).times[0]
    assert t < 0.15  # even spacing would put it at 0.25
    changed = np.abs(b - a).sum(axis=2) > 60
    assert np.allclose(first[changed], ((1 - t) * a + t * b)[changed], atol=1.0)


# -- new / render / export ---------------------------------------------------------------------
def test_new_render_export_round_trip(keys, tmp_path: Path, capsys) -> None:
    from inbetweener.io.project_file import load_project

    proj = tmp_path / "shot.ibw"
    a, b = str(keys[0]), str(keys[1])
    assert main(["new", str(proj), a, b, a, "--at", "1", "5", "8", "--fps", "12", "--engine", "crossfade",
                 "--spacing", "ease-in-out"]) == 0
    p = load_project(proj)
    assert [k.frame for k in p.keyframes] == [0, 4, 7] and p.fps == 12 and (p.width, p.height) == (96, 64)
    assert [s.settings.spacing.name for s in p.segments] == ["ease-in-out", "ease-in-out"]
    assert not p.cells

    assert main(["render", str(proj), "--segment", "2"]) == 0
    p = load_project(proj)
    assert sorted(p.cells) == [5, 6]

    assert main(["render", str(proj)]) == 0
    p = load_project(proj)
    assert sorted(p.cells) == [1, 2, 3, 5, 6]
    # render records what each frame was made from, as the editor does: none is out of date.
    from inbetweener.model import all_stale_frames
    assert all(c.fingerprint for c in p.cells.values()) and all_stale_frames(p) == frozenset()

    out = tmp_path / "export"
    assert main(["export", str(proj), "--out", str(out), "--pad", "3"]) == 0
    names = _files(out)
    assert names == ["shot.json"] + [f"shot_{i:03d}.png" for i in range(1, 9)]
    side = json.loads((out / "shot.json").read_text())
    assert [r["kind"] for r in side["frames"]] == ["key", "inbetween", "inbetween", "inbetween", "key",
                                                  "inbetween", "inbetween", "key"]
    np.testing.assert_array_equal(load_image(out / "shot_005.png"), load_image(keys[1]))

    for fmt in ("gif", "mp4"):
        assert main(["export", str(proj), "--out", str(out), "--format", fmt, "--name", "movie"]) == 0
        assert (out / f"movie.{fmt}").stat().st_size > 0


def test_new_default_spacing_and_refusals(keys, tmp_path: Path, capsys) -> None:
    from inbetweener.io.project_file import load_project

    proj = tmp_path / "p.ibw"
    a, b = str(keys[0]), str(keys[1])
    assert main(["new", str(proj), a, b]) == 0
    assert [k.frame for k in load_project(proj).keyframes] == [0, 8]
    before = proj.read_bytes()
    assert main(["new", str(proj), b, a, "--every", "3"]) == 2
    assert "--force" in _one_error_line(capsys)
    assert proj.read_bytes() == before
    assert main(["new", str(proj), b, a, "--every", "3", "--force"]) == 0
    assert [k.frame for k in load_project(proj).keyframes] == [0, 3]

    for argv in (["new", str(tmp_path / "q.ibw"), a, b, "--at", "1"],
                 ["new", str(tmp_path / "q.ibw"), a, b, "--at", "5", "2"],
                 ["new", str(tmp_path / "q.png"), a, b],
                 ["new", str(tmp_path / "q.ibw"), a, b, "--at", "1", "4", "--every", "2"],
                 ["new", str(tmp_path / "q.ibw"), a, b, "--at", "1", "5000000"]):
        assert main(argv) == 2
        _one_error_line(capsys)
    assert not (tmp_path / "q.ibw").exists() and not (tmp_path / "q.png").exists()


def test_new_refuses_a_name_the_project_file_could_not_hold(keys, tmp_path: Path, capsys) -> None:
    from inbetweener.io.project_file import MAX_NAME_CHARS, load_project

    a, b = str(keys[0]), str(keys[1])
    proj = tmp_path / "long.ibw"
    assert main(["new", str(proj), a, b, "--name", "x" * (MAX_NAME_CHARS + 1)]) == 2
    assert "--name" in _one_error_line(capsys)
    assert not proj.exists()
    # The longest name allowed round-trips.
    assert main(["new", str(proj), a, b, "--name", "x" * MAX_NAME_CHARS]) == 0
    assert load_project(proj).name == "x" * MAX_NAME_CHARS


def test_new_with_paths(keys, tmp_path: Path) -> None:
    from inbetweener.io.project_file import load_project

    paths = tmp_path / "p.json"
    paths.write_text(json.dumps({"paths": [{"from": [25, 32], "to": [55, 32], "via": [[35, 10], [45, 10]],
                                            "timing": "ease-in-out"}]}))
    proj = tmp_path / "p.ibw"
    assert main(["new", str(proj), str(keys[0]), str(keys[1]), "--paths", str(paths)]) == 0
    (path,) = load_project(proj).segments[0].settings.paths
    assert path.timing.name == "ease-in-out" and path.curve.points[1] == (35.0, 10.0)


def test_render_keeps_locked_frames(keys, tmp_path: Path) -> None:
    from inbetweener.io.project_file import load_project, save_project
    from inbetweener.model import FrameStatus, ImageData, PutGeneratedFrames, SetFrameStatus, apply

    proj = tmp_path / "p.ibw"
    assert main(["new", str(proj), str(keys[0]), str(keys[1]), "--every", "4", "--engine", "crossfade"]) == 0
    p = load_project(proj)
    hand = np.zeros((64, 96, 4), np.uint8)
    hand[..., 1] = 222
    hand[..., 3] = 255
    p, _ = apply(p, PutGeneratedFrames(((2, ImageData.from_array(hand)),)))
    p, _ = apply(p, SetFrameStatus((2,), FrameStatus.LOCKED))
    save_project(p, proj)
    assert main(["render", str(proj)]) == 0
    p = load_project(proj)
    assert p.cells[2].status == FrameStatus.LOCKED
    np.testing.assert_array_equal(p.image(p.cells[2].image_id), hand)
    assert p.cells[1].status == FrameStatus.GENERATED and p.cells[3].status == FrameStatus.GENERATED


def test_render_keeps_locked_regenerates_accepted_as_the_editor_does_and_says_so(keys, tmp_path: Path,
                                                                                capsys) -> None:
    from inbetweener.io.project_file import load_project, save_project
    from inbetweener.jobs import plan_segment
    from inbetweener.model import FrameStatus, ImageData, PutGeneratedFrames, SetFrameStatus, apply

    proj = tmp_path / "p.ibw"
    assert main(["new", str(proj), str(keys[0]), str(keys[1]), "--every", "5", "--engine", "crossfade", "-q"]) == 0
    p = load_project(proj)
    hand = ImageData.from_array(np.full((64, 96, 4), 222, np.uint8))
    p, _ = apply(p, PutGeneratedFrames(((1, hand), (2, hand))))
    p, _ = apply(p, SetFrameStatus((1,), FrameStatus.LOCKED))
    p, _ = apply(p, SetFrameStatus((2,), FrameStatus.ACCEPTED))
    save_project(p, proj)
    # What the editor's Generate would redo (it plans with the same function): everything but locked.
    assert plan_segment(p, 0).frames == (2, 3, 4)
    capsys.readouterr()
    assert main(["render", str(proj)]) == 0
    out = capsys.readouterr().out
    assert "generated 3 in-betweens" in out and "kept 1 locked frame(s)" in out
    assert "regenerated 1 accepted frame(s)" in out
    p = load_project(proj)
    assert p.cells[1].status == FrameStatus.LOCKED and p.cells[1].image_id == hand.content_id()
    assert p.cells[2].status == FrameStatus.GENERATED and p.cells[2].image_id != hand.content_id()


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 this is not really a zip", b"plain text"])
@pytest.mark.parametrize("command", ["render", "export"])
def test_corrupt_project_exit_2_and_untouched(content: bytes, command: str, tmp_path: Path, capsys) -> None:
    proj = tmp_path / "bad.ibw"
    proj.write_bytes(content)
    argv = [command, str(proj)] + (["--out", str(tmp_path / "o")] if command == "export" else [])
    assert main(argv) == 2
    _one_error_line(capsys)
    assert proj.read_bytes() == content
    assert not (tmp_path / "o").exists()


def test_project_with_a_damaged_drawing_exits_2_with_one_line(keys, tmp_path: Path, capsys) -> None:
    # A PNG that was already broken when stored passes the loader's checksums; it fails when decoded.
    import struct
    import zipfile
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    damaged = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 96, 64, 8, 6, 0, 0, 0))
               + chunk(b"IDAT", b"not zlib at all") + chunk(b"IEND", b""))
    proj = tmp_path / "p.ibw"
    assert main(["new", str(proj), str(keys[0]), str(keys[1]), "-q"]) == 0
    bad = tmp_path / "bad.ibw"
    with zipfile.ZipFile(proj) as zin, zipfile.ZipFile(bad, "w") as zout:
        images = [n for n in zin.namelist() if n.startswith("images/")]
        for n in zin.namelist():
            zout.writestr(n, damaged if n == images[0] else zin.read(n))
    before = bad.read_bytes()
    for argv in (["export", str(bad), "--out", str(tmp_path / "out"), "-q"],
                 ["render", str(bad), "--engine", "crossfade", "-q"]):
        assert main(argv) == 2
        assert "damaged" in _one_error_line(capsys)
    assert bad.read_bytes() == before


def test_render_bad_segment_and_missing_project(keys, tmp_path: Path, capsys) -> None:
    proj = tmp_path / "p.ibw"
    assert main(["new", str(proj), str(keys[0]), str(keys[1])]) == 0
    before = proj.read_bytes()
    assert main(["render", str(proj), "--segment", "3", "--engine", "crossfade"]) == 2
    assert "segment" in _one_error_line(capsys)
    assert main(["render", str(tmp_path / "missing.ibw")]) == 2
    _one_error_line(capsys)
    assert proj.read_bytes() == before


def test_interrupted_render_leaves_file_untouched(keys, tmp_path: Path, monkeypatch, capsys) -> None:
    import inbetweener.jobs as jobs

    proj = tmp_path / "p.ibw"
    assert main(["new", str(proj), str(keys[0]), str(keys[1]), "--engine", "crossfade"]) == 0
    before = proj.read_bytes()
    real_run = jobs.run_job

    def interrupted(job):
        for i, item in enumerate(real_run(job)):
            if i == 2:
                raise KeyboardInterrupt
            yield item

    monkeypatch.setattr(jobs, "run_job", interrupted)
    assert main(["render", str(proj)]) == 130
    _one_error_line(capsys)
    assert proj.read_bytes() == before


# -- gui / models / misc ----------------------------------------------------------------------
def test_gui_hands_over_zero_based_frame(tmp_path: Path, monkeypatch) -> None:
    calls = []
    fake = types.ModuleType("ui.app")
    fake.run_gui = lambda project, screenshot, frame: calls.append((project, screenshot, frame)) or 0
    monkeypatch.setitem(sys.modules, "ui.app", fake)
    from ui.launch import main as program

    proj = tmp_path / "p.ibw"
    proj.write_bytes(b"x")
    assert program(["gui", str(proj), "--screenshot", str(tmp_path / "s.png"), "--frame", "3"]) == 0
    assert program([]) == 0
    assert calls == [(proj, tmp_path / "s.png", 2), (None, None, None)]


def test_a_project_file_alone_opens_the_editor(tmp_path: Path, monkeypatch) -> None:
    # How "Open with" and desktop entries call the program: `inbetweener shot.ibw`.
    calls = []
    fake = types.ModuleType("ui.app")
    fake.run_gui = lambda project, screenshot, frame: calls.append(project) or 0
    monkeypatch.setitem(sys.modules, "ui.app", fake)
    from ui.launch import main as program

    proj = tmp_path / "Shot.IBW"
    proj.write_bytes(b"x")
    assert program([str(proj)]) == 0
    assert calls == [proj]


def test_gui_missing_project(tmp_path: Path, monkeypatch, capsys) -> None:
    fake = types.ModuleType("ui.app")
    fake.run_gui = lambda *a: 0
    monkeypatch.setitem(sys.modules, "ui.app", fake)
    from ui.launch import main as program

    assert program(["gui", str(tmp_path / "nope.ibw")]) == 2
    _one_error_line(capsys)


def test_the_core_command_line_has_no_editor_and_says_where_it_is(capsys) -> None:
    # inbetweener/ never imports Qt: without the editor plugged in, `gui` is one sentence.
    assert main(["gui"]) == 2
    assert "`inbetweener` program" in _one_error_line(capsys)


def test_models_with_a_missing_folder_says_so(tmp_path: Path, capsys) -> None:
    assert main(["models", "--model", str(tmp_path / "nope")]) == 2
    assert "no such folder" in _one_error_line(capsys)


def test_models_without_discovery_module_is_one_line(monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "inbetweener.engines.diffusion.discovery", None)
    assert main(["models"]) == 2
    assert "diffusion" in _one_error_line(capsys)


def test_version_and_help(capsys) -> None:
    assert main(["--version"]) == 0
    assert "inbetweener" in capsys.readouterr().out
    assert main(["tween", "--help"]) == 0
    assert "--inbetweens" in capsys.readouterr().out


def test_import_is_light() -> None:
    code = ("import sys, inbetweener, inbetweener.cli\n"
            "inbetweener.cli.build_parser()\n"
            "heavy = [m for m in ('PySide6', 'torch', 'cv2', 'diffusers', 'PIL') if m in sys.modules]\n"
            "print(heavy)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_python_dash_m_reports_one_line(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "inbetweener", "export", str(tmp_path / "x.ibw"), "-o",
                          str(tmp_path / "o")], capture_output=True, text=True)
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


def test_os_errors_are_one_line(keys, tmp_path: Path, monkeypatch, capsys) -> None:
    import inbetweener.io.project_file as project_file

    def refuse(project, path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(project_file, "save_project", refuse)
    assert main(["new", str(tmp_path / "p.ibw"), str(keys[0]), str(keys[1])]) == 2
    line = _one_error_line(capsys)
    assert "Permission denied" in line and "p.ibw" in line


def test_hostile_project_exit_2_and_nothing_escapes(keys, tmp_path: Path, capsys) -> None:
    import zipfile

    good = tmp_path / "good.ibw"
    assert main(["new", str(good), str(keys[0]), str(keys[1])]) == 0
    hostile = tmp_path / "work" / "hostile.ibw"
    hostile.parent.mkdir()
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(hostile, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
        dst.writestr("../../escaped.png", b"\x89PNG\r\n\x1a\n")
    before = hostile.read_bytes()
    assert main(["render", str(hostile), "--engine", "crossfade"]) == 2
    _one_error_line(capsys)
    assert main(["export", str(hostile), "--out", str(tmp_path / "work" / "o")]) == 2
    _one_error_line(capsys)
    assert hostile.read_bytes() == before
    assert not list(tmp_path.rglob("escaped.png")) and not (tmp_path / "work" / "o").exists()


def test_autopilot_paths_merge_with_file_paths(keys, tmp_path: Path, monkeypatch, capsys) -> None:
    import inbetweener.match as match
    from inbetweener.engines import base
    from inbetweener.model import MotionPath

    seen = {}

    class Spy:
        name = "spy2"
        options = ()

        @classmethod
        def unavailable_reason(cls):
            return None

        def tween(self, request):
            seen["paths"] = request.paths
            for i in range(len(request.times)):
                yield base.TweenFrame(i, request.key_b.copy())

    found = MotionPath.straight((25.0, 32.0), (55.0, 32.0), name="auto 1", proposed=True)
    monkeypatch.setattr(match, "propose_paths", lambda a, b, max_paths=8: match.Proposal([found], 3))
    monkeypatch.setitem(base._INSTANCES, "spy2", Spy())
    monkeypatch.setitem(base._REGISTRY, "spy2", "x:y")
    paths = tmp_path / "p.json"
    paths.write_text(json.dumps({"paths": [{"from": [1, 1], "to": [2, 2], "timing": "linear"}]}))
    assert main(["tween", str(keys[0]), str(keys[1]), "-n", "2", "-o", str(tmp_path / "o"), "--engine", "spy2",
                 "--paths", str(paths), "--autopilot", "--timing", "ease-in-out",
                 "--save-paths", str(tmp_path / "kept.json")]) == 0
    file_path, auto = seen["paths"]
    assert file_path.start == (1.0, 1.0) and file_path.timing.name == "linear" and not file_path.proposed
    assert auto.curve == found.curve and auto.timing.name == "ease-in-out" and auto.proposed
    # (kept as a proposal for the next run's --paths)
    assert [e.get("proposed", False) for e in json.loads((tmp_path / "kept.json").read_text())["paths"]] == [False, True]
    assert "autopilot: 1 path; the motion already follows 3 other matches" in capsys.readouterr().out


def test_tween_default_engine_is_flow(keys, tmp_path: Path) -> None:
    from inbetweener.engines.base import engine_names

    if "flow" not in engine_names():
        pytest.skip("the flow engine is not in this checkout")
    out = tmp_path / "o"
    assert main(["tween", str(keys[0]), str(keys[1]), "--inbetweens", "3", "--out", str(out)]) == 0
    names = _files(out)
    assert names == [f"key_a_{i:04d}.png" for i in range(1, 6)]
    assert all(load_image(out / n).shape == (64, 96, 4) for n in names)


def test_command_errors_and_bugs_are_one_line(monkeypatch, capsys) -> None:
    import inbetweener.cli as cli
    from inbetweener.model import CommandError

    def nonsense(args):
        raise CommandError("there is no key at frame 9")

    def bug(args):
        raise ZeroDivisionError("oops")

    monkeypatch.setitem(cli._COMMANDS, "models", nonsense)
    assert main(["models"]) == 2
    assert "frame 9" in _one_error_line(capsys)
    monkeypatch.setitem(cli._COMMANDS, "models", bug)
    monkeypatch.delenv("INBETWEENER_DEBUG", raising=False)
    assert main(["models"]) == 1
    assert "internal error" in _one_error_line(capsys)


# -- numbering ------------------------------------------------------------------------------------
def test_pad_too_small_for_the_frame_count_is_one_line_and_writes_nothing(keys, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    argv = ["tween", str(keys[0]), str(keys[1]), "-n", "98", "-o", str(out), "--engine", "crossfade", "-q"]
    assert main(argv + ["--pad", "2"]) == 2  # 100 files: name_100.png needs 3 digits
    assert "padding (--pad) of 3" in _one_error_line(capsys)
    assert not out.exists()
    proj = tmp_path / "p.ibw"
    assert main(["new", str(proj), str(keys[0]), str(keys[1]), "--at", "1", "12", "-q"]) == 0
    assert main(["export", str(proj), "-o", str(out), "--pad", "1", "-q"]) == 2
    assert "padding (--pad) of 2" in _one_error_line(capsys)
    assert not out.exists()


def test_default_pad_widens_when_the_last_number_needs_it(keys, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["tween", str(keys[0]), str(keys[1]), "-n", "2", "-o", str(out), "--engine", "crossfade",
                 "--start", "9998", "-q"]) == 0
    assert _files(out) == ["key_a_09998.png", "key_a_09999.png", "key_a_10000.png", "key_a_10001.png"]


# -- re-running into a folder that holds an earlier, longer run -----------------------------------
def test_tween_refuses_a_folder_with_a_longer_earlier_run_and_clean_removes_only_its_frames(
        keys, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    base = ["tween", str(keys[0]), str(keys[1]), "-o", str(out), "--engine", "crossfade", "-q"]
    assert main(base + ["-n", "4"]) == 0
    others = {"notes.txt": "mine", "key_a_01.png": "other width", "key_a_0006.png.bak": "backup",
              "other_0009.png": "other name", "key_a_0009.PNG": "other extension"}
    for file, text in others.items():
        (out / file).write_text(text)
    before = {f: (out / f).read_bytes() for f in _files(out)}

    assert main(base + ["-n", "2"]) == 2  # would write 0001..0004 and leave 0005, 0006 of the first run
    line = _one_error_line(capsys)
    assert "key_a_0005.png" in line and "--clean" in line and "empty folder" in line
    assert {f: (out / f).read_bytes() for f in _files(out)} == before  # nothing written

    assert main(base + ["-n", "4"]) == 0  # same length: same-numbered files are overwritten, as before
    assert main(base + ["-n", "2", "--clean"]) == 0
    assert _files(out) == sorted([f"key_a_{i:04d}.png" for i in range(1, 5)] + list(others))
    assert all((out / f).read_text() == text for f, text in others.items())


def test_export_refuses_leftover_frames_and_clean_removes_them(keys, tmp_path: Path, capsys) -> None:
    proj = tmp_path / "shot.ibw"
    assert main(["new", str(proj), str(keys[0]), str(keys[1]), "--at", "1", "6", "-q"]) == 0
    out = tmp_path / "out"
    assert main(["export", str(proj), "-o", str(out), "--start", "0", "-q"]) == 0
    (out / "keep.txt").write_text("mine")
    assert main(["export", str(proj), "-o", str(out), "-q"]) == 2  # starts at 1 now: shot_0000.png is stale
    assert "shot_0000.png" in _one_error_line(capsys)
    assert len(_files(out)) == 8  # 6 frames, sidecar, keep.txt
    assert main(["export", str(proj), "-o", str(out), "--clean"]) == 0
    assert "removed 1 older frame" in capsys.readouterr().out
    assert _files(out) == ["keep.txt", "shot.json"] + [f"shot_{i:04d}.png" for i in range(1, 7)]
    assert json.loads((out / "shot.json").read_text())["start"] == 1


def test_render_packs_each_frame_as_it_arrives(keys, tmp_path: Path, monkeypatch) -> None:
    # Cheap stand-in for a memory measurement: the engine's decoded frames must be let go as they come
    # (at most the one in hand and the one before), not collected until the segment ends.
    import gc
    import weakref

    import inbetweener.jobs as jobs
    from inbetweener.engines.base import TweenFrame
    from inbetweener.io.project_file import load_project

    class Watched:
        def tween(self, request):
            alive: list[weakref.ref] = []
            for i, _t in enumerate(request.times):
                gc.collect()
                assert all(r() is None for r in alive[:-2]), f"frame {len(alive) - 2} is still held in memory"
                image = np.full((64, 96, 4), 10 + i, np.uint8)
                image.setflags(write=False)  # so nothing on the way copies it and hides a kept reference
                alive.append(weakref.ref(image))
                yield TweenFrame(i, image)

    proj = tmp_path / "p.ibw"
    assert main(["new", str(proj), str(keys[0]), str(keys[1]), "--at", "1", "10", "-q"]) == 0
    monkeypatch.setattr(jobs, "get_engine", lambda name: Watched())
    assert main(["render", str(proj), "-q"]) == 0
    p = load_project(proj)
    assert [int(p.image(p.cells[f].image_id)[0, 0, 0]) for f in range(1, 9)] == list(range(10, 18))


def _drawing(circle: bool) -> np.ndarray:
    """A line drawing (BGR): a box, and a circle beside it when `circle`."""
    page = np.full((120, 160, 3), 240, np.uint8)
    cv2.rectangle(page, (20, 30), (75, 90), (30, 30, 30), 2, cv2.LINE_AA)
    if circle:
        cv2.circle(page, (120, 50), 16, (30, 30, 30), 2, cv2.LINE_AA)
    return page


def test_tween_and_render_say_what_the_engine_made_of_the_drawings(tmp_path: Path, capsys) -> None:
    # The flow engine draws a stroke only the second key has growing in rather than moving it: the
    # command line says so after its summary, as the editor's status bar does.
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    cv2.imwrite(str(a), _drawing(False))
    cv2.imwrite(str(b), _drawing(True))
    said = "line art: 1 stroke only the second key has grows in"
    assert main(["tween", str(a), str(b), "-n", "3", "--out", str(tmp_path / "out")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("wrote 5 frames") and lines[1:] == [said]
    proj = tmp_path / "shot.ibw"
    assert main(["new", str(proj), str(b), str(a), str(b), "--at", "1", "4", "8", "--quiet"]) == 0
    assert main(["render", str(proj)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("generated 5 in-betweens in 2 segment(s)")
    assert lines[1:] == ["segment 1: line art: 1 stroke only the first key has shrinks away", f"segment 2: {said}"]


def _sloppy_ball_paths(tmp_path: Path):
    """The bundled samples' folder, the ball's exact path, and a paths file with its end dropped
    4 px right and 4 px down of the landed ball."""
    from inbetweener.io.paths_json import load_paths

    samples = Path(__file__).resolve().parents[2] / "resources" / "samples"
    data = json.loads((samples / "ball_paths.json").read_text())
    exact = load_paths(samples / "ball_paths.json")[0]
    data["paths"][0]["to"] = [exact.end[0] + 4.0, exact.end[1] + 4.0]
    sloppy = tmp_path / "sloppy.json"
    sloppy.write_text(json.dumps(data))
    return samples, exact, sloppy


def test_tween_saves_the_paths_as_the_frames_followed_them(tmp_path: Path, capsys) -> None:
    # The bundled ball's path with its end dropped off the landed ball: the engine follows it to
    # the ball, and --save-paths keeps that path for the next run.
    from inbetweener.io.paths_json import load_paths

    samples, exact, sloppy = _sloppy_ball_paths(tmp_path)
    saved = tmp_path / "followed.json"
    args = ["tween", str(samples / "ball_a.png"), str(samples / "ball_b.png"), "-n", "1", "-o", str(tmp_path / "o")]
    assert main([*args, "--paths", str(sloppy), "--save-paths", str(saved)]) == 0
    assert "saved 1 path(s) as the frames followed them" in capsys.readouterr().out
    followed = load_paths(saved)[0]
    assert followed.name == "ball" and followed.start == exact.start
    assert np.hypot(*np.subtract(followed.end, exact.end)) <= 1.5  # (the file's end was 5.7 px off)
    # Run again from the saved paths: nothing left to move, and the file is written as it was read.
    again = tmp_path / "again.json"
    assert main([*args, "--paths", str(saved), "--save-paths", str(again), "--clean"]) == 0
    assert "with its end moved" not in capsys.readouterr().out
    assert load_paths(again) == load_paths(saved)


def test_tween_refuses_a_save_paths_file_it_cannot_write_before_any_work(keys, tmp_path: Path, capsys) -> None:
    out = tmp_path / "o"
    for target in (tmp_path, tmp_path / "missing" / "p.json"):
        assert main(["tween", str(keys[0]), str(keys[1]), "-n", "1", "-o", str(out), "--save-paths", str(target)]) != 0
        assert "--save-paths" in _one_error_line(capsys)
        assert not out.exists()


def test_render_moves_path_ends_onto_their_match_and_makes_the_frames_from_them(tmp_path: Path, capsys,
                                                                               monkeypatch) -> None:
    # The same ball, its path's end 4 px right and 4 px down of the landed ball, in a project:
    # render --move-path-ends keeps the end the engine followed (as the editor's Move path ends
    # does) and the saved frames are current with the moved path, not stale.
    import inbetweener.jobs as jobs
    from inbetweener.io.project_file import load_project
    from inbetweener.model.fingerprint import stale_frames

    made: list[int] = []  # every frame an engine made, in order
    run_job = jobs.run_job

    def counted(job):
        for item in run_job(job):
            if isinstance(item, jobs.JobFrame):
                made.append(item.frame)
            yield item

    monkeypatch.setattr(jobs, "run_job", counted)

    samples, exact, sloppy = _sloppy_ball_paths(tmp_path)
    proj = tmp_path / "ball.ibw"
    assert main(["new", str(proj), str(samples / "ball_a.png"), str(samples / "ball_b.png"), "--at", "1", "4",
                 "--paths", str(sloppy), "--quiet"]) == 0
    assert main(["render", str(proj), "--move-path-ends"]) == 0
    out = capsys.readouterr().out
    assert "moved 1 path end(s) onto their match" in out.splitlines()[0]
    assert "segment 1: moved 1 path end(s) onto the match and generated it from them" in out
    project = load_project(proj)
    path = project.segment(0).settings.paths[0]
    assert path.start == exact.start and np.hypot(*np.subtract(path.end, exact.end)) <= 1.5
    assert len(project.segment(0).frames) == 2 and stale_frames(project, 0) == ()
    # The first run stopped where the engine said it followed the end: each frame was made once.
    assert made == [1, 2]
    # Rendered again, there is nothing left to move, and the frames are made in full.
    assert main(["render", str(proj), "--move-path-ends"]) == 0
    assert "no path end to move" in capsys.readouterr().out
    assert made == [1, 2, 1, 2] and stale_frames(load_project(proj), 0) == ()
