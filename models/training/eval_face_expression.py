"""Print the shipped expression model's accuracy on FER2013's held-out PrivateTest split.

Usage:
    .venv/bin/python models/training/eval_face_expression.py [--data ../shared/data/faces/fer2013]
        [--split PrivateTest]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scorer.vision.evaluate import evaluate, load_fer_split  # noqa: E402
from scorer.vision.faces import LABELS  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path,
                    default=Path(__file__).resolve().parents[3] / "shared/data/faces/fer2013")
    ap.add_argument("--split", default="PrivateTest", choices=["PrivateTest", "PublicTest"])
    args = ap.parse_args()
    images, labels = load_fer_split(args.data, args.split)
    result = evaluate(images, labels)
    print(f"FER2013 {args.split}: n={result['n']} accuracy={result['accuracy']:.4f} "
          f"macro recall={result['macro_recall']:.4f}")
    for label, recall in result["recall"].items():
        print(f"  recall {label:9s} {recall:.3f}")
    print("confusion (rows true, columns predicted):", " ".join(LABELS))
    print(result["confusion"])


if __name__ == "__main__":
    main()
