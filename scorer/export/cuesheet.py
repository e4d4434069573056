"""Music cue sheet: the paperwork a broadcaster or a performing-rights society files.

Laid out after the CISAC music cue sheet. A header describes the production (title, episode
title and number, production company, year and country, programme running time, broadcaster
and first air date, ISAN and EIDR, total music length, the timecode in use) and one row per cue
gives: sequence number, cue number, work title, usage (BI, MT...), music origin (commissioned,
library, commercial, public domain), the interested parties with their roles (C composer,
A arranger, E publisher), societies, IPI/CAE numbers and shares, performer, library name and
catalogue number, ISWC and ISRC, timing in and out in the clip's timecode, the duration in
m:ss, and notes: where the scene's emotion that the cue follows came from (the modalities'
shares, "faces 55 %, voice 30 %, music 15 %"). Written as CSV, XLSX (openpyxl; numbers stored
as numbers) and PDF (reportlab, with fonts that have the glyphs).

``Project.cue_sheet`` holds what the editor filled in: header keys (:data:`HEADER_FIELDS`) and
per-cue overrides under ``"cues"`` (:data:`ROW_FIELDS`)::

    {"production_title": "...", "composer": "...", "composer_society": "PRS",
     "composer_ipi": "00123456789", "publisher": "...", "usage": "BI",
     "cues": {"1M1": {"title": "...", "origin": "library", "library": "...",
                      "catalogue": "...", "share": 50, "usage": "MT"}}}

A cue's own fields win over the suggestion's params (a library track's composer, publisher),
which win over the header, which wins over the production details remembered from the last
export (:mod:`scorer.export.production`). Music from the bundled public-domain corpus is
credited to its composer or as "Traditional" with no share, and Scorer's user (the header's
composer) as its arranger; generated music is commissioned, credited to the header's composer.
"""

from __future__ import annotations

import csv
import functools
import io
import logging
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from scorer.errors import ExportError
from scorer.export.common import CueMusic, Timebase
from scorer.project import Project

log = logging.getLogger(__name__)

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
ORIGINS = {"commissioned": "Commissioned", "library": "Library", "commercial": "Commercial",
           "public domain": "Public Domain", "pd": "Public Domain",
           "traditional": "Public Domain"}
# the production's own details (key, label); remembered between projects where marked
HEADER_FIELDS = (
    ("production_title", "Production title"),
    ("episode_title", "Episode title"),
    ("episode_number", "Episode number"),
    ("production_company", "Production company"),
    ("production_year", "Production year"),
    ("country", "Country of origin"),
    ("broadcaster", "Broadcaster"),
    ("first_air_date", "First air date"),
    ("isan", "ISAN"),
    ("eidr", "EIDR"),
    ("composer", "Composer (default)"),
    ("composer_society", "Composer society"),
    ("composer_ipi", "Composer IPI/CAE"),
    ("publisher", "Publisher (default)"),
    ("publisher_society", "Publisher society"),
    ("publisher_ipi", "Publisher IPI/CAE"),
    ("performer", "Performer (default)"),
    ("usage", "Usage (default)"),
    ("prepared_by", "Prepared by"),
)
ROW_FIELDS = (
    ("title", "Title"), ("origin", "Origin"), ("usage", "Usage"),
    ("composer", "Composer"), ("society", "Society"), ("ipi", "IPI/CAE"), ("share", "Share %"),
    ("arranger", "Arranger"), ("arranger_society", "Arr. society"),
    ("arranger_ipi", "Arr. IPI/CAE"), ("arranger_share", "Arr. share %"),
    ("publisher", "Publisher"), ("publisher_society", "Publ. society"),
    ("publisher_ipi", "Publ. IPI/CAE"), ("publisher_share", "Publ. share %"),
    ("performer", "Performer"), ("library", "Library"), ("catalogue", "Catalogue no."),
    ("iswc", "ISWC"), ("isrc", "ISRC"),
)
# (key, column title, kind): kind "int" and "number" are written as numbers in XLSX
COLUMNS = [
    ("seq", "Seq", "int"), ("cue", "Cue", "text"), ("title", "Title", "text"),
    ("usage", "Usage", "text"), ("origin", "Origin", "text"),
    ("composer", "Composer", "text"), ("composer_role", "Composer Role", "text"),
    ("composer_society", "Composer Society", "text"), ("composer_ipi", "Composer IPI", "text"),
    ("composer_share", "Composer Share %", "number"),
    ("arranger", "Arranger", "text"), ("arranger_role", "Arranger Role", "text"),
    ("arranger_society", "Arranger Society", "text"), ("arranger_ipi", "Arranger IPI", "text"),
    ("arranger_share", "Arranger Share %", "number"),
    ("publisher", "Publisher", "text"), ("publisher_role", "Publisher Role", "text"),
    ("publisher_society", "Publisher Society", "text"),
    ("publisher_ipi", "Publisher IPI", "text"),
    ("publisher_share", "Publisher Share %", "number"),
    ("performer", "Performer", "text"), ("library", "Library", "text"),
    ("catalogue", "Catalogue No.", "text"), ("iswc", "ISWC", "text"), ("isrc", "ISRC", "text"),
    ("timing_in", "Timing In", "text"), ("timing_out", "Timing Out", "text"),
    ("duration", "Duration", "text"), ("seconds", "Seconds", "int"), ("notes", "Notes", "text"),
]
# music21's bundled corpus: folder -> (composer or "Traditional", library name)
_CORPUS = {
    "essenFolksong": ("Traditional", "Essen Folksong Collection"),
    "oneills1850": ("Traditional", "O'Neill's Music of Ireland (1850)"),
    "ryansMammoth": ("Traditional", "Ryan's Mammoth Collection (1883)"),
    "airdsAirs": ("Traditional", "Aird's Selection of Airs (1782-1797)"),
    "bach": ("Johann Sebastian Bach", ""), "cpebach": ("Carl Philipp Emanuel Bach", ""),
    "beethoven": ("Ludwig van Beethoven", ""), "mozart": ("Wolfgang Amadeus Mozart", ""),
    "haydn": ("Joseph Haydn", ""), "handel": ("George Frideric Handel", ""),
    "verdi": ("Giuseppe Verdi", ""), "joplin": ("Scott Joplin", ""),
    "chopin": ("Frédéric Chopin", ""), "schumann_clara": ("Clara Schumann", ""),
    "schumann_robert": ("Robert Schumann", ""), "liliuokalani": ("Liliʻuokalani", ""),
    "johnson_j_r": ("J. Rosamond Johnson", ""),
}
_CORPUS_LIBRARY = "music21 corpus (public domain)"


@dataclass
class CueSheet:
    """Header fields and rows, ready to be written in any format.

    Attributes:
        header: (label, value) pairs.
        rows: One dict per cue keyed by :data:`COLUMNS` keys; numbers are ints or floats.
    """

    header: list[tuple[str, str]]
    rows: list[dict]


def mmss(seconds: float) -> str:
    """Duration as rights societies write it: m:ss, whole seconds, at least 0:01."""
    whole = max(1, int(Fraction(seconds).limit_denominator(10**6) + Fraction(1, 2)))
    minutes, secs = divmod(whole, 60)
    return f"{minutes}:{secs:02d}"


def _number(value, default: float | None) -> float | int | None:
    try:
        number = float(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        number = default
    if number is None:
        return None
    return int(number) if float(number).is_integer() else float(number)


_REFERENCE = re.compile(r"\s*\(((?:book|no\.?|#|bwv|op\.?)[^)]*)\)\s*$", re.I)


def corpus_work(params: dict, title: str = "") -> tuple[str, str, str] | None:
    """(composer, library, catalogue) for a piece of music21's corpus, else None.

    The catalogue number is the corpus reference the title carries ("book3 #401"), else the
    piece's number in its file.
    """
    if params.get("library") != "music21":
        return None
    found = _REFERENCE.search(title)
    ref = found.group(1) if found else str(params.get("ref") or "")
    parts = Path(str(params.get("file", ""))).parts
    for folder, (composer, library) in _CORPUS.items():
        if folder in parts:
            return composer, library or _CORPUS_LIBRARY, ref
    return "Traditional", _CORPUS_LIBRARY, ref


def clean_title(title: str) -> str:
    """Drop a corpus reference from a title: "The Job of Journey Work. (book3 #401)" -> ..."""
    text = _REFERENCE.sub("", title.strip())
    return text.rstrip(" .") or title.strip()


def cue_notes(cue) -> str:
    """The Notes cell: the cue's target emotion and the modalities it came from."""
    if not cue.shares:
        return ""
    from scorer.affect.cues import format_shares

    return (f"emotion V {cue.valence:+.2f} A {cue.arousal:+.2f} from "
            f"{format_shares(cue.shares)}")


def build_cue_sheet(project: Project, cues: list[CueMusic], tb: Timebase,
                    notes: list[str] | None = None,
                    remembered: dict | None = None) -> CueSheet:
    """Collect the header and the rows.

    Args:
        project: The project (its ``cue_sheet`` and media).
        cues: The exported cues with their music.
        tb: The clip's timebase.
        notes: Gets a note per missing field a society will ask for.
        remembered: Production details from earlier exports (the header's fallbacks).

    Raises:
        ExportError: If a usage code or music origin is not a known one.
    """
    notes = notes if notes is not None else []
    sheet = dict(remembered or {})
    sheet.update({k: v for k, v in (project.cue_sheet or {}).items() if v not in (None, "")})
    if "episode" in sheet and "episode_number" not in sheet:  # the earlier single field
        sheet["episode_number"] = sheet["episode"]
    per_cue = sheet.get("cues", {}) or {}
    production = str(sheet.get("production_title") or project.title or "")
    rows = []
    total_frames = 0
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
        corpus = (corpus_work(params, music.suggestion.title or "")
                  if music.suggestion.source == "library" else None)
        if own.get("origin"):
            origin_key = str(own["origin"]).strip().lower()
            if origin_key not in ORIGINS:
                raise ExportError(f"cue {cue.number}: unknown music origin {own['origin']!r}; "
                                  "use commissioned, library, commercial or public domain")
            origin = ORIGINS[origin_key]
        elif corpus is not None:
            origin = "Public Domain"
        elif music.suggestion.source == "generated":
            origin = "Commissioned"
        else:
            origin = ORIGINS.get(str(params.get("origin", "library")).lower(), "Library")
        # writers: the work's composer; a public-domain work is arranged by the production's
        # composer, who then holds the writer's share
        header_composer = str(sheet.get("composer") or "")
        if origin == "Public Domain":
            composer = str(own.get("composer") or (corpus[0] if corpus else "")
                           or params.get("composer") or "Traditional")
            arranger = pick("arranger", "arranger", "composer")
        else:
            composer = pick("composer", "composer")
            arranger = str(own.get("arranger") or params.get("arranger") or "")
        publisher = pick("publisher", "publisher")
        has_pub = bool(publisher)
        writer_default = 50.0 if has_pub else 100.0
        if origin == "Public Domain":
            composer_share = _number(own.get("share"), 0.0)
            arranger_share = _number(own.get("arranger_share"),
                                     writer_default if arranger else None)
        else:
            arranger_share = _number(own.get("arranger_share"), None) if arranger else None
            composer_share = _number(own.get("share", params.get("share")),
                                     writer_default - (arranger_share or 0)) if composer \
                else None
        if not composer:
            notes.append(f"{cue.number}: no composer on the cue sheet; fill in "
                         "cue_sheet.composer")
        if origin == "Public Domain" and not arranger:
            notes.append(f"{cue.number}: public-domain work without an arranger; fill in "
                         "cue_sheet.composer (the arranger)")
        own_title = own.get("title") or cue.title
        if own_title:
            title = str(own_title)
        elif origin == "Commissioned":
            title = f"{production} {cue.number}".strip()
            notes.append(f"{cue.number}: untitled; the cue sheet calls it {title!r}")
        else:
            title = clean_title(music.suggestion.title or cue.number)
        arranger_is_header = bool(arranger) and arranger == header_composer
        # the header's society and IPI belong to the header's composer, not to a library's
        composer_is_header = bool(composer) and composer == header_composer
        header_publisher = str(sheet.get("publisher") or "")
        publisher_is_header = has_pub and publisher == header_publisher
        frames = music.out_frame - music.in_frame
        total_frames += frames
        seconds = float(tb.seconds(frames))
        rows.append({
            "seq": seq, "cue": cue.number, "title": title, "usage": usage, "origin": origin,
            "composer": composer,
            "composer_role": "C" if composer else "",
            "composer_society": ("PD" if origin == "Public Domain" else pick(
                "society", *(("composer_society",) if composer_is_header else ()))),
            "composer_ipi": "" if origin == "Public Domain" else pick(
                "ipi", *(("composer_ipi",) if composer_is_header else ())),
            "composer_share": composer_share,
            "arranger": arranger, "arranger_role": "A" if arranger else "",
            "arranger_society": (pick("arranger_society", "composer_society")
                                 if arranger_is_header else
                                 str(own.get("arranger_society") or "")),
            "arranger_ipi": (pick("arranger_ipi", "composer_ipi") if arranger_is_header
                             else str(own.get("arranger_ipi") or "")),
            "arranger_share": arranger_share,
            "publisher": publisher, "publisher_role": "E" if has_pub else "",
            "publisher_society": pick(
                "publisher_society", *(("publisher_society",) if publisher_is_header else ())),
            "publisher_ipi": pick(
                "publisher_ipi", *(("publisher_ipi",) if publisher_is_header else ())),
            "publisher_share": _number(own.get("publisher_share",
                                               params.get("publisher_share")), 50.0)
            if has_pub else None,
            "performer": pick("performer", "performer"),
            "library": str(own.get("library") or (corpus[1] if corpus else "")
                           or params.get("library_name") or ""),
            "catalogue": str(own.get("catalogue") or (corpus[2] if corpus else "")
                             or params.get("catalogue") or ""),
            "iswc": pick("iswc"), "isrc": pick("isrc"),
            "timing_in": tb.timecode(music.in_frame),
            "timing_out": tb.timecode(music.out_frame),
            "duration": mmss(seconds), "seconds": max(1, round(seconds)),
            "notes": cue_notes(cue),
        })
    music_seconds = float(tb.seconds(total_frames))
    running = _running_time(project)
    header = [
        ("Production Title", production),
        ("Episode Title", str(sheet.get("episode_title", ""))),
        ("Episode Number", str(sheet.get("episode_number", ""))),
        ("Production Company", str(sheet.get("production_company", ""))),
        ("Production Year", str(sheet.get("production_year", ""))),
        ("Country of Origin", str(sheet.get("country", ""))),
        ("Programme Running Time", mmss(running) if running else ""),
        ("Broadcaster", str(sheet.get("broadcaster", ""))),
        ("First Air Date", str(sheet.get("first_air_date", ""))),
        ("ISAN", str(sheet.get("isan", ""))),
        ("EIDR", str(sheet.get("eidr", ""))),
        ("Total Music Length", mmss(music_seconds) if rows else "0:00"),
        ("Number of Cues", str(len(rows))),
        ("Timecode", f"{float(tb.rate):.3f} fps "
                     + ("drop-frame" if tb.drop_frame else "non-drop-frame")
                     + f", starting {tb.start_timecode}"),
        ("Prepared By", str(sheet.get("prepared_by", ""))),
    ]
    return CueSheet(header, rows)


def _running_time(project: Project) -> float:
    try:
        return float(Fraction(project.media.duration)) if project.media is not None else 0.0
    except (ValueError, ZeroDivisionError):
        return 0.0


def _text(value) -> str:
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


def csv_bytes(sheet: CueSheet) -> bytes:
    """Header lines, a blank line, then the table; UTF-8 with BOM so Excel reads accents."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    for key, value in sheet.header:
        writer.writerow([key, value])
    writer.writerow([])
    writer.writerow([title for _, title, _ in COLUMNS])
    for row in sheet.rows:
        writer.writerow([_text(row[key]) for key, _, _ in COLUMNS])
    return buf.getvalue().encode("utf-8-sig")


def xlsx_bytes(sheet: CueSheet) -> bytes:
    """An Excel workbook with one sheet "Cue Sheet"; numbers are numbers, IPI codes text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    ws = book.active
    ws.title = "Cue Sheet"
    for key, value in sheet.header:
        ws.append([key, value])
        ws.cell(ws.max_row, 1).font = Font(bold=True)
    ws.append([])
    ws.append([title for _, title, _ in COLUMNS])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    ws.freeze_panes = f"A{ws.max_row + 1}"  # a string: ws.cell() would create a row
    for row in sheet.rows:
        ws.append([row[key] if kind != "text" else _text(row[key])
                   for key, _, kind in COLUMNS])
        for col, (_, _, kind) in enumerate(COLUMNS, 1):
            if kind == "text":  # IPI numbers keep their leading zeros
                ws.cell(ws.max_row, col).number_format = "@"
    for col, (key, title, _) in enumerate(COLUMNS, 1):
        longest = max([len(title)] + [len(_text(r[key])) for r in sheet.rows])
        ws.column_dimensions[get_column_letter(col)].width = min(40, max(6, longest + 2))
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def pdf_bytes(sheet: CueSheet) -> bytes:
    """A landscape A4 PDF: the header, then one row per cue with its interested parties."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    fonts = pdf_fonts()
    styles = getSampleStyleSheet()
    body = styles["BodyText"].clone("body", fontName=fonts.regular, fontSize=8, leading=10)
    title_style = styles["Title"].clone("title", fontName=fonts.bold)
    small = styles["BodyText"].clone("small", fontSize=7, leading=8.5, fontName=fonts.regular)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=10 * mm,
                            rightMargin=10 * mm, topMargin=12 * mm, bottomMargin=12 * mm,
                            title="Music Cue Sheet")
    story = [Paragraph("Music Cue Sheet", title_style)]
    shown = [(k, v) for k, v in sheet.header if v]
    pairs = [[Paragraph(f'<font name="{fonts.bold}">{_esc(k)}:</font> {_markup(v, fonts)}',
                        body) for k, v in shown[i:i + 3]] for i in range(0, len(shown), 3)]
    for row in pairs:
        row += [""] * (3 - len(row))
    if pairs:
        story.append(Table(pairs, colWidths=[92 * mm] * 3))
    story.append(Spacer(1, 4 * mm))
    head = ["#", "Cue", "Title", "Use", "Origin", "Interested parties (role, society, IPI, "
            "share)", "Performer", "Library / Cat. no.", "ISWC / ISRC", "In", "Out", "Dur."]
    data = [[Paragraph(_esc(h), small) for h in head]]
    for row in sheet.rows:
        parties = []
        for who in ("composer", "arranger", "publisher"):
            if row[who]:
                bits = [row[who], row[f"{who}_role"], row[f"{who}_society"], row[f"{who}_ipi"],
                        f"{_text(row[f'{who}_share'])}%" if row[f"{who}_share"] is not None
                        else ""]
                parties.append(" ".join(b for b in bits if b))
        title = row["title"] + (f"\n{row['notes']}" if row["notes"] else "")
        cells = [str(row["seq"]), row["cue"], title, row["usage"], row["origin"],
                 "\n".join(parties), row["performer"],
                 " ".join(b for b in (row["library"], row["catalogue"]) if b),
                 " ".join(b for b in (row["iswc"], row["isrc"]) if b),
                 row["timing_in"], row["timing_out"], row["duration"]]
        data.append([Paragraph(_markup(c, fonts).replace("\n", "<br/>"), small)
                     for c in cells])
    widths = [7, 11, 42, 9, 18, 62, 22, 30, 22, 21, 21, 10]  # mm; 277 mm fit
    table = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    story.append(table)
    doc.build(story)
    return buf.getvalue()


# fonts with the glyphs a cue sheet needs: DejaVu (Latin, Greek, Cyrillic, symbols such as ♪)
# from Debian's fonts-dejavu-core or matplotlib's copy; CJK from Debian's fonts-droid-fallback
# (TrueType outlines: reportlab cannot embed the CFF outlines of Noto CJK)
_FONT_DIRS = ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu"]
_FALLBACK_FONTS = ["/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
                   "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"]


@dataclass
class PdfFonts:
    """Registered font names and the code points each covers (None: a built-in font)."""

    regular: str = "Helvetica"
    bold: str = "Helvetica-Bold"
    fallback: str | None = None
    covered: set[int] | None = None
    fallback_covered: set[int] = field(default_factory=set)


def _find_dejavu() -> tuple[Path, Path] | None:
    dirs = [Path(d) for d in _FONT_DIRS]
    try:
        import matplotlib

        dirs.append(Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf")
    except ImportError:
        pass
    for folder in dirs:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


@functools.cache
def pdf_fonts() -> PdfFonts:
    """Register the cue sheet's fonts once; Helvetica (Latin-1 only) when none is installed."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    fonts = PdfFonts()
    found = _find_dejavu()
    if found is not None:
        try:
            regular = TTFont("ScorerSans", str(found[0]))
            pdfmetrics.registerFont(regular)
            pdfmetrics.registerFont(TTFont("ScorerSans-Bold", str(found[1])))
            fonts.regular, fonts.bold = "ScorerSans", "ScorerSans-Bold"
            fonts.covered = set(regular.face.charToGlyph)
        except (TTFError, OSError) as exc:
            log.warning("cannot use %s for the PDF cue sheet (%s)", found[0], exc)
    for path in _FALLBACK_FONTS:
        if Path(path).is_file():
            try:
                fallback = TTFont("ScorerFallback", path, subfontIndex=0)
                pdfmetrics.registerFont(fallback)
            except (TTFError, OSError) as exc:
                log.warning("cannot use %s for the PDF cue sheet (%s)", path, exc)
                continue
            fonts.fallback = "ScorerFallback"
            fonts.fallback_covered = set(fallback.face.charToGlyph)
            break
    return fonts


def missing_glyphs(texts: list[str], fonts: PdfFonts) -> str:
    """Return the characters of ``texts`` that no registered font can draw."""
    latin1 = set(range(256))
    have = (fonts.covered if fonts.covered is not None else latin1) | fonts.fallback_covered
    return "".join(sorted({ch for t in texts for ch in t if ord(ch) not in have
                           and not ch.isspace()}))


def _esc(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _markup(text: str, fonts: PdfFonts) -> str:
    """Escape text for a Paragraph, switching runs the main font lacks to the fallback font."""
    if fonts.fallback is None or fonts.covered is None:
        return _esc(text)
    out, run, run_fallback = [], "", False
    for ch in str(text):
        use_fallback = (ord(ch) not in fonts.covered and ord(ch) in fonts.fallback_covered)
        if use_fallback != run_fallback and run:
            out.append(f'<font name="{fonts.fallback}">{_esc(run)}</font>' if run_fallback
                       else _esc(run))
            run = ""
        run += ch
        run_fallback = use_fallback
    if run:
        out.append(f'<font name="{fonts.fallback}">{_esc(run)}</font>' if run_fallback
                   else _esc(run))
    return "".join(out)
