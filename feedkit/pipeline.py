"""The one orchestrator: read sources, dedupe, plan, render, publish.

Article folders give scanned entries (`feedkit.incremental`): only the entries that can make a
feed are planned (`plan.preselect`), and only those the plan publishes are read in full
(the Finisher handed to `documents.build_feeds`), so a pass costs little more than a stat per
file plus the work on what is published.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from feedkit import __version__
from feedkit.clock import Clock, utc_now
from feedkit.config import FeedConfig, SourceConfig
from feedkit.convert import convert
from feedkit.dates import load_tz
from feedkit.incremental import IndexPass, Reading
from feedkit.lock import LockBusy, feed_lock
from feedkit.model import Entry, PlannedFeed, Problem, RunReport
from feedkit.plan import preselect
from feedkit.publish import publish_documents
from feedkit.reading import Collected, Finisher, Progress, collect_articles
from feedkit.sources import RefreshContext, SourceOutcome, refresh_remotes, stored_entries
from feedkit.store import PlanCache, Published, Store
from feedkit.store_schema import entry_mark
from feedkit.urls import canonical_url

if TYPE_CHECKING:
    from feedkit.fetch import Fetcher

log = logging.getLogger(__name__)

__all__ = ["Collected", "Progress", "collect_articles", "convert", "run_once"]


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
    """One pass over one configured feed: refresh due sources, then publish from everything.

    When no source changed anything since the feed was last built with the same configuration,
    and its files are still as that build wrote them, nothing is planned or rendered: an idle
    pass costs a stat per article file and a conditional GET per due feed, in the daemon and
    (the last build recorded in the store) in a fresh `run --once` from cron alike.
    """
    started = time.monotonic()
    outcomes: list[SourceOutcome] = []
    enabled = [source for source in feed.sources if source.enabled]
    remote = refresh_remotes(feed, [s for s in enabled if s.kind != "articles"], ctx)
    passes: dict[str, IndexPass] = {}
    for source in enabled:
        if source.kind == "articles":
            assert source.path is not None
            options = feed.article_options(source)
            found_pass = passes[source.name] = ctx.index(feed.name, source.name).refresh(
                source.path,
                ctx.store,
                now=ctx.now,
                priority=source.priority,
                options=options,
                rules=feed.url_rules,
                tz=load_tz(options.default_tz),
            )
            outcome = SourceOutcome(
                name=source.name,
                ok=not any(p.fatal for p in found_pass.problems),
                action="read",
                new=found_pass.new,
                changed=found_pass.changed,
                removed=found_pass.removed,
                problems=tuple(found_pass.problems),
            )
        else:
            outcome = remote[source.name]
        outcomes.append(outcome)
    problems = [p for o in outcomes for p in o.problems]
    failed = any(not o.ok for o in outcomes)
    folder = output_root / feed.name
    config = config_fingerprint(feed)
    previous = (
        None
        if any(o.new or o.changed or o.removed for o in outcomes)
        or feed.check_source_links  # link checks are due over time: build every pass
        or ctx.force  # `run --once --force`
        else _still_published(feed.name, config, folder, ctx)
    )
    if previous is not None:
        counts, published = dict(previous.counts), previous.entries
        report = RunReport(entries=published, problems=tuple(problems))
    else:
        from feedkit import documents  # noqa: PLC0415 - feedgen and lxml: not for an idle run

        # Until this build has written every file, nothing says the folder is up to date.
        ctx.published.pop(feed.name, None)
        ctx.store.forget_published(feed.name)
        article_entries = _from_last_plan(feed, enabled, passes, config, ctx)
        if article_entries is None:
            article_entries = {
                source.name: ctx.index(feed.name, source.name).entries(ctx.store, source.priority)
                for source in enabled
                if source.kind == "articles"
            }
        entries, finish = _plan_inputs(feed, enabled, article_entries, ctx, problems)
        cache = _plan_cache(feed, enabled, entries, config, ctx)
        planned, docs, warnings = documents.build_feeds(entries, feed.settings(), finish=finish)
        for source in enabled:
            if source.kind == "articles":  # forget the contents of files no longer published
                ctx.index(feed.name, source.name).release(ctx.store)
        written, unchanged, publish_problems = publish_documents(
            folder, docs, keep_existing_when_empty=failed
        )
        if feed.hub and written:  # WebSub: tell the hub which feeds changed
            from feedkit.websub import changed_topics, ping_hub  # noqa: PLC0415 - requests

            topics = changed_topics(written, folder, feed.base_url)
            publish_problems += ping_hub(feed.hub, topics)
        counts = _published_per_source(planned)
        published = len(planned[0].entries) if planned else 0
        if not publish_problems or all(not p.fatal for p in publish_problems):
            state = Published(
                config=config,
                folder=str(folder),
                files=_as_written(folder, [*written, *unchanged]),
                counts=counts,
                entries=published,
            )
            ctx.published[feed.name] = state
            ctx.store.put_published(feed.name, state)
            if cache is not None:  # (one written before stays right: no record changed since)
                ctx.store.put_plan_cache(feed.name, cache)
        report = RunReport(
            written=tuple(written),
            unchanged=tuple(unchanged),
            entries=published,
            problems=tuple(problems + warnings + publish_problems),
        )
    ctx.store.record_run(
        feed.name, {o.name: (counts.get(o.name, 0), o.ok) for o in outcomes}, ctx.now
    )
    return FeedRun(
        feed=feed.name,
        outcomes=tuple(outcomes),
        report=report,
        seconds=time.monotonic() - started,
    )


LINK_CHECKS_PER_PASS = 10  # source-link fetches per feed run, at most one per host


def _plans_from_cache(feed: FeedConfig, enabled: Sequence[SourceConfig]) -> bool:
    """Whether the feed can be planned from its last plan and new files (`_from_last_plan`):
    one article folder, no filters or link checks, and only the newest `max_entries` published
    (archives, tag and author feeds publish any entry)."""
    settings = feed.settings()
    return (
        len(enabled) == 1
        and enabled[0].kind == "articles"
        and not (enabled[0].filters.include or enabled[0].filters.exclude)
        and not feed.check_source_links
        and not (settings.archive or settings.tag_feeds or settings.author_feeds)
        and settings.max_entries >= 1
    )


def _from_last_plan(
    feed: FeedConfig,
    enabled: Sequence[SourceConfig],
    passes: Mapping[str, IndexPass],
    config: str,
    ctx: RefreshContext,
) -> dict[str, list[Entry]] | None:
    """What to plan from when this pass only added files: the last build's candidates and the
    new files' entries, without reading every record back (a cron run beside a pipeline that
    drops new articles into the folder); None when that is not known to plan the same feeds,
    which are then planned from every record.

    `plan.preselect` keeps every version of each article at least as new as the cut of a
    language feed or of the combined feed.  Adding entries only raises those cuts, and the
    entries at or above them were among the last candidates, with every version of their
    articles; so preselect over the candidates and the new entries gives what it gives over
    every entry, as long as no new entry shares a key, an id or a group id with a recorded one
    (a duplicate could win a slot a candidate held, or bring back one that lost it): the
    recorded entries' marks (`Store.get_marks`) rule that out, a false alarm costing only the
    long way.  Anything else (a file edited, touched or removed; records already in memory, as
    in a daemon that loaded them; another configuration; `--force`) goes the long way."""
    if ctx.force or not _plans_from_cache(feed, enabled):
        return None
    source = enabled[0]
    index, found = ctx.index(feed.name, source.name), passes.get(source.name)
    if found is None or index.records is not None or found.removed or found.replaced:
        return None
    cache, marks = found.cache, found.marks
    if cache is None or marks is None or cache.config != config or not found.added:
        return None
    new = [entry for record in found.added for entry in record.entries]
    if any(entry_mark(t) in marks for e in new for t in (e.key, e.id, e.group_id)):
        return None
    origins = {entry.origin: rel for _, rel, entry in cache.candidates}
    origins.update((entry.origin, record.rel) for record in found.added for entry in record.entries)
    index.plan_partially(origins)
    return {source.name: [entry for _, _, entry in cache.candidates] + new}


def _plan_cache(
    feed: FeedConfig,
    enabled: Sequence[SourceConfig],
    candidates: Sequence[Entry],
    config: str,
    ctx: RefreshContext,
) -> PlanCache | None:
    """What `_from_last_plan` reads after this build: its candidates, each with its file."""
    if not _plans_from_cache(feed, enabled):
        return None
    source = enabled[0]
    rels = ctx.index(feed.name, source.name).origin_rels(ctx.store)
    items = []
    for entry in candidates:
        rel = rels.get(entry.origin)
        if rel is None or entry.source != source.name:
            return None
        items.append((source.name, rel, entry))
    return PlanCache(config=config, candidates=tuple(items))


def config_fingerprint(feed: FeedConfig) -> str:
    """What tells a feed's configuration, and the code that builds it, from any other: the same
    for the same configuration in every process (a FeedConfig's repr holds no set)."""
    return hashlib.sha256(f"{__version__}\n{feed!r}".encode()).hexdigest()


def _still_published(name: str, config: str, folder: Path, ctx: RefreshContext) -> Published | None:
    """What the feed's last build published, if it was built with `config` into `folder` and
    every file it wrote is still there with the size and modification time it left."""
    state = ctx.published.get(name)
    if state is None:
        state = ctx.store.get_published(name)
        if state is None:
            return None
        ctx.published[name] = state
    if state.config != config or state.folder != str(folder) or not state.files:
        return None
    for rel, size, mtime_ns in state.files:
        try:
            st = os.stat(folder / rel)
        except OSError:
            return None
        if st.st_size != size or st.st_mtime_ns != mtime_ns:
            return None
    return state


def _as_written(folder: Path, paths: Sequence[Path]) -> tuple[tuple[str, int, int], ...]:
    """(name in `folder`, size, mtime_ns) of each file just published; a file gone already is
    left out, and then the next pass builds again."""
    found = []
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            return ()
        found.append((path.relative_to(folder).as_posix(), st.st_size, st.st_mtime_ns))
    return tuple(sorted(found))


def check_source_links(
    feed: FeedConfig, entries: Sequence[Entry], ctx: RefreshContext
) -> tuple[list[Entry], Callable[[Sequence[Entry]], list[Entry]]]:
    """SPEC 1.3 in a pass: links checked within their expiry come from the store; of the rest,
    at most LINK_CHECKS_PER_PASS are fetched now, one per host and no host more often than
    `link_checks_per_minute` (across passes of this process), so a pass never waits on a rate
    limit and a large folder is checked politely over successive passes.

    Returns the entries with what their pages say applied, and the function that applies it
    (to the complete entries the plan's choice is read into)."""
    from feedkit.linkcheck import LinkChecker, PageFetcher, apply_page_meta  # noqa: PLC0415

    spacing = timedelta(seconds=60 / feed.link_checks_per_minute)
    links = sorted({entry.link for entry in entries if entry.link})
    chosen: list[str] = []
    hosts: set[str] = set()
    for link in links:
        key = canonical_url(link, feed.url_rules)
        record = ctx.store.get_link(key) if key else None
        if record is not None and record.next_check > ctx.now:
            chosen.append(link)  # fresh in the store: costs no request
            continue
        host = urlsplit(link).hostname or ""
        slot = ctx.link_slots.get(host)
        if host in hosts or len(hosts) >= LINK_CHECKS_PER_PASS or (slot and slot > ctx.now):
            continue
        hosts.add(host)
        ctx.link_slots[host] = ctx.now + spacing
        chosen.append(link)
    with PageFetcher(limits=ctx.http().limits) as pages:
        # the pass's clock; a pass fetches at most one link per host, so it never sleeps
        checker = LinkChecker(
            pages,
            ctx.store,
            rules=feed.url_rules,
            clock=lambda: ctx.now,
            per_host_per_minute=feed.link_checks_per_minute,
        )
        results = checker.check(chosen)
    undated: set[str] = set()
    for source in feed.sources:
        if source.kind == "articles":
            undated |= ctx.index(feed.name, source.name).undated_ids(ctx.store)

    def with_meta(items: Sequence[Entry]) -> list[Entry]:
        return apply_page_meta(items, results, feed.url_rules, undated_ids=undated)

    return with_meta(entries), with_meta


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
    with Store.open(state, clock=clock) as store:
        ctx = RefreshContext(
            store=store, fetcher=fetcher, now=clock(), rand=rand, force=force, clock=clock
        )
        try:
            return [
                run_feed_locked(feed, output, ctx, lock_dir(state), progress=progress)
                for feed in configs
            ]
        finally:
            ctx.close()


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


def _plan_inputs(
    feed: FeedConfig,
    enabled: Sequence[SourceConfig],
    article_entries: Mapping[str, list[Entry]],
    ctx: RefreshContext,
    problems: list[Problem],
) -> tuple[list[Entry], Finisher]:
    """What to plan from (the entries the feeds can publish, scanned where they come from
    article files) and the Finisher that completes the plan's choice; problems are appended."""
    entries: list[Entry] = []
    for source in enabled:
        found = article_entries.get(source.name)
        if found is None:
            found = stored_entries(feed, source, ctx.store)
        elif _filters_read_text(source):  # the filters need titles and bodies: read them all
            found, missing = _complete(feed, source, ctx, found)
            problems += missing
        if source.filters.include or source.filters.exclude:
            found = [e for e in found if _admits(source, e)]
        entries.extend(found)
    finish = _finisher(feed, ctx)
    if feed.check_source_links:
        entries, with_meta = check_source_links(feed, entries, ctx)
        finish = _then(finish, with_meta)
    # only the entries a feed can publish are planned, and only those planned are read in full
    return preselect(entries, feed.settings()), finish


def _finisher(feed: FeedConfig, ctx: RefreshContext) -> Finisher:
    """Completes the entries of article sources, which are scanned ones (`incremental`); the
    entries of feeds are complete already."""
    readers = {s.name: s for s in feed.sources if s.enabled and s.kind == "articles"}

    def finish(entries: Sequence[Entry]) -> tuple[dict[str, Entry], list[Problem]]:
        done: dict[str, Entry] = {}
        scanned: dict[str, list[Entry]] = {}
        for entry in entries:
            if entry.source in readers:
                scanned.setdefault(entry.source, []).append(entry)
            else:
                done[entry.id] = entry
        problems: list[Problem] = []
        for name, wanted in scanned.items():
            complete, missing = _complete(feed, readers[name], ctx, wanted)
            done.update((entry.id, entry) for entry in complete)
            problems += missing
        return done, problems

    return finish


def _complete(
    feed: FeedConfig, source: SourceConfig, ctx: RefreshContext, wanted: Sequence[Entry]
) -> tuple[list[Entry], list[Problem]]:
    """The complete versions of scanned entries of an article source (those its files give)."""
    options = feed.article_options(source)
    reading = Reading(options=options, rules=feed.url_rules, tz=load_tz(options.default_tz))
    complete, problems = ctx.index(feed.name, source.name).complete(wanted, ctx.store, reading)
    return [entry for entry in complete if entry is not None], problems


def _then(finish: Finisher, change: Callable[[Sequence[Entry]], list[Entry]]) -> Finisher:
    """`finish`, with `change` applied to the entries it completes."""

    def finish_then(entries: Sequence[Entry]) -> tuple[dict[str, Entry], list[Problem]]:
        done, problems = finish(entries)
        return {entry.id: entry for entry in change(list(done.values()))}, problems

    return finish_then


def _filters_read_text(source: SourceConfig) -> bool:
    """Whether the source's filters look at titles or bodies, which scanned entries lack."""
    rules = (*source.filters.include, *source.filters.exclude)
    return any(rule.field in ("title", "content") for rule in rules)


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
