"""Music level against dialogue: measured loudness (ITU-R BS.1770, pyloudnorm) of the export.

For each clip (the bundled demo; the Sintel trailer and Big Buck Bunny from ../shared/data when
present) the clip's speech is found with Scorer's speech-activity detector, the clip is cut into
three joined cues scored with a four-part arrangement, and the score stem is exported at each
music-to-dialogue preference. Printed per run: the dialogue's loudness (LUFS, over the speech
regions), the music's (over the cues, before ducking, read back from the exported clean cue
WAVs), the offset beside the preference, and the music in the ducked stem. The baseline,
measured in the same run, is the previous rule: every cue at -20 dBFS RMS whatever the dialogue.

Usage: python bench/loudness.py [--offsets -6,-10]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import mido
import numpy as np
import soundfile

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def arrangement(path: Path, seconds: float, bpm: float = 96.0) -> None:
    """Melody, harmony, bass and drums, as Scorer's arranger names them."""
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    mid.tracks.append(mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm))]))
    beats = int(seconds * bpm / 60) + 1
    for name, channel, program, notes in (("Melody", 0, 73, (72, 74, 76, 79, 77, 74)),
                                          ("Harmony", 1, 48, (60, 64, 67)),
                                          ("Bass", 2, 32, (36, 43, 41)),
                                          ("Drums", 9, 0, (36, 42, 38, 42))):
        track = mido.MidiTrack([mido.MetaMessage("track_name", name=name)])
        if channel != 9:
            track.append(mido.Message("program_change", channel=channel, program=program))
        for i in range(beats):
            note = notes[i % len(notes)]
            track.append(mido.Message("note_on", channel=channel, note=note, velocity=80))
            track.append(mido.Message("note_off", channel=channel, note=note, time=480))
        mid.tracks.append(track)
    mid.save(str(path))


def make_project(clip: Path, folder: Path):
    from scorer import project as project_io
    from scorer.audio import activity
    from scorer.media import load_audio, probe
    from scorer.project import Cue, Project, Suggestion

    info = probe(clip)
    duration = float(Fraction(info.duration))
    sound = load_audio(clip, sr=activity.SR)
    times, prob, _, _ = activity.detect(sound, activity.SR)
    origin = float(Fraction(info.start_time or "0"))
    speech = [(s + origin, e + origin) for s, e in activity.regions(times, prob)]
    arrangement(folder / "arr.mid", duration / 3 + 2)
    p = Project(title=clip.stem, media=info)
    edges = [origin + duration * k / 3 for k in range(4)]
    for i, (a, b) in enumerate(zip(edges, edges[1:], strict=False), 1):
        p.cues.append(Cue(f"1M{i}", round(a, 4), round(b, 4), ducking=[
            (max(a, s), min(b, e)) for s, e in speech if s < b and e > a]))
        p.suggestions.append(Suggestion(f"s{i}", f"1M{i}", "generated", "arr",
                                        path=str(folder / "arr.mid")))
    path = folder / "bench.scorer.json"
    project_io.save(p, path)
    return p, path, speech


def music_lufs(out: Path, sr: int) -> float | None:
    from scorer.export.mixdown import loudness_lufs

    bodies = []
    for wav in sorted((out / "cues").glob("*.wav")):
        audio, rate = soundfile.read(wav, dtype="float32", always_2d=True)
        assert rate == sr
        bodies.append(audio)
    return loudness_lufs(np.concatenate(bodies), sr) if bodies else None


def baseline(p, path) -> float | None:
    """The previous rule, in the same run: each cue at -20 dBFS RMS."""
    from scorer.export.common import project_timebase, select_music
    from scorer.export.mixdown import cue_audio, loudness_lufs

    notes: list[str] = []
    tb = project_timebase(p, notes, path)
    cues = select_music(p, path, tb, notes)
    bodies = [cue_audio(m, tb, sr=48000, target_lufs=None).mix for m in cues]
    return loudness_lufs(np.concatenate(bodies), 48000)


def fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f}"


def main() -> None:
    from scorer.export import export_project
    from scorer.export.mixdown import loudness_lufs

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offsets", default="-6,-10",
                        help="music-to-dialogue preferences in LU (export.music_offset_lu)")
    args = parser.parse_args()
    offsets = [float(x) for x in args.offsets.split(",")]
    clips = [ROOT / "resources" / "demo.mp4"]
    data = ROOT.parent / "shared" / "data" / "video"
    if not data.is_dir():
        data = Path("/work/shared/data/video")
    clips += [c for c in (data / "sintel_trailer_480p.mp4", data / "big_buck_bunny_360p.mp4")
              if c.is_file()]
    print("clip                  dialogue  pref LU  music LUFS  offset LU  in stem  "
          "| baseline music  baseline offset")
    for clip in clips:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            p, path, _ = make_project(clip, folder)
            base = baseline(p, path)
            for offset in offsets:
                p.settings["export"] = {"music_offset_lu": offset}
                out = folder / f"out{offset:g}"
                report = export_project(p, path, "wav,otio", out)
                dialogue = report.loudness.get("dialogue")
                music = music_lufs(out, 48000)
                stem, _ = soundfile.read(out / f"{p.title}_score.wav", always_2d=True)
                in_stem = loudness_lufs(stem.astype(np.float32), 48000)
                got = music - dialogue if music is not None and dialogue is not None else None
                base_offset = base - dialogue if base is not None and dialogue is not None \
                    else None
                print(f"{clip.stem[:20]:20}  {fmt(dialogue):>8}  {offset:+7.1f}  "
                      f"{fmt(music):>10}  {fmt(got):>9}  {fmt(in_stem):>7}  "
                      f"| {fmt(base):>14}  {fmt(base_offset):>15}")


if __name__ == "__main__":
    main()
