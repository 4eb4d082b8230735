"""What a segment's in-betweens are made from, as a short stable hash, and which frames are out of date.

A generated cell records the fingerprint of the inputs it was made from (PutGeneratedFrames). When the
animator later edits the segment's paths, timing, spacing, engine, seed or options, or replaces a key's drawing,
the segment's fingerprint changes and those frames are *stale*: still shown, never dropped (a path
drag must not lose work), but marked so the animator knows to generate again.

The hash is sha256 over canonical JSON (sorted keys, floats rounded to 1e-6), never Python's hash():
the same inputs give the same fingerprint across runs, machines and a save/load round trip.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

from inbetweener.model.project import Cell, FrameStatus, MotionPath, Project, Segment, SegmentSettings
from inbetweener.paths.timing import LINEAR

FINGERPRINT_CHARS = 16  # hex digits: 64 bits, plenty to tell one segment's edits apart
_FLOAT_DIGITS = 6  # far below a pixel, so a save/load or preset round trip never reads as an edit


def _canonical(value: Any) -> Any:
    """JSON-ready form with floats rounded (and -0.0 folded into 0.0) so equal inputs serialise equally."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return repr(value)
        return round(value, _FLOAT_DIGITS) + 0.0
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return repr(value)  # options are checked to be plain values on save; anything else stays stable-ish


def _path_inputs(path: MotionPath) -> dict[str, Any]:
    # The path's name is a label only: renaming it changes no pixel, so it is left out. Whether
    # it is a proposal changes how the engine weighs it (absent when not: frames made before the
    # flag existed stay current).
    inputs: dict[str, Any] = {"points": path.curve.points, "timing": path.timing.handles}
    if path.proposed:
        inputs["proposed"] = True
    return inputs


def fingerprint_of(key_a: str, key_b: str, count: int, settings: SegmentSettings) -> str:
    """The fingerprint of in-betweening `count` frames between two drawings with these settings.

    The count (not the absolute frames) is what shapes the result: a segment shifted along the
    timeline by frames inserted before it keeps its fingerprint, and its frames stay current.
    """
    doc = {
        "keys": [key_a, key_b],
        "count": count,
        "engine": settings.engine,
        "seed": settings.seed,
        "options": dict(settings.options),
        "paths": [_path_inputs(p) for p in settings.paths],
    }
    if settings.spacing != LINEAR:  # absent when even: frames made before spacing existed stay current
        doc["spacing"] = settings.spacing.handles
    text = json.dumps(_canonical(doc), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:FINGERPRINT_CHARS]


def segment_fingerprint(segment: Segment) -> str:
    """The fingerprint of a segment's current inputs: both keys' drawings, settings and in-between count."""
    return fingerprint_of(segment.start.image_id, segment.end.image_id, segment.count, segment.settings)


def is_stale(cell: Cell, current: str) -> bool:
    """A generated frame made from other inputs than `current`.

    Accepted and locked frames are never stale: the animator approved them as they are. A frame
    without a fingerprint (older files, hand-put frames) is unknown, so it is not called stale.
    """
    return cell.status == FrameStatus.GENERATED and cell.fingerprint is not None and cell.fingerprint != current


def stale_frames(project: Project, segment: int) -> tuple[int, ...]:
    """The generated in-betweens of one segment that were made for other inputs, in frame order."""
    return _stale_in(project, project.segment(segment))


def all_stale_frames(project: Project) -> frozenset[int]:
    """Every stale generated frame of the project (one fingerprint per segment, not per frame)."""
    out: set[int] = set()
    for seg in project.segments:
        out.update(_stale_in(project, seg))
    return frozenset(out)


def _stale_in(project: Project, seg: Segment) -> tuple[int, ...]:
    cells = project.cells
    made = [f for f in seg.frames if f in cells and cells[f].status == FrameStatus.GENERATED
            and cells[f].fingerprint is not None]
    if not made:
        return ()  # nothing here records its inputs (older files, nothing generated): no hashing
    current = segment_fingerprint(seg)
    return tuple(f for f in made if is_stale(cells[f], current))
