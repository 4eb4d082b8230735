#!/usr/bin/env bash
# Create or refresh the project's virtual environment; quick when nothing changed.
#   scripts/setup-env.sh base   # the app + CPU engines (numpy, OpenCV headless, PySide6, ...)
#   scripts/setup-env.sh full   # + diffusion extra (torch 2.13 first) + dev tools (pytest, ...)
# The venv lives in $INBETWEENER_VENV (default: .venv in the repository). A stamp file holding the
# hash of pyproject.toml skips reinstalling when the dependencies have not changed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${INBETWEENER_VENV:-$ROOT/.venv}"
LEVEL="${1:-base}"
case "$LEVEL" in base|full) ;; *) echo "usage: $0 base|full" >&2; exit 2 ;; esac

hash="$(cat "$ROOT/pyproject.toml" "$ROOT/scripts/setup-env.sh" | sha256sum | cut -c1-32)"
stamp_for() { echo "$VENV/.inbetweener-$1-$hash"; }

# A full install satisfies a base request too.
if [[ -f "$(stamp_for "$LEVEL")" || -f "$(stamp_for full)" ]] && [[ -x "$VENV/bin/python" ]]; then
    exit 0
fi

if [[ ! -x "$VENV/bin/python" ]]; then
    PY="${PYTHON:-}"
    if [[ -z "$PY" ]]; then
        for cand in python3.12 python3.11 python3.10 python3; do
            if command -v "$cand" >/dev/null 2>&1 \
                && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
                PY="$cand"; break
            fi
        done
    fi
    [[ -n "$PY" ]] || { echo "error: Python 3.10 or newer is needed; set PYTHON=/path/to/python3" >&2; exit 2; }
    echo "creating $VENV with $PY" >&2
    "$PY" -m venv "$VENV"
fi

PIP=("$VENV/bin/python" -m pip install --quiet)
cd "$ROOT"
if [[ "$LEVEL" == full ]]; then
    # Pin torch first: an unpinned `torch` can pull a multi-GB CUDA build; with 2.13.0 pinned, pip
    # takes the local CPU wheel where one is offered (find-links / extra index) or the PyPI build.
    echo "installing torch 2.13.0, then inbetweener[diffusion,dev] (first time only)" >&2
    "${PIP[@]}" "torch==2.13.0"
    "${PIP[@]}" -e ".[diffusion,dev]"
else
    echo "installing inbetweener (first time only)" >&2
    "${PIP[@]}" -e .
fi
rm -f "$VENV"/.inbetweener-"$LEVEL"-*
touch "$(stamp_for "$LEVEL")"
