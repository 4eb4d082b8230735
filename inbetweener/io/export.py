"""Export: PNG sequence (alpha kept) with a JSON sidecar, GIF and MP4.

Every timeline frame becomes one image: keys and in-betweens show themselves, empty frames repeat
the drawing before them (holds), frames before the first key are transparent. Names are sanitised
and every file lands directly inside the chosen folder.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from inbetweener.errors import UserError
from inbetweener.io.atomic import write_atomic
from inbetweener.model.lookup import shown_at
from inbetweener.model.project import Project

FORMATS = ("png", "gif", "mp4")
SIDECAR_VERSION = 1
MAX_PAD = 9
# Names Windows refuses for files, whatever the extension.
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                     *(f"LPT{i}" for i in range(1, 10))}

# progress(done, total): called after each written frame.
ProgressFn = Callable[[int, int], None]


class ExportError(UserError):
    """An export that cannot be written (bad name, folder, numbering or format)."""


def sanitize_name(name: str, default: str = "frame") -> str:
    """A file-name stem with no separators, no `..`, no control or reserved characters."""
    text = unicodedata.normalize("NFC", str(name))
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else "_" for ch in text)
    text = re.sub(r'[\\/:*?"<>|]', "_", text)
    text = re.sub(r"\.{2,}", ".", text).strip(" .")
    text = re.sub(r"\s+", " ", text)[:100].strip(" .")
    if text.split(".")[0].upper() in _WINDOWS_RESERVED:
        text = f"_{text}"
    return text or default


def frame_file_name(name: str, number: int, pad: int, ext: str = "png") -> str:
    return f"{name}_{number:0{pad}d}.{ext}"


def min_pad(start: int, count: int) -> int:
    """The fewest digits that number `count` files from `start` so that they sort in order."""
    return len(str(max(start + count - 1, start, 0)))


def check_numbering(pad: int, start: int, count: int = 1) -> None:
    """Refuse numbering that cannot name `count` files from `start` in `pad` digits (they would mis-sort)."""
    if not 1 <= pad <= MAX_PAD:
        raise ExportError(f"padding must be between 1 and {MAX_PAD} digits, got {pad}")
    if start < 0:
        raise ExportError(f"the start number must be 0 or more, got {start}")
    need = min_pad(start, count)
    if need > pad:
        # name_99.png sorts after name_100.png: a numbering that overflows its width breaks every tool
        # that orders the frames by name.
        raise ExportError(f"frame numbers {start} to {start + count - 1} need {need} digits but the padding is "
                          f"{pad}, so the files would sort out of order; use a padding (--pad) of {need} or more")


def _ensure_dir(out_dir: Path) -> Path:
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(f"{out_dir} is a file, not a folder; choose a folder for the export")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create the folder {out_dir}: {exc.strerror}") from None
    return out_dir.resolve()


def _inside(out_dir: Path, file_name: str) -> Path:
    target = (out_dir / file_name).resolve()
    if target.parent != out_dir:  # belt and braces after sanitize_name
        raise ExportError(f"the name {file_name!r} would write outside {out_dir}; choose a plain name")
    return target


def _write_atomic(target: Path, write: Callable[[BinaryIO], object]) -> None:
    """io/atomic's replace-by-rename, without fsyncs (an export writes many files), as ExportError."""
    try:
        write_atomic(target, write, durable=False)
    except OSError as exc:
        raise ExportError(f"cannot write {target}: {exc.strerror or exc}") from None


def _require_frames(project: Project) -> None:
    if project.length == 0:  # else a PNG export wrote only the sidecar and "0 files" looked like a success
        raise ExportError("the project has no frames to export; add a key first")


# -- generic image sequences -------------------------------------------------------------------
def write_png_sequence(images: Iterable[np.ndarray], out_dir: str | Path, name: str = "frame",
                       pad: int = 4, start: int = 1, total: int | None = None,
                       progress: ProgressFn | None = None) -> list[Path]:
    """Write RGBA images as `<name>_<####>.png` in `out_dir`; returns the paths in order."""
    from inbetweener.io.png import encode_png_rgba

    check_numbering(pad, start, total if total is not None else 1)
    folder = _ensure_dir(Path(out_dir))
    stem = sanitize_name(name)
    written: list[Path] = []
    for i, img in enumerate(images):
        if start + i >= 10 ** pad:  # more images than `total` said (or none said): same refusal
            check_numbering(pad, start, i + 1)
        target = _inside(folder, frame_file_name(stem, start + i, pad))
        data = encode_png_rgba(img)
        _write_atomic(target, lambda fh, data=data: fh.write(data))
        written.append(target)
        if progress is not None:
            progress(i + 1, total if total is not None else i + 1)
    return written


def sequence_leftovers(out_dir: str | Path, name: str, pad: int, numbers: Iterable[int],
                       clean: bool = False) -> list[Path]:
    """Files in `out_dir` named exactly like this sequence (`<name>_<pad digits>.png`) that writing
    `numbers` would not overwrite: an earlier, longer run. Without `clean` they are refused (the folder
    would mix two runs); with it they are returned for `remove_leftovers` once the new run is written."""
    folder = Path(out_dir)
    if not folder.is_dir():
        return []
    stem = sanitize_name(name)
    pattern = re.compile(re.escape(stem) + f"_[0-9]{{{pad}}}" + re.escape(".png"))
    ours = {frame_file_name(stem, n, pad) for n in numbers}
    leftovers = sorted(f for f in folder.iterdir()
                       if pattern.fullmatch(f.name) and f.name not in ours and not f.is_dir())
    if leftovers and not clean:
        raise ExportError(f"{folder} already holds {leftovers[0].name} from an earlier, longer sequence, which this "
                          "one would not overwrite; choose an empty folder or pass --clean to remove the old frames")
    return leftovers


def remove_leftovers(files: Iterable[Path]) -> None:
    """Delete the old frames `sequence_leftovers` found (only those files; a vanished one is fine)."""
    for f in files:
        try:
            f.unlink(missing_ok=True)
        except OSError as exc:
            raise ExportError(f"the new frames are written but the old {f.name} could not be removed "
                              f"({exc.strerror or exc}); delete it by hand") from None


# -- projects ----------------------------------------------------------------------------------
def timeline_images(project: Project) -> Iterator[np.ndarray]:
    """One RGBA image per timeline frame (holds repeated, blanks transparent)."""
    blank = np.zeros((project.height, project.width, 4), np.uint8)
    for f in range(project.length):
        shown = shown_at(project, f)
        yield blank if shown.image_id is None else project.image(shown.image_id)


def frame_records(project: Project, name: str, pad: int, start: int, ext: str = "png") -> list[dict]:
    """What each exported frame is: its file, timeline frame (1-based), kind and status."""
    records = []
    for f in range(project.length):
        shown = shown_at(project, f)
        kind = "blank" if shown.image_id is None else "hold" if shown.hold else (
            "key" if shown.status is not None and shown.status.value == "key" else "inbetween")
        records.append({
            "frame": f + 1,
            "file": frame_file_name(name, start + f, pad, ext),
            "kind": kind,
            "key": kind == "key",
            "status": None if shown.status is None else shown.status.value,
            "image": shown.image_id,
        })
    return records


def export_png_sequence(project: Project, out_dir: str | Path, name: str | None = None, pad: int = 4,
                        start: int = 1, progress: ProgressFn | None = None, clean: bool = False) -> list[Path]:
    """PNG per timeline frame plus `<name>.json` (fps, size, frame -> file, keys, status).

    Frames with the same names are overwritten; older frames of this name and width that this export
    would not overwrite are refused, or with `clean` removed once the new sequence is written.
    """
    _require_frames(project)
    check_numbering(pad, start, project.length)
    stem = sanitize_name(name if name is not None else project.name)
    leftovers = sequence_leftovers(out_dir, stem, pad, range(start, start + project.length), clean)
    files = write_png_sequence(timeline_images(project), out_dir, stem, pad, start,
                               total=project.length, progress=progress)
    folder = Path(out_dir).resolve()
    sidecar = {
        "format": "inbetweener-png-sequence",
        "version": SIDECAR_VERSION,
        "name": project.name,
        "fps": project.fps,
        "width": project.width,
        "height": project.height,
        "start": start,
        "pad": pad,
        "frames": frame_records(project, stem, pad, start),
    }
    text = json.dumps(sidecar, indent=2).encode("utf-8")
    _write_atomic(_inside(folder, f"{stem}.json"), lambda fh: fh.write(text))
    remove_leftovers(leftovers)
    return files


def _flatten(rgba: np.ndarray, background: tuple[int, int, int]) -> np.ndarray:
    """RGBA over an opaque background colour -> RGB uint8 (GIF and MP4 carry no soft alpha)."""
    a = rgba[..., 3:4].astype(np.float32) / 255.0
    bg = np.asarray(background, np.float32)
    rgb = rgba[..., :3].astype(np.float32) * a + bg * (1.0 - a)
    return np.clip(rgb + 0.5, 0, 255).astype(np.uint8)


GIF_MAX_DELAY_CS = 0xFFFF  # a GIF frame's delay: 16 bits of 1/100 s (655.35 s)


class _GifStream:
    """Writes a looping GIF frame by frame, so memory holds two frames whatever the length.

    Pillow's own `save_all` keeps every frame until the end (to merge repeats), so this uses its
    documented frame-level helpers (`GifImagePlugin.getheader` / `getdata`) instead. As Pillow does, a
    run of identical frames is stored once with the summed delay (so one frame waits here until the
    next differs), and a frame after the first stores only the box that changed (disposal 1: keep).
    """

    def __init__(self, fh: BinaryIO, frame_cs: int) -> None:
        self.fh, self.frame_cs = fh, frame_cs
        self.previous: np.ndarray | None = None           # the last RGB frame added
        self.pending: tuple[Any, tuple[int, int]] | None = None  # (P image, offset), delay still growing
        self.pending_cs = 0
        self.started = False

    def add(self, rgb: np.ndarray) -> None:
        if self.previous is None:
            top, left, bottom, right = 0, 0, rgb.shape[0], rgb.shape[1]
        else:
            changed = np.any(rgb != self.previous, axis=2)
            rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
            if not rows.size:  # a hold: the stored frame just lasts longer
                self.pending_cs += self.frame_cs
                if self.pending_cs > GIF_MAX_DELAY_CS:
                    raise ExportError("a frame or hold lasts longer than a GIF can show (655 s); "
                                      "export as mp4 or png instead")
                return
            top, left, bottom, right = rows[0], cols[0], rows[-1] + 1, cols[-1] + 1
        self._write_pending()
        from PIL import Image

        box = np.ascontiguousarray(rgb[top:bottom, left:right])
        self.pending = (Image.fromarray(box).quantize(256, dither=Image.Dither.NONE), (int(left), int(top)))
        self.pending_cs = self.frame_cs
        self.previous = rgb

    def _write_pending(self) -> None:
        if self.pending is None:
            return
        from PIL import GifImagePlugin

        image, offset = self.pending
        params: dict[str, Any] = {"duration": self.pending_cs * 10, "disposal": 1}
        if not self.started:  # the first frame fills the canvas and uses the global colour table
            header, _ = GifImagePlugin.getheader(image, info={"loop": 0, "duration": params["duration"]})
            self.fh.write(b"".join(header))
            self.started = True
        else:
            params["include_color_table"] = True  # each frame is quantised on its own
        for chunk in GifImagePlugin.getdata(image, offset, **params):
            self.fh.write(chunk)
        self.fh.flush()  # to the OS now: nothing of a long export piles up in this process
        self.pending = None

    def close(self) -> None:
        self._write_pending()
        self.fh.write(b";")  # GIF trailer


def export_gif(project: Project, out_dir: str | Path, name: str | None = None,
               background: tuple[int, int, int] = (255, 255, 255),
               progress: ProgressFn | None = None) -> Path:
    """An endlessly looping GIF at the project's fps (flattened on `background`), written frame by frame."""
    _require_frames(project)
    folder = _ensure_dir(Path(out_dir))
    target = _inside(folder, f"{sanitize_name(name if name is not None else project.name)}.gif")
    # GIF delays are whole 1/100 s: 24 fps becomes 4 (browsers clamp anything under 2).
    frame_cs = max(2, round(100.0 / project.fps))

    def write(fh: BinaryIO) -> None:
        gif = _GifStream(fh, frame_cs)
        for i, img in enumerate(timeline_images(project)):
            gif.add(_flatten(img, background))
            if progress is not None:
                progress(i + 1, project.length)
        gif.close()

    _write_atomic(target, write)
    return target


def export_mp4(project: Project, out_dir: str | Path, name: str | None = None,
               background: tuple[int, int, int] = (255, 255, 255), quality: int = 18,
               progress: ProgressFn | None = None) -> Path:
    """H.264 MP4 (yuv420p, so players everywhere open it) via the ffmpeg bundled with imageio-ffmpeg."""
    import imageio_ffmpeg

    _require_frames(project)
    folder = _ensure_dir(Path(out_dir))
    target = _inside(folder, f"{sanitize_name(name if name is not None else project.name)}.mp4")
    # yuv420p needs even sides: pad with the background rather than rescale the drawing.
    w, h = project.width + project.width % 2, project.height + project.height % 2
    tmp = target.with_name(f".{target.name}.part.mp4")
    try:  # an unwritable folder fails here with its reason, not as ffmpeg's log lines and a broken pipe
        open(tmp, "wb").close()
    except OSError as exc:
        raise ExportError(f"cannot write {target}: {exc.strerror or exc}") from None
    writer = imageio_ffmpeg.write_frames(
        str(tmp), (w, h), fps=project.fps, codec="libx264", pix_fmt_in="rgb24",
        pix_fmt_out="yuv420p", macro_block_size=1, output_params=["-crf", str(quality)],
        ffmpeg_log_level="error",
    )
    try:
        writer.send(None)
        canvas = np.empty((h, w, 3), np.uint8)
        canvas[:] = background
        for i, img in enumerate(timeline_images(project)):
            canvas[: project.height, : project.width] = _flatten(img, background)
            writer.send(np.ascontiguousarray(canvas))
            if progress is not None:
                progress(i + 1, project.length)
        writer.close()
        os.replace(tmp, target)
    except (OSError, RuntimeError) as exc:
        try:
            writer.close()
        except (OSError, RuntimeError):
            pass
        raise ExportError(f"cannot write {target.name}: {str(exc).splitlines()[0] if str(exc) else exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return target


def parse_colour(text: str) -> tuple[int, int, int]:
    """'white', 'black' or '#rrggbb' -> (r, g, b)."""
    named = {"white": (255, 255, 255), "black": (0, 0, 0), "grey": (128, 128, 128), "gray": (128, 128, 128)}
    value = text.strip().lower()
    if value in named:
        return named[value]
    if re.fullmatch(r"#?[0-9a-f]{6}", value):
        h = value.lstrip("#")
        return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)
    raise ExportError(f"{text!r} is not a colour; use white, black, grey or #rrggbb")


def export_project(project: Project, out_dir: str | Path, fmt: str = "png", name: str | None = None,
                   pad: int = 4, start: int = 1, progress: ProgressFn | None = None,
                   background: tuple[int, int, int] = (255, 255, 255), clean: bool = False) -> list[Path]:
    """Export in one of FORMATS; returns the files written (the sequence, or the one movie).

    `clean` (PNG only) removes older frames of the same name and width that the sequence does not overwrite.
    """
    if fmt == "png":
        return export_png_sequence(project, out_dir, name, pad, start, progress, clean)
    if fmt == "gif":
        return [export_gif(project, out_dir, name, background, progress=progress)]
    if fmt == "mp4":
        return [export_mp4(project, out_dir, name, background, progress=progress)]
    raise ExportError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
