#!/usr/bin/env bash
# Set up (scripts/setup.sh) and score the bundled demo clip into out/demo/:
# analysis -> cue plan -> library + generated suggestions per cue -> every export format.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
OUT=${1:-out/demo}
mkdir -p "$OUT"
S=.venv/bin/scorer
PROJECT="$OUT/demo.scorer.json"
$S analyze resources/demo.mp4 -o "$PROJECT" --force
$S cues "$PROJECT"
# the first run indexes the default library (music21's public-domain corpus) once
$S suggest "$PROJECT"
$S export "$PROJECT" -o "$OUT" --force
echo "done: the project and its exports are in $OUT"
