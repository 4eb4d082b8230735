#!/usr/bin/env bash
# Build the one-folder desktop app into dist/inbetweener/ with the project's virtualenv.
#   installer/build.sh            (from anywhere; PYTHON=... to use another interpreter)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
if [ ! -x "$PYTHON" ]; then
    echo "build.sh: no virtualenv at $ROOT/.venv; create it first (see README.md)" >&2
    exit 2
fi
if ! "$PYTHON" -c "import PyInstaller" 2>/dev/null; then
    echo "build.sh: PyInstaller is missing; run: $PYTHON -m pip install pyinstaller" >&2
    exit 2
fi
cd "$ROOT"
"$PYTHON" -m PyInstaller --noconfirm --clean \
    --distpath "$ROOT/dist" --workpath "$ROOT/build/pyinstaller" \
    installer/pyinstaller.spec
cp installer/inbetweener.desktop dist/inbetweener/
if [ "${INBETWEENER_NO_FFMPEG:-0}" = "1" ]; then
    # Lean build (~170 MB less): MP4 export then uses the ffmpeg on PATH or $IMAGEIO_FFMPEG_EXE.
    rm -f dist/inbetweener/_internal/imageio_ffmpeg/binaries/ffmpeg-*
fi
echo "built: $ROOT/dist/inbetweener/inbetweener ($(du -sh dist/inbetweener | cut -f1))"
