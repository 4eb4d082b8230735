#!/usr/bin/env bash
# Smoke test of the built app (dist/inbetweener/): --version, `tween` on the bundled sample,
# `new` + `render` + `export` (PNG, GIF, MP4), and `gui --screenshot` offscreen. Exits non-zero on any failure.
#   installer/smoke.sh [path/to/dist/inbetweener]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
APP_DIR="${1:-$ROOT/dist/inbetweener}"
APP="$APP_DIR/inbetweener"
SAMPLES="$APP_DIR/_internal/resources/samples"
[ -d "$SAMPLES" ] || SAMPLES="$ROOT/resources/samples"
[ -x "$APP" ] || { echo "smoke: no built app at $APP; run installer/build.sh" >&2; exit 2; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"  # never pick up modules from the source tree
export QT_QPA_PLATFORM=offscreen
export INBETWEENER_DATA_DIR="$WORK/data"

fail() { echo "smoke: FAILED: $*" >&2; exit 1; }
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.2f}')" 2>/dev/null || echo "?"; }

t0=$(now); version="$("$APP" --version)"; t1=$(now)
[[ "$version" == inbetweener* ]] || fail "--version printed '$version'"
echo "smoke: --version -> $version ($(secs "$t0" "$t1") s)"

"$APP" tween "$SAMPLES/ball_a.png" "$SAMPLES/ball_b.png" -n 5 --paths "$SAMPLES/ball_paths.json" \
    --out "$WORK/tween" --quiet
count=$(find "$WORK/tween" -name '*.png' | wc -l)
[ "$count" -ge 5 ] || fail "tween wrote $count PNGs, expected at least 5"
echo "smoke: tween (flow engine) wrote $count PNGs"

"$APP" new "$WORK/walk.ibw" "$SAMPLES/figure_a.png" "$SAMPLES/figure_b.png" --every 4 --quiet
"$APP" render "$WORK/walk.ibw" --quiet
"$APP" export "$WORK/walk.ibw" --out "$WORK/export" --quiet
count=$(find "$WORK/export" -name '*.png' | wc -l)
[ "$count" -ge 5 ] || fail "export wrote $count PNGs, expected at least 5"
echo "smoke: new + render + export wrote $count PNGs"
"$APP" export "$WORK/walk.ibw" --out "$WORK/export" --format gif --quiet
"$APP" export "$WORK/walk.ibw" --out "$WORK/export" --format mp4 --quiet
[ -s "$WORK/export/walk.gif" ] || fail "export --format gif wrote nothing"
[ -s "$WORK/export/walk.mp4" ] || fail "export --format mp4 wrote nothing (bundled ffmpeg?)"
echo "smoke: GIF and MP4 export work"

# A user error is one line on stderr and exit status 2, also in the frozen app.
set +e
"$APP" tween "$WORK/missing.png" "$SAMPLES/ball_b.png" -n 2 --out "$WORK/bad" 2>"$WORK/err.txt"
status=$?
set -e
[ "$status" -eq 2 ] || fail "a missing key gave exit status $status, expected 2"
[ "$(wc -l <"$WORK/err.txt")" -eq 1 ] || fail "a missing key printed $(wc -l <"$WORK/err.txt") lines on stderr"

t0=$(now); "$APP" gui --screenshot "$WORK/shot.png"; t1=$(now)
[ -s "$WORK/shot.png" ] || fail "gui --screenshot wrote no image"
head -c 8 "$WORK/shot.png" | od -An -tx1 | grep -q "89 50 4e 47" || fail "the screenshot is not a PNG"
echo "smoke: gui --screenshot ($(secs "$t0" "$t1") s)"
[ -n "${SMOKE_KEEP_SCREENSHOT:-}" ] && cp "$WORK/shot.png" "$SMOKE_KEEP_SCREENSHOT"
echo "smoke: all passed"
