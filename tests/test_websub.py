"""WebSub publishing: pings to a real hub on 127.0.0.1, topic URLs, the hub link in feeds."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
import requests
from httpserver import Request, Route, TestServer, serve_routes
from lxml import etree

from feedkit.documents import render_documents
from feedkit.fetch import DEFAULT_USER_AGENT
from feedkit.model import Entry, FeedSettings, PlannedFeed
from feedkit.plan import plan_feeds
from feedkit.render import ContentRenderer, render_atom
from feedkit.render_json import json_filename, render_json
from feedkit.render_rss import render_rss, rss_filename
from feedkit.websub import changed_topics, ping_hub

ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "https://feeds.example.org/news/"
HUB_URL = "https://hub.example.net/"
TOPICS = [BASE + "all.atom.xml", BASE + "zh.atom.xml", BASE + "tag/ai/en.rss.xml"]
T1 = datetime(2024, 6, 10, 8, 0, tzinfo=UTC)


@pytest.fixture
def hub() -> Iterator[TestServer]:
    """A hub at /hub that accepts every ping with 204 No Content, as most hubs answer."""
    with serve_routes({"/hub": Route(status=204)}) as running:
        yield running


@pytest.fixture
def server() -> Iterator[TestServer]:
    """A server with no routes yet: each test scripts its hub at /hub."""
    with serve_routes() as running:
        yield running


def form(request: Request) -> list[tuple[str, str]]:
    return parse_qsl(request.body.decode("ascii"), keep_blank_values=True, strict_parsing=True)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- ping_hub ------------------------------------------------------------------------------------


def test_a_publish_posts_one_form_per_changed_topic_with_feedkits_user_agent(
    hub: TestServer,
) -> None:
    problems = ping_hub(hub.url("/hub"), TOPICS)

    assert problems == []
    assert len(hub.requests) == len(TOPICS)
    for request, topic in zip(hub.requests, TOPICS, strict=True):
        assert request.method == "POST"
        assert request.path == "/hub"
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        assert request.headers["user-agent"] == DEFAULT_USER_AGENT
        assert form(request) == [
            ("hub.mode", "publish"),
            ("hub.url", topic),
            ("hub.topic", topic),
        ]


def test_topics_are_pinged_once_each_in_order_and_none_means_no_request(hub: TestServer) -> None:
    assert ping_hub(hub.url("/hub"), [TOPICS[1], TOPICS[0], TOPICS[1]]) == []
    assert [dict(form(r))["hub.url"] for r in hub.requests] == [TOPICS[1], TOPICS[0]]

    assert ping_hub(hub.url("/hub"), []) == []
    assert ping_hub("http://127.0.0.1:1/never-asked", []) == []
    assert len(hub.requests) == 2


def test_topic_urls_are_form_encoded(hub: TestServer) -> None:
    topic = "https://feeds.example.org/a b/tag/c++/zh.atom.xml?x=1&y=2"
    assert ping_hub(hub.url("/hub"), [topic]) == []
    encoded = b"hub.url=https%3A%2F%2Ffeeds.example.org%2Fa+b%2Ftag%2Fc%2B%2B%2F"
    assert encoded in hub.requests[0].body
    assert dict(form(hub.requests[0]))["hub.url"] == topic


@pytest.mark.parametrize("status", [200, 202, 204])
def test_any_2xx_answer_is_success(server: TestServer, status: int) -> None:
    server.routes["/hub"] = Route(status=status, body=b"ok" if status != 204 else b"")
    assert ping_hub(server.url("/hub"), TOPICS[:1]) == []


@pytest.mark.parametrize(
    ("status", "shown"),
    [(500, "HTTP 500 Internal Server Error"), (404, "HTTP 404 Not Found"), (400, "HTTP 400")],
)
def test_an_error_answer_is_one_warning_naming_hub_topic_and_status(
    server: TestServer, status: int, shown: str
) -> None:
    server.routes["/hub"] = Route(status=status, body=b"nope")
    url = server.url("/hub")

    problems = ping_hub(url, TOPICS[:1])

    assert len(problems) == 1
    problem = problems[0]
    assert not problem.fatal
    assert problem.where == url
    assert TOPICS[0] in problem.message
    assert shown in problem.message


def test_topics_failing_alike_make_one_warning_and_the_others_are_still_pinged(
    server: TestServer,
) -> None:
    """A hub that refuses some topics (unknown to it) still gets every ping."""

    def answer(request: Request) -> Route:
        topic = dict(form(request))["hub.url"]
        return Route(status=204 if topic == TOPICS[1] else 400)

    server.routes["/hub"] = Route(handler=answer)

    problems = ping_hub(server.url("/hub"), TOPICS)

    assert len(server.requests) == len(TOPICS)
    assert [p.message for p in problems] == [
        f"WebSub hub not notified of {TOPICS[0]} and 1 more: HTTP 400 Bad Request"
    ]


def test_a_redirect_is_not_followed_and_is_a_warning(server: TestServer) -> None:
    server.routes["/hub"] = Route(status=301, headers=(("Location", "/new-hub"),))
    server.routes["/new-hub"] = Route(status=204)

    problems = ping_hub(server.url("/hub"), TOPICS[:1])

    assert [r.path for r in server.requests] == ["/hub"]
    assert len(problems) == 1
    assert "HTTP 301" in problems[0].message
    assert "/new-hub" in problems[0].message


def test_a_closed_port_is_one_warning_and_no_exception() -> None:
    url = f"http://127.0.0.1:{closed_port()}/hub"

    problems = ping_hub(url, TOPICS)

    assert len(problems) == 1
    problem = problems[0]
    assert not problem.fatal
    assert problem.where == url
    assert f"{TOPICS[0]} and 2 more" in problem.message
    assert "connection failed" in problem.message
    assert "refused" in problem.message.lower()


def test_a_slow_hub_is_one_warning_after_the_timeout_and_no_more_pings(
    server: TestServer,
) -> None:
    release = threading.Event()

    def stall(request: Request) -> Route:
        release.wait(30)
        return Route(status=204)

    server.routes["/hub"] = Route(handler=stall)
    try:
        started = time.monotonic()
        problems = ping_hub(server.url("/hub"), TOPICS, timeout=0.5)
        elapsed = time.monotonic() - started
    finally:
        release.set()

    assert 0.4 < elapsed < 5
    assert len(server.requests) == 1  # the others are not tried against a stuck hub
    assert len(problems) == 1
    assert not problems[0].fatal
    assert problems[0].where == server.url("/hub")
    assert "no answer within 0.5 s" in problems[0].message
    assert f"{TOPICS[0]} and 2 more" in problems[0].message


@pytest.mark.parametrize(
    "bad_hub", ["not a url", "ftp://hub.example.net/", "http://", "http://[::1/hub", ""]
)
def test_an_unusable_hub_url_is_a_warning_not_an_exception(bad_hub: str) -> None:
    problems = ping_hub(bad_hub, TOPICS[:1])
    assert len(problems) == 1
    assert not problems[0].fatal
    assert problems[0].where == bad_hub


def test_a_given_session_is_used_and_left_open(hub: TestServer) -> None:
    with requests.Session() as session:
        session.headers["User-Agent"] = "something-else/1"
        session.headers["X-Trace"] = "abc"
        assert ping_hub(hub.url("/hub"), TOPICS[:1], session=session) == []
        assert ping_hub(hub.url("/hub"), TOPICS[1:2], session=session) == []
    assert [r.headers.get("x-trace") for r in hub.requests] == ["abc", "abc"]
    assert {r.headers["user-agent"] for r in hub.requests} == {DEFAULT_USER_AGENT}


# -- changed_topics ------------------------------------------------------------------------------


def test_changed_topics_maps_written_feed_files_to_their_public_urls(tmp_path: Path) -> None:
    root = tmp_path / "output" / "news"
    written = [
        root / "all.atom.xml",
        root / "zh.atom.xml",
        root / "zh.rss.xml",
        root / "zh.json",
        root / "feeds.opml",
        root / "archive" / "zh" / "1.atom.xml",
        root / "tag" / "ai" / "archive" / "en" / "12.atom.xml",
        root / "tag" / "ai" / "en.atom.xml",
        root / "tag" / "archive" / "en.atom.xml",  # a tag named "archive" is a feed
        root / "author" / "ann" / "zh.rss.xml",
        root / "zh.atom.xml",  # twice: one topic
        tmp_path / "elsewhere" / "en.atom.xml",  # not under the root
    ]

    assert changed_topics(written, root, BASE) == [
        BASE + "all.atom.xml",
        BASE + "zh.atom.xml",
        BASE + "zh.rss.xml",
        BASE + "zh.json",
        BASE + "tag/ai/en.atom.xml",
        BASE + "tag/archive/en.atom.xml",
        BASE + "author/ann/zh.rss.xml",
    ]


def test_changed_topics_is_empty_without_a_base_url(tmp_path: Path) -> None:
    assert changed_topics([tmp_path / "zh.atom.xml"], tmp_path, "") == []
    assert changed_topics([], tmp_path, BASE) == []


def test_changed_topics_accepts_relative_and_absolute_spellings_of_the_same_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    absolute = [tmp_path / "out" / "en.atom.xml"]
    assert changed_topics(absolute, Path("out"), BASE) == [BASE + "en.atom.xml"]
    assert changed_topics([Path("out/en.atom.xml")], tmp_path / "out", BASE) == [
        BASE + "en.atom.xml"
    ]


# -- the hub link in the published documents ------------------------------------------------------


def entry(key: str, lang: str, day: int) -> Entry:
    when = T1.replace(day=day)
    return Entry(
        key=key,
        id=f"urn:x:{key}:{lang}",
        lang=lang,
        title=f"{key} {lang}",
        published=when,
        updated=when,
        link=f"https://src.example.org/{key}",
        body="Body",
        tags=("AI",),
        group_id=f"tag:example.org,2024:{key}",
    )


ENTRIES = [entry(f"a{n}", lang, n) for n in range(1, 6) for lang in ("zh", "en")]
HUB_SETTINGS = FeedSettings(
    title="News",
    base_url=BASE,
    hub=HUB_URL,
    formats=("atom", "rss", "json"),
    tag_feeds=True,
    archive=True,
    max_entries=2,
    archive_page_size=2,
)


def planned(settings: FeedSettings = HUB_SETTINGS) -> dict[str, PlannedFeed]:
    return {feed.filename: feed for feed in plan_feeds(ENTRIES, settings)}


def links(data: bytes, rel: str) -> list[str | None]:
    found = etree.fromstring(data).iterfind(f"{ATOM}link[@rel='{rel}']")
    return [link.get("href") for link in found]


def test_an_atom_feed_planned_with_a_hub_carries_the_hub_and_self_links() -> None:
    feed = planned()["zh.atom.xml"]
    data = render_atom(feed, ContentRenderer(base_url=BASE))

    assert links(data, "hub") == [HUB_URL]
    assert links(data, "self") == [BASE + "zh.atom.xml"]


def test_without_a_hub_there_is_no_hub_link() -> None:
    settings = FeedSettings(title="News", base_url=BASE)
    for feed in plan_feeds(ENTRIES, settings):
        assert links(render_atom(feed, ContentRenderer(base_url=BASE)), "hub") == []


def test_every_atom_topic_is_a_document_announcing_the_hub_under_that_self_url(
    tmp_path: Path,
) -> None:
    """The topics pinged after a run are exactly the self URLs of the Atom documents that name
    the hub (subscription documents, language, tag feeds), plus their RSS/JSON siblings;
    archive pages, which drop the hub link, are never topics."""
    documents = render_documents(
        list(planned().values()), HUB_SETTINGS, ContentRenderer(base_url=BASE)
    )
    written = [tmp_path / d.filename for d in documents]
    topics = changed_topics(written, tmp_path, BASE)

    announcing = {}
    for document in documents:
        if document.filename.endswith(".atom.xml"):
            hubs = links(document.data, "hub")
            assert hubs in ([], [HUB_URL])
            if hubs:
                (self_url,) = links(document.data, "self")
                announcing[self_url] = document.filename
            else:
                assert "/archive/" in "/" + document.filename
    assert any("/archive/" in "/" + d.filename for d in documents)  # archives were made
    assert any(d.filename.startswith("tag/") for d in documents)
    atom_topics = [t for t in topics if t.endswith(".atom.xml")]
    assert sorted(atom_topics) == sorted(announcing)
    assert sorted(t for t in topics if not t.endswith(".atom.xml")) == sorted(
        BASE + name
        for name in announcing.values()
        for name in (rss_filename(name), json_filename(name))
    )


def test_the_rss_rendering_announces_the_hub_too() -> None:
    feed = planned()["zh.atom.xml"]
    data = render_rss(feed, ContentRenderer(base_url=BASE), rss_self_url=BASE + "zh.rss.xml")
    channel = etree.fromstring(data).find("channel")
    assert channel is not None
    assert [link.get("href") for link in channel.iterfind(f"{ATOM}link[@rel='hub']")] == [HUB_URL]


def test_the_json_feed_rendering_announces_the_hub_too() -> None:
    feed = planned()["zh.atom.xml"]
    data = render_json(feed, ContentRenderer(base_url=BASE), json_self_url=BASE + "zh.json")
    assert json.loads(data).get("hubs") == [{"type": "WebSub", "url": HUB_URL}]
