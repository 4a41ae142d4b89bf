"""SPEC 1.1: a body splits into language sections on `---` lines; no text is ever lost."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedkit.sections import (
    _drop_link_lines,
    _is_link_line,
    _label_set,
    _raw_parts,
    find_source_link,
    section_langs,
    split_sections,
    strip_headline,
)

LABELS = ("原文链接", "Source Link", "Source")
ZH = "这是一个中文段落，其中提到了OpenAI、Microsoft和Elon Musk等名字。"
EN = "This is an English paragraph that mentions 北京 once."


def langs(body: str, **kwargs: object) -> list[str]:
    return [s.lang for s in split_sections(body, LABELS, **kwargs)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (f"{ZH}\n\n---\n\n{EN}", ["zh", "en"]),
        (f"{EN}\n\n---\n\n{ZH}", ["en", "zh"]),
        (f"{ZH}\n\n---\n\n{ZH}\n\n---\n\n{EN}", ["zh", "en"]),
        (f"{EN}\n\n---\n\n{EN}", ["en"]),
        (f"{ZH}\n\n---\n\n[Source Link](https://x.org/a)", ["zh"]),
        (f"{ZH}\n\n---\n\n\n\n---\n\n{EN}", ["zh", "en"]),
        (f"```\n{ZH}\n---\n{EN}\n```", ["zh"]),
        (f"{ZH} ولم {ZH}\n\n---\n\n{EN}", ["zh", "en"]),
        (f"{ZH}\n\n---\n\n![](https://x.org/a.png)\n\n---\n\n{EN}", ["zh", "en"]),
    ],
    ids=[
        "zh-en",
        "en-zh",
        "zh-zh-en-merges",
        "en-en-merges",
        "link-only-section-dropped",
        "empty-section-dropped",
        "separator-inside-code-fence",
        "third-script-word",
        "letterless-section-joins-neighbour",
    ],
)
def test_section_languages(body: str, expected: list[str]) -> None:
    assert langs(body) == expected


def test_metadata_names_the_sections() -> None:
    assert langs(f"{EN}\n\n---\n\n{EN}", langs=("fr", "en")) == ["fr", "en"]
    assert langs(f"{ZH}\n\n---\n\n{EN}", langs=("ja",)) == ["ja"]


def test_source_link_is_the_first_labelled_link() -> None:
    body = "[not it](https://a.org)\n\n[原文链接](https://b.org/x)\n\n[Source](https://c.org)"
    assert find_source_link(body, LABELS) == "https://b.org/x"


def test_headline_repeated_in_two_spellings_is_dropped() -> None:
    text = (
        "伊隆·马斯克撤销了诉讼\n\n**埃隆·马斯克撤销了诉讼**\n\n正文第一段。\n\n**背景**：\n更多。"
    )
    headed = strip_headline(text, "伊隆·马斯克撤销了诉讼")
    assert headed.text.startswith("正文第一段。")
    assert "**背景**" in headed.text
    assert headed.first_paragraph == "正文第一段。"


def test_own_headline_becomes_the_title_and_leaves_the_body() -> None:
    headed = strip_headline(" **Big news**\n\nBody text.\n\n**Background:**\nMore.", None)
    assert headed.headline == "Big news"
    assert headed.text == "Body text.\n\n**Background:**\nMore."


def test_a_bold_pseudo_heading_further_down_is_not_a_headline() -> None:
    headed = strip_headline("Body first.\n\n**Background:**\nMore.", None)
    assert headed.headline == ""
    assert headed.text.startswith("Body first.")


paragraph = st.text(
    alphabet=st.sampled_from(list("abc xyz中文字段落。ولمабв,.")), min_size=1, max_size=40
).filter(lambda s: s.strip() and s.strip() != "---")


@given(st.lists(paragraph, min_size=1, max_size=6))
def test_splitting_never_loses_text(parts: list[str]) -> None:
    body = "\n\n---\n\n".join(parts)
    sections = split_sections(body, LABELS)
    joined = "\n".join(s.text for s in sections)
    for part in parts:
        assert part.strip("\n") in joined


@given(st.lists(paragraph, min_size=1, max_size=6))
def test_adjacent_sections_never_share_a_language(parts: list[str]) -> None:
    codes = [s.lang for s in split_sections("\n\n---\n\n".join(parts), LABELS)]
    assert all(a != b for a, b in itertools.pairwise(codes))


def test_a_first_paragraph_that_mentions_the_title_is_kept() -> None:
    text = "Musk dropped the OpenAI lawsuit on Tuesday, to everyone's surprise.\n\nMore text."
    headed = strip_headline(text, "OpenAI lawsuit")
    assert headed.text == text


# The fast paths of a scan, against the plain definitions they replace.
_LINE_PIECES = ("---", " --- ", "\t---", "----", "- --", "a", "中文", " ", "\n", "\n\n", "x---")


def _regex_parts(body: str) -> list[str]:
    return re.split(r"^[ \t]*---[ \t]*$", body, flags=re.MULTILINE)


@given(st.lists(st.sampled_from(_LINE_PIECES), max_size=30).map("".join))
def test_cutting_at_separator_lines_is_the_regex_split(body: str) -> None:
    assert _raw_parts(body) == _regex_parts(body)


def _parts_by_lines(body: str) -> list[str]:
    """The definition, line by line: a `---` line cuts the body unless a code fence is open (a
    fence line closes it when it starts with the opening one's first three characters)."""
    parts: list[str] = []
    start = offset = 0
    fence = ""
    for line in body.split("\n"):
        opener = re.match(r" {0,3}(`{3,}|~{3,})", line)
        if opener and (not fence or opener.group(1).startswith(fence)):
            fence = "" if fence else opener.group(1)[:3]
        if not fence and line.strip(" \t") == "---":
            parts.append(body[start:offset])
            start = offset + len(line)
        offset += len(line) + 1
    parts.append(body[start:])
    return parts


_FENCED_PIECES = (*_LINE_PIECES, "```", "````", "~~~", " ```", "    ```", "```py", "`", "~")


@pytest.mark.parametrize(
    "body",
    [
        "a\n```\n---\n```\n---\nb",  # a `---` in code, then one that cuts
        "a\n```\n~~~\n---\n```\n---\nb",  # ~~~ does not close ```
        "~~~\n```\n---\n~~~\n---\nb",
        "````\n```\n---\nb",  # (closed by ```: the first three characters)
        "    ```\n---\nb",  # indented four spaces: no fence
        "```\n---\n",  # never closed
        "a\n---\n```\nb\n```\n---\nc",  # fenced after a cut
    ],
)
def test_a_separator_inside_a_code_fence_is_code(body: str) -> None:
    assert _raw_parts(body) == _parts_by_lines(body)


@given(st.lists(st.sampled_from(_FENCED_PIECES), max_size=30).map("".join))
def test_cutting_a_body_with_code_fences_is_cutting_it_line_by_line(body: str) -> None:
    assert _raw_parts(body) == _parts_by_lines(body)


_LINK_PIECES = (
    "[原文链接](https://ft.com/a)",
    "[Source Link](https://ft.com/a)",
    "[other](https://x.org)",
    "**",
    " ",
    "text",
    "\n",
    "\n\n",
    "：",
)


def _drop_by_lines(text: str, wanted: frozenset[str]) -> str:
    return "\n".join(line for line in text.split("\n") if not _is_link_line(line, wanted))


@given(st.lists(st.sampled_from(_LINK_PIECES), max_size=25).map("".join))
def test_dropping_link_lines_keeps_every_other_line(text: str) -> None:
    wanted = _label_set(("原文链接", "Source Link"))
    assert _drop_link_lines(text, wanted) == _drop_by_lines(text, wanted)


_LONG_PIECES = (
    "中文正文，市场和投资者。",
    "English body about markets. ",
    "[原文链接](https://ft.com/a)",
    "日本語のテキストです。",
    "12345 67890 ",
    "   ",
    "\n",
    "\n\n",
    "\n---\n",
    "\n```\n",
    "\n~~~~\n",
)


@given(
    st.lists(
        st.tuples(st.sampled_from(_LONG_PIECES), st.integers(1, 300)), min_size=1, max_size=12
    ).map(lambda pieces: "".join(text * times for text, times in pieces))
)
def test_the_languages_of_a_scan_are_those_of_the_sections(body: str) -> None:
    """A scan reads only the start of long parts (section_langs), code fences or not: it finds
    the languages that splitting the whole body finds."""
    labels = ("原文链接",)
    assert section_langs(body, labels) == [s.lang for s in split_sections(body, labels)]
