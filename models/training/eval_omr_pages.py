"""Whole held-out tunes as printed pages, read through the app's own path (models/omr.onnx).

Usage: python models/training/eval_omr_pages.py --data /tmp/omr_data [--tunes 60]
       [--model models/omr.onnx --model /tmp/omr_data/omr_cnn.onnx]

Each test-split tune (never seen in training; same hash split as omr_data.py) is engraved as one
page, several systems long (verovio's own line breaks, longer lines than the 2-5 bar training
lines), once clean and once with print-like damage; the page is cut into staves by
:func:`scorer.music.omr.staff_strips`, each staff decoded and the notes joined as the app does
(:func:`scorer.music.omr.melody_from_symbols`). Reported: staves found, pitch accuracy and note
accuracy (pitch and length) as 1 - edit distance / reference notes, per model. Training only.
"""

from __future__ import annotations

import argparse
import pickle
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import omr_data  # noqa: E402
from train_omr import edit_distance  # noqa: E402

from scorer.music import omr  # noqa: E402


def engrave_page(mei: str, rng: random.Random, tk) -> np.ndarray:
    tk.setOptions({"pageWidth": 2100, "pageHeight": 2970, "adjustPageHeight": True,
                   "header": "none", "footer": "none", "breaks": "auto",
                   "scale": rng.randint(40, 60), "font": rng.choice(omr_data.FONTS),
                   "spacingLinear": rng.uniform(0.2, 0.3), "spacingNonLinear": 0.6})
    tk.loadData(mei)
    return omr_data.rasterise(tk.renderToSVG(1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="omr_data.py's output (its tune cache)")
    ap.add_argument("--tunes", type=int, default=60)
    ap.add_argument("--model", action="append", help="ONNX file(s); default models/omr.onnx")
    args = ap.parse_args()
    import onnxruntime as ort
    import verovio
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication([])  # verovio pages carry bar numbers
    del app
    verovio.enableLog(verovio.LOG_OFF)
    tk = verovio.toolkit()
    (cache,) = Path(args.data).glob("tunes_*.pkl")
    with open(cache, "rb") as fh:
        tunes = [t for t in pickle.load(fh) if omr_data.split_of(t["id"]) == "test"]
    tunes = tunes[:: max(1, len(tunes) // args.tunes)][:args.tunes]
    models = args.model or [str(Path(__file__).resolve().parents[1] / "omr.onnx")]
    sessions = {m: ort.InferenceSession(m, providers=["CPUExecutionProvider"]) for m in models}
    rng = random.Random(7)
    totals = {(m, kind): [0, 0, 0, 0, 0, 0] for m in models for kind in ("clean", "damaged")}
    for t in tunes:
        line = omr_data.line_symbols(t, t["measures"], True)
        page = engrave_page(line["mei"], rng, tk)
        for kind, img in (("clean", page), ("damaged", omr_data.damage(page, rng))):
            strips = omr.staff_strips(img)
            n_staves = len(strips)
            want_p = [p for p, _ in line["notes"] if p is not None]
            want_n = [(p, round(q, 3)) for p, q in line["notes"]]
            for m, sess in sessions.items():
                staves = []
                for s in strips:
                    (logits,) = sess.run(None, {"image": s[None, None].astype(np.float32)})
                    staves.append(omr.ctc_greedy(logits[0]))
                notes, _ = omr.melody_from_symbols(staves)
                got_p = [n.pitch for n in notes if n.pitch is not None]
                got_n = [(n.pitch, round(n.quarters, 3)) for n in notes]
                tot = totals[(m, kind)]
                tot[0] += edit_distance(got_p, want_p)
                tot[1] += len(want_p)
                tot[2] += edit_distance(got_n, want_n)
                tot[3] += len(want_n)
                tot[4] += n_staves
                tot[5] += 1
    print(f"{len(tunes)} held-out tunes as whole pages")
    for (m, kind), (pe, pr, ne, nr, st, n) in totals.items():
        print(f"  {Path(m).name} {kind}: {st / max(n, 1):.1f} staves per page, pitch acc "
              f"{1 - pe / max(pr, 1):.4f}, note acc {1 - ne / max(nr, 1):.4f} "
              f"({pr} notes)")


if __name__ == "__main__":
    main()
