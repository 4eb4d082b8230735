#!/usr/bin/env bash
# From a fresh clone: set up .venv with the diffusion and dev extras if needed, then run the tests
# (Qt offscreen, no GPU needed; CUDA tests skip without CUDA). Extra arguments go to pytest.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${INBETWEENER_VENV:-$ROOT/.venv}"
"$ROOT/scripts/setup-env.sh" full
cd "$ROOT"
export QT_QPA_PLATFORM=offscreen
exec "$VENV/bin/python" -m pytest -q "$@"
