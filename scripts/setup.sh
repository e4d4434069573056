#!/usr/bin/env bash
# Set up everything Scorer needs on a fresh Debian machine: system packages, a virtual
# environment in .venv, and Scorer with its dev tools. Safe to run again (it skips what is done).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: espeak-ng (speech fixtures and the demo clip), xvfb (GUI in a real window),
# the libraries Qt and OpenCV load at run time, the PDF cue sheet's fonts (DejaVu for
# accents and symbols, Droid Sans Fallback for CJK; without them it falls back to Helvetica),
# and fluid-soundfont-gm (FluidR3_GM, MIT: the default SoundFont for rendering).
DEB_PACKAGES=(espeak-ng xvfb xauth libgl1 libegl1 libglib2.0-0 libxkbcommon0 libxkbcommon-x11-0
              libfontconfig1 libdbus-1-3 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1
              libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 libxcb-image0
              libpulse0 libasound2 fonts-dejavu-core fonts-droid-fallback fluid-soundfont-gm)
missing=()
for pkg in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "installing Debian packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "warning: not a Debian system; install these yourself: ${missing[*]}" >&2
  fi
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# extras to install: dev by default; scripts/test.sh adds dist (Ray) for the Ray tests. The stamp
# lists the extras installed, one a line, so a later run with fewer extras does not reinstall.
EXTRAS=${SCORER_EXTRAS:-dev}
stamp=.venv/.scorer-installed
want=$( { [ -f "$stamp" ] && cat "$stamp"; tr ',' '\n' <<< "$EXTRAS"; } | grep -v '^$' | sort -u)
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ "$want" != "$(sort -u "$stamp")" ]; then
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -e ".[$(paste -sd, <<< "$want")]"
  echo "$want" > "$stamp"
fi
