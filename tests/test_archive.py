"""RFC 5005 archived feeds (SPEC 3.1): a small subscription document, archive pages that a reader
can walk back to the first entry, and pages that stay put once full."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin

import feedparser
import pytest
from conformance import assert_valid_atom
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from feedkit.archive import archive_filename, plan_archives
from feedkit.model import Entry, PlannedEntry, PlannedFeed
from feedkit.render import ContentRenderer, render_atom

A = "{http://www.w3.org/2005/Atom}"
FH_ARCHIVE = "{http://purl.org/syndication/history/1.0}archive"
BASE = "https://example.org/f/"
T0 = datetime(2024, 1, 1, 8, 0, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HUB = ("hub", "https://hub.example.net/", "")


def item(n: int) -> PlannedEntry:
    """Entry number `n`: a higher number is published later (one per day)."""
    entry = Entry(
        key=f"https://src.org/{n}",
        id=f"https://src.org/{n}#zh",
        lang="zh",
        title=f"文章 {n}",
        published=T0 + timedelta(days=n),
        updated=T0 + timedelta(days=n, hours=1),
        link=f"https://src.org/{n}",
        summary="摘要",
        body="正文 **粗体**",
    )
    return PlannedEntry(id=entry.id, versions=(entry,))


def whole(count: int, *, filename: str = "zh.atom.xml", base: str = BASE) -> PlannedFeed:
    """The whole logical feed of entries 0..count-1, newest first, as plan.py builds it."""
    entries = tuple(item(n) for n in reversed(range(count)))
    return PlannedFeed(
        filename=filename,
        id=base + filename if base else "urn:uuid:3b241101-e2bb-4255-8caf-4136c566a962",
        title="博客 (zh)",
        lang="zh",
        self_url=base + filename if base else "",
        alternate_url=base,
        author="博客",
        updated=max((e.updated for e in entries), default=EPOCH),
        entries=entries,
        links=(HUB,),
    )


def plan(count: int, max_entries: int = 3, page_size: int = 2, **kw: str) -> list[PlannedFeed]:
    base = kw.get("base", BASE)
    return plan_archives(
        whole(count, **kw), max_entries=max_entries, page_size=page_size, base_url=base
    )


def numbers(feed: PlannedFeed) -> list[int]:
    return [int(e.id.split("/")[-1].split("#")[0]) for e in feed.entries]


def render(feeds: list[PlannedFeed]) -> dict[str, bytes]:
    renderer = ContentRenderer(base_url=BASE)
    return {feed.filename: render_atom(feed, renderer) for feed in feeds}


def links(data: bytes) -> dict[str, str]:
    return {
        link.get("rel", ""): link.get("href", "")
        for link in etree.fromstring(data).findall(f"{A}link")
    }


def test_no_archived_entries_means_no_archive_documents_and_no_prev_archive_link() -> None:
    for count in (0, 1, 3):
        (only,) = plan(count)
        assert numbers(only) == list(reversed(range(count)))
        assert only.links == (HUB,)
        assert not only.archive


def test_subscription_keeps_the_newest_entries_and_links_to_the_newest_page() -> None:
    subscription, *pages = plan(9)
    assert subscription.filename == "zh.atom.xml"
    assert numbers(subscription) == [8, 7, 6]
    assert subscription.updated == item(8).updated
    assert subscription.links == (
        HUB,
        ("prev-archive", BASE + "archive/zh/3.atom.xml", "application/atom+xml"),
    )
    assert [p.filename for p in pages] == [f"archive/zh/{n}.atom.xml" for n in (1, 2, 3)]
    assert [numbers(p) for p in pages] == [[1, 0], [3, 2], [5, 4]]  # 6 entries fill 3 pages


def test_archive_pages_link_current_and_their_neighbours_and_carry_their_own_identity() -> None:
    _, first, middle, last = plan(9)
    kind = "application/atom+xml"
    current = ("current", BASE + "zh.atom.xml", kind)
    assert first.links == (current, ("next-archive", BASE + "archive/zh/2.atom.xml", kind))
    assert middle.links == (
        current,
        ("prev-archive", BASE + "archive/zh/1.atom.xml", kind),
        ("next-archive", BASE + "archive/zh/3.atom.xml", kind),
    )
    assert last.links == (current, ("prev-archive", BASE + "archive/zh/2.atom.xml", kind))
    assert all(page.archive for page in (first, middle, last))
    assert middle.id == middle.self_url == BASE + "archive/zh/2.atom.xml"
    assert middle.title == "博客 (zh) · 2024-01-03 – 2024-01-04"
    assert middle.updated == item(3).updated  # its newest entry, never "now"
    assert (middle.lang, middle.author, middle.alternate_url) == ("zh", "博客", BASE)


def test_a_new_entry_rewrites_the_subscription_and_the_newest_page_only() -> None:
    nine, ten, eleven = render(plan(9)), render(plan(10)), render(plan(11))
    # 10 entries: 7 archived, page 4 starts; page 3 gains its next-archive link, once.
    assert set(ten) - set(nine) == {"archive/zh/4.atom.xml"}
    assert nine["zh.atom.xml"] != ten["zh.atom.xml"]
    for page in (1, 2):
        name = f"archive/zh/{page}.atom.xml"
        assert nine[name] == ten[name], name
    page3 = "archive/zh/3.atom.xml"
    assert "next-archive" not in links(nine[page3])
    assert links(ten[page3])["next-archive"] == BASE + "archive/zh/4.atom.xml"
    assert plan(9)[3] == replace(plan(10)[3], links=plan(9)[3].links)  # same entries, same id
    # 11 entries: page 4 fills up; every page that already had a successor is untouched.
    assert set(eleven) == set(ten)
    changed = {name for name in ten if ten[name] != eleven[name]}
    assert changed == {"zh.atom.xml", "archive/zh/4.atom.xml"}


@pytest.mark.parametrize(
    ("count", "max_entries", "page_size"),
    [(9, 3, 2), (10, 3, 2), (11, 3, 2), (23, 5, 4), (4, 1, 10), (7, 0, 3)],
    ids=["full-pages", "one-partial", "partial-filled", "bigger", "one-page", "empty-current"],
)
def test_walking_prev_archive_from_the_subscription_reaches_every_entry_once(
    count: int, max_entries: int, page_size: int
) -> None:
    docs = render(plan(count, max_entries, page_size))
    seen: list[str] = []
    name: str | None = "zh.atom.xml"
    visited = []
    while name is not None:
        visited.append(name)
        root = etree.fromstring(docs[name])
        seen += [e.findtext(f"{A}id", "") for e in root.findall(f"{A}entry")]
        if name != "zh.atom.xml":
            assert links(docs[name])["current"] == BASE + "zh.atom.xml"
        href = links(docs[name]).get("prev-archive")
        name = href.removeprefix(BASE) if href else None
    assert sorted(seen) == sorted(item(n).id for n in range(count))
    assert len(seen) == len(set(seen))
    assert set(visited) == set(docs)
    # and forwards: next-archive from page 1 visits the pages in the opposite order
    forward, name = [], "archive/zh/1.atom.xml"
    while name is not None:
        forward.append(name)
        href = links(docs[name]).get("next-archive")
        name = href.removeprefix(BASE) if href else None
    assert forward == visited[:0:-1]


def test_every_document_conforms_and_only_archive_pages_carry_fh_archive() -> None:
    docs = render(plan(10))
    assert len(docs) == 5
    for name, data in docs.items():
        assert_valid_atom(data, self_url=BASE + name)
        parsed = feedparser.parse(data)
        assert parsed.bozo == 0, name
        marks = etree.fromstring(data).findall(FH_ARCHIVE)
        assert len(marks) == (0 if name == "zh.atom.xml" else 1), name


def test_entries_inside_a_page_stay_newest_first() -> None:
    data = render(plan(11, page_size=4))["archive/zh/2.atom.xml"]
    ids = [e.findtext(f"{A}id") for e in etree.fromstring(data).findall(f"{A}entry")]
    assert ids == [item(n).id for n in (7, 6, 5, 4)]


@pytest.mark.parametrize(
    ("filename", "page", "expected"),
    [
        ("zh.atom.xml", 1, "archive/zh/1.atom.xml"),
        ("all.atom.xml", 12, "archive/all/12.atom.xml"),
        ("tag/ai/zh.atom.xml", 2, "tag/ai/archive/zh/2.atom.xml"),
        ("author/li-lei/en.atom.xml", 3, "author/li-lei/archive/en/3.atom.xml"),
    ],
    ids=["language", "combined", "tag", "author"],
)
def test_archive_file_names_sit_beside_the_feed(filename: str, page: int, expected: str) -> None:
    assert archive_filename(filename, page) == expected


def test_nested_feed_links_point_at_its_own_pages() -> None:
    subscription, first, second = plan(7, page_size=2, filename="tag/ai/zh.atom.xml")
    assert dict((r, h) for r, h, _ in subscription.links)["prev-archive"] == (
        BASE + "tag/ai/archive/zh/2.atom.xml"
    )
    assert (first.filename, second.filename) == (
        "tag/ai/archive/zh/1.atom.xml",
        "tag/ai/archive/zh/2.atom.xml",
    )
    assert second.links[0] == ("current", BASE + "tag/ai/zh.atom.xml", "application/atom+xml")


def test_without_base_url_links_are_relative_to_each_document_and_ids_are_stable_urns() -> None:
    feeds = plan(9, filename="tag/ai/zh.atom.xml", base="")
    subscription, *pages = feeds
    # A reader resolves each href against the location it fetched the document from.
    site = "https://anywhere.example/out/"
    for feed in feeds:
        resolved = {
            rel: urljoin(site + feed.filename, href).removeprefix(site)
            for rel, href, _ in feed.links
            if rel != "hub"
        }
        assert all("://" not in href for rel, href, _ in feed.links if rel != "hub")
        if feed.archive:
            number = int(feed.filename.rsplit("/", 1)[1].split(".")[0])
            assert resolved["current"] == "tag/ai/zh.atom.xml"
            neighbours = {"prev-archive": number - 1, "next-archive": number + 1}
            for rel, target in resolved.items():
                if rel in neighbours:
                    assert target == archive_filename("tag/ai/zh.atom.xml", neighbours[rel])
        else:
            assert resolved == {"prev-archive": archive_filename("tag/ai/zh.atom.xml", 3)}
    assert dict((r, h) for r, h, _ in subscription.links)["prev-archive"] == (
        "archive/zh/3.atom.xml"
    )
    assert [h for _, h, _ in pages[1].links] == ["../../zh.atom.xml", "1.atom.xml", "3.atom.xml"]
    ids = [p.id for p in pages]
    assert all(i.startswith("urn:uuid:") for i in ids)
    assert len({*ids, subscription.id}) == len(feeds)
    assert ids == [p.id for p in plan(12, filename="tag/ai/zh.atom.xml", base="")[1:4]]
    assert all(p.self_url == "" for p in pages)
    # feedparser, told where the document lives, resolves the relative links to absolute ones
    data = render([pages[1]])[pages[1].filename]
    headers = {"content-type": "application/atom+xml", "content-location": site + pages[1].filename}
    parsed = feedparser.parse(data, response_headers=headers)
    assert parsed.bozo == 0
    hrefs = {link.rel: link.href for link in parsed.feed.links}
    assert hrefs["current"] == site + "tag/ai/zh.atom.xml"
    assert hrefs["next-archive"] == site + "tag/ai/archive/zh/3.atom.xml"


def test_archive_pages_drop_the_hub_link_of_the_subscription_document() -> None:
    subscription, *pages = plan(9)
    assert HUB in subscription.links
    assert all(HUB not in page.links for page in pages)


def test_a_deleted_entry_shifts_the_pages_after_it() -> None:
    """Stateless planning: pages are recomputed from the entries there are now."""
    full = whole(9)
    gone = replace(full, entries=tuple(e for e in full.entries if e.id != item(2).id))
    _, *before = plan_archives(full, max_entries=3, page_size=2, base_url=BASE)
    _, *after = plan_archives(gone, max_entries=3, page_size=2, base_url=BASE)
    assert [numbers(p) for p in before] == [[1, 0], [3, 2], [5, 4]]
    assert [numbers(p) for p in after] == [[1, 0], [4, 3], [5]]
    assert after[0] == before[0]


def test_an_edited_archived_entry_changes_only_its_page() -> None:
    full = whole(9)
    edited = item(3).versions[0]
    edited = replace(edited, title="改过", updated=edited.updated + timedelta(days=30))
    changed = replace(
        full,
        entries=tuple(
            PlannedEntry(id=e.id, versions=(edited,)) if e.id == edited.id else e
            for e in full.entries
        ),
    )
    before = plan_archives(full, max_entries=3, page_size=2, base_url=BASE)
    after = plan_archives(changed, max_entries=3, page_size=2, base_url=BASE)
    differ = [b.filename for b, a in zip(before, after, strict=True) if a != b]
    assert differ == ["archive/zh/2.atom.xml"]
    assert after[2].updated == edited.updated


@pytest.mark.parametrize(
    ("max_entries", "page_size", "message"),
    [(-1, 2, "max_entries must be 0 or more"), (3, 0, "page size must be 1 or more")],
    ids=["negative-max", "zero-page"],
)
def test_impossible_sizes_are_refused(max_entries: int, page_size: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plan_archives(whole(3), max_entries=max_entries, page_size=page_size, base_url=BASE)


@given(
    count=st.integers(0, 40),
    max_entries=st.integers(0, 8),
    page_size=st.integers(1, 7),
    more=st.integers(0, 12),
)
def test_every_entry_is_in_exactly_one_document_and_full_pages_never_move(
    count: int, max_entries: int, page_size: int, more: int
) -> None:
    small = plan(count, max_entries, page_size)
    subscription, *pages = small
    everything = [e.id for doc in small for e in doc.entries]
    assert sorted(everything) == sorted(item(n).id for n in range(count))
    assert len(everything) == len(set(everything))
    assert len(subscription.entries) == min(count, max_entries)
    assert all(len(p.entries) == page_size for p in pages[:-1])
    assert all(0 < len(p.entries) <= page_size for p in pages[-1:])
    # The same feed with `more` newer entries: full pages keep their entries, id, title and
    # date; a page that already had a successor is the very same document.
    bigger = {doc.filename: doc for doc in plan(count + more, max_entries, page_size)}
    for number, page in enumerate(pages, 1):
        if len(page.entries) < page_size:
            continue
        later = bigger[page.filename]
        assert replace(later, links=page.links) == page
        if number < len(pages):
            assert later == page
