"""Planned feed -> Atom bytes, written with feedgen, with its known traps worked around.

feedgen 1.0.0 traps (each pinned by a test in tests/test_render.py):
- it drops `rel`, `type`, `hreflang` and `length` from entry links (lkiesow/python-feedgen#135):
  the entry extension below rewrites every entry's links from what feedkit planned;
- it stamps the feed's and each entry's `updated` with the current time unless set: always set;
- it prepends entries by default: entries are added with order="append";
- it writes its own name and version into `generator`: feedkit names itself.
Its tree carries no namespaces until serialization, so the fix-ups match `link`, not
`{http://www.w3.org/2005/Atom}link` (SPEC 8).
"""

from __future__ import annotations

import html as htmllib
import mimetypes
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from feedkit import PROJECT_URL, __version__
from feedkit.dates import format_rfc3339
from feedkit.markup import markdown_to_html, sanitize_html, xml_safe
from feedkit.model import BodyFormat, Entry, FeedOrigin, PlannedEntry, PlannedFeed
from feedkit.urls import is_http_url

_EXT = "feedkit"


@dataclass(slots=True)
class ContentRenderer:
    """Renders entry bodies to sanitized HTML once per run, remembering relative URLs dropped."""

    base_url: str = ""
    _cache: dict[str, str] = field(default_factory=dict)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (origin, message)

    def html(self, entry: Entry) -> str:
        cached = self._cache.get(entry.id)
        if cached is not None:
            return cached
        base = entry.link or self.base_url
        if entry.body_format is BodyFormat.MARKDOWN:
            clean = markdown_to_html(entry.body, base=base)
        else:
            clean = sanitize_html(entry.body, base=base)
        for url in clean.dropped_urls:
            self.warnings.append(
                (entry.origin, f"relative URL {url[:80]!r} dropped: no source link or base URL")
            )
        html = xml_safe(clean.html)
        self._cache[entry.id] = html
        return html


def render_atom(feed: PlannedFeed, renderer: ContentRenderer) -> bytes:
    """The Atom document of a planned feed: same plan, same bytes."""
    fg = FeedGenerator()
    fg.register_extension(_EXT, _FeedFix, _EntryFix, rss=False)
    fix: _FeedFix = getattr(fg, _EXT)
    fix.links, fix.archive = feed.links, feed.archive
    fg.id(feed.id)
    fg.title(feed.title)
    fg.updated(feed.updated)
    fg.author({"name": feed.author})
    fg.generator("feedkit", version=__version__, uri=PROJECT_URL)
    if feed.lang:
        fg.language(feed.lang)
    if feed.alternate_url:
        fg.link(href=feed.alternate_url, rel="alternate", type="text/html")
    if feed.self_url:
        fg.link(href=feed.self_url, rel="self", type="application/atom+xml")
    for planned in feed.entries:
        _add_entry(fg, planned, renderer, combined=not feed.lang, summary_only=feed.summary_only)
    data: bytes = fg.atom_str(pretty=True, encoding="UTF-8")
    return data


def _add_entry(
    fg: Any,
    planned: PlannedEntry,
    renderer: ContentRenderer,
    *,
    combined: bool,
    summary_only: bool = False,
) -> None:
    versions = planned.versions
    first = planned.primary
    fe = fg.add_entry(order="append")
    fe.id(planned.id)
    fe.title(join_texts(v.title for v in versions))
    fe.published(planned.published)
    fe.updated(planned.updated)
    summary = join_texts(v.summary for v in versions)
    if summary:
        fe.summary(summary)
    if not (summary_only and first.link and summary):  # Atom needs content when no link
        fe.content(planned_html(planned, renderer, combined=combined), type="html")
    authors = unique(name for v in versions for name in v.authors)
    if authors:
        fe.author([{"name": name} for name in authors])
    tags = unique(tag for v in versions for tag in v.tags)
    if tags:
        fe.category([{"term": tag} for tag in tags])
    links = entry_links(first)
    if links:
        fe.link(links)  # written wrongly by feedgen; _EntryFix rewrites them from `links`
    fix: _EntryFix = getattr(fe, _EXT)
    fix.links = links
    fix.origin = first.feed


def planned_html(planned: PlannedEntry, renderer: ContentRenderer, *, combined: bool) -> str:
    """The body of a planned entry: one language's HTML, or in a combined feed each language's
    HTML in a `<div lang="…">`, in configured language order (every format writes this)."""
    if not combined:
        return renderer.html(planned.primary)
    return "\n".join(
        f'<div lang="{htmllib.escape(v.lang)}">{renderer.html(v)}</div>' for v in planned.versions
    )


def entry_links(entry: Entry) -> list[dict[str, str]]:
    links = []
    if entry.link:
        links.append({"href": entry.link, "rel": "alternate", "type": "text/html"})
    if entry.image:
        kind, _ = mimetypes.guess_type(entry.image.split("?", 1)[0])
        if kind and kind.startswith("image/"):
            links.append({"href": entry.image, "rel": "enclosure", "type": kind})
    return links


def join_texts(parts: Iterable[str]) -> str:
    return " / ".join(unique(part for part in parts if part))


def unique(items: Iterable[str]) -> list[str]:
    """Distinct texts in order, each safe for XML (a stored entry never breaks rendering)."""
    return list(dict.fromkeys(xml_safe(item) for item in items))


def _fix_dates(parent: Any) -> None:
    """RFC 3339 in its plainest form: UTC, 'Z', whole seconds."""
    for child in parent:
        if child.tag in ("updated", "published") and child.text:
            child.text = format_rfc3339(datetime.fromisoformat(child.text))


FH_NS = "http://purl.org/syndication/history/1.0"


class _FeedFix(BaseExtension):  # type: ignore[misc]
    def __init__(self) -> None:
        self.links: tuple[tuple[str, str, str], ...] = ()
        self.archive = False

    def extend_ns(self) -> dict[str, str]:
        return {"fh": FH_NS} if self.archive else {}

    def extend_atom(self, feed: Any) -> Any:
        _fix_dates(feed)
        for rel, href, kind in self.links:
            link = xml_elem("link", feed, href=href, rel=rel)
            if kind:
                link.attrib["type"] = kind
        if self.archive:
            xml_elem(f"{{{FH_NS}}}archive", feed)
        return feed


class _EntryFix(BaseEntryExtension):  # type: ignore[misc]
    def __init__(self) -> None:
        self.links: list[dict[str, str]] = []
        self.origin: FeedOrigin | None = None

    def extend_atom(self, entry: Any) -> Any:
        _fix_dates(entry)
        for old in entry.findall("link"):
            entry.remove(old)
        for link in self.links:
            xml_elem("link", entry, **link)
        if self.origin is not None and is_http_url(self.origin.url):
            # a feed read from a local file is no source a reader could follow, and its file:
            # URL would publish the publisher's paths: such entries carry no atom:source
            self._write_source(entry, self.origin)
        return entry

    @staticmethod
    def _write_source(entry: Any, origin: FeedOrigin) -> None:
        source = xml_elem("source", entry)
        xml_elem("id", source).text = origin.id
        xml_elem("title", source).text = origin.title or origin.url
        if origin.url:
            xml_elem("link", source, href=origin.url, rel="self")
        if origin.updated is not None:
            xml_elem("updated", source).text = format_rfc3339(origin.updated)
