"""One configured source, brought up to date: a remote feed fetched when due, a feed file read.

Remote entries are merged into the store; what gets published is everything the store holds
for the source, so a feed that fails, drops entries or turns up empty loses nothing.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from feedkit.clock import Clock, utc_now
from feedkit.config import FeedConfig, SourceConfig
from feedkit.errors import FeedFormatError, FetchError
from feedkit.incremental import ArticleIndex
from feedkit.model import Entry, Problem
from feedkit.schedule import SchedulePolicy, is_due, next_due
from feedkit.store import Published, SourceState, Store

if TYPE_CHECKING:  # requests and feedparser (~0.2 s to import) only when a feed is fetched
    from feedkit.fetch import Fetcher, FetchResult
    from feedkit.remote import ParsedFeed

log = logging.getLogger(__name__)

MAX_FEED_FILE = 20 * 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceOutcome:
    """What refreshing one source did."""

    name: str
    ok: bool = True
    action: str = ""  # "fetched", "not modified", "not due", "retired", "failed", "read"
    new: int = 0
    changed: int = 0
    removed: int = 0  # entries that left: deleted files, pruned remote entries
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshContext:
    """What every refresh in one pass shares."""

    store: Store
    fetcher: Fetcher | None = None  # None: made when first needed (`http`), closed by `close`
    now: datetime
    rand: Callable[[], float]
    policy: SchedulePolicy = field(default_factory=SchedulePolicy)
    force: bool = False  # fetch even when not due, build even when unchanged (`--force`)
    # article folders as last read, by (feed, source): the daemon keeps them between passes
    indexes: dict[tuple[str, str], ArticleIndex] = field(default_factory=dict)
    # host -> earliest time of its next source-link check (the daemon keeps it between passes)
    link_slots: dict[str, datetime] = field(default_factory=dict)
    # what each feed's last build published (from the store, or kept by the daemon)
    published: dict[str, Published] = field(default_factory=dict)
    clock: Clock = utc_now  # the fetcher `http` makes reads it

    _made: list[Fetcher] = field(default_factory=list)  # the fetcher `http` made, if any

    def index(self, feed: str, source: str) -> ArticleIndex:
        return self.indexes.setdefault((feed, source), ArticleIndex(feed=feed, source=source))

    def http(self) -> Fetcher:
        """The pass's HTTP client: a run over article folders alone never imports one."""
        if self.fetcher is not None:
            return self.fetcher
        if not self._made:
            from feedkit.fetch import Fetcher  # noqa: PLC0415

            self._made.append(Fetcher(clock=self.clock))
        return self._made[0]

    def close(self) -> None:
        """Close the HTTP client `http` made (one handed in is its owner's to close)."""
        while self._made:
            self._made.pop().close()


def stored_entries(feed: FeedConfig, source: SourceConfig, store: Store) -> list[Entry]:
    """Everything the store holds for a remote source, ranked as the configuration says now."""
    return [
        replace(entry, priority=source.priority, source=source.name)
        for entry in store.stored_entries(feed.name, source.name)
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Due:
    """A remote source about to be fetched, with its state as stored."""

    source: SourceConfig
    state: SourceState


def refresh_remote(feed: FeedConfig, source: SourceConfig, ctx: RefreshContext) -> SourceOutcome:
    """Fetch (or read) a remote source if it is due, and merge what it offers into the store."""
    return refresh_remotes(feed, [source], ctx)[source.name]


def refresh_remotes(
    feed: FeedConfig, sources: Sequence[SourceConfig], ctx: RefreshContext, *, workers: int = 8
) -> dict[str, SourceOutcome]:
    """Every due remote source of a feed: fetched concurrently (network waits overlap), then
    parsed and stored one by one (the store and the parser stay on this thread)."""
    outcomes: dict[str, SourceOutcome] = {}
    due: list[_Due] = []
    for source in sources:
        state = ctx.store.get_source(feed.name, source.name)
        if state is None or state.url != source.location:
            state = SourceState(url=source.location)  # new source, or its URL was changed
        if state.retired and not ctx.force:
            outcomes[source.name] = SourceOutcome(name=source.name, action="retired")
        elif not ctx.force and not is_due(state.next_due, ctx.now):
            outcomes[source.name] = SourceOutcome(name=source.name, action="not due")
        else:
            due.append(_Due(source=source, state=state))
    fetcher = ctx.http() if any(item.source.url is not None for item in due) else None
    if len(due) > 1 and workers > 1:
        with ThreadPoolExecutor(max_workers=min(workers, len(due))) as pool:
            results = list(pool.map(lambda item: _download(item, fetcher), due))
    else:
        results = [_download(item, fetcher) for item in due]
    for item, result in zip(due, results, strict=True):
        outcomes[item.source.name] = _settle(feed, item, result, ctx)
    return outcomes


def _download(item: _Due, fetcher: Fetcher | None) -> FetchResult | FetchError:
    """The network part, safe to run in a worker thread: no store, no parsing."""
    from feedkit.fetch import Validators  # noqa: PLC0415 - see RefreshContext.http

    try:
        if item.source.url is not None:
            assert fetcher is not None
            state = item.state
            return fetcher.fetch(
                state.permanent_url or item.source.url,
                validators=Validators(etag=state.etag, last_modified=state.last_modified),
            )
        return _read_file(item.source)
    except FetchError as exc:
        return exc


def _settle(
    feed: FeedConfig, item: _Due, result: FetchResult | FetchError, ctx: RefreshContext
) -> SourceOutcome:
    from feedkit.fetch import HttpStatusError, RetryLater  # noqa: PLC0415

    source, state = item.source, item.state
    try:
        if isinstance(result, FetchError):
            raise result
        return _handle(feed, source, state, result, ctx)
    except (FetchError, FeedFormatError) as exc:
        retry_after = exc.retry_after if isinstance(exc, RetryLater) else None
        status = exc.status if isinstance(exc, HttpStatusError | RetryLater) else None
        return _failed(feed, source, state, str(exc), ctx, retry_after=retry_after, status=status)


def _handle(
    feed: FeedConfig,
    source: SourceConfig,
    state: SourceState,
    result: FetchResult,
    ctx: RefreshContext,
) -> SourceOutcome:
    from feedkit.remote import RemoteOptions, parse_feed  # noqa: PLC0415

    state = replace(
        state,
        etag=result.etag,
        last_modified=result.last_modified,
        last_fetch=ctx.now,
        last_status=result.status,
        permanent_url=result.permanent_redirect or state.permanent_url,
        retired=False,  # a forced fetch (`--force`) that gets an answer brings it back
    )
    if result.status == 410:
        state = replace(state, retired=True, last_error="410 Gone: the feed was retired")
        ctx.store.put_source(feed.name, source.name, state)
        message = "answered 410 Gone; retired (its entries stay published)"
        problem = Problem(where=source.location, message=message, fatal=False)
        return SourceOutcome(name=source.name, action="retired", problems=(problem,))
    if result.status == 304:
        _succeeded(feed, source, state, result, None, ctx=ctx)
        return SourceOutcome(name=source.name, action="not modified")
    parsed = parse_feed(
        result.body,
        url=_feed_url(source),
        headers=dict(result.headers),
        options=RemoteOptions(source=source.name, priority=source.priority, lang=source.lang),
        now=ctx.now,
        first_seen=lambda entry_id: ctx.store.first_seen(feed.name, source.name, entry_id),
    )
    merged = ctx.store.merge_entries(feed.name, source.name, parsed.entries, ctx.now)
    pruned = 0
    if parsed.entries and (source.retain_max_entries or source.retain_max_age):
        pruned = ctx.store.prune(
            feed.name,
            source.name,
            max_entries=source.retain_max_entries,
            max_age=source.retain_max_age,
            now=ctx.now,
        )
    _succeeded(feed, source, state, result, parsed, ctx=ctx)
    problems = tuple(
        Problem(where=source.location, message=text, fatal=False) for text in parsed.problems
    )
    return SourceOutcome(
        name=source.name,
        action="fetched",
        new=merged.new,
        changed=merged.changed,
        removed=pruned,
        problems=problems,
    )


def _succeeded(
    feed: FeedConfig,
    source: SourceConfig,
    state: SourceState,
    result: FetchResult,
    parsed: ParsedFeed | None,
    ctx: RefreshContext,
) -> None:
    due = next_due(
        now=ctx.now,
        interval=source.interval,
        max_age=result.max_age,
        ttl=parsed.ttl if parsed is not None else None,
        retry_after=None,
        failures=0,
        policy=ctx.policy,
        rand=ctx.rand,
    )
    state = replace(
        state,
        last_success=ctx.now,
        last_error=None,
        failures=0,
        next_due=due,
        feed_title=parsed.title if parsed is not None and parsed.title else state.feed_title,
    )
    ctx.store.put_source(feed.name, source.name, state)


def _failed(
    feed: FeedConfig,
    source: SourceConfig,
    state: SourceState,
    message: str,
    ctx: RefreshContext,
    *,
    retry_after: float | None,
    status: int | None,
) -> SourceOutcome:
    failures = state.failures + 1
    due = next_due(
        now=ctx.now,
        interval=source.interval,
        max_age=None,
        ttl=None,
        retry_after=retry_after,
        failures=failures,
        policy=ctx.policy,
        rand=ctx.rand,
    )
    state = replace(
        state,
        last_fetch=ctx.now,
        last_error=message,
        last_status=status,
        failures=failures,
        next_due=due,
    )
    ctx.store.put_source(feed.name, source.name, state)
    ctx.store.record_failure(feed.name, source.name, ctx.now, message)
    log.info("%s: failed (%d in a row), next try %s", source.location, failures, due)
    # fetch and parse messages already start with the URL or path they are about
    problem = Problem(where=f"{feed.name}/{source.name}", message=message)
    return SourceOutcome(name=source.name, ok=False, action="failed", problems=(problem,))


def _feed_url(source: SourceConfig) -> str:
    """The URL entries of a source are read against: the configured one (a recorded permanent
    redirect does not change it, so ids stay put), or a feed file's file: URL."""
    if source.url is not None:
        return source.url
    assert source.path is not None
    return source.path.resolve().as_uri()


def _read_file(source: SourceConfig) -> FetchResult:
    """A feed file on disk, read like a fetched body."""
    from feedkit.fetch import FetchResult  # noqa: PLC0415 - see RefreshContext.http

    assert source.path is not None
    body = read_feed_file(source.path)
    return FetchResult(status=200, url=str(source.path), body=body, headers=(), elapsed=0.0)


def read_feed_file(path: Path) -> bytes:
    """The bytes of a feed file, refusing files over MAX_FEED_FILE (FetchError naming it)."""
    try:
        with open(path, "rb") as handle:
            # read(n) allocates n bytes up front (SPEC 8): ask for the file's size
            size = os.fstat(handle.fileno()).st_size
            body = handle.read(min(size, MAX_FEED_FILE) + 1)
    except OSError as exc:
        reason = exc.strerror.lower() if exc.strerror else type(exc).__name__
        raise FetchError(f"{path}: cannot read: {reason}") from exc
    if len(body) > MAX_FEED_FILE:
        raise FetchError(f"{path}: file larger than {MAX_FEED_FILE} bytes")
    return body
