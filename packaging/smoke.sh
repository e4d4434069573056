#!/usr/bin/env bash
# Smoke test of a built bundle: --version, the model check, a headless analysis of the demo
# clip and its cue list, then the window opened off-screen for 3 s with a screenshot.
#   bash packaging/smoke.sh [dist/scorer]
set -euo pipefail
BUNDLE=${1:-dist/scorer}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
export QT_QPA_PLATFORM=offscreen
"$BUNDLE/scorer" --version
"$BUNDLE/scorer" models
"$BUNDLE/scorer" analyze "$BUNDLE/_internal/resources/demo.mp4" -o "$OUT/demo.scorer.json"
"$BUNDLE/scorer" cues "$OUT/demo.scorer.json"
"$BUNDLE/scorer" --gui --quit-after 3 --screenshot "$OUT/window.png"
test -s "$OUT/window.png" || { echo "the window did not open" >&2; exit 1; }
if find "$BUNDLE" -iname '*torch*' | grep -q .; then
  echo "the bundle contains torch" >&2; exit 1
fi
echo "smoke test passed ($(du -sh "$BUNDLE" | cut -f1))"
