#!/usr/bin/env bash
# Smoke test of a built bundle: --version, then a headless analysis and export of the demo.
set -euo pipefail
BUNDLE=${1:-dist/scorer}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
export QT_QPA_PLATFORM=offscreen
"$BUNDLE/scorer" --version
"$BUNDLE/scorer" models
"$BUNDLE/scorer" analyze "$BUNDLE/_internal/resources/demo.mp4" -o "$OUT/demo.scorer.json"
"$BUNDLE/scorer" cues "$OUT/demo.scorer.json"
echo "smoke test passed"
