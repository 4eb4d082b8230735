"""The `inbetweener` command: gui (default), tween, new, render, export, models.

`main(argv)` returns the exit status: 0 done, 2 a problem the user can fix (one line on stderr),
130 interrupted. Heavy modules (cv2, Pillow, the engines, Qt) are imported inside the commands,
so `import inbetweener.cli` and `inbetweener --help` stay quick.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from inbetweener import __version__
from inbetweener.allocator import keep_freed_memory
from inbetweener.errors import UserError

if TYPE_CHECKING:  # annotations only: these stay out of `import inbetweener.cli`
    import numpy as np
    from tqdm import tqdm

    from inbetweener.model.project import MotionPath

PROG = "inbetweener"
# What the `gui` command runs: (project or None, screenshot path or None, 0-based frame or None) -> status.
EditorLauncher = Callable[[Path | None, Path | None, int | None], int]
DEFAULT_EVERY = 8
DEFAULT_PAD = 4
# inbetweener.paths.timing.PRESET_NAMES, spelled out so `import inbetweener.cli` and --help need no
# numpy; tests/cli check the two agree.
TIMING_PRESETS = ("linear", "ease-in", "ease-out", "ease-in-out", "anticipate", "overshoot")
# inbetweener.paths.timing.SPACING_PRESET_NAMES, spelled out likewise (tests/cli check).
SPACING_PRESETS = ("linear", "ease-in", "ease-out", "ease-in-out")
_SPACING_HELP = ("where the in-betweens fall between the keys, like a spacing chart (default linear: evenly; "
                 "ease-in bunches them near the first key, ease-out near the last; paths' timings apply on top)")
MAX_INBETWEENS = 10_000


class ArgumentError(UserError):
    """Bad command-line arguments (shown as one line, exit 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting, so main() prints one line."""

    def error(self, message: str) -> NoReturn:
        raise ArgumentError(f"{message} (see {self.prog} --help)")


# -- argument types -----------------------------------------------------------------------------
def _int_range(lo: int, hi: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < lo or (hi is not None and value > hi):
            bound = f"at least {lo}" if hi is None else f"between {lo} and {hi}"
            raise argparse.ArgumentTypeError(f"{value} must be {bound}")
        return value
    parse.__name__ = "number"
    return parse


def _float_range(lo: float, hi: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{value} must be between {lo} and {hi}")
        return value
    parse.__name__ = "number"
    return parse


def _key_value(text: str) -> tuple[str, Any]:
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"{text!r} must look like KEY=VALUE")
    try:
        value: Any = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key.strip(), value


def _add_engine_flags(p: argparse.ArgumentParser, default_engine: str | None) -> None:
    g = p.add_argument_group("engine")
    g.add_argument("--engine", default=default_engine,
                   help="engine name: flow, crossfade, diffusion"
                        + (f" (default {default_engine})" if default_engine else " (default: each segment's own)"))
    g.add_argument("--model", metavar="DIR", help="diffusion: model folder (diffusers format)")
    g.add_argument("--device", choices=("cuda", "cpu"), help="diffusion: where to run")
    g.add_argument("--steps", type=_int_range(1, 1000), help="diffusion: sampling steps")
    g.add_argument("--mode", choices=("fuse", "rotate", "finetuned"), help="diffusion: keyframe mode")
    g.add_argument("--strength", type=_float_range(0.0, 1.0), help="diffusion: path steering strength 0..1")
    g.add_argument("--threads", type=_int_range(1, 256), help="CPU threads the engine may use")
    g.add_argument("--option", action="append", type=_key_value, default=[], metavar="KEY=VALUE",
                   help="any engine option (VALUE read as JSON, else text); repeatable")


def _engine_options(args: argparse.Namespace) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    for name in ("model", "device", "steps", "mode", "strength", "threads"):
        value = getattr(args, name, None)
        if value is not None:
            opts[name] = value
    opts.update(dict(args.option))
    return opts


def _add_numbering(p: argparse.ArgumentParser, name_help: str) -> None:
    p.add_argument("--name", help=name_help)
    p.add_argument("--pad", type=_int_range(1, 9), default=None,
                   help="digits in frame numbers (default 4, or more when the last number needs them; "
                        "a --pad too small for the last number is refused, as the files would sort out of order)")
    p.add_argument("--start", type=_int_range(0), default=1, help="number of the first file (default 1)")
    p.add_argument("--clean", action="store_true",
                   help="remove older frames of the same name and digits that this run does not overwrite "
                        "(without it such a folder is refused); other files are never touched")


def _pad_for(args: argparse.Namespace, count: int) -> int:
    """--pad as given (checked: too few digits for `count` files is an error), else 4 or as many as needed."""
    from inbetweener.io.export import check_numbering, min_pad

    if args.pad is None:
        return max(DEFAULT_PAD, min_pad(args.start, count))
    check_numbering(args.pad, args.start, count)
    return int(args.pad)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="In-betweening for 2D animators. Without a command, opens the editor.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    common = _Parser(add_help=False)
    common.add_argument("--quiet", "-q", action="store_true", help="no progress bar or summary")

    p = sub.add_parser("gui", parents=[common], help="open the editor (the default)")
    p.add_argument("project", nargs="?", type=Path, help="a .ibw project to open")
    p.add_argument("--screenshot", type=Path, metavar="OUT.png", help="save a screenshot of the window and quit")
    p.add_argument("--frame", type=_int_range(1), help="frame to show (1-based)")

    p = sub.add_parser("tween", parents=[common], help="in-between two key drawings into a PNG sequence")
    p.add_argument("key_a", type=Path, metavar="KEY_A")
    p.add_argument("key_b", type=Path, metavar="KEY_B")
    p.add_argument("--inbetweens", "-n", type=_int_range(0, MAX_INBETWEENS), required=True, metavar="N",
                   help="how many frames between the keys")
    p.add_argument("--out", "-o", type=Path, required=True, metavar="DIR", help="folder for the PNGs")
    p.add_argument("--paths", type=Path, metavar="PATHS.json", help="motion paths (see README)")
    p.add_argument("--autopilot", action="store_true", help="add paths found by matching the two keys")
    p.add_argument("--save-paths", type=Path, metavar="OUT.json",
                   help="write the paths as the frames followed them (an end placed off its match, "
                        "moved onto it; the autopilot's too) to this file, for the next run's --paths")
    p.add_argument("--timing", choices=TIMING_PRESETS,
                   help="timing for paths that set none (also the crossfade easing)")
    p.add_argument("--spacing", choices=SPACING_PRESETS, default="linear", help=_SPACING_HELP)
    p.add_argument("--fit", choices=("contain", "cover", "stretch"), help="fit KEY_B to KEY_A's size")
    p.add_argument("--seed", type=_int_range(0, 2**32 - 1), default=0, help="random seed (default 0)")
    _add_numbering(p, "file name stem (default: KEY_A's name)")
    _add_engine_flags(p, "flow")

    p = sub.add_parser("new", parents=[common], help="make a project from key drawings")
    p.add_argument("project", type=Path, metavar="PROJECT.ibw")
    p.add_argument("keys", type=Path, nargs="+", metavar="KEY")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--at", type=_int_range(1), nargs="+", metavar="F",
                       help="timeline frame of each key (1-based, increasing)")
    where.add_argument("--every", type=_int_range(1, 100_000), metavar="K",
                       help=f"a key every K frames from frame 1 (default {DEFAULT_EVERY})")
    p.add_argument("--fps", type=_float_range(1.0, 240.0), default=24.0, help="frames per second (default 24)")
    p.add_argument("--fit", choices=("contain", "cover", "stretch"),
                   help="fit keys that differ from the first key's size")
    p.add_argument("--name", help="project name (default: the file name)")
    p.add_argument("--engine", help="engine for every segment (default flow)")
    p.add_argument("--paths", type=Path, metavar="PATHS.json", help="motion paths for the first segment")
    p.add_argument("--spacing", choices=SPACING_PRESETS, help="every segment's spacing: " + _SPACING_HELP)
    p.add_argument("--force", action="store_true", help="overwrite an existing project")

    p = sub.add_parser("render", parents=[common],
                       help="generate the in-betweens of a project and save it (locked frames are kept; "
                            "accepted ones are regenerated, as the editor's Generate does)")
    p.add_argument("project", type=Path, metavar="PROJECT.ibw")
    p.add_argument("--segment", type=_int_range(1), metavar="I", help="only segment I (1-based)")
    p.add_argument("--move-path-ends", action="store_true",
                   help="keep the path ends the engine followed onto their match (placed a few px off): "
                        "the project's paths move there and the segment is generated again from them")
    _add_engine_flags(p, None)

    p = sub.add_parser("export", parents=[common], help="write a project's frames as PNGs, a GIF or an MP4")
    p.add_argument("project", type=Path, metavar="PROJECT.ibw")
    p.add_argument("--out", "-o", type=Path, required=True, metavar="DIR")
    p.add_argument("--format", choices=("png", "gif", "mp4"), default="png", help="default png")
    p.add_argument("--background", default="white", metavar="COLOUR",
                   help="GIF/MP4 only: colour under transparent parts, white|black|grey|#rrggbb (default white)")
    _add_numbering(p, "file name stem (default: the project's name)")

    p = sub.add_parser("models", parents=[common], help="list diffusion models found on this machine")
    p.add_argument("--model", type=Path, action="append", default=[], metavar="DIR",
                   help="also look in this folder; repeatable")
    return parser


# -- main ---------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None, open_editor: EditorLauncher | None = None) -> int:
    """Run the command line; returns the exit status (never raises for user errors).

    `open_editor` is what the `gui` command runs. The core knows no Qt: the editor plugs itself in
    here from its own entry point (ui/launch.py, the installed `inbetweener` program).
    """
    keep_freed_memory()  # the engines free and reallocate frame-sized arrays (see allocator.py)
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0].lower().endswith(".ibw"):
        # "Open with" on Windows / macOS and desktop entries pass the project file alone.
        args_list.insert(0, "gui")
    try:
        args = build_parser().parse_args(args_list)
        command = args.command or "gui"
        if not args.command:
            args.project, args.screenshot, args.frame, args.quiet = None, None, None, False
        args.open_editor = open_editor
        return int(_COMMANDS[command](args) or 0)
    except SystemExit as exc:  # --help / --version
        return exc.code if isinstance(exc.code, int) else 0
    except UserError as exc:
        _fail(str(exc))
        return 2
    except KeyboardInterrupt:
        _fail("interrupted; nothing was saved")
        return 130
    except OSError as exc:  # disk full, no permission...: the user's environment, not a bug
        where = f" ({exc.filename})" if exc.filename else ""
        _fail(f"{exc.strerror or exc}{where}; check the path, free space and permissions")
        return 2
    except Exception as exc:
        from inbetweener.model.commands import CommandError  # here: keeps --help free of numpy

        if isinstance(exc, CommandError):  # an edit that makes no sense: the message says why
            _fail(str(exc))
            return 2
        # A bug, not the user's fault: say so in one line unless debugging.
        if os.environ.get("INBETWEENER_DEBUG"):
            raise
        _fail(f"internal error ({type(exc).__name__}: {exc}); rerun with INBETWEENER_DEBUG=1 and report it")
        return 1


def _fail(message: str) -> None:
    line = " ".join(message.split()) or "failed"
    print(f"{PROG}: error: {line}", file=sys.stderr)


class _NoBar:
    """What _progress_bar gives when nothing is shown: counts like a bar, draws nothing."""

    def __init__(self) -> None:
        self.n = 0.0
        self.total = 0.0

    def update(self, amount: float = 1) -> None:
        self.n += amount

    def close(self) -> None:
        pass


def _progress_bar(args: argparse.Namespace, total: int, unit: str = "frame") -> tqdm | _NoBar:
    """A progress bar on a terminal; with --quiet or stderr not a terminal (a script, a pipe) a
    silent stand-in, sparing each run tqdm's import (about 80 ms of a one-frame tween's 1.1 s)."""
    if getattr(args, "quiet", False) or not sys.stderr.isatty():
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, file=sys.stderr, leave=False, dynamic_ncols=True)


def _say(args: argparse.Namespace, text: str) -> None:
    if not args.quiet:
        print(text)


# -- gui ----------------------------------------------------------------------------------------
def cmd_gui(args: argparse.Namespace) -> int:
    if args.open_editor is None:
        raise UserError("this entry point has no editor; open it with the `inbetweener` program "
                        "(or `python -m ui`)")
    if args.project is not None and not args.project.exists():
        raise UserError(f"the project {args.project} does not exist; check the path")
    return int(args.open_editor(args.project, args.screenshot, None if args.frame is None else args.frame - 1) or 0)


# -- tween --------------------------------------------------------------------------------------
def _spaced_times(count: int, spacing: str) -> tuple[float, ...]:
    """The times of `count` in-betweens (j / (count + 1)) through a spacing preset."""
    from inbetweener.paths.timing import Timing

    even = [j / (count + 1) for j in range(1, count + 1)]
    return tuple(even) if spacing == "linear" else tuple(float(v) for v in Timing.preset(spacing).progress(even))


def _load_paths(file: Path, timing: str | None) -> list[MotionPath]:
    """Paths from a file; with --timing, paths that set no timing of their own get it."""
    from dataclasses import replace

    from inbetweener.io.paths_json import load_paths
    from inbetweener.paths.timing import Timing

    paths = load_paths(file)
    if timing is None:
        return list(paths)
    entries = json.loads(file.read_text(encoding="utf-8-sig"))["paths"]
    t = Timing.preset(timing)
    return [p if "timing" in e else replace(p, timing=t) for p, e in zip(paths, entries, strict=True)]


def _autopilot(args: argparse.Namespace, key_a: np.ndarray, key_b: np.ndarray,
               timing: str | None) -> list[MotionPath]:
    from dataclasses import replace

    from inbetweener.paths.timing import Timing

    try:
        from inbetweener.match import propose_paths
    except ImportError as exc:
        raise UserError(f"autopilot is not available in this installation ({exc})") from None
    proposal = propose_paths(key_a, key_b)
    _say(args, proposal.summary())
    found = list(proposal.paths)
    if timing is not None:
        found = [replace(p, timing=Timing.preset(timing)) for p in found]
    return found


def cmd_tween(args: argparse.Namespace) -> int:
    import shutil
    import tempfile

    from inbetweener.engines.base import Progress, TweenFrame, TweenRequest, get_engine
    from inbetweener.errors import EngineError
    from inbetweener.io.export import (
        ExportError,
        frame_file_name,
        remove_leftovers,
        sanitize_name,
        sequence_leftovers,
        write_png_sequence,
    )
    from inbetweener.io.images import load_image

    # Check everything before anything is written.
    key_a = load_image(args.key_a)
    key_b = load_image(args.key_b, (key_a.shape[1], key_a.shape[0]), args.fit)
    paths = _load_paths(args.paths, args.timing) if args.paths else []
    if args.autopilot:
        paths += _autopilot(args, key_a, key_b, args.timing)
    options = _engine_options(args)
    if args.timing:
        options.setdefault("timing", args.timing)
    engine = get_engine(args.engine)
    n = args.inbetweens
    request = TweenRequest(key_a, key_b, _spaced_times(n, args.spacing), tuple(paths), args.seed, options)
    name = sanitize_name(args.name if args.name else args.key_a.stem)
    pad = _pad_for(args, n + 2)
    out = args.out
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} is a file, not a folder; choose a folder for --out")
    if args.save_paths is not None and (args.save_paths.is_dir() or not args.save_paths.parent.is_dir()):
        raise ArgumentError(f"--save-paths {args.save_paths} is not a file in an existing folder; "
                            "name a .json file in a folder that exists")
    leftovers = sequence_leftovers(out, name, pad, range(args.start, args.start + n + 2), args.clean)

    # Frames go to a private folder inside --out as they arrive (memory stays flat for long
    # sequences) and move into place only when all are there: a failure leaves no half sequence.
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".inbetweener-", dir=out))
    have = [False] * n
    bar = _progress_bar(args, 100, unit="%")
    gen = engine.tween(request)
    try:
        write_png_sequence([key_a], staging, name, pad, args.start)
        write_png_sequence([key_b], staging, name, pad, args.start + n + 1)
        done = 0.0
        notes: list[str] = []  # what the engine made of the drawings, said once the frames are written
        followed: dict[int, Any] = {}  # paths the engine followed in place of the request's (Progress.followed)
        for item in gen:
            if isinstance(item, TweenFrame):
                image = item.image
                if not 0 <= item.index < n or image.shape != key_a.shape or image.dtype != key_a.dtype:
                    raise EngineError(f"the {args.engine} engine returned a frame of the wrong size or type")
                write_png_sequence([image], staging, name, pad, args.start + item.index + 1)
                have[item.index] = True
            elif isinstance(item, Progress):
                bar.update(max(0.0, 100 * item.fraction - done))
                done = max(done, 100 * item.fraction)
                if item.note:
                    notes.append(item.message)
                followed.update(item.followed)
        if not all(have):
            raise EngineError(f"the {args.engine} engine did not make in-between {have.index(False) + 1}; "
                              "try another engine")
        final = [out / frame_file_name(name, args.start + i, pad) for i in range(n + 2)]
        for dst in final:
            os.replace(staging / dst.name, dst)
        remove_leftovers(leftovers)
    except BaseException:
        if created:
            shutil.rmtree(out, ignore_errors=True)
        raise
    finally:
        gen.close()
        bar.close()
        shutil.rmtree(staging, ignore_errors=True)
    removed = f"; removed {len(leftovers)} older frame(s) of the same name" if leftovers else ""
    _say(args, f"wrote {len(final)} frames to {out}/ ({final[0].name} .. {final[-1].name}){removed}")
    for text in notes:
        _say(args, text)
    if args.save_paths is not None:
        from inbetweener.io.paths_json import save_paths

        save_paths(args.save_paths, [followed.get(i, path) for i, path in enumerate(paths)])
        moved = f", {len(followed)} with its end moved onto its match" if followed else ""
        _say(args, f"saved {len(paths)} path(s) as the frames followed them to {args.save_paths}{moved}")
    return 0


# -- new ----------------------------------------------------------------------------------------
def _key_frames(args: argparse.Namespace, count: int) -> list[int]:
    if args.at:
        if len(args.at) != count:
            raise ArgumentError(f"--at gives {len(args.at)} frames for {count} keys; give one frame per key")
        if any(b <= a for a, b in zip(args.at, args.at[1:], strict=False)):
            raise ArgumentError("--at frames must increase from key to key")
        return [f - 1 for f in args.at]
    every = args.every or DEFAULT_EVERY
    return [i * every for i in range(count)]


def cmd_new(args: argparse.Namespace) -> int:
    from inbetweener.io.images import load_image_sequence
    from inbetweener.io.project_file import MAX_FRAMES, MAX_NAME_CHARS, save_project
    from inbetweener.model import ImageData, InsertKeyframe, Project, SetPaths, UpdateSegment, apply

    target: Path = args.project
    if target.suffix.lower() != ".ibw":
        raise ArgumentError(f"project files end in .ibw; name it {target.stem}.ibw")
    if target.exists() and not args.force:
        raise UserError(f"{target} already exists; choose another name or add --force to overwrite it")
    if not target.parent.is_dir():
        raise UserError(f"the folder {target.parent} does not exist; create it first")
    if args.name is not None and len(args.name) > MAX_NAME_CHARS:
        # The loader refuses longer names, so saving one would make a project nobody can open.
        raise ArgumentError(f"--name is {len(args.name)} characters long; keep it to {MAX_NAME_CHARS}")
    frames = _key_frames(args, len(args.keys))
    if frames[-1] >= MAX_FRAMES:
        raise ArgumentError(f"the last key would sit at frame {frames[-1] + 1}; keep the timeline under "
                            f"{MAX_FRAMES} frames")
    images = load_image_sequence(args.keys, None, args.fit)
    h, w = images[0].shape[:2]
    project = Project(w, h, fps=args.fps, name=args.name or target.stem)
    for frame, img in zip(frames, images, strict=True):
        project, _ = apply(project, InsertKeyframe(frame, ImageData.from_array(img)))
    if args.engine:
        from inbetweener.engines.base import engine_class

        engine_class(args.engine)  # unknown names fail here, not at render time
        for i in range(len(project.segments)):
            project, _ = apply(project, UpdateSegment(i, engine=args.engine))
    if args.paths:
        if not project.segments:
            raise ArgumentError("--paths needs at least two keys (paths run from one key to the next)")
        project, _ = apply(project, SetPaths(0, tuple(_load_paths(args.paths, None))))
    if args.spacing:
        from inbetweener.paths.timing import Timing

        for i in range(len(project.segments)):
            project, _ = apply(project, UpdateSegment(i, spacing=Timing.preset(args.spacing)))
    save_project(project, target)
    _say(args, f"created {target}: {len(images)} keys at frames "
               f"{', '.join(str(f + 1) for f in frames)}, {w}x{h}, {args.fps:g} fps")
    return 0


# -- render -------------------------------------------------------------------------------------
def cmd_render(args: argparse.Namespace) -> int:
    from inbetweener.io.project_file import load_project, save_project
    from inbetweener.jobs import FollowedPaths, JobFrame, SegmentJob, frames_command, plan_segment, run_job
    from inbetweener.model.commands import apply
    from inbetweener.model.images import ImageData
    from inbetweener.model.project import FrameStatus

    project = load_project(args.project)
    if not project.segments:
        raise UserError(f"{args.project.name} has fewer than two keys, so there is nothing to in-between")
    if args.segment is not None and args.segment > len(project.segments):
        raise ArgumentError(f"--segment {args.segment} does not exist; the project has {len(project.segments)}")
    indices = [args.segment - 1] if args.segment else list(range(len(project.segments)))
    options = _engine_options(args)
    jobs = [plan_segment(project, i, engine=args.engine, options=options) for i in indices]
    if args.engine:
        from inbetweener.engines.base import get_engine

        get_engine(args.engine)  # fail before any work if it cannot run here
    # Locked frames are the animator's: plan_segment leaves them out and they are kept. Accepted frames
    # are regenerated, as the editor's Generate does (FrameStatus: only locked is never overwritten).
    kept = sum(len(project.segment(j.segment).frames) - len(j.frames) for j in jobs)
    accepted = sum(1 for j in jobs for f in j.frames
                   if f in project.cells and project.cells[f].status == FrameStatus.ACCEPTED)
    total = sum(len(j.frames) for j in jobs)
    bar = _progress_bar(args, total)
    made = moved = 0
    notes: list[str] = []  # what the engines made of the drawings, said at the end

    def run(job: SegmentJob, stop_when_followed: bool) -> tuple[list[JobFrame], dict[int, Any]]:
        """The job's frames and the paths its engine followed in place of the segment's; with
        `stop_when_followed`, the job is cancelled as soon as the engine says it followed some
        (frames made from ends placed off would only be made again from the moved ends)."""
        done, followed = [], {}
        for item in run_job(job):
            if isinstance(item, JobFrame):
                # PNG-packed as it arrives (as the editor's worker does): a long segment never holds
                # its decoded frames (8 MB each at 1080p) all at once, only their PNGs (~0.4 MB).
                done.append(JobFrame(item.frame, ImageData.from_array(item.image).packed()))
                bar.update(1)
            else:
                if item.note:
                    notes.append(f"segment {job.segment + 1}: {item.message}")
                followed.update(item.followed)
                if stop_when_followed and item.followed:
                    break
        return done, followed

    try:
        for job in jobs:
            done, followed = run(job, args.move_path_ends)
            command = None
            if followed and args.move_path_ends:
                keep = FollowedPaths(job.segment, job.request.paths, tuple(sorted(followed.items())))
                command = keep.command(project)
            if command is not None:
                # The job stopped where the engine followed the ends placed off to their match: the
                # frames are made (once) from the moved paths, current with what the project holds.
                project, _ = apply(project, command)
                moved += len(followed)
                bar.update(-len(done))  # (frames an engine made before it said so are made again)
                job = plan_segment(project, job.segment, engine=args.engine, options=options)
                notes.append(f"segment {job.segment + 1}: moved {len(followed)} path end(s) onto the match "
                             "and generated it from them")
                done, _ = run(job, False)
            elif len(done) < len(job.frames):  # stopped, yet nothing to move: the frames are made in full
                done, _ = run(job, False)
            if done:
                project, _ = apply(project, frames_command(done, fingerprint=job.fingerprint))
                made += len(done)
    finally:
        bar.close()
    # Only now, with every segment done, is the file replaced (atomically).
    save_project(project, args.project)
    note = f"; regenerated {accepted} accepted frame(s) (lock a frame to keep it)" if accepted else ""
    if args.move_path_ends:
        note += f"; moved {moved} path end(s) onto their match" if moved else "; no path end to move"
    _say(args, f"generated {made} in-betweens in {len(jobs)} segment(s), kept {kept} locked frame(s){note}; "
               f"saved {args.project}")
    for text in notes:
        _say(args, text)
    return 0


# -- export -------------------------------------------------------------------------------------
def cmd_export(args: argparse.Namespace) -> int:
    from inbetweener.io.export import export_project, parse_colour, sanitize_name, sequence_leftovers
    from inbetweener.io.project_file import load_project

    background = parse_colour(args.background)
    project = load_project(args.project)
    if project.length == 0:
        raise UserError(f"{args.project.name} has no frames yet; add keys first")
    pad = _pad_for(args, project.length) if args.format == "png" else DEFAULT_PAD
    old_frames = []  # only to say what --clean removed; export_project refuses them without it
    if args.format == "png" and args.clean:
        stem = sanitize_name(args.name if args.name is not None else project.name)
        old_frames = sequence_leftovers(args.out, stem, pad, range(args.start, args.start + project.length), True)
    bar = _progress_bar(args, project.length)

    def progress(done: int, total: int) -> None:
        bar.update(done - bar.n)

    try:
        files = export_project(project, args.out, args.format, args.name, pad, args.start, progress,
                               background, clean=args.clean)
    finally:
        bar.close()
    what = f"{len(files)} files" if len(files) > 1 else files[0].name
    removed = f"; removed {len(old_frames)} older frame(s) of the same name" if old_frames else ""
    _say(args, f"exported {what} to {args.out}/{removed}")
    return 0


# -- models -------------------------------------------------------------------------------------
def cmd_models(args: argparse.Namespace) -> int:
    try:
        from inbetweener.engines.diffusion.discovery import models_report
    except ImportError:
        raise UserError(
            "the diffusion extra is not installed; install it with: pip install 'inbetweener[diffusion]'"
        ) from None
    missing = [str(p) for p in args.model if not Path(p).exists()]
    if missing:
        raise UserError(f"no such folder: {', '.join(missing)}; check the path given to --model")
    print(models_report(list(args.model)))
    return 0


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "gui": cmd_gui, "tween": cmd_tween, "new": cmd_new, "render": cmd_render,
    "export": cmd_export, "models": cmd_models,
}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
