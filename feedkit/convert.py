"""`feedkit convert`: folders, article files, feed files and feed URLs into feeds, once.

Needs no configuration and keeps no state.  Articles are scanned cheaply and only the entries
that are published are read in full.  feedparser and requests are imported only when a feed
file or URL is converted, so converting articles starts fast.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from feedkit.clock import Clock, utc_now
from feedkit.discover import ARTICLE_SUFFIXES
from feedkit.errors import ConfigError, FeedFormatError, FetchError
from feedkit.model import ArticleOptions, Entry, FeedSettings, Problem, RunReport, Scanned
from feedkit.plan import preselect
from feedkit.publish import publish_documents
from feedkit.reading import Collected, Finisher, Progress, collect_articles, finish_articles
from feedkit.urls import DEFAULT_RULES, UrlRules, is_http_url

if TYPE_CHECKING:
    from feedkit.fetch import Fetcher

log = logging.getLogger(__name__)


def convert(
    sources: Sequence[str],
    output: Path,
    settings: FeedSettings = FeedSettings(),
    *,
    options: ArticleOptions = ArticleOptions(),
    rules: UrlRules = DEFAULT_RULES,
    tz: tzinfo = UTC,
    progress: Progress | None = None,
    clock: Clock = utc_now,
    check_links: bool = False,
) -> RunReport:
    """`feedkit convert`: every SRC (article folder or file, feed file or feed URL) into feeds
    under `output`.  Needs no configuration and keeps no state.

    With `check_links`, every source link is checked once, uncached (SPEC 1.3): a page's own
    canonical link joins spellings before deduplication, and its image (and date, for files
    without one) fill what the file lacks.
    """
    if not sources:
        raise ConfigError("no sources given")
    collected = Collected()
    fetcher: Fetcher | None = None
    try:
        for priority, src in enumerate(sources):
            if is_http_url(src):
                if fetcher is None:
                    from feedkit.fetch import Fetcher  # noqa: PLC0415 - requests only if needed

                    fetcher = Fetcher(clock=clock)
                collected.extend(_convert_feed(src, priority, fetcher, clock))
                continue
            path = Path(src)
            if not path.exists() and not path.is_symlink():
                raise ConfigError(f"{src}: no such file or folder")
            if path.is_file() and looks_like_feed(path):
                collected.extend(_convert_feed(src, priority, None, clock))
                continue
            collected.extend(
                collect_articles(
                    path,
                    source=path.name or str(path),
                    priority=priority,
                    options=options,
                    rules=rules,
                    tz=tz,
                    progress=progress,
                    full=False,
                    meanwhile=_load_renderers,
                )
            )
    finally:
        if fetcher is not None:
            fetcher.close()
    from feedkit.documents import build_feeds  # noqa: PLC0415 - see _load_renderers

    finish = _finish_scanned(finish_articles(options, rules, tz))
    if check_links:
        entries, finish = _with_page_meta(collected, finish, rules, clock)
    else:
        # Entries are built only for the articles that can be published (plan.preselect).
        items: list[Entry | Scanned] = [*collected.entries, *collected.scanned]
        chosen = preselect(items, settings)
        entries = [item if isinstance(item, Entry) else item.entry() for item in chosen]
    planned, documents, render_warnings = build_feeds(entries, settings, finish=finish)
    failed = any(problem.fatal for problem in collected.problems)
    written, unchanged, publish_problems = publish_documents(
        output, documents, keep_existing_when_empty=failed
    )
    log.info(
        "%d entries from %d sources; %d files written, %d unchanged",
        len(collected.entries) + len(collected.scanned),
        len(sources),
        len(written),
        len(unchanged),
    )
    return RunReport(
        written=tuple(written),
        unchanged=tuple(unchanged),
        entries=len(planned[0].entries) if planned else 0,
        problems=tuple(collected.problems + render_warnings + publish_problems),
    )


def _load_renderers() -> None:
    """Import what reads in full, renders and writes the feeds (feedgen and lxml: ~70 ms;
    difflib, tempfile) while workers scan files."""
    import difflib  # noqa: F401, PLC0415
    import tempfile  # noqa: F401, PLC0415

    import feedkit.documents  # noqa: F401, PLC0415


def _with_page_meta(
    collected: Collected, finish: Finisher, rules: UrlRules, clock: Clock
) -> tuple[list[Entry], Finisher]:
    """Check every source link once; apply what the pages say to the scanned entries (for
    deduplication) and again to the entries read in full (for what is published)."""
    from feedkit.linkcheck import LinkChecker, PageFetcher, apply_page_meta  # noqa: PLC0415

    scanned = [*collected.entries, *(item.entry() for item in collected.scanned)]
    links = sorted({entry.link for entry in scanned if entry.link})
    with PageFetcher(clock=clock) as pages:
        results = LinkChecker(pages, None, clock=clock, rules=rules).check(links, use_cache=False)
    undated = set(collected.undated)

    def apply(entries: Sequence[Entry]) -> list[Entry]:
        return apply_page_meta(entries, results, rules, undated_ids=undated)

    def finish_with_meta(entries: Sequence[Entry]) -> tuple[dict[str, Entry], list[Problem]]:
        done, problems = finish(entries)
        return {e.id: e for e in apply(list(done.values()))}, problems

    return apply(scanned), finish_with_meta


def _finish_scanned(articles: Finisher) -> Finisher:
    """Complete the scanned article entries; entries from feeds are complete already."""

    def finish(entries: Sequence[Entry]) -> tuple[dict[str, Entry], list[Problem]]:
        scanned = [e for e in entries if not e.title and not e.body and e.feed is None]
        done, problems = articles(scanned)
        done.update((e.id, e) for e in entries if e.id not in done and e not in scanned)
        return done, problems

    return finish


_FEED_SUFFIXES = frozenset({".xml", ".rss", ".atom", ".rdf", ".json", ".feed"})


def looks_like_feed(path: Path) -> bool:
    """A file given to `convert` is a feed by its suffix, or by starting like XML or JSON."""
    suffix = path.suffix.lower()
    if suffix in _FEED_SUFFIXES:
        return True
    if suffix in ARTICLE_SUFFIXES:
        return False
    try:
        with open(path, "rb") as handle:
            head = handle.read(512).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return False
    return head.startswith((b"<", b"{"))


def _convert_feed(src: str, priority: int, fetcher: Fetcher | None, clock: Clock) -> Collected:
    """One feed file or URL, read once, as entries (its problems reported, never raised)."""
    from feedkit.remote import RemoteOptions, parse_feed  # noqa: PLC0415 - feedparser if needed
    from feedkit.sources import read_feed_file  # noqa: PLC0415

    name = src if fetcher is not None else Path(src).name
    try:
        if fetcher is not None:
            result = fetcher.fetch(src)
            body, headers = result.body, dict(result.headers)
            if result.status != 200:
                return Collected(problems=[Problem(where=src, message=f"HTTP {result.status}")])
        else:
            body, headers = read_feed_file(Path(src)), {}
        parsed = parse_feed(
            body,
            url=src if fetcher is not None else Path(src).resolve().as_uri(),
            headers=headers,
            options=RemoteOptions(source=name, priority=priority),
            now=clock(),
        )
    except (FetchError, FeedFormatError) as exc:
        return Collected(problems=[Problem(where=src, message=_without_prefix(str(exc), src))])
    warnings = [Problem(where=src, message=text, fatal=False) for text in parsed.problems]
    return Collected(entries=list(parsed.entries), problems=warnings)


def _without_prefix(message: str, where: str) -> str:
    for prefix in (where, str(Path(where).resolve().as_uri())):
        if message.startswith(prefix + ": "):
            return message[len(prefix) + 2 :]
    return message
