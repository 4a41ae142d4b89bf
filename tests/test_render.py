"""SPEC 3.2: what an Atom feed holds, and the feedgen 1.0.0 traps, each pinned."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import feedparser
from conformance import assert_valid_atom
from lxml import etree

from feedkit import __version__
from feedkit.dedupe import dedupe
from feedkit.model import BodyFormat, Entry, FeedOrigin, FeedSettings
from feedkit.plan import plan_feeds
from feedkit.render import ContentRenderer, render_atom

A = "{http://www.w3.org/2005/Atom}"
T1 = datetime(2024, 6, 10, 8, 0, tzinfo=UTC)
T2 = datetime(2024, 6, 11, 9, 30, 15, 123456, tzinfo=UTC)
SETTINGS = FeedSettings(title="Test", base_url="https://example.org/f/", lang_order=("zh", "en"))


def make(key: str, lang: str, **fields: object) -> Entry:
    base: dict[str, object] = {
        "key": key,
        "id": f"urn:x:{key}:{lang}",
        "lang": lang,
        "title": f"{key} {lang}",
        "published": T1,
        "updated": T1,
        "link": f"https://src.org/{key}",
        "summary": "s",
        "body": "Body **bold**",
        "group_id": f"tag:example.org,2024:{key}",
    }
    base.update(fields)
    return Entry(**base)  # type: ignore[arg-type]


def render(entries: list[Entry], settings: FeedSettings = SETTINGS) -> dict[str, bytes]:
    renderer = ContentRenderer(base_url=settings.base_url)
    return {f.filename: render_atom(f, renderer) for f in plan_feeds(dedupe(entries), settings)}


def tree(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def test_every_document_conforms_and_parses_cleanly() -> None:
    docs = render([make("a", "zh"), make("a", "en"), make("b", "en", image="https://i.org/x.png")])
    assert set(docs) == {"all.atom.xml", "zh.atom.xml", "en.atom.xml"}
    for name, data in docs.items():
        assert_valid_atom(data, self_url=f"https://example.org/f/{name}")


def test_trap_entry_links_keep_rel_and_type_so_an_enclosure_is_no_second_alternate() -> None:
    data = render([make("a", "en", image="https://img.org/photo.jpg")])["en.atom.xml"]
    links = tree(data).findall(f"{A}entry/{A}link")
    assert [(x.get("rel"), x.get("type")) for x in links] == [
        ("alternate", "text/html"),
        ("enclosure", "image/jpeg"),
    ]
    parsed = feedparser.parse(data)
    assert parsed.entries[0].enclosures[0].href == "https://img.org/photo.jpg"


def test_trap_updated_is_the_newest_entry_never_now() -> None:
    data = render([make("a", "en", updated=T2), make("b", "en", published=T1 - (T2 - T1))])[
        "en.atom.xml"
    ]
    root = tree(data)
    assert root.findtext(f"{A}updated") == "2024-06-11T09:30:15Z"
    assert [e.findtext(f"{A}updated") for e in root.findall(f"{A}entry")] == [
        "2024-06-11T09:30:15Z",
        "2024-06-10T08:00:00Z",
    ]


def test_trap_entries_keep_planned_order_newest_first_ties_by_id() -> None:
    entries = [make(k, "en", published=T1, id=f"urn:x:{k}") for k in "cab"]
    entries.append(make("z", "en", published=T2, id="urn:x:z"))
    ids = [e.findtext(f"{A}id") for e in tree(render(entries)["en.atom.xml"]).findall(f"{A}entry")]
    assert ids == ["urn:x:z", "urn:x:a", "urn:x:b", "urn:x:c"]


def test_trap_generator_names_feedkit_not_feedgen() -> None:
    gen = tree(render([make("a", "en")])["en.atom.xml"]).find(f"{A}generator")
    assert gen is not None
    assert (gen.text, gen.get("version"), gen.get("uri")) == (
        "feedkit",
        __version__,
        "https://github.com/feedkit/feedkit",
    )


def test_combined_entry_holds_each_language_with_its_lang_attribute() -> None:
    docs = render([make("a", "en", title="Hello"), make("a", "zh", title="你好")])
    entry = tree(docs["all.atom.xml"]).find(f"{A}entry")
    assert entry is not None
    assert entry.findtext(f"{A}title") == "你好 / Hello"
    assert entry.findtext(f"{A}id") == "tag:example.org,2024:a"
    content = entry.findtext(f"{A}content") or ""
    assert content.index('<div lang="zh">') < content.index('<div lang="en">')


def test_combined_entry_is_published_at_the_earliest_and_updated_at_the_latest() -> None:
    docs = render(
        [make("a", "zh", published=T1, updated=T1), make("a", "en", published=T2, updated=T2)]
    )
    entry = tree(docs["all.atom.xml"]).find(f"{A}entry")
    assert entry is not None
    assert entry.findtext(f"{A}published") == "2024-06-10T08:00:00Z"
    assert entry.findtext(f"{A}updated") == "2024-06-11T09:30:15Z"


def test_language_feeds_carry_xml_lang_and_the_combined_feed_does_not() -> None:
    docs = render([make("a", "zh"), make("a", "en")])
    xml_lang = "{http://www.w3.org/XML/1998/namespace}lang"
    assert tree(docs["zh.atom.xml"]).get(xml_lang) == "zh"
    assert tree(docs["all.atom.xml"]).get(xml_lang) is None


def test_without_base_url_no_self_link_and_a_urn_uuid_id() -> None:
    docs = render([make("a", "en")], replace(SETTINGS, base_url=""))
    root = tree(docs["en.atom.xml"])
    assert root.findtext(f"{A}id", "").startswith("urn:uuid:")
    assert root.find(f"{A}link[@rel='self']") is None


def test_max_entries_limits_every_feed() -> None:
    docs = render([make(k, "en") for k in "abcdef"], replace(SETTINGS, max_entries=2))
    assert len(tree(docs["en.atom.xml"]).findall(f"{A}entry")) == 2
    assert len(tree(docs["all.atom.xml"]).findall(f"{A}entry")) == 2


def test_content_is_sanitized_and_relative_urls_resolve_against_the_source_link() -> None:
    body = '<script>x()</script><a href="javascript:alert(1)">j</a><img src="p.png" onerror="x">'
    data = render([make("a", "en", body=body, link="https://src.org/dir/page")])["en.atom.xml"]
    content = tree(data).findtext(f"{A}entry/{A}content") or ""
    assert "<script" not in content and "javascript:" not in content and "onerror" not in content
    assert 'src="https://src.org/dir/p.png"' in content


def test_markdown_javascript_link_keeps_only_its_text() -> None:
    data = render([make("a", "en", body="[click](javascript:alert(1))")])["en.atom.xml"]
    content = tree(data).findtext(f"{A}entry/{A}content") or ""
    assert "javascript" not in content and "click" in content


def test_relative_url_with_nowhere_to_resolve_is_dropped_with_a_warning() -> None:
    renderer = ContentRenderer()
    entry = make("a", "en", link="", body="![x](pic.png)", origin="a.md")
    feed = plan_feeds([entry], replace(SETTINGS, base_url=""))[1]
    data = render_atom(feed, renderer)
    assert b"pic.png" not in data
    assert renderer.warnings == [
        ("a.md", "relative URL 'pic.png' dropped: no source link or base URL")
    ]


def test_republished_remote_entry_carries_atom_source() -> None:
    origin = FeedOrigin(id="urn:feed:1", title="Remote", url="https://r.org/feed.xml")
    remote = make("a", "en", body="<p>hi</p>", body_format=BodyFormat.HTML, feed=origin)
    source = tree(render([remote])["en.atom.xml"]).find(f"{A}entry/{A}source")
    assert source is not None
    assert source.findtext(f"{A}id") == "urn:feed:1"
    assert source.findtext(f"{A}title") == "Remote"


def test_unicode_tags_are_kept_as_category_terms() -> None:
    data = render([make("a", "zh", tags=("人工智能", "AI"))])["zh.atom.xml"]
    terms = [c.get("term") for c in tree(data).findall(f"{A}entry/{A}category")]
    assert terms == ["人工智能", "AI"]


def test_same_plan_same_bytes() -> None:
    entries = [make("a", "zh"), make("a", "en"), make("b", "en")]
    assert render(entries) == render(list(reversed(entries)))
