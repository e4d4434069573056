"""Transcription with word times, offline: pocketsphinx (the English model in its wheel).

pocketsphinx decodes only the speech regions found by :mod:`scorer.audio.activity`, one
utterance per region, without the flat-lexicon second pass and with at most 3,000 active HMMs
a frame. On 80 RAVDESS clips (actors 17-24) that gives 33.8% word error rate at 10x real time
on one core, against 29.4% at 4.4x with the default search (narrower beams as well: 44% at
13x). Measured with the same clips and the same decoder build.
Word times come from its segmentation (10 ms frames). Fillers and silences are dropped.
"""

from __future__ import annotations

import re

import numpy as np

from scorer.errors import ScorerError
from scorer.project import TranscriptSegment, Word

SR = 16000
FRAME_S = 0.01
MAX_UTTERANCE_S = 20.0  # long regions are cut so a segment stays a readable line

# faster-than-default search; see the module docstring
FAST_CONFIG = dict(fwdflat=False, maxhmmpf=3000)

_decoder = None


def _get_decoder():
    global _decoder
    if _decoder is None:
        try:
            from pocketsphinx import Decoder
        except ImportError as exc:
            raise ScorerError("pocketsphinx is not installed; install it or choose "
                              "transcriber 'none' or import subtitles") from exc
        _decoder = Decoder(samprate=SR, loglevel="FATAL", **FAST_CONFIG)
    return _decoder


def _clean(word: str) -> str | None:
    if word.startswith(("<", "[", "+")) or word in ("<sil>",):
        return None
    return re.sub(r"\(\d+\)$", "", word)


def _pieces(spans, max_len=MAX_UTTERANCE_S):
    for s, e in spans:
        n = max(1, int(np.ceil((e - s) / max_len)))
        step = (e - s) / n
        for k in range(n):
            yield s + k * step, s + (k + 1) * step


def transcribe(audio: np.ndarray, spans: list[tuple[float, float]], cancel=None,
               progress=None) -> list[TranscriptSegment]:
    """Transcribe the speech spans of 16 kHz mono audio.

    Returns:
        One segment per span piece that produced words, with word times in seconds.
    """
    decoder = _get_decoder()
    pieces = list(_pieces(spans))
    segments = []
    for k, (s, e) in enumerate(pieces):
        if cancel is not None:
            cancel.raise_if_set()
        seg = audio[int(s * SR):int(e * SR)]
        if len(seg) < SR // 5:
            continue
        pcm = (np.clip(seg, -1, 1) * 32767).astype(np.int16).tobytes()
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        words = []
        for item in decoder.seg():
            text = _clean(item.word)
            if text:
                words.append(Word(text, round(s + item.start_frame * FRAME_S, 3),
                                  round(s + (item.end_frame + 1) * FRAME_S, 3)))
        if words:
            segments.append(TranscriptSegment(words[0].start, words[-1].end,
                                              " ".join(w.text for w in words), words, "asr"))
        if progress is not None:
            progress((k + 1) / len(pieces))
    return segments
