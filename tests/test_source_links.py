"""SPEC 1.3 wired in: `convert --check-links`, `check_source_links = true`, dead links in status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
from conformance import assert_valid_atom
from httpserver import Route, serve_routes

from feedkit.clock import fixed_clock
from feedkit.config import load_config_dir
from feedkit.convert import convert
from feedkit.pipeline import run_once
from feedkit.status import format_status

PAGE = """<!doctype html><html lang="en"><head>
<link rel="canonical" href="{canonical}">
<meta property="og:image" content="{image}">
<meta property="article:published_time" content="2024-05-01T08:00:00Z">
</head><body>page</body></html>"""
HTML = (("Content-Type", "text/html; charset=utf-8"),)


def article(folder: Path, name: str, link: str, *, date: bool = True) -> None:
    dated = "date: 2024-06-01\n" if date else ""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(
        f"---\ntitle: Story {name}\n{dated}link: {link}\n---\n\nEnglish text of {name}.\n",
        encoding="utf-8",
    )


def test_convert_check_links_joins_spellings_only_the_page_canonical_reveals(
    tmp_path: Path,
) -> None:
    with serve_routes({}) as server:
        canonical = server.url("/article/1")
        page = PAGE.format(canonical=canonical, image=server.url("/img/a.jpg")).encode()
        server.routes["/article/1"] = Route(headers=HTML, body=page)
        server.routes["/index.php"] = Route(headers=HTML, body=page)
        article(tmp_path / "in", "a.md", canonical)
        article(tmp_path / "in", "b.md", server.url("/index.php?p=1"), date=False)
        plain = convert([str(tmp_path / "in")], tmp_path / "plain")
        checked = convert([str(tmp_path / "in")], tmp_path / "checked", check_links=True)
    assert not plain.failed and not checked.failed
    assert len(feedparser.parse((tmp_path / "plain" / "en.atom.xml").read_bytes()).entries) == 2
    data = (tmp_path / "checked" / "en.atom.xml").read_bytes()
    assert_valid_atom(data)
    [entry] = feedparser.parse(data).entries
    assert entry.enclosures[0].href == server.url("/img/a.jpg")


def test_a_dead_source_link_shows_in_status_after_three_checks(tmp_path: Path) -> None:
    with serve_routes({"/gone": Route(status=410)}) as server:
        article(tmp_path / "feeds" / "articles", "a.md", server.url("/gone"))
        (tmp_path / "feeds" / "news.toml").write_text(
            'title = "News"\ncheck_source_links = true\n[[source]]\npath = "articles"\n',
            encoding="utf-8",
        )
        configs = load_config_dir(tmp_path / "feeds")
        state = tmp_path / "state.db"
        start = datetime(2026, 1, 1, tzinfo=UTC)
        for day in range(3):  # a dead link is checked again after its retry delay
            run_once(
                configs,
                output=tmp_path / "out",
                state=state,
                clock=fixed_clock(start + timedelta(days=day * 8)),
            )
        assert len(server.requests_to("/gone")) == 3
    report = format_status(configs, state)
    assert "source links: 1 checked, 0 ok, next check " in report
    assert "dead source links" in report
    assert server.url("/gone") in report
    # the entry stays published: users decide
    assert (
        len(feedparser.parse((tmp_path / "out" / "news" / "en.atom.xml").read_bytes()).entries) == 1
    )


def test_run_fills_image_and_a_missing_date_from_the_page_and_the_file_wins(
    tmp_path: Path,
) -> None:
    with serve_routes({}) as server:
        page = PAGE.format(canonical=server.url("/p/1"), image=server.url("/i.jpg")).encode()
        server.routes["/p/1"] = Route(headers=HTML, body=page)
        server.routes["/p/2"] = Route(headers=HTML, body=page.replace(b"/p/1", b"/p/2"))
        articles = tmp_path / "feeds" / "articles"
        article(articles, "undated.md", server.url("/p/1"), date=False)
        article(articles, "dated.md", server.url("/p/2"))
        (tmp_path / "feeds" / "news.toml").write_text(
            'title = "News"\ncheck_source_links = true\n[[source]]\npath = "articles"\n',
            encoding="utf-8",
        )
        now = datetime(2026, 1, 1, tzinfo=UTC)
        run_once(
            load_config_dir(tmp_path / "feeds"),
            output=tmp_path / "out",
            state=tmp_path / "state.db",
            clock=fixed_clock(now),
        )
    data = (tmp_path / "out" / "news" / "en.atom.xml").read_bytes()
    assert_valid_atom(data)
    entries = {e.link: e for e in feedparser.parse(data).entries}
    undated, dated = entries[server.url("/p/1")], entries[server.url("/p/2")]
    assert undated.published.startswith("2024-05-01T08:00:00")  # from article:published_time
    assert dated.published.startswith("2024-06-01T00:00:00")  # the file's own date wins
    assert undated.enclosures[0].href == server.url("/i.jpg")


def test_a_host_is_never_checked_faster_than_its_limit_across_passes(tmp_path: Path) -> None:
    from feedkit.fetch import Fetcher
    from feedkit.pipeline import run_feed
    from feedkit.sources import RefreshContext
    from feedkit.store import Store

    with serve_routes({}) as server:
        for n in (1, 2, 3):
            server.routes[f"/p/{n}"] = Route(headers=HTML, body=b"<html><head></head></html>")
            article(tmp_path / "feeds" / "articles", f"{n}.md", server.url(f"/p/{n}"))
        (tmp_path / "feeds" / "news.toml").write_text(
            'title = "News"\ncheck_source_links = true\nlink_checks_per_minute = 6\n'
            '[[source]]\npath = "articles"\n',
            encoding="utf-8",
        )
        [feed] = load_config_dir(tmp_path / "feeds")
        start = datetime(2026, 1, 1, tzinfo=UTC)
        slots: dict[str, datetime] = {}
        seen = []
        with Store.open(tmp_path / "state.db", clock=fixed_clock(start)) as store, Fetcher() as f:
            for seconds in (0, 2, 4, 10, 12, 20):  # passes as a daemon would make them
                ctx = RefreshContext(
                    store=store,
                    fetcher=f,
                    now=start + timedelta(seconds=seconds),
                    rand=lambda: 0.5,
                    link_slots=slots,
                )
                run_feed(feed, tmp_path / "out", ctx)
                seen.append(len(server.requests))
    # one request per pass at most, and never two within 10 s (6 a minute)
    assert seen == [1, 1, 1, 2, 2, 3]
