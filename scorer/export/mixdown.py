"""The score stem on the clip's timeline, ducked under speech, and an MP4 preview.

Each cue's music (rendered MIDI or decoded audio) is cut to the cue's frames, given a short fade
in and a fade out at the cue's end, brought to a music-bed level (RMS -20 dBFS, peak at most
-1 dBFS) and laid at the cue's start. Under speech (``Cue.ducking``, clip times in seconds) the
stem drops by ``duck_db`` (-10 dB by default), ramping down over ``attack`` seconds before the
speech starts and back up over ``release`` seconds after it ends, as a mixer's ducker does.

The preview keeps the original picture (stream copy when MP4 can hold the codec, else
re-encoded with libx264) and mixes the original sound with the stem into AAC.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

from scorer.errors import ExportError, InputError, describe_os_error
from scorer.export.common import CueMusic, Timebase

SR = 44100
FADE_IN = 0.01
FADE_OUT = 0.3
TARGET_RMS_DB = -20.0
PEAK_DB = -1.0
DUCK_DB = -10.0
ATTACK = 0.2
RELEASE = 0.5
COPY_CODECS = {"h264", "hevc", "mpeg4", "av1"}


def _samples(frame: int, tb: Timebase, sr: int) -> int:
    return round(Fraction(frame) / tb.rate * sr)


def fit_cue(audio: np.ndarray, n: int, sr: int = SR, fade_in: float = FADE_IN,
            fade_out: float = FADE_OUT, target_rms_db: float | None = TARGET_RMS_DB,
            peak_db: float = PEAK_DB) -> np.ndarray:
    """Cut or pad music to ``n`` samples, fade it and set its level.

    Args:
        audio: (m, 2) music.
        n: Length of the cue in samples.
        sr: Sample rate.
        fade_in: Fade-in seconds (clicks at the cut otherwise).
        fade_out: Fade-out seconds at the cue's end (shortened for very short cues).
        target_rms_db: RMS level of the music where it plays; None keeps the level.
        peak_db: Ceiling for the peak.

    Returns:
        (n, 2) float32.
    """
    out = np.zeros((n, 2), dtype=np.float32)
    m = min(n, len(audio))
    out[:m] = audio[:m, :2]
    if m == 0:
        return out
    k_in = min(int(fade_in * sr), m // 4)
    if k_in:
        out[:k_in] *= np.linspace(0.0, 1.0, k_in, dtype=np.float32)[:, None]
    k_out = min(int(fade_out * sr), m // 4)
    if k_out and m == n:  # music that ends by itself before the cue needs no fade
        out[m - k_out:m] *= np.linspace(1.0, 0.0, k_out, dtype=np.float32)[:, None]
    if target_rms_db is not None:
        sounding = out[:m][np.abs(out[:m]).max(axis=1) > 1e-4]
        rms = float(np.sqrt(np.mean(sounding ** 2))) if len(sounding) else 0.0
        if rms > 1e-6:
            out *= np.float32(10 ** (target_rms_db / 20) / rms)
    ceiling = 10 ** (peak_db / 20)
    peak = float(np.abs(out).max())
    if peak > ceiling:
        out *= np.float32(ceiling / peak)
    return out


def duck_envelope(n: int, regions: list[tuple[float, float]], sr: int = SR,
                  duck_db: float = DUCK_DB, attack: float = ATTACK,
                  release: float = RELEASE) -> np.ndarray:
    """Return a gain curve (n,) that dips by ``duck_db`` over each speech region.

    The gain reaches the ducked level at the region's start (ramping down over ``attack``
    before it) and comes back over ``release`` after its end; ramps are linear in dB, and
    overlapping regions take the lower gain.
    """
    gain_db = np.zeros(n, dtype=np.float32)
    attack, release = max(attack, 1e-3), max(release, 1e-3)
    for start, end in regions:
        if end <= start:
            continue
        a0 = max(0, int((start - attack) * sr))
        r1 = min(n, int(np.ceil((end + release) * sr)) + 1)
        if a0 >= r1:
            continue
        t = np.arange(a0, r1, dtype=np.float64) / sr
        # 0 before the attack ramp, 1 from speech start to end, 0 after the release ramp
        depth = np.clip(np.minimum((t - start + attack) / attack, (end + release - t) / release),
                        0.0, 1.0)
        gain_db[a0:r1] = np.minimum(gain_db[a0:r1], duck_db * depth)
    return (10 ** (gain_db / 20)).astype(np.float32)


def cue_audio(music: CueMusic, tb: Timebase, sf2=None, sr: int = SR) -> np.ndarray:
    """Render or decode a cue's music and fit it to the cue's frames."""
    from scorer.music.render import load_music

    audio = load_music(music.path, sr=sr, sf2=sf2)
    n = _samples(music.out_frame, tb, sr) - _samples(music.in_frame, tb, sr)
    return fit_cue(audio, n, sr)


def score_stem(cues: list[tuple[CueMusic, np.ndarray]], tb: Timebase, duration: float,
               sr: int = SR, duck_db: float = DUCK_DB, attack: float = ATTACK,
               release: float = RELEASE) -> np.ndarray:
    """Lay fitted cue audio on the clip's timeline and duck it under speech.

    Args:
        cues: (cue music, fitted audio) pairs.
        tb: The clip's timebase.
        duration: Clip length in seconds (the stem is at least this long).
        sr: Sample rate.
        duck_db: Gain under speech.
        attack: Ramp-down seconds before speech.
        release: Ramp-up seconds after speech.

    Returns:
        (n, 2) float32 with peak at most -1 dBFS.
    """
    ends = [_samples(m.in_frame, tb, sr) + len(a) for m, a in cues]
    n = max([int(round(duration * sr))] + ends)
    stem = np.zeros((n, 2), dtype=np.float32)
    regions: list[tuple[float, float]] = []
    for music, audio in cues:
        s = _samples(music.in_frame, tb, sr)
        stem[s:s + len(audio)] += audio
        regions += [(float(a), float(b)) for a, b in music.cue.ducking]
    if regions and duck_db < 0:
        stem *= duck_envelope(n, regions, sr, duck_db, attack, release)[:, None]
    ceiling = 10 ** (PEAK_DB / 20)
    peak = float(np.abs(stem).max()) if n else 0.0
    if peak > ceiling:  # overlapping cues could sum above the ceiling
        stem *= np.float32(ceiling / peak)
    return stem


def write_preview(source: str | Path, target: str | Path, stem: np.ndarray, sr: int = SR,
                  cancel=None) -> None:
    """Write an MP4 with the source's picture and its sound mixed with the score stem.

    Args:
        source: The original clip.
        target: MP4 file to write (a staged temp path).
        stem: (n, 2) score at ``sr``.
        sr: Sample rate of the stem and of the AAC track.
        cancel: Optional token with ``raise_if_set()``.

    Raises:
        InputError: If the source cannot be read.
        ExportError: If the MP4 cannot be written.
    """
    import av

    from scorer.music.render import load_audio_file

    source = Path(source)
    if not source.is_file():
        raise InputError("source clip not found; cannot make the preview", source)
    original = load_audio_file(source, sr) if _has_audio(source) else np.zeros((0, 2),
                                                                                np.float32)
    n = max(len(original), len(stem))
    mix = np.zeros((n, 2), dtype=np.float32)
    mix[: len(original)] += original
    mix[: len(stem)] += stem
    peak = float(np.abs(mix).max()) if n else 0.0
    if peak > 0.98:  # the preview must not clip where dialogue and score peak together
        mix *= np.float32(0.98 / peak)
    try:
        _mux(source, Path(target), mix, sr, cancel)
    except av.error.FFmpegError as exc:
        raise ExportError(f"cannot write the MP4 preview ({describe_os_error(exc)})",
                          target) from exc


def _has_audio(path: Path) -> bool:
    import av

    with av.open(str(path)) as container:
        return bool(container.streams.audio)


def _mux(source: Path, target: Path, mix: np.ndarray, sr: int, cancel) -> None:
    import av

    with av.open(str(source)) as inp, av.open(str(target), "w", format="mp4") as out:
        vin = inp.streams.video[0] if inp.streams.video else None
        vout = None
        copy = False
        if vin is not None:
            copy = vin.codec_context.name in COPY_CODECS
            if copy:
                vout = out.add_stream_from_template(vin)
            else:
                vout = out.add_stream("libx264", rate=vin.average_rate or 25)
                vout.width, vout.height = vin.codec_context.width, vin.codec_context.height
                vout.pix_fmt = "yuv420p"
                vout.options = {"crf": "20", "preset": "veryfast"}
        aout = out.add_stream("aac", rate=sr)
        aout.layout = "stereo"
        aout.bit_rate = 192000
        block = 1024
        pos = 0

        def audio_until(seconds: float | None) -> None:
            nonlocal pos
            stop = len(mix) if seconds is None else min(len(mix), int(seconds * sr))
            while pos < stop:
                chunk = np.ascontiguousarray(mix[pos:pos + block].T)
                frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
                frame.sample_rate = sr
                frame.pts = pos
                frame.time_base = Fraction(1, sr)
                for packet in aout.encode(frame):
                    out.mux(packet)
                pos += chunk.shape[1]

        if vin is not None:
            origin = vin.start_time or 0
            if copy:
                for packet in inp.demux(vin):
                    if cancel is not None:
                        cancel.raise_if_set()
                    if packet.dts is None:
                        continue
                    if packet.pts is not None:
                        audio_until(float((packet.pts - origin) * vin.time_base))
                    packet.stream = vout
                    out.mux(packet)
            else:
                rate = Fraction(vin.average_rate or 25)
                for index, frame in enumerate(inp.decode(vin)):
                    if cancel is not None:
                        cancel.raise_if_set()
                    audio_until(float(index / rate))
                    image = frame.reformat(format="yuv420p")
                    image.pts = index
                    image.time_base = 1 / rate
                    for packet in vout.encode(image):
                        out.mux(packet)
                for packet in vout.encode(None):
                    out.mux(packet)
        audio_until(None)
        for packet in aout.encode(None):
            out.mux(packet)
