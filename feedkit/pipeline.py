"""The one orchestrator: read sources, dedupe, plan, render, publish."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, tzinfo
from pathlib import Path

from feedkit.clock import Clock, utc_now
from feedkit.config import FeedConfig, SourceConfig
from feedkit.dates import load_tz
from feedkit.dedupe import dedupe
from feedkit.discover import ARTICLE_SUFFIXES
from feedkit.documents import Document, render_documents
from feedkit.errors import ConfigError, FeedFormatError, FetchError, PublishError
from feedkit.fetch import Fetcher
from feedkit.lock import LockBusy, feed_lock
from feedkit.model import ArticleOptions, Entry, FeedSettings, PlannedFeed, Problem, RunReport
from feedkit.plan import plan_feeds, with_versions
from feedkit.publish import write_if_changed
from feedkit.reading import Collected, Finisher, Progress, collect_articles, finish_articles
from feedkit.remote import RemoteOptions, parse_feed
from feedkit.render import ContentRenderer
from feedkit.sources import (
    RefreshContext,
    SourceOutcome,
    read_feed_file,
    refresh_remotes,
    stored_entries,
)
from feedkit.store import Store
from feedkit.urls import DEFAULT_RULES, UrlRules, is_http_url

log = logging.getLogger(__name__)

__all__ = ["Collected", "Progress", "build_feeds", "collect_articles", "convert", "run_once"]


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


def publish(
    output: Path,
    documents: Sequence[Document],
    *,
    keep_existing_when_empty: bool,
) -> tuple[list[Path], list[Path], list[Problem]]:
    """Write each document that changed.  With `keep_existing_when_empty`, a feed that would
    lose every entry (its inputs failed) is left as it was rather than emptied."""
    written: list[Path] = []
    unchanged: list[Path] = []
    problems: list[Problem] = []
    for document in documents:
        path = output / document.filename
        if keep_existing_when_empty and document.entries == 0 and path.exists():
            problems.append(
                Problem(where=str(path), message="not emptied: its inputs failed", fatal=False)
            )
            continue
        try:
            changed = write_if_changed(path, document.data)
        except PublishError as exc:
            problems.append(Problem(where=str(path), message=exc.reason))
            continue
        (written if changed else unchanged).append(path)
    return written, unchanged, problems


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedRun:
    """One configured feed's pass: per-source outcomes and what was written."""

    feed: str
    outcomes: tuple[SourceOutcome, ...]
    report: RunReport
    seconds: float

    def summary(self) -> str:
        ok = sum(o.ok for o in self.outcomes)
        new = sum(o.new for o in self.outcomes)
        changed = sum(o.changed for o in self.outcomes)
        return (
            f"{self.feed}: sources {ok} ok, {len(self.outcomes) - ok} failed; entries {new} new, "
            f"{changed} updated, {self.report.entries} published; "
            f"{len(self.report.written)} files written; {self.seconds:.2f} s"
        )


def run_feed(
    feed: FeedConfig,
    output_root: Path,
    ctx: RefreshContext,
    progress: Progress | None = None,
) -> FeedRun:
    """One pass over one configured feed: refresh due sources, then publish from everything."""
    started = time.monotonic()
    entries: list[Entry] = []
    outcomes: list[SourceOutcome] = []
    problems: list[Problem] = []
    enabled = [source for source in feed.sources if source.enabled]
    remote = refresh_remotes(feed, [s for s in enabled if s.kind != "articles"], ctx)
    for source in enabled:
        if source.kind == "articles":
            assert source.path is not None
            options = feed.article_options(source)
            found_pass = ctx.index(feed.name, source.name).refresh(
                source.path,
                ctx.store,
                now=ctx.now,
                priority=source.priority,
                options=options,
                rules=feed.url_rules,
                tz=load_tz(options.default_tz),
            )
            found = found_pass.entries
            failed = any(p.fatal for p in found_pass.problems)
            outcome = SourceOutcome(
                name=source.name,
                ok=not failed,
                action="read",
                new=found_pass.new,
                changed=found_pass.changed,
                problems=tuple(found_pass.problems),
            )
        else:
            outcome = remote[source.name]
            found = stored_entries(feed, source, ctx.store)
        outcomes.append(outcome)
        problems.extend(outcome.problems)
        entries.extend(e for e in found if _admits(source, e))
    planned, documents, warnings = build_feeds(entries, feed.settings())
    failed = any(not o.ok for o in outcomes)
    written, unchanged, publish_problems = publish(
        output_root / feed.name, documents, keep_existing_when_empty=failed
    )
    counts = _published_per_source(planned)
    ctx.store.record_run(
        feed.name, {o.name: (counts.get(o.name, 0), o.ok) for o in outcomes}, ctx.now
    )
    report = RunReport(
        written=tuple(written),
        unchanged=tuple(unchanged),
        entries=len(planned[0].entries) if planned else 0,
        problems=tuple(problems + warnings + publish_problems),
    )
    return FeedRun(
        feed=feed.name,
        outcomes=tuple(outcomes),
        report=report,
        seconds=time.monotonic() - started,
    )


def run_once(
    configs: Sequence[FeedConfig],
    *,
    output: Path,
    state: Path,
    force: bool = False,
    clock: Clock = utc_now,
    rand: Callable[[], float] = random.random,
    fetcher: Fetcher | None = None,
    progress: Progress | None = None,
) -> list[FeedRun]:
    """`feedkit run --once`: one pass over every configured feed, with state in `state`."""
    own_fetcher = fetcher is None
    active = fetcher or Fetcher(clock=clock)
    try:
        with Store.open(state, clock=clock) as store:
            ctx = RefreshContext(store=store, fetcher=active, now=clock(), rand=rand, force=force)
            return [
                run_feed_locked(feed, output, ctx, lock_dir(state), progress=progress)
                for feed in configs
            ]
    finally:
        if own_fetcher:
            active.close()


def lock_dir(state: Path) -> Path:
    """Where the per-feed lock files live: beside the state database."""
    return state.parent / "locks"


def run_feed_locked(
    feed: FeedConfig,
    output: Path,
    ctx: RefreshContext,
    locks: Path,
    *,
    wait: float = 10.0,
    progress: Progress | None = None,
) -> FeedRun:
    """`run_feed` while holding the feed's lock; a busy lock is reported, not raised."""
    try:
        with feed_lock(locks, feed.name, wait=wait):
            return run_feed(feed, output, ctx, progress)
    except LockBusy as exc:
        problem = Problem(where=feed.name, message=str(exc))
        return FeedRun(
            feed=feed.name, outcomes=(), report=RunReport(problems=(problem,)), seconds=0
        )


def merge_reports(reports: Iterable[RunReport]) -> RunReport:
    """One report for several feeds' runs."""
    items = list(reports)
    return RunReport(
        written=tuple(p for r in items for p in r.written),
        unchanged=tuple(p for r in items for p in r.unchanged),
        entries=sum(r.entries for r in items),
        problems=tuple(p for r in items for p in r.problems),
    )


def _admits(source: SourceConfig, entry: Entry) -> bool:
    return source.filters.admits(
        title=entry.title,
        content=entry.body,
        url=entry.link,
        authors=entry.authors,
        tags=entry.tags,
    )


def _published_per_source(planned: Sequence[PlannedFeed]) -> dict[str, int]:
    """How many published entries (language versions, any feed) each source contributed."""
    seen: set[tuple[str, str]] = set()
    for feed in planned:
        for item in feed.entries:
            seen.update((version.source, version.id) for version in item.versions)
    counts: dict[str, int] = {}
    for source, _ in seen:
        counts[source] = counts.get(source, 0) + 1
    return counts


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
) -> RunReport:
    """`feedkit convert`: every SRC (article folder or file, feed file or feed URL) into feeds
    under `output`.  Needs no configuration and keeps no state."""
    if not sources:
        raise ConfigError("no sources given")
    collected = Collected()
    fetcher: Fetcher | None = None
    try:
        for priority, src in enumerate(sources):
            if is_http_url(src):
                fetcher = fetcher or Fetcher(clock=clock)
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
                )
            )
    finally:
        if fetcher is not None:
            fetcher.close()
    planned, documents, render_warnings = build_feeds(
        collected.entries, settings, finish=_finish_scanned(finish_articles(options, rules, tz))
    )
    failed = any(problem.fatal for problem in collected.problems)
    written, unchanged, publish_problems = publish(
        output, documents, keep_existing_when_empty=failed
    )
    log.info(
        "%d entries from %d sources; %d files written, %d unchanged",
        len(collected.entries),
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
