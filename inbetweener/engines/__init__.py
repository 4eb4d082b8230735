"""In-betweening engines behind one interface (see base.py)."""

from inbetweener.engines.base import (
    Engine,
    EngineOption,
    Progress,
    TweenFrame,
    TweenRequest,
    engine_names,
    get_engine,
)

__all__ = ["Engine", "EngineOption", "Progress", "TweenFrame", "TweenRequest", "engine_names", "get_engine"]
