#!/usr/bin/env bash
# From a fresh clone: set up .venv if needed, then in-between the bundled ball sample along its
# motion path (11 in-betweens, ease-in-out arc) into out/sample/.  ENGINE=crossfade to compare.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${INBETWEENER_VENV:-$ROOT/.venv}"
"$ROOT/scripts/setup-env.sh" base
S="$ROOT/resources/samples"
OUT="${OUT:-$ROOT/out/sample}"
"$VENV/bin/inbetweener" tween "$S/ball_a.png" "$S/ball_b.png" --inbetweens 11 \
    --paths "$S/ball_paths.json" --engine "${ENGINE:-flow}" --name ball --out "$OUT" "$@"
echo "PNG sequence: $OUT/ball_0001.png .. ball_0013.png"
