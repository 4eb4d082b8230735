"""Keyframe import: PNG / JPEG / WebP / TIFF / BMP files -> RGBA uint8, fitted to the canvas.

Pillow decodes (it gets CMYK JPEGs, palettes with transparency and EXIF orientation right, which
cv2 does not); cv2 resizes. Both are imported only when an image is actually loaded.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from inbetweener.errors import ImageError

FIT_MODES = ("contain", "cover", "stretch")
MAX_SIDE = 16384
MAX_PIXELS = 200_000_000
MAX_FILE_BYTES = 1 << 30


def load_image(path: str | Path, canvas_size: tuple[int, int] | None = None,
               fit: str | None = None) -> np.ndarray:
    """Read an image file as RGBA uint8 (H, W, 4); with `canvas_size` (width, height) it must fit."""
    p = Path(path)
    if fit is not None and fit not in FIT_MODES:
        raise ImageError(f"unknown fit {fit!r}; use one of {', '.join(FIT_MODES)}")
    rgba = _decode(p)
    if canvas_size is None:
        return rgba
    cw, ch = int(canvas_size[0]), int(canvas_size[1])
    h, w = rgba.shape[:2]
    if (w, h) == (cw, ch):
        return rgba
    if fit is None:
        raise ImageError(
            f"{p.name} is {w}x{h} but the canvas is {cw}x{ch}; resize it or choose a fit "
            f"(--fit {'|'.join(FIT_MODES)})"
        )
    return fit_image(rgba, (cw, ch), fit)


def load_image_sequence(paths: Sequence[str | Path], canvas_size: tuple[int, int] | None = None,
                        fit: str | None = None) -> list[np.ndarray]:
    """Load several keys; without `canvas_size` the first image sets it for the rest."""
    images: list[np.ndarray] = []
    for p in paths:
        img = load_image(p, canvas_size, fit)
        if canvas_size is None:
            canvas_size = (img.shape[1], img.shape[0])
        images.append(img)
    return images


def _decode(p: Path) -> np.ndarray:
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise ImageError(f"the image {p} does not exist; check the path") from None
    except OSError as exc:
        raise ImageError(f"cannot read {p}: {exc.strerror}") from None
    if p.is_dir():
        raise ImageError(f"{p} is a folder, not an image; give an image file")
    if size == 0:
        raise ImageError(f"{p.name} is empty (0 bytes); export the drawing again")
    if size > MAX_FILE_BYTES:
        raise ImageError(f"{p.name} is larger than 1 GB; save it at a smaller size")
    # Our own limits are checked below with a clearer message; Pillow's guard stays as a backstop.
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            # Between our limit and twice it Pillow only warns; we refuse those below anyway.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im_file = Image.open(p)
        with im_file as im:
            w, h = im.size
            if w > MAX_SIDE or h > MAX_SIDE or w * h > MAX_PIXELS:
                raise ImageError(
                    f"{p.name} is {w}x{h}, too large (at most {MAX_SIDE} px a side); scale it down first"
                )
            if w == 0 or h == 0:
                raise ImageError(f"{p.name} has no pixels; export the drawing again")
            im.load()
            im = ImageOps.exif_transpose(im)
            return _to_rgba8(im)
    except ImageError:
        raise
    except UnidentifiedImageError:
        if _starts_like_tiff(p):  # a TIFF kind Pillow lacks, e.g. 32-bit float colour from a compositor
            raise ImageError(
                f"{p.name} is a kind of TIFF this program cannot read (such as floating-point colour); "
                "save it as an 8- or 16-bit TIFF or a PNG"
            ) from None
        raise ImageError(
            f"{p.name} is not an image this program can read; use PNG, JPEG, WebP, TIFF or BMP"
        ) from None
    except PermissionError:
        raise ImageError(f"no permission to read {p}; check the file's permissions") from None
    except Image.DecompressionBombError:
        raise ImageError(f"{p.name} is too large to load safely; scale it down first") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError(f"{p.name} is damaged or incomplete ({_short(exc)}); export it again") from None


def _starts_like_tiff(p: Path) -> bool:
    try:
        with open(p, "rb") as f:
            return f.read(4) in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # TIFF and BigTIFF
    except OSError:
        return False


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:120] if text else type(exc).__name__


def _to_rgba8(im) -> np.ndarray:  # im: PIL.Image.Image
    """Any Pillow mode -> RGBA uint8; deep greys are scaled, CMYK goes through its ICC profile."""
    mode = im.mode
    if mode.startswith("I;16") or mode in ("I", "F"):
        a = np.asarray(im)
        if mode == "F":
            a = a.astype(np.float64)
            scale = 255.0 if np.nanmax(a, initial=0.0) <= 1.0 else 1.0
            grey = np.clip(np.nan_to_num(a) * scale + 0.5, 0, 255).astype(np.uint8)
        else:
            # 16-bit samples (I mode holds them in int32 too): keep the top of the range.
            grey = np.clip((a.astype(np.int64) * 255 + 32767) // 65535, 0, 255).astype(np.uint8)
        out = np.empty(grey.shape + (4,), np.uint8)
        out[..., :3] = grey[..., None]
        out[..., 3] = 255
        return out
    if mode == "CMYK":
        im = _cmyk_to_rgb(im)
    if im.mode != "RGBA":  # palette (with its transparency), grey, grey+alpha, RGB, YCbCr, LAB...
        im = im.convert("RGBA")
    return np.array(im, dtype=np.uint8)


def _cmyk_to_rgb(im):
    """CMYK -> RGB through the embedded ICC profile when there is one (else Pillow's plain formula)."""
    icc = im.info.get("icc_profile")
    if icc:
        try:
            import io

            from PIL import ImageCms

            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            dst = ImageCms.createProfile("sRGB")
            return ImageCms.profileToProfile(im, src, dst, outputMode="RGB")
        except Exception:  # a broken profile is not worth refusing the drawing for
            pass
    return im.convert("RGB")


def fit_image(rgba: np.ndarray, canvas_size: tuple[int, int], fit: str) -> np.ndarray:
    """Scale to the canvas: contain (letterbox on transparent), cover (centre crop) or stretch."""
    import cv2

    cw, ch = canvas_size
    h, w = rgba.shape[:2]
    if fit == "stretch":
        tw, th = cw, ch
    else:
        scale = min(cw / w, ch / h) if fit == "contain" else max(cw / w, ch / h)
        tw, th = max(1, round(w * scale)), max(1, round(h * scale))
        if fit == "contain":
            tw, th = min(tw, cw), min(th, ch)
        else:
            tw, th = max(tw, cw), max(th, ch)
    # Resize premultiplied so transparent pixels do not bleed their colour into the edges.
    f = rgba.astype(np.float32)
    f[..., :3] *= f[..., 3:4] / 255.0
    shrinking = tw * th < w * h
    resized = cv2.resize(f, (tw, th), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC)
    resized = np.clip(resized, 0.0, 255.0)
    alpha = resized[..., 3:4]
    rgb = np.where(alpha > 1e-3, resized[..., :3] * 255.0 / np.maximum(alpha, 1e-3), 0.0)
    scaled = np.clip(np.concatenate([rgb, alpha], axis=2) + 0.5, 0, 255).astype(np.uint8)
    out = np.zeros((ch, cw, 4), np.uint8)
    if fit == "contain":
        x0, y0 = (cw - tw) // 2, (ch - th) // 2
        out[y0:y0 + th, x0:x0 + tw] = scaled
    else:  # cover / stretch: crop the middle
        x0, y0 = (tw - cw) // 2, (th - ch) // 2
        out[:] = scaled[y0:y0 + ch, x0:x0 + cw]
    return out

