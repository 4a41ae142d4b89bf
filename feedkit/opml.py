"""The published feeds as an OPML 2.0 subscription list (http://opml.org/spec2.opml) (pure).

One `<outline type="rss">` per feed: readers use `type="rss"` for Atom and JSON feeds too, and
tell the format from the document they fetch.  `version="RSS2"` is added for RSS feeds only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from feedkit.dates import format_rfc822

__all__ = ["OPML_MEDIA_TYPE", "OpmlFeed", "render_opml"]

OPML_MEDIA_TYPE = "text/x-opml"
_KINDS = frozenset({"atom", "rss", "json"})
# Characters XML 1.0 cannot carry at all; lxml refuses them, so they are dropped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True, slots=True, kw_only=True)
class OpmlFeed:
    """One feed in the list.

    `xml_url` should be absolute: readers need absolute URLs to import a list.  Without a base URL
    it can only be the file name relative to the OPML file, which a reader opening the OPML file
    from disk resolves, but one importing it by upload cannot.
    """

    title: str
    xml_url: str
    html_url: str = ""
    lang: str = ""
    kind: str = "atom"  # "atom", "rss" or "json"

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"OpmlFeed.kind must be 'atom', 'rss' or 'json', got {self.kind!r}")
        if not self.xml_url:
            raise ValueError("OpmlFeed.xml_url must not be empty")


def render_opml(feeds: Sequence[OpmlFeed], *, title: str, date: datetime) -> bytes:
    """The OPML 2.0 document listing `feeds` in the given order: same inputs, same bytes.

    `date` (aware; written as RFC 822 in UTC) becomes `dateCreated`: pass the newest feed's
    `updated`, not "now", so an unchanged set of feeds gives an unchanged file.
    """
    if date.tzinfo is None or date.utcoffset() is None:
        raise ValueError(f"render_opml needs an aware date, got {date!r}")
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = _xml_text(title)
    etree.SubElement(head, "dateCreated").text = format_rfc822(date)
    etree.SubElement(head, "docs").text = "http://opml.org/spec2.opml"
    body = etree.SubElement(root, "body")
    for feed in feeds:
        label = _xml_text(feed.title) or _xml_text(feed.xml_url)
        attrs = {"type": "rss", "text": label, "title": label, "xmlUrl": _xml_text(feed.xml_url)}
        if feed.html_url:
            attrs["htmlUrl"] = _xml_text(feed.html_url)
        if feed.lang:
            attrs["language"] = _xml_text(feed.lang)
        if feed.kind == "rss":
            attrs["version"] = "RSS2"
        etree.SubElement(body, "outline", attrs)
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return data


def _xml_text(value: str) -> str:
    return _NOT_XML.sub("", value)
