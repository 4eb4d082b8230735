"""`python -m inbetweener` runs the command line (see cli.py)."""

import sys

from inbetweener.cli import main

sys.exit(main())
