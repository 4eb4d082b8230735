"""Document model: project, keyframes, segments, motion paths, edits as commands."""

from inbetweener.model.commands import (
    AddPath,
    ClearFrames,
    Command,
    CommandError,
    InsertFrames,
    InsertKeyframe,
    MoveKeyframe,
    MovePathPoint,
    PutGeneratedFrames,
    RemoveFrames,
    RemoveKeyframe,
    RemovePath,
    ReplacePath,
    Restore,
    SetFrameStatus,
    SetPaths,
    SetProjectSettings,
    SetTiming,
    UpdateSegment,
    apply,
)
from inbetweener.model.fingerprint import all_stale_frames, segment_fingerprint, stale_frames
from inbetweener.model.images import ImageData
from inbetweener.model.lookup import Shown, next_key_frame, shown_at, status_at
from inbetweener.model.project import (
    DEFAULT_ENGINE,
    Cell,
    FrameStatus,
    Keyframe,
    MotionPath,
    Project,
    Segment,
    SegmentSettings,
)

__all__ = [
    "AddPath", "Cell", "ClearFrames", "Command", "CommandError", "DEFAULT_ENGINE", "FrameStatus",
    "ImageData", "InsertFrames", "InsertKeyframe", "Keyframe", "MotionPath", "MoveKeyframe",
    "MovePathPoint", "Project", "PutGeneratedFrames", "RemoveFrames", "RemoveKeyframe", "RemovePath",
    "ReplacePath", "Restore", "Segment", "SegmentSettings", "SetFrameStatus", "SetPaths",
    "SetProjectSettings", "SetTiming", "Shown", "UpdateSegment", "all_stale_frames", "apply",
    "next_key_frame", "segment_fingerprint", "shown_at", "stale_frames", "status_at",
]
