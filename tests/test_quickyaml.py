"""The quick front-matter reader agrees with YAML wherever it answers, and defers otherwise."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from feedkit.dates import parse_date
from feedkit.quickyaml import _by_lines, _mapping, flat_front_matter, quick_front_matter
from feedkit.yaml_comments import without_comments


def as_yaml_reads(value: object) -> object:
    """What feedkit's field readers make of a YAML value: text, dates as parsed dates."""
    if isinstance(value, list):
        return [as_yaml_reads(v) for v in value]
    if isinstance(value, dict):
        return {k: as_yaml_reads(v) for k, v in value.items()}
    if isinstance(value, datetime | date):
        return parse_date(value)
    return value if value is None or isinstance(value, bool | int) else str(value)


def as_quick_reads(value: object) -> object:
    if isinstance(value, list):
        return [as_quick_reads(v) for v in value]
    if isinstance(value, dict):
        return {k: as_quick_reads(v) for k, v in value.items()}
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
        ("image: null\ncaption: NULL\n", {"image": None, "caption": None}),
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
        ('title: "esc\\n\\u4e2d\\x41"\n', {"title": "esc\n中A"}),
        ("d: wrapped\n  over\n\n  lines\nn: 1\n", {"d": "wrapped over\nlines", "n": 1}),
        ('t: "a \\\n  b\n  c"\n', {"t": "a b c"}),
        ("t: 'it''s\n   wrapped'\n", {"t": "it's wrapped"}),
        ("title: 'x # y' # z\n", {"title": "x # y"}),
        ("title: it's #1\n", {"title": "it's"}),
        ("rating: 4.50\n", {"rating": 4.5}),
        ("tags: [\"a b\", 'c''s', d, \"\\u4e2d\"]\n", {"tags": ["a b", "c's", "d", "中"]}),
        ("s: |\n  one\n    two\n\n  three\nn: 1\n", {"s": "one\n  two\n\nthree\n", "n": 1}),
        ("s: >-\n  one\n  two\n\n  three\n", {"s": "one two\nthree"}),
        ('t: "a \\" #\n  # b" # c\n', {"t": 'a " # # b'}),
    ],
    ids=[
        "plain",
        "block-list",
        "indented-list",
        "flow-list",
        "empty-flow-list",
        "null",
        "null-word",
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
        "escapes",
        "wrapped-plain",
        "wrapped-double-quoted",
        "wrapped-single-quoted",
        "comment-after-a-quote",
        "comment-after-an-apostrophe",
        "hash-inside-a-wrapped-quote",
        "float",
        "quoted-items-in-a-flow-list",
        "literal-block",
        "folded-block",
    ],
)
def test_plain_front_matter(raw: str, expected: dict[str, object]) -> None:
    assert quick_front_matter(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "draft: y\n",
        "title: 2024.5e+3\n",  # (a float to YAML 1.1; "2024.5e3", with no sign, is text)
        "n: 010\n",
        "n: 1_000\n",
        "n: 1:30\n",
        "n: -1\n",
        "title: ~\n",
        "a: b: c\n",
        "tags:\n- a\n  - b\n",
        "tags:\n  - a\n- b\n",
        "text: |2\n   block\n",
        "a: &x 1\nb: *x\n",
        "a:\n    b: c\n  d: e\n",
        "a:\n  b:\n   c:\n    d:\n     e:\n      f: deeper than quickyaml goes\n",
        "date: 2024-13-45\n",
        "t: x\nt: y\n",
        "title: [a, [b]]\n",
        "tags: [x:?]\n",
        "m: {a: x:? y}\n",
        "t:\tx\n",
        "key with space: x\n",
        "t: 2024\n  continued\n",
        "t: x\n  continued # c\n",
        "t: x # c\n  continued\n",
        "t: x\n# c\n  continued\n",
        "t: x\n  then: y\n",
        "- item\n  continued\n",
        't: "open\n',
        't: "\\q"\n',
        't: "\\x0"\n',
        't: "\\x01"\n',
        "t: a\x85 b\n",
        "s: |+\n  kept\n",
        "s: >\n  one\n    more indented\n",
        "s: |\n  trailing \n",
        "s: >-\n  a\n#\n  - b\n",
        "s: |\n  a\n   \n",
        "s: |\n  a\n  \nt: x\n",
        "s: |\n  a\n \n",
        "tags: [a, ]\n",
        "t: a\u2028b\n",
        "t: 'a\u2029b'\n",
    ],
    ids=[
        "y",
        "exponent",
        "octal",
        "underscores",
        "sexagesimal",
        "negative",
        "tilde",
        "colon-space",
        "more-indented-item",
        "less-indented-item",
        "block-with-an-indentation-digit",
        "anchors",
        "nested-then-less-indented",
        "nested-five-deep",
        "impossible-date",
        "duplicate-key",
        "nested-flow",
        "colon-question-in-a-flow-list",
        "colon-question-in-a-flow-mapping",
        "tab",
        "odd-key",
        "wrapped-number",
        "wrapped-with-a-comment",
        "wrapped-after-a-comment",
        "wrapped-after-a-comment-line",
        "wrapped-mapping",
        "wrapped-item",
        "quote-never-closed",
        "unknown-escape",
        "short-escape",
        "escaped-control-character",
        "next-line",
        "keep-chomping",
        "folded-more-indented",
        "block-trailing-space",
        "block-cut-by-a-comment-line",
        "block-with-spaces-beyond-its-indentation-last",
        "block-with-its-indentation-of-spaces-last",
        "block-with-fewer-spaces-last",
        "flow-list-last-comma",
        "line-separator",
        "paragraph-separator",
    ],
)
def test_anything_else_is_left_to_yaml(raw: str) -> None:
    assert quick_front_matter(raw) is None


words = st.text(
    alphabet=st.sampled_from(list("ab1-:,# '\"[]中文.T年《($=<\u3000\xa0")), min_size=1, max_size=12
) | (
    st.sampled_from(
        [
            *("yes", "No", "TRUE", "false", "on", "Off", "y", "n", "null", "~", "3 things"),
            *("10", "+0", "a # b", "# c", "C#", "'q' # c", "[a, b] # c", "x  #", "<<", "="),
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


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "author:\n  name: A B\n  url: https://e.org\n",
            {"author": {"name": "A B", "url": "https://e.org"}},
        ),
        (
            "p:\n  tags:\n  - a\n  img: x.png # c\ntitle: t\n",
            {"p": {"tags": ["a"], "img": "x.png"}, "title": "t"},
        ),
        (
            "a:\n  b:\n    c: 1\n\n  d: |\n    text\n\ne: f\n",
            {"a": {"b": {"c": 1}, "d": "text\n"}, "e": "f"},
        ),
        (
            "a:\n    b: '# x'\n    c: \"long\n      value\"\n",
            {"a": {"b": "# x", "c": "long value"}},
        ),
        (
            "author: {name: A B, url: https://e.org/a}\n",
            {"author": {"name": "A B", "url": "https://e.org/a"}},
        ),
        ("cover: { image: x.png }\ntags: [a]\n", {"cover": {"image": "x.png"}, "tags": ["a"]}),
        ("a: {b: 10, c: yes} # c\nd: {}\n", {"a": {"b": 10, "c": True}, "d": {}}),
    ],
)
def test_mappings_nested_in_front_matter(raw: str, expected: dict[str, object]) -> None:
    """Hugo's `params:`, Jekyll's `author:` with a `name:`: a mapping in the front matter, as
    a block or in braces, is read the quick way, as YAML reads it."""
    assert quick_front_matter(raw) == expected == yaml.load(raw, Loader=yaml.CSafeLoader)


_NESTED_VALUES = ["x", "a b", "中文", "10", "2024-06-11", "'it''s'", '"q # r"', "[a, b]", "yes", ""]


@st.composite
def nested_front_matter(draw: st.DrawFn, depth: int = 0, indent: int = 0) -> list[str]:
    """Lines of front matter with block mappings in it, indented by 1 to 4 spaces a level,
    now and then a line indented otherwise or a comment line."""
    lines = []
    for key in draw(st.lists(st.sampled_from(["a", "b", "name", "tags"]), min_size=1, max_size=3)):
        pad = " " * indent
        kind = draw(st.sampled_from(["value", "value", "list", "mapping", "odd"]))
        if kind == "mapping" and depth < 5:
            lines.append(f"{pad}{key}:")
            lines += draw(nested_front_matter(depth + 1, indent + draw(st.integers(1, 4))))
        elif kind == "list":
            lines += [f"{pad}{key}:", f"{pad}- {draw(st.sampled_from(_NESTED_VALUES))}"]
        elif kind == "odd":
            lines.append(draw(st.sampled_from(["# c", "", "  stray: x", " - y", "x"])))
        else:
            lines.append(f"{pad}{key}: {draw(st.sampled_from(_NESTED_VALUES))}".rstrip(" "))
    return lines


@settings(max_examples=500)
@given(nested_front_matter())
def test_nested_front_matter_reads_as_yaml_reads_it_whenever_quick(lines: list[str]) -> None:
    raw = "\n".join(lines) + "\n"
    quick = quick_front_matter(raw)
    if quick is None:
        return
    loaded = yaml.load(raw, Loader=yaml.CSafeLoader)
    assert as_quick_reads(quick) == as_yaml_reads(loaded or {})


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
    't: "q"',
    "t: ''",
    't: "yes: no"  ',
    "- 'a'",
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


_DUMP_TEXT = st.text(
    alphabet=st.sampled_from(
        [*"ab C#:-'\"\\[]{},&*!|>%?`@\t\n中文", "，", "：", "é", "あ", "\x85", "\u2028", "😀"]
    ),
    max_size=90,
) | st.lists(st.sampled_from(["the", "market", "Musk's", "“xAI”", "a: b", "#AI", "10"])).map(
    " ".join
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["title", "description", "tags", "author"]),
        _DUMP_TEXT
        | st.lists(_DUMP_TEXT | st.floats(0, 1e6, allow_nan=False), max_size=3)
        | st.integers(-5, 10**6),
        min_size=1,
    ),
    st.booleans(),
    st.sampled_from([20, 80, 1000]),
    st.sampled_from([None, '"', "'", "|", ">"]),
)
def test_front_matter_a_yaml_library_wrote_reads_as_yaml_reads_it(
    fields: dict[str, object], allow_unicode: bool, width: int, style: str | None
) -> None:
    """What `yaml.safe_dump` writes (values wrapped over lines, escapes, quotes, blocks, flow
    lists) reads the same on the quick way, wherever the quick way answers."""
    raw = yaml.safe_dump(
        fields,
        allow_unicode=allow_unicode,
        width=width,
        default_style=style,
        default_flow_style=None if width == 20 else False,
    )
    quick = quick_front_matter(raw)
    if quick is not None:
        assert quick == yaml.load(raw, Loader=yaml.CSafeLoader)


def test_the_seed_s_front_matter_as_a_yaml_library_writes_it_is_read_the_quick_way() -> None:
    """yaml.safe_dump wraps the description and escapes the Chinese title: both quick."""
    fields = {
        "title": "伊隆·马斯克（Elon Musk）撤销了对OpenAI和山姆·奥尔特曼（Sam Altman）的诉讼",
        "date": "2024-06-11T21:38:09.733Z",
        "description": "No reason given for dismissal of breach-of-contract claims against "
        "the ChatGPT maker that Tesla boss split from in 2018",
        "tags": ["companies"],
        "author": "ft",
    }
    for allow_unicode in (False, True):
        raw = yaml.safe_dump(fields, allow_unicode=allow_unicode, sort_keys=False)
        assert "\n  " in raw  # (wrapped)
        assert quick_front_matter(raw) == fields


def test_a_wrapped_plain_value_keeps_front_matter_flat() -> None:
    """As yaml.dump writes it with allow_unicode (python-frontmatter does): the description
    goes on over an indented line, the date is quoted.  The one-regex reader takes it."""
    raw = (
        "title: 伊隆·马斯克撤销了对OpenAI的诉讼\n"
        "date: '2024-06-11T21:38:09.733Z'\n"
        "description: No reason given for dismissal of breach-of-contract claims against the\n"
        "  ChatGPT maker that Tesla boss split from in 2018\n"
        "tags:\n"
        "- companies\n"
        "author: ft\n"
    )
    flat = flat_front_matter(raw)
    assert flat == yaml.safe_load(raw)
    assert flat is not None
    assert flat["description"] == (
        "No reason given for dismissal of breach-of-contract claims against the ChatGPT maker"
        " that Tesla boss split from in 2018"
    )


@pytest.mark.parametrize(
    "raw",
    [
        "title: a\n  b: c\n",  # a mapping inside: YAML's error
        "title: a\n\n  b\n",  # a blank line between: a line break, YAML's to fold
        "tags:\n- a\n  b\n",  # going on with a list item
        "title: 'a'\n  b\n",  # after a quoted value
        "date: 2024-06-11\n  b\n",  # after a timestamp
        "title: a\n  b:\n",  # ":" last
        "title:\n  b\n",  # the value on the next line
        " title: a\n",  # an indented first line
    ],
)
def test_what_the_flat_reader_leaves_when_a_value_goes_on(raw: str) -> None:
    assert flat_front_matter(raw) is None


@pytest.mark.parametrize(
    "raw",
    [
        "title: yes\n  b\n",  # a boolean word, going on: text
        "title: null\n  b\n",  # and YAML's null
        "title: a\n  b\n    c\n",  # indented further
        "title: a\n  b\ntags:\n- x\n",
        "title: 中文\n  标题\n",
        "title: 《纽约时报》：马斯克撤诉\n",  # a first character YAML gives no meaning to
        "title: 【快讯】马斯克撤诉\ntags:\n- “AI”\n",
        "title: 🚀 Launch day\n",
        "title: (Update) Musk drops suit\n",
        "title: $6bn for xAI\n",
        "title: _private\n",
        "title: 'It''s here'\n",  # quotes with something to read in them
        "title: 'Musk: the long\n  suit'\ndate: x\n",  # going on, as yaml.dump wraps it
        'description: "a long\n  description,\n\n  in two paragraphs"\n',
        "description: 'a long\n  description'\n",
        "tags: [a, \"b c\", 'd']\n",  # a flow list
        "tags: []\n",
        "# imported from ft.com\ntitle: x\ntags:\n# the desk's\n- a\n#\n",  # comment lines
        "description: >-\n  Musk drops\n  his suit\ntitle: x\n",  # blocks
        "description: |\n  one\n\n  two\n\ntitle: x\n",
        "description: >\n  - not a list\n  a: b\n",
        "title: \u3000标题\u3000\n",  # YAML strips no ideographic space
    ],
)
def test_front_matter_the_one_regex_reader_takes_reads_as_yaml_reads_it(raw: str) -> None:
    """Values going on over lines, first characters YAML gives no meaning to, quoted values,
    flow lists and comment lines: the one-regex reader's, each as YAML reads it."""
    flat = flat_front_matter(raw)
    assert flat is not None
    assert flat == yaml.safe_load(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "title: x # c\ndescription: \u3000a\u3000\n",  # (a comment: the other readers)
        "title: x # c\ntags:\n- \u3000a\n- b\xa0\n",
        "title: x # c\ndescription: \xa0\n",
        "title: [a] # c\ndescription: a\n  b\u3000\n  c\n",
    ],
)
def test_only_spaces_and_tabs_are_yaml_s_blanks_on_every_reader(raw: str) -> None:
    """Python's str.strip() takes U+3000 and U+00A0 for blanks too; YAML keeps them."""
    assert flat_front_matter(raw) is None
    assert quick_front_matter(raw) == yaml.safe_load(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "title: =\n",  # PyYAML's value key
        "title: <<\n",  # and merge key: its safe loader fails on both as values
        "tags: [=]\n",
    ],
)
def test_values_pyyaml_fails_on_are_left_to_it(raw: str) -> None:
    assert quick_front_matter(raw) is None
    with pytest.raises(yaml.YAMLError):
        yaml.load(raw, Loader=yaml.CSafeLoader)


@pytest.mark.parametrize("char", ["\x7f", "\x80", "\x9f"])
def test_control_characters_yaml_refuses_are_read_as_text(char: str) -> None:
    """The one difference from PyYAML, chosen (see the module docstring): it refuses these."""
    raw = f"title: a{char}b\n"
    assert quick_front_matter(raw) == {"title": f"a{char}b"}
    with pytest.raises(yaml.YAMLError):
        yaml.load(raw, Loader=yaml.CSafeLoader)


@pytest.mark.parametrize(
    "raw",
    [
        "slug: 000123-8a9697fa\n",
        "slug: 2024-06-11-musk-drops-suit\n",
        "version: 3.11.7\n",
        "title: 2024.5e3\n",
        "title: 1e3\n",
        "title: 3 things\n",
        "weight: 10\n",
        "rating: 4.5\n",
        "tags:\n- 5G\n- 2024\n- 3D printing\n- 2024年\n",
    ],
)
def test_values_that_start_with_a_digit_read_flat_as_yaml_reads_them(raw: str) -> None:
    """Text to YAML 1.1 (no int, float or timestamp it knows) is text; numbers are numbers."""
    flat = flat_front_matter(raw)
    assert flat is not None
    assert flat == yaml.load(raw, Loader=yaml.CSafeLoader)
