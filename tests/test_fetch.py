"""feedkit.fetch against a real HTTP server on 127.0.0.1 (tests/httpserver.py)."""

from __future__ import annotations

import gzip
import re
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from httpserver import Request, Route, TestServer, redirect, serve_routes

from feedkit import __version__
from feedkit.clock import fixed_clock
from feedkit.errors import FetchError
from feedkit.fetch import (
    Fetcher,
    FetchLimits,
    HttpStatusError,
    RetryLater,
    Validators,
    cache_max_age,
    parse_retry_after,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
KIB = 1024
MIB = 1024 * 1024

MakeFetcher = Callable[..., Fetcher]


def http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


@pytest.fixture
def srv() -> Iterator[TestServer]:
    with serve_routes() as server:
        yield server


@pytest.fixture
def make_fetcher() -> Iterator[MakeFetcher]:
    """Fetchers with small, fast limits (overridable) and a fixed clock; all closed afterwards."""
    made: list[Fetcher] = []

    def make(**limits: float) -> Fetcher:
        defaults: dict[str, float] = {
            "connect_timeout": 2,
            "read_timeout": 5,
            "deadline": 5,
            "max_bytes": 256 * KIB,
            "max_decoded_bytes": 512 * KIB,
            "max_redirects": 5,
        }
        values = defaults | limits
        fetcher = Fetcher(
            limits=FetchLimits(
                connect_timeout=values["connect_timeout"],
                read_timeout=values["read_timeout"],
                deadline=values["deadline"],
                max_bytes=int(values["max_bytes"]),
                max_decoded_bytes=int(values["max_decoded_bytes"]),
                max_redirects=int(values["max_redirects"]),
            ),
            clock=fixed_clock(NOW),
        )
        made.append(fetcher)
        return fetcher

    yield make
    for fetcher in made:
        fetcher.close()


@pytest.fixture
def fetcher(make_fetcher: MakeFetcher) -> Fetcher:
    return make_fetcher()


# --- plain answers -------------------------------------------------------------------------------


def test_200_body_and_request_headers(srv: TestServer, fetcher: Fetcher) -> None:
    srv.routes["/feed"] = Route(body=FEED, headers=(("Content-Type", "application/rss+xml"),))
    result = fetcher.fetch(srv.url("/feed"))
    assert (result.status, result.url, result.body) == (200, srv.url("/feed"), FEED)
    assert result.header("Content-Type") == "application/rss+xml"
    assert result.permanent_redirect is None
    assert 0 <= result.elapsed < 2
    sent = srv.requests_to("/feed")[0].headers
    assert sent["user-agent"] == f"feedkit/{__version__} (+https://github.com/feedkit/feedkit)"
    assert sent["accept-encoding"] == "gzip, deflate"
    assert "application/atom+xml" in sent["accept"]
    assert "if-none-match" not in sent
    assert "if-modified-since" not in sent


def test_custom_user_agent_and_accept(srv: TestServer) -> None:
    srv.routes["/page"] = Route(body=b"<html></html>")
    with Fetcher(user_agent="feedkit-test/1") as fetcher:
        fetcher.fetch(srv.url("/page"), accept="text/html")
    sent = srv.requests_to("/page")[0].headers
    assert (sent["user-agent"], sent["accept"]) == ("feedkit-test/1", "text/html")


def test_keep_alive_connection_is_reused(srv: TestServer, fetcher: Fetcher) -> None:
    srv.routes["/a"] = Route(body=FEED)
    srv.routes["/b"] = Route(status=304)
    for path in ("/a", "/b", "/a"):
        fetcher.fetch(srv.url(path))
    assert len({r.client_port for r in srv.requests}) == 1


# --- conditional GET -----------------------------------------------------------------------------


def test_304_after_sending_validators(srv: TestServer, fetcher: Fetcher) -> None:
    def conditional(request: Request) -> Route:
        if request.headers.get("if-none-match") == '"v1"':
            return Route(status=304, headers=(("ETag", '"v1"'),))
        return Route(body=FEED, headers=(("ETag", '"v1"'),))

    srv.routes["/feed"] = Route(handler=conditional)
    old = Validators(etag='"v1"', last_modified="Wed, 01 Apr 2026 10:00:00 GMT")
    result = fetcher.fetch(srv.url("/feed"), validators=old)
    assert (result.status, result.body) == (304, b"")
    assert (result.etag, result.last_modified) == (old.etag, old.last_modified)
    sent = srv.requests_to("/feed")[0].headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Wed, 01 Apr 2026 10:00:00 GMT"


@pytest.mark.parametrize("status", [200, 304])
@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ((("ETag", '"new"'),), ('"new"', "old-lm")),
        ((("Last-Modified", "new-lm"),), ('"old"', "new-lm")),
        ((("ETag", '"new"'), ("Last-Modified", "new-lm")), ('"new"', "new-lm")),
        ((), ('"old"', "old-lm")),
    ],
    ids=["etag-only", "last-modified-only", "both", "neither"],
)
def test_validators_are_updated_each_on_its_own(
    srv: TestServer,
    fetcher: Fetcher,
    status: int,
    headers: tuple[tuple[str, str], ...],
    expected: tuple[str, str],
) -> None:
    srv.routes["/feed"] = Route(status=status, headers=headers, body=FEED if status == 200 else b"")
    result = fetcher.fetch(
        srv.url("/feed"), validators=Validators(etag='"old"', last_modified="old-lm")
    )
    assert (result.etag, result.last_modified) == expected
    assert result.validators == Validators(etag=expected[0], last_modified=expected[1])


# --- redirects -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chain", "permanent_hop"),
    [
        ([301], 1),
        ([308], 1),
        ([302], None),
        ([303], None),
        ([307], None),
        ([301, 308], 2),
        ([301, 302], 1),
        ([302, 301], None),
        ([301, 307, 301], 1),
    ],
    ids=lambda v: "-".join(map(str, v)) if isinstance(v, list) else f"hop{v}",
)
def test_permanent_redirects_recorded(
    srv: TestServer, fetcher: Fetcher, chain: list[int], permanent_hop: int | None
) -> None:
    paths = [f"/hop{i}" for i in range(len(chain))] + ["/final"]
    for i, status in enumerate(chain):
        srv.routes[paths[i]] = redirect(status, paths[i + 1])  # relative Location
    srv.routes["/final"] = Route(body=FEED)
    result = fetcher.fetch(srv.url("/hop0"))
    assert (result.status, result.url, result.body) == (200, srv.url("/final"), FEED)
    expected = None if permanent_hop is None else srv.url(paths[permanent_hop])
    assert result.permanent_redirect == expected
    assert [r.path for r in srv.requests] == paths


def test_redirect_loop(srv: TestServer, fetcher: Fetcher) -> None:
    srv.routes["/a"] = redirect(302, "/b")
    srv.routes["/b"] = redirect(301, srv.url("/a"))
    with pytest.raises(FetchError, match=r"^http://127\.0\.0\.1:\d+/a: redirect loop"):
        fetcher.fetch(srv.url("/a"))
    assert len(srv.requests) == 2


def test_too_many_redirects(srv: TestServer, make_fetcher: MakeFetcher) -> None:
    for i in range(4):
        srv.routes[f"/{i}"] = redirect(302, f"/{i + 1}")
    srv.routes["/4"] = Route(body=FEED)
    assert make_fetcher(max_redirects=4).fetch(srv.url("/0")).url == srv.url("/4")
    with pytest.raises(FetchError, match="more than 3 redirects"):
        make_fetcher(max_redirects=3).fetch(srv.url("/0"))


def test_redirect_to_other_scheme_not_followed(srv: TestServer, fetcher: Fetcher) -> None:
    srv.routes["/feed"] = redirect(302, "file:///etc/passwd")
    with pytest.raises(FetchError, match="will not follow a redirect to 'file:///etc/passwd'"):
        fetcher.fetch(srv.url("/feed"))


# --- statuses ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "reason"),
    [(404, "Not Found"), (403, "Forbidden"), (500, "Internal Server Error"), (300, "")],
    ids=str,
)
def test_error_statuses(srv: TestServer, fetcher: Fetcher, status: int, reason: str) -> None:
    srv.routes["/feed"] = Route(status=status, body=b"nope")
    with pytest.raises(HttpStatusError) as info:
        fetcher.fetch(srv.url("/feed"))
    assert info.value.status == status
    assert str(info.value).startswith(f"{srv.url('/feed')}: HTTP {status}")
    assert reason in str(info.value)
    assert isinstance(info.value, FetchError)


def test_410_is_a_result(srv: TestServer, fetcher: Fetcher) -> None:
    srv.routes["/feed"] = Route(status=410, body=b"gone")
    result = fetcher.fetch(srv.url("/feed"))
    assert (result.status, result.body) == (410, b"")


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize(
    ("value", "expected"),
    [("120", 120.0), (http_date(NOW + timedelta(seconds=90)), 90.0), (None, None)],
    ids=["seconds", "http-date", "absent"],
)
def test_retry_later(
    srv: TestServer, fetcher: Fetcher, status: int, value: str | None, expected: float | None
) -> None:
    headers = () if value is None else (("Retry-After", value),)
    srv.routes["/feed"] = Route(status=status, headers=headers)
    with pytest.raises(RetryLater) as info:
        fetcher.fetch(srv.url("/feed"))
    assert (info.value.status, info.value.retry_after) == (status, expected)
    assert str(info.value).startswith(f"{srv.url('/feed')}: HTTP {status}")


# --- network failures and deadlines --------------------------------------------------------------


def test_closed_port(fetcher: Fetcher) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/feed"
    with pytest.raises(FetchError, match=rf"^{url}: connection failed: Connection refused$"):
        fetcher.fetch(url)


def test_dripping_server_cut_at_deadline(srv: TestServer, make_fetcher: MakeFetcher) -> None:
    srv.routes["/drip"] = Route(body=FEED, drip=1.0)  # the read timeout never trips
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"/drip: no answer within 2 s$"):
        make_fetcher(deadline=2, read_timeout=5).fetch(srv.url("/drip"))
    assert 1.9 < time.monotonic() - started < 3


def test_cut_close_delimited_body_is_not_taken_as_complete(
    srv: TestServer, make_fetcher: MakeFetcher
) -> None:
    # No Content-Length: the EOF the deadline causes must not read as the end of the body.
    def slow() -> Iterator[bytes]:
        for byte in FEED:
            srv.stop.wait(0.1)
            yield bytes([byte])

    srv.routes["/slow"] = Route(endless=slow)
    with pytest.raises(FetchError, match=r"/slow: no answer within 0.5 s$"):
        make_fetcher(deadline=0.5).fetch(srv.url("/slow"))


def test_stall_after_headers_cut_at_deadline(srv: TestServer, make_fetcher: MakeFetcher) -> None:
    srv.routes["/stall"] = Route(body=FEED, stall_after_headers=True)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"no answer within 1 s"):
        make_fetcher(deadline=1, read_timeout=10).fetch(srv.url("/stall"))
    assert 0.9 < time.monotonic() - started < 1.5


def test_silent_server_cut_at_deadline(srv: TestServer, make_fetcher: MakeFetcher) -> None:
    def silent(_: Request) -> Route:
        srv.stop.wait(1.5)  # not even a status line until after the deadline
        return Route(body=FEED)

    srv.routes["/silent"] = Route(handler=silent)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"no answer within 0\.5 s"):
        make_fetcher(deadline=0.5, read_timeout=10).fetch(srv.url("/silent"))
    assert time.monotonic() - started < 1


def test_read_timeout(srv: TestServer, make_fetcher: MakeFetcher) -> None:
    srv.routes["/stall"] = Route(body=FEED, stall_after_headers=True)
    with pytest.raises(FetchError, match=r"no answer within 0.3 s \(read timeout\)"):
        make_fetcher(deadline=5, read_timeout=0.3).fetch(srv.url("/stall"))


def test_fetcher_still_works_after_a_deadline(srv: TestServer, make_fetcher: MakeFetcher) -> None:
    srv.routes["/stall"] = Route(body=FEED, stall_after_headers=True)
    srv.routes["/feed"] = Route(body=FEED)
    fetcher = make_fetcher(deadline=0.3)
    with pytest.raises(FetchError):
        fetcher.fetch(srv.url("/stall"))
    assert fetcher.fetch(srv.url("/feed")).body == FEED


# --- size caps and encodings ---------------------------------------------------------------------


def endless_zeros() -> Iterator[bytes]:
    while True:
        yield b"\0" * (16 * KIB)


def test_endless_body_stopped_at_max_bytes(srv: TestServer, fetcher: Fetcher) -> None:
    srv.routes["/endless"] = Route(endless=endless_zeros)
    with pytest.raises(FetchError, match=rf"/endless: response larger than {256 * KIB} bytes$"):
        fetcher.fetch(srv.url("/endless"))


def test_content_length_over_cap_refused_before_reading(srv: TestServer, fetcher: Fetcher) -> None:
    # The body never comes: reading it would hang until the deadline.
    srv.routes["/big"] = Route(headers=(("Content-Length", str(MIB)),), stall_after_headers=True)
    started = time.monotonic()
    with pytest.raises(FetchError, match=rf"/big: response larger than {256 * KIB} bytes$"):
        fetcher.fetch(srv.url("/big"))
    assert time.monotonic() - started < 1


def test_body_exactly_at_cap_is_fine(srv: TestServer, fetcher: Fetcher) -> None:
    srv.routes["/feed"] = Route(body=b"x" * (256 * KIB))
    assert len(fetcher.fetch(srv.url("/feed")).body) == 256 * KIB


@pytest.mark.parametrize(
    ("coding", "compress"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data, wbits=-15)),
    ],
    ids=["gzip", "x-gzip", "deflate-zlib", "deflate-raw"],
)
def test_compressed_body_decoded(
    srv: TestServer, fetcher: Fetcher, coding: str, compress: Callable[[bytes], bytes]
) -> None:
    body = FEED * 1000  # inflates across several chunks
    srv.routes["/feed"] = Route(body=compress(body), headers=(("Content-Encoding", coding),))
    assert fetcher.fetch(srv.url("/feed")).body == body


def test_gzip_bomb_stopped_with_bounded_memory(srv: TestServer, make_fetcher: MakeFetcher) -> None:
    bomb = gzip.compress(b"\0" * (64 * MIB), compresslevel=9)  # ~64 KiB on the wire
    srv.routes["/bomb"] = Route(body=bomb, headers=(("Content-Encoding", "gzip"),))
    fetcher = make_fetcher(max_bytes=MIB, max_decoded_bytes=MIB)
    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match=rf"/bomb: response inflates to more than {MIB} bytes"):
            fetcher.fetch(srv.url("/bomb"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 6 * MIB, peak


def test_corrupt_gzip(srv: TestServer, fetcher: Fetcher) -> None:
    srv.routes["/feed"] = Route(body=b"not gzip at all", headers=(("Content-Encoding", "gzip"),))
    with pytest.raises(FetchError, match=r"/feed: cannot decompress the body"):
        fetcher.fetch(srv.url("/feed"))


def test_unknown_content_encoding(srv: TestServer, fetcher: Fetcher) -> None:
    srv.routes["/feed"] = Route(body=b"??", headers=(("Content-Encoding", "br"),))
    with pytest.raises(FetchError, match="unsupported Content-Encoding 'br'"):
        fetcher.fetch(srv.url("/feed"))


# --- cache hints ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ((("Cache-Control", "public, max-age=600"),), 600.0),
        ((("Cache-Control", "max-age=600"), ("Age", "100")), 500.0),
        ((("Cache-Control", "max-age=600"), ("Expires", http_date(NOW))), 600.0),
        ((("Expires", http_date(NOW + timedelta(hours=1))),), 3600.0),
        (
            (
                ("Date", http_date(NOW - timedelta(minutes=10))),
                ("Expires", http_date(NOW + timedelta(minutes=20))),
            ),
            1800.0,
        ),
        ((("Expires", "0"),), 0.0),
        ((("Expires", http_date(NOW - timedelta(hours=1))),), 0.0),
        ((("Cache-Control", "no-cache"),), None),
        ((), None),
    ],
    ids=[
        "max-age",
        "max-age-minus-age",
        "max-age-beats-expires",
        "expires-vs-now",
        "expires-minus-date",
        "expires-invalid",
        "expires-past",
        "no-max-age",
        "nothing",
    ],
)
def test_cache_max_age(headers: tuple[tuple[str, str], ...], expected: float | None) -> None:
    assert cache_max_age(headers, NOW) == expected


def test_max_age_on_result(srv: TestServer, fetcher: Fetcher) -> None:
    srv.routes["/cc"] = Route(body=FEED, headers=(("Cache-Control", "max-age=300"),))
    srv.routes["/exp"] = Route(
        body=FEED,
        headers=(
            ("Date", http_date(NOW)),
            ("Expires", http_date(NOW + timedelta(seconds=900))),
        ),
    )
    assert fetcher.fetch(srv.url("/cc")).max_age == 300.0
    assert fetcher.fetch(srv.url("/exp")).max_age == 900.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0.0),
        (" 3600 ", 3600.0),
        (http_date(NOW + timedelta(minutes=5)), 300.0),
        (http_date(NOW - timedelta(minutes=5)), 0.0),
        ("Fri, 01 May 2026 12:02:00", 120.0),  # no zone: taken as UTC
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("", None),
        ("٣", None),  # a non-ASCII digit
    ],
    ids=repr,
)
def test_parse_retry_after(value: str, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_concurrent_fetches_keep_their_own_deadlines(
    srv: TestServer, make_fetcher: MakeFetcher
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    srv.routes["/drip"] = Route(body=FEED, drip=0.5)
    srv.routes["/feed"] = Route(body=FEED)
    fetcher = make_fetcher(deadline=1)

    def fetch(path: str) -> bytes | str:
        try:
            return fetcher.fetch(srv.url(path)).body
        except FetchError as exc:
            return str(exc)

    paths = ["/drip", *["/feed"] * 20, "/drip"]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(fetch, paths))
    assert results[1:-1] == [FEED] * 20
    assert all(str(r).endswith("/drip: no answer within 1 s") for r in (results[0], results[-1]))


# --- malformed answers: always a FetchError, never a library exception ---------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"garbage\r\n\r\n", "connection failed"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhi", "IncompleteRead"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "connection failed"),
        (b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 200 + b"\r\n", "more than 100 headers"),
        (b"HTTP/1.1 301 M\r\nLocation: http://[::1\r\nContent-Length: 0\r\n\r\n", "bad redirect"),
        (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n\x1f\x8b\x08\x00", "truncated"),
        (b"", "connection failed"),
    ],
    ids=[
        "status-line",
        "short-body",
        "bad-chunk",
        "many-headers",
        "bad-location",
        "cut-gzip",
        "silence",
    ],
)
def test_malformed_answer(fetcher: Fetcher, raw: bytes, reason: str) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/feed"

        def answer() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(raw)

        thread = threading.Thread(target=answer)
        thread.start()
        try:
            with pytest.raises(FetchError, match=rf"^{re.escape(url)}: .*{reason}"):
                fetcher.fetch(url)
        finally:
            thread.join(timeout=5)


@pytest.mark.parametrize("url", ["feed.xml", "ftp://example.org/f", "http://[::1", "http://a b/"])
def test_unusable_url(fetcher: Fetcher, url: str) -> None:
    with pytest.raises(FetchError, match=rf"^{re.escape(url)}: "):
        fetcher.fetch(url)


def test_unsendable_validators_are_left_out(srv: TestServer, fetcher: Fetcher) -> None:
    srv.routes["/feed"] = Route(body=FEED)
    fetcher.fetch(srv.url("/feed"), validators=Validators(etag="a\r\nX: y", last_modified="☃"))
    sent = srv.requests_to("/feed")[0].headers
    assert "x" not in sent
    assert "if-none-match" not in sent
    assert "if-modified-since" not in sent
