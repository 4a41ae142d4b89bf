"""A feed document's fields -> entries, by feedkit's rules (pure; `feedkit.remote` drives it).

`feedparser_feed` reads feedparser's result and `json_feed` a JSON Feed 1.x object into the same
`RawFeed` (what the document says, unsanitized, uncapped); `EntryBuilder` then decides identity,
links, caps, dates and language once for both. Every string read here has had the characters XML
cannot carry removed (control characters, lone surrogates), so nh3 and the renderer never choke.
"""

from __future__ import annotations

import hashlib
import html
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from feedkit.dates import parse_date
from feedkit.lang import detect_lang, normalize_lang
from feedkit.markup import XML_FORBIDDEN, html_to_text, sanitize_html, shorten
from feedkit.model import BodyFormat, Entry, FeedOrigin
from feedkit.urls import absolute_http_url, canonical_url

__all__ = [
    "EntryBuilder",
    "RawFeed",
    "RawItem",
    "RemoteOptions",
    "clean",
    "feedparser_feed",
    "json_feed",
    "short",
]

SUMMARY_WIDTH = 280  # display columns of Entry.summary
_MAX_ID_CHARS = 1_000  # a longer atom:id is folded into a urn:uuid
_MAX_URL_CHARS = 4_000  # a longer link or image URL is dropped
_MAX_PROBLEM_CHARS = 300
# Schemes of atom:ids kept as they are; any other id is folded into a urn:uuid.
_IRI = re.compile(r"(?:https?|tag|urn|info):[^\s<>\"{}|\\^`\x00-\x1f\x7f]+", re.IGNORECASE)

_ISO_DATE = re.compile(r"\s*\d{4}-\d\d-\d\d")
_EMAIL_NAME = re.compile(r"\A[^\s@()]+@[^\s()]+\s*\((.+)\)\Z", re.DOTALL)
_MAX_NAMES = 100  # authors or tags read per item; the rest are noise (or an attack)
_JSON_FEED_VERSIONS = {
    "https://jsonfeed.org/version/1": "json10",
    "https://jsonfeed.org/version/1.1": "json11",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoteOptions:
    """How one remote source is read."""

    source: str  # name of the configured source
    priority: int
    lang: str = ""  # configured language: used when neither entry nor feed says
    max_field_chars: int = 200_000  # summary and content, before sanitizing
    max_title_chars: int = 1_000  # titles, author names, tags
    future_tolerance: timedelta = timedelta(minutes=10)
    max_entries: int = 10_000


@dataclass(frozen=True, slots=True, kw_only=True)
class RawItem:
    """One item as the document states it: HTML is unsanitized, nothing is capped yet."""

    id: str = ""  # atom:id, RSS guid, rdf:about or JSON Feed id, as written
    atom_id: bool = False  # the id is an atom:id: globally unique by RFC 4287 §4.2.6
    link: str = ""
    title: str = ""  # HTML (a plain-text title arrives escaped)
    content: str = ""  # HTML
    summary: str = ""  # HTML
    base: str = ""  # the xml:base in effect for the content, "" when none was declared
    lang: str = ""  # the item's own language (xml:lang), as written
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    image: str = ""
    published: datetime | None = None
    updated: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RawFeed:
    """The feed-level fields and the items of one document."""

    version: str  # feedparser's ("rss20", "atom10", …) or "json10" / "json11"
    title: str = ""  # HTML
    link: str = ""
    id: str = ""
    lang: str = ""
    ttl: float | None = None  # seconds
    authors: tuple[str, ...] = ()  # Atom and JSON Feed: the authors of items that name none
    items: tuple[RawItem, ...] = ()


class EntryBuilder:
    """feedkit's rules, applied to one RawFeed: identity, links, caps, dates, language."""

    def __init__(
        self,
        raw: RawFeed,
        *,
        url: str,
        options: RemoteOptions,
        now: datetime,
        first_seen: Callable[[str], datetime | None],
    ) -> None:
        self.raw, self.url, self.options, self.now = raw, url, options, _utc(now)
        self.first_seen = first_seen
        self.problems: list[str] = []
        self.source_key = canonical_url(url) or url
        self.feed_lang = normalize_lang(raw.lang) or ""
        feed_id = raw.id if len(raw.id) <= _MAX_ID_CHARS and _IRI.fullmatch(raw.id) else url
        self.origin = FeedOrigin(id=feed_id, title=self._title(raw.title, "feed"), url=url)

    def entries(self) -> tuple[Entry, ...]:
        items, limit = self.raw.items, self.options.max_entries
        if len(items) > limit:
            self.problems.append(f"{len(items) - limit} entries after the first {limit} left out")
            items = items[:limit]
        seen: set[str] = set()
        entries: list[Entry] = []
        for number, item in enumerate(items, 1):
            link = self._link(item.link, self.url, f"entry {number}")
            entry_id = self._id(item, link)
            if entry_id in seen:
                self.problems.append(f"entry {number}: duplicate id {entry_id!r}, first one kept")
                continue
            seen.add(entry_id)
            entries.append(self._entry(item, entry_id, link, f"entry {number} ({entry_id})"))
        return tuple(entries)

    def _id(self, item: RawItem, link: str) -> str:
        if item.atom_id and len(item.id) <= _MAX_ID_CHARS and _IRI.fullmatch(item.id):
            return item.id
        basis = item.id or (canonical_url(link) if link else None)
        if not basis:
            text = f"{item.title}\n{item.content or item.summary}".encode("utf-8", "replace")
            basis = "urn:sha256:" + hashlib.sha256(text).hexdigest()
        return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, self.source_key + "\n" + basis))

    def _entry(self, item: RawItem, entry_id: str, link: str, where: str) -> Entry:
        options = self.options
        body_html = item.content or item.summary
        if len(body_html) > options.max_field_chars:
            body_html = body_html[: options.max_field_chars]
            self.problems.append(f"{where}: content cut to {options.max_field_chars} characters")
        explicit_base = absolute_http_url(item.base) or ""
        body = sanitize_html(body_html, base=explicit_base or link or self.url)
        if body.dropped_urls:
            self.problems.append(f"{where}: {len(body.dropped_urls)} relative URLs dropped")
        # The first 50,000 characters of HTML hold far more than 280 columns of text.
        summary_html = (item.summary or item.content)[: min(options.max_field_chars, 50_000)]
        summary = shorten(html_to_text(summary_html)[: SUMMARY_WIDTH + 1], SUMMARY_WIDTH)
        title = self._title(item.title, where) or shorten(summary, 100) or link or "Untitled"
        lang = (
            normalize_lang(item.lang)
            or self.feed_lang
            or normalize_lang(options.lang)
            or detect_lang(f"{title}\n{summary}")
        )
        published, updated = self._dates(item, entry_id, where)
        return Entry(
            key=(canonical_url(link) if link else None) or f"id:{entry_id}",
            id=entry_id,
            lang=lang,
            # entity references decoded late ("&#1" in a lenient parse) can bring back what XML
            # forbids: every text is cleaned once more, here, where the entry is made
            title=clean(title),
            published=published,
            updated=updated,
            link=link,
            summary=clean(summary),
            body=clean(body.html),
            body_format=BodyFormat.HTML,
            authors=tuple(clean(n) for n in self._names(item.authors or self.raw.authors)),
            tags=tuple(clean(t) for t in self._names(item.tags)),
            image=self._link(item.image, link or self.url, ""),
            source=options.source,
            priority=options.priority,
            group_id=entry_id,
            origin=self.url,
            feed=self.origin,
        )

    def _title(self, html: str, where: str) -> str:
        limit = self.options.max_title_chars
        source = html[: limit * 8]  # room for markup around `limit` characters of text
        text = html_to_text(source)
        if len(text) > limit or len(source) < len(html):
            self.problems.append(f"{where}: title cut to {limit} characters")
            text = text[:limit].rstrip()
        return text

    def _names(self, values: tuple[str, ...]) -> tuple[str, ...]:
        """Author names or tags as plain text: stripped, capped, without empties and repeats."""
        names: dict[str, None] = {}
        for value in values:
            limit = self.options.max_title_chars
            name = html_to_text(value[: limit * 8])[:limit].strip()
            if name:
                names.setdefault(name)
        return tuple(names)

    def _link(self, value: str, base: str, where: str) -> str:
        """`value` as an absolute http(s) URL, or "" (noted when `where` names the field)."""
        if not value:
            return ""
        link = absolute_http_url(value, base=base) if len(value) <= _MAX_URL_CHARS else None
        if link is None and where:
            self.problems.append(f"{where}: link {short(value)!r} is no http(s) URL, dropped")
        return link or ""

    def _dates(self, item: RawItem, entry_id: str, where: str) -> tuple[datetime, datetime]:
        published = item.published or item.updated
        updated = item.updated or item.published
        if published is None or updated is None:
            seen = self.first_seen(entry_id)
            published = updated = _utc(seen) if seen is not None else self.now
        latest = self.now + self.options.future_tolerance
        if published > latest or updated > latest:
            late = max(published, updated).isoformat()
            self.problems.append(f"{where}: date {late} is in the future, set to now")
            published = self.now if published > latest else published
            updated = self.now if updated > latest else updated
        return published, max(published, updated)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def short(value: object) -> str:
    """`value` as text for a problem message: at most a few hundred characters."""
    text = clean(str(value))
    return text if len(text) <= _MAX_PROBLEM_CHARS else text[: _MAX_PROBLEM_CHARS - 1] + "…"


def clean(value: object) -> str:
    """`value` as a string XML can carry; anything that is not a string gives ""."""
    return XML_FORBIDDEN.sub("", value) if isinstance(value, str) else ""


def _get(mapping: object, key: str) -> Any:
    # dict.get, not FeedParserDict.get: no key aliasing, no DeprecationWarning for `updated`.
    return dict.get(mapping, key) if isinstance(mapping, dict) else None


def _html(detail: object, value: object = None, *, atom: bool) -> str:
    """A feedparser text construct as HTML: Atom's type="text" is escaped, the rest kept.

    Outside Atom, "text/plain" is only feedparser's guess (an RSS title holding `<script>` is not
    "HTML" to it); RSS titles carry escaped HTML in practice, so they are read as HTML.
    """
    text = clean(_get(detail, "value") if value is None else value)
    plain = atom and clean(_get(detail, "type")) == "text/plain"
    return html.escape(text, quote=False) if plain else text


def feedparser_feed(parsed: Mapping[str, Any], *, url: str) -> RawFeed:
    """feedparser's result (`feedparser.parse(...)`) as a RawFeed."""
    version = clean(_get(parsed, "version"))
    feed = _get(parsed, "feed") or {}
    entries = _get(parsed, "entries") or []
    atom = version.startswith("atom")
    return RawFeed(
        version=version,
        title=_html(_get(feed, "title_detail"), _get(feed, "title"), atom=atom),
        link=clean(_get(feed, "link")),
        id=clean(_get(feed, "id")).strip() if atom else "",
        lang=clean(_get(feed, "language")),
        ttl=_ttl(_get(feed, "ttl")),
        authors=_authors(_get(feed, "authors")) if atom else (),
        items=tuple(
            _feedparser_item(e, atom=atom, url=url) for e in entries if isinstance(e, dict)
        ),
    )


def _feedparser_item(entry: dict[str, Any], *, atom: bool, url: str) -> RawItem:
    contents = [c for c in _get(entry, "content") or () if isinstance(c, dict)]
    content = contents[0] if contents else None
    summary = _get(entry, "summary_detail")
    title = _get(entry, "title_detail")
    base = clean(_get(content or summary, "base"))
    lang = next(
        (clean(_get(d, "language")) for d in (content, summary, title) if _get(d, "language")), ""
    )
    return RawItem(
        id=clean(_get(entry, "id")).strip(),
        atom_id=atom,
        link=_link(entry, atom=atom),
        title=_html(title, _get(entry, "title"), atom=atom),
        content=_html(content, atom=atom) if content else "",
        summary=_html(summary, _get(entry, "summary"), atom=atom),
        base="" if base == url else base,
        lang=lang,
        authors=_authors(_get(entry, "authors")),
        tags=_names(_get(t, "term") for t in _get(entry, "tags") or ()),
        image=_image(entry),
        published=_date(entry, "published") or _date(entry, "created"),
        updated=_date(entry, "updated"),
    )


def _link(entry: dict[str, Any], *, atom: bool) -> str:
    """The first alternate link, an HTML one before others; else an RSS permalink guid."""
    alternates = [
        link
        for link in _get(entry, "links") or ()
        if _get(link, "rel") in (None, "alternate") and clean(_get(link, "href"))
    ]
    alternates.sort(key=lambda link: "html" not in clean(_get(link, "type") or "text/html"))
    if alternates:
        return clean(_get(alternates[0], "href"))
    # feedparser copies an RSS guid with isPermaLink into `link`; an Atom id is no link.
    return "" if atom or not _get(entry, "guidislink") else clean(_get(entry, "link"))


def _image(entry: dict[str, Any]) -> str:
    for thumb in _get(entry, "media_thumbnail") or ():
        if _get(thumb, "url"):
            return clean(_get(thumb, "url"))
    for media in _get(entry, "media_content") or ():
        kind = clean(_get(media, "type")) or clean(_get(media, "medium"))
        if kind.startswith("image") and _get(media, "url"):
            return clean(_get(media, "url"))
    for link in _get(entry, "links") or ():
        if _get(link, "rel") == "enclosure" and clean(_get(link, "type")).startswith("image/"):
            return clean(_get(link, "href"))
    return ""


def _authors(authors: object) -> tuple[str, ...]:
    """Author names; RSS's "editor@example.com (Ed Itor)" gives "Ed Itor"."""
    names = _names(_get(a, "name") for a in (authors if isinstance(authors, list) else ()))
    return tuple(_EMAIL_NAME.sub(r"\1", name) for name in names)


def _names(values: Any) -> tuple[str, ...]:
    names: list[str] = []
    for value in values:
        text = clean(value).strip()
        if text:
            names.append(text)
        if len(names) >= _MAX_NAMES:
            break
    return tuple(names)


def _date(entry: dict[str, Any], name: str) -> datetime | None:
    """The `name` date: our own ISO 8601 / RFC 2822 reading, else feedparser's struct_time.

    feedparser rolls invalid ISO dates over (month 13 becomes January); those count as missing.
    """
    raw = clean(_get(entry, name))
    if raw:
        try:
            return parse_date(raw)
        except ValueError:
            if _ISO_DATE.match(raw):
                return None
    return _struct_time(_get(entry, f"{name}_parsed"))


def _struct_time(value: object) -> datetime | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime(*value[:5], min(value.tm_sec, 59), tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _ttl(value: object) -> float | None:
    try:
        minutes = float(clean(value).strip())
    except ValueError:
        return None
    return minutes * 60 if 0 <= minutes < 1e9 else None


def json_feed(document: object) -> RawFeed | None:
    """A decoded JSON Feed 1.x object as a RawFeed; None when it is not a JSON Feed."""
    version = _JSON_FEED_VERSIONS.get(clean(_get(document, "version")).strip().rstrip("/"))
    if version is None or not isinstance(document, dict):
        return None
    items = _get(document, "items")
    return RawFeed(
        version=version,
        title=html.escape(clean(_get(document, "title")), quote=False),
        link=clean(_get(document, "home_page_url")),
        lang=clean(_get(document, "language")),
        authors=_json_authors(document),
        items=tuple(
            _json_item(i) for i in (items if isinstance(items, list) else ()) if isinstance(i, dict)
        ),
    )


def _json_item(item: dict[str, Any]) -> RawItem:
    ident = _get(item, "id")
    tags = _get(item, "tags")
    text = html.escape(clean(_get(item, "content_text")), quote=False)
    return RawItem(
        id=str(ident) if isinstance(ident, int | float) else clean(ident).strip(),
        link=clean(_get(item, "url")),
        title=html.escape(clean(_get(item, "title")), quote=False),
        content=clean(_get(item, "content_html")) or text,
        summary=html.escape(clean(_get(item, "summary")), quote=False),
        lang=clean(_get(item, "language")),
        authors=_json_authors(item),
        tags=_names(tags if isinstance(tags, list) else ()),
        image=clean(_get(item, "image")) or clean(_get(item, "banner_image")),
        published=_json_date(_get(item, "date_published")),
        updated=_json_date(_get(item, "date_modified")),
    )


def _json_authors(holder: object) -> tuple[str, ...]:
    authors = _get(holder, "authors")  # JSON Feed 1.1; 1.0 has one "author"
    return _authors(authors if isinstance(authors, list) else [_get(holder, "author")])


def _json_date(value: object) -> datetime | None:
    try:
        return parse_date(clean(value)) if isinstance(value, str) else None
    except ValueError:
        return None
