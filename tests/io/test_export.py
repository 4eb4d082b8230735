"""Export: one file per timeline frame (holds repeated, blanks transparent), sidecar, GIF, MP4."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inbetweener.errors import UserError
from inbetweener.io.export import (
    ExportError,
    export_gif,
    export_mp4,
    export_png_sequence,
    export_project,
    parse_colour,
    sanitize_name,
    write_png_sequence,
)
from inbetweener.io.images import load_image
from inbetweener.model import (
    FrameStatus,
    ImageData,
    InsertKeyframe,
    Project,
    PutGeneratedFrames,
    SetFrameStatus,
    apply,
)

W, H = 20, 12


def _img(value: int, alpha: int = 255) -> np.ndarray:
    img = np.zeros((H, W, 4), np.uint8)
    img[..., 0] = value
    img[..., 3] = alpha
    return img


@pytest.fixture
def project() -> Project:
    """Keys at frames 2 and 6 (0-based); in-betweens at 3 (generated) and 4 (locked); 5 holds 4."""
    p = Project(W, H, fps=12, name="walk cycle")
    p, _ = apply(p, InsertKeyframe(2, ImageData.from_array(_img(10, alpha=128))))
    p, _ = apply(p, InsertKeyframe(6, ImageData.from_array(_img(60))))
    p, _ = apply(p, PutGeneratedFrames(((3, ImageData.from_array(_img(20))), (4, ImageData.from_array(_img(30))))))
    p, _ = apply(p, SetFrameStatus((4,), FrameStatus.LOCKED))
    return p


def test_png_sequence_frames_holds_blanks_alpha(project: Project, tmp_path: Path) -> None:
    files = export_png_sequence(project, tmp_path, pad=3, start=0)
    assert [f.name for f in files] == [f"walk cycle_{i:03d}.png" for i in range(7)]
    reds = [int(load_image(f)[0, 0, 0]) for f in files]
    alphas = [int(load_image(f)[0, 0, 3]) for f in files]
    assert alphas[:2] == [0, 0]                # before the first key: transparent
    assert alphas[2] == 128                    # the key's soft alpha is kept
    assert reds[3:] == [20, 30, 30, 60]        # frame 5 holds frame 4
    assert reds[2] == 10


def test_sidecar(project: Project, tmp_path: Path) -> None:
    export_png_sequence(project, tmp_path, name="shot", pad=4, start=1)
    side = json.loads((tmp_path / "shot.json").read_text())
    assert side["fps"] == 12 and (side["width"], side["height"]) == (W, H)
    frames = side["frames"]
    assert [r["file"] for r in frames] == [f"shot_{i:04d}.png" for i in range(1, 8)]
    assert [r["kind"] for r in frames] == ["blank", "blank", "key", "inbetween", "inbetween", "hold", "key"]
    assert [r["key"] for r in frames].count(True) == 2
    assert frames[4]["status"] == "locked" and frames[3]["status"] == "generated"
    assert frames[5]["image"] == frames[4]["image"]
    for r in frames:
        assert (tmp_path / r["file"]).is_file()


def test_progress_called_per_frame(project: Project, tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    export_png_sequence(project, tmp_path, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(i, 7) for i in range(1, 8)]


@pytest.mark.parametrize("raw", ["../../escape", "a/b\\c", "..", "bad\x00name\n", "  ", "C:evil", "/abs/x"])
def test_names_cannot_escape_the_folder(raw: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    files = write_png_sequence([_img(1)], out, raw)
    assert len(files) == 1
    assert files[0].parent == out.resolve()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [files[0]]
    stem = sanitize_name(raw)
    assert "/" not in stem and "\\" not in stem and ".." not in stem and stem.isprintable() and stem


def test_reserved_and_unicode_names() -> None:
    assert sanitize_name("CON") == "_CON" and sanitize_name("nul.txt") == "_nul.txt"
    assert sanitize_name("Prügel-Szene 3") == "Prügel-Szene 3"


@pytest.mark.parametrize("pad,start", [(0, 1), (10, 1), (4, -1)])
def test_bad_numbering(pad: int, start: int, tmp_path: Path) -> None:
    with pytest.raises(ExportError):
        write_png_sequence([_img(1)], tmp_path / "o", "x", pad, start)
    assert not (tmp_path / "o").exists()


def test_out_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(UserError):
        write_png_sequence([_img(1)], tmp_path / "f", "x")


def test_gif(project: Project, tmp_path: Path) -> None:
    from PIL import Image

    target = export_gif(project, tmp_path, name="anim")
    assert target == (tmp_path / "anim.gif").resolve()
    shown: list[tuple[int, int]] = []  # (red at a pixel, duration in ms) per stored frame
    with Image.open(target) as im:
        for i in range(im.n_frames):
            im.seek(i)
            shown.append((int(np.asarray(im.convert("RGB"))[0, 0, 0]), im.info["duration"]))
    # Pillow stores a run of identical frames once with their summed duration: the timing must hold.
    per_frame = [red for red, ms in shown for _ in range(ms // 80)]
    assert all(ms % 80 == 0 for _, ms in shown)  # 12 fps -> 80 ms per frame
    assert len(per_frame) == 7
    assert per_frame[0] == 255  # blank frames flattened on white
    assert [abs(a - b) <= 3 for a, b in zip(per_frame[3:], [20, 30, 30, 60], strict=True)] == [True] * 4


def test_gif_hold_longer_than_a_gif_delay_is_a_user_error(tmp_path: Path) -> None:
    # At 1 fps a 700-frame hold lasts 700 s; a GIF delay holds at most 655.35 s.
    p = Project(W, H, fps=1.0, name="slow")
    p, _ = apply(p, InsertKeyframe(0, ImageData.from_array(_img(10))))
    p, _ = apply(p, InsertKeyframe(700, ImageData.from_array(_img(60))))
    with pytest.raises(ExportError, match="mp4"):
        export_gif(p, tmp_path, name="slow")
    assert list(tmp_path.iterdir()) == []


def test_mp4(project: Project, tmp_path: Path) -> None:
    import imageio_ffmpeg

    target = export_mp4(project, tmp_path, name="anim")
    assert target.name == "anim.mp4" and target.stat().st_size > 0
    reader = imageio_ffmpeg.read_frames(str(target))
    meta = reader.__next__()
    frames = [np.frombuffer(f, np.uint8) for f in reader]
    assert len(frames) == 7
    assert tuple(meta["size"]) == (W, H)
    assert abs(meta["fps"] - 12) < 0.01
    assert not list(tmp_path.glob(".*part*"))  # no temp file left behind


def test_mp4_into_an_unwritable_place_is_one_sentence(project: Project, tmp_path: Path, capfd) -> None:
    # Where the temp movie cannot be created (here a folder is in the way; a read-only folder is
    # the same), the error says why, and ffmpeg never starts to print its own lines.
    (tmp_path / ".anim.mp4.part.mp4").mkdir()
    with pytest.raises(ExportError, match="cannot write .*anim.mp4: Is a directory"):
        export_mp4(project, tmp_path, name="anim")
    assert capfd.readouterr().err == ""
    assert not (tmp_path / "anim.mp4").exists()


def test_background_colour(project: Project, tmp_path: Path) -> None:
    from PIL import Image

    assert parse_colour("#10ff00") == (16, 255, 0) and parse_colour("Black") == (0, 0, 0)
    with pytest.raises(ExportError):
        parse_colour("sparkly")
    target = export_project(project, tmp_path, "gif", name="dark", background=(0, 0, 255))[0]
    with Image.open(target) as im:
        assert tuple(np.asarray(im.convert("RGB"))[0, 0]) == (0, 0, 255)  # blank frame shows the colour


def test_export_project_dispatch(project: Project, tmp_path: Path) -> None:
    assert len(export_project(project, tmp_path / "p", "png")) == 7
    with pytest.raises(ExportError):
        export_project(project, tmp_path / "x", "avi")



@pytest.mark.parametrize("fmt", ["png", "gif", "mp4"])
def test_an_empty_project_is_refused_in_every_format_and_nothing_is_written(tmp_path: Path, fmt: str) -> None:
    # A PNG "export" of an empty project wrote only the sidecar and reported 0 files as a success.
    out = tmp_path / "out"
    with pytest.raises(ExportError, match="no frames to export"):
        export_project(Project(W, H, name="empty"), out, fmt)
    assert not out.exists() or not any(out.iterdir())

# -- numbering wide enough to sort --------------------------------------------------------------
def test_a_padding_too_narrow_for_the_last_number_is_refused_before_writing(project: Project,
                                                                          tmp_path: Path) -> None:
    # 7 frames from 5 end at 11: one digit would put walk_10.png before walk_5.png.
    with pytest.raises(ExportError, match=r"need 2 digits but the padding is 1.*padding \(--pad\) of 2") as err:
        export_png_sequence(project, tmp_path / "o", pad=1, start=5)
    assert "\n" not in str(err.value)
    assert not (tmp_path / "o").exists()
    assert len(export_png_sequence(project, tmp_path / "ok", pad=1, start=3)) == 7  # 3..9 fits
    with pytest.raises(ExportError, match="need 2 digits"):
        write_png_sequence([_img(1)] * 11, tmp_path / "w", "x", pad=1, start=0)
    assert sorted(p.name for p in (tmp_path / "w").iterdir()) == [f"x_{i}.png" for i in range(10)]


def test_png_export_over_a_longer_earlier_export(project: Project, tmp_path: Path) -> None:
    export_png_sequence(project, tmp_path, name="a", start=1)        # a_0001..a_0007
    (tmp_path / "a_0099.txt").write_text("not a frame")
    with pytest.raises(ExportError, match="a_0001.png .*--clean"):
        export_png_sequence(project, tmp_path, name="a", start=2)   # a_0001 would stay behind
    assert sorted(p.name for p in tmp_path.iterdir())[-1] == "a_0099.txt"
    files = export_png_sequence(project, tmp_path, name="a", start=2, clean=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f.name for f in files] + ["a.json", "a_0099.txt"])


# -- long timelines stream: each frame reaches the disk before the next is made -------------------
def test_gif_frames_reach_the_file_as_they_come(tmp_path: Path, monkeypatch) -> None:
    import inbetweener.io.export as export

    p = Project(W, H, fps=12, name="long")
    for f in range(0, 13, 4):
        p, _ = apply(p, InsertKeyframe(f, ImageData.from_array(_img(10 * f))))
    # Every frame differs from the one before (no holds to merge).
    p, _ = apply(p, PutGeneratedFrames(tuple((f, ImageData.from_array(_img(10 * f))) for f in range(13) if f % 4)))
    sizes: list[int] = []
    real = export.timeline_images

    def watched(project):
        for k, image in enumerate(real(project)):
            parts = list(tmp_path.glob(".long.gif.*"))  # the temp file the GIF is streamed into
            sizes.append(parts[0].stat().st_size if parts else 0)
            if k >= 2:  # one frame may wait (its delay grows while it repeats); the one before is written
                assert sizes[k] > sizes[k - 1], f"frame {k - 2} was not written before frame {k} was asked for"
            yield image

    monkeypatch.setattr(export, "timeline_images", watched)
    target = export_gif(p, tmp_path, name="long")
    with Image.open(target) as im:
        assert im.n_frames == 13
