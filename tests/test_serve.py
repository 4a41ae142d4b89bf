"""`feedkit serve`: a real server on 127.0.0.1 (port 0) in a thread, real HTTP clients."""

from __future__ import annotations

import http.client
import logging
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate
from pathlib import Path

import lxml.html
import pytest
import requests

from feedkit.errors import ConfigError
from feedkit.index_page import FeedSummary, read_snapshot, render_index, summarize_feed
from feedkit.model import FeedSettings
from feedkit.pipeline import convert
from feedkit.serve import (
    FeedServer,
    etag_matches,
    make_server,
    running,
    serve,
    split_request_path,
)

DATA = Path(__file__).parent / "data"

HOSTILE_TITLE = "<script>alert(1)</script> & News"
SECRET = "top-secret-outside-root"

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Example RSS</title><link>https://example.com/</link>
<description>d</description><language>zh</language>
<item><title>RSS entry one</title><link>https://example.com/r1</link>
<pubDate>Tue, 11 Jun 2024 21:38:09 GMT</pubDate></item></channel></rss>
"""
JSON_FEED = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "Example JSON",
"language": "zh", "items": [{"id": "1", "url": "https://example.com/j1",
"title": "JSON entry one", "content_text": "x", "date_published": "2024-06-11T21:38:09Z"}]}
"""
OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>Subscriptions</title></head><body>
<outline text="zh" type="rss" xmlUrl="http://127.0.0.1/zh.atom.xml"/></body></opml>
"""


def _atom(title: str, entries: str = "", doctype: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>{doctype}
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en"><id>urn:x:1</id><title>{title}</title>
<updated>2024-01-01T00:00:00Z</updated>{entries}</feed>
""".encode()


# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def feedkit_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What `feedkit convert` writes for the seed article, at the root and in news/."""
    root = tmp_path_factory.mktemp("convert") / "output"
    seed = str(DATA / "seed-article.txt")
    report = convert([seed], root, FeedSettings(title=HOSTILE_TITLE))
    assert not report.problems
    convert([seed], root / "news", FeedSettings(title="News"))
    return root


@pytest.fixture
def site(tmp_path: Path, feedkit_output: Path) -> Path:
    """output/ as feedkit writes it (plus the other formats, a subfolder and some traps)."""
    root = tmp_path / "output"
    shutil.copytree(feedkit_output, root)
    (root / "example.rss.xml").write_bytes(RSS)
    (root / "jf.json").write_bytes(JSON_FEED)
    (root / "feeds.opml").write_bytes(OPML)
    (root / "page.html").write_bytes(b"<!DOCTYPE html><title>p</title>")
    (root / "data.xml").write_bytes(b"<x/>")
    (root / "notes.txt").write_bytes(b"plain")
    (root / "blob.zzqq").write_bytes(b"\x00\x01")
    (root / ".all.atom.xml.123.tmp").write_bytes(b"half a feed")
    (root / ".lock").write_bytes(b"1234")
    (tmp_path / "secret.txt").write_text(SECRET)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "passwd").write_text(SECRET)
    (root / "escape.atom.xml").symlink_to(tmp_path / "secret.txt")
    (root / "escape").symlink_to(tmp_path / "outside")
    (root / "latest.atom.xml").symlink_to(root / "zh.atom.xml")  # inside: fine
    (root / "sneaky.atom.xml").symlink_to(root / ".lock")  # inside, but hidden
    return root


@pytest.fixture
def server(site: Path) -> Iterator[FeedServer]:
    with running(make_server(site, port=0), poll_interval=0.01) as srv:
        yield srv


@pytest.fixture
def connect(server: FeedServer) -> Iterator[Callable[[], http.client.HTTPConnection]]:
    """Raw HTTP/1.1 connections (request targets sent as given, no client-side cleanup)."""
    made: list[http.client.HTTPConnection] = []

    def factory() -> http.client.HTTPConnection:
        made.append(http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=5))
        return made[-1]

    yield factory
    for conn in made:
        conn.close()


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


def _get(
    conn: http.client.HTTPConnection,
    path: str,
    method: str = "GET",
    headers: dict[str, str] | None = None,
) -> tuple[http.client.HTTPResponse, bytes]:
    conn.request(method, path, headers=headers or {})
    response = conn.getresponse()
    return response, response.read()


def _page(body: bytes) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(body)


# -- files ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/zh.atom.xml", "application/atom+xml; charset=utf-8"),
        ("/news/all.atom.xml", "application/atom+xml; charset=utf-8"),
        ("/example.rss.xml", "application/rss+xml; charset=utf-8"),
        ("/jf.json", "application/feed+json; charset=utf-8"),
        ("/feeds.opml", "text/x-opml; charset=utf-8"),
        ("/data.xml", "application/xml; charset=utf-8"),
        ("/page.html", "text/html; charset=utf-8"),
        ("/notes.txt", "text/plain"),
        ("/blob.zzqq", "application/octet-stream"),
        ("/latest.atom.xml", "application/atom+xml; charset=utf-8"),
    ],
    ids=["atom", "atom-subfolder", "rss", "json", "opml", "xml", "html", "txt", "unknown",
         "symlink-inside"],
)  # fmt: skip
def test_serves_files_with_their_content_type(
    server: FeedServer, session: requests.Session, site: Path, path: str, expected: str
) -> None:
    response = session.get(server.url + path.lstrip("/"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == expected
    assert response.content == (site / path.lstrip("/")).read_bytes()
    assert response.headers["Content-Length"] == str(len(response.content))
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["ETag"].startswith('"')
    assert response.headers["Last-Modified"].endswith(" GMT")


def test_head_has_the_headers_and_no_body(
    connect: Callable[[], http.client.HTTPConnection], site: Path
) -> None:
    conn = connect()
    got, body = _get(conn, "/zh.atom.xml")
    head, nothing = _get(conn, "/zh.atom.xml", "HEAD")
    assert head.status == 200
    assert nothing == b""
    for name in ("Content-Type", "Content-Length", "ETag", "Last-Modified"):
        assert head.getheader(name) == got.getheader(name)
    assert (
        int(head.getheader("Content-Length", ""))
        == len(body)
        == len((site / "zh.atom.xml").read_bytes())
    )
    again, _ = _get(conn, "/", "HEAD")  # the kept-alive connection is still in sync
    assert again.status == 200
    assert again.getheader("Content-Type") == "text/html; charset=utf-8"


def test_conditional_get_with_etag_answers_304(
    connect: Callable[[], http.client.HTTPConnection],
) -> None:
    conn = connect()
    first, body = _get(conn, "/zh.atom.xml")
    assert first.status == 200
    assert body
    etag = first.getheader("ETag", "")
    second, nothing = _get(conn, "/zh.atom.xml", headers={"If-None-Match": etag})
    assert second.status == 304
    assert nothing == b""
    assert second.getheader("ETag") == etag
    assert second.getheader("Content-Length") is None
    for header in (f'"other", {etag}', f"W/{etag}", "*"):
        response, _ = _get(conn, "/zh.atom.xml", headers={"If-None-Match": header})
        assert response.status == 304, header
    response, body = _get(conn, "/zh.atom.xml", headers={"If-None-Match": '"other"'})
    assert response.status == 200
    assert body


def test_if_modified_since_answers_304_unless_the_file_is_newer(
    connect: Callable[[], http.client.HTTPConnection],
) -> None:
    conn = connect()
    first, _ = _get(conn, "/zh.atom.xml")
    last_modified = first.getheader("Last-Modified", "")
    response, body = _get(conn, "/zh.atom.xml", headers={"If-Modified-Since": last_modified})
    assert (response.status, body) == (304, b"")
    older = formatdate(time.time() - 86400 * 365, usegmt=True)
    response, body = _get(conn, "/zh.atom.xml", headers={"If-Modified-Since": older})
    assert response.status == 200
    assert body
    # If-None-Match wins over If-Modified-Since (RFC 9110 §13.1.3)
    headers = {"If-Modified-Since": last_modified, "If-None-Match": '"stale"'}
    response, _ = _get(conn, "/zh.atom.xml", headers=headers)
    assert response.status == 200
    response, _ = _get(conn, "/zh.atom.xml", headers={"If-Modified-Since": "yesterday"})
    assert response.status == 200


def test_a_replaced_file_answers_200_again(
    connect: Callable[[], http.client.HTTPConnection], site: Path
) -> None:
    conn = connect()
    path = site / "zh.atom.xml"
    first, _ = _get(conn, "/zh.atom.xml")
    etag, last_modified = first.getheader("ETag", ""), first.getheader("Last-Modified", "")
    old = path.read_bytes()
    new = old.replace(b"<title>", b"<title>X", 1)[:-1]  # same size, other bytes
    assert len(new) == len(old)
    stat = path.stat()
    tmp = site / ".zh.atom.xml.1.tmp"
    tmp.write_bytes(new)
    os.utime(tmp, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # even with the same mtime
    os.replace(tmp, path)
    response, body = _get(conn, "/zh.atom.xml", headers={"If-None-Match": etag})
    assert (response.status, body) == (200, new)
    assert response.getheader("ETag") != etag
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**10))
    response, body = _get(conn, "/zh.atom.xml", headers={"If-Modified-Since": last_modified})
    assert (response.status, body) == (200, new)


@pytest.mark.parametrize(
    "target",
    [
        "/../secret.txt",
        "/../../../../etc/passwd",
        "/%2e%2e/secret.txt",
        "/%2E%2E/%2e%2e/etc/passwd",
        "/..%2fsecret.txt",
        "/news/..%2f..%2fsecret.txt",
        "/news/../zh.atom.xml",
        "/./zh.atom.xml",
        "//etc/passwd",
        "/%2fetc%2fpasswd",
        "/..\\secret.txt",
        "/%5c..%5csecret.txt",
        "/zh.atom.xml%00.html",
        "/escape.atom.xml",
        "/escape/passwd",
        "/escape/",
        "/.all.atom.xml.123.tmp",
        "/%2eall.atom.xml.123.tmp",
        "/.lock",
        "/sneaky.atom.xml",
        "/%ff%fe",
        "/missing.atom.xml",
        "/zh.atom.xml/",
        "zh.atom.xml",
    ],
    ids=lambda t: t.replace("/", "|"),
)
def test_refuses_paths_outside_root_or_hidden(
    connect: Callable[[], http.client.HTTPConnection], target: str
) -> None:
    conn = connect()
    response, body = _get(conn, target)
    assert response.status == 404
    assert SECRET.encode() not in body
    assert body == b"not found\n"
    ok, _ = _get(conn, "/zh.atom.xml")  # a 404 keeps the connection usable
    assert ok.status == 200


def test_absolute_form_target_is_served(
    connect: Callable[[], http.client.HTTPConnection],
) -> None:
    response, _ = _get(connect(), "http://127.0.0.1/zh.atom.xml")
    assert response.status == 200
    response, _ = _get(connect(), "http://127.0.0.1/../secret.txt")
    assert response.status == 404
    response, _ = _get(connect(), "http://127.0.0.1/news?x")
    assert (response.status, response.getheader("Location")) == (301, "/news/?x")


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_get_405_with_allow(
    connect: Callable[[], http.client.HTTPConnection], method: str
) -> None:
    conn = connect()
    conn.request(method, "/zh.atom.xml", body=b"payload")
    response = conn.getresponse()
    assert response.status == 405
    assert response.getheader("Allow") == "GET, HEAD"
    assert response.read() == b"method not allowed\n"
    ok, _ = _get(conn, "/zh.atom.xml")  # the small body was read: the connection goes on
    assert ok.status == 200


def test_a_large_or_chunked_request_body_closes_the_connection(
    connect: Callable[[], http.client.HTTPConnection],
) -> None:
    for headers in ({"Content-Length": "100000"}, {"Transfer-Encoding": "chunked"}):
        conn = connect()
        conn.putrequest("POST", "/")
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()  # and no body: the server answers without waiting for it
        response = conn.getresponse()
        assert response.status == 405
        assert response.getheader("Connection") == "close"
        response.read()


def test_a_file_vanishing_before_it_is_opened_is_404(
    connect: Callable[[], http.client.HTTPConnection], monkeypatch: pytest.MonkeyPatch
) -> None:
    def gone(path: str) -> None:
        raise FileNotFoundError(2, "No such file or directory", path)

    monkeypatch.setattr("feedkit.serve.read_snapshot", gone)
    response, body = _get(connect(), "/zh.atom.xml")
    assert (response.status, body) == (404, b"not found\n")


def test_a_fifo_is_neither_served_nor_waited_on(
    connect: Callable[[], http.client.HTTPConnection], site: Path
) -> None:
    os.mkfifo(site / "pipe.atom.xml")
    conn = connect()
    response, _ = _get(conn, "/pipe.atom.xml")
    assert response.status == 404
    response, body = _get(conn, "/")
    assert response.status == 200
    assert b"pipe.atom.xml" not in body


def test_read_snapshot_refuses_missing_files_and_symlinks(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_snapshot(str(tmp_path / "gone"))
    (tmp_path / "a").write_bytes(b"abc")
    (tmp_path / "link").symlink_to(tmp_path / "a")
    with pytest.raises(OSError, match=r"symbolic links|Too many levels"):
        read_snapshot(str(tmp_path / "link"))
    snapshot = read_snapshot(str(tmp_path / "a"))
    assert snapshot is not None
    assert snapshot[0] == b"abc"
    assert snapshot[1].st_size == 3


# -- the index page ------------------------------------------------------------------------------


def test_index_page_autodiscovers_the_feeds(
    server: FeedServer, session: requests.Session, site: Path
) -> None:
    response = session.get(server.url)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    doc = _page(response.content)
    links = doc.xpath("/html/head/link[@rel='alternate']")
    found = {(link.get("type"), link.get("href")): link.get("title") for link in links}
    atom = "application/atom+xml"
    assert found == {
        (atom, "/all.atom.xml"): HOSTILE_TITLE,
        (atom, "/en.atom.xml"): f"{HOSTILE_TITLE} (en)",
        (atom, "/zh.atom.xml"): f"{HOSTILE_TITLE} (zh) — zh.atom.xml",  # same title: path added
        (atom, "/latest.atom.xml"): f"{HOSTILE_TITLE} (zh) — latest.atom.xml",
        (atom, "/news/all.atom.xml"): "News",
        (atom, "/news/en.atom.xml"): "News (en)",
        (atom, "/news/zh.atom.xml"): "News (zh)",
        ("application/rss+xml", "/example.rss.xml"): "Example RSS — RSS",
        ("application/feed+json", "/jf.json"): "Example JSON — JSON Feed",
    }
    assert links[0].get("type") == atom  # readers that take the first one get Atom
    for (media_type, href), _ in found.items():
        feed = session.get(server.url + href.lstrip("/"))
        assert feed.status_code == 200, href
        assert feed.headers["Content-Type"] == f"{media_type}; charset=utf-8"
    hrefs = set(doc.xpath("//body//a/@href"))
    assert {"/feeds.opml", "/example.rss.xml", "/jf.json", "/news/zh.atom.xml"} <= hrefs
    assert not any(".tmp" in h or "escape" in h for h in hrefs)
    text = doc.text_content()
    zh_title = "伊隆·马斯克（Elon Musk）撤销了对OpenAI和山姆·奥尔特曼（Sam Altman）的诉讼"
    for title in (zh_title, "Elon Musk withdraws lawsuit", "RSS entry one", "JSON entry one"):
        assert title in text
    assert "https://ft.com/content/03b9fb65-5f12-41a8-9d8e-e2243b72466d" in hrefs
    assert doc.xpath("//article[@lang='zh']") and doc.xpath("//article[@lang='en']")
    assert doc.xpath("//time/@datetime")[0] == "2024-06-11T21:38:09+00:00"


def test_index_page_escapes_everything(server: FeedServer, session: requests.Session) -> None:
    body = session.get(server.url).content
    assert b"<script>" not in body
    assert b"&lt;script&gt;alert(1)&lt;/script&gt; &amp; News" in body
    doc = _page(body)
    assert doc.xpath("//script") == []
    assert HOSTILE_TITLE in doc.xpath("//h3/text()")


def test_index_page_links_only_http_entry_urls_and_never_expands_entities(
    server: FeedServer, session: requests.Session, site: Path, tmp_path: Path
) -> None:
    entries = "".join(
        f"<entry><id>urn:e:{i}</id><title>entry {i}</title><link href={url!r}/>"
        f"<updated>2024-01-0{i}T00:00:00Z</updated></entry>"
        for i, url in enumerate(
            ["javascript:alert(1)", " https://x.test/", "data:text/html,x", "https://ok.test/a"],
            start=1,
        )
    )
    doctype = f'<!DOCTYPE feed [<!ENTITY x SYSTEM "file://{tmp_path / "secret.txt"}">]>'
    (site / "hostile.atom.xml").write_bytes(_atom("Hostile &x;", entries, doctype))
    body = session.get(server.url).content
    assert SECRET.encode() not in body
    doc = _page(body)
    hrefs = doc.xpath("//a/@href")
    assert "https://ok.test/a" in hrefs
    assert not [h for h in hrefs if "javascript" in h or "data:" in h or "x.test" in h]
    text = doc.text_content()
    assert all(f"entry {i}" in text for i in range(1, 5))
    assert text.index("entry 4") < text.index("entry 1")  # newest first


def test_index_page_lists_unreadable_feeds_without_autodiscovering_them(
    server: FeedServer, session: requests.Session, site: Path
) -> None:
    (site / "broken.atom.xml").write_bytes(b"<feed><title>oops")
    (site / "wrong.rss.xml").write_bytes(_atom("really Atom"))
    (site / "other.json").write_bytes(b'{"not": "a feed"}')
    archive = b'<fh:archive xmlns:fh="http://purl.org/syndication/history/1.0"/>'
    (site / "old.atom.xml").write_bytes(_atom("Old", archive.decode()))
    response = session.get(server.url)
    assert response.status_code == 200
    doc = _page(response.content)
    discovered = doc.xpath("//head/link[@rel='alternate']/@href")
    for name in ("broken.atom.xml", "wrong.rss.xml", "other.json", "old.atom.xml"):
        assert f"/{name}" not in discovered
        assert f"/{name}" in doc.xpath("//body//a/@href")
    text = doc.text_content()
    assert "unreadable" in text
    assert "not RSS" in text
    assert "not a JSON Feed" in text
    assert "archive" in text


def test_folder_index_lists_only_that_folder(server: FeedServer, session: requests.Session) -> None:
    moved = session.get(server.url + "news", allow_redirects=False)
    assert moved.status_code == 301
    assert moved.headers["Location"] == "/news/"
    response = session.get(server.url + "news/")
    doc = _page(response.content)
    hrefs = set(doc.xpath("//head/link[@rel='alternate']/@href"))
    assert hrefs == {"/news/all.atom.xml", "/news/en.atom.xml", "/news/zh.atom.xml"}
    assert "/" in doc.xpath("//body//a/@href")  # up


def test_index_page_revalidates_with_its_etag(
    server: FeedServer, session: requests.Session, site: Path
) -> None:
    first = session.get(server.url)
    etag = first.headers["ETag"]
    assert session.get(server.url, headers={"If-None-Match": etag}).status_code == 304
    (site / "more.atom.xml").write_bytes(_atom("More"))
    again = session.get(server.url, headers={"If-None-Match": etag})
    assert again.status_code == 200
    assert b"More" in again.content


def test_index_of_a_missing_or_empty_root(tmp_path: Path) -> None:
    with (
        running(make_server(tmp_path / "not-yet", port=0), poll_interval=0.01) as srv,
        requests.Session() as s,
    ):
        response = s.get(srv.url)
        assert response.status_code == 200
        assert "No feeds here yet" in _page(response.content).text_content()


def test_render_index_is_pure_and_escapes_paths() -> None:
    feed = FeedSummary(path='a b/"x".atom.xml', kind="atom", title="T", count=0)
    body = render_index([feed], base_path="/feeds/")
    doc = _page(body)
    assert doc.xpath("//head/link/@href") == ["/feeds/a%20b/%22x%22.atom.xml"]
    assert render_index([feed], base_path="/feeds/") == body


@pytest.mark.parametrize(
    ("data", "kind", "problem"),
    [
        (b"", "atom", "unreadable"),
        (b"\xff\xfe\x00garbage", "rss", "unreadable"),
        (b"[" * 100_000, "json", "unreadable"),
        (b"<rss/>", "atom", "not ATOM"),
        (b"<opml><head><title>s</title></head></opml>", "opml", ""),
    ],
    ids=["empty", "garbage", "deep-json", "wrong-root", "empty-opml"],
)
def test_summarize_feed_never_raises(data: bytes, kind: str, problem: str) -> None:
    summary = summarize_feed(data, kind, "x")
    assert summary.problem.startswith(problem)
    assert bool(summary.problem) == bool(problem)


# -- the server ----------------------------------------------------------------------------------


def test_many_concurrent_requests_all_succeed(server: FeedServer, site: Path) -> None:
    expected = (site / "zh.atom.xml").read_bytes()

    def fetch(i: int) -> bool:
        path = "/zh.atom.xml" if i % 5 else "/"
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
        try:
            response, body = _get(conn, path)
        finally:
            conn.close()
        return response.status == 200 and (path == "/" or body == expected)

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(fetch, range(50)))
    assert all(results)


def test_keep_alive_requests_are_quick(
    connect: Callable[[], http.client.HTTPConnection],
) -> None:
    conn = connect()
    _get(conn, "/zh.atom.xml")  # warm up: connect, first read
    sock = conn.sock
    started = time.perf_counter()
    for _ in range(20):
        response, body = _get(conn, "/zh.atom.xml")
        assert response.status == 200
        assert body
    elapsed = time.perf_counter() - started
    assert conn.sock is sock  # one connection throughout
    assert elapsed < 0.4, f"20 requests took {elapsed:.3f} s: Nagle stalls?"


def test_base_path(site: Path) -> None:
    with (
        running(make_server(site, port=0, base_path="feeds"), poll_interval=0.01) as srv,
        requests.Session() as s,
    ):
        assert srv.url.endswith("/feeds/")
        root = srv.url.removesuffix("feeds/")
        assert s.get(srv.url + "zh.atom.xml").status_code == 200
        assert s.get(root + "zh.atom.xml").status_code == 404
        moved = s.get(root + "feeds?x=1", allow_redirects=False)
        assert (moved.status_code, moved.headers["Location"]) == (301, "/feeds/?x=1")
        doc = _page(s.get(srv.url).content)
        hrefs = doc.xpath("//head/link/@href")
        assert "/feeds/zh.atom.xml" in hrefs
        assert all(s.get(root + h.lstrip("/")).status_code == 200 for h in hrefs)


def test_requests_are_logged_at_debug_level(
    server: FeedServer, session: requests.Session, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="feedkit.serve"):
        session.get(server.url + "zh.atom.xml")
        session.get(server.url + "../nope")
    messages = [r.getMessage() for r in caplog.records if r.name == "feedkit.serve"]
    assert any("GET /zh.atom.xml" in m and "200" in m for m in messages)
    assert all(r.levelno == logging.DEBUG for r in caplog.records if r.name == "feedkit.serve")


def test_serve_stops_on_the_event_and_closes_idle_connections(site: Path) -> None:
    server = make_server(site, port=0)
    stop = threading.Event()
    thread = threading.Thread(target=serve, args=(server, stop))
    thread.start()
    conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=5)
    try:
        response, _ = _get(conn, "/zh.atom.xml")
        assert response.status == 200
        stop.set()
        thread.join(timeout=5)
        assert not thread.is_alive()  # an idle kept-alive connection did not hold it up
        assert conn.sock is not None
        assert conn.sock.recv(1) == b""  # the server closed it
    finally:
        conn.close()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", server.server_port), 1):
        pass


def test_make_server_refuses_bad_settings(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="not a folder"):
        make_server(tmp_path / "file", port=0)
    with pytest.raises(ConfigError, match="port"):
        make_server(tmp_path, port=70000)
    with pytest.raises(ConfigError, match="base path"):
        make_server(tmp_path, port=0, base_path="/a/../b/")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(ConfigError, match="cannot listen"):
            make_server(tmp_path, port=busy.getsockname()[1])


def test_defaults_to_loopback(tmp_path: Path) -> None:
    with make_server(tmp_path, port=0) as srv:
        assert srv.server_address[0] == "127.0.0.1"
        assert srv.url.startswith("http://127.0.0.1:")


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/", [""]),
        ("/zh.atom.xml?x=1", ["zh.atom.xml"]),
        ("/news/", ["news", ""]),
        ("/a%20b/c.json", ["a b", "c.json"]),
        ("/%E4%B8%AD.atom.xml", ["中.atom.xml"]),
        ("/../x", None),
        ("/%2e%2e/x", None),
        ("/a/..%2Fx", None),
        ("//x", None),
        ("/a//b", None),
        ("/a%5cb", None),
        ("/a%00b", None),
        ("/.hidden", None),
        ("/%ff", None),
        ("x", None),
        ("*", None),
    ],
    ids=repr,
)
def test_split_request_path(target: str, expected: list[str] | None) -> None:
    assert split_request_path(target) == expected


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ('"abc"', True),
        ('W/"abc"', True),
        ('"x", "abc"', True),
        ('"x",W/"abc" ', True),
        ("*", True),
        ('"abcd"', False),
        ('"x"', False),
        ("abc", False),
        ("", False),
    ],
)
def test_etag_matches(header: str, matches: bool) -> None:
    assert etag_matches(header, '"abc"') is matches


def test_formats_of_one_feed_share_one_entry_on_the_index(
    server: FeedServer, session: requests.Session, site: Path
) -> None:
    (site / "zh.json").write_bytes(JSON_FEED)
    doc = _page(session.get(server.url).content)
    cards = [a for a in doc.xpath("//article") if "/zh.json" in a.xpath(".//a/@href")]
    assert len(cards) == 1
    assert cards[0].xpath(".//p[@class='meta']/a/text()") == ["Atom", "JSON Feed"]
    assert cards[0].xpath(".//h3/text()") == [f"{HOSTILE_TITLE} (zh)"]  # the Atom file's
    assert "/zh.json" in doc.xpath("//head/link[@type='application/feed+json']/@href")


def test_entry_titles_in_html_are_shown_as_text() -> None:
    entries = (
        '<entry><id>urn:e:1</id><title type="html">&lt;b&gt;bold&lt;/b&gt; &amp;amp; co</title>'
        "<updated>2024-01-02T00:00:00Z</updated></entry>"
        "<entry><id>urn:e:2</id><updated>not a date</updated></entry>"
    )
    summary = summarize_feed(_atom("T", entries), "atom", "t.atom.xml")
    assert [e.title for e in summary.entries] == ["bold & co", ""]
    assert summary.entries[1].date is None
    doc = _page(render_index([summary]))
    assert [li.text_content() for li in doc.xpath("//li")][1] == "(untitled)"


def test_an_unexpected_error_is_logged_not_printed(
    connect: Callable[[], http.client.HTTPConnection],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def broken(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("bug in the index")

    monkeypatch.setattr("feedkit.serve.render_index", broken)
    with pytest.raises(http.client.RemoteDisconnected):
        _get(connect(), "/")
    errors = [r for r in caplog.records if r.name == "feedkit.serve" and r.levelno == logging.ERROR]
    assert [str(r.exc_info[1]) for r in errors if r.exc_info] == ["bug in the index"]
    # socketserver's own handler would have printed this banner and a traceback to stderr
    assert "Exception occurred during processing" not in capsys.readouterr().err


def test_other_hosts_are_allowed_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with make_server(tmp_path, host="localhost", port=0):
        pass
    with make_server(tmp_path, host="0.0.0.0", port=0):
        pass
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["serving on 0.0.0.0: reachable from other machines"]


def test_ipv6_loopback(tmp_path: Path) -> None:
    try:
        server = make_server(tmp_path, host="::1", port=0)
    except ConfigError:
        pytest.skip("no IPv6 loopback here")
    with running(server, poll_interval=0.01) as srv, requests.Session() as s:
        assert srv.url.startswith("http://[::1]:")
        assert s.get(srv.url).status_code == 200
