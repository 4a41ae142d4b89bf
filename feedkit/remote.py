"""Fetched bytes of a remote feed -> entries (pure: no network, no clock; `now` is passed in).

The bytes go through five steps:

1. **Decode** (`_decode`): byte-order mark, then the HTTP charset, then the XML declaration, then
   UTF-8, windows-1252 and Latin-1, as RFC 7303 orders them (GB2312/GBK are read as GB18030, Big5
   falls back to CP950). Decoding first means the next steps see the characters feedparser would
   see, whatever the encoding (UTF-16, UTF-32, EBCDIC, UTF-7...).
2. **Neutralize the prolog** (`neutralize_doctype`): before the root element only whitespace is
   kept: DOCTYPE declarations with their internal subsets, stray ENTITY declarations, comments and
   processing instructions go. feedparser's lenient parser expands internal entities without
   limit (one 50 KB entity used 20,000 times is a gigabyte of text) and finds DOCTYPEs even inside
   prolog comments; with no `<!` before the root, nothing is declared, so nothing is expanded or
   resolved (external entities included). Linear time on any input.
3. **Repair references** (`_replace_entities`): HTML's named entities become character
   references and undefined ones text, so the strict XML parser reads on instead of handing the
   document to feedparser's slow lenient parser; character references to no XML character go.
4. **Parse**: a JSON Feed 1.x document (its first character is `{`) is read with `json`; anything
   else goes to `feedparser.parse(io.BytesIO(utf8), response_headers=...)` with
   `sanitize_html=False` (nh3 sanitizes once, later: faster and stricter than feedparser's) and
   `resolve_relative_uris=False` (relative URLs in content resolve against the entry's link, SPEC
   3.2; an explicit `xml:base` still wins).
5. **Build entries** (`remote_fields.EntryBuilder`): identity, links, caps, dates, language.

Not a feed (empty body, no RSS/Atom/JSON Feed root, XML so broken no entry was recovered, a crash
inside feedparser) raises `FeedFormatError("<url>: <reason>")`; a bozo feed whose entries were
recovered is used, and the parser's complaint is listed in `ParsedFeed.problems` beside capped
fields and dropped items.
"""

from __future__ import annotations

import codecs
import html.entities
import io
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import feedparser

from feedkit.errors import FeedFormatError
from feedkit.model import Entry
from feedkit.remote_fields import (
    EntryBuilder,
    RawFeed,
    RemoteOptions,
    feedparser_feed,
    json_feed,
    short,
)
from feedkit.urls import absolute_http_url

__all__ = ["ParsedFeed", "RemoteOptions", "neutralize_doctype", "parse_feed"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedFeed:
    """One fetched document: what the feed says about itself, its entries, and what went wrong."""

    title: str
    link: str
    id: str  # the feed's atom:id, else its URL
    lang: str  # normalized, "" when the feed does not say
    ttl: float | None  # RSS <ttl>, in seconds
    version: str  # feedparser's ("rss20", "atom10", ...), or "json10" / "json11"
    entries: tuple[Entry, ...]
    problems: tuple[str, ...] = ()  # non-fatal: parser complaints, capped fields, dropped items


def parse_feed(
    body: bytes,
    *,
    url: str,
    headers: Mapping[str, str] | None = None,
    options: RemoteOptions,
    now: datetime,
    first_seen: Callable[[str], datetime | None] = lambda _id: None,
) -> ParsedFeed:
    """The entries of a fetched feed document; raises FeedFormatError when it is not a feed.

    `url` is the source's URL as stored (not a temporary redirect's target): relative links
    resolve against it, and ids that are not global (RSS guids) are made global with it.
    `first_seen(entry_id)` answers when feedkit first saw an entry; it dates entries without dates.

    Entry ids: an Atom entry keeps its `atom:id` when that is an http(s), tag, urn or info IRI
    of at most 1,000 characters (RFC 4287 §4.2.6; feedparser has already resolved a relative
    atom:id against xml:base or `url`). Any other identity (RSS guid, RSS 1.0 rdf:about, JSON Feed
    id, another atom:id; else the canonical link; else `urn:sha256:` of title and content) becomes
    `urn:uuid:` + uuid5(URL namespace, canonical `url` + newline + identity): stable across runs
    and machines, distinct across sources that reuse guids like "1". `Entry.group_id` is the id.
    """
    if now.tzinfo is None:
        raise ValueError("parse_feed needs an aware `now`")
    if not body.strip():
        raise FeedFormatError(f"{url}: empty body")
    lowered = {name.lower(): value for name, value in (headers or {}).items()}
    text, problems = _decode(body, lowered.get("content-type", ""))
    if text.lstrip("\ufeff \t\r\n").startswith("{"):
        raw = _read_json(text, url)
    else:
        raw = _read_xml(text, url, problems)
    builder = EntryBuilder(raw, url=url, options=options, now=now, first_seen=first_seen)
    entries = builder.entries()
    return ParsedFeed(
        title=builder.origin.title,
        link=absolute_http_url(raw.link, base=url) or "",
        id=builder.origin.id,
        lang=builder.feed_lang,
        ttl=raw.ttl,
        version=raw.version,
        entries=entries,
        problems=(*problems, *builder.problems),
    )


def _read_json(text: str, url: str) -> RawFeed:
    try:
        document = json.loads(text.lstrip("\ufeff"))
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise FeedFormatError(f"{url}: not a feed: broken JSON ({short(exc)})") from exc
    raw = json_feed(document)
    if raw is None:
        raise FeedFormatError(
            f"{url}: not a feed: JSON without a JSON Feed 'version' (https://jsonfeed.org/version/1.1)"
        )
    return raw


_FEEDPARSER_CRASHES = (
    LookupError,
    ValueError,
    TypeError,
    AttributeError,
    ArithmeticError,
    RuntimeError,
)
_XML_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})
_NAMED_REFERENCE = re.compile(r"<!\[CDATA\[.*?(?:\]\]>|\Z)|&([A-Za-z_][A-Za-z0-9._-]*);", re.DOTALL)
_NUMERIC_REFERENCE = re.compile(r"&#(?:([0-9]+)|[xX]([0-9A-Fa-f]+));")


def _read_xml(text: str, url: str, problems: list[str]) -> RawFeed:
    text, undefined = _replace_entities(_strip_prolog(text, keep_declaration=False))
    if undefined:
        names = ", ".join(f"&{name};" for name in sorted(undefined)[:5])
        problems.append(f"undefined entities kept as text: {short(names)}")
    data = text.encode("utf-8", "replace")
    try:
        parsed = feedparser.parse(
            io.BytesIO(data),
            response_headers={
                "content-type": "application/xml; charset=utf-8",
                "content-location": url,
            },
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except _FEEDPARSER_CRASHES as exc:
        # Its lenient parser has bugs that hostile input reaches (fuzzing found KeyError and
        # UnicodeEncodeError); such a document is no usable feed, and the run goes on.
        reason = f"{type(exc).__name__}: {short(exc)}"
        raise FeedFormatError(f"{url}: unusable XML, feedparser failed: {reason}") from exc
    raw = feedparser_feed(parsed, url=url)
    if not raw.version:
        raise FeedFormatError(f"{url}: not a feed: no RSS, Atom or JSON Feed document found")
    if parsed.get("bozo"):
        reason = short(parsed.get("bozo_exception"))
        if not raw.items:
            raise FeedFormatError(f"{url}: unusable XML, no entries recovered: {reason}")
        problems.append(f"not well-formed XML, entries recovered leniently: {reason}")
    return raw


def _replace_entities(text: str) -> tuple[str, set[str]]:
    """Entity and character references the XML parser can read, and the undefined names.

    With no DTD left, `&nbsp;` or `&mdash;` (common in feeds) would make the XML parser give up
    and feedparser fall back to its slow lenient parser. Outside CDATA, `&name;` becomes `&#160;`
    for a name HTML defines and `&amp;name;` (text) otherwise. Everywhere, a character reference
    to no XML character (`&#0;`, `&#xD800;`: they crash feedparser's lenient parser) becomes
    U+FFFD, as an HTML parser would read it.
    """
    undefined: set[str] = set()

    def named(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None or name in _XML_ENTITIES:
            return match.group()
        chars = html.entities.html5.get(f"{name};")
        if chars is None:
            undefined.add(name)
            return f"&amp;{name};"
        return "".join(f"&#{ord(char)};" for char in chars)

    def numeric(match: re.Match[str]) -> str:
        decimal, hexadecimal = match.groups()
        number = decimal or hexadecimal
        valid = len(number) <= 8 and _xml_char(int(number, 10 if decimal else 16))
        return match.group() if valid else "\ufffd"

    text = _NUMERIC_REFERENCE.sub(numeric, text)
    return _NAMED_REFERENCE.sub(named, text), undefined


def _xml_char(code: int) -> bool:
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or (0x10000 <= code <= 0x10FFFF)
    )


# --- decoding ---------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SNIFF = (  # the first characters "<?" without a byte-order mark
    (b"<\0\0\0", "utf-32-le"),
    (b"\0\0\0<", "utf-32-be"),
    (b"<\0", "utf-16-le"),
    (b"\0<", "utf-16-be"),
    (b"\x4c\x6f\xa7\x94", "cp037"),
)
_XML_ENCODING = re.compile(r"\s*<\?xml\s[^>]{0,200}?encoding\s*=\s*[\"']([A-Za-z0-9._:-]{1,40})")
_CHARSET = re.compile(r";\s*charset\s*=\s*[\"']?([A-Za-z0-9._:-]{1,40})", re.IGNORECASE)
# Codecs that are no character sets (or cost quadratic time): never used, whoever declares them.
_REFUSED = frozenset({"punycode", "idna", "unicode-escape", "raw-unicode-escape", "undefined"})
_WIDER = {
    "gb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "big5": ("big5", "cp950", "big5hkscs"),
    "iso8859-1": ("cp1252", "latin-1"),  # what "ISO-8859-1" means on the web (WHATWG)
}


def _decode(body: bytes, content_type: str) -> tuple[str, list[str]]:
    """The document's text, and a note when its declared encoding had to be overridden."""
    mark, bom = next(((m, n) for m, n in _BOMS if body.startswith(m)), (b"", ""))
    body = body[len(mark) :]
    sniffed = bom or next((name for mark, name in _SNIFF if body.startswith(mark)), "")
    head = body[:1024].decode(sniffed or "latin-1", "replace")
    charset = _CHARSET.search(content_type)
    in_xml = _XML_ENCODING.match(head)
    declared = [m.group(1) for m in (charset, in_xml) if m]
    # A BOM or a UTF-16/32 pattern beats a declaration ("utf-16" is then the sniffed byte order).
    tried = [bom] if bom else [*([sniffed] if sniffed else []), *declared]
    problems: list[str] = []
    for candidate in [*tried, "utf-8", "cp1252", "latin-1"]:
        for codec in _codecs(candidate):
            try:
                text = body.decode(codec)
            except (UnicodeDecodeError, LookupError):
                continue
            if tried and candidate != tried[0]:
                problems.append(f"cannot read it as {tried[0]!r}, read as {codec} instead")
            return text, problems
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def _codecs(name: str) -> tuple[str, ...]:
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        return ()
    return () if canonical in _REFUSED else _WIDER.get(canonical, (canonical,))


# --- prolog ----------------------------------------------------------------------------------

# The rest of a `<!...>` declaration: quoted literals, comments, PIs and an internal subset
# `[...]` skipped, each possibly unterminated (then it runs to the end of the text). Possessive
# quantifiers and alternatives that differ in their first character keep it linear.
_UNTIL = r"""
    "[^"]*+(?:"|\Z) | '[^']*+(?:'|\Z) | <!--.*?(?:-->|\Z) | <\?.*?(?:\?>|\Z) | <"""
_DECLARATION = re.compile(
    rf"""(?: [^"'\[<>]++ | {_UNTIL}
           | \[ (?: [^"'\]<]++ | {_UNTIL} )*+ (?:\]|\Z)
         )*+ (?:>|\Z)""",
    re.DOTALL | re.VERBOSE,
)
_ROOT_START = re.compile(r"[A-Za-z0-9_]")  # feedparser's own test for the root: bytes `<\w`
_NOT_SPACE = re.compile(r"[^ \t\r\n]+")


def neutralize_doctype(body: bytes) -> bytes:
    """`body` with nothing but whitespace and the XML declaration before its root element.

    No DOCTYPE (internal subset included), ENTITY declaration, comment, processing instruction or
    stray text survives there, so no entity can be declared. Linear time on any bytes.

    UTF-16 and UTF-32 bodies (with or without a byte-order mark) are handled in their own
    encoding; any other body is treated as ASCII-compatible, byte for byte, which is exact for
    UTF-8 and the legacy 8-bit and CJK encodings (no trail byte is `<`, `!` or `?`).
    `parse_feed` decodes first, so it is safe for every encoding, UTF-7 and EBCDIC included.
    """
    mark, encoding = next(((m, n) for m, n in _BOMS if body.startswith(m)), (b"", ""))
    rest = body[len(mark) :]
    if not encoding:
        encoding = next((n for m, n in _SNIFF if rest.startswith(m) and n.startswith("utf")), "")
    if encoding in ("", "utf-8"):
        text = _strip_prolog(rest.decode("latin-1"), keep_declaration=True)
        return mark + text.encode("latin-1")
    text = _strip_prolog(rest.decode(encoding, "replace"), keep_declaration=True)
    return mark + text.encode(encoding, "replace")


def _strip_prolog(text: str, *, keep_declaration: bool) -> str:
    """`text` with nothing but whitespace (and a first XML declaration) before the root element."""
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    kept: list[str] = [bom]
    pos = len(bom)
    first = True  # no markup seen yet
    while True:
        start = text.find("<", pos)
        gap = text[pos : len(text) if start < 0 else start]
        kept.append(gap if gap.isspace() else _NOT_SPACE.sub("", gap))
        if start < 0:
            return "".join(kept)
        after = text[start + 1 : start + 2]
        if _ROOT_START.match(after):
            kept.append(text[start:])
            return "".join(kept)
        if text.startswith("<!--", start):
            pos = _after(text, "-->", start + 4)
        elif after == "?":
            pos = _after(text, "?>", start + 2)
            piece = text[start:pos]
            if first and keep_declaration and piece.startswith("<?xml") and "<" not in piece[1:]:
                kept = [bom, piece]  # XML wants it first: whitespace before it goes
        elif after == "!":
            pos = _declaration_end(text, start + 2)
        else:  # a "<" that starts no markup: dropped like any other text here
            pos = start + 1
        first = False


def _after(text: str, end: str, pos: int) -> int:
    found = text.find(end, pos)
    return len(text) if found < 0 else found + len(end)


def _declaration_end(text: str, pos: int) -> int:
    """Where a `<!...>` declaration that starts before `pos` ends (the end of text if never)."""
    match = _DECLARATION.match(text, pos)
    return match.end() if match else len(text)  # pragma: no cover - it always matches
