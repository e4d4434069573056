"""Music cue sheet: the rights paperwork a broadcaster or a performing-rights society asks for.

A header (production title, episode, production company, total music length) and one row per
cue: sequence, cue number, title, composer and publisher with their roles (C = composer,
E = publisher), society and share, usage code, timing in/out and duration in the clip's
timecode, and notes: where the scene's emotion that the cue follows came from (the modalities'
shares, "faces 55 %, voice 30 %, music 15 %"). Written as CSV, XLSX (openpyxl) and PDF (reportlab).

``Project.cue_sheet`` holds what the editor filled in::

    {"production_title": "...", "episode": "...", "production_company": "...",
     "composer": "...", "composer_society": "ASCAP", "publisher": "...",
     "publisher_society": "BMI", "usage": "BI",
     "cues": {"1M1": {"title": "...", "composer": "...", "publisher": "...",
                      "society": "...", "publisher_society": "...", "share": 50,
                      "publisher_share": 50, "usage": "MT"}}}

A cue's own fields win over the suggestion's params (a library track's composer, publisher),
which win over the header's defaults.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from scorer.errors import ExportError
from scorer.export.common import CueMusic, Timebase
from scorer.project import Project

USAGE_CODES = {
    "BI": "background instrumental",
    "BV": "background vocal",
    "VI": "visual instrumental",
    "VV": "visual vocal",
    "MT": "main title",
    "ET": "end title",
    "OT": "opening theme",
    "CT": "closing theme",
    "SRC": "source",
    "L": "logo",
    "T": "theme",
}
DEFAULT_USAGE = "BI"
COLUMNS = ["Seq", "Cue", "Title", "Composer", "Composer Role", "Composer Society",
           "Composer Share %", "Publisher", "Publisher Role", "Publisher Society",
           "Publisher Share %", "Usage", "Timing In", "Timing Out", "Duration", "Notes"]


@dataclass
class CueSheet:
    """Header fields and rows, ready to be written in any format."""

    header: list[tuple[str, str]]
    rows: list[list[str]]


def _share(value, default: float) -> str:
    try:
        number = float(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        number = default
    return f"{number:g}"


def cue_notes(cue) -> str:
    """The Notes cell: the cue's target emotion and the modalities it came from."""
    if not cue.shares:
        return ""
    from scorer.affect.cues import format_shares

    return (f"emotion V {cue.valence:+.2f} A {cue.arousal:+.2f} from "
            f"{format_shares(cue.shares)}")


def build_cue_sheet(project: Project, cues: list[CueMusic], tb: Timebase,
                    notes: list[str] | None = None) -> CueSheet:
    """Collect the header and the rows.

    Raises:
        ExportError: If a usage code is not one of ``USAGE_CODES``.
    """
    notes = notes if notes is not None else []
    sheet = project.cue_sheet or {}
    per_cue = sheet.get("cues", {}) or {}
    rows = []
    total = 0
    for seq, music in enumerate(cues, 1):
        cue, params = music.cue, music.suggestion.params or {}
        own = per_cue.get(cue.number, {}) or {}

        def pick(key: str, *fallbacks: str, default: str = "", own=own, params=params) -> str:
            for source in (own, params):
                if source.get(key) not in (None, ""):
                    return str(source[key])
            for name in fallbacks:
                if sheet.get(name) not in (None, ""):
                    return str(sheet[name])
            return default

        usage = pick("usage", "usage", default=DEFAULT_USAGE).upper()
        if usage not in USAGE_CODES:
            raise ExportError(f"cue {cue.number}: unknown usage code {usage!r}; use one of "
                              + ", ".join(USAGE_CODES))
        title = pick("title", default=cue.title or music.suggestion.title or cue.number)
        composer = pick("composer", "composer")
        publisher = pick("publisher", "publisher")
        if not composer:
            notes.append(f"{cue.number}: no composer on the cue sheet; fill in "
                         "cue_sheet.composer")
        has_pub = bool(publisher)
        frames = music.out_frame - music.in_frame
        total += frames
        rows.append([
            str(seq), cue.number, title,
            composer, "C" if composer else "", pick("society", "composer_society"),
            _share(own.get("share", params.get("share")), 50.0 if has_pub else 100.0)
            if composer else "",
            publisher, "E" if has_pub else "", pick("publisher_society", "publisher_society"),
            _share(own.get("publisher_share", params.get("publisher_share")), 50.0)
            if has_pub else "",
            usage, tb.timecode(music.in_frame), tb.timecode(music.out_frame),
            tb.duration_timecode(frames), cue_notes(cue),
        ])
    seconds = float(tb.seconds(total))
    header = [
        ("Production Title", str(sheet.get("production_title") or project.title)),
        ("Episode", str(sheet.get("episode", ""))),
        ("Production Company", str(sheet.get("production_company", ""))),
        ("Total Music Length", f"{tb.duration_timecode(total)} "
                               f"({int(seconds // 60)}:{int(round(seconds % 60)):02d})"),
        ("Timecode", f"{float(tb.rate):.3f} fps "
                     + ("drop-frame" if tb.drop_frame else "non-drop-frame")),
    ]
    return CueSheet(header, rows)


def csv_bytes(sheet: CueSheet) -> bytes:
    """Header lines, a blank line, then the table; UTF-8 with BOM so Excel reads accents."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    for key, value in sheet.header:
        writer.writerow([key, value])
    writer.writerow([])
    writer.writerow(COLUMNS)
    writer.writerows(sheet.rows)
    return buf.getvalue().encode("utf-8-sig")


def xlsx_bytes(sheet: CueSheet) -> bytes:
    """An Excel workbook with one sheet "Cue Sheet"."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    ws = book.active
    ws.title = "Cue Sheet"
    for key, value in sheet.header:
        ws.append([key, value])
        ws.cell(ws.max_row, 1).font = Font(bold=True)
    ws.append([])
    ws.append(COLUMNS)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    ws.freeze_panes = f"A{ws.max_row + 1}"  # a string: ws.cell() would create a row
    for row in sheet.rows:
        ws.append(row)
    for column, width in zip("ABCDEFGHIJKLMNOP", (5, 7, 28, 22, 9, 10, 9, 22, 9, 10, 9, 7, 13,
                                                  13, 13, 40), strict=True):
        ws.column_dimensions[column].width = width
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def pdf_bytes(sheet: CueSheet) -> bytes:
    """A landscape A4 PDF with the header and the table."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=7, leading=8.5)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=10 * mm,
                            rightMargin=10 * mm, topMargin=12 * mm, bottomMargin=12 * mm,
                            title="Music Cue Sheet")
    story = [Paragraph("Music Cue Sheet", styles["Title"])]
    for key, value in sheet.header:
        story.append(Paragraph(f"<b>{_esc(key)}:</b> {_esc(value)}", styles["BodyText"]))
    story.append(Spacer(1, 5 * mm))
    head = ["Seq", "Cue", "Title", "Composer", "Role", "Society", "Share", "Publisher", "Role",
            "Society", "Share", "Use", "In", "Out", "Dur.", "Notes"]
    data = [head] + [[Paragraph(_esc(c), small) for c in row] for row in sheet.rows]
    widths = [9, 12, 32, 27, 9, 15, 11, 27, 9, 15, 11, 10, 20, 20, 20, 30]
    table = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("FONTSIZE", (0, 0), (-1, 0), 7),
        ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    story.append(table)
    doc.build(story)
    return buf.getvalue()


def _esc(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
