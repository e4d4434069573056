"""Audio to MIDI for seed melodies: basic-pitch against the source paper's CQT-onset method.

Both transcribers (``scorer.music.transcribe``) run on the same clips with known notes:

* **rendered**: tunes the melody models never saw (Essen folk songs and O'Neill/Ryan Irish
  tunes beyond the random 2,000 / 1,500 that ``build_melody_corpus.py`` samples with seed 0),
  their first ~12 s at a random tempo (84-132 BPM), each in three of nine General MIDI
  instruments through two SoundFonts (FluidR3_GM and TimGM6mb), velocities varied;
* **espeak**: the same tunes' first 16 notes "sung" by espeak-ng: one syllable per note
  ("la", "da", "na", "loo", "doo"; voices en and en+f3) spoken on one flat pitch (SSML
  ``<prosody range="0">``), shifted from its median pitch (pyin) to the note's pitch and
  stretched to the note's length (phase vocoder). Sung-like, not singing: no vibrato, no
  portamento, a robotic timbre; the reference onset is the syllable's start (its consonant).

Tunes split in two: ``dev`` (tunes 0-11 of each style after the held-out start), used only by
``--tune`` to choose each method's thresholds on a small grid, and ``test`` (the next 12 per
style), which gives the figures. Note-level F1 by mir_eval: onset within 50 ms and the same
pitch (within 50 cents), offsets ignored ("onset F1"); also with offsets (mir_eval's default
20% / 50 ms, "onset+offset F1"). Rendered audio is cached in /work/cache/transcribe/.

Run: .venv/bin/python bench/transcribe.py [--split test] [--tune] [--set rendered|espeak|all]
"""

from __future__ import annotations

import argparse
import io
import itertools
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scorer.music import transcribe as tr  # noqa: E402

CACHE = Path("/work/cache/transcribe")
HELD_OUT_START = {"folk": 2000, "irish": 1500}  # models/training/build_melody_corpus.py LIMITS
PER_SPLIT = 12
PROGRAMS = {0: "piano", 24: "nylon guitar", 40: "violin", 42: "cello", 56: "trumpet",
            65: "alto sax", 71: "clarinet", 73: "flute", 52: "choir aahs"}
SOUNDFONTS = {"FluidR3": "/usr/share/sounds/sf2/FluidR3_GM.sf2", "TimGM6mb": "timgm6mb"}
SYLLABLES = ("la", "da", "na", "loo", "doo")
VOICES = ("en", "en+f3")
CLIP_SECONDS = 12.0


def held_out_tunes(split: str) -> list[tuple[str, list[tuple[float, float, int]]]]:
    """Return (id, [(start beat, length beats, midi)]) of the split's tunes, ABC parsed once."""
    import pickle

    cache = CACHE / f"tunes_{split}.pkl"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    from scorer.music.corpus import _sources

    out = []
    for style, start in HELD_OUT_START.items():
        sources = list(_sources(style))
        random.Random(0).shuffle(sources)  # the order build_corpus samples from
        first = start + (0 if split == "dev" else PER_SPLIT * 3)
        kept = 0
        for tune_id, loader in sources[first:]:
            if kept == PER_SPLIT:
                break
            try:
                flat = loader().stripTies().flatten().notes
            except Exception:  # noqa: BLE001 - odd ABC
                continue
            notes = []
            for el in flat:
                if float(el.quarterLength) <= 0:
                    continue
                pitch = max(p.midi for p in el.pitches) if el.isChord else el.pitch.midi
                notes.append((float(el.offset), float(el.quarterLength), int(pitch)))
            if len(notes) >= 16:
                out.append((f"{style}:{tune_id}", notes))
                kept += 1
    CACHE.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pickle.dumps(out))
    return out


def _midi(notes, bpm, program, rng):
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(initial_tempo=bpm)
    inst = pretty_midi.Instrument(program)
    beat = 60.0 / bpm
    t0 = notes[0][0]
    for start, length, pitch in notes:
        s = 0.25 + (start - t0) * beat
        if s > CLIP_SECONDS:
            break
        pitch = pitch - 12 if program == 42 else pitch  # the cello plays an octave down
        inst.notes.append(pretty_midi.Note(int(rng.integers(70, 111)), pitch, s,
                                           s + length * beat * 0.97))
    pm.instruments.append(inst)
    buf = io.BytesIO()
    pm.write(buf)
    ref = [(n.start, n.end, n.pitch) for n in inst.notes]
    return buf.getvalue(), ref


def rendered_clips(split: str) -> list[dict]:
    """Render (once) the split's tunes; return clips with audio and reference notes."""
    from scorer.music.render import render_midi, timgm6mb

    cache = CACHE / f"rendered_{split}.npz"
    if cache.exists():
        data = np.load(cache, allow_pickle=True)
        return list(data["clips"])
    rng = np.random.default_rng(0 if split == "dev" else 1)
    programs = list(PROGRAMS)
    clips = []
    for i, (tune_id, notes) in enumerate(held_out_tunes(split)):
        bpm = float(rng.integers(84, 133))
        for j in range(3):
            program = programs[(3 * i + j) % len(programs)]
            data, ref = _midi(notes, bpm, program, rng)
            for sf_name, sf in SOUNDFONTS.items():
                sf = str(timgm6mb()) if sf == "timgm6mb" else sf
                if not Path(sf).exists():
                    continue
                audio = render_midi(data, sf2=sf, sr=tr.SR, tail=0.5).mean(axis=1)
                clips.append({"tune": tune_id, "instrument": PROGRAMS[program],
                              "soundfont": sf_name, "audio": audio.astype(np.float32),
                              "ref": ref})
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(cache, clips=np.array(clips, dtype=object))
    return clips


def _syllable(text: str, voice: str) -> tuple[np.ndarray, float]:
    """Speak one syllable with espeak-ng; return 22.05 kHz audio and its median MIDI pitch."""
    import librosa
    import soundfile

    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "s.wav"
        # SSML prosody range 0 holds the pitch flat, as a singer holds a note
        ssml = f'<speak><prosody range="0">{text}</prosody></speak>'
        subprocess.run(["espeak-ng", "-m", "-v", voice, "-s", "110", "-z", "-w", str(wav), ssml],
                       check=True, capture_output=True)
        audio, sr = soundfile.read(wav, dtype="float32")
    audio = librosa.resample(audio, orig_sr=sr, target_sr=tr.SR)
    audio, _ = librosa.effects.trim(audio, top_db=35)
    f0, voiced, _ = librosa.pyin(audio, fmin=60, fmax=500, sr=tr.SR, hop_length=256)
    return audio, float(np.median(librosa.hz_to_midi(f0[voiced])))


def espeak_clips(split: str) -> list[dict]:
    """Build (once) espeak-ng sung-like versions of the split's tunes (first 16 notes)."""
    import librosa

    cache = CACHE / f"espeak_{split}.npz"
    if cache.exists():
        return list(np.load(cache, allow_pickle=True)["clips"])
    syllables = {(s, v): _syllable(s, v) for s, v in itertools.product(SYLLABLES, VOICES)}
    rng = np.random.default_rng(2 if split == "dev" else 3)
    clips = []
    for i, (tune_id, notes) in enumerate(held_out_tunes(split)):
        voice = VOICES[i % 2]
        bpm = float(rng.integers(72, 110))
        beat = 60.0 / bpm
        t0 = notes[0][0]
        # a voice sings in its own register: the tune moved by octaves near its syllables'
        centre = np.mean([syllables[(s, voice)][1] for s in SYLLABLES])
        shift = 12 * int(round((centre - np.mean([p for *_, p in notes[:16]])) / 12))
        out = np.zeros(int((notes[15][0] - t0 + notes[15][1]) * beat * tr.SR) + tr.SR)
        ref = []
        for start, length, pitch in notes[:16]:
            s = 0.25 + (start - t0) * beat
            dur = max(0.12, length * beat * 0.92)
            audio, f0 = syllables[(SYLLABLES[int(rng.integers(len(SYLLABLES)))], voice)]
            y = librosa.effects.pitch_shift(audio, sr=tr.SR, n_steps=pitch + shift - f0)
            y = librosa.effects.time_stretch(y, rate=len(y) / (dur * tr.SR))[:int(dur * tr.SR)]
            fade = min(len(y), 220)
            y[-fade:] *= np.linspace(1, 0, fade)
            a = int(s * tr.SR)
            out = np.pad(out, (0, max(0, a + len(y) - len(out))))
            out[a:a + len(y)] += y
            ref.append((s, s + dur, pitch + shift))
        clips.append({"tune": tune_id, "instrument": f"espeak {voice}", "soundfont": "-",
                      "audio": (out / max(1e-6, np.abs(out).max()) * 0.8).astype(np.float32),
                      "ref": ref})
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(cache, clips=np.array(clips, dtype=object))
    return clips


def scores(ref, est) -> tuple[float, float, float]:
    """Return (onset F1, onset+offset F1, onset detection F1 with pitch ignored)."""
    import mir_eval

    def arrays(notes):
        iv = np.array([[a, b] for a, b, _ in notes], float).reshape(-1, 2)
        hz = mir_eval.util.midi_to_hz(np.array([p for *_, p in notes], float))
        return iv, hz

    ri, rp = arrays(ref)
    if not len(est):
        return 0.0, 0.0, 0.0
    ei, ep = arrays(est)
    f_det = mir_eval.onset.f_measure(ri[:, 0], ei[:, 0], window=0.05)[0]
    f_on = mir_eval.transcription.precision_recall_f1_overlap(
        ri, rp, ei, ep, onset_tolerance=0.05, offset_ratio=None)[2]
    f_off = mir_eval.transcription.precision_recall_f1_overlap(
        ri, rp, ei, ep, onset_tolerance=0.05)[2]
    return float(f_on), float(f_off), float(f_det)


def run(clips, method: str, post=None, **params) -> list[tuple[float, float]]:
    out = []
    for clip in clips:
        if method == "basic-pitch":
            if post is None:
                notes = tr.transcribe(clip["audio"], tr.SR, method)
            else:
                notes = tr.decode_melody(post[id(clip)]["note"], post[id(clip)]["onset"],
                                         **params)
        else:
            audio = clip["audio"] / max(1e-6, float(np.abs(clip["audio"]).max())) * 0.9
            notes = tr.transcribe_cqt_onset(audio, **params)
        out.append(scores(clip["ref"], [(n.start, n.end, n.pitch) for n in notes]))
    return out


def tune(clips) -> None:
    """Grid each method's thresholds on the dev clips; print the best."""
    post = {id(c): tr.basic_pitch_posteriorgrams(
        c["audio"] / max(1e-6, float(np.abs(c["audio"]).max())) * 0.9) for c in clips}
    # two passes on 2 shared cores: the onset rules first, then note length and level
    stages = [{"onset_thresh": (0.3, 0.4, 0.5, 0.6), "infer_onsets": (True, False),
               "repeat_onset": (0.6, 0.7, 0.8), "repeat_dip": (0.8, 0.95)},
              {"frame_thresh": (0.2, 0.3, 0.4), "min_frames": (4, 6, 8)}]
    fixed: dict = {}
    for grid in stages:
        best = []
        for values in itertools.product(*grid.values()):
            params = {**fixed, **dict(zip(grid, values, strict=True))}
            f = np.mean([s[0] for s in run(clips, "basic-pitch", post, **params)])
            best.append((f, params))
        best.sort(key=lambda b: -b[0])
        for f, p in best[:5]:
            print(f"basic-pitch dev onset F1 {f:.3f} {p}", flush=True)
        fixed = best[0][1]
    grid = {"delta": (0.03, 0.05, 0.07, 0.1, 0.15, 0.2), "rest_db": (25.0, 35.0, 45.0)}
    best = []
    for values in itertools.product(*grid.values()):
        params = dict(zip(grid, values, strict=True))
        f = np.mean([s[0] for s in run(clips, "cqt-onset", **params)])
        best.append((f, params))
    best.sort(key=lambda b: -b[0])
    for f, p in best[:5]:
        print(f"cqt-onset  dev onset F1 {f:.3f} {p}", flush=True)


def table(clips, name: str) -> None:
    results = {}
    for method in tr.METHODS:
        t0 = time.perf_counter()
        results[method] = run(clips, method)
        seconds = sum(len(c["audio"]) for c in clips) / tr.SR
        print(f"{name}: {method} ran {time.perf_counter() - t0:.1f} s for {seconds:.0f} s "
              "of audio")
    groups: dict[str, list[int]] = {}
    for i, c in enumerate(clips):
        groups.setdefault(f"{c['instrument']}", []).append(i)
        groups.setdefault(f"SoundFont {c['soundfont']}", []).append(i)
        groups.setdefault(c["tune"].split(":")[0] + " tunes", []).append(i)
    print(f"\n| {name} | clips | CQT-onset onset F1 | basic-pitch onset F1 "
          "| CQT-onset onset+offset F1 | basic-pitch onset+offset F1 "
          "| CQT-onset onsets only (pitch ignored) | basic-pitch onsets only |")
    print("|---|---|---|---|---|---|---|---|")
    for label, idx in sorted(groups.items()) + [("**all**", list(range(len(clips))))]:
        if label == "SoundFont -":
            continue
        cells = [np.mean([results[m][i][k] for i in idx]) for k in (0, 1, 2)
                 for m in ("cqt-onset", "basic-pitch")]
        print(f"| {label} | {len(idx)} | {cells[0]:.3f} | **{cells[1]:.3f}** | {cells[2]:.3f} "
              f"| {cells[3]:.3f} | {cells[4]:.3f} | {cells[5]:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test", choices=("dev", "test"))
    parser.add_argument("--set", default="all", choices=("rendered", "espeak", "all"))
    parser.add_argument("--tune", action="store_true", help="grid thresholds on the dev split")
    args = parser.parse_args()
    if args.tune:
        clips = rendered_clips("dev") + espeak_clips("dev")
        tune(clips)
        return
    if args.set in ("rendered", "all"):
        table(rendered_clips(args.split), f"rendered, {args.split}")
    if args.set in ("espeak", "all"):
        table(espeak_clips(args.split), f"espeak-ng sung-like, {args.split}")


if __name__ == "__main__":
    main()
