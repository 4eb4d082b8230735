"""The engine contract (DESIGN.md §4): an immutable request in, progress and frames out, lazily."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from inbetweener.errors import Cancelled, EngineError
from inbetweener.model.project import MotionPath

__all__ = [
    "Cancelled", "Engine", "EngineError", "EngineOption", "Progress", "TweenFrame", "TweenRequest",
    "engine_names", "get_engine", "register_engine", "engine_class",
]


@dataclass(frozen=True)
class TweenRequest:
    """Both keys as RGBA uint8 (H, W, 4), the normalised times wanted (any count and spacing)."""

    key_a: np.ndarray
    key_b: np.ndarray
    times: tuple[float, ...]
    paths: tuple[MotionPath, ...] = ()
    seed: int = 0
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("key_a", "key_b"):
            a = getattr(self, name)
            if not isinstance(a, np.ndarray) or a.dtype != np.uint8 or a.ndim != 3 or a.shape[2] != 4:
                raise EngineError(f"{name} must be an RGBA uint8 image")
            if a.flags.writeable:  # engines share the snapshot; nobody may paint on it
                a = a.copy()
                a.setflags(write=False)
                object.__setattr__(self, name, a)
        if self.key_a.shape != self.key_b.shape:
            raise EngineError(
                f"the keys differ in size ({self.key_a.shape[1]}x{self.key_a.shape[0]} and "
                f"{self.key_b.shape[1]}x{self.key_b.shape[0]}); give both keys the canvas size"
            )
        times = tuple(float(t) for t in self.times)
        if any(not 0.0 <= t <= 1.0 for t in times):
            raise EngineError("in-between times must lie between 0 and 1")
        object.__setattr__(self, "times", times)
        object.__setattr__(self, "options", dict(self.options))

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        return self.key_a.shape[1], self.key_a.shape[0]

    def option(self, name: str, default: Any = None) -> Any:
        return self.options.get(name, default)

    def number(self, name: str, default: Any, kind: type, lo: float, hi: float) -> Any:
        """Option `name` as an int or float (`kind`) from `lo` to `hi`; one sentence to the user
        otherwise (an option typed on the command line or in a project file is theirs to fix)."""
        raw = self.option(name, default)
        try:
            value = kind(float(raw)) if kind is int else kind(raw)
        except (TypeError, ValueError):
            raise EngineError(f"option {name}={raw!r} is not a number; give a value from {lo:g} to {hi:g}") from None
        if not lo <= value <= hi:
            raise EngineError(f"option {name}={raw!r} is out of range; give a value from {lo:g} to {hi:g}")
        return value

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        """Option `name` as one of `choices` (any case); one sentence to the user otherwise."""
        value = str(self.option(name, default) or default).lower()
        if value not in choices:
            raise EngineError(f"option {name}={value!r} is not known; choose one of {', '.join(choices)}")
        return value


@dataclass(frozen=True)
class Progress:
    """Fraction done in [0, 1] and a short message for the status bar. A `note` is something the
    engine made of the drawings that the animator should still read when the job is over (a
    stroke it will draw growing in rather than move, say), not passing progress text."""

    fraction: float
    message: str = ""
    note: bool = False
    # Paths the engine followed in place of the request's, as (index into request.paths, the
    # path it followed), said in a note: an end placed off its match, followed to the match. The
    # editor offers to put them into the document.
    followed: tuple[tuple[int, MotionPath], ...] = ()


@dataclass(frozen=True)
class TweenFrame:
    """A finished in-between: `index` into request.times, RGBA uint8 of the keys' size."""

    index: int
    image: np.ndarray


@dataclass(frozen=True)
class EngineOption:
    """One engine setting, described so the CLI and the editor can offer it."""

    name: str
    default: Any
    help: str
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None


@runtime_checkable
class Engine(Protocol):
    name: ClassVar[str]
    options: ClassVar[tuple[EngineOption, ...]]

    def tween(self, request: TweenRequest) -> Iterator[Progress | TweenFrame]: ...

    @classmethod
    def unavailable_reason(cls) -> str | None:
        """None when the engine can run here, else one sentence saying what is missing."""
        ...


# Name -> "module:Class"; engines are imported only when used (torch stays out of start-up).
_REGISTRY: dict[str, str] = {
    "flow": "inbetweener.engines.flow:FlowEngine",
    "crossfade": "inbetweener.engines.crossfade:CrossfadeEngine",
    "diffusion": "inbetweener.engines.diffusion:DiffusionEngine",
}
_INSTANCES: dict[str, Engine] = {}


def register_engine(name: str, target: str) -> None:
    """Register an engine class by import path "package.module:Class"."""
    _REGISTRY[name] = target


def engine_names() -> list[str]:
    """Registered engines whose module exists (in registry order)."""
    names = []
    for name, target in _REGISTRY.items():
        if importlib.util.find_spec(target.split(":")[0]) is not None:
            names.append(name)
    return names


def engine_class(name: str) -> type:
    target = _REGISTRY.get(name)
    if target is None:
        raise EngineError(f"unknown engine {name!r}; choose one of {', '.join(engine_names())}")
    module_name, cls_name = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise EngineError(f"the {name} engine cannot load ({exc}); install its extra requirements") from exc
    return getattr(module, cls_name)


def get_engine(name: str) -> Engine:
    """The shared instance of an engine (kept, so a loaded model is reused across jobs)."""
    if name not in _INSTANCES:
        cls = engine_class(name)
        reason = cls.unavailable_reason()
        if reason:
            raise EngineError(reason)
        _INSTANCES[name] = cls()
    return _INSTANCES[name]


def check_cancel(flag: Any) -> None:
    """Raise Cancelled if a cancel flag (anything with is_set()) is set."""
    if flag is not None and flag.is_set():
        raise Cancelled()
