"""feedkit.remote: fetched bytes -> entries.

The per-format cases are data: each tests/data/feeds/<name> has <name>.expected.json beside it
(optional request headers, then the feed fields and every entry's fields). The rest are targeted
cases: hostile documents (entity expansion, external entities, XSS), identity, dates, language.
"""

from __future__ import annotations

import dataclasses
import json
import time
import tracemalloc
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from conftest import untraced
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedkit.errors import FeedFormatError
from feedkit.ids import content_hash
from feedkit.model import BodyFormat, Entry
from feedkit.remote import ParsedFeed, RemoteOptions, neutralize_doctype, parse_feed

T = TypeVar("T")
FEEDS = Path(__file__).parent / "data" / "feeds"
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
URL = "https://feeds.example.org/feed.xml"
OPTIONS = RemoteOptions(source="remote", priority=2)
CASES = sorted(p for p in FEEDS.iterdir() if not p.name.endswith(".expected.json"))


def parse(body: bytes | str, **kwargs: object) -> ParsedFeed:
    data = body.encode("utf-8") if isinstance(body, str) else body
    arguments: dict[str, object] = {"url": URL, "options": OPTIONS, "now": NOW, **kwargs}
    return parse_feed(data, **arguments)  # type: ignore[arg-type]


def rss(*items: str, channel: str = "", prolog: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{prolog}\n<rss version="2.0"><channel>'
        f"<title>Feed</title><link>https://example.com/</link>{channel}"
        f"{''.join(items)}</channel></rss>"
    )


def item(title: str = "Post", *, guid: str = "", link: str = "", extra: str = "") -> str:
    parts = [f"<title>{title}</title>"]
    if guid:
        parts.append(f'<guid isPermaLink="false">{guid}</guid>')
    if link:
        parts.append(f"<link>{link}</link>")
    return f"<item>{''.join(parts)}{extra}</item>"


def atom_entry(entry_id: str, *, attrs: str = "", body: str = "") -> str:
    return (
        f"<entry{attrs}><title>T {entry_id}</title><id>{entry_id}</id>"
        f"<updated>2024-01-01T00:00:00Z</updated>{body}</entry>"
    )


def atom(*entries: str, attrs: str = "") -> str:
    return (
        f'<feed xmlns="http://www.w3.org/2005/Atom"{attrs}><title>A</title>'
        f"<id>tag:example.com,2024:feed</id><updated>2024-01-01T00:00:00Z</updated>"
        f"{''.join(entries)}</feed>"
    )


def strings(entry: Entry) -> list[str]:
    """Every string an entry carries, nested ones included."""
    found: list[str] = []
    for value in dataclasses.asdict(entry).values():
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, tuple):
            found.extend(v for v in value if isinstance(v, str))
        elif isinstance(value, dict):
            found.extend(v for v in value.values() if isinstance(v, str))
    return found


def plain(value: object) -> object:
    """A field as JSON writes it: datetimes in RFC 3339 UTC, tuples as lists."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return list(value) if isinstance(value, tuple) else value


# --- one file per format, expected results beside it ----------------------------------------


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_feed_file_gives_expected_entries(path: Path) -> None:
    expected = json.loads((FEEDS / f"{path.name}.expected.json").read_text(encoding="utf-8"))
    url = f"https://feeds.example.org/{path.name}"
    parsed = parse(path.read_bytes(), url=url, headers=expected.pop("headers", None))
    entries = expected.pop("entries")
    assert {name: plain(getattr(parsed, name)) for name in expected} == expected
    assert len(parsed.entries) == len(entries)
    for entry, wanted in zip(parsed.entries, entries, strict=True):
        assert {name: plain(getattr(entry, name)) for name in wanted} == wanted
        assert entry.group_id == entry.id
        assert entry.source == "remote"
        assert entry.priority == 2
        assert entry.origin == url
        assert entry.body_format is BodyFormat.HTML
        assert entry.feed is not None
        assert (entry.feed.id, entry.feed.title, entry.feed.url) == (parsed.id, parsed.title, url)


# --- not a feed -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty body"),
        (b" \r\n\t ", "empty body"),
        (
            b"<!DOCTYPE html><html><head><title>Welcome</title></head><body>Hi</body></html>",
            "no RSS, Atom or JSON Feed",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "no RSS, Atom or JSON Feed"),
        (b"just some text", "no RSS, Atom or JSON Feed"),
        (b"<note><to>Tove</to></note>", "no RSS, Atom or JSON Feed"),
        (b'{"hello": "world"}', "JSON without a JSON Feed 'version'"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "broken JSON"),
        (b"[" * 100_000, "no RSS, Atom or JSON Feed"),
        (b"{" * 100_000, "broken JSON"),
        (b'<rss version="2.0"><channel><title>cut off', "unusable XML, no entries recovered"),
        (b"<entry<channel<link</item</link>", "feedparser failed: KeyError"),
    ],
    ids=[
        "empty",
        "whitespace",
        "html-page",
        "png",
        "text",
        "other-xml",
        "plain-json",
        "broken-json-feed",
        "deep-brackets",
        "deep-json",
        "truncated-rss",
        "feedparser-crash",
    ],
)
def test_not_a_feed_raises_feed_format_error(body: bytes, reason: str) -> None:
    with pytest.raises(FeedFormatError) as caught:
        parse(body)
    message = str(caught.value)
    assert message.startswith(f"{URL}: ")
    assert reason in message


def test_bozo_feed_with_recovered_entries_is_used_with_a_problem() -> None:
    body = rss(item("One", guid="1"), item("Two &nbsp; &bogus;", guid="2"), "<oops></wrong>")
    parsed = parse(body)
    assert [e.title for e in parsed.entries] == ["One", "Two &bogus;"]
    assert any(p.startswith("not well-formed XML") for p in parsed.problems)
    assert "undefined entities kept as text: &bogus;" in parsed.problems


def test_atom_text_constructs_stay_text_html_ones_become_text() -> None:
    entry = atom_entry(
        "tag:x,1:1",
        body="<summary type='text'>1 &lt; 2 &amp;&amp; &lt;b&gt;</summary>",
    ).replace(
        "<title>T tag:x,1:1</title>",
        "<title type='html'>&lt;b&gt;Bold&lt;/b&gt; &amp;amp; co</title>",
    )
    parsed = parse(atom(entry)).entries[0]
    assert parsed.title == "Bold & co"
    assert parsed.summary == "1 < 2 && <b>"
    assert parsed.body == "1 &lt; 2 &amp;&amp; &lt;b&gt;"


def test_empty_but_well_formed_feed_has_no_entries() -> None:
    parsed = parse(rss())
    assert parsed.entries == ()
    assert parsed.problems == ()
    assert parsed.version == "rss20"


# --- hostile documents ------------------------------------------------------------------------

BIG_ENTITY = "x" * 50_000


def entity_bomb(*, broken: bool = False) -> bytes:
    """One 50 KB entity referenced 20,000 times: a gigabyte of text if it were expanded.

    `broken` adds a mismatched tag, so feedparser parses twice (strict, then its lenient parser,
    the one that expands entities without limit); 2,000 references suffice there: expanded, they
    would take feedparser 3 s and 300 MB.
    """
    refs = "&big;" * (1_000 if broken else 10_000)
    return rss(
        item(refs, guid="bomb", extra=f"<description>{refs}</description>"),
        item("after", guid="after", extra="<oops></wrong>" if broken else ""),
        prolog=f'<!DOCTYPE rss [<!ENTITY big "{BIG_ENTITY}">]>',
    ).encode()


def timed(run: Callable[[], T]) -> tuple[T, float]:
    """`run()` and the seconds it took, untraced."""
    with untraced():
        started = time.perf_counter()
        result = run()
        return result, time.perf_counter() - started


@pytest.mark.parametrize("broken", [False, True], ids=["well-formed", "lenient-parser"])
def test_entity_expansion_costs_bounded_time(broken: bool) -> None:
    body = entity_bomb(broken=broken)
    parsed, elapsed = timed(lambda: parse(body))
    assert elapsed < 1.0
    assert BIG_ENTITY not in parsed.entries[0].title + parsed.entries[0].body
    assert any("undefined entities kept as text: &big;" in p for p in parsed.problems)


@pytest.mark.parametrize("broken", [False, True], ids=["well-formed", "lenient-parser"])
def test_entity_expansion_costs_bounded_memory(broken: bool) -> None:
    body = entity_bomb(broken=broken)
    with untraced():
        tracemalloc.start()
        try:
            parsed = parse(body)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 20_000_000
    assert len(parsed.entries[0].title) <= OPTIONS.max_title_chars


def test_billion_laughs_is_not_expanded() -> None:
    laughs = ['<!ENTITY lol0 "lol">']
    laughs += [f'<!ENTITY lol{n} "' + f"&lol{n - 1};" * 10 + '">' for n in range(1, 10)]
    prolog = f"<!DOCTYPE rss [{''.join(laughs)}]>"
    parsed, elapsed = timed(lambda: parse(rss(item("&lol9;", guid="1"), prolog=prolog)))
    assert elapsed < 1.0
    assert "lollol" not in parsed.entries[0].title


def test_external_entity_is_never_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    prolog = f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'
    body = rss(item("&xxe;", guid="1", extra="<description>&xxe;</description>"), prolog=prolog)
    parsed = parse(body)
    assert parsed.entries
    assert not any("TOP-SECRET" in s for e in parsed.entries for s in strings(e))


def test_doctype_hidden_in_a_prolog_comment_is_dropped_too() -> None:
    # feedparser's own DOCTYPE handling finds declarations on their own lines inside comments.
    prolog = f'\n<!--\n<!DOCTYPE rss [\n<!ENTITY big "{BIG_ENTITY}">\n]>\n-->\n'
    parsed, elapsed = timed(lambda: parse(rss(item("&big;" * 20_000, guid="1"), prolog=prolog)))
    assert elapsed < 1.0
    assert BIG_ENTITY not in parsed.entries[0].title


def test_entity_attack_in_utf16_is_neutralized() -> None:
    prolog = f'<!DOCTYPE rss [<!ENTITY big "{BIG_ENTITY}">]>'
    text = rss(item("&big;" * 5_000, guid="1"), prolog=prolog)
    body = text.replace('encoding="utf-8"', 'encoding="utf-16"').encode("utf-16")
    parsed, elapsed = timed(lambda: parse(body))
    assert elapsed < 1.0
    assert parsed.entries[0].title.startswith("&big;")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'<?xml version="1.0"?>\n<rss/>', b'<?xml version="1.0"?>\n<rss/>'),
        (b'<!DOCTYPE x [<!ENTITY a "b">]>\n<rss>&a;</rss>', b"\n<rss>&a;</rss>"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "]>">]><a/>', b'<?xml version="1.0"?><a/>'),
        (b"<!DOCTYPE x [<!-- ]> --><!ENTITY a 'q'>]><a/>", b"<a/>"),
        (b'<!DOCTYPE rss PUBLIC "-//Netscape//DTD RSS 0.91//EN" "x.dtd"><rss/>', b"<rss/>"),
        (b"<!--\n<!DOCTYPE x [\n<!ENTITY a 'b'>\n]>\n--><a/>", b"<a/>"),
        (b"<?pi\n<!DOCTYPE x [\n<!ENTITY a 'b'>\n]>?><a/>", b"<a/>"),
        (b"junk <!DOCTYPE x [<!ENTITY a 'b'>]> more\n<a/>", b"  \n<a/>"),
        (b"<<!-- x -->!ENTITY a 'b'><a/>", b"  <a/>"),
        (b"<!ENTITY a 'b'><a/>", b"<a/>"),
        (b'<!DOCTYPE x [<!ENTITY a "never closed', b""),
        (b"<!-- never closed <a/>", b""),
        (
            b"\xef\xbb\xbf<?xml version='1.0'?><!DOCTYPE a []><a/>",
            b"\xef\xbb\xbf<?xml version='1.0'?><a/>",
        ),
        (b"<a><!DOCTYPE x [<!ENTITY a 'b'>]></a>", b"<a><!DOCTYPE x [<!ENTITY a 'b'>]></a>"),
        (b"\xff\xfe" + "<!DOCTYPE x []><a/>".encode("utf-16-le"), b"\xff\xfe<\x00a\x00/\x00>\x00"),
        ("<!DOCTYPE x []><a/>".encode("utf-16-be"), b"\x00<\x00a\x00/\x00>"),
        ("<!DOCTYPE x []><a/>".encode("utf-32"), "<a/>".encode("utf-32")),
    ],
    ids=[
        "declaration-kept",
        "internal-subset",
        "bracket-in-quotes",
        "comment-in-subset",
        "external-id",
        "doctype-in-comment",
        "doctype-in-pi",
        "doctype-after-junk",
        "split-by-comment",
        "stray-entity",
        "unterminated-doctype",
        "unterminated-comment",
        "utf8-bom",
        "after-root-untouched",
        "utf16-le-bom",
        "utf16-be-no-bom",
        "utf32-bom",
    ],
)
def test_neutralize_doctype(body: bytes, expected: bytes) -> None:
    assert neutralize_doctype(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        b"<!--" + b"<!-- " * 200_000,
        b"<!DOCTYPE x [" + b"<!-- '" * 200_000,
        b"<!" * 500_000,
        b"<?" * 500_000,
        b"<!DOCTYPE x [" + b"'a'\"b\"[]" * 200_000,
    ],
    ids=["comments", "doctype-comments", "declarations", "pis", "quotes-brackets"],
)
def test_neutralize_doctype_is_linear(body: bytes) -> None:
    assert timed(lambda: neutralize_doctype(body))[1] < 1.0


# --- identity ---------------------------------------------------------------------------------


def test_duplicate_ids_keep_the_first() -> None:
    parsed = parse(rss(item("First", guid="a"), item("Second", guid="a"), item("Third", guid="b")))
    assert [e.title for e in parsed.entries] == ["First", "Third"]
    assert any("duplicate id" in p and "entry 2" in p for p in parsed.problems)


def test_atom_ids_are_kept_rss_guids_are_made_global() -> None:
    parsed = parse(atom(atom_entry("tag:example.com,2024:1"), atom_entry("urn:uuid:1234")))
    assert [e.id for e in parsed.entries] == ["tag:example.com,2024:1", "urn:uuid:1234"]
    guid = parse(rss(item(guid="post-1"))).entries[0].id
    assert guid == f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, URL + chr(10) + 'post-1')}"


def test_guid_ids_depend_on_the_source_but_not_on_url_spelling() -> None:
    body = rss(item(guid="1"))
    first = parse(body).entries[0].id
    assert parse(body, url="http://feeds.example.org/feed.xml").entries[0].id == first
    assert parse(body, url="https://other.example.org/feed.xml").entries[0].id != first


def test_entry_without_id_uses_its_link_then_a_content_hash() -> None:
    linked = parse(rss(item("A", link="https://example.com/a?utm_source=x"))).entries[0]
    same_page = parse(rss(item("B", link="https://example.com/a"))).entries[0]
    assert linked.id == same_page.id
    assert linked.key == "https://example.com/a"
    bare = rss(item("Only a title", extra="<description>Text</description>"))
    first, again = parse(bare).entries[0], parse(bare).entries[0]
    assert first.id == again.id
    assert first.id.startswith("urn:uuid:")
    assert first.key == f"id:{first.id}"
    other = parse(rss(item("Another title", extra="<description>Text</description>")))
    assert other.entries[0].id != first.id


def test_html_alternate_link_is_preferred() -> None:
    links = (
        "<link rel='alternate' type='application/json' href='https://example.com/1.json'/>"
        "<link rel='related' href='https://example.com/other'/>"
        "<link rel='alternate' type='text/html' href='https://example.com/1'/>"
    )
    assert parse(atom(atom_entry("tag:x,1:1", body=links))).entries[0].link == (
        "https://example.com/1"
    )


def test_entries_without_dates_use_first_seen_else_now() -> None:
    body = rss(item("Undated", guid="u"))
    seen = datetime(2025, 6, 1, tzinfo=UTC)
    asked: list[str] = []

    def first_seen(entry_id: str) -> datetime | None:
        asked.append(entry_id)
        return seen

    entry = parse(body, first_seen=first_seen).entries[0]
    assert (entry.published, entry.updated) == (seen, seen)
    assert asked == [entry.id]
    fresh = parse(body).entries[0]
    assert (fresh.published, fresh.updated) == (NOW, NOW)


def test_published_and_updated_fill_each_other() -> None:
    only_pub = item(guid="p", extra="<pubDate>Mon, 01 Jan 2024 00:00:00 GMT</pubDate>")
    entry = parse(rss(only_pub)).entries[0]
    assert entry.published == entry.updated == datetime(2024, 1, 1, tzinfo=UTC)
    only_updated = atom(atom_entry("tag:x,2024:1"))
    entry = parse(only_updated).entries[0]
    assert entry.published == entry.updated == datetime(2024, 1, 1, tzinfo=UTC)


def test_future_dates_are_clamped_to_now() -> None:
    soon = item(guid="soon", extra="<pubDate>Fri, 02 Jan 2026 03:10:00 GMT</pubDate>")
    late = item(guid="late", extra="<pubDate>Fri, 01 Jan 2027 00:00:00 GMT</pubDate>")
    parsed = parse(rss(soon, late))
    assert parsed.entries[0].published == datetime(2026, 1, 2, 3, 10, tzinfo=UTC)
    assert parsed.entries[1].published == parsed.entries[1].updated == NOW
    assert sum("in the future" in p for p in parsed.problems) == 1
    strict = dataclasses.replace(OPTIONS, future_tolerance=timedelta(0))
    assert parse(rss(soon), options=strict).entries[0].published == NOW


@pytest.mark.parametrize(
    "date",
    ["2024-13-45T00:00:00Z", "2024-02-30", "Mon, 45 Jan 2024 10:00:00 GMT", "yesterday", "9" * 40],
    ids=["month-13", "feb-30", "day-45", "words", "digits"],
)
def test_invalid_dates_count_as_missing(date: str) -> None:
    entry = parse(
        atom(f"<entry><id>tag:x,1:1</id><title>T</title><updated>{date}</updated></entry>")
    )
    assert entry.entries[0].updated == NOW


# --- content ----------------------------------------------------------------------------------

HOSTILE = '<img src="x" onerror="alert(1)"><script>alert(2)</script><a href="javascript:x()">y</a>'
ESCAPED = HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
CONTENT_NS = "xmlns:content='http://purl.org/rss/1.0/modules/content/'"


def hostile_feeds() -> list[ParsedFeed]:
    rss_item = item(
        f"Title {ESCAPED}",
        guid="x",
        link="javascript:alert(3)",
        extra=(
            f"<description>{ESCAPED}</description>"
            f"<content:encoded {CONTENT_NS}><![CDATA[<p>ok</p>{HOSTILE}"
            "<iframe src='javascript:alert(4)'></iframe>]]></content:encoded>"
            f"<author>{ESCAPED} Eve</author><category>{ESCAPED}tag</category>"
            "<enclosure url='javascript:alert(5)' type='image/png' length='1'/>"
        ),
    )
    atom_body = (
        "<link href='data:text/html,hi'/>"
        f"<author><name>{ESCAPED}Mallory</name></author>"
        f"<summary type='html'>{ESCAPED}</summary>"
        "<content type='xhtml'><div xmlns='http://www.w3.org/1999/xhtml'>"
        "<p onclick='alert(6)'>hi</p><script>alert(7)</script></div></content>"
    )
    return [
        parse(rss(rss_item)),
        parse(
            atom(
                atom_entry("tag:x,2024:2", body=atom_body).replace(
                    "<title>T", "<title type='html'>T"
                )
            )
        ),
    ]


def test_scripts_and_unsafe_urls_are_removed_from_every_field() -> None:
    rss_feed, atom_feed = hostile_feeds()
    for entry in rss_feed.entries + atom_feed.entries:
        for text in strings(entry):
            lowered = text.lower()
            for needle in ("<script", "onerror", "onclick", "javascript:", "data:", "<iframe"):
                assert needle not in lowered, (needle, text)
    rss_entry = rss_feed.entries[0]
    assert (rss_entry.link, rss_entry.image) == ("", "")
    assert rss_entry.key == f"id:{rss_entry.id}"
    assert rss_entry.title == "Title y"
    assert rss_entry.authors == ("y Eve",)
    assert rss_entry.tags == ("ytag",)
    assert rss_entry.body.startswith("<p>ok</p>")
    assert any("javascript:alert(3)" in p and "dropped" in p for p in rss_feed.problems)
    atom_entry_ = atom_feed.entries[0]
    assert atom_entry_.link == ""
    assert atom_entry_.authors == ("yMallory",)
    assert atom_entry_.body == "<p>hi</p>"


def test_relative_urls_without_an_http_base_are_dropped_with_a_problem() -> None:
    body = rss(item(guid="1", extra="<description>&lt;img src='pic.png'&gt;text</description>"))
    parsed = parse(body, url="/srv/feeds/local.xml")
    assert parsed.entries[0].body == "<img>text"
    assert any("1 relative URLs dropped" in p for p in parsed.problems)


# --- language ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "configured", "expected"),
    [
        (atom(atom_entry("tag:x,1:1", attrs=' xml:lang="ja"'), attrs=' xml:lang="fr"'), "de", "ja"),
        (atom(atom_entry("tag:x,1:1"), attrs=' xml:lang="fr-ca"'), "de", "fr-CA"),
        (atom(atom_entry("tag:x,1:1", attrs=' xml:lang="!!"'), attrs=' xml:lang="fr"'), "", "fr"),
        (rss(item(guid="1"), channel="<language>zh-cn</language>"), "de", "zh-CN"),
        (rss(item(guid="1"), channel="<language>nonsense words</language>"), "de", "de"),
        (rss(item("An English title", guid="1")), "de_AT", "de-AT"),
        (rss(item("An English title", guid="1")), "", "en"),
        (rss(item("这是一篇中文文章的标题", guid="1")), "", "zh"),
        (rss(item("これは日本語の記事です", guid="1")), "", "ja"),
    ],
    ids=[
        "entry-xml-lang",
        "feed-xml-lang",
        "bad-entry-lang",
        "rss-language",
        "bad-feed-language",
        "configured",
        "detected-en",
        "detected-zh",
        "detected-ja",
    ],
)
def test_entry_language_precedence(body: str, configured: str, expected: str) -> None:
    options = dataclasses.replace(OPTIONS, lang=configured)
    assert parse(body, options=options).entries[0].lang == expected


# --- caps and limits ------------------------------------------------------------------------


def test_long_fields_are_cut_with_a_problem() -> None:
    options = dataclasses.replace(OPTIONS, max_title_chars=20, max_field_chars=100)
    content = "<p>" + "word " * 100 + "</p>"
    body = rss(
        item(
            "A title that is much longer than twenty characters",
            guid="1",
            extra=f"<description>{content}</description><author>{'n' * 50}</author>",
        )
    )
    parsed = parse(body, options=options)
    entry = parsed.entries[0]
    assert entry.title == "A title that is much"
    assert len(entry.body) < 120
    assert entry.authors == ("n" * 20,)
    assert any("title cut to 20 characters" in p for p in parsed.problems)
    assert any("content cut to 100 characters" in p for p in parsed.problems)


def test_summary_is_plain_text_of_at_most_280_columns() -> None:
    long_text = "<p>" + "word " * 200 + "</p>"
    entry = parse(rss(item(guid="1", extra=f"<description>{long_text}</description>"))).entries[0]
    assert entry.summary.endswith("…")
    assert len(entry.summary) <= 280
    assert "<" not in entry.summary


def test_at_most_max_entries_first_ones_kept() -> None:
    options = dataclasses.replace(OPTIONS, max_entries=3)
    parsed = parse(rss(*(item(f"Post {n}", guid=str(n)) for n in range(5))), options=options)
    assert [e.title for e in parsed.entries] == ["Post 0", "Post 1", "Post 2"]
    assert "2 entries after the first 3 left out" in parsed.problems


def test_tags_are_stripped_and_deduplicated_in_order() -> None:
    tags = "".join(f"<category>{t}</category>" for t in ["b", " a ", "b", "", "c"])
    entry = parse(rss(item(guid="1", extra=tags))).entries[0]
    assert entry.tags == ("b", "a", "c")


def test_at_most_a_hundred_tags_are_read() -> None:
    tags = "".join(f"<category>t{n}</category>" for n in range(150))
    assert len(parse(rss(item(guid="1", extra=tags))).entries[0].tags) == 100


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse(rss(item(guid="1")), now=datetime(2026, 1, 1))  # noqa: DTZ001


# --- encodings ------------------------------------------------------------------------------


def test_utf16_with_bom_decodes() -> None:
    text = rss(item("Grüße 你好", guid="1")).replace('encoding="utf-8"', 'encoding="utf-16"')
    for body in (text.encode("utf-16"), text.encode("utf-16-be"), text.encode("utf-32")):
        assert parse(body).entries[0].title == "Grüße 你好"


def test_http_charset_wins_over_the_xml_declaration() -> None:
    body = rss(item("你好", guid="1")).replace("utf-8", "iso-8859-1").encode("gb18030")
    parsed = parse(body, headers={"content-type": "application/rss+xml; charset=GB2312"})
    assert parsed.entries[0].title == "你好"
    assert parsed.problems == ()


def test_wrong_declared_encoding_falls_back_with_a_problem() -> None:
    body = rss(item("Grüße", guid="1")).replace("utf-8", "us-ascii").encode("utf-8")
    parsed = parse(body)
    assert parsed.entries[0].title == "Grüße"
    assert parsed.problems == ("cannot read it as 'us-ascii', read as utf-8 instead",)


@pytest.mark.parametrize("codec", ["punycode", "unicode_escape", "x-no-such-codec"])
def test_unsafe_or_unknown_declared_encodings_are_ignored(codec: str) -> None:
    body = rss(item("Title", guid="1")).replace("utf-8", codec).encode("utf-8")
    assert parse(body).entries[0].title == "Title"


# --- JSON Feed --------------------------------------------------------------------------------


def test_json_feed_1_0_author_and_hostile_values() -> None:
    document = {
        "version": "https://jsonfeed.org/version/1",
        "title": "Old JSON",
        "author": {"name": "Solo"},
        "items": [
            {
                "id": "a",
                "url": "javascript:alert(1)",
                "content_text": "<b>not bold</b>",
                "date_published": "not a date",
            },
            {"id": ["not", "a", "string"], "title": 5, "tags": [1, None, "ok"], "url": "/rel"},
            "not an item",
        ],
    }
    parsed = parse(json.dumps(document))
    assert parsed.version == "json10"
    first, second = parsed.entries
    assert first.authors == ("Solo",)
    assert first.link == ""
    assert first.body == "&lt;b&gt;not bold&lt;/b&gt;"
    assert first.published == NOW
    assert second.tags == ("ok",)
    assert second.link == "https://feeds.example.org/rel"


# --- content hash ---------------------------------------------------------------------------


def test_content_hash_ignores_volatile_fields_only() -> None:
    entry = parse(rss(item("Hello", guid="1", extra="<description>Body</description>")))
    base = entry.entries[0]
    later = base.updated + timedelta(days=1)
    same = dataclasses.replace(base, updated=later, published=later, priority=9, source="x")
    assert content_hash(same) == content_hash(base)
    assert content_hash(dataclasses.replace(same, origin="elsewhere")) == content_hash(base)
    for change in (
        {"title": "Hello!"},
        {"body": "Body!"},
        {"summary": "Body!"},
        {"link": "https://example.com/x"},
        {"tags": ("t",)},
        {"authors": ("a",)},
        {"image": "https://example.com/i.png"},
        {"lang": "de"},
    ):
        changed = dataclasses.replace(base, **change)
        assert content_hash(changed) != content_hash(base), change
    assert len(content_hash(base)) == 64


# --- properties -----------------------------------------------------------------------------

FRAGMENTS = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<?xml version="1.0" encoding="utf-16"?>',
    '<rss version="2.0">',
    "<channel>",
    "<item>",
    "</item>",
    "<title>",
    "</title>",
    "<link>",
    "javascript:x",
    "https://example.com/a",
    "</link>",
    "<guid>",
    "</guid>",
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    "<entry>",
    "</entry>",
    '<entry xml:lang="zh">',
    "<id>",
    "</id>",
    "<updated>",
    "2024-13-01T00:00:00Z",
    "9999-12-31T23:59:59-05:00",
    "</updated>",
    '<content type="xhtml">',
    "</content>",
    "<!DOCTYPE x [",
    '<!ENTITY a "aaaa">',
    "]>",
    "&a;",
    "&nbsp;",
    "&#xD800;",
    "&#0;",
    "<![CDATA[",
    "]]>",
    "<!--",
    "-->",
    "\x00",
    "\ufeff",
    "\ud800",
    "{",
    '"version": "https://jsonfeed.org/version/1.1"',
    '"items": [{"id": 1}]',
    "}",
]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2_000))
def test_any_bytes_give_a_feed_or_feed_format_error(body: bytes) -> None:
    check_outcome(body)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=8), max_size=40),
    st.sampled_from(["utf-8", "utf-16", "gb18030", "latin-1"]),
)
def test_any_feed_like_document_gives_a_feed_or_feed_format_error(
    parts: list[str], codec: str
) -> None:
    check_outcome("".join(parts).encode(codec, "surrogatepass" if "utf" in codec else "replace"))


def check_outcome(body: bytes) -> None:
    try:
        parsed = parse(body)
    except FeedFormatError as exc:
        assert str(exc).startswith(f"{URL}: ")
        return
    assert isinstance(parsed, ParsedFeed)
    assert neutralize_doctype(neutralize_doctype(body)) == neutralize_doctype(body)
    for entry in parsed.entries:
        assert entry.published <= entry.updated <= NOW + OPTIONS.future_tolerance
        assert entry.id
        assert entry.key
        for text in strings(entry):
            assert "\x00" not in text
            text.encode("utf-8")  # no lone surrogates
