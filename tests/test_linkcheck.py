"""feedkit.linkcheck against pages served from 127.0.0.1 (tests/httpserver.py), with fake time."""

from __future__ import annotations

import dataclasses
import itertools
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from httpserver import Request, Route, TestServer, redirect, serve_routes

from feedkit.dedupe import dedupe
from feedkit.fetch import Fetcher, FetchLimits
from feedkit.linkcheck import (
    PAGE_ACCEPT,
    LinkChecker,
    LinkResult,
    LinkStatus,
    PageFetcher,
    apply_page_meta,
    meta_from_json,
    meta_to_json,
)
from feedkit.model import Entry
from feedkit.pagemeta import MAX_TEXT, PageMeta
from feedkit.store import Store
from feedkit.urls import canonical_url

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
HTML = (("Content-Type", "text/html; charset=utf-8"),)
LIMITS = FetchLimits(connect_timeout=2, read_timeout=3, deadline=3, max_bytes=256 * 1024)


class FakeTime:
    """A clock that only moves when slept on; every sleep is recorded."""

    def __init__(self) -> None:
        self.now = T0
        self.sleeps: list[float] = []

    def clock(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def html_page(head: str) -> bytes:
    return f"<!doctype html><html lang=en><head>{head}</head><body>body</body></html>".encode()


@pytest.fixture
def srv() -> Iterator[TestServer]:
    with serve_routes() as server:
        yield server


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def store(tmp_path: Path, fake: FakeTime) -> Iterator[Store]:
    with Store.open(tmp_path / "state.sqlite", clock=fake.clock) as opened:
        yield opened


@pytest.fixture
def fetcher(fake: FakeTime) -> Iterator[PageFetcher]:
    with PageFetcher(limits=LIMITS, clock=fake.clock, head_bytes=64 * 1024) as made:
        yield made


@pytest.fixture
def checker(fetcher: PageFetcher, store: Store, fake: FakeTime) -> LinkChecker:
    return LinkChecker(fetcher, store, clock=fake.clock, sleep=fake.sleep)


def stamped(route: Route, fake: FakeTime, stamps: list[datetime]) -> Route:
    """`route`, recording the fake time at which each request arrives."""

    def handle(request: Request) -> Route:
        stamps.append(fake.now)
        return route

    return Route(handler=handle)


def entry(link: str, **changes: object) -> Entry:
    base = Entry(
        key=canonical_url(link) or link,
        id=f"{link}#en",
        lang="en",
        title="t",
        published=T0,
        updated=T0,
        link=link,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


# --- what a check reads ----------------------------------------------------------------------


def test_canonical_link_joins_two_spellings(srv: TestServer, checker: LinkChecker) -> None:
    page = Route(headers=HTML, body=html_page('<link rel="canonical" href="/article/1">'))
    srv.routes["/article/1"] = page
    srv.routes["/index.php"] = page  # /index.php?p=1: a spelling no URL rule can join
    a, b = srv.url("/article/1"), srv.url("/index.php?p=1")
    assert canonical_url(a) != canonical_url(b)
    results = checker.check([a, b])
    assert {r.status for r in results.values()} == {LinkStatus.OK}
    assert results[b].meta is not None
    assert results[b].meta.canonical == a
    joined = apply_page_meta([entry(a), entry(b, id="other")], results)
    assert {e.key for e in joined} == {canonical_url(a)}
    assert len(dedupe(joined)) == 1


def test_redirect_chain_gives_the_final_url(srv: TestServer, checker: LinkChecker) -> None:
    srv.routes["/old"] = redirect(301, "/middle")
    srv.routes["/middle"] = redirect(302, srv.url("/new/"))
    srv.routes["/new/"] = Route(
        headers=HTML, body=html_page('<meta property="og:image" content="cover.png">')
    )
    result = checker.check([srv.url("/old")])[srv.url("/old")]
    assert result.status is LinkStatus.OK
    assert result.meta is not None
    assert result.meta.final_url == srv.url("/new/")
    assert result.meta.image == srv.url("/new/cover.png")
    assert result.url == canonical_url(srv.url("/old"))  # cached under the link asked for


def test_og_tags_hostile_values(srv: TestServer, checker: LinkChecker) -> None:
    head = (
        '<meta property="og:title" content="<script>alert(1)</script>Hello">'
        f'<meta property="og:description" content="{"d" * 20_000}">'
        '<meta property="og:image" content="javascript:alert(document.cookie)">'
        '<meta property="og:site_name" content="Site &lt;b&gt;name&lt;/b&gt;">'
        '<link rel="canonical" href="https://elsewhere.example/steal">'
    )
    srv.routes["/p"] = Route(headers=HTML, body=html_page(head))
    huge = head.replace("d" * 20_000, "d" * 300_000)  # past the head cap: cut, not failed
    srv.routes["/big"] = Route(headers=HTML, body=html_page(huge))
    results = checker.check([srv.url("/p")])
    meta = results[srv.url("/p")].meta
    assert meta is not None
    assert meta.title == "Hello"
    assert meta.description == "d" * MAX_TEXT
    assert meta.image is None
    assert meta.site_name == "Site name"
    assert meta.canonical is None  # another site: not trusted
    assert apply_page_meta([entry(srv.url("/p"))], results) == [entry(srv.url("/p"))]
    big = checker.check([srv.url("/big")])[srv.url("/big")]
    assert big.status is LinkStatus.OK
    assert big.meta is not None
    assert (big.meta.title, big.meta.description) == ("Hello", None)


@pytest.mark.parametrize("status", [404, 410])
def test_dead_links_counted_in_a_row(
    srv: TestServer, checker: LinkChecker, store: Store, fake: FakeTime, status: int
) -> None:
    srv.routes["/gone"] = Route(status=status, body=b"gone")
    url = srv.url("/gone")
    for count in (1, 2, 3):
        result = checker.check([url])[url]
        assert (result.status, result.dead_count, result.http_status) == ("dead", count, status)
        assert result.meta is None
        assert checker.check([url])[url].status is LinkStatus.CACHED  # within the expiry
        fake.advance(timedelta(days=8))
    assert [r.url for r in store.dead_links(3)] == [canonical_url(url)]
    assert store.dead_links(4) == []
    srv.routes["/gone"] = Route(headers=HTML, body=html_page(""))  # back again
    assert checker.check([url])[url].dead_count == 0
    assert store.dead_links(1) == []


def test_other_failures_back_off_and_keep_the_last_good_meta(
    srv: TestServer, checker: LinkChecker, fake: FakeTime
) -> None:
    url = srv.url("/flaky")
    srv.routes["/flaky"] = Route(
        headers=HTML, body=html_page('<meta property="og:title" content="T">')
    )
    assert checker.check([url])[url].status is LinkStatus.OK
    srv.routes["/flaky"] = Route(status=500)
    fake.advance(timedelta(days=8))
    failed = checker.check([url])[url]
    assert failed.status is LinkStatus.FAILED
    assert "HTTP 500" in failed.error
    assert failed.meta is not None
    assert failed.meta.title == "T"
    assert failed.dead_count == 0
    fake.advance(timedelta(minutes=59))
    assert checker.check([url])[url].status is LinkStatus.CACHED
    fake.advance(timedelta(minutes=2))
    assert checker.check([url])[url].status is LinkStatus.FAILED  # then 2 h
    fake.advance(timedelta(minutes=119))
    assert checker.check([url])[url].status is LinkStatus.CACHED


# --- HTTP manners ----------------------------------------------------------------------------


def test_per_host_rate_limit_spaces_requests(
    srv: TestServer, fetcher: PageFetcher, store: Store, fake: FakeTime
) -> None:
    stamps: list[datetime] = []
    page = stamped(Route(headers=HTML, body=html_page("")), fake, stamps)
    for n in range(5):
        srv.routes[f"/p{n}"] = page
    checker = LinkChecker(fetcher, store, per_host_per_minute=6, clock=fake.clock, sleep=fake.sleep)
    checker.check([srv.url(f"/p{n}") for n in range(3)])
    assert stamps == [T0, T0 + timedelta(seconds=10), T0 + timedelta(seconds=20)]
    checker.check([srv.url("/p3")])  # the next call goes on from the same pace
    assert stamps[-1] == T0 + timedelta(seconds=30)
    fake.advance(timedelta(minutes=5))  # idle long enough: no wait
    checker.check([srv.url("/p4")])
    assert stamps[-1] == T0 + timedelta(seconds=30 + 300)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(stamps)]
    assert min(gaps) >= 10
    assert fake.sleeps == [10, 10, 10]


def test_one_fetch_per_page_per_call(srv: TestServer, checker: LinkChecker) -> None:
    srv.routes["/p"] = Route(headers=HTML, body=html_page(""))
    urls = [srv.url("/p"), srv.url("/p"), srv.url("/p?utm_source=x"), srv.url("/p/#top")]
    results = checker.check(urls)
    assert len(srv.requests_to("/p")) + len(srv.requests_to("/p/")) == 1
    assert set(results) == set(urls)
    assert len({id(r) for r in results.values()}) == 1


def test_request_headers_cache_and_conditional_get(
    srv: TestServer, checker: LinkChecker, fake: FakeTime
) -> None:
    head = '<meta property="og:title" content="Kept">'
    srv.routes["/p"] = Route(headers=(*HTML, ("ETag", '"v1"')), body=html_page(head))
    url = srv.url("/p")
    assert checker.check([url])[url].status is LinkStatus.OK
    first = srv.requests[0].headers
    assert first["user-agent"].startswith("feedkit/")
    assert first["accept"] == PAGE_ACCEPT
    assert first["accept-encoding"] == "identity"
    cached = checker.check([url])[url]
    assert cached.status is LinkStatus.CACHED
    assert cached.checked_at == T0
    assert len(srv.requests) == 1
    fake.advance(timedelta(days=7, seconds=1))
    srv.routes["/p"] = Route(status=304, headers=(("ETag", '"v1"'),))
    again = checker.check([url])[url]
    assert srv.requests[-1].headers["if-none-match"] == '"v1"'
    assert again.status is LinkStatus.OK
    assert again.meta is not None
    assert again.meta.title == "Kept"
    assert checker.check([url], use_cache=False)[url].status is LinkStatus.OK
    assert len(srv.requests) == 3


def test_without_a_store(srv: TestServer, fetcher: PageFetcher, fake: FakeTime) -> None:
    srv.routes["/p"] = Route(headers=HTML, body=html_page(""))
    checker = LinkChecker(fetcher, None, clock=fake.clock, sleep=fake.sleep)
    assert checker.check([srv.url("/p")])[srv.url("/p")].status is LinkStatus.OK
    assert checker.check([srv.url("/p")])[srv.url("/p")].status is LinkStatus.OK
    assert len(srv.requests) == 2


def endless_head() -> Iterator[bytes]:
    yield b"<html><head><meta property='og:title' content='Endless'>"
    while True:
        yield b"<meta name='filler' content='" + b"x" * 1000 + b"'>"


def test_a_page_that_never_ends(srv: TestServer, store: Store, fake: FakeTime) -> None:
    srv.routes["/endless"] = Route(headers=HTML, endless=endless_head)
    url = srv.url("/endless")
    started = time.monotonic()
    with PageFetcher(limits=LIMITS, clock=fake.clock, head_bytes=32 * 1024) as head_fetcher:
        result = LinkChecker(head_fetcher, store, clock=fake.clock, sleep=fake.sleep).check(
            [url], use_cache=False
        )[url]
    assert result.status is LinkStatus.OK  # the head is read up to the cap, then dropped
    assert result.meta is not None
    assert result.meta.title == "Endless"
    small = dataclasses.replace(LIMITS, max_bytes=32 * 1024)
    with Fetcher(limits=small, clock=fake.clock) as plain:
        result = LinkChecker(plain, store, clock=fake.clock, sleep=fake.sleep).check(
            [url], use_cache=False
        )[url]
    assert result.status is LinkStatus.FAILED
    assert "larger than 32768 bytes" in result.error
    assert time.monotonic() - started < 3


def test_a_page_that_stalls_hits_the_deadline(
    srv: TestServer, store: Store, fake: FakeTime
) -> None:
    srv.routes["/stall"] = Route(headers=HTML, body=b"x" * 100, stall_after_headers=True)
    fast = dataclasses.replace(LIMITS, deadline=0.5, read_timeout=0.5)
    with PageFetcher(limits=fast, clock=fake.clock) as head_fetcher:
        checker = LinkChecker(head_fetcher, store, clock=fake.clock, sleep=fake.sleep)
        result = checker.check([srv.url("/stall")])[srv.url("/stall")]
    assert result.status is LinkStatus.FAILED
    assert "no answer within" in result.error


def test_non_html_response(srv: TestServer, checker: LinkChecker) -> None:
    body = html_page('<meta property="og:title" content="not really">')
    srv.routes["/doc.pdf"] = Route(headers=(("Content-Type", "application/pdf"),), body=body)
    srv.routes["/data.json"] = Route(headers=(("Content-Type", "application/json"),), body=b"{}")
    results = checker.check([srv.url("/doc.pdf"), srv.url("/data.json")])
    for url in (srv.url("/doc.pdf"), srv.url("/data.json")):
        assert results[url].status is LinkStatus.OK
        assert results[url].meta == PageMeta(final_url=url)


def test_not_an_http_url_is_not_fetched(checker: LinkChecker, srv: TestServer) -> None:
    result = checker.check(["mailto:a@b.example"])["mailto:a@b.example"]
    assert result.status is LinkStatus.FAILED
    assert srv.requests == []


def test_one_check_of_a_url_in_flight(srv: TestServer, tmp_path: Path) -> None:
    """Two threads (each with its own checker and Store) ask for one page: one request."""
    started = threading.Event()

    def slow(request: Request) -> Route:
        started.set()
        time.sleep(0.3)
        return Route(headers=HTML, body=html_page(""))

    srv.routes["/p"] = Route(handler=slow)
    url = srv.url("/p")
    results: list[LinkResult] = []

    def run() -> None:
        with Store.open(tmp_path / "s.sqlite", clock=lambda: T0) as store, PageFetcher() as f:
            results.append(LinkChecker(f, store, clock=lambda: T0).check([url])[url])

    first = threading.Thread(target=run)
    first.start()
    assert started.wait(5)
    second = threading.Thread(target=run)
    second.start()
    first.join(5)
    second.join(5)
    assert sorted(r.status for r in results) == ["cached", "ok"]
    assert len(srv.requests) == 1


# --- apply_page_meta and the stored form -----------------------------------------------------


def result_with(meta: PageMeta) -> LinkResult:
    return LinkResult(url="k", status=LinkStatus.OK, meta=meta, dead_count=0, checked_at=T0)


def test_apply_the_file_wins() -> None:
    link = "https://example.org/a"
    meta = PageMeta(
        final_url=link,
        canonical="https://example.org/b",
        image="https://example.org/page.png",
        published=T0 - timedelta(days=3),
        modified=T0 - timedelta(days=1),
    )
    results = {link: result_with(meta)}
    plain = entry(link)
    with_image = entry(link, image="https://example.org/file.png")
    out = apply_page_meta([plain, with_image], results)
    assert out[0].key == "https://example.org/b"
    assert out[0].image == "https://example.org/page.png"
    assert out[1].image == "https://example.org/file.png"
    assert out[0].published == T0  # dated by the file
    dated = apply_page_meta([plain], results, undated_ids={plain.id})[0]
    assert (dated.published, dated.updated) == (T0 - timedelta(days=3), T0 - timedelta(days=1))
    assert apply_page_meta([entry("https://example.org/other")], results)[0] == entry(
        "https://example.org/other"
    )


def test_apply_ignores_a_root_canonical_and_missing_meta() -> None:
    link = "https://example.org/a"
    root = PageMeta(final_url=link, canonical="https://example.org/")
    assert apply_page_meta([entry(link)], {link: result_with(root)})[0].key == canonical_url(link)
    dead = LinkResult(url="k", status=LinkStatus.DEAD, meta=None, dead_count=2, checked_at=T0)
    assert apply_page_meta([entry(link)], {link: dead}) == [entry(link)]


def test_meta_json_round_trip() -> None:
    meta = PageMeta(final_url="https://e.org/", title="t", lang="en", published=T0, modified=None)
    assert meta_from_json(meta_to_json(meta)) == meta
    for bad in (None, "", "[]", '{"final_url": 3}', '{"final_url": "x", "title": 5}', "{"):
        assert meta_from_json(bad) is None
