"""The quick front-matter reader agrees with YAML wherever it answers, and defers otherwise."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from feedkit.dates import parse_date
from feedkit.quickyaml import _by_lines, _mapping, quick_front_matter, without_comments


def as_yaml_reads(value: object) -> object:
    """What feedkit's field readers make of a YAML value: text, dates as parsed dates."""
    if isinstance(value, list):
        return [as_yaml_reads(v) for v in value]
    if isinstance(value, datetime | date):
        return parse_date(value)
    return value if value is None or isinstance(value, bool | int) else str(value)


def as_quick_reads(value: object) -> object:
    if isinstance(value, list):
        return [as_quick_reads(v) for v in value]
    if isinstance(value, str):
        try:
            return parse_date(value) if value[:4].isdigit() and "-" in value[:5] else value
        except ValueError:
            return value
    return value


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("title: Hello\n", {"title": "Hello"}),
        ("tags:\n- a\n- b\n", {"tags": ["a", "b"]}),
        ("tags: \n  - a\n  - b\n", {"tags": ["a", "b"]}),
        ("tags: [a, b ,c]\n", {"tags": ["a", "b", "c"]}),
        ("tags: []\n", {"tags": []}),
        ("image:\n", {"image": None}),
        ('title: "quoted: yes"\n', {"title": "quoted: yes"}),
        ("title: 'it''s'\n", {"title": "it's"}),
        ("date: 2024-06-11T21:38:09.733Z\n", {"date": "2024-06-11T21:38:09.733Z"}),
        ("date: Tue, 11 Jun 2024 21:38:09 +0000\n", {"date": "Tue, 11 Jun 2024 21:38:09 +0000"}),
        ("title: 中文标题：副标题\n", {"title": "中文标题：副标题"}),
        ("draft: false\n", {"draft": False}),
        ("draft: True\n", {"draft": True}),
        ("tags:\n- on\n", {"tags": [True]}),
        ("title: 3 things\n", {"title": "3 things"}),
        ("weight: 10\n", {"weight": 10}),
        ("tags: [1, +2, 0]\n", {"tags": [1, 2, 0]}),
        ("title: x # note\n", {"title": "x"}),
        ("# comment\ntitle: x\n", {"title": "x"}),
        ("tags: # the list\n  # of tags\n- a #first\n- C#\n", {"tags": ["a", "C#"]}),
        ("image: # none\n", {"image": None}),
    ],
    ids=[
        "plain",
        "block-list",
        "indented-list",
        "flow-list",
        "empty-flow-list",
        "null",
        "double-quoted",
        "single-quoted",
        "iso-date",
        "rfc2822",
        "full-width-colon",
        "false",
        "true",
        "on-in-a-list",
        "digits-then-words",
        "int",
        "ints-in-a-flow-list",
        "comment",
        "comment-line",
        "comments-around-a-list",
        "comment-for-a-value",
    ],
)
def test_plain_front_matter(raw: str, expected: dict[str, object]) -> None:
    assert quick_front_matter(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "draft: y\n",
        "title: 2024.5\n",
        "n: 010\n",
        "n: 1_000\n",
        "n: 1:30\n",
        "n: -1\n",
        "title: null\n",
        "a: b: c\n",
        "title: 'x # y' # z\n",
        "tags:\n- a\n  - b\n",
        "tags:\n  - a\n- b\n",
        "title: it's #1\n",
        "text: |\n  block\n",
        "a: &x 1\nb: *x\n",
        "a:\n  b: c\n",
        'title: "esc\\n"\n',
        "date: 2024-13-45\n",
        "t: x\nt: y\n",
        "title: [a, [b]]\n",
        "t:\tx\n",
        "key with space: x\n",
        "t: x\n  continued\n",
    ],
    ids=[
        "y",
        "float",
        "octal",
        "underscores",
        "sexagesimal",
        "negative",
        "null",
        "colon-space",
        "comment-after-a-quote",
        "more-indented-item",
        "less-indented-item",
        "comment-after-an-apostrophe",
        "block-scalar",
        "anchors",
        "nested",
        "escape",
        "impossible-date",
        "duplicate-key",
        "nested-flow",
        "tab",
        "odd-key",
        "multi-line",
    ],
)
def test_anything_else_is_left_to_yaml(raw: str) -> None:
    assert quick_front_matter(raw) is None


words = st.text(
    alphabet=st.sampled_from(list("ab1-:,# '\"[]中文.T年")), min_size=1, max_size=12
) | (
    st.sampled_from(
        [
            *("yes", "No", "TRUE", "false", "on", "Off", "y", "n", "null", "~", "3 things"),
            *("10", "+0", "a # b", "# c", "C#", "'q' # c", "[a, b] # c", "x  #"),
        ]
    )
)


@given(
    st.dictionaries(
        st.sampled_from(["title", "tags", "date", "x"]),
        st.one_of(words, st.lists(st.tuples(st.sampled_from(["", " ", "  "]), words), max_size=3)),
        max_size=4,
    )
)
def test_quick_agrees_with_yaml_whenever_it_answers(fields: dict[str, object]) -> None:
    lines = []
    for key, value in fields.items():
        if isinstance(value, list):
            lines.append(f"{key}:")
            lines.extend(f"{indent}- {item}" for indent, item in value)  # (mixed: not a list)
        else:
            lines.append(f"{key}: {value}")
    raw = "\n".join(lines) + "\n"
    quick = quick_front_matter(raw)
    if quick is None:
        return
    loaded = yaml.load(raw, Loader=yaml.CSafeLoader)
    assert {k: as_quick_reads(v) for k, v in quick.items()} == {
        k: as_yaml_reads(v) for k, v in (loaded or {}).items()
    }


def test_text_that_starts_with_digits_is_text() -> None:
    assert quick_front_matter("title: 2024年美国大选\n") == {"title": "2024年美国大选"}
    assert yaml.load("title: 2024年美国大选\n", Loader=yaml.CSafeLoader) == {
        "title": "2024年美国大选"
    }


_FRONT_MATTER_LINES = (
    "title: x",
    "title: 中文",
    "tags:",
    "tags: ",
    "tags: [a, b]",
    "- a",
    "  - b",
    "-x",
    "  ",
    "",
    "\t",
    "date: 2024-06-11",
    "t:\t",
    " k: v",
    "k:v",
    "x: a: b",
    "y: 'q'",
    "date: 2024-06-11T21:38:09.733Z",
    "date: 2024-02-30 10:00:00",
    "title: 2024年大选",
    "title: 2024 x",
    "title: yes",
    "title: Yes  ",
    "title: ends:",
    "title: a #b",
    "title: a#b",
    "# c",
    "  # c",
    "- a # c",
    "title: 'a' # c",
    "n: 10",
    "title: 标题\u3000",
    "- yes",
    "- x: y",
    "author: ft",
)


@given(
    st.lists(st.sampled_from(_FRONT_MATTER_LINES), max_size=8).map("\n".join),
    st.sampled_from(["", "\n"]),
)
def test_reading_all_lines_at_once_is_reading_them_one_by_one(text: str, end: str) -> None:
    raw = text + end
    uncommented = without_comments(raw)
    lines = None if uncommented is None else _by_lines(uncommented)
    assert quick_front_matter(raw) == (None if lines is None else _mapping(lines))
