"""Audio deliverables: stems that sum to the mix, joins without holes, ducked and clean files."""

from __future__ import annotations

from fractions import Fraction

import av
import mido
import numpy as np
import opentimelineio as otio
import pytest
import soundfile

from scorer import project as project_io
from scorer.export import export_project
from scorer.export.mixdown import split_parts
from scorer.project import Cue, MediaInfo, Project, Suggestion

SR = 48000
RATE = Fraction(25)


def arranged_midi(path, seconds: float = 6.0, bpm: float = 100.0) -> None:
    """Four named parts as Scorer's arranger writes them: Melody, Harmony, Bass, Drums."""
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    mid.tracks.append(mido.MidiTrack([mido.MetaMessage("set_tempo",
                                                       tempo=mido.bpm2tempo(bpm))]))
    beats = int(seconds * bpm / 60)
    for name, channel, program, notes in (("Melody", 0, 73, (72, 74, 76, 79)),
                                          ("Harmony", 1, 19, (60, 64, 67)),
                                          ("Bass", 2, 32, (36, 43)),
                                          ("Drums", 9, 0, (36, 42))):
        track = mido.MidiTrack([mido.MetaMessage("track_name", name=name)])
        if channel != 9:
            track.append(mido.Message("program_change", channel=channel, program=program))
        for i in range(beats):
            note = notes[i % len(notes)]
            track.append(mido.Message("note_on", channel=channel, note=note, velocity=90))
            track.append(mido.Message("note_off", channel=channel, note=note, time=480))
        mid.tracks.append(track)
    mid.save(str(path))


def time_reference(path) -> int:
    with av.open(str(path)) as container:  # FFmpeg reads the BWF bext chunk
        return int(container.metadata["time_reference"])


def make_project(folder) -> tuple[Project, object]:
    folder.mkdir(parents=True, exist_ok=True)
    arranged_midi(folder / "arr.mid")
    p = Project(title="Stems", media=MediaInfo(path="none.mp4", fps="25", duration="9.0"))
    # two cues that join at 4.0 s; speech under the second
    p.cues = [Cue("1M1", 0.4, 4.0, title="One"),
              Cue("1M2", 4.0, 8.0, title="Two", ducking=[(5.5, 6.5)])]
    p.suggestions = [Suggestion(f"s{i}", c.number, "generated", "arr", path="arr.mid")
                     for i, c in enumerate(p.cues)]
    path = folder / "stems.scorer.json"
    project_io.save(p, path)
    return p, path


def db(x: np.ndarray) -> float:
    return 20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-15)


def test_parts_are_named_by_role():
    mid = mido.MidiFile(type=1)
    for name, channel, program, note in (("Lead", 0, 73, 76), ("Pad", 1, 48, 60),
                                         ("", 2, 33, 40), ("", 9, 0, 36), ("", 3, 0, 55)):
        track = mido.MidiTrack([mido.MetaMessage("track_name", name=name)] if name else [])
        track.append(mido.Message("program_change", channel=channel, program=program))
        track.append(mido.Message("note_on", channel=channel, note=note, velocity=80))
        track.append(mido.Message("note_off", channel=channel, note=note, time=480))
        mid.tracks.append(track)
    parts = split_parts(mid)
    assert sorted(parts) == ["bass", "harmony", "melody", "percussion"]

    def channels(part):
        return {m.channel for t in parts[part].tracks for m in t if m.type == "note_on"}

    assert channels("melody") == {0} and channels("bass") == {2}
    assert channels("percussion") == {9} and channels("harmony") == {1, 3}


def test_stems_sum_to_the_mix_and_sit_on_the_timelines(tmp_path):
    p, path = make_project(tmp_path / "p")
    out = tmp_path / "out"
    export_project(p, path, "wav,stems,otio,fcp7", out)
    mix, sr = soundfile.read(out / "Stems_score.wav", dtype="float64", always_2d=True)
    assert sr == SR
    stems = sorted((out / "stems").glob("*.wav"))
    names = {f.stem for f in stems}
    assert names == {f"{c}_{part}" for c in ("1M1", "1M2")
                     for part in ("melody", "harmony", "bass", "percussion")}
    total = np.zeros_like(mix)
    for cue in ("1M1", "1M2"):
        cue_sum = None
        for f in stems:
            if not f.stem.startswith(cue):
                continue
            audio, rate = soundfile.read(f, dtype="float64", always_2d=True)
            assert rate == SR
            at = time_reference(f)  # the stem's own timestamp places it
            total[at:at + len(audio)] += audio[:len(total) - at]
            cue_sum = audio if cue_sum is None else cue_sum + audio
        ducked, _ = soundfile.read(out / "cues" / "ducked" / f"{cue}.wav", dtype="float64",
                                   always_2d=True)
        assert db(cue_sum - ducked) - db(ducked) < -60  # per cue
    residual = db(total - mix) - db(mix)
    assert residual < -60, residual

    tl = otio.adapters.read_from_file(str(out / "Stems.otio"))
    stem_tracks = [t for t in tl.tracks if t.name.startswith("Stem ")]
    assert sorted(t.name for t in stem_tracks) == [
        "Stem bass", "Stem harmony", "Stem melody", "Stem percussion"]
    assert all(not t.enabled and len(list(t.find_clips())) == 2 for t in stem_tracks)
    assert next(t for t in tl.tracks if t.name == "Music").enabled
    xml = otio.adapters.read_from_file(str(out / "Stems_fcp7.xml"))
    muted = [t for t in xml.tracks if t.metadata.get("fcp_xml", {}).get("enabled") == "FALSE"]
    assert len(muted) == 5  # four stems and the ducked cues


def test_joined_cues_crossfade_and_ducked_files_beside_clean(tmp_path):
    p, path = make_project(tmp_path / "p")
    out = tmp_path / "out"
    export_project(p, path, "wav,otio", out)
    mix, _ = soundfile.read(out / "Stems_score.wav", dtype="float64", always_2d=True)
    join = 4 * SR
    before = db(mix[join - int(0.05 * SR):join])  # the 50 ms before the join
    body = db(mix[join - int(1.0 * SR):join - int(0.5 * SR)])
    assert body - before < 6  # no hole (it was 38 dB)
    clean1, _ = soundfile.read(out / "cues" / "1M1.wav", dtype="float64", always_2d=True)
    assert len(clean1) > round(3.6 * SR)  # 1M1 rings on under 1M2
    assert db(clean1[round(3.6 * SR):]) < db(clean1[round(3.0 * SR):round(3.5 * SR)])

    clean, _ = soundfile.read(out / "cues" / "1M2.wav", dtype="float64", always_2d=True)
    ducked, _ = soundfile.read(out / "cues" / "ducked" / "1M2.wav", dtype="float64",
                               always_2d=True)
    assert time_reference(out / "cues" / "1M2.wav") == 4 * SR
    speech = slice(int(1.7 * SR), int(2.4 * SR))  # 5.7-6.4 s on the clip
    free = slice(int(0.3 * SR), int(0.9 * SR))
    assert db(clean[speech]) - db(ducked[speech]) == pytest.approx(10, abs=0.5)
    assert db(clean[free] - ducked[free]) < -100  # untouched away from speech


def test_music21_reads_the_score(tmp_path):
    music21 = pytest.importorskip("music21")
    p, path = make_project(tmp_path / "p")
    out = tmp_path / "out"
    export_project(p, path, "midi", out)
    score = music21.converter.parse(str(out / "Stems_score.mid"))
    notes = list(score.recurse().notes)
    assert notes
    seconds = [e["offsetSeconds"] for e in score.flatten().secondsMap
               if e["element"] in notes]
    assert min(seconds) == pytest.approx(0.4, abs=0.02)  # 1M1 starts at frame 10
