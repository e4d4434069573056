"""The cue sheet a rights administrator files: origins, writers, numbers, remembered details."""

from __future__ import annotations

import csv

import mido
import pytest
from openpyxl import load_workbook

from scorer import project as project_io
from scorer.errors import ExportError
from scorer.export import export_project
from scorer.export.cuesheet import clean_title, mmss
from scorer.project import Cue, MediaInfo, Project, Suggestion


def tiny_midi(path) -> None:
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    mid.tracks.append(mido.MidiTrack([mido.Message("note_on", note=60, velocity=90),
                                      mido.Message("note_off", note=60, time=480)]))
    mid.save(str(path))


def make_project(folder, cue_sheet: dict) -> tuple[Project, object]:
    folder.mkdir(parents=True, exist_ok=True)
    tiny_midi(folder / "m.mid")
    p = Project(title="Rights", media=MediaInfo(path="x.mp4", fps="25", duration="125.5",
                                                 start_timecode="01:00:00:00"))
    p.cues = [Cue("1M1", 2.0, 11.96, title="Opening — Dvořák"),
              Cue("1M2", 20.0, 30.0),
              Cue("1M3", 40.0, 100.0),
              Cue("1M4", 101.0, 104.0)]
    p.suggestions = [
        Suggestion("g", "1M1", "generated", "Generated irish melody (seed 0)", path="m.mid"),
        Suggestion("t", "1M2", "library", "The Job of Journey Work. (book3 #401)",
                   path="m.mid", params={"library": "music21", "ref": "401",
                                         "file": "/c/corpus/oneills1850/book3.abc"}),
        Suggestion("b", "1M3", "library", "bwv66.6", path="m.mid",
                   params={"library": "music21", "file": "/c/corpus/bach/bwv66.6.mxl"}),
        Suggestion("u", "1M4", "library", "Neon Drive", path="m.mid",
                   params={"library": "user", "composer": "Kai Lib", "publisher": "Lib Pub"}),
    ]
    p.cue_sheet = cue_sheet
    path = folder / "rights.scorer.json"
    project_io.save(p, path)
    return p, path


def read_csv(path) -> tuple[dict, list[dict]]:
    rows = list(csv.reader(path.read_text("utf-8-sig").splitlines()))
    head = next(i for i, r in enumerate(rows) if r and r[0] == "Seq")
    header = {r[0]: r[1] for r in rows[:head] if len(r) == 2}
    return header, [dict(zip(rows[head], r, strict=True)) for r in rows[head + 1:] if r]


SHEET = {"production_title": "Rights", "episode_title": "Pilot", "episode_number": 1,
         "composer": "Jane Doe", "composer_society": "PRS", "composer_ipi": "00123456789",
         "publisher": "Acme Music", "publisher_society": "PRS", "broadcaster": "BBC Two",
         "production_year": 2026, "country": "GB", "isan": "0000-0000-3A8D-0000-Z-0000-0000-6",
         "cues": {"1M3": {"usage": "MT"}, "1M4": {"origin": "library", "library": "Neon Lib",
                                                 "catalogue": "NL-042", "isrc": "GBAAA2600001"}}}


def test_origins_writers_and_durations(tmp_path):
    p, path = make_project(tmp_path / "p", SHEET)
    out = tmp_path / "out"
    export_project(p, path, "cuesheet", out)
    header, rows = read_csv(out / "Rights_cuesheet.csv")
    assert header["Episode Title"] == "Pilot" and header["Broadcaster"] == "BBC Two"
    assert header["Programme Running Time"] == "2:06"  # 125.5 s
    assert header["ISAN"].startswith("0000-0000-3A8D")
    gen, trad, bach, lib = rows
    # generated: commissioned, the production's composer, composer and publisher 50/50
    assert (gen["Origin"], gen["Title"], gen["Composer"], gen["Composer Role"]) == (
        "Commissioned", "Opening — Dvořák", "Jane Doe", "C")
    assert (gen["Composer Share %"], gen["Publisher Share %"]) == ("50", "50")
    assert gen["Duration"] == "0:10"  # 9.96 s
    # traditional tune: credited as such, no share; the composer is its arranger
    assert trad["Title"] == "The Job of Journey Work"
    assert (trad["Origin"], trad["Composer"], trad["Composer Share %"]) == (
        "Public Domain", "Traditional", "0")
    assert (trad["Arranger"], trad["Arranger Role"], trad["Arranger Share %"]) == (
        "Jane Doe", "A", "50")
    assert trad["Arranger IPI"] == "00123456789"
    assert trad["Library"] == "O'Neill's Music of Ireland (1850)"
    assert trad["Catalogue No."] == "book3 #401"
    assert bach["Composer"] == "Johann Sebastian Bach" and bach["Usage"] == "MT"
    assert bach["Duration"] == "1:00"
    # a library track: its own writer and publisher, not the production's
    assert (lib["Origin"], lib["Composer"], lib["Publisher"]) == ("Library", "Kai Lib",
                                                                    "Lib Pub")
    assert (lib["Library"], lib["Catalogue No."], lib["ISRC"]) == ("Neon Lib", "NL-042",
                                                                   "GBAAA2600001")
    # the production's society and IPI are not put against someone else's name
    assert (lib["Composer Society"], lib["Composer IPI"], lib["Publisher Society"]) == (
        "", "", "")

    ws = load_workbook(out / "Rights_cuesheet.xlsx").active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    seq = next(i for i, r in enumerate(values) if r[0] == "Seq")
    names = values[seq]
    first = dict(zip(names, values[seq + 1], strict=True))
    assert first["Seq"] == 1 and isinstance(first["Seq"], int)
    assert first["Composer Share %"] == 50 and isinstance(first["Composer Share %"], int)
    assert first["Composer IPI"] == "00123456789"  # an identifier keeps its zeros
    assert first["Seconds"] == 10


def test_production_details_remembered_between_projects(tmp_path):
    p, path = make_project(tmp_path / "a", SHEET)
    export_project(p, path, "csv", tmp_path / "out_a")
    q, qpath = make_project(tmp_path / "b", {"production_title": "Second Show"})
    export_project(q, qpath, "csv", tmp_path / "out_b")
    header, rows = read_csv(tmp_path / "out_b" / "Rights_cuesheet.csv")
    assert rows[0]["Composer"] == "Jane Doe" and rows[0]["Composer Society"] == "PRS"
    assert rows[0]["Publisher"] == "Acme Music"
    assert header["Broadcaster"] == "BBC Two"
    # episode-level fields are this project's own
    assert header["Episode Title"] == "" and header["ISAN"] == ""
    assert header["Production Title"] == "Second Show"


def test_unknown_origin_is_refused(tmp_path):
    sheet = {"composer": "X", "cues": {"1M1": {"origin": "stolen"}}}
    p, path = make_project(tmp_path / "p", sheet)
    with pytest.raises(ExportError, match="origin"):
        export_project(p, path, "csv", tmp_path / "out")


def test_titles_and_durations_helpers():
    assert clean_title("The Job of Journey Work. (book3 #401)") == "The Job of Journey Work"
    assert clean_title("Dvořák — Largo") == "Dvořák — Largo"
    assert [mmss(x) for x in (0.2, 9.5, 59.4, 60.0, 125.5)] == [
        "0:01", "0:10", "0:59", "1:00", "2:06"]
