"""A bad-image corpus made here, through `tween`, `new` and the editor's import: broken files get
one line (exit 2, nothing written); unusual but valid kinds (16-bit, palette, grey+alpha, CMYK) load
with the right pixels."""

from __future__ import annotations

import struct
import warnings
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from inbetweener.cli import main as cli_main
from inbetweener.errors import ImageError
from inbetweener.io.images import load_image

W, H = 40, 30


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _header_only_png(w: int, h: int) -> bytes:
    """A PNG that declares w x h RGBA but holds no pixel data (costs nothing to make)."""
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IEND", b"")


def _good_key(cx: int) -> np.ndarray:
    img = np.full((H, W, 4), 255, np.uint8)
    cv2.circle(img, (cx, H // 2), 6, (200, 30, 30, 255), -1)
    return img


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("corpus")
    files: dict[str, Path] = {}

    def put(name: str, data: bytes) -> None:
        files[name] = d / name
        files[name].write_bytes(data)

    good_a, good_b = _good_key(10), _good_key(30)
    ok, buf = cv2.imencode(".png", cv2.cvtColor(good_a, cv2.COLOR_RGBA2BGRA))
    png = buf.tobytes()
    files["good_a.png"] = d / "good_a.png"
    cv2.imwrite(str(files["good_a.png"]), cv2.cvtColor(good_a, cv2.COLOR_RGBA2BGRA))
    files["good_b.png"] = d / "good_b.png"
    cv2.imwrite(str(files["good_b.png"]), cv2.cvtColor(good_b, cv2.COLOR_RGBA2BGRA))
    # Broken: each must be refused with one line.
    put("zero.png", b"")
    put("truncated.png", png[: len(png) // 2])
    put("text.png", b"this is a text file, not a drawing\n")
    put("header_only_20000.png", _header_only_png(20000, 20000))
    ok, wide = cv2.imencode(".png", np.zeros((1, 20000), np.uint8))  # a real 20,000 px image
    put("wide_20000.png", wide.tobytes())
    files["other_size.png"] = d / "other_size.png"
    cv2.imwrite(str(files["other_size.png"]), np.zeros((H + 7, W + 5, 4), np.uint8))
    # Unusual but valid kinds, each the same size as the good keys.
    grey16 = np.zeros((H, W, 3), np.uint16)
    grey16[...] = (0, 32896, 65535)  # BGR: blue 0, green ~128, red 255 (16-bit)
    files["rgb16.png"] = d / "rgb16.png"
    cv2.imwrite(str(files["rgb16.png"]), grey16)
    pal = Image.new("P", (W, H), 1)
    pal.putpalette([0, 0, 0, 10, 200, 30] + [0, 0, 0] * 254)
    pal.info["transparency"] = bytes([255, 128] + [255] * 254)
    files["palette.png"] = d / "palette.png"
    pal.save(files["palette.png"], transparency=bytes([255, 128] + [255] * 254))
    files["grey_alpha.png"] = d / "grey_alpha.png"
    Image.new("LA", (W, H), (90, 200)).save(files["grey_alpha.png"])
    files["cmyk.jpg"] = d / "cmyk.jpg"
    Image.new("CMYK", (W, H), (0, 255, 255, 0)).save(files["cmyk.jpg"], quality=95)  # pure red ink
    return files


BROKEN = ["zero.png", "truncated.png", "text.png", "header_only_20000.png", "wide_20000.png", "missing.png"]
BROKEN_NAMES = ["zero.png", "truncated.png", "text.png", "header_only_20000.png", "wide_20000.png"]
EXPECTED_PIXEL = {  # RGBA at the centre, within JPEG/rounding tolerance
    "rgb16.png": (255, 128, 0, 255),
    "palette.png": (10, 200, 30, 128),
    "grey_alpha.png": (90, 90, 90, 200),
    "cmyk.jpg": (255, 0, 0, 255),
}


def main(argv: list[str]) -> int:
    """The CLI in-process; a Python warning would be extra stderr lines in a real run, so none may fire."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code = cli_main(argv)
    assert [str(w.message) for w in caught] == []
    return code


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0], f"expected one stderr line, got {err!r}"
    assert "Traceback" not in err and "internal error" not in err
    return lines[0]


@pytest.mark.parametrize("name", BROKEN)
@pytest.mark.parametrize("which", ["key_a", "key_b"])
def test_tween_refuses_broken_keys(corpus, tmp_path, capsys, name, which) -> None:
    bad = corpus.get(name, tmp_path / name)
    a, b = (bad, corpus["good_b.png"]) if which == "key_a" else (corpus["good_a.png"], bad)
    out = tmp_path / "out"
    assert main(["tween", str(a), str(b), "-n", "2", "--out", str(out), "--engine", "crossfade", "-q"]) == 2
    line = one_error_line(capsys)
    assert name in line  # the message names the file
    assert not out.exists()


def test_tween_refuses_keys_of_different_sizes(corpus, tmp_path, capsys) -> None:
    out = tmp_path / "out"
    code = main(["tween", str(corpus["good_a.png"]), str(corpus["other_size.png"]), "-n", "2",
                 "--out", str(out), "--engine", "crossfade", "-q"])
    assert code == 2
    assert "fit" in one_error_line(capsys)  # says what to do
    assert not out.exists()


def test_tween_into_an_existing_folder_leaves_it_untouched(corpus, tmp_path, capsys) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    code = main(["tween", str(corpus["truncated.png"]), str(corpus["good_b.png"]), "-n", "2",
                 "--out", str(out), "-q"])
    assert code == 2
    one_error_line(capsys)
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


@pytest.mark.parametrize("name", BROKEN)
def test_new_refuses_broken_keys(corpus, tmp_path, capsys, name) -> None:
    target = tmp_path / "scene.ibw"
    bad = corpus.get(name, tmp_path / name)
    assert main(["new", str(target), str(corpus["good_a.png"]), str(bad), "-q"]) == 2
    assert name in one_error_line(capsys)
    assert list(tmp_path.iterdir()) == []  # no project, no temp file


@pytest.mark.parametrize("name", sorted(EXPECTED_PIXEL))
def test_unusual_valid_kinds_load_with_the_right_pixels(corpus, name) -> None:
    rgba = load_image(corpus[name])
    assert rgba.shape == (H, W, 4) and rgba.dtype == np.uint8
    got = rgba[H // 2, W // 2].astype(int)
    assert np.all(np.abs(got - np.array(EXPECTED_PIXEL[name])) <= 3), (name, got)


@pytest.mark.parametrize("name", sorted(EXPECTED_PIXEL))
def test_unusual_valid_kinds_tween_and_new(corpus, tmp_path, capsys, name) -> None:
    out = tmp_path / "out"
    assert main(["tween", str(corpus["good_a.png"]), str(corpus[name]), "-n", "2", "--out", str(out),
                 "--engine", "crossfade", "-q"]) == 0, capsys.readouterr().err
    assert len(list(out.glob("*.png"))) == 4
    target = tmp_path / "scene.ibw"
    assert main(["new", str(target), str(corpus[name]), str(corpus["good_b.png"]), "-q"]) == 0
    assert target.exists()


def test_load_image_errors_are_image_errors(corpus) -> None:
    for name in BROKEN_NAMES:
        with pytest.raises(ImageError) as info:
            load_image(corpus[name])
        assert "\n" not in str(info.value)


# -- the editor's import -------------------------------------------------------------------------
@pytest.mark.parametrize("name", [*BROKEN_NAMES, "missing.png", "other_size_nofit"])
def test_editor_import_refuses_broken_files(main_window, corpus, tmp_path, name) -> None:
    doc = main_window.document
    before, steps = doc.project, doc.undo_stack.count()
    if name == "other_size_nofit":
        ok = main_window.files.import_keys([corpus["other_size.png"]], fit=None)
    else:
        ok = main_window.files.import_keys([corpus.get(name, tmp_path / name)])
    assert ok is False
    message = main_window.statusBar().currentMessage()
    assert message and "\n" not in message and "Traceback" not in message
    assert doc.project is before and doc.undo_stack.count() == steps


@pytest.mark.parametrize("name", sorted(EXPECTED_PIXEL))
def test_editor_import_takes_unusual_valid_kinds(main_window, corpus, name) -> None:
    doc = main_window.document
    keys_before = len(doc.project.keyframes)
    assert main_window.files.import_keys([corpus[name]]) is True
    assert len(doc.project.keyframes) == keys_before + 1
