"""Fit the temperature that calibrates text_emotion.onnx (TF-IDF) probabilities.

The app divides the model's log-probabilities by this temperature and renormalises
(``scorer.text.emotion.TEMPERATURE``), so the most likely class's probability matches how
often it is right; the fusion weighs the words modality by it. Fitted on MELD train (TV
dialogue, the closest text to film and never seen by the model, minimum log-loss); expected
calibration error printed before and after on MELD dev and GoEmotions test.

    SCORER_SHARED_DATA=/work/shared/data .venv/bin/python models/training/calibrate_text_emotion.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import text_emotion_data as D  # noqa: E402
import train_text_emotion_minilm as T  # noqa: E402


def main() -> None:
    texts, y = D.meld("train")
    logp = np.log(T.tfidf_probs(texts) + 1e-12)
    temperature = T.fit_temperature(logp, y)
    print(f"TEMPERATURE = {temperature:.3f}  (fitted on MELD train, {len(y)} utterances)")
    for name, (texts, y) in (("GoEmotions test", D.goemotions("test")),
                             ("MELD dev", D.meld("dev"))):
        logp = np.log(T.tfidf_probs(texts) + 1e-12)
        before, after = T.softmax(logp), T.softmax(logp / temperature)
        print(f"{name}: ECE {T.ece(y, before):.3f} -> {T.ece(y, after):.3f}; mean top "
              f"probability {before.max(1).mean():.3f} -> {after.max(1).mean():.3f}, "
              f"accuracy {(before.argmax(1) == y).mean():.3f}")


if __name__ == "__main__":
    main()
