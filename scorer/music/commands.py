"""``scorer score``: generate an arranged MIDI score for every cue of a project.

Files go to a folder beside the project (``NAME_music/1M1_generated_s0.mid``); each becomes a
:class:`scorer.project.Suggestion` (source "generated") of its cue, replacing the cue's older
generated suggestions, and the project is saved.
"""

from __future__ import annotations

import io
from pathlib import Path

from scorer.errors import ScorerError
from scorer.fileio import staged_folder
from scorer.project import music_folder


def explain(score, cue) -> str:
    """Say in words how a generated score was made for its cue."""
    from scorer.affect.circumplex import quadrant
    from scorer.music.melody import CINEMATIC, THEME_STYLE, arousal_bucket

    density = ("sparse", "moderate", "busy")[arousal_bucket(cue.arousal)]
    roles = [p.role for p in score.arrangement.parts] if score.arrangement else []
    chords = f"{' '.join(score.chords[:8])}{' ...' if len(score.chords) > 8 else ''}"
    grid = (f"{cue.tempo:.1f} BPM with {len(cue.hit_points)} hit(s) on beats"
            if cue.hit_points else f"{cue.tempo:.1f} BPM")
    perf = getattr(score, "performance", None) or {}
    performed = (f"; performed at dynamics x{perf['velocity']:g}, melody articulation "
                 f"{perf['articulation']:g}" if perf else "")
    if score.style == CINEMATIC:
        names = [p.name.lower() for p in score.arrangement.parts] if score.arrangement else []
        return (f"Theme from the {THEME_STYLE} LSTM ({cue.mode}, sparse), stated for eight bars "
                f"and restated; cinematic texture for a {quadrant(cue.valence, cue.arousal)} "
                f"cue: {', '.join(names)}, layers entering with the scene's intensity, swells "
                f"into hits and accents on them; seed {score.seed}, temperature "
                f"{score.temperature:g}; chords {chords} ending V-I; {grid} in {cue.key} "
                f"{cue.mode}, {cue.meter}, exactly {cue.duration:.2f} s{performed}.")
    drums = "; percussion for high arousal" if "drums" in roles else ""
    return (f"Melody from the {score.style} LSTM conditioned on {cue.mode} mode and {density} "
            f"note density (arousal {cue.arousal:+.2f}), seed {score.seed}, temperature "
            f"{score.temperature:g}; harmonised {chords} ending on a V-I cadence; "
            f"{grid} in {cue.key} {cue.mode}, {cue.meter}, exactly {cue.duration:.2f} s; "
            f"{', '.join(roles)}{drums}{performed}.")


def score_project(path: Path, style: str | None = None, seed: int = 0, temperature: float = 1.0,
                  cue_numbers: list[str] | None = None, seed_melody: str | None = None,
                  progress=None, cancel=None) -> list:
    """Generate music for the cues of a saved project, record suggestions and save it.

    Args:
        path: Project file.
        style: Melody style, or None for the router's choice per cue.
        seed: Random seed.
        temperature: Sampling temperature.
        cue_numbers: Only these cues (default: all).
        seed_melody: Bundled seed name, token file, MIDI file, audio file (transcribed once)
            or score image (read once).
        progress: ``progress(stage, fraction)`` callback.
        cancel: Token with ``raise_if_set()``; a cancel leaves the project file untouched.

    Returns:
        The new :class:`scorer.project.Suggestion` entries.

    Raises:
        ScorerError: If the project has no cues, a cue is unknown, or a model is missing.
        Cancelled: If cancelled (the project file and the music folder are left as they
            were: the files are staged and move into place only when every cue is done).
    """
    from scorer import project as project_io
    from scorer.music.generate import generate_for_cue
    from scorer.music.melody import load_seed

    project = project_io.load(path)
    # read (for audio: transcribed) once for every cue, and before any cue is generated, so a
    # bad seed file stops the run with its own message
    primer = load_seed(seed_melody) if seed_melody else None
    if not project.cues:
        raise ScorerError("project has no cues; run `scorer analyze` (or plan cues) first", path)
    cues = project.cues
    if cue_numbers:
        try:
            cues = [project.cue(n) for n in cue_numbers]
        except KeyError as exc:
            known = ", ".join(c.number for c in project.cues)
            raise ScorerError(f"no cue {exc.args[0]} in the project (cues: {known})",
                              path) from exc
    made = []
    # staged: a cancel or a failure leaves the music folder as it was (no take of an earlier
    # run replaced, no file the unsaved project would not know)
    with staged_folder(music_folder(path)) as stage:
        for i, cue in enumerate(cues):
            if cancel is not None:
                cancel.raise_if_set()
            if progress:
                progress("generate", i / len(cues))
            score = generate_for_cue(cue, style=style, seed=seed, temperature=temperature,
                                     seed_melody=primer)
            out = stage.final_path(score.save(stage.path / f"{cue.number}_generated_s{seed}.mid"))
            sid = f"{cue.number}-generated-{score.style}-s{seed}-t{temperature:g}"
            old = [s for s in project.suggestions
                   if s.cue == cue.number and s.source == "generated"]
            project.suggestions = [s for s in project.suggestions if s not in old]
            if cue.choice in {s.id for s in old} and cue.choice != sid:
                cue.choice = ""  # the chosen generated music no longer exists
            suggestion = project_io.Suggestion(
                id=sid, cue=cue.number, source="generated",
                title=f"Generated {score.style} ({cue.key} {cue.mode}, {cue.tempo:.0f} BPM)",
                path=str(out.resolve()), score=1.0, explanation=explain(score, cue),
                params={"style": score.style, "seed": seed, "temperature": temperature,
                        "key": cue.key, "mode": cue.mode, "tempo": cue.tempo,
                        "duration_s": round(score.duration_s, 4), "chords": score.chords,
                        "seed_melody": str(seed_melody) if seed_melody else ""})
            project.suggestions.append(suggestion)
            made.append(suggestion)
        if cancel is not None:
            cancel.raise_if_set()
        stage.commit()
    if progress:
        progress("generate", 1.0)
    project_io.save(project, path)
    return made


def _cmd_score(args) -> int:
    from scorer.progress import cancellable

    path = Path(args.project)
    # the first Ctrl-C or SIGTERM stops at the next cue (the second at once)
    with cancellable() as (bar, cancel):
        made = score_project(path, style=args.style, seed=args.seed,
                             temperature=args.temperature, cue_numbers=args.cue,
                             seed_melody=args.seed_melody, progress=bar, cancel=cancel)
    for s in made:
        print(f"{s.cue:6} {s.params['style']:8} {s.path}")
    print(f"{len(made)} generated cue(s) added to {path}")
    return 0


def _cmd_transcribe(args) -> int:
    import mido

    from scorer.errors import InputError
    from scorer.music import transcribe as tr
    from scorer.project import atomic_write_bytes

    path = Path(args.audio)
    notes = tr.transcribe(tr.load_mono(path), tr.SR, method=args.method)
    if not notes:
        raise InputError("no notes found in the audio (is it silent, or only noise or "
                         "drums?)", path)
    six = tr.estimate_sixteenth(notes)
    print(f"{len(notes)} notes ({args.method}), about {60 / six / 4:.0f} BPM")
    for n in notes[:args.show]:
        print(f"  {n.start:7.3f} - {n.end:7.3f} s  MIDI {n.pitch}")
    enc = tr.notes_to_tokens(notes)
    if enc is not None:
        print(f"seed melody ({enc['key']}, as {enc['mode']} in C/A): {' '.join(enc['tokens'])}")
    if args.output:
        mid = mido.MidiFile(ticks_per_beat=480)
        track = mido.MidiTrack()
        mid.tracks.append(track)
        tempo = mido.bpm2tempo(60 / six / 4)
        track.append(mido.MetaMessage("set_tempo", tempo=tempo, time=0))
        events = sorted([(n.start, 1, n.pitch) for n in notes] + [(n.end, 0, n.pitch)
                                                                   for n in notes])
        now = 0
        for t, on, pitch in events:
            tick = int(round(mido.second2tick(t, 480, tempo)))
            track.append(mido.Message("note_on" if on else "note_off", note=pitch,
                                      velocity=80 if on else 0, time=max(0, tick - now)))
            now = max(now, tick)
        buf = io.BytesIO()
        mid.save(file=buf)
        try:
            atomic_write_bytes(Path(args.output), buf.getvalue())
        except OSError as exc:
            raise ScorerError(f"cannot write MIDI ({exc.strerror or exc})", args.output) from exc
        print(f"wrote {args.output}")
    return 0


def _cmd_instruments(args) -> int:
    import numpy as np

    from scorer.errors import InputError
    from scorer.music import instruments as ins
    from scorer.music.library import features as feat

    path = Path(args.file)
    if path.name.endswith(".scorer.json"):
        return _film_instruments(path)
    kind = feat.kind_of(path)
    if kind == "midi":
        notes = feat.notes_from_midi(path)
        found = ins.instruments_of_programs([p for p in notes.programs
                                             if p != feat.DRUM_PROGRAM], notes.drum_keys)
        print(f"{path.name}: MIDI programs {list(notes.programs)}")
        print("instruments: " + (", ".join(found) if found else "none of the recognised "
                                 f"{len(ins.CLASSES)}"))
        return 0
    if kind != "audio":
        raise InputError("not an audio or MIDI file (WAV, MP3, FLAC, OGG, MID)", path)
    try:
        y, sr = feat.load_audio(path, args.max_seconds)
    except (OSError, ValueError, RuntimeError) as exc:
        raise InputError(f"cannot read audio ({exc})", path) from exc
    reading = ins.recognise(y, sr, hop_s=args.hop)
    print(f"{path.name}: {len(y) / sr:.1f} s, {len(reading.times)} windows of "
          f"{ins.WINDOW_SECONDS:.0f} s (models/instrument_recognition.onnx)")
    for t, probs in zip(reading.times, reading.probs, strict=True):
        order = np.argsort(-probs)[:args.top]
        words = [f"{ins.CLASSES[i]} {probs[i]:.2f}" + ("*" if probs[i] >= reading.thresholds[i]
                                                         else "") for i in order]
        print(f"  {t:7.1f} s  " + ", ".join(words))
    present = reading.present()
    print("instruments: " + (", ".join(f"{n} ({c:.2f})" for n, c in present) if present
                             else "none recognised") + "   (* = above its threshold)")
    return 0


def _film_instruments(path: Path) -> int:
    """Print the instruments recognised in a project's film music, caption by caption."""
    from scorer import project as proj
    from scorer.music import film_music

    project = proj.load(path)
    captions = [c for c in project.music_captions if c.source == "film"]
    print(f"{path.name}: {len(captions)} film-music caption(s)")
    for caption in captions:
        print("  " + film_music.caption_summary(caption))
    if not captions:
        print("  no music found in the sound track (or the clip was analysed without audio)")
    return 0


def _cmd_read_score(args) -> int:
    from music21 import pitch

    from scorer.errors import InputError
    from scorer.music import omr

    staves = omr.read_score(args.image)
    notes, fifths = omr.melody_from_symbols(staves)
    print(f"{len(staves)} staff line(s), key signature {fifths:+d}, "
          f"{sum(n.pitch is not None for n in notes)} notes")
    for k, symbols in enumerate(staves, 1):
        print(f"  staff {k}: {' '.join(symbols)}")
    print("  " + " ".join(("rest" if n.pitch is None else pitch.Pitch(midi=n.pitch).nameWithOctave)
                          + f"/{n.quarters:g}" for n in notes[:args.show]))
    try:
        print(f"seed melody (C/A): {' '.join(omr.seed_from_notes(notes, fifths, args.image))}")
    except InputError as exc:
        print(f"no seed melody: {exc}")
    return 0


def register(subparsers) -> None:
    """Add ``scorer score``, ``transcribe``, ``instruments`` and ``read-score`` to the CLI."""
    i = subparsers.add_parser("instruments", help="recognise the instruments of a music file "
                              "(audio: the instrument model over time; MIDI: its programs; "
                              "a project: those heard in the film's own music)")
    i.add_argument("file", help="audio (WAV, MP3, FLAC, OGG...), MIDI file, or a project "
                   "(.scorer.json)")
    i.add_argument("--hop", type=float, default=None,
                   help="seconds between windows (default: 3, the window length)")
    i.add_argument("--top", type=int, default=3, help="instruments listed per window")
    i.add_argument("--max-seconds", type=float, default=600.0,
                   help="read at most this much audio (default 600)")
    i.set_defaults(handler=_cmd_instruments)
    r = subparsers.add_parser("read-score", help="optical music recognition: the notes of an "
                              "image of a printed melody (the seed that --seed-melody would take)")
    r.add_argument("image", help="image (PNG, JPEG...) or PDF (first page) of a printed "
                   "single-staff melody")
    r.add_argument("--show", type=int, default=24, help="notes to list (default 24)")
    r.set_defaults(handler=_cmd_read_score)
    t = subparsers.add_parser("transcribe", help="audio to MIDI: the notes of a hummed, sung or "
                              "played tune (the seed melody that --seed-melody would take)")
    t.add_argument("audio", help="audio file (WAV, MP3, FLAC, OGG...)")
    t.add_argument("-o", "--output", help="write the notes as a MIDI file")
    t.add_argument("--method", choices=("basic-pitch", "cqt-onset"), default="basic-pitch",
                   help="basic-pitch network (default) or the paper's CQT-onset baseline")
    t.add_argument("--show", type=int, default=12, help="notes to list (default 12)")
    t.set_defaults(handler=_cmd_transcribe)
    p = subparsers.add_parser("score", help="generate arranged MIDI music for a project's cues")
    p.add_argument("project", help="project file (.scorer.json)")
    p.add_argument("--style", help="style (cinematic, folk, irish, chorale); default: router")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--temperature", type=float, default=1.0, help="sampling temperature")
    p.add_argument("--cue", action="append", help="only this cue (repeatable), e.g. 1M2")
    p.add_argument("--seed-melody", help="seed melody: bundled name, token file, MIDI file, "
                   "an audio file (WAV, MP3, FLAC...) of a hummed, sung or played tune, or an "
                   "image (PNG, JPEG...) or PDF (first page) of a printed single-staff "
                   "melody")
    p.set_defaults(handler=_cmd_score)
