"""Atom 1.0 conformance checks run on every feed the test suite produces.

`atom_problems` lists what RFC 4287 forbids and what feed validators (the W3C Feed Validation
Service) warn about, plus feedkit's own bar for entry HTML: no script, no relative URLs.
`assert_valid_atom` raises on any of those and also checks that feedparser reads the feed cleanly.

Covered (issue 5): required elements and their counts, ids absolute and unique, RFC 3339 dates,
`updated` not before `published`, `xml:lang`/`hreflang`/HTML `lang` that are BCP 47 tags with a
registered two-letter primary language, at most one alternate link per type and hreflang, a self
link matching where the file is served, no relative URLs and no script (elements, event handlers,
script URLs, `style` that runs code) in content, an author at feed, entry or source level, no
empty titles, names or generator, at most one `uri` and `email` per person.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import feedparser
import lxml.html
from lxml import etree

from feedkit.lang import ISO639_1

ATOM_NS = "http://www.w3.org/2005/Atom"
XHTML_NS = "http://www.w3.org/1999/xhtml"
A = f"{{{ATOM_NS}}}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
IANA_REL_PREFIX = "http://www.iana.org/assignments/relation/"


@dataclass(frozen=True, slots=True, kw_only=True)
class _Shape:
    """Which Atom children an element may have, and how many of each."""

    allowed: frozenset[str]
    exactly_one: tuple[str, ...] = ()
    at_most_one: tuple[str, ...] = ()


_COMMON = frozenset(
    {"author", "category", "contributor", "id", "link", "rights", "title", "updated"}
)
_SOURCE_ONLY = frozenset({"generator", "icon", "logo", "subtitle"})
FEED = _Shape(
    allowed=_COMMON | _SOURCE_ONLY | {"entry"},
    exactly_one=("id", "title", "updated"),
    at_most_one=("generator", "icon", "logo", "rights", "subtitle"),
)
ENTRY = _Shape(
    allowed=_COMMON | {"content", "published", "source", "summary"},
    exactly_one=("id", "title", "updated"),
    at_most_one=("content", "published", "rights", "source", "summary"),
)
SOURCE = _Shape(
    allowed=_COMMON | _SOURCE_ONLY,
    at_most_one=("generator", "icon", "id", "logo", "rights", "subtitle", "title", "updated"),
)
TEXT_CONSTRUCTS = ("title", "subtitle", "summary", "rights")

# IANA "Link Relations" registry (https://www.iana.org/assignments/link-relations/).
# fmt: off
IANA_RELS = frozenset({
    "about", "acl", "alternate", "amphtml", "appendix", "apple-touch-icon",
    "apple-touch-startup-image", "archives", "author", "blocked-by", "bookmark", "canonical",
    "chapter", "cite-as", "collection", "contents", "convertedfrom", "copyright", "create-form",
    "current", "describedby", "describes", "disclosure", "dns-prefetch", "duplicate", "edit",
    "edit-form", "edit-media", "enclosure", "external", "first", "glossary", "help", "hosts",
    "hub", "icon", "index", "intervalafter", "intervalbefore", "intervalcontains",
    "intervaldisjoint", "intervalduring", "intervalequals", "intervalfinishedby",
    "intervalfinishes", "intervalin", "intervalmeets", "intervalmetby", "intervaloverlappedby",
    "intervaloverlaps", "intervalstartedby", "intervalstarts", "item", "last", "latest-version",
    "license", "linkset", "lrdd", "manifest", "mask-icon", "me", "media-feed", "memento",
    "micropub", "modulepreload", "monitor", "monitor-group", "next", "next-archive", "nofollow",
    "noopener", "noreferrer", "opener", "openid2.local_id", "openid2.provider", "original",
    "p3pv1", "payment", "pingback", "preconnect", "predecessor-version", "prefetch", "preload",
    "prerender", "prev", "prev-archive", "preview", "previous", "privacy-policy", "profile",
    "publication", "related", "replies", "restconf", "ruleinput", "search", "section", "self",
    "service", "service-desc", "service-doc", "service-meta", "sponsored", "start", "status",
    "stylesheet", "subsection", "successor-version", "sunset", "tag", "terms-of-service",
    "timegate", "timemap", "type", "ugc", "up", "version-history", "via", "webmention",
    "working-copy", "working-copy-of"
})
# Elements that run code or change how the page around the entry behaves.
UNSAFE_TAGS = frozenset({
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "meta",
    "form", "link",
})
# ISO 639-1 (two-letter primary language subtags): the registry data lives in feedkit.lang
# fmt: on
URL_ATTRS = frozenset(
    {"href", "src", "action", "formaction", "poster", "cite", "background", "longdesc", "data"}
)

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:(Z)|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)
# RFC 5646 langtag (without grandfathered tags) or a private-use tag.
_LANGTAG = re.compile(
    r"(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"
    r"(?:-[A-Za-z]{4})?"
    r"(?:-(?:[A-Za-z]{2}|\d{3}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|\d[A-Za-z0-9]{3}))*"
    r"(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*"
    r"(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?"
    r"|[Xx](?:-[A-Za-z0-9]{1,8})+",
    re.ASCII,
)
_MIME = re.compile(r"[\w!#$&^.+-]+/[\w!#$&^.+-]+(?:\s*;.*)?", re.ASCII)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20]+")
# CSS that runs code (old IE `expression()`/`behavior`, Firefox XBL) or names a script URL.
_STYLE_SCRIPT = re.compile(r"expression\(|behavior\s*:|-moz-binding|javascript:|vbscript:", re.I)
_STYLE_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"]*?))\s*\)""", re.I)


def atom_problems(data: bytes, *, self_url: str | None = None) -> list[str]:
    """Every way `data` falls short of an Atom 1.0 feed; an empty list means it conforms."""
    try:
        root = etree.fromstring(data, _xml_parser())
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed XML: {exc}"]
    out: list[str] = []
    _check_encoding(data, root, out)
    if root.tag != A + "feed":
        out.append(f"root element must be {{{ATOM_NS}}}feed, got {root.tag!r}")
        return out
    for el in root.iter(etree.Element):
        lang = el.get(XML_LANG)
        reason = None if lang is None else _lang_problem(lang)
        if reason:
            out.append(
                f"line {el.sourceline}: xml:lang {lang!r} is not a BCP 47 language tag ({reason})"
            )
    _check_feed(root, self_url, out)
    return out


def assert_valid_atom(data: bytes, *, self_url: str | None = None) -> None:
    """Raise AssertionError unless `data` conforms and feedparser reads it as clean Atom 1.0."""
    problems = atom_problems(data, self_url=self_url)
    if problems:
        listing = "\n".join(f"  - {p}" for p in problems)
        raise AssertionError(f"feed does not conform to Atom 1.0:\n{listing}")
    parsed = feedparser.parse(io.BytesIO(data))
    if parsed.bozo != 0:
        raise AssertionError(f"feedparser flags the feed: {parsed.get('bozo_exception')!r}")
    if parsed.version != "atom10":
        raise AssertionError(f"feedparser reads the feed as {parsed.version!r}, not 'atom10'")
    expected = len(etree.fromstring(data, _xml_parser()).findall(A + "entry"))
    if len(parsed.entries) != expected:
        raise AssertionError(
            f"feedparser sees {len(parsed.entries)} entries, the XML has {expected}"
        )


def _xml_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _check_encoding(data: bytes, root: etree._Element, out: list[str]) -> None:
    docinfo = root.getroottree().docinfo
    if (docinfo.encoding or "").lower().replace("_", "-") not in {"utf-8", "utf8"}:
        out.append(f"document encoding must be UTF-8, got {docinfo.encoding!r}")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        out.append(f"document bytes are not UTF-8: {exc}")
    if docinfo.doctype:
        out.append(f"document has a DOCTYPE {docinfo.doctype!r}; Atom feeds carry none")


def _check_feed(feed: etree._Element, self_url: str | None, out: list[str]) -> None:
    _check_children(feed, "feed", FEED, out)
    _check_common(feed, "feed", out)
    _check_self_link(feed, self_url, out)
    feed_updated = _date(feed, "updated", "feed", out)
    feed_has_author = feed.find(A + "author") is not None
    ids: dict[str, list[int]] = {}
    for number, entry in enumerate(feed.findall(A + "entry"), 1):
        entry_id = (entry.findtext(A + "id") or "").strip()
        where = f"entry {number} ({entry_id!r})" if entry_id else f"entry {number}"
        updated = _check_entry(entry, where, out)
        if entry_id:
            ids.setdefault(entry_id, []).append(number)
        has_author = entry.find(A + "author") is not None
        if not (feed_has_author or has_author or entry.find(f"{A}source/{A}author") is not None):
            out.append(f"{where}: no <author> in the entry, its <source> or the feed")
        if feed_updated and updated and feed_updated < updated:
            out.append(
                f"feed: <updated> {feed_updated.isoformat()} is before {where}'s "
                f"<updated> {updated.isoformat()}"
            )
    for entry_id, numbers in ids.items():
        if len(numbers) > 1:
            out.append(f"duplicate entry id {entry_id!r} in entries {numbers}")


def _check_entry(entry: etree._Element, where: str, out: list[str]) -> datetime | None:
    """Check one entry; return its `updated` when that is a valid date."""
    _check_children(entry, where, ENTRY, out)
    _check_common(entry, where, out)
    updated = _date(entry, "updated", where, out)
    published = _date(entry, "published", where, out)
    if updated and published and updated < published:
        out.append(
            f"{where}: <updated> {updated.isoformat()} is before "
            f"<published> {published.isoformat()}"
        )
    content = entry.find(A + "content")
    if content is None:
        if not any(_rel(link) == "alternate" for link in entry.findall(A + "link")):
            out.append(f'{where}: an entry without <content> needs a <link rel="alternate">')
    else:
        _check_content(content, where, entry.find(A + "summary") is not None, out)
    source = entry.find(A + "source")
    if source is not None:
        _check_source(source, f"{where} <source>", out)
    return updated


def _check_source(source: etree._Element, where: str, out: list[str]) -> None:
    _check_children(source, where, SOURCE, out)
    _check_common(source, where, out)
    _date(source, "updated", where, out)
    has_title_and_link = (
        source.find(A + "title") is not None and source.find(A + "link") is not None
    )
    if source.find(A + "id") is None and not has_title_and_link:
        out.append(f"{where}: must name its feed with an <id>, or a <title> and a <link>")


def _check_children(parent: etree._Element, where: str, shape: _Shape, out: list[str]) -> None:
    counts = Counter(
        etree.QName(child).localname
        for child in parent.iterchildren(etree.Element)
        if etree.QName(child).namespace == ATOM_NS
    )
    out.extend(
        f"{where}: unknown Atom element <{name}>" for name in counts if name not in shape.allowed
    )
    for name in shape.exactly_one:
        if counts[name] != 1:
            what = "missing" if counts[name] == 0 else f"{counts[name]} times"
            out.append(f"{where}: <{name}> must appear exactly once, {what}")
    out.extend(
        f"{where}: <{name}> must appear at most once, {counts[name]} times"
        for name in shape.at_most_one
        if counts[name] > 1
    )


def _check_common(parent: etree._Element, where: str, out: list[str]) -> None:
    """Checks shared by feed, entry and source: id, links, text, people, categories."""
    for id_el in parent.findall(A + "id"):
        reason = _iri_problem(id_el.text or "")
        if reason:
            out.append(f"{where}: <id> {id_el.text!r} is not an absolute IRI ({reason})")
    _check_links(parent, where, out)
    for name in TEXT_CONSTRUCTS:
        for el in parent.findall(A + name):
            _check_text(el, f"{where} <{name}>", out)
            if name == "title" and not _plain_text(el).strip():
                out.append(f"{where}: empty <title>")
    for kind in ("author", "contributor"):
        for person in parent.findall(A + kind):
            _check_person(person, f"{where} <{kind}>", out)
    for category in parent.findall(A + "category"):
        if not (category.get("term") or "").strip():
            out.append(f"{where}: <category> needs a non-empty term, got {category.get('term')!r}")
        scheme = category.get("scheme")
        if scheme is not None and _iri_problem(scheme):
            out.append(f"{where}: <category> scheme {scheme!r} is not an absolute IRI")
    for name in ("icon", "logo"):
        for el in parent.findall(A + name):
            if _iri_problem((el.text or "").strip()):
                out.append(f"{where}: <{name}> {el.text!r} is not an absolute URL")
    for category in parent.findall(A + "category"):
        label = category.get("label")
        if label is not None and not label.strip():
            out.append(f"{where}: <category> label is empty; leave it out instead")
    for generator in parent.findall(A + "generator"):
        if not "".join(generator.itertext()).strip():
            out.append(f"{where}: empty <generator>; it must name the generating agent")
        uri = generator.get("uri")
        if uri is not None and _iri_problem(uri):
            out.append(f"{where}: <generator> uri {uri!r} is not an absolute IRI")


def _check_links(parent: etree._Element, where: str, out: list[str]) -> None:
    alternates: Counter[tuple[str | None, str | None]] = Counter()
    for link in parent.findall(A + "link"):
        href, rel = link.get("href"), _rel(link)
        if href is None or _iri_problem(href):
            out.append(f"{where}: <link rel={rel!r}> href {href!r} is not an absolute URL")
        if rel.lower() not in IANA_RELS and _iri_problem(rel):
            out.append(f"{where}: <link> rel {rel!r} is neither an IANA relation nor an IRI")
        link_type, hreflang, length = link.get("type"), link.get("hreflang"), link.get("length")
        if link_type is not None and not _MIME.fullmatch(link_type):
            out.append(f"{where}: <link> type {link_type!r} is not a media type")
        reason = None if hreflang is None else _lang_problem(hreflang)
        if reason:
            out.append(
                f"{where}: <link> hreflang {hreflang!r} is not a BCP 47 language tag ({reason})"
            )
        if length is not None and not length.isdigit():
            out.append(f"{where}: <link> length {length!r} is not a number of bytes")
        if rel == "alternate":
            alternates[link_type, hreflang] += 1
    for (link_type, hreflang), count in alternates.items():
        if count > 1:
            out.append(
                f'{where}: {count} <link rel="alternate"> with the same type {link_type!r} '
                f"and hreflang {hreflang!r}; at most one is allowed"
            )


def _check_self_link(feed: etree._Element, self_url: str | None, out: list[str]) -> None:
    hrefs = [link.get("href") for link in feed.findall(A + "link") if _rel(link) == "self"]
    if len(hrefs) > 1:
        out.append(f'feed: {len(hrefs)} <link rel="self">, expected at most one')
    if self_url is None:
        return
    if not hrefs:
        out.append(f'feed: no <link rel="self">, expected href {self_url!r}')
    elif self_url not in hrefs:
        out.append(f'feed: <link rel="self"> href {hrefs[0]!r} does not match {self_url!r}')


def _check_person(person: etree._Element, where: str, out: list[str]) -> None:
    names = person.findall(A + "name")
    if len(names) != 1 or not (names[0].text or "").strip():
        out.append(f"{where}: needs exactly one non-empty <name>")
    for uri in person.findall(A + "uri"):
        if _iri_problem(uri.text or ""):
            out.append(f"{where}: <uri> {uri.text!r} is not an absolute IRI")
    for email in person.findall(A + "email"):
        if not _EMAIL.fullmatch(email.text or ""):
            out.append(f"{where}: <email> {email.text!r} is not an e-mail address")
    for name in ("uri", "email"):  # RFC 4287 §3.2.2, §3.2.3
        count = len(person.findall(A + name))
        if count > 1:
            out.append(f"{where}: <{name}> must appear at most once, {count} times")


def _check_text(el: etree._Element, where: str, out: list[str]) -> None:
    """A text construct (RFC 4287 §3.1): type text, html or xhtml."""
    kind = el.get("type", "text")
    children = list(el.iterchildren(etree.Element))
    if kind in ("text", "html"):
        if children:
            out.append(f"{where}: type={kind!r} must hold escaped text, found <{children[0].tag}>")
        elif kind == "html":
            _check_html("".join(el.itertext()), where, out)
    elif kind == "xhtml":
        div = children[0] if len(children) == 1 else None
        loose = (el.text or "").strip() or (div is not None and (div.tail or "").strip())
        if div is None or div.tag != f"{{{XHTML_NS}}}div" or loose:
            out.append(f"{where}: type='xhtml' must hold exactly one xhtml <div>")
        else:
            _check_markup(div, where, out)
    else:
        out.append(f"{where}: type {kind!r} is not 'text', 'html' or 'xhtml'")


def _check_content(content: etree._Element, where: str, has_summary: bool, out: list[str]) -> None:
    kind, src = content.get("type", "text"), content.get("src")
    if src is not None:
        if _iri_problem(src):
            out.append(f"{where}: <content> src {src!r} is not an absolute URL")
        if (content.text or "").strip() or len(content):
            out.append(f"{where}: <content> with src must be empty")
    elif kind in ("text", "html", "xhtml"):
        _check_text(content, f"{where} <content>", out)
        return
    elif not _MIME.fullmatch(kind):
        out.append(f"{where}: <content> type {kind!r} is not text, html, xhtml or a media type")
        return
    is_xml_or_text = kind.startswith("text/") or kind.split(";")[0].endswith(("+xml", "/xml"))
    if not has_summary and (src is not None or not is_xml_or_text):
        out.append(f"{where}: <content> with src or base64 data needs a <summary>")


def _check_html(html: str, where: str, out: list[str]) -> None:
    try:
        fragment = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError) as exc:
        out.append(f"{where}: HTML does not parse: {exc}")
        return
    _check_markup(fragment, where, out)


def _check_markup(root: etree._Element, where: str, out: list[str]) -> None:
    """Flag script, event handlers, dangerous or relative URLs in (X)HTML."""
    for el in root.iter(etree.Element):
        tag = _local(el.tag)
        if tag in UNSAFE_TAGS:
            out.append(f"{where}: unsafe element <{tag}> in markup")
        for raw_name, value in el.attrib.items():
            name = _local(raw_name)
            if name.startswith("on"):
                out.append(f"{where}: event-handler attribute {name}={value!r} on <{tag}>")
            elif name == "srcdoc":
                out.append(f"{where}: srcdoc attribute on <{tag}> embeds a document")
            elif name == "style":
                _check_style(value, f"{where}: <{tag} style>", out)
            elif name == "lang" and value and _lang_problem(value):
                out.append(
                    f"{where}: lang {value!r} on <{tag}> is not a BCP 47 language tag "
                    f"({_lang_problem(value)})"
                )
            elif name in URL_ATTRS or name == "srcset":
                urls = [c.split()[0] for c in value.split(",") if c.strip()]
                for url in urls if name == "srcset" else [value]:
                    _check_markup_url(url, f"{where}: <{tag} {name}>", out)


def _check_markup_url(url: str, where: str, out: list[str]) -> None:
    squashed = _CONTROL_OR_SPACE.sub("", url).lower()
    if squashed.startswith(("javascript:", "vbscript:")):
        out.append(f"{where} has a script URL {url!r}")
    elif squashed.startswith("data:") and not squashed.startswith("data:image/"):
        out.append(f"{where} has a non-image data: URL {url[:40]!r}")
    elif _absolute_problem(url.strip()):
        out.append(f"{where} has a relative URL {url!r}; URLs must be absolute")


def _check_style(style: str, where: str, out: list[str]) -> None:
    """A `style` attribute: no CSS that runs code, and every url() absolute and harmless."""
    squashed = _CONTROL_OR_SPACE.sub("", style)
    if _STYLE_SCRIPT.search(squashed):
        out.append(f"{where} can run script: {style[:60]!r}")
    for match in _STYLE_URL.finditer(style):
        url = next(group for group in match.groups() if group is not None)
        _check_markup_url(url.strip(), where, out)


def _lang_problem(tag: str) -> str | None:
    """Why `tag` is not a valid BCP 47 language tag, or None: well-formed (RFC 5646 §2.1) and,
    for a two-letter primary language, registered (§2.2.9; longer subtags are not listed here)."""
    if not _LANGTAG.fullmatch(tag):
        return "not well-formed"
    primary = tag.partition("-")[0].lower()
    if len(primary) == 2 and primary not in ISO639_1:
        return f"unregistered primary language {primary!r}"
    return None


def _date(parent: etree._Element, name: str, where: str, out: list[str]) -> datetime | None:
    """Parse the first `name` child as an RFC 3339 date-time, or report why not."""
    el = parent.find(A + name)
    if el is None:
        return None
    text = el.text or ""
    match = _RFC3339.fullmatch(text)
    try:
        if match is None:
            raise ValueError(text)
        year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
        offset = timedelta(0)
        if not match[8]:
            off_h, off_m = int(match[10]), int(match[11])
            if off_h > 23 or off_m > 59:
                raise ValueError(text)
            offset = (1 if match[9] == "+" else -1) * timedelta(hours=off_h, minutes=off_m)
        # RFC 3339 allows a leap second; datetime does not.
        micro = int((match[7] or ".0")[1:7].ljust(6, "0"))
        return datetime(
            year, month, day, hour, minute, min(second, 59), micro, tzinfo=timezone(offset)
        )
    except ValueError:
        out.append(
            f"{where}: <{name}> {text!r} is not an RFC 3339 date-time "
            "(YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM))"
        )
        return None


def _rel(link: etree._Element) -> str:
    rel: str = link.get("rel", "alternate")
    return rel.removeprefix(IANA_REL_PREFIX)


def _iri_problem(value: str) -> str | None:
    """Why `value` is not an absolute IRI, or None if it is one."""
    if not value:
        return "empty"
    if any(c.isspace() for c in value):
        return "contains whitespace"
    return _absolute_problem(value)


def _absolute_problem(url: str) -> str | None:
    """Why `url` is not absolute (no scheme; http(s) without a host), or None."""
    if not _SCHEME.match(url):
        return "no scheme"
    scheme, _, rest = url.partition(":")
    if not rest:
        return "nothing after the scheme"
    if scheme.lower() in ("http", "https") and not re.match(r"//[^/?#\s]+", rest):
        return "http(s) URL without a host"
    return None


def _local(name: str) -> str:
    """Lower-cased local part of an XML `{ns}name` or an HTML `prefix:name`."""
    return name.rpartition("}")[2].rpartition(":")[2].lower()


def _plain_text(el: etree._Element) -> str:
    text = "".join(el.itertext())
    if el.get("type") == "html" and text.strip():
        try:
            html = lxml.html.fragment_fromstring(text, create_parent="div")
        except (etree.ParserError, ValueError):
            return text
        return str(html.text_content())
    return text
