"""Make the instrument-recognition data set: labelled MIDI clips rendered through a SoundFont.

Each clip is 3 s of one to four of the sixteen instruments (scorer.music.instruments.CLASSES),
each playing a random line, chords, arpeggios or repeated notes in its own range, at random
dynamics and articulation (staccato to legato), with a random channel level, pan and reverb
send; one clip in four adds an unlabelled distractor (organ, choir, pad, bass, synth lead,
vibraphone, kick and hi-hat). Clips are rendered 100 at a time as one MIDI file (1.5 s of
silence between clips) by the project's renderer (scorer.music.render.render_midi), then each
clip is scaled to a random level (0 to -18 dB) and one in three gets noise at 20-40 dB SNR.

For every clip three feature vectors are stored (scorer.music.instruments.window_features):
``est`` from basic-pitch's posteriorgrams, ``true`` from the clip's MIDI notes, and ``base``
(scorer.music.instruments.spectral_features: MFCC mean and spread and the mean CQT, no pitch;
the baseline alone, read beside the pitch features by the shipped network).

SoundFonts (one data set each, with their own random clips):
- ``fluid``: FluidR3_GM (MIT), Debian ``fluid-soundfont-gm``, /usr/share/sounds/sf2/FluidR3_GM.sf2
- ``timgm``: TimGM6mb (GPL-2 with font exception), inside the ``pretty_midi`` wheel
- ``musescore``: MuseScore General Lite (MIT), ``apt-get install -y
  musescore-general-soundfont-small``, decoded from SF3 by ``sf3_to_sf2.py`` (training only)

    .venv/bin/python models/training/instrument_data.py --font fluid --clips 1600 --seed 1
    .venv/bin/python models/training/instrument_data.py --font timgm --clips 1600 --seed 2
    .venv/bin/python models/training/instrument_data.py --font musescore --clips 1600 --seed 3

Writes ``out/instrument_data/<font>.npz``; resumes from the batches already written.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import mido
import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from scorer.music import instruments as ins  # noqa: E402
from scorer.music.render import render_midi, timgm6mb  # noqa: E402
from scorer.music.transcribe import basic_pitch_posteriorgrams  # noqa: E402

CLIP = 3.0
GAP = 1.5
BATCH = 100
OUT = REPO / "out" / "instrument_data"
MUSESCORE_SF3 = Path("/usr/share/sounds/sf3/MuseScore_General_Lite.sf3")

# sounding ranges used for the random lines (MIDI keys), a little inside each instrument's own
RANGES = {
    "violin": (55, 96), "viola": (48, 84), "cello": (36, 72), "double bass": (28, 55),
    "flute": (60, 93), "clarinet": (50, 86), "saxophone": (44, 80), "trumpet": (54, 82),
    "horn": (41, 74), "piano": (28, 100), "guitar": (40, 81), "harp": (31, 96),
    "xylophone": (65, 103), "timpani": (40, 55), "zither": (50, 86),
}
CHORDAL = {"piano", "guitar", "harp", "zither"}
DISTRACTORS = ((19, (48, 79)), (52, (52, 76)), (89, (45, 76)), (33, (28, 52)),
               (81, (55, 84)), (11, (60, 91)), ("kit", None))


def soundfont(name: str) -> Path:
    if name == "fluid":
        return Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
    if name == "timgm":
        return timgm6mb()
    if name == "musescore":
        target = OUT / "MuseScore_General_Lite.sf2"
        if not target.exists():
            from sf3_to_sf2 import convert

            OUT.mkdir(parents=True, exist_ok=True)
            convert(MUSESCORE_SF3, target)
        return target
    raise SystemExit(f"unknown font {name}")


def _line(rng, lo, hi, t0, t1, chordal):
    """Notes (start, end, pitch, velocity) of one random part between t0 and t1."""
    unit = rng.uniform(0.09, 0.35)
    legato = rng.uniform(0.3, 1.0) if rng.random() < 0.5 else rng.uniform(0.85, 1.0)
    vel = int(rng.integers(35, 121))
    style = rng.choice(["line", "line", "chords", "arpeggio", "repeat"] if chordal
                       else ["line", "line", "line", "repeat", "double"])
    notes = []
    t = t0 + rng.uniform(0.0, 0.4)
    p = int(rng.integers(lo, hi + 1))
    while t < t1 - 0.08:
        dur = unit * int(rng.choice([1, 1, 2, 2, 3, 4, 6]))
        end = min(t + dur * legato, t1)
        v = int(np.clip(vel + rng.integers(-12, 13), 1, 127))
        if style == "repeat":
            dur = unit * rng.choice([0.5, 1])
            end = min(t + dur * 0.9, t1)
        elif style == "arpeggio":
            dur = unit
            end = min(t + unit * rng.uniform(1, 4), t1)
        else:
            p = int(np.clip(p + rng.choice([-7, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 7]),
                            lo, hi))
        if rng.random() < 0.12:  # a rest
            t += dur
            continue
        pitches = [p]
        if style == "chords":
            shapes = ([4, 7], [3, 7], [7, 12], [4, 7, 12], [3, 8], [5, 9])
            pitches += [p + s for s in shapes[int(rng.integers(len(shapes)))]]
        elif style == "double" and rng.random() < 0.5:
            pitches.append(p + int(rng.choice([3, 4, 5, 7])))
        elif style == "arpeggio":
            p = int(lo + (p - lo + rng.choice([3, 4, 5, 7])) % max(1, hi - lo))
        for q in pitches:
            if lo <= q <= hi + 7:
                notes.append((t, max(end, t + 0.05), int(q), v))
        t += dur
    return notes


def _drums(rng, t0, t1, keys):
    unit = rng.uniform(0.07, 0.3)
    vel = int(rng.integers(40, 121))
    notes = []
    t = t0 + rng.uniform(0.0, 0.3)
    roll = rng.random() < 0.25
    while t < t1 - 0.05:
        step = unit * (0.5 if roll else int(rng.choice([1, 1, 2, 3])))
        if roll or rng.random() < 0.8:
            key = int(rng.choice(keys))
            notes.append((t, t + 0.05, key, int(np.clip(vel + rng.integers(-15, 16), 1, 127))))
        t += step
    return notes


def make_batch(rng, n_clips):
    """One MIDI file of ``n_clips`` clips; returns (MidiFile, labels (n, C), true notes)."""
    events = []  # (time s, order, message)
    labels = np.zeros((n_clips, len(ins.CLASSES)), np.float32)
    true_notes = []
    for i in range(n_clips):
        t0 = i * (CLIP + GAP) + GAP
        k = int(rng.choice([1, 2, 3, 4], p=[0.3, 0.3, 0.25, 0.15]))
        chosen = list(rng.choice(len(ins.CLASSES), size=k, replace=False))
        parts = [ins.CLASSES[c] for c in chosen]
        if rng.random() < 0.25:
            parts.append(DISTRACTORS[int(rng.integers(len(DISTRACTORS)))])
        clip_notes = []
        chan = 0
        for part in parts:
            if part == "snare drum" or (isinstance(part, tuple) and part[0] == "kit"):
                channel = 9
                keys = ins.SNARE_KEYS if part == "snare drum" else (36, 42, 44)
                notes = _drums(rng, t0, t0 + CLIP, keys)
            else:
                channel = chan if chan < 9 else chan + 1
                chan += 1
                if isinstance(part, tuple):
                    program, (lo, hi) = part
                    chordal = program in (19, 89)
                else:
                    program = int(rng.choice(ins.GM_PROGRAMS[part]))
                    lo, hi = RANGES[part]
                    chordal = part in CHORDAL
                notes = _line(rng, lo, hi, t0, t0 + CLIP, chordal)
                clip_notes += [(s - t0, e - t0, p) for s, e, p, _ in notes]
                events.append((t0 - 0.6, 0, mido.Message("program_change", channel=channel,
                                                          program=program)))
            level = int(rng.integers(60, 128))
            for cc, value in ((7, level), (10, int(rng.integers(20, 108))),
                              (91, int(rng.integers(0, 100))), (11, 127), (64, 0)):
                events.append((t0 - 0.5, 1, mido.Message("control_change", channel=channel,
                                                         control=cc, value=value)))
            for s, e, p, v in notes:
                events.append((s, 3, mido.Message("note_on", channel=channel, note=p,
                                                  velocity=v)))
                events.append((min(e, t0 + CLIP), 2, mido.Message("note_off", channel=channel,
                                                                  note=p, velocity=0)))
            if isinstance(part, str):
                labels[i, ins.CLASSES.index(part)] = 1.0
        true_notes.append(clip_notes)
    end = n_clips * (CLIP + GAP) + GAP
    events.append((end, 4, mido.Message("control_change", channel=0, control=7, value=100)))
    events.sort(key=lambda e: (e[0], e[1]))
    mid = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=500000, time=0))
    last = 0
    for t, _, msg in events:
        tick = int(round(max(t, 0.0) * 960))
        track.append(msg.copy(time=tick - last))
        last = tick
    return mid, labels, true_notes


def process_batch(rng, sf2: Path, n_clips: int):
    mid, labels, true_notes = make_batch(rng, n_clips)
    stereo = render_midi(mid, sf2, sr=ins.SR, tail=1.0, limit=False, workers=1)
    y = stereo.mean(axis=1).astype(np.float32)
    clip_len = int(CLIP * ins.SR)
    starts = [int(round((i * (CLIP + GAP) + GAP) * ins.SR)) for i in range(n_clips)]
    # each clip at its own level (0 to -18 dB below a common peak), some with noise
    peak = float(np.abs(y).max()) or 1.0
    y = y / peak * 0.9
    for s in starts:
        seg = y[s:s + clip_len]
        seg *= 10 ** (-rng.uniform(0, 18) / 20)
        if rng.random() < 0.33:
            rms = float(np.sqrt((seg ** 2).mean())) or 1e-4
            snr = rng.uniform(20, 40)
            seg += rng.normal(0, rms * 10 ** (-snr / 20), len(seg)).astype(np.float32)
    post = basic_pitch_posteriorgrams(y)
    db = ins.cqt_db(y)
    est, true, base = [], [], []
    n_frames = int(round(CLIP * ins.SR / ins.HOP))
    for i, s in enumerate(starts):
        a = s // ins.HOP
        b = a + n_frames
        d = db[a:b]
        est.append(ins.window_features(d, post["note"][a:b], post["onset"][a:b]))
        note, onset = ins.roll_from_notes(true_notes[i], b - a, t0=(a * ins.HOP - s) / ins.SR)
        true.append(ins.window_features(d, note, onset))
        base.append(ins.spectral_features(y[s:s + clip_len], d))
    return np.stack(est), np.stack(true), np.stack(base), labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--font", required=True, choices=["fluid", "timgm", "musescore"])
    parser.add_argument("--clips", type=int, default=1600)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sf2 = soundfont(args.font)
    OUT.mkdir(parents=True, exist_ok=True)
    parts_dir = OUT / f"{args.font}.parts"
    parts_dir.mkdir(exist_ok=True)
    n_batches = (args.clips + BATCH - 1) // BATCH
    t_start = time.time()
    for b in range(n_batches):
        part = parts_dir / f"{b:03d}.npz"
        if part.exists():
            continue
        rng = np.random.default_rng([args.seed, b])
        est, true, base, labels = process_batch(rng, sf2, BATCH)
        np.savez(part, est=est, true=true, base=base, labels=labels)
        print(f"{args.font} batch {b + 1}/{n_batches} {time.time() - t_start:.0f} s",
              flush=True)
    arrays = [np.load(parts_dir / f"{b:03d}.npz") for b in range(n_batches)]
    np.savez(OUT / f"{args.font}.npz",
             **{k: np.concatenate([a[k] for a in arrays]) for k in ("est", "true", "base",
                                                                   "labels")})
    print(f"wrote {OUT / (args.font + '.npz')}")


if __name__ == "__main__":
    main()
