"""The project file (.ibw): one zip holding project.json (versioned schema) and one PNG per image.

Saving is atomic (temp file beside the target, flush + fsync, rename, fsync the folder), so the old
file is either intact or fully replaced. Loading trusts nothing: member names, sizes, types and
references are all checked, and every problem is one ProjectFileError sentence. No pickle.
"""

from __future__ import annotations

import json
import lzma
import math
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any, BinaryIO

from inbetweener import __version__
from inbetweener.errors import ProjectFileError
from inbetweener.io.atomic import real_target, write_atomic
from inbetweener.io.paths_json import PathsFileError, path_from_json, path_to_json
from inbetweener.io.png import PNG_SIGNATURE, png_size
from inbetweener.model.images import ImageData
from inbetweener.model.project import (
    Cell,
    FrameStatus,
    Keyframe,
    Project,
    SegmentSettings,
)
from inbetweener.paths.timing import LINEAR, Timing

FORMAT_NAME = "inbetweener-project"
SCHEMA_VERSION = 1
PROJECT_MEMBER = "project.json"
IMAGE_DIR = "images/"

MAX_SIDE = 16384                      # pixels, either side of the canvas
MAX_FRAMES = 1_000_000                # timeline length
MAX_JSON_BYTES = 64 * 1024 * 1024     # project.json, uncompressed
MAX_MEMBERS = 200_000
MAX_COMPRESSION_RATIO = 1000          # PNGs never inflate this much; zip bombs do
# PNG data is compressed already (we store it); re-deflated it barely shrinks. A bound on the ratio
# bounds the total a file can inflate to at 100x its size, whatever sizes its members declare.
MAX_IMAGE_COMPRESSION_RATIO = 100
MAX_MESSAGE_CHARS = 300
MAX_NAME_CHARS = 256                  # the project's name (shown in titles, used for export names)
# Paths cost time to build (arc-length tables): bounds far above any hand-made animation keep a tiny
# hostile file from taking minutes to open (fuzzing found 74 KB -> 8 s before these).
MAX_PATH_POINTS = 3 * 1000 + 1        # one path: 1000 cubic pieces
MAX_TOTAL_PATH_POINTS = 100_000       # the whole project
MAX_PATHS = 20_000                    # the whole project: 8 autopilot paths x 2500 segments
MAX_FINGERPRINT_CHARS = 64            # a generated frame's input fingerprint (16 hex digits today)


# -- saving ----------------------------------------------------------------------------------------
def project_to_json(project: Project) -> dict[str, Any]:
    used = {k.image_id for k in project.keyframes} | {c.image_id for c in project.cells.values()}
    return {
        "format": FORMAT_NAME,
        "schema": SCHEMA_VERSION,
        "app_version": __version__,
        "name": project.name,
        "canvas": {"width": project.width, "height": project.height},
        "fps": project.fps,
        "length": project.length,
        "keyframes": [{"frame": k.frame, "image": k.image_id} for k in project.keyframes],
        "segments": [
            {
                "engine": s.engine,
                "seed": s.seed,
                "options": dict(s.options),
                "paths": [path_to_json(p) for p in s.paths],
                # Optional: absent = even spacing, as in files saved before it existed.
                **({"spacing": s.spacing.to_json()} if s.spacing != LINEAR else {}),
            }
            for s in project.segment_settings
        ],
        # "fingerprint" (what a generated frame was made from) is optional: absent = unknown, as in
        # files saved before it existed. Older readers ignore it, so the schema version stays.
        "cells": [
            {"frame": f, "image": c.image_id, "status": c.status.value,
             **({"fingerprint": c.fingerprint} if c.fingerprint is not None else {})}
            for f, c in sorted(project.cells.items())
        ],
        "images": {
            i: {"file": f"{IMAGE_DIR}{i}.png", "width": project.images[i].width, "height": project.images[i].height}
            for i in sorted(used)
        },
    }


def _save_problem(project: Project) -> str | None:
    """What `load_project` would refuse in this document (so saving it would lose the project), or None."""
    if project.length > MAX_FRAMES:
        return f"the timeline is {project.length} frames long, over the {MAX_FRAMES} a project can hold; remove frames"
    if len(project.name) > MAX_NAME_CHARS:
        return f"its name is over {MAX_NAME_CHARS} characters; shorten it"
    for i, s in enumerate(project.segment_settings):
        if len(s.engine) > 64 or isinstance(s.seed, bool) or not 0 <= s.seed <= 2**63 - 1:
            return f"segment {i + 1} has an engine name or seed out of range; change it"
        for key, value in s.options:
            if not (value is None or isinstance(value, (str, bool, int))
                    or (isinstance(value, float) and math.isfinite(value))):
                return f"segment {i + 1} option {key!r} is not text, a finite number or true/false; change it"
    for f, c in project.cells.items():
        if c.fingerprint is not None and (not isinstance(c.fingerprint, str)
                                          or len(c.fingerprint) > MAX_FINGERPRINT_CHARS):
            return f"frame {f + 1} records a damaged fingerprint; regenerate it"
    return None


def save_project(project: Project, path: str | Path) -> None:
    """Write the project atomically: the file at `path` is the old one or the new one, never a mix.

    Saving over a symlink replaces the file it points to (the link stays); a read-only file or
    folder is a ProjectFileError with the old file left as it was.
    """
    target = Path(path)
    folder = real_target(target).parent
    if not folder.is_dir():
        raise ProjectFileError(f"the folder {folder} does not exist; choose an existing folder")
    problem = _save_problem(project)
    if problem:  # never replace a good file with one that cannot be opened again
        raise ProjectFileError(f"{target.name} was not saved: {problem}, then save again")
    doc = project_to_json(project)

    def write(fh: BinaryIO) -> None:
        with zipfile.ZipFile(fh, "w") as zf:
            zf.writestr(PROJECT_MEMBER, json.dumps(doc, indent=1), compress_type=zipfile.ZIP_DEFLATED)
            for image_id, meta in doc["images"].items():
                # PNGs are compressed already: store them.
                zf.writestr(meta["file"], project.images[image_id].png_bytes(), compress_type=zipfile.ZIP_STORED)

    try:
        write_atomic(target, write)
    except OSError as exc:  # read-only file or folder, disk full...: the old file is untouched
        raise ProjectFileError(f"could not save {target.name} ({exc.strerror or exc}); "
                               "check free space and permissions, then save again") from None


# -- loading ---------------------------------------------------------------------------------------
def load_project(path: str | Path) -> Project:
    """Read and validate a project file; anything wrong is one ProjectFileError sentence."""
    p = Path(path)
    name = p.name
    if not p.exists():
        raise ProjectFileError(f"{p} does not exist; check the path")
    if p.is_dir():
        raise ProjectFileError(f"{p} is a folder, not a project file")
    try:
        with zipfile.ZipFile(p) as zf:
            return _load_zip(zf, name)
    except ProjectFileError as exc:
        text = " ".join(str(exc).split())  # one line, whatever the file put into the message
        if len(text) > MAX_MESSAGE_CHARS:
            text = text[:MAX_MESSAGE_CHARS - 1] + "…"
        if text == str(exc):
            raise
        raise ProjectFileError(text) from None
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile, NotImplementedError, zlib.error,
            lzma.LZMAError, struct.error):
        # zlib/lzma errors: a damaged compressed stream; struct.error: a cut-off header.
        raise ProjectFileError(f"{name} is not a valid project file (damaged or not a .ibw zip)") from None
    except OSError as exc:
        raise ProjectFileError(f"cannot read {name} ({exc.strerror or exc})") from None
    except (ValueError, TypeError, KeyError, RecursionError, OverflowError, MemoryError) as exc:
        raise ProjectFileError(f"{name} is damaged ({_short(exc)}); open a backup or the recovery copy") from None


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:160]


def _check_member_names(zf: zipfile.ZipFile, name: str) -> dict[str, zipfile.ZipInfo]:
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ProjectFileError(f"{name} holds too many files to be a project")
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        n = info.filename
        if (n.startswith(("/", "\\")) or "\\" in n or ".." in n.split("/") or ":" in n
                or any(ord(ch) < 32 for ch in n)):
            raise ProjectFileError(f"{name} contains an unsafe member name {n[:80]!r}; it was not opened")
        if n in members:
            raise ProjectFileError(f"{name} contains the member {n[:80]!r} twice; it was not opened")
        if info.flag_bits & 0x1:
            raise ProjectFileError(f"{name} contains an encrypted member; projects are never encrypted, "
                                   "so it was not opened")
        members[n] = info
    return members


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, name: str,
                 max_ratio: float = MAX_COMPRESSION_RATIO) -> bytes:
    """Read at most `limit` bytes; a member that declares or inflates to more is refused."""
    if info.file_size > limit:
        raise ProjectFileError(f"{name}: {info.filename[:80]} is larger than any project needs; it was not opened")
    if info.file_size / max(info.compress_size, 1) > max_ratio:
        raise ProjectFileError(f"{name}: {info.filename[:80]} is a suspicious archive member (zip bomb?); it was not opened")
    try:
        with zf.open(info) as fh:
            # Ask for no more than the declared size (+1 to notice a lie): zipfile inflates up to the
            # amount asked for in one go, so asking for `limit` would inflate `limit` bytes of a bomb.
            data = fh.read(info.file_size + 1)
    except OSError:  # bz2 reports a damaged stream as OSError: the file is damaged, not unreadable
        raise ProjectFileError(f"{name} is not a valid project file (damaged or not a .ibw zip)") from None
    if len(data) > limit:
        raise ProjectFileError(f"{name}: {info.filename[:80]} inflates beyond its declared size; it was not opened")
    return data


def _load_zip(zf: zipfile.ZipFile, name: str) -> Project:
    members = _check_member_names(zf, name)
    info = members.get(PROJECT_MEMBER)
    if info is None:
        raise ProjectFileError(f"{name} has no {PROJECT_MEMBER}; it is not an inbetweener project")
    raw = _read_member(zf, info, MAX_JSON_BYTES, name)
    try:
        doc = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
        raise ProjectFileError(f"{name}: project.json is not valid JSON ({_short(exc)})") from None
    return _project_from_doc(doc, zf, members, name)


_PNG_COLOR_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}


def _png_structure_problem(data: bytes) -> str | None:
    """Walk the PNG chunks (lengths, CRCs, IHDR first, IDAT present, IEND last); None if sound.

    Images are decoded lazily, so a damaged PNG would otherwise only fail when first shown; the zip
    CRC cannot catch a PNG that was already damaged when it was stored.
    """
    pos, first, seen_idat = 8, True, False
    while pos + 12 <= len(data):
        length, ctype = struct.unpack_from(">I4s", data, pos)
        end = pos + 12 + length
        if length > 0x7FFFFFFF or end > len(data):
            return "has a cut-off PNG chunk"
        crc = struct.unpack_from(">I", data, end - 4)[0]
        if zlib.crc32(data[pos + 4:end - 4]) != crc:
            return "has a damaged PNG chunk (checksum mismatch)"
        if first:
            if ctype != b"IHDR" or length != 13:
                return "does not start with a PNG header chunk"
            depth, color, compression, filt, interlace = data[pos + 16:pos + 21]
            if depth not in _PNG_COLOR_DEPTHS.get(color, ()) or compression or filt or interlace > 1:
                return "has an invalid PNG header"
            first = False
        seen_idat |= ctype == b"IDAT"
        if ctype == b"IEND":
            return None if seen_idat else "has no pixel data"
        pos = end
    return "is cut off (no PNG end chunk)"


def _reject_constant(value: str) -> Any:
    raise ValueError(f"{value} is not allowed")


class _Reader:
    """Typed access to the JSON document with error messages that say where the problem is."""

    def __init__(self, file_name: str) -> None:
        self.file_name = file_name

    def fail(self, where: str, what: str) -> ProjectFileError:
        return ProjectFileError(f"{self.file_name} is damaged: {where} {what}")

    def obj(self, v: Any, where: str) -> dict:
        if not isinstance(v, dict):
            raise self.fail(where, "must be an object")
        return v

    def lst(self, v: Any, where: str) -> list:
        if not isinstance(v, list):
            raise self.fail(where, "must be a list")
        return v

    def int_(self, v: Any, where: str, lo: int, hi: int) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise self.fail(where, f"must be a whole number from {lo} to {hi}")
        return v

    def num(self, v: Any, where: str, lo: float, hi: float) -> float:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not lo <= v <= hi:
            raise self.fail(where, f"must be a number from {lo} to {hi}")
        return float(v)

    def str_(self, v: Any, where: str, max_len: int = 256) -> str:
        if not isinstance(v, str) or len(v) > max_len:
            raise self.fail(where, "must be text")
        return v


def _project_from_doc(doc: Any, zf: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], name: str) -> Project:
    r = _Reader(name)
    doc = r.obj(doc, "the document")
    if doc.get("format") != FORMAT_NAME:
        raise ProjectFileError(f"{name} is not an inbetweener project")
    schema = doc.get("schema")
    if isinstance(schema, int) and not isinstance(schema, bool) and schema > SCHEMA_VERSION:
        shown = schema if schema < 10**6 else "unknown"  # a huge number would make a huge message
        raise ProjectFileError(
            f"{name} was saved by a newer inbetweener (format {shown}; this one reads up to {SCHEMA_VERSION}); "
            "update inbetweener to open it"
        )
    r.int_(schema, "the schema version", 1, SCHEMA_VERSION)
    canvas = r.obj(doc.get("canvas"), "canvas")
    width = r.int_(canvas.get("width"), "canvas width", 1, MAX_SIDE)
    height = r.int_(canvas.get("height"), "canvas height", 1, MAX_SIDE)
    fps = r.num(doc.get("fps", 24), "fps", 0.001, 1000)
    length = r.int_(doc.get("length", 0), "length", 0, MAX_FRAMES)
    title = r.str_(doc.get("name", "untitled"), "name", MAX_NAME_CHARS)

    image_table = r.obj(doc.get("images", {}), "images")
    images: dict[str, ImageData] = {}
    png_limit = width * height * 8 + 1024 * 1024  # generous: worst-case PNG of this canvas
    for image_id, meta in image_table.items():
        where = f"image {image_id[:40]!r}"
        if not (0 < len(image_id) <= 64 and image_id.isalnum()):
            raise r.fail(where, "has an invalid id")
        meta = r.obj(meta, where)
        w = r.int_(meta.get("width"), f"{where} width", 1, MAX_SIDE)
        h = r.int_(meta.get("height"), f"{where} height", 1, MAX_SIDE)
        if (w, h) != (width, height):
            raise r.fail(where, f"is {w}x{h} but the canvas is {width}x{height}")
        member = r.str_(meta.get("file"), f"{where} file")
        info = members.get(member)
        if info is None or not member.startswith(IMAGE_DIR):
            raise r.fail(where, f"refers to {member[:80]!r}, which is not in the file")
        data = _read_member(zf, info, png_limit, name, MAX_IMAGE_COMPRESSION_RATIO)
        if data[:8] != PNG_SIGNATURE:
            raise r.fail(where, "is not a PNG")
        try:
            pw, ph = png_size(data)
        except ValueError:
            raise r.fail(where, "has a broken PNG header") from None
        problem = _png_structure_problem(data)
        if problem:
            raise r.fail(where, problem)
        if (pw, ph) != (w, h):
            raise r.fail(where, f"is {pw}x{ph} inside but declared {w}x{h}")
        images[image_id] = ImageData.from_png(data, (h, w))

    def image_ref(v: Any, where: str) -> str:
        image_id = r.str_(v, where, 64)
        if image_id not in images:
            raise r.fail(where, f"refers to a missing image {image_id[:40]!r}")
        return image_id

    keyframes = []
    for i, k in enumerate(r.lst(doc.get("keyframes", []), "keyframes")):
        k = r.obj(k, f"keyframe {i + 1}")
        keyframes.append(Keyframe(r.int_(k.get("frame"), f"keyframe {i + 1} frame", 0, MAX_FRAMES - 1),
                                  image_ref(k.get("image"), f"keyframe {i + 1} image")))
    frames = [k.frame for k in keyframes]
    if frames != sorted(set(frames)):
        raise r.fail("keyframes", "must be at distinct frames in increasing order")

    raw_segments = r.lst(doc.get("segments", []), "segments")
    if len(raw_segments) != max(0, len(keyframes) - 1):
        raise r.fail("segments", f"number {len(raw_segments)} but there are {len(keyframes)} keys")
    settings = []
    path_points = path_count = 0
    for i, s in enumerate(raw_segments):
        where = f"segment {i + 1}"
        s = r.obj(s, where)
        engine = r.str_(s.get("engine", "flow"), f"{where} engine", 64)
        seed = r.int_(s.get("seed", 0), f"{where} seed", 0, 2**63 - 1)
        options = r.obj(s.get("options", {}), f"{where} options")
        for key, value in options.items():
            if not (value is None or isinstance(value, (str, bool, int)) or
                    (isinstance(value, float) and math.isfinite(value))):
                raise r.fail(f"{where} option {key[:40]!r}", "must be text, a number or true/false")
        raw_paths = r.lst(s.get("paths", []), f"{where} paths")
        for j, p in enumerate(raw_paths):
            points = p.get("points") if isinstance(p, dict) else None
            count = len(points) if isinstance(points, list) else 4
            if count > MAX_PATH_POINTS:
                raise r.fail(f"{where} path {j + 1}", f"has {count} points (at most {MAX_PATH_POINTS})")
            path_points += count
            path_count += 1
        if path_count > MAX_PATHS:
            raise r.fail("motion paths", f"number over {MAX_PATHS}, more than any project needs")
        if path_points > MAX_TOTAL_PATH_POINTS:
            raise r.fail("motion paths", f"hold over {MAX_TOTAL_PATH_POINTS} points in all, more than any project needs")
        try:
            paths = tuple(path_from_json(p, f"{where} path {j + 1}") for j, p in enumerate(raw_paths))
        except (PathsFileError, ValueError) as exc:
            raise ProjectFileError(f"{name} is damaged: {_short(exc)}") from None
        raw_spacing = s.get("spacing", "linear")
        if not isinstance(raw_spacing, (str, list)):
            raise r.fail(f"{where} spacing", "must be a preset name or [x1, y1, x2, y2]")
        try:
            spacing = Timing.parse(raw_spacing)
            settings.append(SegmentSettings(engine, seed, tuple(sorted(options.items())), paths, spacing))
        except ValueError as exc:
            raise r.fail(f"{where} spacing:", _short(exc)) from None

    cells: dict[int, Cell] = {}
    key_frames = set(frames)  # a set: many keys times many cells must not be quadratic
    for i, c in enumerate(r.lst(doc.get("cells", []), "cells")):
        where = f"frame entry {i + 1}"
        c = r.obj(c, where)
        frame = r.int_(c.get("frame"), f"{where} frame", 0, MAX_FRAMES - 1)  # 0-based, inside the length
        try:
            status = FrameStatus(c.get("status", "generated"))
        except ValueError:
            raise r.fail(where, "has an unknown status") from None
        if status == FrameStatus.KEY or frame in cells or frame in key_frames:
            raise r.fail(where, "clashes with a key or another frame")
        fingerprint = None  # absent in files saved before frames recorded their inputs
        if "fingerprint" in c:
            fingerprint = r.str_(c["fingerprint"], f"{where} fingerprint", MAX_FINGERPRINT_CHARS)
        cells[frame] = Cell(image_ref(c.get("image"), f"{where} image"), status, fingerprint)

    try:
        return Project(width=width, height=height, fps=fps, keyframes=tuple(keyframes),
                       segment_settings=tuple(settings), cells=cells, images=images,
                       length=max([length] + [f + 1 for f in cells]), name=title)
    except ValueError as exc:
        raise ProjectFileError(f"{name} is damaged: {_short(exc)}") from None
