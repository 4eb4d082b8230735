"""SVD keyframe interpolation (dual-directional sampling, Wang et al. 2024); torch loads only when used."""

from inbetweener.engines.diffusion.discovery import models_report
from inbetweener.engines.diffusion.engine import DiffusionEngine

__all__ = ["DiffusionEngine", "models_report"]
