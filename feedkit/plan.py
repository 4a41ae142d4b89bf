"""Which entries go into which feed, in which order, under which identity (pure)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from feedkit.archive import plan_archives
from feedkit.model import Entry, FeedSettings, PlannedEntry, PlannedFeed
from feedkit.slug import slugify

COMBINED = "all"
EMPTY_FEED_UPDATED = datetime(1970, 1, 1, tzinfo=UTC)  # a feed with no entries: fixed, never "now"


def feed_languages(entries: Sequence[Entry], settings: FeedSettings) -> list[str]:
    """The language feeds to write: configured ones, else every language found, in order."""
    found = {entry.lang for entry in entries}
    langs = list(settings.languages) if settings.languages else sorted(found)
    return sorted(langs, key=lambda code: (_order_index(code, settings), code))


def plan_feeds(entries: Sequence[Entry], settings: FeedSettings) -> list[PlannedFeed]:
    """The combined feed first, then one feed per language, each newest first, at most
    `max_entries` long.  `entries` must already be deduplicated."""
    langs = feed_languages(entries, settings)
    wanted = set(langs)
    kept = [entry for entry in entries if entry.lang in wanted]
    feeds = _combined(kept, settings)
    for lang in langs:
        chosen = [
            PlannedEntry(id=entry.id, versions=(entry,)) for entry in kept if entry.lang == lang
        ]
        feeds += _feed(f"{lang}.atom.xml", settings.title_for(lang), lang, chosen, settings)
    if settings.tag_feeds:
        feeds += _facet_feeds(kept, langs, settings, "tag", lambda e: e.tags)
    if settings.author_feeds:
        feeds += _facet_feeds(kept, langs, settings, "author", lambda e: e.authors)
    return feeds


def _facet_feeds(
    entries: Sequence[Entry],
    langs: Sequence[str],
    settings: FeedSettings,
    kind: str,
    terms_of: Callable[[Entry], Sequence[str]],
) -> list[PlannedFeed]:
    """One feed per (tag or author, language): `KIND/<slug>/<lang>.atom.xml`.  Terms that share
    a slug ("AI", "ai") share a feed, titled with the spelling of its newest entry."""
    feeds: list[PlannedFeed] = []
    newest_first = sorted(entries, key=lambda e: (-e.published.timestamp(), e.id))
    for lang in langs:
        by_slug: dict[str, tuple[str, list[PlannedEntry]]] = {}
        for entry in newest_first:
            if entry.lang != lang:
                continue
            for term in dict.fromkeys(terms_of(entry)):
                _, items = by_slug.setdefault(slugify(term), (term, []))
                if not items or items[-1].id != entry.id:
                    items.append(PlannedEntry(id=entry.id, versions=(entry,)))
        for slug in sorted(by_slug):
            term, items = by_slug[slug]
            title = f"{settings.title_for(lang)} · {term}"
            # The title follows the newest entry's spelling; the id must not, so without a base
            # URL it derives from the slug.
            name = f"{settings.title_for(lang)} · {kind}/{slug}"
            feeds += _feed(
                f"{kind}/{slug}/{lang}.atom.xml", title, lang, items, settings, id_name=name
            )
    return feeds


def with_versions(planned: Sequence[PlannedFeed], full: Mapping[str, Entry]) -> list[PlannedFeed]:
    """The same plan with each version replaced by `full[version.id]`; versions missing from
    `full` are left out, and entries left with no version with them."""
    result = []
    for feed in planned:
        entries = []
        for item in feed.entries:
            versions = tuple(full[v.id] for v in item.versions if v.id in full)
            if versions:
                entries.append(replace(item, versions=versions))
        result.append(replace(feed, entries=tuple(entries)))
    return result


def _combined(entries: Sequence[Entry], settings: FeedSettings) -> list[PlannedFeed]:
    groups: dict[str, list[Entry]] = {}
    for entry in entries:
        groups.setdefault(entry.key, []).append(entry)
    planned = []
    for versions in groups.values():
        versions.sort(key=lambda e: (_order_index(e.lang, settings), e.lang))
        planned.append(
            PlannedEntry(id=versions[0].group_id or versions[0].id, versions=tuple(versions))
        )
    return _feed(f"{COMBINED}.atom.xml", settings.title, "", planned, settings)


def _feed(
    filename: str,
    title: str,
    lang: str,
    entries: list[PlannedEntry],
    settings: FeedSettings,
    *,
    id_name: str = "",
) -> list[PlannedFeed]:
    """The feed document (newest first, at most max_entries), and its RFC 5005 archive
    documents when archiving is on.  Without a base URL the feed id derives from `id_name`
    (default: the title) and the language."""
    entries.sort(key=lambda e: (-e.published.timestamp(), e.id))
    if settings.archive:
        whole = _document(filename, title, lang, tuple(entries), settings, id_name=id_name)
        return plan_archives(
            whole,
            max_entries=settings.max_entries,
            page_size=settings.archive_page_size,
            base_url=settings.base_url,
        )
    chosen = tuple(entries[: settings.max_entries])
    return [_document(filename, title, lang, chosen, settings, id_name=id_name)]


def _document(
    filename: str,
    title: str,
    lang: str,
    chosen: tuple[PlannedEntry, ...],
    settings: FeedSettings,
    *,
    id_name: str = "",
) -> PlannedFeed:
    base = settings.base_url
    if base:
        feed_id = base + filename
    else:
        name = f"feedkit:{id_name or title}#{lang}"
        feed_id = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"
    updated = max((e.updated for e in chosen), default=EMPTY_FEED_UPDATED)
    return PlannedFeed(
        filename=filename,
        id=feed_id,
        title=title,
        lang=lang,
        self_url=base + filename if base else "",
        alternate_url=base,
        author=settings.author or settings.title,
        updated=updated,
        entries=chosen,
        summary_only=settings.summary_only,
        links=(("hub", settings.hub, ""),) if settings.hub else (),
    )


def _order_index(lang: str, settings: FeedSettings) -> int:
    try:
        return settings.lang_order.index(lang)
    except ValueError:
        return len(settings.lang_order)
