"""Import SRT and WebVTT subtitles as transcript segments.

Files may be UTF-8 (with or without BOM) or Windows-1252. A malformed cue (no timing line, a
timing that cannot be read, an end before its start) is skipped and reported with its line
number, both through ``logging.warning`` and in the returned list of problems; the other cues
are kept. Subtitles carry no word times, so each cue's words are spread evenly over the cue
(by character count), which is enough for pace.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from scorer.errors import InputError, check_regular_file, describe_os_error
from scorer.project import TranscriptSegment, Word

log = logging.getLogger(__name__)

# hours bounded: a run of thousands of digits is damage, not a time (and int() refuses it)
_TIME = r"(?:(\d{1,6}):)?(\d{1,2}):(\d{1,2})[,.](\d{1,3})"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}(?:\s+.*)?$")
_TAG = re.compile(r"<[^>]*>|\{\\[^}]*\}")


def read_text(path: Path) -> str:
    """Read subtitle text as UTF-8 (BOM or not), falling back to Windows-1252.

    Raises:
        InputError: If the file is missing or unreadable.
    """
    if not Path(path).exists() and not Path(path).is_symlink():
        raise InputError("subtitle file not found", path)
    check_regular_file(path, InputError, "subtitle file")  # a pipe would block for ever
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read subtitle file ({describe_os_error(exc)})", path) from exc
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    utf16 = _utf16_without_bom(raw)
    if utf16:
        try:
            return raw.decode(utf16)
        except UnicodeDecodeError as exc:
            raise InputError("looks like UTF-16 text without a byte-order mark but does not "
                             "decode as it; save it as UTF-8", path) from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; latin-1 maps them so nothing is lost
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            return raw.decode("latin-1")


def _utf16_without_bom(raw: bytes) -> str:
    """Return "utf-16-le"/"utf-16-be" when the bytes are UTF-16 text without a BOM, else "".

    Subtitle text is mostly ASCII, so UTF-16 puts a zero byte in every other position.
    """
    sample = raw[:4096]
    if len(sample) < 8 or sample.count(0) < len(sample) // 4:
        return ""
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    if odd > 0.6 * len(sample) // 2 and even < odd / 4:
        return "utf-16-le"
    if even > 0.6 * len(sample) // 2 and odd < even / 4:
        return "utf-16-be"
    return ""


def _clock(t: float) -> str:
    m, s = divmod(max(t, 0.0), 60)
    h, m = divmod(int(m), 60)
    return f"{h:02d}:{m:02d}:{s:06.3f}"


def _seconds(h, m, s, ms) -> float:
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + int(ms.ljust(3, "0")) / 1000


def _words(text: str, start: float, end: float) -> list[Word]:
    tokens = text.split()
    total = sum(len(t) for t in tokens) or 1
    words, t = [], start
    for token in tokens:
        span = (end - start) * len(token) / total
        words.append(Word(token, round(t, 3), round(t + span, 3)))
        t += span
    return words


def parse(text: str, source: str = "srt",
          name: str = "subtitles") -> tuple[list[TranscriptSegment], list[str]]:
    """Parse SRT or WebVTT text.

    Args:
        text: The file's text.
        source: "srt" or "vtt", stored in each segment.
        name: File name used in problem messages.

    Returns:
        (segments sorted by start, problems as "NAME line N: what is wrong").
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    segments: list[TranscriptSegment] = []
    problems: list[str] = []
    block: list[tuple[int, str]] = []

    def flush() -> None:
        if not block:
            return
        first = block[0][1].strip()
        if first.startswith(("WEBVTT", "NOTE", "STYLE", "REGION")):
            return
        timing_at = next((k for k, (_, ln) in enumerate(block[:2]) if "-->" in ln), None)
        if timing_at is None:
            problems.append(f"{name} line {block[0][0]}: cue without a timing line "
                            f"('{first[:40]}')")
            return
        number, timing = block[timing_at]
        match = _TIMING.match(timing)
        if not match:
            problems.append(f"{name} line {number}: unreadable timing '{timing.strip()[:60]}'")
            return
        g = match.groups()
        start, end = _seconds(*g[:4]), _seconds(*g[4:])
        if end < start:
            problems.append(f"{name} line {number}: cue ends ({end:.3f} s) before it starts "
                            f"({start:.3f} s)")
            return
        body = " ".join(_TAG.sub("", ln).strip() for _, ln in block[timing_at + 1:])
        body = " ".join(body.split())
        if body:
            segments.append(TranscriptSegment(start, end, body, _words(body, start, end),
                                              source))

    for number, line in enumerate(lines, start=1):
        if line.strip():
            block.append((number, line))
        else:
            flush()
            block = []
    flush()
    segments.sort(key=lambda s: s.start)
    return segments, problems


def load_subtitles(path: str | Path, clip_duration: float | None = None,
                   ) -> tuple[list[TranscriptSegment], list[str]]:
    """Read an SRT or WebVTT file into transcript segments.

    Args:
        path: The SRT or WebVTT file.
        clip_duration: The clip's length in seconds, when known: cues that start after it are
            dropped and cues that run past it are cut at it, each reported as a problem
            (subtitles of another cut or another film, a typo in an hour field).

    Returns:
        (segments, problems); each problem names the line of a skipped cue and is also
        logged as a warning.

    Raises:
        InputError: If the file is missing, unreadable or holds no cue at all.
    """
    path = Path(path)
    text = read_text(path)
    kind = "vtt" if path.suffix.lower() == ".vtt" or text.lstrip().startswith("WEBVTT") else "srt"
    segments, problems = parse(text, kind, path.name)
    if clip_duration is not None and clip_duration > 0:
        kept = []
        for seg in segments:
            if seg.start >= clip_duration:
                problems.append(f"{path.name}: cue at {_clock(seg.start)} starts after the clip "
                                f"ends ({clip_duration:.2f} s); dropped")
                continue
            if seg.end > clip_duration:
                problems.append(f"{path.name}: cue at {_clock(seg.start)} runs past the clip's "
                                f"end ({clip_duration:.2f} s); cut there")
                seg.end = clip_duration
                seg.words = [w for w in seg.words if w.start < clip_duration]
                for w in seg.words:
                    w.end = min(w.end, clip_duration)
            kept.append(seg)
        if segments and not kept:
            raise InputError(f"every subtitle cue starts after the clip ends "
                             f"({clip_duration:.2f} s): subtitles of another clip?", path)
        segments = kept
    for problem in problems:
        log.warning("%s", problem)
    if not segments:
        raise InputError("no readable subtitle cue"
                         + (f" ({len(problems)} malformed)" if problems else ""), path)
    return segments, problems
