"""feedkit.pagemeta: the head of a page -> PageMeta (pure; never raises)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedkit.pagemeta import MAX_TEXT, PageMeta, parse_page_meta

URL = "https://www.example.org/posts/1?ref=x"


def page(head: str, *, html_attrs: str = 'lang="en"', body: str = "<p>text</p>") -> bytes:
    return (
        f"<!doctype html><html {html_attrs}><head>{head}</head><body>{body}</body></html>".encode()
    )


def test_every_field() -> None:
    head = (
        '<meta charset="utf-8"><title>ignored</title>'
        '<link rel="canonical" href="/posts/1">'
        '<meta property="og:title" content="A &amp; B">'
        '<meta property="og:description" content="  Some\n  words ">'
        '<meta property="og:image" content="/img/1.png">'
        '<meta property="og:site_name" content="Example">'
        '<meta property="article:published_time" content="2024-03-01T10:00:00+08:00">'
        '<meta property="article:modified_time" content="2024-03-02">'
    )
    meta = parse_page_meta(page(head, html_attrs='lang="zh_cn"'), URL)
    assert meta == PageMeta(
        final_url=URL,
        canonical="https://www.example.org/posts/1",
        title="A & B",
        description="Some words",
        image="https://www.example.org/img/1.png",
        site_name="Example",
        published=datetime(2024, 3, 1, 2, 0, tzinfo=UTC),
        modified=datetime(2024, 3, 2, tzinfo=UTC),
        lang="zh-CN",
    )


def test_empty_and_missing() -> None:
    assert parse_page_meta(b"", URL) == PageMeta(final_url=URL)
    assert parse_page_meta(b"<html><head></head></html>", URL) == PageMeta(final_url=URL)


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("https://example.org/posts/1", "https://example.org/posts/1"),  # www. removed
        ("http://www.example.org/p/1", "http://www.example.org/p/1"),  # scheme may differ
        ("//www.example.org/p/2", "https://www.example.org/p/2"),
        ("https://blog.example.org/p/1", None),  # another host
        ("https://evil.example/posts/1", None),
        ("https://www.example.org/", None),  # the home page, claimed by every page
        ("javascript:alert(1)", None),
        ("", None),
    ],
    ids=["bare-host", "http", "scheme-relative", "subdomain", "other-site", "root", "js", "empty"],
)
def test_canonical_only_on_the_same_site(href: str, expected: str | None) -> None:
    meta = parse_page_meta(page(f'<link rel="canonical" href="{href}">'), URL)
    assert meta.canonical == expected


def test_root_canonical_kept_on_the_root_page() -> None:
    html = page('<link rel="Canonical Alternate" href="https://example.org/">')
    assert parse_page_meta(html, "https://example.org/").canonical == "https://example.org/"


def test_hostile_values() -> None:
    huge = "x" * 200_000
    head = (
        '<meta property="og:title" content="<script>alert(1)</script>Real <b>title</b>">'
        f'<meta property="og:description" content="{huge}">'
        '<meta property="og:image" content="javascript:alert(1)">'
        '<meta property="og:site_name" content="<img src=x onerror=alert(1)>">'
        '<meta property="article:published_time" content="not a date">'
        f'<link rel="canonical" href="https://www.example.org/{huge}">'
    )
    meta = parse_page_meta(page(head, html_attrs='lang="<script>"'), URL)
    assert meta.title == "Real title"
    assert meta.description == "x" * MAX_TEXT
    assert meta.image is None
    assert meta.site_name is None
    assert meta.published is None
    assert meta.canonical is None
    assert meta.lang is None


def test_data_and_vbscript_images_dropped_first_value_wins() -> None:
    head = (
        '<meta property="og:image" content="data:image/png;base64,AAAA">'
        '<meta property="og:image" content="https://cdn.example/2.png">'
        '<meta property="og:title" content="first"><meta property="og:title" content="second">'
    )
    meta = parse_page_meta(page(head), URL)
    assert meta.image is None  # the first og:image is the page's choice; not replaced
    assert meta.title == "first"


def test_only_the_head_is_read() -> None:
    html = page("", body='<meta property="og:title" content="in the body">')
    assert parse_page_meta(html, URL).title is None
    unclosed = b"<html><head>" + b"<meta name=x content=y>" * 50_000
    unclosed += b'<meta property="og:title" content="far away">'
    assert parse_page_meta(unclosed, URL).title is None  # past HEAD_BYTES


def test_charset_from_meta_and_declared() -> None:
    latin = '<meta charset="iso-8859-1"><meta property="og:title" content="café">'
    assert parse_page_meta(page(latin).replace(b"caf\xc3\xa9", b"caf\xe9"), URL).title == "café"
    body = page('<meta property="og:title" content="中文">').decode().encode("gb18030")
    assert parse_page_meta(body, URL, encoding="gb18030").title == "中文"
    assert parse_page_meta(body, URL, encoding="no-such-codec").title is not None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4000))
def test_never_raises_on_any_bytes(data: bytes) -> None:
    meta = parse_page_meta(data, URL)
    assert meta.final_url == URL


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>/=\"' -!&#;abcdefghiklmnoprst")), max_size=400))
def test_never_raises_on_tag_soup(text: str) -> None:
    parse_page_meta(("<html><head>" + text).encode(), URL)
