"""Planned feed -> JSON Feed 1.1 bytes (https://jsonfeed.org/version/1.1) (pure).

The same `PlannedFeed` the Atom renderer gets: the same items in the same order, with the same
ids, titles, links, dates and sanitized HTML.  Keys are written in a fixed order (the order the
spec lists them), optional members only when they have a value, so the same plan always gives
the same bytes.  Choices:

- `feed_url` only when the JSON file's own URL is known (a base URL is configured);
- feed `authors` is the feed author; an item carries `authors` only when the entry names its own
  (JSON Feed 1.1: an item without authors inherits the feed's);
- `content_html` is always present (possibly empty), so every item has the content the spec
  requires; `content_text` is left for summary-only mode;
- `language` on the feed for language feeds; on an item when it holds one language version (a
  combined item with several versions holds each in a `<div lang="…">` instead);
- `image` is the entry image (an absolute http(s) URL).
"""

from __future__ import annotations

import json
from typing import Any

from feedkit.dates import format_rfc3339
from feedkit.model import PlannedEntry, PlannedFeed
from feedkit.render import ContentRenderer, join_texts, planned_html, unique

__all__ = ["JSON_FEED_MEDIA_TYPE", "JSON_FEED_VERSION", "json_filename", "render_json"]

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
JSON_FEED_MEDIA_TYPE = "application/feed+json"


def json_filename(atom_filename: str) -> str:
    """The JSON Feed file beside an Atom one: "zh.atom.xml" -> "zh.json"."""
    return atom_filename.removesuffix(".atom.xml") + ".json"


def render_json(
    feed: PlannedFeed, renderer: ContentRenderer, *, json_self_url: str, description: str = ""
) -> bytes:
    """The JSON Feed 1.1 document of a planned feed: UTF-8, indented, newline-terminated."""
    doc: dict[str, Any] = {"version": JSON_FEED_VERSION, "title": feed.title}
    _put(doc, "home_page_url", feed.alternate_url)
    _put(doc, "feed_url", json_self_url)
    _put(doc, "description", description)
    if feed.author:
        doc["authors"] = [{"name": feed.author}]
    _put(doc, "language", feed.lang)
    hubs = [{"type": "WebSub", "url": href} for rel, href, _ in feed.links if rel == "hub"]
    if hubs:
        doc["hubs"] = hubs
    combined = not feed.lang
    doc["items"] = [
        _item(planned, renderer, combined=combined, summary_only=feed.summary_only)
        for planned in feed.entries
    ]
    text = json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=False)
    return (text + "\n").encode("utf-8")


def _item(
    planned: PlannedEntry, renderer: ContentRenderer, *, combined: bool, summary_only: bool = False
) -> dict[str, Any]:
    versions = planned.versions
    first = planned.primary
    item: dict[str, Any] = {"id": planned.id}
    _put(item, "url", first.link)
    _put(item, "title", join_texts(v.title for v in versions))
    summary = join_texts(v.summary for v in versions)
    if summary_only and summary:
        item["content_text"] = summary  # JSON Feed needs content_html or content_text
    else:
        item["content_html"] = planned_html(planned, renderer, combined=combined)
    _put(item, "summary", summary)
    _put(item, "image", first.image)
    item["date_published"] = format_rfc3339(planned.published)
    item["date_modified"] = format_rfc3339(planned.updated)
    authors = unique(name for v in versions for name in v.authors)
    if authors:
        item["authors"] = [{"name": name} for name in authors]
    tags = unique(tag for v in versions for tag in v.tags)
    if tags:
        item["tags"] = tags
    if len(versions) == 1:
        _put(item, "language", first.lang)
    return item


def _put(target: dict[str, Any], key: str, value: str) -> None:
    if value:
        target[key] = value
