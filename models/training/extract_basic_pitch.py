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
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MEMBER = "basic_pitch/saved_models/icassp_2022/nmp.onnx"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default="0.4.0")
    parser.add_argument("--out", default=str(REPO / "models" / "basic_pitch.onnx"))
    args = parser.parse_args()
    out = Path(args.out)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary",
                        ":all:", "-d", tmp, f"basic-pitch=={args.version}"], check=True)
        wheel = next(Path(tmp).glob("basic_pitch-*.whl"))
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
