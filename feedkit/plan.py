"""Which entries go into which feed, in which order, under which identity (pure)."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Protocol

from feedkit.archive import plan_archives
from feedkit.dedupe import R, Ranked, best_per_slot
from feedkit.ids import urn_uuid5
from feedkit.model import Entry, FeedSettings, PlannedEntry, PlannedFeed
from feedkit.slug import slugify

COMBINED = "all"
EMPTY_FEED_UPDATED = datetime(1970, 1, 1, tzinfo=UTC)  # a feed with no entries: fixed, never "now"


def feed_languages(entries: Iterable[Ranked], settings: FeedSettings) -> list[str]:
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
    newest_first = sorted(entries, key=_entry_order)
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


def preselect(entries: Iterable[R], settings: FeedSettings) -> list[R]:
    """Deduplicated, and cut down to the articles that can reach a feed: `plan_feeds` plans the
    same feeds from the result as from every deduplicated entry.

    Kept: every language version of each article (key) at least as new as a language feed's
    `max_entries`-th newest entry, or whose article is at least as new as the combined feed's
    (ties at the cut included).  With archives, tag or author feeds, any entry may be
    published, and all are kept.  This is what lets `convert` build entries for about 150 of
    10,000 scanned articles.
    """
    best = list(best_per_slot(entries).values())
    limit = settings.max_entries
    if settings.archive or settings.tag_feeds or settings.author_feeds or limit < 1:
        return best
    wanted = set(feed_languages(best, settings))
    kept = [entry for entry in best if entry.lang in wanted]
    by_lang: dict[str, list[R]] = {}
    first_published: dict[str, datetime] = {}  # key -> its article's published (the earliest)
    for entry in kept:
        by_lang.setdefault(entry.lang, []).append(entry)
        held = first_published.get(entry.key)
        if held is None or entry.published < held:
            first_published[entry.key] = entry.published
    keys: set[str] = set()
    for items in by_lang.values():
        cut = _cut((entry.published for entry in items), limit)
        keys.update(entry.key for entry in items if entry.published >= cut)
    cut = _cut(first_published.values(), limit)
    keys.update(key for key, published in first_published.items() if published >= cut)
    return [entry for entry in kept if entry.key in keys]


def _cut(moments: Iterable[datetime], limit: int) -> datetime:
    """The `limit`-th newest of `moments` (the oldest of them, when there are fewer)."""
    newest = heapq.nlargest(limit, moments)
    return newest[-1] if newest else EMPTY_FEED_UPDATED


class _Dated(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def published(self) -> datetime: ...


def _entry_order(entry: _Dated) -> tuple[float, str]:
    """A feed's order: newest first, then by id."""
    return (-entry.published.timestamp(), entry.id)


def _group_id(versions: Sequence[Ranked]) -> str:
    return versions[0].group_id or versions[0].id


def _groups(entries: Iterable[R], settings: FeedSettings) -> dict[str, list[R]]:
    """Each article's versions (by key), in the configured language order."""
    groups: dict[str, list[R]] = {}
    for entry in entries:
        groups.setdefault(entry.key, []).append(entry)
    for versions in groups.values():
        versions.sort(key=lambda e: (_order_index(e.lang, settings), e.lang))
    return groups


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
    planned = [
        PlannedEntry(id=_group_id(versions), versions=tuple(versions))
        for versions in _groups(entries, settings).values()
    ]
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
    entries.sort(key=_entry_order)
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
        feed_id = urn_uuid5(name)
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
