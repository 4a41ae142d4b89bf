"""Markdown to HTML, HTML sanitizing, and plain-text helpers (pure).

cmarkgfm (GitHub's C cmark-gfm) renders CommonMark plus tables and strikethrough; nh3 (Rust's
ammonia) sanitizes. Every HTML string feedkit publishes has been through `sanitize_html`.
"""

from __future__ import annotations

import html as htmllib
import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
from urllib.parse import urljoin, urlsplit

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options

_URL_SCHEMES = frozenset({"http", "https", "mailto"})
_TAGS = frozenset(nh3.ALLOWED_TAGS - {"area", "map"})
_ATTRIBUTES = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "img": {"src", "alt", "title", "width", "height"},
    "a": {"href", "hreflang", "title"},
    "*": {"lang", "dir"},
}
_CLEAN_CONTENT = frozenset({"script", "style"})


@dataclass(frozen=True, slots=True, kw_only=True)
class CleanHtml:
    """Sanitized HTML, and the relative URLs that had to be dropped (no base to resolve them)."""

    html: str
    dropped_urls: tuple[str, ...] = ()


def render_markdown(text: str) -> str:
    """Markdown to (unsanitized) HTML: CommonMark with GitHub's tables and strikethrough.

    Raw HTML and every link are kept as written (cmark's "unsafe" mode): the sanitizer, not the
    renderer, decides what stays, so `[x](javascript:…)` loses its href and keeps its text.
    """
    html: str = cmarkgfm.markdown_to_html_with_extensions(
        text, options=_UNSAFE, extensions=_EXTENSIONS
    )
    return html


_UNSAFE = Options.CMARK_OPT_UNSAFE
_EXTENSIONS = ["table", "strikethrough"]


def sanitize_html(html: str, *, base: str = "") -> CleanHtml:
    """Remove scripts, event handlers and unsafe URLs; make relative URLs absolute against base.

    Relative URLs with no http(s) base to resolve against are dropped and listed in the result.
    """
    dropped: list[str] = []
    usable_base = base if urlsplit(base).scheme in ("http", "https") else ""

    def resolve(url: str) -> str | None:
        if usable_base:
            absolute = urljoin(usable_base, url)
            if urlsplit(absolute).scheme in ("http", "https"):
                return absolute
        dropped.append(url)
        return None

    cleaned = nh3.clean(
        html,
        tags=set(_TAGS),
        clean_content_tags=set(_CLEAN_CONTENT),
        attributes=_ATTRIBUTES,
        url_schemes=set(_URL_SCHEMES),
        url_relative=resolve,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    return CleanHtml(html=cleaned.strip(), dropped_urls=tuple(dropped))


def markdown_to_html(text: str, *, base: str = "") -> CleanHtml:
    """Render Markdown and sanitize the result."""
    return sanitize_html(render_markdown(text), base=base)


_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<[^>]{0,500}>")
_EMPHASIS = re.compile(r"(\*\*|__|~~|`)")
_SINGLE_EMPHASIS = re.compile(r"(?<![\w*])[*_](?=\S)(.+?)(?<=\S)[*_](?![\w*])")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_BLOCK_PREFIX = re.compile(r"^\s{0,3}(?:>\s?|[-+*]\s+|\d{1,9}[.)]\s+)")
_SPACES = re.compile(r"\s+")


def plain_text(markdown: str) -> str:
    """A cheap Markdown-to-text pass for titles and summaries (no rendering).

    Reading the ~150 files `convert` publishes calls it some 500 times, mostly on one line of
    prose: each pattern runs only when the characters it needs are there, which saves two
    thirds of its time.
    """
    text = " ".join(map(_without_prefix, markdown.splitlines()))
    if "](" in text:
        text = _IMAGE.sub(r"\1", text)
        text = _LINK.sub(r"\1", text)
    if "<" in text:
        text = _TAG.sub("", text)
    if "*" in text or "_" in text or "~~" in text or "`" in text:
        text = _EMPHASIS.sub("", text)
        if "*" in text or "_" in text:
            text = _SINGLE_EMPHASIS.sub(r"\1", text)
    return " ".join(text.split())  # what _SPACES.sub(" ", text).strip() gives


def _without_prefix(line: str) -> str:
    """`line` without its heading marks and then its block prefix (quote, list item); the
    patterns run only for a line that starts like one ("**bold**" does not)."""
    head = line.lstrip()
    first = head[:1]
    if first == "#":
        return _BLOCK_PREFIX.sub("", _HEADING.sub("", line))
    if first == ">" or first.isdecimal() or (first in ("-", "+", "*") and head[1:2].isspace()):
        return _BLOCK_PREFIX.sub("", line)
    return line


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment, whitespace folded (entities decoded by nh3)."""
    text = nh3.clean(html, tags=set(), clean_content_tags=set(_CLEAN_CONTENT))
    return _SPACES.sub(" ", htmllib.unescape(text)).strip()


# The characters XML 1.0 forbids (and lone surrogates): one definition for all of feedkit.
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """`text` without the characters XML 1.0 cannot carry (a last guard before rendering)."""
    return XML_FORBIDDEN.sub("", text) if XML_FORBIDDEN.search(text) else text


# Display columns by East Asian width class: wide and full-width characters take two.
_COLUMNS = {"W": 2, "F": 2, "Na": 1, "H": 1, "A": 1, "N": 1}


def display_width(text: str) -> int:
    """Terminal-style width: East Asian wide and full-width characters count as two."""
    return sum(map(_COLUMNS.__getitem__, map(unicodedata.east_asian_width, text)))


def shorten(text: str, width: int, *, ellipsis: str = "…") -> str:
    """Cut `text` to at most `width` display columns, at a word boundary for spaced scripts.

    Character widths are summed by `map` and `accumulate`, not one by one in Python: reading
    the ~150 files `convert` publishes cuts some 40 summaries, 1.5 ms one by one.
    """
    ends = list(accumulate(map(_COLUMNS.__getitem__, map(unicodedata.east_asian_width, text))))
    if (ends[-1] if ends else 0) <= width:
        return text
    cut = bisect_right(ends, width - display_width(ellipsis))  # the characters that fit
    head = text[:cut]
    space = head.rfind(" ")
    if space > cut // 2 and cut < len(text) and not text[cut].isspace():
        head = head[:space]
    return head.rstrip(" ,;:，、；：") + ellipsis
