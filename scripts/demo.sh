#!/usr/bin/env bash
# Set up (scripts/setup.sh) and score the bundled demo clip into out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
OUT=${1:-out/demo}
mkdir -p "$OUT"
S=.venv/bin/scorer
$S analyze resources/demo.mp4 -o "$OUT/demo.scorer.json" --force
$S cues "$OUT/demo.scorer.json" 2>/dev/null || true
if $S --help | grep -q " suggest"; then $S suggest "$OUT/demo.scorer.json"; fi
if $S --help | grep -q " export"; then
  $S export "$OUT/demo.scorer.json" -o "$OUT" --force
fi
echo "done: see $OUT"
ls -la "$OUT"
