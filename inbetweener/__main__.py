"""`python -m inbetweener` runs the core command line (see cli.py); it has no editor, which the
`inbetweener` program (ui/launch.py, or `python -m ui`) plugs in."""

import sys

from inbetweener.cli import main

sys.exit(main())
