"""Entry point of the frozen app: the `inbetweener` command (the editor when run without arguments)."""

from __future__ import annotations

import os
import sys


def _add_addon_site() -> None:
    """Optional add-ons (the diffusion engine's torch & co) live outside the bundle: a site-packages
    folder of the same Python version named by INBETWEENER_ADDONS is searched after the bundle."""
    extra = os.environ.get("INBETWEENER_ADDONS")
    if extra and os.path.isdir(extra):
        sys.path.append(extra)


if __name__ == "__main__":
    import multiprocessing

    multiprocessing.freeze_support()  # a frozen app must not re-run itself in spawned children
    _add_addon_site()
    from ui.launch import main

    sys.exit(main())
