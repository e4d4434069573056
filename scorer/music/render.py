"""Render MIDI to stereo audio with a SoundFont synthesizer, and decode music audio files.

The synthesizer is ``midirenderer`` (MIT; a Rust SoundFont player shipped as a wheel). It takes
the SF2 and MIDI as bytes and returns 16-bit 48 kHz stereo WAV bytes, rendering up to the last
end-of-track event; we extend the end by ``tail`` seconds so that releases and reverb ring out,
then resample to the rate asked for (44.1 kHz by default) with a polyphase filter.

The default SoundFont is Debian's FluidR3_GM (``fluid-soundfont-gm``, MIT; an orchestral General
MIDI set that scripts/setup.sh installs) when present, else ``TimGM6mb.sf2`` (General MIDI,
GPL-2 "with font exception", small and thin) from the ``pretty_midi`` wheel; the user's own SF2
comes from ``--soundfont``, the GUI's preference or the ``SCORER_SOUNDFONT`` variable.

Nothing here clips: when a render peaks above ``-1 dBFS`` it is scaled down to it; a quieter
render is left as it is, so relative levels between renders stay true.
"""

from __future__ import annotations

import functools
import io
import logging
import math
from fractions import Fraction
from pathlib import Path

import mido
import numpy as np

from scorer.errors import InputError, ScorerError, check_regular_file, describe_os_error
from scorer.fileio import write_error_words
from scorer.music.reading import MAX_BPM, MIN_BPM, clamp_tempi, midi_reason
from scorer.project import atomic_write_bytes

log = logging.getLogger(__name__)

DEFAULT_RATE = 44100
PEAK_CEILING_DB = -1.0
# longest MIDI rendered: the synthesizer holds the whole render in memory (30 min of 16-bit
# stereo is 320 MB, twice that as float), and a damaged delta time can claim days of silence
MAX_RENDER_SECONDS = 1800.0
MIDI_SUFFIXES = (".mid", ".midi", ".smf", ".kar")


# General MIDI SoundFonts that Debian packages install, best first for orchestral writing:
# fluid-soundfont-gm (FluidR3_GM, MIT; scripts/setup.sh installs it), musescore-general-soundfont
SYSTEM_SOUNDFONTS = (
    Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
    Path("/usr/share/sounds/sf2/MuseScore_General.sf2"),
)
SOUNDFONT_ENV = "SCORER_SOUNDFONT"  # the user's own SF2, for every render without --soundfont


def timgm6mb() -> Path:
    """Return TimGM6mb, the small General MIDI SoundFont inside the installed ``pretty_midi``.

    Raises:
        ScorerError: If pretty_midi (or its SoundFont) is not installed.
    """
    try:
        import pretty_midi
    except ImportError as exc:
        raise ScorerError("no default SoundFont: the pretty_midi package is not installed; "
                          "install it or pass --soundfont FILE.sf2") from exc
    path = Path(pretty_midi.__file__).resolve().parent / "TimGM6mb.sf2"
    if not path.is_file():
        raise ScorerError("pretty_midi is installed without TimGM6mb.sf2; pass --soundfont",
                          path)
    return path


def default_soundfont() -> Path:
    """Return the SoundFont used when none is passed.

    In order: the file named by the ``SCORER_SOUNDFONT`` environment variable (the user's
    preference; the GUI passes its own preference explicitly), FluidR3_GM or MuseScore General
    when Debian installed them, else TimGM6mb from ``pretty_midi``.

    Raises:
        ScorerError: If none is there.
    """
    import os

    own = os.environ.get(SOUNDFONT_ENV, "").strip()
    if own:
        return Path(own).expanduser()
    for path in SYSTEM_SOUNDFONTS:
        if path.is_file():
            return path
    return timgm6mb()


@functools.lru_cache(maxsize=4)
def _soundfont_bytes(path: str, mtime_ns: int, size: int) -> bytes:
    # keyed on mtime and size so that a replaced file is read again
    return Path(path).read_bytes()


def load_soundfont(sf2: str | Path | None = None) -> tuple[Path, bytes]:
    """Read and check a SoundFont (cached), the default one when ``sf2`` is None.

    Returns:
        (path, bytes of the SF2 file).

    Raises:
        InputError: If the file is missing, unreadable or not an SF2 SoundFont.
    """
    path = Path(sf2) if sf2 is not None else default_soundfont()
    try:
        stat = path.stat()
        if not path.is_file():
            raise InputError("is not a file; expected a SoundFont (.sf2)", path)
        data = _soundfont_bytes(str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    except FileNotFoundError as exc:
        raise InputError("SoundFont not found", path) from exc
    except OSError as exc:
        raise InputError(f"cannot read SoundFont ({exc.strerror or exc})", path) from exc
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"sfbk":
        raise InputError("not a SoundFont 2 file (no RIFF 'sfbk' header); pass an .sf2 file",
                         path)
    return path, data


def _midi_file(midi: str | Path | bytes | mido.MidiFile) -> tuple[mido.MidiFile, str]:
    if isinstance(midi, mido.MidiFile):
        return midi, midi.filename or "<MIDI>"
    if isinstance(midi, (bytes, bytearray)):
        data, name = bytes(midi), "<MIDI bytes>"
    else:
        path = Path(midi)
        check_regular_file(path, InputError, "MIDI file")  # a pipe or device never ends
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read MIDI file ({describe_os_error(exc)})", path) from exc
        name = str(path)
    try:
        return mido.MidiFile(file=io.BytesIO(data)), name
    except (OSError, ValueError, EOFError, KeyError, IndexError) as exc:
        raise InputError(f"not a readable Standard MIDI File: {midi_reason(exc)}", name) from exc


def _with_tail(mid: mido.MidiFile, tail: float, name: str | None = None) -> bytes:
    """Return the file as bytes with an extra track whose end lies ``tail`` s after the last event.

    The renderer stops at the last end-of-track, which would cut releases off.
    """
    if mid.type == 2:
        raise InputError("type 2 (asynchronous) MIDI files cannot be rendered",
                         name or mid.filename)
    # a tempo of 0 or 1 µs per quarter is damage: clamped, as everywhere Scorer reads MIDI
    if clamp_tempi(mid):
        log.warning("%s: tempo outside %g-%g BPM clamped", name or mid.filename, MIN_BPM,
                    MAX_BPM)
    last_tick = 0
    tempo = 500000
    for track in mid.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":
                tempo = msg.tempo  # the last tempo governs the tail
        last_tick = max(last_tick, tick)
    if mid.ticks_per_beat <= 0:
        raise InputError("MIDI header gives 0 ticks per beat (damaged file)",
                         name or mid.filename)
    length = mid.length
    if length + tail > MAX_RENDER_SECONDS:
        raise InputError(f"MIDI file lasts {length / 60:.0f} minutes; Scorer renders at most "
                         f"{MAX_RENDER_SECONDS / 60:.0f} (a damaged delta time?)",
                         name or mid.filename)
    out = mido.MidiFile(type=1, ticks_per_beat=mid.ticks_per_beat)
    out.tracks.extend(mid.tracks if mid.type == 1 else [mido.merge_tracks(mid.tracks)])
    tail_ticks = int(math.ceil(tail * 1e6 / tempo * mid.ticks_per_beat))
    pad = mido.MidiTrack([mido.MetaMessage("end_of_track", time=last_tick + tail_ticks)])
    out.tracks.append(pad)
    buf = io.BytesIO()
    out.save(file=buf)
    return buf.getvalue()


def _resample(audio: np.ndarray, src: int, dst: int) -> np.ndarray:
    if src == dst or len(audio) == 0:
        return audio
    from scipy.signal import resample_poly

    ratio = Fraction(dst, src)
    return resample_poly(audio, ratio.numerator, ratio.denominator, axis=0).astype(np.float32)


def limit_peak(audio: np.ndarray, ceiling_db: float = PEAK_CEILING_DB) -> np.ndarray:
    """Scale audio down so that its peak is at most ``ceiling_db`` dBFS (never up)."""
    ceiling = 10 ** (ceiling_db / 20)
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak > ceiling:
        audio = audio * np.float32(ceiling / peak)
    return audio.astype(np.float32, copy=False)


def render_midi(midi: str | Path | bytes | mido.MidiFile, sf2: str | Path | None = None,
                sr: int = DEFAULT_RATE, tail: float = 1.0, limit: bool = True) -> np.ndarray:
    """Synthesize a MIDI file to stereo float32 audio.

    Args:
        midi: Path, bytes or a ``mido.MidiFile``.
        sf2: SoundFont file; the General MIDI font from pretty_midi when None.
        sr: Output sample rate.
        tail: Seconds rendered after the last MIDI event (releases, reverb).
        limit: Scale the result down to a -1 dBFS peak; off for stems, whose parts must keep
            their balance so that they sum to the whole.

    Returns:
        Array of shape (n, 2), float32, peak at most -1 dBFS when ``limit``.

    Raises:
        InputError: If the MIDI or SoundFont cannot be read or rendered.
    """
    import soundfile
    from midirenderer import render_wave_from

    sf2_path, sf2_bytes = load_soundfont(sf2)
    mid, name = _midi_file(midi)
    data = _with_tail(mid, max(0.0, float(tail)), name)
    try:
        wav = render_wave_from(sf2_bytes, data)
    except (RuntimeError, ValueError) as exc:
        text = str(exc)
        where = sf2_path if "soundfont" in text.lower() else name
        raise InputError(f"rendering failed: {text}", where) from exc
    if len(wav) <= 44:  # header only: nothing to render
        return np.zeros((0, 2), dtype=np.float32)
    audio, rate = soundfile.read(io.BytesIO(wav), dtype="float32", always_2d=True)
    if audio.shape[1] == 1:
        audio = np.repeat(audio, 2, axis=1)
    audio = _resample(audio[:, :2], int(rate), int(sr))
    return limit_peak(audio) if limit else audio.astype(np.float32, copy=False)


def wav_bytes(audio: np.ndarray, sr: int = DEFAULT_RATE, subtype: str = "PCM_24") -> bytes:
    """Encode (n, channels) float audio as WAV bytes (24-bit PCM by default)."""
    import soundfile

    buf = io.BytesIO()
    soundfile.write(buf, np.clip(audio, -1.0, 1.0), sr, subtype=subtype, format="WAV")
    return buf.getvalue()


def render_to_wav(midi: str | Path | bytes | mido.MidiFile, wav_path: str | Path,
                  sf2: str | Path | None = None, sr: int = DEFAULT_RATE,
                  tail: float = 1.0, cancel=None) -> np.ndarray:
    """Render a MIDI file and write it as a 24-bit stereo WAV (atomically).

    Args:
        midi: The MIDI file, its bytes or a ``mido.MidiFile``.
        wav_path: The WAV to write.
        sf2: SoundFont (None: the default, see :func:`default_soundfont`).
        sr: Sample rate.
        tail: Seconds after the last note.
        cancel: Token with ``raise_if_set()``, checked between synthesis and writing: the
            synthesiser is one native call that a signal cannot interrupt, so a cancel that
            arrives during it is acted on before anything is written.

    Returns:
        The rendered audio, shape (n, 2).

    Raises:
        InputError: If the input cannot be rendered.
        ScorerError: If the WAV cannot be written (the previous file is left intact).
        Cancelled: If ``cancel`` was set.
    """
    audio = render_midi(midi, sf2=sf2, sr=sr, tail=tail)
    if cancel is not None:
        cancel.raise_if_set()
    try:
        atomic_write_bytes(wav_path, wav_bytes(audio, sr))
    except OSError as exc:
        raise ScorerError(f"cannot write WAV ({write_error_words(exc)})", wav_path) from exc
    return audio


def load_audio_file(path: str | Path, sr: int = DEFAULT_RATE) -> np.ndarray:
    """Decode any audio (or the audio of a video) to stereo float32 at ``sr`` with PyAV.

    Returns:
        Array (n, 2) float32; empty when the file has no audio stream.

    Raises:
        InputError: If the file is missing or cannot be decoded.
    """
    import av

    path = Path(path)
    if not path.is_file():
        raise InputError("audio file not found", path)
    chunks: list[np.ndarray] = []
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                return np.zeros((0, 2), dtype=np.float32)
            stream = container.streams.audio[0]
            if stream.codec_context is None:  # FFmpeg could not open a decoder for it
                raise InputError("audio stream cannot be decoded (damaged header or unknown "
                                 "codec)", path)
            # mono stays mono here and is copied to both sides below: FFmpeg's upmix would
            # lower it by 3 dB
            width = 1 if stream.codec_context.channels == 1 else 2
            resampler = av.AudioResampler(format="flt", layout="mono" if width == 1 else
                                          "stereo", rate=sr)
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1, width))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1, width))
    except av.error.FFmpegError as exc:
        raise InputError(f"cannot decode audio ({describe_os_error(exc)})", path) from exc
    if not chunks:
        return np.zeros((0, 2), dtype=np.float32)
    audio = np.concatenate(chunks).astype(np.float32, copy=False)
    return np.repeat(audio, 2, axis=1) if audio.shape[1] == 1 else audio


def is_midi(path: str | Path) -> bool:
    """Return True when a path names a MIDI file (by suffix, else by its 'MThd' header)."""
    path = Path(path)
    if path.suffix.lower() in MIDI_SUFFIXES:
        return True
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == b"MThd"
    except OSError:
        return False


def load_music(path: str | Path, sr: int = DEFAULT_RATE, sf2: str | Path | None = None,
               tail: float = 1.0) -> np.ndarray:
    """Return stereo audio of a suggestion's music file: rendered MIDI or decoded audio."""
    if is_midi(path):
        return render_midi(path, sf2=sf2, sr=sr, tail=tail)
    return load_audio_file(path, sr=sr)
