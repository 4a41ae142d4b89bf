"""`feedkit run --once` and `feedkit status` end to end (issue 3; SPEC 1.2, 2, 3.2, 4, 5, 6).

Every test writes a feeds/NAME.toml into tmp_path, serves remote feeds from a real HTTP server on
127.0.0.1 (tests/httpserver.py) and calls `feedkit.pipeline.run_once` with a fixed clock that the
test moves forward between runs, against a real SQLite state file.  Every published file is read
back and checked with `assert_valid_atom` after every run.  The last section drives
`feedkit.cli.main` in-process for exit codes and `status`.
"""

from __future__ import annotations

import gzip
import textwrap
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import partial
from pathlib import Path

import feedparser
import pytest
from conformance import assert_valid_atom
from conftest import untraced
from httpserver import Request, Route, TestServer, redirect, serve_routes
from lxml import etree

import feedkit.cli
import feedkit.pipeline
from feedkit.clock import fixed_clock
from feedkit.config import load_config_dir
from feedkit.dates import format_rfc3339
from feedkit.fetch import Fetcher, FetchLimits
from feedkit.model import Entry
from feedkit.pipeline import FeedRun, run_once
from feedkit.status import format_status
from feedkit.store import SourceState, Store

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BASE_URL = "https://feeds.example.org/news/"
FEED_NAME = "news"
FEED_FILES = ("all.atom.xml", "en.atom.xml")  # what every test config publishes
WRITTEN = ("all.atom.xml", "en.atom.xml", "feeds.opml")  # the feeds and their OPML list
ATOM = "{http://www.w3.org/2005/Atom}"
KIB = 1024

# When nothing else holds a source back, a failure backs off 5 minutes, doubling up to 6 hours
# (feedkit.schedule.SchedulePolicy); `rand=lambda: 0.5` makes the jitter factor exactly 1.
FIRST_BACKOFF = timedelta(minutes=5)
BACKOFF_CAP = timedelta(hours=6)


# --- feed documents ----------------------------------------------------------------------------


def day(n: int) -> datetime:
    """Publication dates of test entries: n days before NOW."""
    return NOW - timedelta(days=n)


def http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def item(
    name: str,
    *,
    title: str | None = None,
    date: datetime | None = None,
    link: str | None = None,
    guid: bool = True,
    body: str = "",
) -> str:
    """One RSS <item>: guid `name`, a link under news.example.com, dated `date` if given."""
    parts = [f"<title>{title or 'Story ' + name}</title>"]
    if link is None:
        link = f"https://news.example.com/{name}"
    if link:
        parts.append(f"<link>{link}</link>")
    if guid:
        parts.append(f'<guid isPermaLink="false">{name}</guid>')
    if date is not None:
        parts.append(f"<pubDate>{http_date(date)}</pubDate>")
    parts.append(f"<description>{body or 'Text of ' + name}</description>")
    return "<item>" + "".join(parts) + "</item>"


def rss(*items: str, prolog: str = "", channel: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{prolog}<rss version="2.0"><channel>'
        "<title>Remote news</title><link>https://news.example.com/</link>"
        f"<language>en</language>{channel}{''.join(items)}</channel></rss>"
    ).encode()


def dated(*names: str) -> bytes:
    """An RSS feed of items named "1", "2", …, item n published `day(n)`."""
    return rss(*(item(n, date=day(int(n))) for n in names))


def atom_entry(entry_id: str, title: str, *, updated: datetime = NOW) -> str:
    return (
        f"<entry><id>{entry_id}</id><title>{title}</title>"
        f'<link href="https://blog.example.net/{title.replace(" ", "-")}"/>'
        f"<updated>{format_rfc3339(updated)}</updated><content>Text of {title}</content></entry>"
    )


def atom(*entries: str, feed_id: str = "tag:blog.example.net,2026:feed") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"'
        f' xml:lang="en"><id>{feed_id}</id><title>Remote Blog</title>'
        f"<updated>{format_rfc3339(NOW)}</updated><author><name>Blogger</name></author>"
        f"{''.join(entries)}</feed>"
    ).encode()


# --- the world: config, server, clock, runs ------------------------------------------------------


@dataclass
class World:
    """A feeds/ folder, an output/ folder and a state database in tmp_path, one HTTP server, and
    a clock that only moves when a test says so."""

    root: Path
    server: TestServer
    now: datetime = NOW

    @property
    def config_dir(self) -> Path:
        return self.root / "feeds"

    @property
    def output(self) -> Path:
        return self.root / "output"

    @property
    def out(self) -> Path:
        return self.output / FEED_NAME

    @property
    def state(self) -> Path:
        return self.root / ".feedkit" / "state.db"

    def url(self, path: str) -> str:
        return self.server.url(path)

    def configure(self, sources: str) -> Path:
        """Write feeds/news.toml: a title, a base URL and `sources` ([[source]] tables, TOML)."""
        self.config_dir.mkdir(exist_ok=True)
        path = self.config_dir / f"{FEED_NAME}.toml"
        path.write_text(f'title = "News"\nbase_url = "{BASE_URL}"\n' + sources)
        return path

    def remote(self, name: str = "remote", path: str = "/feed.xml", extra: str = "") -> str:
        """A [[source]] table for a feed served at `path`."""
        return (
            f'\n[[source]]\nname = "{name}"\nurl = "{self.url(path)}"\nlang = "en"\n'
            + textwrap.dedent(extra)
        )

    def article(self, name: str, text: str) -> None:
        folder = self.root / "feeds" / "articles"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(textwrap.dedent(text).lstrip())

    def serve(self, path: str, body: bytes = b"", **route: object) -> None:
        self.server.routes[path] = Route(body=body, **route)  # type: ignore[arg-type]

    def run(
        self,
        *,
        after: timedelta = timedelta(0),
        fetcher: Fetcher | None = None,
        force: bool = False,
    ) -> FeedRun:
        """One `run --once` pass `after` the previous one; every published file is checked."""
        self.now += after
        [feed_run] = run_once(
            load_config_dir(self.config_dir),
            output=self.output,
            state=self.state,
            clock=fixed_clock(self.now),
            rand=lambda: 0.5,
            fetcher=fetcher,
            force=force,
        )
        for name, data in self.files().items():
            assert_valid_atom(data, self_url=BASE_URL + name)
        return feed_run

    def files(self) -> dict[str, bytes]:
        """Every published file, by name."""
        return {p.name: p.read_bytes() for p in sorted(self.out.glob("*.xml"))}

    def stamps(self) -> dict[str, int]:
        return {p.name: p.stat().st_mtime_ns for p in sorted(self.out.glob("*.xml"))}

    def entries(self, name: str = "all.atom.xml") -> list[feedparser.FeedParserDict]:
        return list(feedparser.parse((self.out / name).read_bytes()).entries)

    def titles(self, name: str = "all.atom.xml") -> set[str]:
        return {entry.title for entry in self.entries(name)}

    def source(self, name: str = "remote") -> SourceState:
        with Store.open(self.state, clock=fixed_clock(self.now)) as store:
            state = store.get_source(FEED_NAME, name)
        assert state is not None, f"no fetch state for {name}"
        return state

    def stored(self, name: str = "remote") -> list[Entry]:
        with Store.open(self.state, clock=fixed_clock(self.now)) as store:
            return store.stored_entries(FEED_NAME, name)

    def requests(self, path: str = "/feed.xml") -> list[Request]:
        return self.server.requests_to(path)

    def status(self) -> str:
        return format_status(load_config_dir(self.config_dir), self.state)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with serve_routes() as server:
        yield World(root=tmp_path, server=server)


@pytest.fixture
def small_fetcher() -> Iterator[Fetcher]:
    """A fetcher with a short deadline and small size caps, for hostile servers."""
    limits = FetchLimits(
        connect_timeout=2,
        read_timeout=2,
        deadline=0.5,
        max_bytes=64 * KIB,
        max_decoded_bytes=128 * KIB,
    )
    with Fetcher(limits=limits, clock=fixed_clock(NOW)) as fetcher:
        yield fetcher


@pytest.fixture
def one_remote(world: World) -> World:
    """A feed with one remote source at /feed.xml, already run once with items 1 and 2."""
    world.configure(world.remote())
    world.serve("/feed.xml", dated("1", "2"), headers=(("ETag", '"good"'),))  # 200 regardless
    first = world.run()
    assert first.outcomes[0].ok
    assert world.titles() == {"Story 1", "Story 2"}
    return world


# --- conditional GET -------------------------------------------------------------------------


def conditional(body: bytes, etag: str | None, last_modified: str | None) -> Route:
    """200 with the given validators, or 304 when the request sends either of them back."""

    def answer(request: Request) -> Route:
        sent = (request.headers.get("if-none-match"), request.headers.get("if-modified-since"))
        if (etag and sent[0] == etag) or (last_modified and sent[1] == last_modified):
            return Route(status=304, headers=validators)
        return Route(body=body, headers=validators)

    validators = tuple(
        (name, value)
        for name, value in (("ETag", etag), ("Last-Modified", last_modified))
        if value is not None
    )
    return Route(handler=answer)


LAST_MODIFIED = http_date(day(1))


@pytest.mark.parametrize(
    ("etag", "last_modified"),
    [('"v1"', LAST_MODIFIED), ('"v1"', None), (None, LAST_MODIFIED)],
    ids=["etag-and-last-modified", "etag-only", "last-modified-only"],
)
def test_second_run_sends_validators_and_a_304_rewrites_nothing(
    world: World, etag: str | None, last_modified: str | None
) -> None:
    world.configure(world.remote())
    world.server.routes["/feed.xml"] = conditional(dated("1", "2"), etag, last_modified)
    world.run()
    state = world.source()
    assert (state.etag, state.last_modified) == (etag, last_modified)
    before, stamps = world.files(), world.stamps()

    second = world.run(after=timedelta(minutes=20))

    headers = world.requests()[1].headers
    assert headers.get("if-none-match") == etag
    assert headers.get("if-modified-since") == last_modified
    assert second.outcomes[0].action == "not modified"
    assert second.report.written == ()
    assert world.files() == before
    assert world.stamps() == stamps
    assert world.source().last_success == world.now


def test_validators_are_updated_each_on_its_own(world: World) -> None:
    """A 304 carrying a new ETag but no Last-Modified replaces the ETag and keeps the date."""
    world.configure(world.remote())
    world.serve(
        "/feed.xml", dated("1"), headers=(("ETag", '"v1"'), ("Last-Modified", LAST_MODIFIED))
    )
    world.run()
    world.serve("/feed.xml", status=304, headers=(("ETag", '"v2"'),))
    world.run(after=timedelta(minutes=1))
    assert (world.source().etag, world.source().last_modified) == ('"v2"', LAST_MODIFIED)

    world.run(after=timedelta(minutes=1))

    third = world.requests()[2].headers
    assert (third.get("if-none-match"), third.get("if-modified-since")) == ('"v2"', LAST_MODIFIED)


@pytest.mark.parametrize(
    "unchanged",
    ["304", "200-ignoring-validators", "200-without-validators"],
)
def test_run_with_nothing_changed_writes_nothing(world: World, unchanged: str) -> None:
    """Re-fetching unchanged entries, however the server answers, changes nothing published."""
    body = rss(item("1", date=day(1)), item("undated", guid=False))
    world.configure(world.remote())
    if unchanged == "304":
        world.server.routes["/feed.xml"] = conditional(body, '"v1"', None)
    elif unchanged == "200-ignoring-validators":
        world.serve("/feed.xml", body, headers=(("ETag", '"v1"'),))
    else:
        world.serve("/feed.xml", body)
    first = world.run()
    assert sorted(p.name for p in first.report.written) == list(WRITTEN)
    before, stamps = world.files(), world.stamps()

    second = world.run(after=timedelta(hours=2))

    assert len(world.requests()) == 2
    assert second.outcomes[0].ok
    assert (second.outcomes[0].new, second.outcomes[0].changed) == (0, 0)
    assert second.report.written == ()
    assert world.files() == before
    assert world.stamps() == stamps


# --- when a source is fetched next -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hint:
    """What holds a source back after a successful fetch, and for how long."""

    id: str
    extra: str  # TOML for the [[source]] table
    body: bytes
    headers: tuple[tuple[str, str], ...]
    wait: timedelta


HINTS = [
    Hint("configured-interval", 'interval = "30m"\n', dated("1"), (), timedelta(minutes=30)),
    Hint(
        "cache-control-max-age",
        "",
        dated("1"),
        (("Cache-Control", "max-age=3600"),),
        timedelta(hours=1),
    ),
    Hint(
        "expires",
        "",
        dated("1"),
        (("Date", http_date(NOW)), ("Expires", http_date(NOW + timedelta(minutes=90)))),
        timedelta(minutes=90),
    ),
    Hint(
        "rss-ttl", "", rss(item("1", date=day(1)), channel="<ttl>120</ttl>"), (), timedelta(hours=2)
    ),
    Hint(
        "hint-stretches-interval",
        'interval = "30m"\n',
        dated("1"),
        (("Cache-Control", "max-age=7200"),),
        timedelta(hours=2),
    ),
]


@pytest.mark.parametrize("hint", HINTS, ids=[h.id for h in HINTS])
def test_source_is_fetched_again_only_when_due(world: World, hint: Hint) -> None:
    world.configure(world.remote(extra=hint.extra))
    world.serve("/feed.xml", hint.body, headers=hint.headers)

    world.run()
    assert world.source().next_due == NOW + hint.wait
    assert "next fetch " + format_rfc3339(NOW + hint.wait) in world.status()

    early = world.run(after=hint.wait - timedelta(minutes=1))
    assert early.outcomes[0].action == "not due"
    assert len(world.requests()) == 1
    assert world.titles() == {"Story 1"}  # what it holds is still published
    world.run(after=timedelta(minutes=1))
    assert len(world.requests()) == 2


def test_source_without_interval_or_hints_is_fetched_on_every_pass(one_remote: World) -> None:
    world = one_remote
    assert world.source().next_due is None
    assert "next fetch on every pass" in world.status()
    world.run(after=timedelta(seconds=1))
    assert len(world.requests()) == 2


# --- redirects ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "permanent"),
    [(301, True), (308, True), (302, False), (303, False), (307, False)],
    ids=["301", "308", "302", "303", "307"],
)
def test_permanent_redirect_is_recorded_and_temporary_is_not(
    world: World, status: int, permanent: bool
) -> None:
    world.configure(world.remote(path="/old.xml"))
    world.server.routes["/old.xml"] = redirect(status, world.url("/new.xml"))
    world.serve("/new.xml", dated("1"))

    world.run()
    world.run(after=timedelta(minutes=20))

    assert world.titles() == {"Story 1"}
    assert world.source().url == world.url("/old.xml")  # the configured URL is not rewritten
    moved = f"moved permanently to {world.url('/new.xml')}"
    if permanent:
        assert world.source().permanent_url == world.url("/new.xml")
        assert len(world.requests("/old.xml")) == 1  # the second fetch went to the new URL
        assert moved in world.status()
    else:
        assert world.source().permanent_url is None
        assert len(world.requests("/old.xml")) == 2
        assert "moved" not in world.status()
    assert len(world.requests("/new.xml")) == 2


# --- failed fetches ----------------------------------------------------------------------------


def gzip_bomb() -> Route:
    """A gzip body of a few KB, under the 64 KiB cap, that inflates to 4 MB, far past 128 KiB."""
    inflated = rss(item("bomb", body="x" * 4_000_000))
    return Route(body=gzip.compress(inflated, 9), headers=(("Content-Encoding", "gzip"),))


SITEMAP = (
    b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    b"<url><loc>https://news.example.com/1</loc></url></urlset>"
)
HTML_PAGE = b"<!DOCTYPE html><html><head><title>Oops</title></head><body><p>Moved</p></body></html>"


@dataclass(frozen=True, slots=True)
class Bad:
    """A response that must count as a failed fetch, and a piece of the error it gives."""

    id: str
    route: Callable[[], Route]
    error: str


BAD = [
    Bad("404", lambda: Route(status=404, body=b"not here"), "HTTP 404"),
    Bad("500", lambda: Route(status=500, body=b"boom"), "HTTP 500"),
    Bad("html-page-200", lambda: Route(body=HTML_PAGE), "not a feed"),
    Bad("empty-body-200", lambda: Route(body=b""), "empty body"),
    Bad("garbage-200", lambda: Route(body=b"\x00\x01 certainly not XML"), "not a feed"),
    Bad("xml-but-no-feed-200", lambda: Route(body=SITEMAP), "not a feed"),
    Bad("json-but-no-feed-200", lambda: Route(body=b'{"items": []}'), "not a feed"),
    Bad("redirect-loop", lambda: redirect(302, "/feed.xml"), "redirect loop"),
    Bad("timeout", lambda: Route(body=dated("1"), stall_after_headers=True), "no answer within"),
    Bad("drip-past-deadline", lambda: Route(body=dated("1"), drip=0.05), "no answer within"),
    Bad("body-over-cap", lambda: Route(body=rss(item("x", body="y" * 100 * KIB))), "larger than"),
    Bad(
        "endless-body-over-cap",
        lambda: Route(endless=lambda: (b"<rss>" + b" " * 16 * KIB for _ in range(64))),
        "larger than",
    ),
    Bad("gzip-inflates-past-cap", gzip_bomb, "inflates to more than"),
]


@pytest.mark.parametrize("bad", BAD, ids=[b.id for b in BAD])
def test_failed_fetch_backs_off_and_changes_nothing_published(
    one_remote: World, small_fetcher: Fetcher, bad: Bad
) -> None:
    world = one_remote
    before, stamps, stored = world.files(), world.stamps(), world.stored()
    route = bad.route()
    world.server.routes["/feed.xml"] = replace(route, headers=(*route.headers, ("ETag", '"bad"')))

    failed = world.run(after=timedelta(minutes=20), fetcher=small_fetcher)

    [outcome] = failed.outcomes
    assert (outcome.ok, outcome.action) == (False, "failed")
    [problem] = failed.report.failed
    assert world.url("/feed.xml") in str(problem)
    assert bad.error in str(problem)
    state = world.source()
    assert state.failures == 1
    assert state.next_due == world.now + FIRST_BACKOFF
    assert state.last_error is not None and bad.error in state.last_error
    assert state.last_success == NOW
    assert state.etag == '"good"'  # a failed response's validators would hide the next change
    # never "the feed is now empty": the store and every published byte stay as they were
    assert world.stored() == stored
    assert world.files() == before
    assert world.stamps() == stamps
    assert failed.report.written == ()


@pytest.mark.parametrize("status", [404, 500])
def test_failing_source_backs_off_to_the_cap_and_is_retried_for_ever(
    one_remote: World, status: int
) -> None:
    world = one_remote
    before = world.files()
    world.serve("/feed.xml", b"down", status=status)
    for failures in range(1, 11):
        world.run(
            after=timedelta(minutes=20) if failures == 1 else world.source().next_due - world.now
        )
        state = world.source()
        assert len(world.requests()) == failures + 1  # fetched again each time it fell due
        assert state.failures == failures
        assert state.next_due - world.now == min(FIRST_BACKOFF * 2 ** (failures - 1), BACKOFF_CAP)
        assert f"HTTP {status}" in (state.last_error or "")
        assert world.files() == before

        early = world.run(after=timedelta(minutes=1))  # not due yet: no request, still published
        assert early.outcomes[0].action == "not due"
        assert len(world.requests()) == failures + 1
        assert world.files() == before

    world.serve("/feed.xml", dated("1", "2", "3"))
    world.run(after=BACKOFF_CAP)
    state = world.source()
    assert (state.failures, state.last_error, state.next_due) == (0, None, None)
    assert world.titles() == {"Story 1", "Story 2", "Story 3"}


def test_410_retires_the_source_and_keeps_its_entries(one_remote: World) -> None:
    world = one_remote
    before = world.files()
    world.serve("/feed.xml", b"gone", status=410)

    gone = world.run(after=timedelta(minutes=20))

    assert gone.outcomes[0].action == "retired"
    assert world.source().retired
    assert world.files() == before
    assert "retired" in world.status()
    later = world.run(after=timedelta(days=3))
    assert later.outcomes[0].action == "retired"
    assert len(world.requests()) == 2  # a retired source is not fetched again
    assert world.titles() == {"Story 1", "Story 2"}
    assert "next fetch never" in world.status()


def test_forced_fetch_that_succeeds_brings_a_retired_source_back(one_remote: World) -> None:
    world = one_remote
    world.serve("/feed.xml", b"gone", status=410)
    world.run(after=timedelta(minutes=20))
    world.serve("/feed.xml", dated("1", "2", "3"))

    world.run(after=timedelta(days=1), force=True)  # `feedkit run --once --force`
    world.run(after=timedelta(minutes=20))

    assert len(world.requests()) == 4
    assert not world.source().retired
    assert "retired" not in world.status()
    assert world.titles() == {"Story 1", "Story 2", "Story 3"}


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_retry_after_holds_the_next_fetch_back(one_remote: World, status: int, form: str) -> None:
    world = one_remote
    before = world.files()
    wait = timedelta(hours=3)
    asked = world.now + timedelta(minutes=20) + wait
    value = "10800" if form == "seconds" else http_date(asked)
    world.serve("/feed.xml", b"slow down", status=status, headers=(("Retry-After", value),))

    world.run(after=timedelta(minutes=20))

    state = world.source()
    assert state.next_due is not None and state.next_due >= asked
    assert state.failures == 1
    assert world.files() == before
    world.run(after=wait - timedelta(minutes=1))
    assert len(world.requests()) == 2  # held back, though the backoff alone says 5 minutes
    world.serve("/feed.xml", dated("1", "2"))
    world.run(after=timedelta(minutes=2))
    assert len(world.requests()) == 3
    assert world.source().failures == 0


# --- what a fetched document gives -----------------------------------------------------------


def test_bozo_feed_with_recovered_entries_is_published_with_a_warning(world: World) -> None:
    body = rss(item("1", date=day(1)), item("2", date=day(2), body="fine</wrong>"))
    world.configure(world.remote())
    world.serve("/feed.xml", body)

    run = world.run()

    assert run.outcomes[0].ok
    assert world.titles() == {"Story 1", "Story 2"}
    assert run.report.failed == ()
    assert any("not well-formed" in p.message for p in run.report.warnings)
    assert world.source().failures == 0


def entity_bomb() -> bytes:
    """One 50 KB entity referenced 20,000 times: a gigabyte of text if it were expanded."""
    refs = "&big;" * 10_000
    return rss(
        item("bomb", title=refs, body=refs, date=day(1)),
        item("after", date=day(2)),
        prolog=f'<!DOCTYPE rss [<!ENTITY big "{"x" * 50_000}">]>',
    )


@pytest.mark.parametrize("measure", ["time", "memory"])
def test_entity_expansion_feed_costs_bounded_time_and_memory(world: World, measure: str) -> None:
    """The whole pass (fetch, parse, store, render, publish) stays small and quick.  Time and
    memory are measured in separate runs: tracemalloc itself slows Python down several times."""
    world.configure(world.remote())
    world.serve("/feed.xml", entity_bomb())
    configs = load_config_dir(world.config_dir)
    once = partial(
        run_once, configs, output=world.output, state=world.state, clock=fixed_clock(NOW)
    )
    with untraced():
        if measure == "time":
            started = time.perf_counter()
            [run] = once()
            assert time.perf_counter() - started < 1.0
        else:
            tracemalloc.start()
            try:
                [run] = once()
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
            assert peak < 50_000_000
    assert run.outcomes[0].ok
    assert any("undefined entities kept as text: &big;" in p.message for p in run.report.warnings)
    assert len(world.entries()) == 2
    for name, data in world.files().items():
        assert_valid_atom(data, self_url=BASE_URL + name)
        assert b"x" * 1000 not in data


@pytest.mark.parametrize(
    "body",
    [
        rss(item("same", title="First", date=day(1)), item("same", title="Second", date=day(2))),
        atom(atom_entry("tag:x,2026:same", "First"), atom_entry("tag:x,2026:same", "Second")),
    ],
    ids=["rss-guid", "atom-id"],
)
def test_duplicate_ids_in_one_document_keep_the_first(world: World, body: bytes) -> None:
    world.configure(world.remote())
    world.serve("/feed.xml", body)

    run = world.run()

    assert world.titles() == {"First"}
    assert any("duplicate id" in p.message for p in run.report.warnings)


def test_entries_without_id_or_date_keep_their_first_seen_date(world: World) -> None:
    body = rss(
        item("with-link", guid=False),  # identity from the link
        item("bare", title="No link either", link="", guid=False),  # from title and content
    )
    world.configure(world.remote())
    world.serve("/feed.xml", body)
    world.run()
    first = world.files()

    world.run(after=timedelta(days=2))
    world.run(after=timedelta(days=2))

    entries = world.entries()
    assert {e.title for e in entries} == {"Story with-link", "No link either"}
    for entry in entries:
        assert entry.published == entry.updated == format_rfc3339(NOW)
    assert world.files() == first


def test_javascript_links_are_dropped(world: World) -> None:
    body = rss(
        item("js", link="javascript:alert(1)", date=day(1), body='<a href="javascript:x()">y</a>'),
        item("ok", date=day(2)),
    )
    world.configure(world.remote())
    world.serve("/feed.xml", body)

    run = world.run()

    for data in world.files().values():
        assert b"javascript" not in data.lower()
    [js] = [e for e in world.entries() if e.title == "Story js"]
    assert all(link.href.startswith("https://") for link in js.get("links", []))
    assert any("no http(s) URL" in p.message for p in run.report.warnings)


def test_republished_atom_entry_keeps_its_id_and_names_its_source(world: World) -> None:
    world.configure(world.remote())
    world.serve("/feed.xml", atom(atom_entry("tag:blog.example.net,2026:post-1", "Post one")))

    world.run()

    for name, data in world.files().items():
        [entry] = etree.fromstring(data).findall(f"{ATOM}entry")
        assert entry.findtext(f"{ATOM}id") == "tag:blog.example.net,2026:post-1", name
        source = entry.find(f"{ATOM}source")
        assert source is not None, name
        assert source.findtext(f"{ATOM}id") == "tag:blog.example.net,2026:feed"
        assert source.findtext(f"{ATOM}title") == "Remote Blog"
    [parsed] = world.entries("en.atom.xml")
    assert parsed.id == "tag:blog.example.net,2026:post-1"
    assert parsed.source.title == "Remote Blog"


# --- state across runs -------------------------------------------------------------------------


def test_changed_remote_entry_moves_updated_and_keeps_published(one_remote: World) -> None:
    world = one_remote
    [old] = [e for e in world.entries() if e.title == "Story 1"]
    world.serve(
        "/feed.xml", rss(item("1", date=day(1), body="Corrected text"), item("2", date=day(2)))
    )

    run = world.run(after=timedelta(hours=5))

    assert (run.outcomes[0].new, run.outcomes[0].changed) == (0, 1)
    [new] = [e for e in world.entries() if e.title == "Story 1"]
    assert new.published == old.published == format_rfc3339(day(1))
    assert new.updated == format_rfc3339(world.now)  # when the change was first seen
    assert "Corrected text" in new.content[0].value
    [other] = [e for e in world.entries() if e.title == "Story 2"]
    assert other.updated == format_rfc3339(day(2))


def test_losing_the_state_database_loses_no_entry_the_feed_still_holds(one_remote: World) -> None:
    world = one_remote
    before = world.files()
    for path in world.state.parent.glob(world.state.name + "*"):  # the database, -wal, -shm
        path.unlink()

    run = world.run(after=timedelta(days=1))

    assert run.report.written == ()
    assert world.files() == before


def test_entry_the_remote_feed_drops_stays_published(one_remote: World) -> None:
    world = one_remote
    world.serve("/feed.xml", dated("2", "3"))

    world.run(after=timedelta(minutes=20))
    world.run(after=timedelta(days=1))

    assert world.titles() == {"Story 1", "Story 2", "Story 3"}
    assert world.titles("en.atom.xml") == {"Story 1", "Story 2", "Story 3"}


def test_retention_prunes_to_the_newest_and_pruned_entries_never_return(world: World) -> None:
    world.configure(world.remote(extra="retain = { max_entries = 2 }\n"))
    world.serve("/feed.xml", dated("1", "2", "3"))

    world.run()
    assert world.titles() == {"Story 1", "Story 2"}

    world.serve("/feed.xml", dated("1", "2", "3"))  # still carries the pruned one
    world.run(after=timedelta(hours=1))
    assert world.titles() == {"Story 1", "Story 2"}

    world.serve(
        "/feed.xml", rss(item("0", date=NOW), item("1", date=day(1)), item("3", date=day(3)))
    )
    run = world.run(after=timedelta(hours=1))
    assert world.titles() == {"Story 0", "Story 1"}
    assert run.outcomes[0].new == 1
    assert len(world.stored()) == 2


def test_pruning_never_follows_a_failed_or_empty_fetch(world: World) -> None:
    world.configure(world.remote(extra='retain = { max_age = "7d" }\n'))
    world.serve("/feed.xml", dated("1", "2"))
    world.run()
    before = world.files()

    world.serve("/feed.xml", b"boom", status=500)
    world.run(after=timedelta(days=30))  # everything stored is now past max_age
    assert world.files() == before

    world.serve("/feed.xml", rss())  # a valid feed with no items
    empty = world.run(after=timedelta(days=1))
    assert empty.outcomes[0].ok
    assert world.files() == before
    assert len(world.stored()) == 2

    tomorrow = world.now + timedelta(days=1)
    world.serve("/feed.xml", rss(item("new", date=tomorrow)))
    world.run(after=timedelta(days=1))  # a fetch with entries: now the policy applies
    assert world.titles() == {"Story new"}


# --- deduplication against local articles --------------------------------------------------------

LOCAL_ARTICLE = """\
    ---
    title: Local story
    date: 2026-02-01T00:00:00Z
    lang: en
    source: http://www.example.org/a/?utm_source=x
    ---

    The local translation of the story, written by hand.
    """


@pytest.mark.parametrize(
    ("remote_priority", "winner"),
    [("", "Local story"), ("priority = -1\n", "Remote story")],
    ids=["local-wins-by-default", "remote-with-priority-minus-1-wins"],
)
def test_local_article_and_remote_entry_with_the_same_url_give_one_entry(
    world: World, remote_priority: str, winner: str
) -> None:
    world.article("a.md", LOCAL_ARTICLE)
    remote_entry = item("a", title="Remote story", link="https://example.org/a", date=day(1))
    world.serve("/feed.xml", rss(remote_entry, item("other", date=day(2))))
    world.configure(
        '\n[[source]]\nname = "local"\npath = "articles"\n' + world.remote(extra=remote_priority)
    )

    run = world.run()

    assert all(o.ok for o in run.outcomes)
    for name in FEED_FILES:
        titles = [e.title for e in world.entries(name)]
        assert sorted(titles) == sorted([winner, "Story other"]), name


# --- filters -------------------------------------------------------------------------------------

FILTERED = rss(
    item("1", title="Sponsored: buy this", date=day(1)),
    item("2", title="SPONSORED content", date=day(2)),
    item("3", title="Keep: real news", date=day(3)),
    item("4", title="Other news", date=day(4)),
)


@pytest.mark.parametrize(
    ("rules", "titles"),
    [
        ('exclude = { title = "(?i)sponsored" }', {"Keep: real news", "Other news"}),
        ('include = { title = "^Keep" }', {"Keep: real news"}),
        (
            'include = { title = "news" }\nexclude = { title = "^Other" }',
            {"Keep: real news"},
        ),
    ],
    ids=["exclude", "include", "include-and-exclude"],
)
def test_filters_admit_what_they_say(world: World, rules: str, titles: set[str]) -> None:
    world.configure(world.remote(extra=rules + "\n"))
    world.serve("/feed.xml", FILTERED)

    world.run()

    assert world.titles() == titles
    assert world.titles("en.atom.xml") == titles


# --- the command line: exit codes and status -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cli:
    code: int
    out: str
    err: str

    @property
    def errors(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.startswith("feedkit: error:")]


@pytest.fixture
def cli(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Cli]:
    """`feedkit.cli.main` in-process on the world's folders, at the world's time."""

    def main(command: str, *extra: str) -> Cli:
        clock = fixed_clock(world.now)
        monkeypatch.setattr(  # the CLI imports run_once from here when it runs
            feedkit.pipeline, "run_once", partial(run_once, clock=clock, rand=lambda: 0.5)
        )
        argv = [command, "--config", str(world.config_dir), "--state", str(world.state)]
        if command == "run":
            argv += ["--once", "--output", str(world.output)]
        code = feedkit.cli.main([*argv, *extra])
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return Cli(code, out, err)

    return main


def test_cli_run_exits_0_when_every_source_is_fine(world: World, cli: Callable[..., Cli]) -> None:
    world.article("a.md", LOCAL_ARTICLE)
    world.serve("/feed.xml", dated("1", "2"))
    world.configure('\n[[source]]\nname = "local"\npath = "articles"\n' + world.remote())

    result = cli("run")

    assert (result.code, result.err) == (0, "")
    assert sorted(result.out.splitlines()) == [str(world.out / n) for n in WRITTEN]
    for name, data in world.files().items():
        assert_valid_atom(data, self_url=BASE_URL + name)
    assert world.titles() == {"Local story", "Story 1", "Story 2"}

    again = cli("run")
    assert (again.code, again.out, again.err) == (0, "", "")  # nothing changed, nothing written


def test_cli_run_exits_1_when_a_source_fails_and_still_publishes(
    world: World, cli: Callable[..., Cli]
) -> None:
    world.article("a.md", LOCAL_ARTICLE)
    world.serve("/feed.xml", dated("1"))
    world.serve("/broken.xml", dated("5", "6"))
    world.configure(
        '\n[[source]]\nname = "local"\npath = "articles"\n'
        + world.remote()
        + world.remote(name="broken", path="/broken.xml")
    )
    assert cli("run").code == 0
    world.serve("/feed.xml", dated("1", "2"))
    world.serve("/broken.xml", b"boom", status=500)
    world.now += timedelta(minutes=20)

    result = cli("run")

    assert result.code == 1
    assert sorted(result.out.splitlines()) == [str(world.out / n) for n in FEED_FILES]
    [error] = result.errors
    assert world.url("/broken.xml") in error
    assert "HTTP 500" in error
    assert "broken" in error
    # published from everything else, and from what the failing source gave before
    assert world.titles() == {"Local story", "Story 1", "Story 2", "Story 5", "Story 6"}
    for name, data in world.files().items():
        assert_valid_atom(data, self_url=BASE_URL + name)


@pytest.mark.parametrize(
    ("line", "key", "expected"),
    [
        ('interval = "soon"\n', "source[1].interval", "expected a duration"),
        ('intervall = "15m"\n', "source[1].intervall", "unknown key"),
        ('exclude = { title = "(" }\n', "source[1].exclude.title", "regular expression"),
    ],
    ids=["bad-value", "unknown-key", "bad-regex"],
)
def test_cli_run_exits_2_on_a_config_error_naming_file_and_key(
    world: World, cli: Callable[..., Cli], line: str, key: str, expected: str
) -> None:
    path = world.configure(world.remote(extra=line))

    result = cli("run")

    assert (result.code, result.out) == (2, "")
    [error] = result.errors
    assert error.startswith(f"feedkit: error: {path}: ")
    assert key in error
    assert expected in error
    assert world.requests() == []
    assert not world.output.exists()


def test_cli_status_tells_the_truth(world: World, cli: Callable[..., Cli]) -> None:
    world.article("a.md", LOCAL_ARTICLE)
    world.server.routes["/old.xml"] = redirect(301, world.url("/new.xml"))
    world.serve("/new.xml", dated("1", "2"))
    world.serve("/gone.xml", dated("3"))
    world.serve("/broken.xml", dated("4", "5", "6"))
    world.configure(
        '\n[[source]]\nname = "local"\npath = "articles"\n'
        + world.remote(name="moved", path="/old.xml")
        + world.remote(name="gone", path="/gone.xml")
        + world.remote(name="broken", path="/broken.xml", extra='interval = "1h"\n')
        + world.remote(name="idle", path="/idle.xml", extra="enabled = false\n")
    )
    world.run()
    world.serve("/gone.xml", b"", status=410)
    world.serve("/broken.xml", b"boom", status=500)
    world.run(after=timedelta(hours=2))
    world.run(after=timedelta(hours=2))  # the broken one fails a second time
    config = world.config_dir / f"{FEED_NAME}.toml"
    config.write_text(config.read_text() + world.remote(name="fresh", path="/fresh.xml"))

    result = cli("status")

    assert (result.code, result.err) == (0, "")
    blocks = status_blocks(result.out)
    assert blocks["moved"][0] == f"moved [feed] {world.url('/old.xml')}"
    assert f"moved permanently to {world.url('/new.xml')}" in blocks["moved"]
    assert "entries stored 2, published 2" in blocks["moved"]
    assert any(line.startswith("retired") for line in blocks["gone"])
    assert any(
        line.endswith("next fetch never (retired; --force fetches it)") for line in blocks["gone"]
    )
    assert "entries stored 1, published 1" in blocks["gone"]
    broken = blocks["broken"]
    due = world.now + timedelta(hours=1)  # its interval: longer than 2 failures' backoff
    assert f"failures in a row 2, next fetch {format_rfc3339(due)}" in broken
    assert f"last error: {world.url('/broken.xml')}: HTTP 500 Internal Server Error" in broken
    assert f"last success {format_rfc3339(NOW)}" in " ".join(broken)
    assert "entries stored 3, published 3" in broken
    assert any("with errors" in line for line in broken)
    assert "files 1, entries published 1" in blocks["local"]
    assert blocks["idle"][0].endswith("(disabled)")
    assert blocks["fresh"][1:] == ["never run"]
    assert world.requests("/idle.xml") == world.requests("/fresh.xml") == []


def test_cli_status_before_any_run_says_so(world: World, cli: Callable[..., Cli]) -> None:
    world.configure(world.remote())

    result = cli("status")

    assert (result.code, result.err) == (0, "")
    assert result.out.startswith(f"no state yet ({world.state})")
    assert "news: News (1 sources)" in result.out
    assert not world.state.exists()


def status_blocks(text: str) -> dict[str, list[str]]:
    """`status` output as {source name: [its head line, its detail lines]} (indents stripped)."""
    blocks: dict[str, list[str]] = {}
    current: list[str] = []
    for line in text.splitlines():
        if line.startswith("    "):
            current.append(line.strip())
        elif line.startswith("  "):
            current = blocks.setdefault(line.split()[0], [line.strip()])
    return blocks
