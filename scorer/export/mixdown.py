"""The score stem on the clip's timeline, ducked under speech, its stems, and an MP4 preview.

Audio is delivered at 48 kHz (or the clip's own 48/96 kHz) as 24-bit Broadcast WAV whose
``bext`` timestamp is the file's record timecode. Each cue's music (MIDI rendered part by part
-- melody, harmony, bass, percussion -- or decoded audio) is cut to the cue's frames with a
short fade-in and a fade-out at its end; a cue joined to the next rings on under it for
:data:`RING_ON` seconds instead, so the join has no hole. Its loudness (ITU-R BS.1770 through
pyloudnorm) is set to the clip's measured dialogue loudness plus ``music_offset_lu`` (-6 LU by
default), peak at most -1 dBFS, and it is laid at the cue's start. Under speech
(``Cue.ducking``, clip times in seconds) the stem drops by ``duck_db`` (-10 dB by default),
ramping down over ``attack`` seconds before the speech starts and back up over ``release``
seconds after it ends, as a mixer's ducker does. The mix is the sum of the ducked cues, and the
ducked cue files and the part stems are cut from the same arrays, so they sum back to it.

The preview keeps the original picture (stream copy when MP4 can hold the codec, else
re-encoded with libx264) and mixes the original sound with the stem into AAC.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import mido
import numpy as np

from scorer.errors import ExportError, InputError, ScorerError
from scorer.export.common import CueMusic, Timebase

SR = 48000  # film and TV post run at 48 kHz
SOURCE_RATES = (48000, 96000)  # a clip's own rate is kept when it is one of these
FADE_IN = 0.01
FADE_OUT = 0.3
TARGET_RMS_DB = -20.0
PEAK_DB = -1.0
DUCK_DB = -10.0
ATTACK = 0.2
RELEASE = 0.5
COPY_CODECS = {"h264", "hevc", "mpeg4", "av1"}
PARTS = ("melody", "harmony", "bass", "percussion")
RING_ON = 0.5  # seconds a cue plays on, fading, under the cue that follows it
MUSIC_OFFSET_LU = -6.0  # music bed against dialogue (export.music_offset_lu)
ASSUMED_DIALOGUE_LUFS = -24.0  # ATSC A/85 dialogue norm, when the clip has no speech to measure


def delivery_rate(project, settings: dict | None = None) -> int:
    """Return the sample rate of every delivered WAV.

    ``export.sample_rate`` when set, else the clip's own rate when it is a post-production
    rate (48 or 96 kHz), else 48 kHz.
    """
    settings = settings or {}
    if settings.get("sample_rate"):
        return int(settings["sample_rate"])
    media = project.media
    if media is not None and media.has_audio and media.audio_rate in SOURCE_RATES:
        return int(media.audio_rate)
    return SR


def bwf_bytes(audio: np.ndarray, sr: int, tb: Timebase, frame: int,
              description: str = "", originator: str = "Scorer",
              loudness: float | None = None) -> bytes:
    """Encode audio as a 24-bit Broadcast WAV whose ``bext`` timestamp is a clip frame.

    The ``bext`` chunk (EBU Tech 3285 v2) holds the time reference (samples since midnight at
    the frame's record timecode), so editors and DAWs can spot the file to timecode;
    libsndfile does not write it, so it is inserted before the ``data`` chunk.

    Args:
        audio: (n, channels) float audio.
        sr: Sample rate.
        tb: The clip's timebase.
        frame: Clip frame the audio starts at.
        description: Up to 256 characters (ASCII; others are replaced).
        originator: Up to 32 characters.
        loudness: Integrated loudness (LUFS) to record, if measured.
    """
    import datetime
    import struct
    import unicodedata

    from scorer.music.render import wav_bytes

    wav = wav_bytes(audio, sr)
    seconds = Fraction(tb.start_frame + frame) / tb.rate
    reference = round(seconds * sr)
    now = datetime.datetime.now()

    def text(value: str, size: int) -> bytes:
        # bext text is ASCII: accents are dropped (Dvořák -> Dvorak), other letters become ?
        plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
        ascii_text = "".join(ch for ch in plain) if plain.strip() else ""
        return (ascii_text or value.encode("ascii", "replace").decode()).encode(
            "ascii", "replace")[:size].ljust(size, b"\0")

    no_value = 0x7FFF
    lufs = round(loudness * 100) if loudness is not None else no_value
    body = (text(description, 256) + text(originator, 32) + text("", 32)
            + text(now.strftime("%Y-%m-%d"), 10) + text(now.strftime("%H:%M:%S"), 8)
            + struct.pack("<II", reference & 0xFFFFFFFF, reference >> 32)
            + struct.pack("<H", 2) + bytes(64)
            + struct.pack("<hhhhh", lufs, no_value, no_value, no_value, no_value)
            + bytes(180)
            + f"A=PCM,F={sr},W=24,M={'stereo' if audio.shape[1] == 2 else 'mono'},"
              "T=Scorer\r\n".encode())
    if len(body) % 2:
        body += b"\0"
    chunk = b"bext" + struct.pack("<I", len(body)) + body
    at = wav.find(b"data", 12)
    if wav[:4] != b"RIFF" or at < 0:
        raise ExportError("libsndfile wrote an unexpected WAV layout; no bext chunk added")
    out = wav[:at] + chunk + wav[at:]
    return out[:4] + struct.pack("<I", len(out) - 8) + out[8:]


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


@dataclass
class CueAudio:
    """A cue's music on the clip, split into parts that sum to it.

    Attributes:
        music: The cue and its music.
        start: Sample of the cue's in point, counted from the clip's first frame.
        length: Samples from the in point to the out point (the parts may run on).
        parts: Part name -> (n, 2) float32 at the cue's level; one "mix" part when the music
            cannot be split (audio files). Longer than the cue when it rings on under the next.
        measured: Loudness of the music before leveling (LUFS), if measurable.
        gain_db: Gain applied to reach the loudness target.
    """

    music: CueMusic
    start: int
    parts: dict[str, np.ndarray]
    length: int = 0
    measured: float | None = None
    gain_db: float = 0.0

    @property
    def mix(self) -> np.ndarray:
        """The parts summed."""
        parts = list(self.parts.values())
        total = parts[0].copy()
        for part in parts[1:]:
            total += part
        return total


@dataclass
class Assembly:
    """The score laid on the clip: the mix and what it is made of, all ducked alike.

    Attributes:
        mix: (n, 2) the score stem (ducked, under the peak ceiling).
        cues: The leveled cues (clean: before ducking).
        envelope: (n,) ducking gain over the clip.
        scale: Gain the whole was scaled by to stay under the ceiling (1.0 when it did not).
        dialogue_lufs: The clip's measured dialogue loudness, if it has any.
        target_lufs: The loudness every cue was set to.
    """

    mix: np.ndarray
    cues: list[CueAudio]
    envelope: np.ndarray
    scale: float = 1.0
    dialogue_lufs: float | None = None
    target_lufs: float | None = None
    sr: int = SR

    def clean(self, cue: CueAudio) -> np.ndarray:
        """A cue's music as it is before ducking (at the mix's scale)."""
        return cue.mix * np.float32(self.scale)

    def ducked(self, cue: CueAudio, part: str | None = None) -> np.ndarray:
        """A cue (or one of its parts) exactly as it sounds in the mix."""
        audio = cue.mix if part is None else cue.parts[part]
        env = self.envelope[cue.start:cue.start + len(audio)]
        out = audio[:len(env)] * (env[:, None] * np.float32(self.scale))
        return out.astype(np.float32)


def _group_part(name: str, channel: int, program: int | None, median_pitch: float) -> str:
    lowered = name.lower()
    if channel == 9 or any(w in lowered for w in ("drum", "perc", "kit")):
        return "percussion"
    if "bass" in lowered or (program is not None and 32 <= program <= 39):
        return "bass"
    if any(w in lowered for w in ("melody", "lead", "solo", "vocal", "tune")):
        return "melody"
    if any(w in lowered for w in ("harm", "pad", "chord", "comp", "string", "accomp")):
        return "harmony"
    return ""  # decided by register below


def split_parts(mid: mido.MidiFile) -> dict[str, mido.MidiFile]:
    """Split a MIDI file into melody, harmony, bass and percussion files.

    Every (track, channel) group with notes goes to one part: by its name or General MIDI
    program where they say (Scorer's arranger names its tracks Melody, Harmony, Pad, Bass,
    Drums), else by register: the highest group is the melody, a low one the bass, the rest
    harmony. Each part keeps every meta event (tempo, signatures), so it plays in time.
    """
    groups: dict[tuple[int, int], dict] = {}
    for index, track in enumerate(mid.tracks):
        name = next((m.name for m in track if m.type == "track_name"), "")
        for msg in track:
            if msg.type == "program_change":
                groups.setdefault((index, msg.channel), {"name": name, "pitches": [],
                                                         "program": None})["program"] = \
                    msg.program
            elif msg.type == "note_on" and msg.velocity:
                groups.setdefault((index, msg.channel), {"name": name, "pitches": [],
                                                         "program": None})["pitches"].append(
                    msg.note)
    sounding = {k: g for k, g in groups.items() if g["pitches"]}
    assigned: dict[tuple[int, int], str] = {}
    for key, g in sounding.items():
        assigned[key] = _group_part(g["name"], key[1], g["program"],
                                    float(np.median(g["pitches"])))
    undecided = sorted((k for k, p in assigned.items() if not p),
                       key=lambda k: float(np.median(sounding[k]["pitches"])))
    if undecided:
        if "melody" not in assigned.values():
            assigned[undecided.pop()] = "melody"
        if undecided and "bass" not in assigned.values() and \
                float(np.median(sounding[undecided[0]]["pitches"])) < 52:
            assigned[undecided.pop(0)] = "bass"
        for key in undecided:
            assigned[key] = "harmony"
    out: dict[str, mido.MidiFile] = {}
    for part in PARTS:
        keep = {k for k, p in assigned.items() if p == part}
        if keep:
            out[part] = _keep_groups(mid, keep)
    return out


def _keep_groups(mid: mido.MidiFile, keep: set[tuple[int, int]]) -> mido.MidiFile:
    out = mido.MidiFile(type=1 if mid.type != 0 else 0, ticks_per_beat=mid.ticks_per_beat)
    for index, track in enumerate(mid.tracks):
        new, pending = mido.MidiTrack(), 0
        for msg in track:
            pending += msg.time
            channel = getattr(msg, "channel", None)
            if channel is not None and (index, channel) not in keep:
                continue
            new.append(msg.copy(time=pending))
            pending = 0
        out.tracks.append(new)
    return out


def render_parts(music: CueMusic, sr: int, sf2=None, split: bool = True,
                 tail: float = 1.0) -> dict[str, np.ndarray]:
    """Render (or decode) a cue's music, one array per part, at the renderer's own level.

    MIDI is rendered part by part without the renderer's peak limiter, so the parts sum to
    what the whole file sounds like; audio files give one "mix" part.
    """
    from scorer.music.render import load_audio_file, render_midi

    if music.kind != "midi":
        return {"mix": load_audio_file(music.path, sr=sr)}
    if not split:
        return {"mix": render_midi(music.path, sf2=sf2, sr=sr, tail=tail, limit=False)}
    try:
        mid = mido.MidiFile(music.path)
    except (OSError, ValueError, EOFError, KeyError, IndexError) as exc:
        raise InputError(f"not a readable MIDI file ({exc})", music.path) from exc
    parts = {name: render_midi(part, sf2=sf2, sr=sr, tail=tail, limit=False)
             for name, part in split_parts(mid).items()}
    if not parts:
        return {"mix": np.zeros((0, 2), np.float32)}
    length = max(len(a) for a in parts.values())
    return {name: np.pad(a, ((0, length - len(a)), (0, 0))) for name, a in parts.items()}


def loudness_lufs(audio: np.ndarray, sr: int) -> float | None:
    """Integrated loudness (ITU-R BS.1770-4, gated) with pyloudnorm; None when unmeasurable.

    Audio shorter than one 400 ms block is measured without gating or K-weighting (mean
    square of the channels, the same scale) rather than not at all.
    """
    if len(audio) == 0 or float(np.abs(audio).max()) < 1e-6:
        return None
    if len(audio) >= int(0.4 * sr) + 1:
        import pyloudnorm

        value = float(pyloudnorm.Meter(sr).integrated_loudness(audio.astype(np.float64)))
        if np.isfinite(value):
            return value
    power = float(np.sum(np.mean(np.square(audio, dtype=np.float64), axis=0)))
    return -0.691 + 10 * np.log10(power) if power > 0 else None


def measure_dialogue(source: str | Path, regions: list[tuple[float, float]], sr: int,
                     origin: float = 0.0) -> float | None:
    """Loudness of the clip's own sound where people speak (LUFS); None without sound.

    Args:
        source: The clip.
        regions: Speech regions in container seconds (the cues' ducking regions).
        sr: Rate to decode at.
        origin: The clip's first frame's time (the decoded sound starts there).

    With under 3 s of speech the whole sound track is measured (gating leaves out silence).
    """
    from scorer.music.render import load_audio_file

    try:
        sound = load_audio_file(source, sr=sr)
    except ScorerError:
        return None
    pieces = [sound[max(0, int((a - origin) * sr)):max(0, int((b - origin) * sr))]
              for a, b in sorted(regions)]
    speech = np.concatenate(pieces) if pieces else np.zeros((0, 2), np.float32)
    if len(speech) >= 3 * sr:
        return loudness_lufs(speech, sr)
    return loudness_lufs(sound, sr)


def cue_audio(music: CueMusic, tb: Timebase, sf2=None, sr: int = SR,
              target_lufs: float | None = None, ring_on: float = 0.0, split: bool = False,
              notes: list[str] | None = None) -> CueAudio:
    """Render or decode a cue's music, fit it to the cue's frames and set its level.

    Args:
        music: The cue and its music.
        tb: The clip's timebase.
        sf2: SoundFont for MIDI.
        sr: Sample rate.
        target_lufs: Loudness to set the cue to; None keeps the -20 dBFS RMS bed level.
        ring_on: Seconds the music plays on past the out point, fading (a crossfade under the
            next cue); 0 fades it out before the out point.
        split: Render MIDI part by part (stems).
        notes: Gets a note when the peak ceiling keeps a cue under its target.
    """
    parts = render_parts(music, sr, sf2, split)
    start = _samples(music.in_frame, tb, sr)
    n = _samples(music.out_frame, tb, sr) - start
    tail = int(round(ring_on * sr))
    length = n + tail
    fitted = {}
    whole = sum(parts.values()) if parts else np.zeros((0, 2), np.float32)
    m = min(length, len(whole))
    for name, audio in parts.items():
        out = np.zeros((length, 2), np.float32)
        out[:m] = audio[:m, :2]
        fitted[name] = out
    envelope = _fade_curve(length, n, m, sr, tail)
    for name in fitted:
        fitted[name] *= envelope[:, None]
    cue = CueAudio(music, start, fitted, length=n)
    mix = cue.mix[:n]
    if target_lufs is None:
        sounding = mix[np.abs(mix).max(axis=1) > 1e-4] if len(mix) else mix
        rms = float(np.sqrt(np.mean(sounding ** 2))) if len(sounding) else 0.0
        gain_db = TARGET_RMS_DB - 20 * np.log10(rms) if rms > 1e-6 else 0.0
    else:
        cue.measured = loudness_lufs(mix, sr)
        gain_db = target_lufs - cue.measured if cue.measured is not None else 0.0
    peak = float(np.abs(cue.mix).max()) if length else 0.0
    ceiling_db = PEAK_DB
    if peak > 0 and 20 * np.log10(peak) + gain_db > ceiling_db:
        held = 20 * np.log10(peak) + gain_db - ceiling_db
        gain_db -= held
        if notes is not None and target_lufs is not None and held > 0.5:
            notes.append(f"{music.cue.number}: its peaks hold it {held:.1f} dB under the "
                         "loudness target")
    cue.gain_db = float(gain_db)
    gain = np.float32(10 ** (gain_db / 20))
    for name in fitted:
        fitted[name] *= gain
    return cue


def _fade_curve(length: int, n: int, m: int, sr: int, tail: int) -> np.ndarray:
    """Return the gain over a cue: a short fade-in, then a fade-out.

    The fade-out ends at the out point, or, when the cue rings on under the next one, starts
    there (an equal-power curve), so that a join has no hole.
    """
    curve = np.ones(length, np.float32)
    if m == 0:
        return curve
    k_in = min(int(FADE_IN * sr), m // 4)
    if k_in:
        curve[:k_in] = np.linspace(0.0, 1.0, k_in, dtype=np.float32)
    if tail > 0:
        t = np.linspace(0.0, 1.0, tail, dtype=np.float32)
        curve[n:n + tail] = np.cos(t * np.pi / 2)
    else:
        k_out = min(int(FADE_OUT * sr), m // 4)
        if k_out and m >= n:  # music that ends by itself before the cue needs no fade
            curve[n - k_out:n] = np.linspace(1.0, 0.0, k_out, dtype=np.float32)
        curve[n:] = 0.0
    return curve


def assemble(cues: list[CueAudio], tb: Timebase, duration: float, sr: int = SR,
             duck_db: float = DUCK_DB, attack: float = ATTACK,
             release: float = RELEASE) -> Assembly:
    """Lay the cues on the clip, duck the whole under speech, keep the peak under -1 dBFS.

    The mix is the sum of the ducked cues, so each cue's ducked file and each part's stem
    (:meth:`Assembly.ducked`) sum back to it.
    """
    ends = [c.start + len(next(iter(c.parts.values()))) for c in cues]
    n = max([int(round(duration * sr))] + ends)
    regions: list[tuple[float, float]] = []
    for c in cues:
        regions += [(float(a - tb.origin), float(b - tb.origin)) for a, b in c.music.cue.ducking]
    envelope = (duck_envelope(n, regions, sr, duck_db, attack, release)
                if regions and duck_db < 0 else np.ones(n, np.float32))
    assembly = Assembly(np.zeros((n, 2), np.float32), cues, envelope, sr=sr)
    for c in cues:
        audio = assembly.ducked(c)
        assembly.mix[c.start:c.start + len(audio)] += audio
    ceiling = 10 ** (PEAK_DB / 20)
    peak = float(np.abs(assembly.mix).max()) if n else 0.0
    if peak > ceiling:  # overlapping cues could sum above the ceiling
        assembly.scale = ceiling / peak
        assembly.mix *= np.float32(assembly.scale)
    return assembly


def score_stem(cues: list[tuple[CueMusic, np.ndarray]], tb: Timebase, duration: float,
               sr: int = SR, duck_db: float = DUCK_DB, attack: float = ATTACK,
               release: float = RELEASE) -> np.ndarray:
    """Lay fitted cue audio on the clip's timeline and duck it under speech.

    Returns:
        (n, 2) float32 with peak at most -1 dBFS.
    """
    parts = [CueAudio(m, _samples(m.in_frame, tb, sr), {"mix": a}, len(a)) for m, a in cues]
    return assemble(parts, tb, duration, sr, duck_db, attack, release).mix


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
        raise ExportError(f"cannot write the MP4 preview ({exc})", target) from exc


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
