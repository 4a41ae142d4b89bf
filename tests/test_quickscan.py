"""SPEC 7: the commonest article file is scanned in one quick pass, with the same result as the
long way (articles.scan_article without it)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from feedkit.articles import ArticleFile, ParsedArticle, _reader
from feedkit.errors import ArticleError
from feedkit.model import ArticleOptions
from feedkit.quickscan import quick_scan
from feedkit.urls import DEFAULT_RULES

MTIME = datetime(2025, 5, 5, 12, 0, tzinfo=UTC)
OPTIONS = ArticleOptions()


def quick(data: bytes) -> ParsedArticle | None:
    found = quick_scan(
        data,
        "a.md",
        rel="a.md",
        source="s",
        priority=0,
        options=OPTIONS,
        rules=DEFAULT_RULES,
        tz=UTC,
    )
    return None if found is None else ParsedArticle(scanned=found[0], warnings=tuple(found[1]))


def the_long_way(data: bytes) -> ParsedArticle | ArticleError:
    article = ArticleFile(path=Path("a.md"), rel="a.md", data=data, mtime=MTIME, source="s")
    try:
        return _reader(article, OPTIONS, DEFAULT_RULES, UTC).scan()
    except ArticleError as error:
        return error


def test_the_seed_takes_the_quick_way_to_the_same_entries(seed_bytes: bytes) -> None:
    found = quick(seed_bytes)
    assert found is not None
    assert [s.lang for s in found.scanned] == ["zh", "en"]
    assert found == the_long_way(seed_bytes)


# Front matter values of the kinds real files hold: (usual ones, odd or wrong ones).
_FRONT = {
    "title": (
        ["标题", "2024年大选", "Title: sub", "x", '"Quoted: yes"', "'it''s'"],
        ["- [a]", "", "yes", "\n  text: no"],
    ),
    "date": (
        ["2024-06-11T21:38:09.733Z", "2024-06-11", "Tue, 11 Jun 2024 21:38:09"],
        ["2024-13-01", ""],
    ),
    "updated": (["2024-06-12"], ["2023-01-01", "later", "", "\n  at: 2024-06-12"]),
    "description": (["An English line", "中文描述"], ["", "\n  en: a\n  zh: b"]),
    "summary": (["short"], [""]),
    "tags": (
        ["\n- companies\n- 人工智能", "a, b", "\n- x, y\n- x", "[companies, 人工智能]", "[]"],
        ["", "\n- yes", "[a, [b]]"],
    ),
    "categories": (["\n- c"], [""]),
    "author": (
        ["ft", "\n- A B\n- ft", "\n  name: ft\n  url: https://ft.com", "{name: ft}"],
        ["", "\n  x: y", "{x: y}"],
    ),
    "lang": (["zh", "en", "\n- zh\n- en", "Chinese"], ["xx", ""]),
    "link": (["https://ft.com/content/x"], ["javascript:alert(1)", "/relative", ""]),
    "url": (["http://www.FT.com/content/x/"], [""]),
    "image": (["https://img.ft.com/a.png", "img/a.png"], ["ftp://x/a.png", "", "\n  src: a.png"]),
    "draft": (["no", "false", "False"], ["true", "yes"]),
    "id": (["tag:ft.com,2024:1", "ft-123", "https://ft.com/x", "2024", "a b"], ["", "[x]"]),
    "other": (["anything", "10 # a number", "\n  cover: x.png\n  size:\n    w: 10"], [""]),
}
_PARTS = [
    "[原文链接](https://ft.com/content/03b9fb65)\n\n中文正文，市场和投资者。",
    "**English headline**\n\nEnglish body about markets.\n\n[Source Link](https://ft.com/c/1)",
    "More English after a thematic break.",
    "```\n---\n```",
    "[原文](http://www.ft.com/content/03b9fb65/)",
    "日本語のテキストです。",
    "   ",
    "",
]


@st.composite
def flat_articles(draw: st.DrawFn) -> bytes:
    """Articles with flat front matter; one value in six is odd or wrong."""
    keys = ["date", *draw(st.lists(st.sampled_from(sorted(_FRONT)), unique=True, max_size=8))]
    lines = []
    for key in dict.fromkeys(keys):
        usual, odd = _FRONT[key]
        value = draw(st.sampled_from(odd if draw(st.integers(0, 5)) == 0 else usual))
        lines.append(f"{key}:{value}" if value.startswith("\n") or not value else f"{key}: {value}")
    parts = draw(st.lists(st.sampled_from(_PARTS), min_size=1, max_size=4))
    separator = draw(st.sampled_from(["\n\n---\n\n", "\n---\n", "\n\n--- \n\n"]))
    front = "".join(f"{line}\n" for line in lines)
    text = f"---\n{front}---\n\n{separator.join(parts)}\n"
    if draw(st.integers(0, 5)) == 0:
        text = text.replace("\n", "\r\n")  # written on Windows
    return (b"\xef\xbb\xbf" if draw(st.integers(0, 5)) == 0 else b"") + text.encode()


@settings(max_examples=1000, deadline=None)
@given(flat_articles())
def test_a_quick_scan_finds_what_the_long_way_finds(data: bytes) -> None:
    found = quick(data)
    if found is not None:
        assert found == the_long_way(data)


def test_the_quick_way_is_taken_by_plain_files_and_not_by_the_others() -> None:
    plain = b"---\ntitle: x\ndate: 2024-06-11\n---\n\n[Source](https://ft.com/a)\n\nText.\n"
    assert quick(plain) is not None
    for usual in (
        plain.replace(b"\n", b"\r\n"),  # CR LF
        b"\xef\xbb\xbf" + plain,  # a BOM
        plain.replace(b"title: x", b"# from ft.com\ntitle: x # comment\nweight: 3"),
        plain.replace(b"title: x", b'title: >-\n  "x"\n  and y\ntags: ["a", \'b\']'),
        plain.replace(b"title: x", b"title: x\nid: ft-123"),  # the article's own id
        plain.replace(b"(https://ft.com/a)", b"(/a)"),  # no usable link: a warning
        plain.replace(b"title: x", b"title: x\nauthor:\n  name: A B\nparams:\n  k: v"),  # nested
        plain.replace(b"title: x", b"title: x\nauthor: {name: A B}"),  # nested in braces
    ):
        found = quick(usual)
        assert found is not None, usual
        assert found == the_long_way(usual)
    for other in (
        plain.replace(b"date: 2024-06-11\n", b""),  # no date: a warning, and a stat for a date
        plain.replace(b"title: x", b"title: &t x"),  # YAML beyond quickyaml's (an anchor)
        plain.replace(b"Text.", b"Text\x01."),  # a control character to remove
    ):
        assert quick(other) is None, other


def test_a_file_without_a_source_link_is_scanned_quickly_with_its_warning() -> None:
    """SPEC 3.2: with neither a source link nor an `id`, the id comes from the path, with a
    warning; a folder of such files (a blog's own posts) is scanned as quickly as any other."""
    data = b"---\ntitle: x\ndate: 2024-06-11\n---\n\nMy own post, with no source.\n"
    found = quick(data)
    assert found is not None
    assert [s.key for s in found.scanned] == ["path:s/a.md"]
    assert [w.split(";")[0] for w in found.warnings] == ["no source link and no 'id'"]
    assert found == the_long_way(data)


# TOML front matter values (Hugo, Zola), usual and odd
_TOML_FRONT = {
    "title": ['"标题"', "'Title: sub'", '"x"', "2024", "2024-06-11", "true", '["a"]', '"a\\tb"'],
    "date": ["2024-06-11T21:38:09.733Z", "2024-06-11", "2024-06-11 08:00:00", '"2024-06-11"', '""'],
    "updated": ["2024-06-12", "2023-01-01", '"later"'],
    "description": ['"An English line"', '"中文描述"', '""'],
    "tags": ['["companies", "人工智能"]', '"a, b"', "[]", "['x']"],
    "author": ['"ft"', '["A B", "ft"]'],
    "lang": ['"zh"', '["zh", "en"]', '"xx"'],
    "link": ['"https://ft.com/content/x"', '"javascript:alert(1)"'],
    "draft": ["false", "true"],
    "id": ['"tag:ft.com,2024:1"', "2024", '""'],
    "weight": ["10", "1.5"],
}


@st.composite
def toml_articles(draw: st.DrawFn) -> bytes:
    keys = ["date", *draw(st.lists(st.sampled_from(sorted(_TOML_FRONT)), unique=True, max_size=6))]
    front = "".join(
        f"{key} = {draw(st.sampled_from(_TOML_FRONT[key]))}\n" for key in dict.fromkeys(keys)
    )
    parts = draw(st.lists(st.sampled_from(_PARTS), min_size=1, max_size=3))
    body = "\n\n---\n\n".join(parts)
    return f"+++\n{front}+++\n\n{body}\n".encode()


@settings(max_examples=500, deadline=None)
@given(toml_articles())
def test_a_quick_scan_of_toml_front_matter_finds_what_the_long_way_finds(data: bytes) -> None:
    found = quick(data)
    if found is not None:
        assert found == the_long_way(data)


def test_toml_front_matter_takes_the_quick_way_too() -> None:
    plain = b'+++\ntitle = "x"\ndate = 2024-06-11T21:38:09Z\ntags = ["a", "b"]\n+++\n\nText.\n'
    for usual in (
        plain,
        plain.replace(b"2024-06-11T21:38:09Z", b"2024-06-11"),
        plain.replace(b'tags = ["a", "b"]', b"[author]\nname = 'A'\n[params]\ntoc = true"),
    ):
        found = quick(usual)
        assert found is not None, usual
        assert found == the_long_way(usual)
    for other in (
        plain.replace(b'tags = ["a", "b"]', b"author = {name = 'A'}"),  # inline: tomllib's
        plain.replace(b'title = "x"', b"title = 2024-06-11"),  # a date for a title: an error
        plain.replace(b"+++\n\n", b"+++ \n\n"),  # a closing fence with a space after it
    ):
        assert quick(other) is None, other
