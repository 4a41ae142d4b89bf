"""Entries -> planned feeds -> every output document: Atom always, RSS and JSON Feed when asked,
and an OPML subscription list (pure, but for what a Finisher reads)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from feedkit.dedupe import dedupe
from feedkit.model import Entry, FeedSettings, PlannedFeed, Problem
from feedkit.opml import OpmlFeed, render_opml
from feedkit.plan import EMPTY_FEED_UPDATED, plan_feeds, with_versions
from feedkit.reading import Finisher
from feedkit.render import ContentRenderer, render_atom
from feedkit.render_json import json_filename, render_json
from feedkit.render_rss import render_rss, rss_filename

OPML_FILENAME = "feeds.opml"


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    """One file to publish, relative to the output folder."""

    filename: str
    data: bytes
    entries: int | None = None  # entries in a feed document; None for the OPML list


def build_feeds(
    entries: Sequence[Entry], settings: FeedSettings, *, finish: Finisher | None = None
) -> tuple[list[PlannedFeed], list[Document], list[Problem]]:
    """Dedupe, plan and render: every output document.

    `finish`, when given, completes scanned entries (see `articles.parse_article(full=False)`)
    once the plan has chosen them: only published entries are read in full.
    """
    planned = plan_feeds(dedupe(entries), settings)
    finish_problems: list[Problem] = []
    if finish is not None:
        chosen = {v.id: v for feed in planned for item in feed.entries for v in item.versions}
        finished, finish_problems = finish(list(chosen.values()))
        planned = with_versions(planned, finished)
    renderer = ContentRenderer(base_url=settings.base_url)
    documents = render_documents(planned, settings, renderer)
    warnings = [
        Problem(where=origin, message=message, fatal=False)
        for origin, message in dict.fromkeys(renderer.warnings)
    ]
    return planned, documents, finish_problems + warnings


def render_documents(
    planned: Sequence[PlannedFeed], settings: FeedSettings, renderer: ContentRenderer
) -> list[Document]:
    """Every document of a set of planned feeds, in a stable order."""
    base = settings.base_url
    documents: list[Document] = []
    for feed in planned:
        count = len(feed.entries)
        documents.append(
            Document(filename=feed.filename, data=render_atom(feed, renderer), entries=count)
        )
        if feed.archive:
            continue  # RFC 5005 archives are Atom documents only
        if "rss" in settings.formats:
            name = rss_filename(feed.filename)
            data = render_rss(feed, renderer, rss_self_url=base + name if base else "")
            documents.append(Document(filename=name, data=data, entries=count))
        if "json" in settings.formats:
            name = json_filename(feed.filename)
            data = render_json(feed, renderer, json_self_url=base + name if base else "")
            documents.append(Document(filename=name, data=data, entries=count))
    documents.append(Document(filename=OPML_FILENAME, data=_opml(planned, settings)))
    return documents


def _opml(planned: Sequence[PlannedFeed], settings: FeedSettings) -> bytes:
    """The subscription list: every published (non-archive) feed, in each format written."""
    base = settings.base_url
    outlines = []
    for feed in planned:
        if feed.archive:
            continue
        names = [("atom", feed.filename)]
        if "rss" in settings.formats:
            names.append(("rss", rss_filename(feed.filename)))
        if "json" in settings.formats:
            names.append(("json", json_filename(feed.filename)))
        for kind, name in names:
            outlines.append(
                OpmlFeed(
                    title=feed.title if kind == "atom" else f"{feed.title} ({kind.upper()})",
                    xml_url=base + name,
                    html_url=feed.alternate_url,
                    lang=feed.lang,
                    kind=kind,
                )
            )
    newest = max((feed.updated for feed in planned), default=EMPTY_FEED_UPDATED)
    return render_opml(outlines, title=settings.title, date=newest)
