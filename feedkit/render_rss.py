"""Planned feed -> RSS 2.0 bytes, written with feedgen, with its known traps worked around.

The same `PlannedFeed` the Atom renderer gets, so both documents list the same items in the same
order with the same titles, links and dates.  Choices (SPEC 3.1, 8):

- channel `<link>` (required by RSS): the feed's alternate URL, else the RSS self URL, else the
  first item's link; with none of them (no base URL and no linked entry) it is left out: feedparser
  reads such a feed cleanly, but validators report the missing link - configure a base URL;
- channel `<description>` (required): the given description, else the feed title;
- `atom:link rel="self" type="application/rss+xml"` points at the `.rss.xml` file, never the Atom
  one, and is written only when `rss_self_url` is known;
- item `<guid isPermaLink="true">` only when the guid is the item's link; feedkit ids are
  `urn:`/`tag:` IRIs, so normally `isPermaLink="false"`;
- item `<description>` is the plain-text summary (else a plain-text excerpt of the content, since
  validators want a description before `content:encoded`), HTML-escaped because RSS readers treat
  it as HTML; the full sanitized HTML goes into `content:encoded`, never into `<description>`;
- authors are `dc:creator`: RSS `<author>` must be an e-mail address.  An item without authors
  names the feed author, which is what Atom readers inherit from the feed;
- the enclosure is the entry image whose media type is known, with `length="0"`: RSS requires a
  length, and the RSS Advisory Board's profile says 0 when the size is unknown.

feedgen 1.0.0 traps, each pinned by a test in tests/test_render_formats.py:
- it stamps `lastBuildDate` with the current time: set it to the feed's `updated`;
- it prepends items by default: items are added with order="append";
- it writes "python-feedgen" into `<generator>`: feedkit names itself;
- it writes the channel `<link>` from the *last* feed link added, whatever its rel: the self link
  goes in first, the alternate last;
- given content but no description it puts the HTML into `<description>`: content is never handed
  to feedgen, the extension below writes `content:encoded` itself.
"""

from __future__ import annotations

import html as htmllib
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from feedkit import __version__
from feedkit.markup import html_to_text, shorten
from feedkit.model import PlannedEntry, PlannedFeed
from feedkit.render import ContentRenderer, entry_links, join_texts, planned_html, unique

__all__ = ["RSS_MEDIA_TYPE", "render_rss", "rss_filename"]

RSS_MEDIA_TYPE = "application/rss+xml"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
EXCERPT_WIDTH = 280  # display columns of a description made from the content
_EXT = "feedkit"
ATOM_NS = "http://www.w3.org/2005/Atom"
_NO_LINK = "about:blank"  # feedgen refuses a channel without a link; removed again on output


def rss_filename(atom_filename: str) -> str:
    """The RSS file beside an Atom one: "zh.atom.xml" -> "zh.rss.xml"."""
    return atom_filename.removesuffix(".atom.xml") + ".rss.xml"


def render_rss(
    feed: PlannedFeed, renderer: ContentRenderer, *, rss_self_url: str, description: str = ""
) -> bytes:
    """The RSS 2.0 document of a planned feed: same plan, same bytes."""
    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)
    fg.register_extension(_EXT, _ChannelFix, _ItemFix, atom=False, rss=True)
    fg.title(feed.title)
    fg.description(description or feed.title)
    fg.lastBuildDate(feed.updated)
    fg.generator(f"feedkit {__version__}")
    if feed.lang:
        fg.language(feed.lang)
    if rss_self_url:
        fg.link(href=rss_self_url, rel="self", type=RSS_MEDIA_TYPE)
    channel_fix: _ChannelFix = getattr(fg, _EXT)
    channel_fix.hubs = [href for rel, href, _ in feed.links if rel == "hub"]  # WebSub
    first_link = next((p.primary.link for p in feed.entries if p.primary.link), "")
    channel_link = feed.alternate_url or rss_self_url or first_link
    fg.link(href=channel_link or _NO_LINK, rel="alternate")  # last: feedgen's channel <link>
    for planned in feed.entries:
        _add_item(
            fg,
            planned,
            renderer,
            combined=not feed.lang,
            feed_author=feed.author,
            summary_only=feed.summary_only,
        )
    data: bytes = fg.rss_str(pretty=True, encoding="UTF-8")
    return data


def _add_item(
    fg: Any,
    planned: PlannedEntry,
    renderer: ContentRenderer,
    *,
    combined: bool,
    feed_author: str,
    summary_only: bool = False,
) -> None:
    versions = planned.versions
    first = planned.primary
    fe = fg.add_entry(order="append")
    fe.guid(planned.id, permalink=bool(first.link) and planned.id == first.link)
    fe.title(join_texts(v.title for v in versions))
    fe.published(planned.published)
    html = planned_html(planned, renderer, combined=combined)
    summary = join_texts(v.summary for v in versions) or shorten(html_to_text(html), EXCERPT_WIDTH)
    if summary:
        fe.description(htmllib.escape(summary, quote=False))
    links = entry_links(first)  # alternate -> <link>, enclosure -> <enclosure length="0">
    if links:
        fe.link(links)
    tags = unique(tag for v in versions for tag in v.tags)
    if tags:
        fe.category([{"term": tag} for tag in tags])
    authors = unique(name for v in versions for name in v.authors) or (
        [feed_author] if feed_author else []
    )
    if authors:
        fe.dc.dc_creator(authors)
    if first.feed is not None and first.feed.url.startswith(("http://", "https://")):
        fe.source(url=first.feed.url, title=first.feed.title or first.feed.url)
    fix: _ItemFix = getattr(fe, _EXT)
    fix.html = "" if summary_only else html


class _ChannelFix(BaseExtension):  # type: ignore[misc]
    def __init__(self) -> None:
        self.hubs: list[str] = []

    def extend_rss(self, rss: Any) -> Any:
        channel = rss.find("channel")
        for href in self.hubs:
            xml_elem(f"{{{ATOM_NS}}}link", channel, href=href, rel="hub")
        link = channel.find("link")
        if link is not None and link.text == _NO_LINK:
            channel.remove(link)
        return rss


class _ItemFix(BaseEntryExtension):  # type: ignore[misc]
    def __init__(self) -> None:
        self.html = ""

    def extend_rss(self, item: Any) -> Any:
        if not self.html:
            return item
        encoded = xml_elem(f"{{{CONTENT_NS}}}encoded", item)
        encoded.text = self.html
        # Beside <description> (or the title and link), where people reading the XML look for it.
        for tag in ("description", "link", "title"):
            anchor = item.find(tag)
            if anchor is not None:
                anchor.addnext(encoded)
                break
        return item
