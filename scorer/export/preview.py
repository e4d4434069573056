"""One cue's music as the editor hears it in audition: rendered, fitted, ducked.

The same steps the export's mix applies to a cue (:mod:`scorer.export.mixdown`): MIDI is
rendered through the SoundFont (audio is decoded), cut or extended to the cue with its fades,
and dipped under the cue's speech regions. The GUI's audition plays the WAV this writes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scorer.export.mixdown import SR, duck_envelope, fit_cue


def cue_preview(path: str | Path, start: float, end: float,
                ducking: list[tuple[float, float]], sr: int = SR, sf2: str | None = None,
                cancel=None) -> np.ndarray:
    """Return a cue's music fitted to ``start``..``end`` (s) and ducked under speech.

    Args:
        path: The suggestion's MIDI or audio file.
        start: Cue start in clip time (s).
        end: Cue end in clip time (s).
        ducking: Speech regions in clip time (s) under which the music dips.
        sr: Sample rate.
        sf2: SoundFont for MIDI (None: the default one).
        cancel: A CancelToken, checked after the slow render.

    Raises:
        ScorerError: If the music cannot be rendered or read (the message names the file).
    """
    from scorer.music.render import load_music

    audio = load_music(str(path), sr=sr, sf2=sf2 or None)
    if cancel is not None:
        cancel.raise_if_set()
    n = max(1, int(round((end - start) * sr)))
    audio = fit_cue(audio, n, sr)
    regions = [(s - start, e - start) for s, e in ducking]  # the preview starts at the cue
    if regions:
        audio = audio * duck_envelope(n, regions, sr)[:, None]
    return np.asarray(audio, dtype=np.float32)


def write_cue_preview(path: str | Path, start: float, end: float,
                      ducking: list[tuple[float, float]], out_dir: str | Path, sr: int = SR,
                      sf2: str | None = None, cancel=None) -> Path:
    """Write :func:`cue_preview` as a 16-bit WAV in ``out_dir`` and return its path."""
    import soundfile

    audio = cue_preview(path, start, end, ducking, sr, sf2, cancel)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"audition-{Path(path).stem}-{int(start * 1000)}.wav"
    soundfile.write(str(target), audio, sr, subtype="PCM_16")
    return target
