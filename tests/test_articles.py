"""SPEC 1.1: an article file becomes one entry per language section."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from feedkit.articles import (
    UNDATED_WARNING,
    ArticleFile,
    ParsedArticle,
    parse_article,
    scan_article,
)
from feedkit.dates import load_tz
from feedkit.errors import ArticleError
from feedkit.model import ArticleOptions, Entry

MTIME = datetime(2025, 5, 5, 12, 0, tzinfo=UTC)
SEED_URL = "https://ft.com/content/03b9fb65-5f12-41a8-9d8e-e2243b72466d"


def parse(
    text: str | bytes, *, rel: str = "a.md", **options: object
) -> tuple[list[Entry], list[str]]:
    """Parse in full, and check on the way that a scan of the same file agrees (SPEC 7: convert
    scans every file and reads in full only what it publishes)."""
    data = text.encode() if isinstance(text, str) else text
    article = ArticleFile(path=Path(rel), rel=rel, data=data, mtime=MTIME, source="src")
    tz = load_tz(str(options.pop("tz", "UTC")))
    settings = ArticleOptions(**options)  # type: ignore[arg-type]
    try:
        parsed = parse_article(article, settings, tz=tz)
    except ArticleError as error:
        with pytest.raises(ArticleError) as scan_error:
            scan_article(article, settings, tz=tz)
        assert (scan_error.value.reason, scan_error.value.line) == (error.reason, error.line)
        raise
    assert_scan_agrees(scan_article(article, settings, tz=tz), parsed)
    return list(parsed.entries), list(parsed.warnings)


def assert_scan_agrees(scan: ParsedArticle, full: ParsedArticle) -> None:
    """A scan finds the same entries as a full read, but for their text, and says the same."""
    without_text = [replace(e, title="", summary="", body="") for e in full.entries]
    assert [item.entry() for item in scan.scanned] == without_text
    assert (scan.warnings, scan.draft, scan.undated) == (full.warnings, full.draft, full.undated)


def by_lang(entries: list[Entry]) -> dict[str, Entry]:
    return {entry.lang: entry for entry in entries}


# --- the seed article -------------------------------------------------------------------------


def test_seed_has_a_chinese_and_an_english_entry(seed_bytes: bytes) -> None:
    entries, warnings = parse(seed_bytes)
    assert [e.lang for e in entries] == ["zh", "en"]
    assert warnings == []


def test_seed_chinese_title_is_the_front_matter_title(seed_bytes: bytes) -> None:
    zh = by_lang(parse(seed_bytes)[0])["zh"]
    assert zh.title == "伊隆·马斯克（Elon Musk）撤销了对OpenAI和山姆·奥尔特曼（Sam Altman）的诉讼"


def test_seed_english_title_is_its_own_headline_and_summary_the_description(
    seed_bytes: bytes,
) -> None:
    en = by_lang(parse(seed_bytes)[0])["en"]
    assert en.title == "Elon Musk withdraws lawsuit against OpenAI and Sam Altman"
    assert en.summary.startswith("No reason given for dismissal of breach-of-contract claims")


def test_seed_chinese_summary_is_its_first_paragraph_not_the_english_description(
    seed_bytes: bytes,
) -> None:
    zh = by_lang(parse(seed_bytes)[0])["zh"]
    assert zh.summary.startswith("在出人意料之举中")
    assert "No reason given" not in zh.summary


def test_seed_both_link_to_the_source_and_share_the_article_key(seed_bytes: bytes) -> None:
    zh, en = parse(seed_bytes)[0]
    assert zh.link == en.link == SEED_URL
    assert zh.key == en.key == "https://ft.com/content/03b9fb65-5f12-41a8-9d8e-e2243b72466d"
    assert zh.group_id == en.group_id
    assert zh.id != en.id


def test_seed_content_holds_one_language_without_source_line_or_repeated_headline(
    seed_bytes: bytes,
) -> None:
    found = by_lang(parse(seed_bytes)[0])
    zh, en = found["zh"].body, found["en"].body
    assert "In an unexpected move" not in zh and "在出人意料" in zh
    assert "在出人意料" not in en and "In an unexpected move" in en
    assert "原文链接" not in zh and "Source Link" not in en
    assert "撤销了对OpenAI" not in zh.split("在出人意料")[0]  # both headline lines dropped
    assert "Elon Musk withdraws" not in en
    assert "ولم" in zh  # the stray Arabic word stays where it was written


def test_seed_dates_tags_and_author(seed_bytes: bytes) -> None:
    zh = parse(seed_bytes)[0][0]
    assert zh.published == zh.updated == datetime(2024, 6, 11, 21, 38, 9, 733000, tzinfo=UTC)
    assert zh.tags == ("companies",)
    assert zh.authors == ("ft",)


# --- sections and languages -----------------------------------------------------------------

BILINGUAL = """---
title: 中文标题
date: 2024-01-01
---

中文正文第一段，提到了OpenAI和Microsoft。

---

**English headline**

English body, first paragraph.

---

More English after a thematic break.

[Source](https://example.org/a)
"""


def test_thematic_break_inside_english_keeps_all_text() -> None:
    entries, _ = parse(BILINGUAL)
    en = by_lang(entries)["en"]
    assert [e.lang for e in entries] == ["zh", "en"]
    assert "English body" in en.body and "More English after a thematic break." in en.body
    assert "\n---\n" in en.body


def test_lang_list_names_sections_in_order() -> None:
    text = BILINGUAL.replace("date: 2024-01-01", "date: 2024-01-01\nlang: [zh, en, en]")
    assert [e.lang for e in parse(text)[0]] == ["zh", "en"]


def test_single_lang_makes_one_section_even_with_separators() -> None:
    text = BILINGUAL.replace("date: 2024-01-01", "date: 2024-01-01\nlang: ja")
    entries, _ = parse(text)
    assert [e.lang for e in entries] == ["ja"]
    assert entries[0].title == "中文标题"
    assert "English body" in entries[0].body


def test_language_named_in_other_case_or_with_region() -> None:
    text = BILINGUAL.replace("date: 2024-01-01", "date: 2024-01-01\nlanguage: [ZH_cn, en-US]")
    assert [e.lang for e in parse(text)[0]] == ["zh", "en"]


def test_bad_lang_value_warns_and_falls_back_to_detection() -> None:
    text = BILINGUAL.replace("date: 2024-01-01", "date: 2024-01-01\nlang: [1]")
    entries, warnings = parse(text)
    assert [e.lang for e in entries] == ["zh", "en"]
    assert any("'lang'" in w for w in warnings)


# --- source link ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "body_link", "expected"),
    [
        ("link: https://a.example/x", "", "https://a.example/x"),
        ("url: https://a.example/x", "", "https://a.example/x"),
        ("source: https://a.example/x", "", "https://a.example/x"),
        ("", "[原文链接](https://b.example/y)", "https://b.example/y"),
        ("", "[原文](https://b.example/y)", "https://b.example/y"),
        ("", "[Source Link](https://b.example/y)", "https://b.example/y"),
        ("", "[source](https://b.example/y)", "https://b.example/y"),
        ("", "[Original](https://b.example/y)", "https://b.example/y"),
        ("link: https://a.example/x", "[Source](https://b.example/y)", "https://a.example/x"),
        ("", "[a friend](https://b.example/y)", ""),
    ],
    ids=[
        "link",
        "url",
        "source",
        "原文链接",
        "原文",
        "Source-Link",
        "lowercase",
        "Original",
        "front-matter-wins",
        "other-link-text-is-not-a-source",
    ],
)
def test_source_link(field: str, body_link: str, expected: str) -> None:
    text = f"---\ntitle: T\ndate: 2024-01-01\n{field}\n---\n\nSome English text.\n\n{body_link}\n"
    entries, _ = parse(text)
    assert entries[0].link == expected


def test_configured_source_labels() -> None:
    text = "---\ndate: 2024-01-01\n---\n\nText here.\n\n[Quelle](https://b.example/y)\n"
    entries, _ = parse(text, source_labels=("Quelle",))
    assert entries[0].link == "https://b.example/y"
    assert "Quelle" not in entries[0].body


def test_javascript_link_in_front_matter_is_refused_with_a_warning() -> None:
    text = "---\ndate: 2024-01-01\nlink: javascript:alert(1)\nid: x\n---\n\nText.\n"
    entries, warnings = parse(text)
    assert entries[0].link == ""
    assert any("not an http(s) URL" in w for w in warnings)


# --- identity -------------------------------------------------------------------------------


def test_ids_do_not_depend_on_the_file_name(seed_bytes: bytes) -> None:
    first = [e.id for e in parse(seed_bytes, rel="a.md")[0]]
    moved = [e.id for e in parse(seed_bytes, rel="2024/renamed.txt")[0]]
    assert first == moved


def test_front_matter_id_is_used_and_an_iri_is_kept_for_the_article() -> None:
    text = "---\nid: tag:example.org,2024:one\ndate: 2024-01-01\n---\n\nText.\n"
    entry = parse(text)[0][0]
    assert entry.group_id == "tag:example.org,2024:one"
    assert entry.key == "id:tag:example.org,2024:one"
    assert entry.id.startswith("urn:uuid:")


def test_no_link_and_no_id_warns_that_renaming_changes_the_id() -> None:
    text = "---\ndate: 2024-01-01\n---\n\nText.\n"
    entries, warnings = parse(text, rel="notes/x.md")
    assert entries[0].key == "path:src/notes/x.md"
    assert any("renaming the file will change it" in w for w in warnings)


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-06-11T21:38:09.733Z", datetime(2024, 6, 11, 21, 38, 9, 733000, tzinfo=UTC)),
        ("'2024-06-11T21:38:09+08:00'", datetime(2024, 6, 11, 13, 38, 9, tzinfo=UTC)),
        ("2024-06-11", datetime(2024, 6, 11, tzinfo=UTC)),
        ("2024-06-11 21:38:09", datetime(2024, 6, 11, 21, 38, 9, tzinfo=UTC)),
        ("'Tue, 11 Jun 2024 21:38:09 +0000'", datetime(2024, 6, 11, 21, 38, 9, tzinfo=UTC)),
    ],
    ids=["iso-fraction-z", "iso-offset", "date-only", "space-separated", "rfc2822"],
)
def test_date_forms(value: str, expected: datetime) -> None:
    entry = parse(f"---\ndate: {value}\nid: x\n---\n\nText.\n")[0][0]
    assert entry.published == expected


def test_date_without_zone_is_in_the_configured_zone() -> None:
    entry = parse("---\ndate: 2024-06-11 08:00:00\nid: x\n---\n\nText.\n", tz="Asia/Shanghai")[0][0]
    assert entry.published == datetime(2024, 6, 11, 0, 0, tzinfo=UTC)


def test_missing_date_uses_mtime_with_a_warning() -> None:
    entries, warnings = parse("---\nid: x\n---\n\nText.\n")
    assert entries[0].published == MTIME
    assert any("modification time" in w for w in warnings)


def test_updated_is_kept_apart_from_date() -> None:
    entry = parse("---\ndate: 2024-01-01\nupdated: 2024-02-01\nid: x\n---\n\nText.\n")[0][0]
    assert entry.published == datetime(2024, 1, 1, tzinfo=UTC)
    assert entry.updated == datetime(2024, 2, 1, tzinfo=UTC)


def test_unparseable_date_is_an_error_naming_the_line() -> None:
    with pytest.raises(ArticleError) as caught:
        parse("---\ntitle: T\ndate: tomorrow\n---\n\nText.\n")
    assert caught.value.line == 3
    assert "'date'" in str(caught.value) and "tomorrow" in str(caught.value)


# --- other front matter fields ---------------------------------------------------------------


def test_tags_as_comma_string_and_categories_join() -> None:
    text = "---\ntags: a, b ,c\ncategories: [d, a]\nid: x\n---\n\nText.\n"
    assert parse(text)[0][0].tags == ("a", "b", "c", "d")


def test_authors_list_and_mapping() -> None:
    text = "---\nauthors:\n- A One\n- name: B Two\nid: x\n---\n\nText.\n"
    assert parse(text)[0][0].authors == ("A One", "B Two")


def test_nested_tags_are_dropped_with_a_warning() -> None:
    entries, warnings = parse("---\ntags: [[a, b], c]\nid: x\n---\n\nText.\n")
    assert entries[0].tags == ("c",)
    assert any("'tags'" in w for w in warnings)


def test_numeric_title_is_text() -> None:
    assert parse("---\ntitle: 2024\nid: x\n---\n\nText.\n")[0][0].title == "2024"


def test_image_resolves_against_the_source_link() -> None:
    text = "---\nimage: /img/a.jpg\nlink: https://ex.org/p/1\n---\n\nText.\n"
    assert parse(text)[0][0].image == "https://ex.org/img/a.jpg"


def test_draft_is_skipped() -> None:
    article = ArticleFile(
        path=Path("d.md"), rel="d.md", data=b"---\ndraft: true\n---\n\nText.\n", mtime=MTIME
    )
    parsed = parse_article(article)
    assert parsed.draft and parsed.entries == ()


def test_file_without_front_matter_is_one_entry() -> None:
    entries, _ = parse("# A heading\n\nJust text, no front matter.\n\n[Source](https://e.org/1)\n")
    assert len(entries) == 1
    assert entries[0].title == "A heading"
    assert entries[0].link == "https://e.org/1"


def test_unknown_front_matter_keys_are_kept_quietly() -> None:
    entries, warnings = parse("---\nid: x\nfoo: bar\ndate: 2024-01-01\n---\n\nText.\n")
    assert entries and warnings == []


# --- TOML front matter (Hugo, Zola): the same fields between +++ lines ------------------------

HUGO_POST = """+++
title = "Markets rise"
date = 2024-06-11T21:38:09Z
updated = 2024-06-12
description = "Stocks gained."
tags = ["markets", "asia"]
categories = ["economy"]
link = "https://ex.org/news/1"
draft = false

[author]
name = "A Writer"
+++

Markets rose on Tuesday as investors weighed the outlook for interest rates.
"""


def test_toml_front_matter_gives_the_same_fields_as_yaml() -> None:
    entries, warnings = parse(HUGO_POST)
    assert warnings == []
    (entry,) = entries
    assert (entry.title, entry.summary, entry.link) == (
        "Markets rise",
        "Stocks gained.",
        "https://ex.org/news/1",
    )
    assert entry.published == datetime(2024, 6, 11, 21, 38, 9, tzinfo=UTC)
    assert entry.updated == datetime(2024, 6, 12, tzinfo=UTC)
    assert entry.tags == ("markets", "asia", "economy")
    assert entry.authors == ("A Writer",)
    assert entry.body.startswith("Markets rose on Tuesday")


def test_toml_local_date_time_is_in_the_configured_zone() -> None:
    text = '+++\nid = "x"\ndate = 2024-06-11T08:00:00\n+++\n\nText.\n'
    entry = parse(text, tz="Asia/Shanghai")[0][0]
    assert entry.published == datetime(2024, 6, 11, 0, 0, tzinfo=UTC)


def test_toml_draft_is_skipped() -> None:
    article = ArticleFile(
        path=Path("d.md"), rel="d.md", data=b"+++\ndraft = true\n+++\n\nText.\n", mtime=MTIME
    )
    assert parse_article(article).draft


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ('+++\ntitle = "T"\ndate = "tomorrow"\n+++\n\nText.\n', 3, "'date' must be a date"),
        ('+++\ntitle = ["T"]\n+++\n\nText.\n', 2, "'title' must be text, got a list"),
        ('+++\nid = "x"\ntitle = "T\n+++\n\nText.\n', 3, "invalid TOML in front matter"),
        ('+++\ntitle = "T"\n\nText.\n', 1, "front matter is not closed (no '+++' line"),
    ],
    ids=["bad date", "list title", "unclosed string", "unclosed front matter"],
)
def test_broken_toml_front_matter_names_the_line(text: str, line: int, reason: str) -> None:
    with pytest.raises(ArticleError) as caught:
        parse(text)
    assert caught.value.line == line
    assert caught.value.reason.startswith(reason)


def test_a_file_without_a_date_is_dated_by_the_date_its_name_starts_with() -> None:
    # Jekyll's posts: _posts/2024-06-11-welcome.md, the date in the name, none in the front matter
    text = "---\ntitle: Welcome\nid: x\n---\n\nText.\n"
    entries, warnings = parse(text, rel="_posts/2024-06-11-welcome.md", tz="Asia/Shanghai")
    assert entries[0].published == datetime(2024, 6, 10, 16, 0, tzinfo=UTC)
    assert warnings == []
    assert parse(text, rel="2024-06-11-welcome.md")[0][0].published == datetime(
        2024, 6, 11, tzinfo=UTC
    )


@pytest.mark.parametrize("rel", ["welcome.md", "2024-02-30-welcome.md", "20240611-welcome.md"])
def test_a_name_without_a_real_date_leaves_the_modification_time(rel: str) -> None:
    entries, warnings = parse("---\ntitle: Welcome\nid: x\n---\n\nText.\n", rel=rel)
    assert entries[0].published == MTIME
    assert warnings == [UNDATED_WARNING]


def test_the_front_matter_date_wins_over_the_name() -> None:
    text = "---\ndate: 2025-01-02\nid: x\n---\n\nText.\n"
    entry = parse(text, rel="2024-06-11-welcome.md")[0][0]
    assert entry.published == datetime(2025, 1, 2, tzinfo=UTC)


@pytest.mark.parametrize("title", ["2024-06-11", "2024-06-11 10:00:00", "2024-06-11T10:00:00Z"])
@pytest.mark.parametrize("rest", ["", "anchor: &a 1\n"], ids=["plain", "read by PyYAML"])
def test_a_title_written_as_a_date_is_that_text(title: str, rest: str) -> None:
    # YAML reads such a title as a timestamp; it is a title as written, whichever reader reads
    # the front matter (an anchor elsewhere sends it to PyYAML)
    text = f"---\ntitle: {title}  # a date?\nid: {title}\n{rest}---\n\nText.\n"
    (entry,), _ = parse(text)
    assert entry.title == title
    assert entry.id == parse(f"---\ntitle: x\nid: '{title}'\n---\n\nText.\n")[0][0].id
