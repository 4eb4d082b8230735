"""inbetweener: in-betweening for 2D animators (core library; never imports Qt)."""

__version__ = "0.1.0"
