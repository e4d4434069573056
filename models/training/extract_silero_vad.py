"""Copy Silero VAD's ONNX model out of the ``silero-vad`` wheel on PyPI into models/.

The wheel's Python wrapper needs torch, so the wheel is downloaded without its dependencies
(``pip download --no-deps``) and only ``silero_vad/data/silero_vad.onnx`` is read out of it
(a wheel is a zip file); nothing is installed. Writes ``models/silero_vad.onnx`` and its
``.sha256``; prints both digests so a changed upstream file is noticed.

    .venv/bin/python models/training/extract_silero_vad.py [--version 6.2.3]
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MEMBER = "silero_vad/data/silero_vad.onnx"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default="6.2.3")
    parser.add_argument("--out", default=str(REPO / "models" / "silero_vad.onnx"))
    args = parser.parse_args()
    out = Path(args.out)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary",
                ":all:",
                "-d",
                tmp,
                f"silero-vad=={args.version}",
            ],
            check=True,
        )
        wheel = next(Path(tmp).glob("silero_vad-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            data = archive.read(MEMBER)
    tmp_out = out.with_suffix(".onnx.tmp")
    tmp_out.write_bytes(data)
    tmp_out.replace(out)
    digest = hashlib.sha256(data).hexdigest()
    out.with_name(out.name + ".sha256").write_text(f"{digest}  {out.name}\n")
    print(f"{out} ({len(data)} bytes) sha256 {digest} from {wheel.name}")


if __name__ == "__main__":
    main()
