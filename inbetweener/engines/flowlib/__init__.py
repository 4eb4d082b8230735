"""Building blocks of the flow engine: dense flow, path constraints, splatting, blending, line art."""
