#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the default test suite (slow suites: add -m slow).
# The tests' setup adds the dist extra (Ray), so the Ray tests run here instead of skipping;
# SCORER_REQUIRE_RAY makes a missing Ray an error rather than a silent skip.
set -euo pipefail
cd "$(dirname "$0")/.."
SCORER_EXTRAS=dev,dist bash scripts/setup.sh
export QT_QPA_PLATFORM=offscreen
export SCORER_REQUIRE_RAY=1
.venv/bin/python -m pytest "$@"
