#!/usr/bin/env bash
# Build the Linux desktop bundle into dist/scorer/ with PyInstaller (one folder, not one file:
# starts faster and keeps the models visible). Models, the default SoundFont (inside
# pretty_midi), the demo clip and the seed melodies are inside. Then runs the smoke test:
# the bundle's --version and a headless analysis of the demo clip.
#   bash packaging/build.sh            # build + smoke test
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/pip install -q "pyinstaller>=6.5"
export QT_QPA_PLATFORM=offscreen

# icon PNG from the SVG, drawn by Qt (no extra tool needed), kept out of the source tree
mkdir -p build
.venv/bin/python - <<'PY'
from PySide6.QtGui import QGuiApplication, QImage, QPainter, Qt
from PySide6.QtSvg import QSvgRenderer
app = QGuiApplication([])
image = QImage(256, 256, QImage.Format_ARGB32)
image.fill(Qt.transparent)
painter = QPainter(image)
QSvgRenderer("packaging/scorer.svg").render(painter)
painter.end()
image.save("build/scorer.png")
PY

.venv/bin/pyinstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller --specpath build \
  --name scorer --onedir --console \
  --paths . \
  --add-data "$PWD/models:models" \
  --add-data "$PWD/resources:resources" \
  --add-data "$PWD/packaging/scorer.desktop:share/applications" \
  --add-data "$PWD/build/scorer.png:share/icons" \
  --collect-data pretty_midi --collect-data pocketsphinx --collect-data librosa \
  --collect-data music21 --collect-data scenedetect \
  --collect-submodules scorer --collect-submodules ui \
  --collect-all opentimelineio --collect-all otio_cmx3600_adapter --collect-all otio_fcp_adapter \
  --copy-metadata opentimelineio --copy-metadata otio-cmx3600-adapter \
  --copy-metadata otio-fcp-adapter \
  --exclude-module torch --exclude-module tensorflow --exclude-module matplotlib.tests \
  --hidden-import onnxruntime \
  packaging/scorer_entry.py

ln -sf scorer dist/scorer/scorer-gui
echo "bundle: dist/scorer ($(du -sh dist/scorer | cut -f1))"
bash packaging/smoke.sh dist/scorer
