"""Copy basic-pitch's ONNX model out of the ``basic-pitch`` wheel on PyPI into models/.

basic-pitch (Spotify, ICASSP 2022, Apache-2.0) depends on TensorFlow, so the wheel is downloaded
without its dependencies (``pip download --no-deps``) and only
``basic_pitch/saved_models/icassp_2022/nmp.onnx`` is read out of it (a wheel is a zip file);
nothing is installed. Writes ``models/basic_pitch.onnx`` and its ``.sha256``; prints the digest
so a changed upstream file is noticed.

    .venv/bin/python models/training/extract_basic_pitch.py [--version 0.4.0]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import wheel_model  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
MEMBER = "basic_pitch/saved_models/icassp_2022/nmp.onnx"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default="0.4.0")
    parser.add_argument("--out", default=str(REPO / "models" / "basic_pitch.onnx"))
    args = parser.parse_args()
    wheel_model.extract("basic-pitch", args.version, MEMBER, Path(args.out))


if __name__ == "__main__":
    main()
