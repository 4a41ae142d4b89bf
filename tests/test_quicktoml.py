"""The quick TOML front-matter reader agrees with tomllib wherever it answers, and defers
otherwise."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedkit.quicktoml import quick_toml

HUGO = """title = "Elon Musk withdraws lawsuit against OpenAI"
date = 2024-06-11T21:38:09.733Z
lastmod = 2024-06-12
draft = false
weight = 10
tags = ["companies", "OpenAI", ]
slug = 'musk-openai'
# a comment line
"""


def test_hugo_front_matter_is_read_as_tomllib_reads_it() -> None:
    quick = quick_toml(HUGO)
    assert quick == tomllib.loads(HUGO)
    assert quick == {
        "title": "Elon Musk withdraws lawsuit against OpenAI",
        "date": datetime(2024, 6, 11, 21, 38, 9, 733000, tzinfo=UTC),
        "lastmod": date(2024, 6, 12),
        "draft": False,
        "weight": 10,
        "tags": ["companies", "OpenAI"],
        "slug": "musk-openai",
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", {}),
        ("a = 2024-06-11 08:00:00+08:00\n", {"a": datetime(2024, 6, 11, tzinfo=UTC)}),
        ("a = 2024-06-11t08:00:00.1234567z\n", {"a": datetime(2024, 6, 11, 8, 0, 0, 123456, UTC)}),
        ("a = 2024-06-11T08:00:00\n", {"a": datetime(2024, 6, 11, 8)}),  # noqa: DTZ001 - local
        ("  a\t=\t'C:\\x'  \n", {"a": "C:\\x"}),
        ('a = "# not a comment"\n', {"a": "# not a comment"}),
        ("a = -0\nb = +12\n", {"a": 0, "b": 12}),
        ("a = []\n", {"a": []}),
        (
            "t = 'x'\n[author]\nname = 'A'\n [ params ] \ncover = 'c.png'\n",
            {"t": "x", "author": {"name": "A"}, "params": {"cover": "c.png"}},
        ),
        ("[params]\n", {"params": {}}),
        ("[a]\nx = 1\n[b]\nx = 2\n", {"a": {"x": 1}, "b": {"x": 2}}),
    ],
)
def test_values_tomllib_gives(raw: str, expected: dict[str, object]) -> None:
    assert quick_toml(raw) == expected == tomllib.loads(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "author = {name = 'x'}\n",  # an inline table
        "[a.b]\nc = 1\n",  # a dotted table header
        "[[authors]]\nname = 'x'\n",  # an array of tables
        "[author]\nname = 'x'\n[author]\nurl = 'y'\n",  # a table twice: tomllib's error
        "author = 'x'\n[author]\nname = 'y'\n",  # a table named like a key: the same
        "[author] # said\nname = 'x'\n",  # a comment after a header
        'a = "tab\\there"\n',  # an escape
        'a = """x"""\n',  # a multi-line string
        "a = 1.5\n",  # a float
        "a = 'x' # said\n",  # a comment after a value
        "a.b = 1\n",  # a dotted key
        '"a" = 1\n',  # a quoted key
        "a = 1\na = 2\n",  # a key twice: tomllib's error
        "a = 2024-02-30\n",  # no such day: tomllib's error
        "a = 07:32:00\n",  # a time of day
        "a = 01\n",  # a leading zero: tomllib's error
        "a = 1234567890123456789\n",  # a long number (tomllib refuses one of 4,301 digits)
        "a = ['x']\n",  # literal strings in a list
        "a = [\n'x']\n",  # a list over two lines
        "a = 'x\x7f'\n",  # DEL: tomllib's error
        "# \x7f\na = 1\n",  # even in a comment
        "a =\n",  # no value: tomllib's error
    ],
)
def test_anything_else_is_left_to_tomllib(raw: str) -> None:
    assert quick_toml(raw) is None


def same_values(quick: object, full: object) -> bool:
    """Equal, of the same types, and date-times at the same offset."""
    if type(quick) is not type(full):
        return False
    if isinstance(quick, dict) and isinstance(full, dict):
        return quick.keys() == full.keys() and all(same_values(quick[k], full[k]) for k in quick)
    if isinstance(quick, list) and isinstance(full, list):
        return len(quick) == len(full) and all(map(same_values, quick, full))
    if isinstance(quick, datetime) and isinstance(full, datetime):
        return quick == full and quick.utcoffset() == full.utcoffset()
    return quick == full


PIECES = st.sampled_from(
    [
        '"text"', '"中文 # x"', "'lit\\eral'", '""', "''", '"a\\"b"', '"tab\there"', '"x',
        "true", "false", "True", "0", "-0", "+7", "007", "1_000", "1.5", "inf",
        "2024-06-11", "2024-6-11", "2024-02-30", "2024-06-11T21:38:09Z", "2024-06-11 21:38:09z",
        "2024-06-11T21:38:09.123456789+08:00", "2024-06-11T21:38:09-23:59",
        "2024-06-11T21:38:09+24:00", "2024-06-11T25:00:00", "2024-06-11T21:38", "21:38:09",
        '["a", "b"]', '[ "a" , ]', "[]", "[,]", '["a" "b"]', "['a']", "[1, 2]", '["a", 1]',
        "{a = 1}", "", "'x' # c", '"\x7f"',
    ]
)  # fmt: skip
KEYS = st.sampled_from(["title", "date", "tags", "a-b_9", "draft", "a.b", '"q"', "", "é"])
OTHER_LINES = [
    *("", "  ", "# comment", "  # c", "key", "+++", "= x"),
    *("[table]", "[params]", "[title]", " [ author ] ", "[a.b]", "[[list]]", "[]", "[params] # c"),
]
LINES = st.one_of(
    st.tuples(
        st.sampled_from(["", " ", "\t"]), KEYS, st.sampled_from(["=", " = ", "\t=  "]), PIECES
    ).map("".join),
    st.sampled_from(OTHER_LINES),
)


@settings(max_examples=3000)
@given(st.lists(LINES, max_size=6))
def test_whatever_it_reads_tomllib_reads_the_same(lines: list[str]) -> None:
    raw = "\n".join(lines) + "\n"
    quick = quick_toml(raw)
    if quick is None:
        return
    assert same_values(quick, tomllib.loads(raw))


def test_an_offset_date_time_keeps_its_offset() -> None:
    value = quick_toml("a = 2024-06-11T08:00:00-05:30\n")
    assert value is not None
    assert value["a"].utcoffset() == -timedelta(hours=5, minutes=30)
    assert value["a"].tzinfo == timezone(-timedelta(hours=5, minutes=30))
