#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the default test suite (slow suites: add -m slow).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export QT_QPA_PLATFORM=offscreen
.venv/bin/python -m pytest "$@"
