"""Image import: every file kind ends as RGBA uint8; bad files give one-sentence ImageErrors."""

from __future__ import annotations

import struct
import warnings
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from inbetweener.errors import ImageError
from inbetweener.io.images import fit_image, load_image, load_image_sequence


def _rgba_pattern(h: int = 24, w: int = 32) -> np.ndarray:
    img = np.zeros((h, w, 4), np.uint8)
    img[..., 0] = np.linspace(0, 255, w, dtype=np.uint8)[None, :]
    img[..., 1] = np.linspace(0, 255, h, dtype=np.uint8)[:, None]
    img[..., 2] = 90
    img[..., 3] = 255
    img[:4, :4, 3] = 0
    img[4:8, :4, 3] = 128
    return img


def test_rgba_png_round_trips_exactly(tmp_path: Path) -> None:
    src = _rgba_pattern()
    Image.fromarray(src, "RGBA").save(tmp_path / "a.png")
    out = load_image(tmp_path / "a.png")
    assert out.dtype == np.uint8 and out.shape == (24, 32, 4)
    np.testing.assert_array_equal(out, src)


@pytest.mark.parametrize("ext,kwargs,tol", [
    ("png", {}, 0), ("bmp", {}, 0), ("tif", {}, 0), ("webp", {"lossless": True}, 0),
    ("jpg", {"quality": 95}, 12),
])
def test_rgb_formats(tmp_path: Path, ext: str, kwargs: dict, tol: int) -> None:
    src = _rgba_pattern()[..., :3]
    Image.fromarray(src, "RGB").save(tmp_path / f"a.{ext}", **kwargs)
    out = load_image(tmp_path / f"a.{ext}")
    assert out.shape == (24, 32, 4)
    assert (out[..., 3] == 255).all()
    assert np.abs(out[..., :3].astype(int) - src).max() <= tol


@pytest.mark.parametrize("ext", ["webp", "tif"])
def test_alpha_kept_in_webp_and_tiff(tmp_path: Path, ext: str) -> None:
    src = _rgba_pattern()
    kwargs = {"lossless": True} if ext == "webp" else {}
    Image.fromarray(src, "RGBA").save(tmp_path / f"a.{ext}", **kwargs)
    out = load_image(tmp_path / f"a.{ext}")
    np.testing.assert_array_equal(out[..., 3], src[..., 3])
    opaque = src[..., 3] == 255
    np.testing.assert_array_equal(out[opaque], src[opaque])


def test_grey_and_grey_alpha(tmp_path: Path) -> None:
    grey = np.tile(np.arange(0, 256, 8, dtype=np.uint8), (10, 1))
    Image.fromarray(grey, "L").save(tmp_path / "g.png")
    out = load_image(tmp_path / "g.png")
    for c in range(3):
        np.testing.assert_array_equal(out[..., c], grey)
    assert (out[..., 3] == 255).all()
    la = np.dstack([grey, 255 - grey])
    Image.fromarray(la, "LA").save(tmp_path / "la.png")
    out = load_image(tmp_path / "la.png")
    np.testing.assert_array_equal(out[..., 0], grey)
    np.testing.assert_array_equal(out[..., 3], 255 - grey)


def test_one_bit(tmp_path: Path) -> None:
    bits = np.zeros((8, 8), bool)
    bits[2:5, 2:5] = True
    Image.fromarray(bits).save(tmp_path / "b.png")
    out = load_image(tmp_path / "b.png")
    assert (out[2:5, 2:5, :3] == 255).all() and (out[0, 0, :3] == 0).all()


def test_palette_with_transparency(tmp_path: Path) -> None:
    im = Image.new("P", (6, 4), 0)
    im.putpalette([255, 0, 0, 0, 0, 255] + [0] * (254 * 3))
    im.putpixel((3, 2), 1)
    im.info["transparency"] = 0
    im.save(tmp_path / "p.png", transparency=0)
    out = load_image(tmp_path / "p.png")
    assert tuple(out[2, 3]) == (0, 0, 255, 255)
    assert out[0, 0, 3] == 0


def test_sixteen_bit_grey_and_rgba(tmp_path: Path) -> None:
    ramp = (np.arange(64, dtype=np.uint32) * 1040).astype(np.uint16).reshape(8, 8)
    cv2.imwrite(str(tmp_path / "g16.png"), ramp)
    out = load_image(tmp_path / "g16.png")
    expected = np.round(ramp / 257.0).astype(int)
    assert np.abs(out[..., 0].astype(int) - expected).max() <= 1
    assert (out[..., 3] == 255).all()
    # 16-bit BGRA as cv2 writes it: red channel full, half alpha.
    bgra = np.zeros((4, 4, 4), np.uint16)
    bgra[..., 2] = 65535
    bgra[..., 3] = 32896
    cv2.imwrite(str(tmp_path / "c16.png"), bgra)
    out = load_image(tmp_path / "c16.png")
    assert tuple(out[0, 0]) == (255, 0, 0, 128)


def test_sixteen_bit_tiff(tmp_path: Path) -> None:
    ramp = np.full((5, 7), 65535, np.uint16)
    ramp[0, 0] = 0
    cv2.imwrite(str(tmp_path / "g16.tif"), ramp)
    out = load_image(tmp_path / "g16.tif")
    assert out[0, 0, 0] == 0 and out[1, 1, 0] == 255


def test_cmyk_jpeg(tmp_path: Path) -> None:
    rgb = np.zeros((16, 16, 3), np.uint8)
    rgb[:, :8] = (220, 30, 30)   # red half
    rgb[:, 8:] = (30, 30, 220)   # blue half
    Image.fromarray(rgb, "RGB").convert("CMYK").save(tmp_path / "c.jpg", quality=95)
    assert Image.open(tmp_path / "c.jpg").mode == "CMYK"
    out = load_image(tmp_path / "c.jpg")
    assert out.shape == (16, 16, 4)
    left, right = out[8, 3, :3].astype(int), out[8, 12, :3].astype(int)
    assert left[0] > 150 and left[2] < 90      # still red, not inverted
    assert right[2] > 150 and right[0] < 90    # still blue


def test_exif_orientation_applied(tmp_path: Path) -> None:
    img = Image.new("RGB", (20, 10), (255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise when shown
    img.save(tmp_path / "r.jpg", exif=exif)
    assert load_image(tmp_path / "r.jpg").shape == (20, 10, 4)


# -- errors -----------------------------------------------------------------------------------
def _assert_one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "\n" not in text and len(text) < 300 and text
    return text


def test_wrong_size_names_both_sizes_and_fit(tmp_path: Path) -> None:
    Image.new("RGB", (100, 50)).save(tmp_path / "big.png")
    with pytest.raises(ImageError) as exc:
        load_image(tmp_path / "big.png", canvas_size=(64, 48))
    text = _assert_one_line(exc)
    assert "100x50" in text and "64x48" in text and "fit" in text and "big.png" in text


@pytest.mark.parametrize("content,needle", [
    (b"", "empty"),
    (b"this is not a picture, just some text\n", "not an image"),
])
def test_bad_files(tmp_path: Path, content: bytes, needle: str) -> None:
    (tmp_path / "x.png").write_bytes(content)
    with pytest.raises(ImageError) as exc:
        load_image(tmp_path / "x.png")
    assert needle in _assert_one_line(exc)


def test_a_floating_point_colour_tiff_is_named_as_such(tmp_path: Path) -> None:
    # Compositors write 32-bit float RGB TIFFs, which Pillow cannot open; "use ... TIFF" was no help.
    cv2.imwrite(str(tmp_path / "comp.tiff"), np.random.default_rng(0).random((8, 10, 3)).astype(np.float32))
    with pytest.raises(ImageError) as exc:
        load_image(tmp_path / "comp.tiff")
    text = _assert_one_line(exc)
    assert "comp.tiff" in text and "TIFF" in text and "16-bit" in text


def test_truncated_png(tmp_path: Path) -> None:
    noise = np.random.default_rng(0).integers(0, 255, (64, 64, 4), dtype=np.uint8)
    Image.fromarray(noise, "RGBA").save(tmp_path / "full.png")
    data = (tmp_path / "full.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError) as exc:
        load_image(tmp_path / "cut.png")
    assert "damaged" in _assert_one_line(exc)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ImageError) as exc:
        load_image(tmp_path / "nope.png")
    assert "does not exist" in _assert_one_line(exc)
    with pytest.raises(ImageError) as exc:
        load_image(tmp_path)
    assert "folder" in _assert_one_line(exc)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


@pytest.mark.parametrize("w,h,needle", [(17000, 10, "17000x10"), (16000, 15000, "16000x15000"),
                                        (40000, 40000, "too large")])
def test_absurd_size_refused_before_decoding(tmp_path: Path, w: int, h: int, needle: str) -> None:
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)
    data = (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\0" * 10))
            + _chunk(b"IEND", b""))
    (tmp_path / "huge.png").write_bytes(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning would be a second line on the CLI's stderr
        with pytest.raises(ImageError) as exc:
            load_image(tmp_path / "huge.png")
    text = _assert_one_line(exc)
    assert needle in text and "too large" in text


def test_unknown_fit_mode(tmp_path: Path) -> None:
    Image.new("RGB", (4, 4)).save(tmp_path / "a.png")
    with pytest.raises(ImageError):
        load_image(tmp_path / "a.png", (4, 4), fit="squash")


# -- fitting ----------------------------------------------------------------------------------
def _solid(h: int, w: int, colour=(200, 10, 10, 255)) -> np.ndarray:
    img = np.empty((h, w, 4), np.uint8)
    img[:] = colour
    return img


def test_contain_letterboxes_on_transparent() -> None:
    out = fit_image(_solid(50, 100), (60, 60), "contain")
    assert out.shape == (60, 60, 4)
    assert (out[:14, :, 3] == 0).all() and (out[-14:, :, 3] == 0).all()  # 30 px tall band, centred
    assert (out[16:44, :, 3] == 255).all()
    assert np.abs(out[30, 30].astype(int) - (200, 10, 10, 255)).max() <= 1


def test_cover_fills_and_crops() -> None:
    src = _solid(50, 100)
    src[:, :10] = (0, 0, 255, 255)  # the left edge falls outside a centred crop
    out = fit_image(src, (60, 60), "cover")
    assert out.shape == (60, 60, 4)
    assert (out[..., 3] == 255).all()
    assert out[..., 2].max() < 60


def test_stretch_fills_exactly() -> None:
    out = fit_image(_solid(50, 100), (30, 70), "stretch")
    assert out.shape == (70, 30, 4)
    assert (out[..., 3] == 255).all()


def test_resize_does_not_bleed_transparent_colour() -> None:
    src = np.zeros((40, 40, 4), np.uint8)
    src[..., 1] = 255          # invisible green everywhere
    src[10:30, 10:30] = (255, 0, 0, 255)
    out = fit_image(src, (20, 20), "stretch")
    visible = out[..., 3] > 0
    assert out[visible][:, 1].max() <= 1  # no green fringe around the red square


def test_load_with_fit_and_sequence(tmp_path: Path) -> None:
    Image.new("RGBA", (40, 30), (0, 0, 255, 255)).save(tmp_path / "a.png")
    Image.new("RGBA", (80, 60), (0, 255, 0, 255)).save(tmp_path / "b.png")
    a, b = load_image_sequence([tmp_path / "a.png", tmp_path / "b.png"], fit="contain")
    assert a.shape == b.shape == (30, 40, 4)
    with pytest.raises(ImageError):
        load_image_sequence([tmp_path / "a.png", tmp_path / "b.png"])
