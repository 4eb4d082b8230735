"""Motion paths as JSON: the `--paths` file of the CLI, path import/export in the app, and the
path records inside project files.

    {"paths": [{"from": [x0, y0], "to": [x3, y3], "via": [[x1, y1], [x2, y2]], "timing": "ease-in-out"}]}

Pixel coordinates of the keys (x right, y down). `via` is optional (absent = straight). A chain of
several cubics is written as "points": [[x, y], ...] (3n+1 points) instead of from/via/to.
`timing` is a preset name or [x1, y1, x2, y2]; `name` is optional; `"proposed": true` marks a path
the autopilot proposed and the animator has not changed (absent: the animator's own).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from inbetweener.errors import UserError
from inbetweener.io.atomic import write_atomic
from inbetweener.model.project import MotionPath
from inbetweener.paths.bezier import BezierChain, CubicBezier
from inbetweener.paths.timing import LINEAR, Timing

MAX_PATHS_FILE_BYTES = 16 * 1024 * 1024


class PathsFileError(UserError):
    """A paths file that cannot be used (the message says which entry and why)."""


def path_to_json(path: MotionPath) -> dict[str, Any]:
    pts = [list(p) for p in path.curve.points]
    out: dict[str, Any]
    if len(pts) == 4:
        out = {"from": pts[0], "to": pts[3], "via": [pts[1], pts[2]]}
    else:
        out = {"points": pts}
    out["timing"] = path.timing.to_json()
    if path.name:
        out["name"] = path.name
    if path.proposed:
        out["proposed"] = True
    return out


def paths_to_json(paths: Iterable[MotionPath]) -> dict[str, Any]:
    return {"paths": [path_to_json(p) for p in paths]}


def _point(value: Any, where: str) -> tuple[float, float]:
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
        raise PathsFileError(f"{where} must be a pair of numbers [x, y], got {value!r}")
    x, y = float(value[0]), float(value[1])
    if not (abs(x) < 1e7 and abs(y) < 1e7):
        raise PathsFileError(f"{where} is not a sensible pixel position: {value!r}")
    return x, y


def path_from_json(entry: Any, where: str = "path") -> MotionPath:
    """One path record -> MotionPath; errors name the record and what is wrong with it."""
    if not isinstance(entry, dict):
        raise PathsFileError(f"{where} must be an object with \"from\" and \"to\"")
    try:
        timing = Timing.parse(entry.get("timing", "linear")) if "timing" in entry else LINEAR
    except (ValueError, TypeError) as exc:
        raise PathsFileError(f"{where}: {exc}") from None
    name = entry.get("name", "")
    if not isinstance(name, str):
        raise PathsFileError(f"{where}: name must be text")
    proposed = entry.get("proposed", False)
    if not isinstance(proposed, bool):
        raise PathsFileError(f"{where}: proposed must be true or false")
    if "points" in entry:
        raw = entry["points"]
        if not isinstance(raw, list) or len(raw) < 4 or (len(raw) - 1) % 3:
            raise PathsFileError(f"{where}: \"points\" must hold 3n+1 points (4, 7, 10, ...)")
        curve = BezierChain(tuple(_point(p, f"{where} point {i + 1}") for i, p in enumerate(raw)))
        return MotionPath(curve, timing, name, proposed)
    if "from" not in entry or "to" not in entry:
        raise PathsFileError(f"{where} needs both \"from\" (on key A) and \"to\" (on key B)")
    p0 = _point(entry["from"], f"{where} \"from\"")
    p3 = _point(entry["to"], f"{where} \"to\"")
    via = entry.get("via")
    if via is None:
        return MotionPath(BezierChain.line(p0, p3), timing, name, proposed)
    if not isinstance(via, list) or len(via) != 2:
        raise PathsFileError(f"{where}: \"via\" must hold exactly two control points")
    seg = CubicBezier(p0, _point(via[0], f"{where} via 1"), _point(via[1], f"{where} via 2"), p3)
    return MotionPath(BezierChain.from_segments([seg]), timing, name, proposed)


def paths_from_json(data: Any) -> tuple[MotionPath, ...]:
    if not isinstance(data, dict) or not isinstance(data.get("paths"), list):
        raise PathsFileError("a paths file must be a JSON object with a \"paths\" list")
    return tuple(path_from_json(e, f"path {i + 1}") for i, e in enumerate(data["paths"]))


def load_paths(file: str | Path) -> tuple[MotionPath, ...]:
    """Read a paths file; any problem is one PathsFileError sentence."""
    p = Path(file)
    try:
        if p.stat().st_size > MAX_PATHS_FILE_BYTES:
            raise PathsFileError(f"{p.name} is too large to be a paths file")
        data = json.loads(p.read_text(encoding="utf-8-sig"))  # utf-8-sig: Windows editors often add a BOM
    except FileNotFoundError:
        raise PathsFileError(f"the paths file {p} does not exist") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PathsFileError(f"{p.name} is not valid JSON ({exc}); fix it or export paths again") from None
    except OSError as exc:
        raise PathsFileError(f"cannot read {p}: {exc.strerror}") from None
    return paths_from_json(data)


def save_paths(file: str | Path, paths: Iterable[MotionPath]) -> None:
    """Write a paths file atomically (as projects are saved); any problem is one PathsFileError sentence."""
    p = Path(file)
    data = json.dumps(paths_to_json(paths), indent=2).encode("utf-8")
    try:
        write_atomic(p, lambda fh: fh.write(data))
    except OSError as exc:  # the old file, if any, is untouched
        raise PathsFileError(f"could not save {p.name} ({exc.strerror or exc}); "
                             "check the folder exists, free space and permissions, then save again") from None
