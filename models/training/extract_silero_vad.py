"""Copy Silero VAD's ONNX model out of the ``silero-vad`` wheel on PyPI into models/.

The wheel's Python wrapper needs torch, so the wheel is downloaded without its dependencies
(``pip download --no-deps``) and only ``silero_vad/data/silero_vad.onnx`` is read out of it
(a wheel is a zip file); nothing is installed. Writes ``models/silero_vad.onnx`` and its
``.sha256``; prints both digests so a changed upstream file is noticed.

    .venv/bin/python models/training/extract_silero_vad.py [--version 6.2.3]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import wheel_model  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
MEMBER = "silero_vad/data/silero_vad.onnx"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default="6.2.3")
    parser.add_argument("--out", default=str(REPO / "models" / "silero_vad.onnx"))
    args = parser.parse_args()
    wheel_model.extract("silero-vad", args.version, MEMBER, Path(args.out))


if __name__ == "__main__":
    main()
