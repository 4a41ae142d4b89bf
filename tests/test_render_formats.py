"""SPEC 3.1, 8: RSS 2.0, JSON Feed 1.1 and OPML 2.0 beside the Atom feeds, from the same plan."""

from __future__ import annotations

import html
import io
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser
import pytest
from lxml import etree

from feedkit import __version__
from feedkit.dedupe import dedupe
from feedkit.model import BodyFormat, Entry, FeedOrigin, FeedSettings, PlannedFeed
from feedkit.opml import OpmlFeed, render_opml
from feedkit.plan import plan_feeds
from feedkit.render import ContentRenderer, render_atom
from feedkit.render_json import JSON_FEED_VERSION, json_filename, render_json
from feedkit.render_rss import render_rss, rss_filename

BASE = "https://example.org/f/"
ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
T1 = datetime(2024, 6, 10, 8, 0, tzinfo=UTC)
T2 = datetime(2024, 6, 11, 9, 30, 15, 123456, tzinfo=UTC)
SETTINGS = FeedSettings(title="Test", base_url=BASE, lang_order=("zh", "en"))
HOSTILE_BODY = (
    '<script>alert(1)</script><a href="javascript:alert(2)">j</a>'
    '<img src="https://i.org/p.png" onerror="x()"><iframe src="https://evil.org/"></iframe>'
)
# the entries are built as in test_render.py, so both suites render the same plans
from test_render import make  # noqa: E402

RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def plan(entries: list[Entry], settings: FeedSettings = SETTINGS) -> dict[str, PlannedFeed]:
    return {f.filename: f for f in plan_feeds(dedupe(entries), settings)}


def self_url(settings: FeedSettings, filename: str) -> str:
    return settings.base_url + filename if settings.base_url else ""


def rss(entries: list[Entry], settings: FeedSettings = SETTINGS) -> dict[str, bytes]:
    renderer = ContentRenderer(base_url=settings.base_url)
    return {
        name: render_rss(f, renderer, rss_self_url=self_url(settings, rss_filename(name)))
        for name, f in plan(entries, settings).items()
    }


def jsonfeed(entries: list[Entry], settings: FeedSettings = SETTINGS) -> dict[str, bytes]:
    renderer = ContentRenderer(base_url=settings.base_url)
    return {
        name: render_json(f, renderer, json_self_url=self_url(settings, json_filename(name)))
        for name, f in plan(entries, settings).items()
    }


def atom(entries: list[Entry], settings: FeedSettings = SETTINGS) -> dict[str, bytes]:
    renderer = ContentRenderer(base_url=settings.base_url)
    return {name: render_atom(f, renderer) for name, f in plan(entries, settings).items()}


def atom_links(data: bytes) -> list[str | None]:
    """Each Atom entry's alternate link (feedparser would fill a missing one in from the id)."""
    links = []
    for entry in etree.fromstring(data).iterfind(f"{ATOM}entry"):
        link = entry.find(f"{ATOM}link[@rel='alternate']")
        links.append(None if link is None else link.get("href"))
    return links


def rss_problems(data: bytes) -> list[str]:
    """What RSS 2.0 requires and what the W3C validator warns about, for feedkit's output."""
    root = etree.fromstring(data)
    channel = root.find("channel")
    if root.tag != "rss" or root.get("version") != "2.0" or channel is None:
        return ["not an RSS 2.0 document"]
    out = [
        f"channel: no <{t}>" for t in ("title", "link", "description") if not channel.findtext(t)
    ]
    for date in channel.findall("lastBuildDate") + channel.findall("item/pubDate"):
        parsedate_to_datetime(date.text or "")  # raises unless RFC 822
    for n, item in enumerate(channel.findall("item"), 1):
        children = [child.tag for child in item]
        if "title" not in children and "description" not in children:
            out.append(f"item {n}: needs a <title> or a <description>")
        if "guid" not in children:
            out.append(f"item {n}: no <guid>")
        if CONTENT in children and children.index(CONTENT) < children.index("description"):
            out.append(f"item {n}: <content:encoded> before <description>")
        for enclosure in item.findall("enclosure"):
            if not all(enclosure.get(a) for a in ("url", "type", "length")):
                out.append(f"item {n}: <enclosure> needs url, type and length")
        if item.find("author") is not None:
            out.append(f"item {n}: <author> must be an e-mail address; use dc:creator")
    return out


def assert_valid_rss(data: bytes) -> feedparser.FeedParserDict:
    assert rss_problems(data) == []
    parsed = feedparser.parse(io.BytesIO(data))
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    return parsed


# --- RSS 2.0 -----------------------------------------------------------------------------------


def test_rss_parses_cleanly_and_matches_the_atom_rendering() -> None:
    entries = [
        make("a", "zh", title="你好", updated=T2),
        make("a", "en", title="Hello", published=T2, updated=T2),
        make("b", "en", image="https://i.org/x.png", published=T1 - timedelta(days=1)),
        make("c", "en", link="", published=T1 - timedelta(days=2)),
    ]
    atom_docs, rss_docs = atom(entries), rss(entries)
    assert set(rss_docs) == {"all.atom.xml", "zh.atom.xml", "en.atom.xml"}
    for name, data in rss_docs.items():
        parsed = assert_valid_rss(data)
        expected = feedparser.parse(io.BytesIO(atom_docs[name]))
        assert len(parsed.entries) == len(expected.entries) > 0
        for got, want in zip(parsed.entries, expected.entries, strict=True):
            assert (got.id, got.title) == (want.id, want.title)
            assert got.published_parsed == want.published_parsed
        links = [i.findtext("link") for i in etree.fromstring(data).iterfind("channel/item")]
        assert links == atom_links(atom_docs[name])


def test_rss_guid_is_a_permalink_only_when_it_is_the_item_link() -> None:
    page = "https://src.org/page"
    data = rss([make("a", "en"), make("p", "en", id=page, link=page, published=T2)])
    items = etree.fromstring(data["en.atom.xml"]).findall("channel/item")
    guids = [guid for item in items for guid in item.iterfind("guid")]
    assert [(g.text, g.get("isPermaLink")) for g in guids] == [
        (page, "true"),
        ("urn:x:a:en", "false"),
    ]


def test_rss_self_link_points_at_the_rss_file_not_the_atom_one() -> None:
    channel = etree.fromstring(rss([make("a", "zh")])["zh.atom.xml"]).find("channel")
    assert channel is not None
    selves = channel.findall(f"{ATOM}link[@rel='self']")
    assert [(s.get("href"), s.get("type")) for s in selves] == [
        (BASE + "zh.rss.xml", "application/rss+xml")
    ]
    assert channel.findtext("link") == BASE


def test_rss_without_base_url_has_no_self_link_and_links_to_the_first_item() -> None:
    data = rss([make("a", "en")], replace(SETTINGS, base_url=""))["en.atom.xml"]
    channel = etree.fromstring(data).find("channel")
    assert channel is not None
    assert channel.find(f"{ATOM}link") is None
    assert channel.findtext("link") == "https://src.org/a"
    assert_valid_rss(data)


def test_rss_with_no_url_at_all_omits_the_channel_link_and_still_parses() -> None:
    data = rss([make("a", "en", link="")], replace(SETTINGS, base_url=""))["en.atom.xml"]
    channel = etree.fromstring(data).find("channel")
    assert channel is not None
    assert channel.find("link") is None
    assert b"about:blank" not in data
    parsed = feedparser.parse(io.BytesIO(data))
    assert (parsed.bozo, len(parsed.entries)) == (0, 1)


def test_trap_rss_last_build_date_is_the_newest_entry_never_now() -> None:
    data = rss([make("a", "en", updated=T2), make("b", "en")])["en.atom.xml"]
    channel = etree.fromstring(data).find("channel")
    assert channel is not None
    assert channel.findtext("lastBuildDate") == "Tue, 11 Jun 2024 09:30:15 +0000"
    assert [i.findtext("pubDate") for i in channel.findall("item")] == [
        "Mon, 10 Jun 2024 08:00:00 +0000",
        "Mon, 10 Jun 2024 08:00:00 +0000",
    ]


def test_trap_rss_generator_names_feedkit_not_feedgen() -> None:
    data = rss([make("a", "en")])["en.atom.xml"]
    assert etree.fromstring(data).findtext("channel/generator") == f"feedkit {__version__}"
    assert b"feedgen" not in data


def test_trap_rss_items_keep_planned_order_newest_first_ties_by_id() -> None:
    entries = [make(k, "en", id=f"urn:x:{k}") for k in "cab"]
    entries.append(make("z", "en", published=T2, id="urn:x:z"))
    items = etree.fromstring(rss(entries)["en.atom.xml"]).findall("channel/item")
    assert [i.findtext("guid") for i in items] == ["urn:x:z", "urn:x:a", "urn:x:b", "urn:x:c"]


def test_trap_rss_description_is_escaped_plain_text_and_html_is_in_content_encoded() -> None:
    summary = "Tom & <Jerry> say <b>hi</b>"
    data = rss([make("a", "en", summary=summary)])["en.atom.xml"]
    item = etree.fromstring(data).find("channel/item")
    assert item is not None
    assert item.findtext("description") == html.escape(summary, quote=False)
    assert item.findtext(CONTENT) == "<p>Body <strong>bold</strong></p>"
    parsed = assert_valid_rss(data)
    assert html.unescape(parsed.entries[0].summary) == summary
    assert "<strong>bold</strong>" in parsed.entries[0].content[0].value


def test_trap_rss_entry_without_summary_gets_a_text_excerpt_never_html() -> None:
    data = rss([make("a", "en", summary="", body="# Head\n\nSome *text*.")])["en.atom.xml"]
    item = etree.fromstring(data).find("channel/item")
    assert item is not None
    assert item.findtext("description") == "Head Some text."
    assert "<h1>Head</h1>" in (item.findtext(CONTENT) or "")
    assert_valid_rss(data)


def test_rss_enclosure_has_url_type_and_zero_length() -> None:
    data = rss([make("a", "en", image="https://img.org/photo.jpg")])["en.atom.xml"]
    enclosure = etree.fromstring(data).find("channel/item/enclosure")
    assert enclosure is not None
    assert dict(enclosure.attrib) == {
        "url": "https://img.org/photo.jpg",
        "length": "0",
        "type": "image/jpeg",
    }
    assert assert_valid_rss(data).entries[0].enclosures[0].href == "https://img.org/photo.jpg"


def test_rss_combined_item_holds_each_language_in_order() -> None:
    data = rss([make("a", "en", title="Hello"), make("a", "zh", title="你好")])["all.atom.xml"]
    item = etree.fromstring(data).find("channel/item")
    assert item is not None
    assert item.findtext("title") == "你好 / Hello"
    assert item.findtext("guid") == "tag:example.org,2024:a"
    content = item.findtext(CONTENT) or ""
    assert content.index('<div lang="zh">') < content.index('<div lang="en">')
    assert etree.fromstring(data).find("channel/language") is None


def test_rss_authors_are_dc_creator_falling_back_to_the_feed_author() -> None:
    data = rss([make("a", "en", authors=("Ann", "Bo")), make("b", "en", published=T2)])
    items = etree.fromstring(data["en.atom.xml"]).findall("channel/item")
    assert [[c.text for c in i.findall(DC_CREATOR)] for i in items] == [["Test"], ["Ann", "Bo"]]
    assert etree.fromstring(data["en.atom.xml"]).find("channel/item/author") is None


def test_rss_tags_are_categories_with_unicode_kept() -> None:
    data = rss([make("a", "zh", tags=("人工智能", "AI"))])["zh.atom.xml"]
    item = etree.fromstring(data).find("channel/item")
    assert item is not None
    assert [c.text for c in item.findall("category")] == ["人工智能", "AI"]


def test_rss_entry_without_body_or_summary_has_neither_description_nor_content() -> None:
    data = rss([make("a", "en", summary="", body="")])["en.atom.xml"]
    item = etree.fromstring(data).find("channel/item")
    assert item is not None
    assert item.find("description") is None and item.find(CONTENT) is None
    assert_valid_rss(data)


def test_rss_republished_entry_names_its_source_feed() -> None:
    origin = FeedOrigin(id="urn:feed:1", title="Remote", url="https://r.org/feed.xml")
    entry = make("a", "en", body="<p>hi</p>", body_format=BodyFormat.HTML, feed=origin)
    source = etree.fromstring(rss([entry])["en.atom.xml"]).find("channel/item/source")
    assert source is not None
    assert (source.text, source.get("url")) == ("Remote", "https://r.org/feed.xml")


def test_rss_hostile_entry_carries_no_script() -> None:
    data = rss([make("a", "en", body=HOSTILE_BODY)])
    for doc in data.values():
        assert b"<script" not in doc and b"javascript:" not in doc
        content = etree.fromstring(doc).findtext(f"channel/item/{CONTENT}") or ""
        for bad in ("<script", "javascript:", "onerror", "<iframe"):
            assert bad not in content


def test_rss_same_plan_same_bytes() -> None:
    entries = [make("a", "zh"), make("a", "en"), make("b", "en", image="https://i.org/x.png")]
    assert rss(entries) == rss(list(reversed(entries)))


# --- JSON Feed 1.1 -----------------------------------------------------------------------------

# https://jsonfeed.org/version/1.1: the members whose value is a string, and every member.
_FEED_STRINGS = "title home_page_url feed_url description user_comment next_url icon favicon"
_FEED_STRINGS += " language"
_ITEM_STRINGS = "id url external_url title content_html content_text summary image banner_image"
_ITEM_STRINGS += " language"
_FEED_KEYS = {*_FEED_STRINGS.split(), "version", "authors", "expired", "hubs", "items"}
_ITEM_KEYS = {*_ITEM_STRINGS.split(), "date_published", "date_modified", "authors", "tags"}
_ITEM_KEYS.add("attachments")


def json_feed_problems(doc: Any) -> list[str]:
    """Every way `doc` (parsed JSON) falls short of JSON Feed 1.1; [] when it conforms."""
    if not isinstance(doc, dict):
        return ["top level must be an object"]
    out = [f"unknown key {k!r}" for k in doc if k not in _FEED_KEYS and not k.startswith("_")]
    if doc.get("version") != JSON_FEED_VERSION:
        out.append(f"version must be {JSON_FEED_VERSION!r}, got {doc.get('version')!r}")
    if not isinstance(doc.get("title"), str):
        out.append("title is required and must be a string")
    out += [
        f"{k} must be a string"
        for k in _FEED_STRINGS.split()
        if not isinstance(doc.get(k, ""), str)
    ]
    out += _authors_problems(doc, "feed")
    items = doc.get("items")
    if not isinstance(items, list):
        return [*out, "items is required and must be an array"]
    ids = [item.get("id") for item in items if isinstance(item, dict)]
    if len(set(ids)) != len(ids):
        out.append("item ids must be unique")
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            out.append(f"item {n} must be an object")
            continue
        where = f"item {n}"
        out += [
            f"{where}: unknown key {k!r}"
            for k in item
            if k not in _ITEM_KEYS and not k.startswith("_")
        ]
        if not isinstance(item.get("id"), str) or not item["id"]:
            out.append(f"{where}: id is required and must be a non-empty string")
        if "content_html" not in item and "content_text" not in item:
            out.append(f"{where}: content_html or content_text is required")
        out += [
            f"{where}: {k} must be a string"
            for k in _ITEM_STRINGS.split()
            if not isinstance(item.get(k, ""), str)
        ]
        for key in ("date_published", "date_modified"):
            if key in item and not RFC3339.fullmatch(str(item[key])):
                out.append(f"{where}: {key} {item[key]!r} is not RFC 3339")
        tags = item.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            out.append(f"{where}: tags must be an array of strings")
        out += _authors_problems(item, where)
    return out


def _authors_problems(obj: dict[str, Any], where: str) -> list[str]:
    authors = obj.get("authors", [])
    if not isinstance(authors, list) or not all(
        isinstance(a, dict) and any(isinstance(a.get(k), str) for k in ("name", "url", "avatar"))
        for a in authors
    ):
        return [f"{where}: authors must be objects with a name, url or avatar"]
    return []


def test_json_feeds_conform_and_match_the_atom_rendering() -> None:
    entries = [
        make("a", "zh", title="你好", tags=("人工智能",)),
        make("a", "en", title="Hello", published=T2, updated=T2, authors=("Ann",)),
        make("b", "en", image="https://i.org/x.png", published=T1 - timedelta(days=1)),
        make("c", "en", link="", summary="", published=T1 - timedelta(days=2)),
    ]
    atom_docs = atom(entries)
    for name, data in jsonfeed(entries).items():
        assert data.endswith(b"}\n")
        doc = json.loads(data.decode("utf-8"))
        assert json_feed_problems(doc) == []
        assert doc["version"] == "https://jsonfeed.org/version/1.1"
        assert doc["feed_url"] == BASE + name.replace(".atom.xml", ".json")
        assert doc["home_page_url"] == BASE
        expected = feedparser.parse(io.BytesIO(atom_docs[name])).entries
        assert [i["id"] for i in doc["items"]] == [e.id for e in expected]
        assert [i["title"] for i in doc["items"]] == [e.title for e in expected]
        assert [i.get("url") for i in doc["items"]] == atom_links(atom_docs[name])
        assert [i["date_modified"] for i in doc["items"]] == [
            atom_entry.findtext(f"{ATOM}updated")
            for atom_entry in etree.fromstring(atom_docs[name]).findall(f"{ATOM}entry")
        ]


def test_json_feed_fields_and_their_stable_order() -> None:
    entries = [make("a", "en", authors=("Ann",), tags=("x", "y"), image="https://i.org/p.jpg")]
    doc = json.loads(jsonfeed(entries)["en.atom.xml"])
    assert list(doc) == [
        "version",
        "title",
        "home_page_url",
        "feed_url",
        "authors",
        "language",
        "items",
    ]
    assert (doc["title"], doc["language"], doc["authors"]) == (
        "Test (en)",
        "en",
        [{"name": "Test"}],
    )
    assert doc["items"] == [
        {
            "id": "urn:x:a:en",
            "url": "https://src.org/a",
            "title": "a en",
            "content_html": "<p>Body <strong>bold</strong></p>",
            "summary": "s",
            "image": "https://i.org/p.jpg",
            "date_published": "2024-06-10T08:00:00Z",
            "date_modified": "2024-06-10T08:00:00Z",
            "authors": [{"name": "Ann"}],
            "tags": ["x", "y"],
            "language": "en",
        }
    ]


def test_json_without_base_url_has_no_feed_or_home_page_url() -> None:
    doc = json.loads(jsonfeed([make("a", "en")], replace(SETTINGS, base_url=""))["en.atom.xml"])
    assert "feed_url" not in doc and "home_page_url" not in doc
    assert json_feed_problems(doc) == []


def test_json_combined_item_holds_each_language_and_names_none() -> None:
    data = jsonfeed([make("a", "en"), make("a", "zh", title="你好")])["all.atom.xml"]
    assert "你好".encode() in data  # UTF-8, not \\u escapes
    doc = json.loads(data)
    assert "language" not in doc
    item = doc["items"][0]
    assert "language" not in item
    assert item["id"] == "tag:example.org,2024:a"
    assert item["content_html"].index('<div lang="zh">') < item["content_html"].index(
        '<div lang="en">'
    )


def test_json_hostile_entry_carries_no_script() -> None:
    for data in jsonfeed([make("a", "en", body=HOSTILE_BODY)]).values():
        content = json.loads(data)["items"][0]["content_html"]
        for bad in ("<script", "javascript:", "onerror", "<iframe"):
            assert bad not in content


def test_json_same_plan_same_bytes() -> None:
    entries = [make("a", "zh"), make("a", "en"), make("b", "en")]
    assert jsonfeed(entries) == jsonfeed(list(reversed(entries)))


def test_json_checker_catches_what_it_should() -> None:
    good: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": "t",
        "items": [{"id": "1", "content_text": "x"}],
    }
    assert json_feed_problems(good) == []
    bad_item = {"id": "", "date_published": "2024-06-10", "tags": "x", "title": 3}
    bad = {**good, "version": "1", "items": [bad_item], "extra": 1}
    assert len(json_feed_problems(bad)) == 7


# --- OPML 2.0 ----------------------------------------------------------------------------------

OPML_FEEDS = [
    OpmlFeed(title="R&D <news> 新闻", xml_url=BASE + "zh.atom.xml", html_url=BASE, lang="zh"),
    OpmlFeed(title="Test", xml_url="en.rss.xml", kind="rss"),
    OpmlFeed(title="", xml_url=BASE + "all.json?a=1&b=2", kind="json"),
]


def test_opml_lists_one_outline_per_feed_with_its_attributes() -> None:
    data = render_opml(OPML_FEEDS, title="Feeds & more", date=T2)
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = etree.fromstring(data)
    assert (root.tag, root.get("version")) == ("opml", "2.0")
    assert root.findtext("head/title") == "Feeds & more"
    assert root.findtext("head/dateCreated") == "Tue, 11 Jun 2024 09:30:15 +0000"
    outlines = [dict(o.attrib) for o in root.findall("body/outline")]
    assert outlines == [
        {
            "type": "rss",
            "text": "R&D <news> 新闻",
            "title": "R&D <news> 新闻",
            "xmlUrl": BASE + "zh.atom.xml",
            "htmlUrl": BASE,
            "language": "zh",
        },
        {
            "type": "rss",
            "text": "Test",
            "title": "Test",
            "xmlUrl": "en.rss.xml",
            "version": "RSS2",
        },
        {
            "type": "rss",
            "text": BASE + "all.json?a=1&b=2",
            "title": BASE + "all.json?a=1&b=2",
            "xmlUrl": BASE + "all.json?a=1&b=2",
        },
    ]


def test_opml_escapes_markup_characters() -> None:
    data = render_opml(OPML_FEEDS, title="a < b", date=T1)
    assert b'text="R&amp;D &lt;news&gt; \xe6\x96\xb0\xe9\x97\xbb"' in data
    assert b"<title>a &lt; b</title>" in data
    assert b"a=1&amp;b=2" in data


def test_opml_drops_characters_xml_cannot_carry() -> None:
    data = render_opml([OpmlFeed(title="a\x00b\x1bc", xml_url="x.xml")], title="t\x0c", date=T1)
    root = etree.fromstring(data)
    assert [o.get("title") for o in root.iterfind("body/outline")] == ["abc"]
    assert root.findtext("head/title") == "t"


def test_opml_is_deterministic_and_date_is_utc() -> None:
    shanghai = T2.astimezone(timezone(timedelta(hours=8)))
    assert render_opml(OPML_FEEDS, title="t", date=T2) == render_opml(
        OPML_FEEDS, title="t", date=shanghai
    )


def test_opml_refuses_a_naive_date_and_unknown_kind() -> None:
    with pytest.raises(ValueError, match="aware"):
        render_opml(OPML_FEEDS, title="t", date=datetime(2024, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="kind"):
        OpmlFeed(title="t", xml_url="x", kind="rdf")
    with pytest.raises(ValueError, match="xml_url"):
        OpmlFeed(title="t", xml_url="")
