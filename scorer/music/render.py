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

When a core is free, a long piece is rendered in two time chunks at once, this process and one
helper process (the synthesizer holds the GIL, so threads would not help): notes are split by
their onset, the second chunk starts with every controller, program and bend sent before it,
and the two renders are summed before the peak check. Synthesis, reverb and the resampling
filter are linear, and the second chunk starts on a synth block and a whole chorus sweep, so
the sum is the joint render but for the synthesizer's 64-voice cap (a voice stolen in one and
not the other, in the few seconds where the chunks overlap).
``SCORER_RENDER_WORKERS=1`` renders in one piece.
"""

from __future__ import annotations

import bisect
import functools
import io
import logging
import math
import os
import threading
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
WORKERS_ENV = "SCORER_RENDER_WORKERS"  # time chunks rendered at once (1: one piece)

SYNTH_RATE = 48000  # midirenderer's fixed rate
_BLOCK = 64  # its synthesizer's block: events take effect at block starts
# its chorus sweeps a delay table of round(48000 / 0.4 Hz) samples from the synthesizer's start;
# a chunk that starts on a whole number of sweeps has the chorus of the one-piece render
_CHORUS_PERIOD = 120000
# a piece shorter than this is rendered whole: starting a chunk costs a SoundFont parse
MIN_SPLIT_SECONDS = 20.0
# a first chunk runs this long after its last release (pedal included) before it is cut,
# with a short fade: releases and reverb have died away by then
CHUNK_RING_SECONDS = 3.0
_CHUNK_FADE_SECONDS = 0.05


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


class _TempoMap:
    """Absolute ticks to seconds and back on a file's tempo map (tempo changes of every track)."""

    def __init__(self, mid: mido.MidiFile):
        changes = sorted((tick, msg.tempo) for tick, msg in _abs_events(mid)
                         if msg.type == "set_tempo")
        self.tpb = mid.ticks_per_beat
        self.ticks, self.seconds, self.tempi = [0], [0.0], [500000]
        for tick, tempo in changes:
            self.seconds.append(self.seconds[-1]
                                + (tick - self.ticks[-1]) * self.tempi[-1] / 1e6 / self.tpb)
            self.ticks.append(tick)
            self.tempi.append(tempo)

    def to_seconds(self, tick: int) -> float:
        i = bisect.bisect_right(self.ticks, tick) - 1
        return self.seconds[i] + (tick - self.ticks[i]) * self.tempi[i] / 1e6 / self.tpb

    def to_ticks(self, seconds: float) -> int:
        """The first tick at or after ``seconds``."""
        i = bisect.bisect_right(self.seconds, seconds) - 1
        return self.ticks[i] + math.ceil((seconds - self.seconds[i]) * 1e6 * self.tpb
                                         / self.tempi[i])

    def tempo_at(self, tick: int) -> int:
        return self.tempi[bisect.bisect_right(self.ticks, tick) - 1]


def _abs_events(mid: mido.MidiFile):
    """Yield (absolute tick, message) of every track, track by track."""
    for track in mid.tracks:
        yield from _track_ticks(track)


# Every render starts with a lead of this many µs (then cut off): events then sit about a third
# of a block away from block starts, so float rounding cannot move an event to a neighbouring
# block in one render and not in another (a 120 BPM beat is a whole number of blocks)
_LEAD_US = 423
_LEAD_SAMPLES = round(_LEAD_US * SYNTH_RATE / 1e6)
_STATE_TYPES = frozenset({"program_change", "control_change", "pitchwheel", "aftertouch",
                          "sysex"})
_PEDALS = (64, 66)  # sustain and sostenuto hold released notes


def _prepare(mid: mido.MidiFile, tail: float, name: str | None = None
             ) -> tuple[list, _TempoMap, int]:
    """Check a file and return its events in play order, its tempo map and its end tick.

    The end lies ``tail`` s after the last event: the renderer stops at the last event, which
    would cut releases off. Meta events other than tempo changes are dropped (no sound).
    """
    if mid.type == 2:
        raise InputError("type 2 (asynchronous) MIDI files cannot be rendered",
                         name or mid.filename)
    # a tempo of 0 or 1 µs per quarter is damage: clamped, as everywhere Scorer reads MIDI
    if clamp_tempi(mid):
        log.warning("%s: tempo outside %g-%g BPM clamped", name or mid.filename, MIN_BPM,
                    MAX_BPM)
    if mid.ticks_per_beat <= 0:
        raise InputError("MIDI header gives 0 ticks per beat (damaged file)",
                         name or mid.filename)
    last_tick = max((sum(msg.time for msg in track) for track in mid.tracks), default=0)
    # the tempo map directly: mido's own length walks copies of every message (slow)
    tempo_map = _TempoMap(mid)
    length = tempo_map.to_seconds(last_tick)
    if length + tail > MAX_RENDER_SECONDS:
        raise InputError(f"MIDI file lasts {length / 60:.0f} minutes; Scorer renders at most "
                         f"{MAX_RENDER_SECONDS / 60:.0f} (a damaged delta time?)",
                         name or mid.filename)
    # the last tempo governs the tail
    end_tick = last_tick + int(math.ceil(tail * 1e6 / tempo_map.tempi[-1] * mid.ticks_per_beat))
    events = sorted(((tick, i, j, msg) for i, track in enumerate(mid.tracks)
                     for j, (tick, msg) in enumerate(_track_ticks(track))
                     if not (msg.is_meta and msg.type != "set_tempo")),
                    key=lambda e: e[:3])
    return events, tempo_map, end_tick


def _vlq(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def _message_bytes(msg) -> bytes:
    if msg.type == "set_tempo":
        return _tempo_bytes(msg.tempo)
    if msg.type == "sysex":
        body = bytes(msg.data) + b"\xf7"
        return b"\xf0" + _vlq(len(body)) + body
    return bytes(msg.bytes())


def _tempo_bytes(tempo: int) -> bytes:
    return b"\xff\x51\x03" + tempo.to_bytes(3, "big")


def _smf(tempo_map: _TempoMap, events: list[tuple[int, bytes]], start_tick: int,
         end_tick: int, lead_us: int, state: tuple[bytes, ...] = ()) -> bytes:
    """Encode the events from ``start_tick`` as a type 0 file that starts with a lead.

    The file opens with ``state`` (controllers, programs sent before the start), then a
    one-beat lead lasting ``lead_us`` (a tempo of that many µs a beat), then the events
    shifted by that beat, at the tempo in force at ``start_tick``, up to ``end_tick``.
    """
    tpb = tempo_map.tpb
    body = bytearray()
    for data in state:
        body += b"\x00" + data
    body += b"\x00" + _tempo_bytes(lead_us)
    body += _vlq(tpb) + _tempo_bytes(tempo_map.tempo_at(start_tick))
    tick = start_tick
    for at, data in events:
        body += _vlq(at - tick)
        body += data
        tick = at
    body += _vlq(max(0, end_tick - tick)) + b"\xff\x2f\x00"
    return (b"MThd" + (6).to_bytes(4, "big") + (0).to_bytes(2, "big") + (1).to_bytes(2, "big")
            + tpb.to_bytes(2, "big") + b"MTrk" + len(body).to_bytes(4, "big") + bytes(body))


def _step(sr: int) -> int:
    """Synth samples between chunk starts: whole blocks, chorus sweeps and samples at ``sr``."""
    return math.lcm(_BLOCK, _CHORUS_PERIOD, SYNTH_RATE // math.gcd(SYNTH_RATE, sr))


def _samples(seconds: float) -> int:
    return int(round(seconds * SYNTH_RATE))


def _whole(events: list, tempo_map: _TempoMap, end_tick: int) -> tuple[bytes, int]:
    """The whole file as one chunk: (SMF bytes, synth samples it lasts)."""
    data = [(tick, _message_bytes(msg)) for tick, _, _, msg in events]
    return (_smf(tempo_map, data, 0, end_tick, _LEAD_US),
            _samples(tempo_map.to_seconds(end_tick)))


def _split(events: list, tempo_map: _TempoMap, end_tick: int, sr: int):
    """Split a file into two chunks by note onset, for rendering at once.

    The first chunk has the notes that start before the split, every other event up to its
    end (so pedals and controllers still act on its ringing notes), and ends
    ``CHUNK_RING_SECONDS`` after its last release. The second starts with every controller,
    program, bend and SysEx sent before the split, then a lead that puts the split on the same
    synth block as in one render, then the rest.

    Returns:
        ((first bytes, its samples), (second bytes, its samples), synth sample where the
        second starts), or None when the piece is short or a first-chunk note sounds to its
        end (held, or pedalled).
    """
    total = tempo_map.to_seconds(end_tick)
    if total < MIN_SPLIT_SECONDS:
        return None
    onsets = sorted({tick for tick, _, _, msg in events
                     if msg.type == "note_on" and msg.velocity > 0})
    if len(onsets) < 2:
        return None
    # the second chunk starts on a chunk boundary near the middle (the first also renders its
    # ring, so a little before it), its first note the first onset from there
    step = _step(sr)
    offset = round(max(0.0, (total - CHUNK_RING_SECONDS) / 2) * SYNTH_RATE / step) * step
    at = bisect.bisect_left(onsets, tempo_map.to_ticks(offset / SYNTH_RATE))
    if offset <= 0 or at in (0, len(onsets)):
        return None
    split_tick = onsets[at]
    lead = _LEAD_US + round((tempo_map.to_seconds(split_tick) - offset / SYNTH_RATE) * 1e6)
    if not 0 < lead < 1 << 24:  # a tempo has 24 bits
        return None
    first: list[tuple[int, bytes]] = []
    second: list[tuple[int, bytes]] = []
    state: list[bytes] = []
    sounding: dict[tuple[int, int], list[bool]] = {}  # each open note: is it the first's?
    open_first = 0
    first_release = 0
    pedal_down: dict[int, set[int]] = {}
    held: set[int] = set()  # channels where a first-chunk note waits for the pedal
    for tick, _, _, msg in events:
        kind = msg.type
        data = _message_bytes(msg)
        if kind in ("note_on", "note_off"):
            key = (msg.channel, msg.note)
            if kind == "note_on" and msg.velocity > 0:
                mine = tick < split_tick
                sounding.setdefault(key, []).append(mine)
                open_first += mine
            else:
                queue = sounding.get(key)
                if queue:
                    mine = queue.pop(0)
                    open_first -= mine
                else:  # a note-off with no note: goes with its time
                    mine = tick < split_tick
                if mine:
                    first_release = max(first_release, tick)
                    if pedal_down.get(msg.channel):
                        held.add(msg.channel)
            (first if mine else second).append((tick, data))
            continue
        if kind == "control_change" and msg.control in _PEDALS:
            down = pedal_down.setdefault(msg.channel, set())
            if msg.value >= 64:
                down.add(msg.control)
            else:
                down.discard(msg.control)
                if not down and msg.channel in held:
                    held.discard(msg.channel)
                    first_release = max(first_release, tick)
        first.append((tick, data))
        if tick < split_tick:
            if kind in _STATE_TYPES:
                state.append(data)
        else:
            second.append((tick, data))
    if open_first or held:
        return None
    ring_end = tempo_map.to_seconds(first_release) + CHUNK_RING_SECONDS
    if ring_end >= total - 1.0:
        return None
    first_end = tempo_map.to_ticks(ring_end)
    first = [e for e in first if e[0] <= first_end]
    return ((_smf(tempo_map, first, 0, first_end, _LEAD_US),
             _samples(tempo_map.to_seconds(first_end))),
            (_smf(tempo_map, second, split_tick, end_tick, lead, tuple(state)),
             _samples(total) - offset),
            offset)


def _track_ticks(track):
    """Yield (absolute tick, message) of one track."""
    tick = 0
    for msg in track:
        tick += msg.time
        yield tick, msg


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


def render_workers() -> int:
    """Time chunks rendered at once: ``SCORER_RENDER_WORKERS``, else 2 when a core is free.

    A second chunk only pays when a core is idle: on a machine whose cores are all busy
    (load average at or above the core count minus one) the helper competes with this process
    and the two-chunk render measured slower than the one-piece render (bench/render.py).
    """
    own = os.environ.get(WORKERS_ENV, "").strip()
    if own:
        try:
            return max(1, int(own))
        except ValueError:
            log.warning("%s=%r is not a number; rendering in one piece", WORKERS_ENV, own)
            return 1
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:  # not available on this system: assume a free core
        load = 0.0
    return 2 if cores > 1 and load < cores - 1 else 1


def _synthesize(sf2: str, midi: bytes, sr: int, length: int, fade: float = 0.0,
                name: str | None = None) -> np.ndarray:
    """Run the synthesizer on a file made by :func:`_smf`; stereo float32 at ``sr``.

    The lead is cut off and the result made ``length`` synth samples long before resampling;
    the last ``fade`` s are faded out. Module level so that a helper process can run it (the
    SoundFont is cached there too).
    """
    import soundfile
    from midirenderer import render_wave_from

    sf2_path, sf2_bytes = load_soundfont(sf2)
    try:
        wav = render_wave_from(sf2_bytes, midi)
    except (RuntimeError, ValueError) as exc:
        text = str(exc)
        raise InputError(f"rendering failed: {text}",
                         sf2_path if "soundfont" in text.lower() else name) from exc
    if len(wav) > 44:  # more than the header
        audio, rate = soundfile.read(io.BytesIO(wav), dtype="float32", always_2d=True)
        if audio.shape[1] == 1:
            audio = np.repeat(audio, 2, axis=1)
        audio = audio[_LEAD_SAMPLES:_LEAD_SAMPLES + length, :2]
    else:
        audio = np.zeros((0, 2), np.float32)
    if len(audio) < length:
        audio = np.pad(audio, ((0, length - len(audio)), (0, 0)))
    if fade > 0:
        n = min(len(audio), int(fade * SYNTH_RATE))
        audio[len(audio) - n:] *= np.linspace(1.0, 0.0, n, dtype=np.float32)[:, None]
    return _resample(audio, SYNTH_RATE, int(sr)).astype(np.float32, copy=False)


_helper_lock = threading.Lock()
_helper = None


def _helper_pool():
    """The helper process that renders second chunks (started on first use, then kept)."""
    global _helper
    with _helper_lock:
        if _helper is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # spawn, not fork: the GUI process has threads, and forking those is unsafe
            _helper = ProcessPoolExecutor(max_workers=1,
                                          mp_context=multiprocessing.get_context("spawn"))
        return _helper


def _render_split(events: list, tempo_map: _TempoMap, end_tick: int, sf2: str, sr: int,
                  name: str) -> np.ndarray | None:
    """Render two time chunks at once and sum them; None when the piece is not split."""
    parts = _split(events, tempo_map, end_tick, sr)
    if parts is None:
        return None
    (first, first_len), (second, second_len), offset = parts
    try:
        future = _helper_pool().submit(_synthesize, sf2, second, sr, second_len, 0.0, name)
    except (OSError, RuntimeError) as exc:  # no process could be started: render serially
        log.warning("rendering in one process (%s)", exc)
        return None
    head = _synthesize(sf2, first, sr, first_len, _CHUNK_FADE_SECONDS, name)
    try:
        tail = future.result()
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - a dead helper costs speed, never the render
        log.warning("helper render failed (%s); rendering the second chunk here", exc)
        tail = _synthesize(sf2, second, sr, second_len, 0.0, name)
    start = offset * sr // SYNTH_RATE  # whole samples at sr: see _step
    audio = np.zeros((start + len(tail), 2), np.float32)
    audio[:len(head)] += head[:len(audio)]
    audio[start:] += tail
    return audio


def render_midi(midi: str | Path | bytes | mido.MidiFile, sf2: str | Path | None = None,
                sr: int = DEFAULT_RATE, tail: float = 1.0, limit: bool = True,
                workers: int | None = None) -> np.ndarray:
    """Synthesize a MIDI file to stereo float32 audio.

    Args:
        midi: Path, bytes or a ``mido.MidiFile``.
        sf2: SoundFont file; the default one (see :func:`default_soundfont`) when None.
        sr: Output sample rate.
        tail: Seconds rendered after the last MIDI event (releases, reverb).
        limit: Scale the result down to a -1 dBFS peak (after any chunks are summed); off for
            stems, whose parts must keep their balance so that they sum to the whole.
        workers: Time chunks rendered at once (None: :func:`render_workers`); a piece shorter
            than ``MIN_SPLIT_SECONDS`` is always rendered in one.

    Returns:
        Array of shape (n, 2), float32, peak at most -1 dBFS when ``limit``.

    Raises:
        InputError: If the MIDI or SoundFont cannot be read or rendered.
    """
    sf2_path, _ = load_soundfont(sf2)
    mid, name = _midi_file(midi)
    events, tempo_map, end_tick = _prepare(mid, max(0.0, float(tail)), name)
    audio = None
    if (render_workers() if workers is None else workers) > 1:
        audio = _render_split(events, tempo_map, end_tick, str(sf2_path), sr, name)
    if audio is None:
        data, length = _whole(events, tempo_map, end_tick)
        audio = _synthesize(str(sf2_path), data, sr, length, name=name)
    return limit_peak(audio) if limit else audio


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
