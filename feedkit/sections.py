"""An article body: language sections, the source link, headlines and summaries (pure).

A body holds one language or several, separated by a line `---`.  Consecutive sections of the
same language are one section: a `---` inside the English part is a thematic break, kept as such.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from feedkit.lang import SAMPLE_CHARS, detect_lang
from feedkit.markup import plain_text, shorten

SUMMARY_WIDTH = 240  # display columns: ~120 CJK characters or ~240 Latin ones
_SEPARATOR = "---"
_FENCE_MARK = r" {0,3}(`{3,}|~{3,})"  # a code fence line's start, its marker in a group
_FENCE = re.compile(f"^{_FENCE_MARK}")
_LINK = re.compile(r"\[([^\]\n]{1,200})\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$")
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)(?P<text>[^*_\n].*?)\1\s*$")
_LETTER = re.compile(r"[^\W\d_]")
_NOT_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    """One language's part of a body, with its source-link lines already removed."""

    lang: str
    text: str


def find_source_link(body: str, labels: Sequence[str]) -> str:
    """The URL of the first Markdown link whose text is a source label, or ""."""
    wanted = _label_set(labels)
    for match in _LINK.finditer(body):
        if _clean_label(match.group(1)) in wanted:
            return match.group(2)
    return ""


def split_sections(
    body: str, labels: Sequence[str], *, langs: Sequence[str] = (), default: str = "en"
) -> list[Section]:
    """Split a body into language sections.

    `langs` with one code: the whole body is in that language.  With several: they name the
    sections in order.  Otherwise each section's language comes from its text.
    """
    parts, detected = _parts(body, labels, langs, default)
    merged = _merge(parts, detected)
    if langs and len(langs) == len(merged) and len(langs) != len(parts):
        merged = [Section(lang=code, text=s.text) for code, s in zip(langs, merged, strict=True)]
    return merged


def section_langs(
    body: str, labels: Sequence[str], *, langs: Sequence[str] = (), default: str = "en"
) -> list[str]:
    """The languages of `split_sections(...)`, in order, reading of each part only what its
    language and emptiness need (a scan runs this on every file)."""
    if not langs:
        codes = _sampled_langs(body, _label_set(labels), default)
        if codes is not None:
            return codes
    if len(langs) == 1:
        parts, detected = _parts(body, labels, langs, default)
    else:
        wanted = _label_set(labels)
        samples = (_part_sample(body, start, stop, wanted) for start, stop in _part_bounds(body))
        parts = [sample for sample in samples if sample]
        named = bool(langs) and len(langs) == len(parts)
        detected = list(langs) if named else _detect_all(parts, default)
    merged = [code for i, code in enumerate(detected) if i == 0 or detected[i - 1] != code]
    if langs and len(langs) == len(merged) and len(langs) != len(parts):
        return list(langs)
    return merged


# A part's first characters, enough for detect_lang's sample after source-link lines go.
_PREFIX_CHARS = 3 * SAMPLE_CHARS
# The same on the quick way (`_sampled_langs`): a part seldom holds more than one link line, and
# one that leaves too little is read whole.
_QUICK_PREFIX_CHARS = SAMPLE_CHARS + 300


def _sampled_langs(body: str, wanted: frozenset[str], default: str) -> list[str] | None:
    """`section_langs` of a body without language metadata, each part's language read from its
    first characters (see `_part_sample`); None when a part gives no letter to read there: such
    a part, blank or not, is the long way's to place."""
    codes: list[str] = []
    for start, stop in _part_bounds(body):
        if stop - start > _QUICK_PREFIX_CHARS:
            cut = body.find("\n", start + _QUICK_PREFIX_CHARS, stop)
            sample = _drop_link_lines(body[start:cut], wanted).lstrip("\n") if cut > 0 else ""
            if len(sample) < SAMPLE_CHARS:  # too little left of the beginning: the whole part
                sample = _drop_link_lines(body[start:stop], wanted).strip("\n")
        else:
            sample = _drop_link_lines(body[start:stop], wanted).strip("\n")
        if _LETTER.search(sample, 0, SAMPLE_CHARS) is None:
            return None
        code = detect_lang(sample, default=default)
        if not codes or codes[-1] != code:
            codes.append(code)
    return codes


def _part_sample(body: str, start: int, stop: int, wanted: frozenset[str]) -> str:
    """What `_parts` makes of `body[start:stop]` (source-link lines dropped, line breaks
    stripped), or a beginning of it that tells the same: as long as detect_lang's sample and
    holding a letter, so emptiness, letters and language are as for the whole.  "" when blank.
    A prefix that ends where a line does drops the same lines as the whole part."""
    cut = body.find("\n", start + _PREFIX_CHARS, stop) if stop - start > _PREFIX_CHARS else -1
    if cut >= 0:
        text = _drop_link_lines(body[start:cut], wanted).lstrip("\n")
        if len(text.rstrip("\n")) > SAMPLE_CHARS and _LETTER.search(text, 0, SAMPLE_CHARS):
            return text
    text = _drop_link_lines(body[start:stop], wanted).strip("\n")
    return "" if text.isspace() else text


def _parts(
    body: str, labels: Sequence[str], langs: Sequence[str], default: str
) -> tuple[list[str], list[str]]:
    """The body's non-blank parts without source-link lines, and each part's language."""
    wanted = _label_set(labels)
    if len(langs) == 1:
        text = _drop_link_lines(body, wanted).strip("\n")
        return ([text], [langs[0]]) if text.strip() else ([], [])
    raw = [_drop_link_lines(part, wanted).strip("\n") for part in _raw_parts(body)]
    raw = [part for part in raw if part and not part.isspace()]
    named = bool(langs) and len(langs) == len(raw)
    return raw, list(langs) if named else _detect_all(raw, default)


def _fenced(body: str) -> bool:
    """Whether a code fence opens before a `---` that could cut the body (one opening after
    the last `---` cannot hide it)."""
    last = body.rfind(_SEPARATOR)
    return last > 0 and (body.find("```", 0, last) >= 0 or body.find("~~~", 0, last) >= 0)


def _raw_parts(body: str) -> list[str]:
    """Cut the body at lines that are exactly `---` (spaces and tabs aside), outside fenced code
    blocks; the parts keep the line breaks around the cut."""
    return [body[start:stop] for start, stop in _part_bounds(body)]


def _part_bounds(body: str) -> list[tuple[int, int]]:
    """Where the parts of a body start and stop (see `_raw_parts`).  Without code fences only
    the lines holding "---" are looked at (a regex anchored at every line start costs more than
    the rest of a scan)."""
    if ("`" in body or "~" in body) and _fenced(body):  # (two quick searches first)
        return _fenced_part_bounds(body)
    bounds: list[tuple[int, int]] = []
    start = 0
    at = body.find(_SEPARATOR)
    while at >= 0:
        line_start = body.rfind("\n", 0, at) + 1
        line_end = body.find("\n", at)
        if line_end < 0:
            line_end = len(body)
        if body[line_start:line_end].strip(" \t") == _SEPARATOR:
            bounds.append((start, line_start))
            start = line_end
        at = body.find(_SEPARATOR, line_end)
    bounds.append((start, len(body)))
    return bounds


# A line that opens or closes a code fence (its marker), or a separator line, with the line break
# before it: a search for a line break first costs a fraction of one anchored at every "^".
_FENCE_OR_SEPARATOR = re.compile(rf"\n(?:{_FENCE_MARK}|[ \t]*{_SEPARATOR}[ \t]*(?=\n|\Z))")


def _fenced_part_bounds(body: str) -> list[tuple[int, int]]:
    """`_part_bounds` of a body with code fences: a fence is closed by a fence line that starts
    with the same three characters, and a `---` inside one is code."""
    bounds: list[tuple[int, int]] = []
    start = 0
    fence = ""
    for match in _FENCE_OR_SEPARATOR.finditer("\n" + body):  # (positions one on in there)
        marker = match.group(1)
        if marker:
            if not fence:
                fence = marker[:3]
            elif marker.startswith(fence):
                fence = ""
        elif not fence:
            bounds.append((start, match.start()))  # (the line break before the line kept)
            start = match.end() - 1
    bounds.append((start, len(body)))
    return bounds


def _detect_all(parts: list[str], default: str) -> list[str]:
    """Each part's language; a part with no letters belongs to its neighbour."""
    detected: list[str | None] = [
        detect_lang(part, default=default) if _LETTER.search(part) else None for part in parts
    ]
    known = [code for code in detected if code]
    fallback = known[0] if known else default
    result: list[str] = []
    for code in detected:
        result.append(code or (result[-1] if result else fallback))
    return result


def _merge(parts: list[str], langs: list[str]) -> list[Section]:
    sections: list[Section] = []
    for part, code in zip(parts, langs, strict=True):
        if sections and sections[-1].lang == code:
            joined = f"{sections[-1].text}\n\n{_SEPARATOR}\n\n{part}"
            sections[-1] = Section(lang=code, text=joined)
        else:
            sections.append(Section(lang=code, text=part))
    return sections


def _drop_link_lines(text: str, wanted: frozenset[str]) -> str:
    """Remove lines that hold nothing but a source-label link (the source-link line)."""
    at = text.find("](")
    if at < 0:
        return text
    if text.find("](", at + 2) < 0:  # the common case: one link, on one line
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at)
        if end < 0:
            end = len(text)
        if not _is_link_line(text[start:end], wanted):
            return text
        if start == 0:
            return text[end + 1 :]
        return text[: start - 1] + text[end:]  # (the line and the line break before it)
    dropped: list[tuple[int, int]] = []  # (start, end) of each line to drop, in order
    while at >= 0:
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at)
        if end < 0:
            end = len(text)
        if _is_link_line(text[start:end], wanted):
            dropped.append((start, end))
        at = text.find("](", end)
    if not dropped:
        return text
    # What "\n".join() of the lines left gives: the runs of lines between dropped ones.
    kept: list[str] = []
    if dropped[0][0] > 0:
        kept.append(text[: dropped[0][0] - 1])
    for (_, end), (start, _) in itertools.pairwise(dropped):
        if start > end + 1:
            kept.append(text[end + 1 : start - 1])
    if dropped[-1][1] < len(text):
        kept.append(text[dropped[-1][1] + 1 :])
    return "\n".join(kept)


def _is_link_line(line: str, wanted: frozenset[str]) -> bool:
    """Whether a line holds nothing but a source-label link (and stray punctuation)."""
    match = _LINK.search(line)
    if match is None or _clean_label(match.group(1)) not in wanted:
        return False
    rest = (line[: match.start()] + line[match.end() :]).strip(" \t*_<>:：|")
    return not rest or _clean_label(rest) in wanted


@lru_cache(maxsize=16)
def _label_set(labels: Sequence[str]) -> frozenset[str]:
    return frozenset(_clean_label(label) for label in labels)


def _clean_label(text: str) -> str:
    return text.strip(" \t*_:：").casefold()


@dataclass(frozen=True, slots=True, kw_only=True)
class Headed:
    """A section's text without its repeated headline, and what was found at its top."""

    headline: str  # first heading or bold-only line at the top, as plain text ("" if none)
    text: str  # the section without headlines that repeat the title
    first_paragraph: str  # plain text of the first ordinary paragraph


def strip_headline(text: str, title: str | None) -> Headed:
    """Find the section's own headline and drop leading lines that repeat the entry title.

    `title` is the title the entry will carry when it does not come from this section itself
    (the front matter title); with None, the section's own headline becomes the title and is
    dropped.
    """
    lines = text.split("\n")
    headline = ""
    index = 0
    drop: list[int] = []
    looked = 0
    while index < len(lines) and looked < 6:  # headlines stand in the first few lines only
        line = lines[index]
        if not line.strip():
            index += 1
            continue
        looked += 1
        candidate = _headline_text(line)
        plain = plain_text(line)
        if candidate is not None and not headline:
            headline = candidate
            if title is None or _similar(candidate, title):
                drop.append(index)
        elif (title is not None and _similar(plain, title)) or (
            candidate is not None and _similar(candidate, title or headline)
        ):
            drop.append(index)
        else:
            break
        index += 1
    kept = [line for i, line in enumerate(lines) if i not in drop]
    body = "\n".join(kept).strip("\n")
    return Headed(headline=headline, text=body, first_paragraph=_first_paragraph(lines, index))


def _headline_text(line: str) -> str | None:
    match = _HEADING.match(line) or _BOLD_LINE.match(line)
    if match is None:
        return None
    text = plain_text(match.group(match.lastindex or 1) if match.re is _HEADING else line)
    return text or None


def _similar(a: str, b: str) -> bool:
    left = _NOT_WORD.sub("", a).casefold()
    right = _NOT_WORD.sub("", b).casefold()
    if not left or not right:
        return False
    if left == right:
        return True
    shorter, longer = sorted((len(left), len(right)))
    if shorter < 0.7 * longer:
        return False  # a paragraph that merely mentions the title is no repeated headline
    if shorter >= 8 and (left in right or right in left):
        return True
    from difflib import SequenceMatcher  # noqa: PLC0415 - only when reading in full

    return SequenceMatcher(None, left, right, autojunk=False).ratio() >= 0.8


def _first_paragraph(lines: list[str], start: int) -> str:
    """Plain text of the first paragraph from `start` on (lines up to a blank line)."""
    paragraph: list[str] = []
    for line in lines[start:]:
        if not line.strip():
            if paragraph:
                break
            continue
        if line.strip(" \t") == _SEPARATOR or _FENCE.match(line):
            if paragraph:
                break
            continue
        paragraph.append(line)
    return plain_text("\n".join(paragraph))


def summarize(paragraph: str) -> str:
    """A summary from a paragraph: plain text cut to SUMMARY_WIDTH display columns."""
    return shorten(paragraph, SUMMARY_WIDTH)
