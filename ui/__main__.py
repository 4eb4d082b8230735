"""`python -m ui` runs the `inbetweener` program (the editor, or any command; see ui/launch.py)."""

import sys

from ui.launch import main

sys.exit(main())
