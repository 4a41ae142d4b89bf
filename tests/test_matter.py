"""Article text: decoding and front matter (SPEC 1.1).

"UTF-8 with or without BOM, LF or CRLF. Control characters that XML 1.0 forbids are removed, not
fatal. Another encoding (e.g. GB18030) is decoded when configured; otherwise the file is
reported." and "A file that cannot be used (broken YAML, binary, …) is reported with its path,
line where known, and reason."
"""

from __future__ import annotations

import contextlib
import random
import re
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedkit.articles import ArticleFile, ParsedArticle, parse_article
from feedkit.errors import ArticleError
from feedkit.matter import Matter, MatterError, decode, decode_clean_utf8, load_yaml, split_matter
from feedkit.model import ArticleOptions

XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
ENGLISH = "Markets rose on Tuesday as investors weighed the outlook for interest rates.\n"
CHINESE = "周二市场上涨，投资者在权衡利率前景。分析人士认为央行将保持谨慎。\n"

# The classic "billion laughs": 9 levels of 9 aliases, 9**9 strings once expanded.
ALIAS_BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)


def parse(data: bytes, encoding: str = "utf-8") -> ParsedArticle:
    """Parse one article file's bytes as feedkit would."""
    found = ArticleFile(
        path=Path("articles/a.md"), rel="a.md", data=data, mtime=datetime(2024, 1, 1, tzinfo=UTC)
    )
    return parse_article(found, ArticleOptions(encoding=encoding))


def matter_error(text: str) -> MatterError:
    with pytest.raises(MatterError) as info:
        split_matter(text)
    return info.value


# --- decode ----------------------------------------------------------------------------------


DECODED = {
    "plain": (b"a\nb\n", "a\nb\n"),
    "bom": (b"\xef\xbb\xbf---\ntitle: x\n", "---\ntitle: x\n"),
    "crlf": (b"a\r\nb\r\n", "a\nb\n"),
    "cr only": (b"a\rb\r", "a\nb\n"),
    "mixed ends": (b"a\r\nb\rc\nd", "a\nb\nc\nd"),
    "bom and crlf": (b"\xef\xbb\xbfa\r\nb", "a\nb"),
    "empty": (b"", ""),
    "non-ascii": ("标题\r\n".encode(), "标题\n"),
}


@pytest.mark.parametrize(("data", "text"), list(DECODED.values()), ids=list(DECODED))
def test_decode_normalizes_bom_and_line_ends(data: bytes, text: str) -> None:
    assert decode(data) == text


CONTROLS = {
    "NUL": "\x00",
    "SOH": "\x01",
    "vertical tab": "\x0b",
    "form feed": "\x0c",
    "ESC": "\x1b",
    "U+FFFE": "\ufffe",
    "U+FFFF": "\uffff",
}


@pytest.mark.parametrize("char", list(CONTROLS.values()), ids=list(CONTROLS))
def test_xml_forbidden_characters_are_removed(char: str) -> None:
    text = f"---\ntitle: Bad{char}title\n---\n{ENGLISH}with a{char} stray character.\n"
    cleaned = decode(text.encode("utf-8"))
    assert cleaned == text.replace(char, "")


@pytest.mark.parametrize("byte", range(0x20))
def test_the_quick_decoder_turns_away_every_control_xml_forbids(byte: int) -> None:
    data = b"---\ntitle: a" + bytes([byte]) + b"b\n---\nText.\n"
    allowed = byte in (0x09, 0x0A, 0x0D)
    assert (decode_clean_utf8(data) is not None) is allowed


def test_tab_and_newlines_are_kept() -> None:
    assert decode(b"a\tb\nc") == "a\tb\nc"


def test_forbidden_characters_past_the_first_8k_are_removed_too() -> None:
    text = ENGLISH * 200 + "late\x00NUL\x01"
    assert decode(text.encode()) == ENGLISH * 200 + "lateNUL"


def test_a_short_file_with_one_nul_is_text() -> None:
    assert decode(b"hi\x00 there") == "hi there"


def test_control_characters_do_not_stop_the_entry() -> None:
    data = (
        b"---\ntitle: Rates\x01 outlook\x0b\ndate: 2024-06-01\n---\n\n"
        + ENGLISH.encode()
        + b"A NUL\x00 here and U+FFFE \xef\xbf\xbe there.\n"
    )
    [entry] = parse(data).entries
    assert entry.title == "Rates outlook"
    assert "A NUL here and U+FFFE  there." in entry.body
    assert not XML_FORBIDDEN.search(entry.body + entry.title + entry.summary)


def test_control_characters_written_as_yaml_escapes_are_removed() -> None:
    """ "\\0" in a double-quoted YAML string brings back what decode removed from the bytes."""
    data = b'---\ntitle: "Rates\\0 outlook\\x01"\ntags: ["a\\x0b", b]\ndate: 2024-06-01\n---\n'
    [entry] = parse(data + ENGLISH.encode()).entries
    assert entry.title == "Rates outlook"
    assert entry.tags == ("a", "b")


def png_like() -> bytes:
    rng = random.Random(4913)
    noise = bytes(rng.choice((0, 0, 0, 0, rng.randrange(256))) for _ in range(4096))
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + noise


BINARY = {
    "png header and noise": png_like(),
    "all NUL": bytes(1000),
    "utf-8 text of control characters": ("\x01\x02\x03\x04" * 100).encode(),
}


@pytest.mark.parametrize("data", list(BINARY.values()), ids=list(BINARY))
def test_binary_files_are_refused(data: bytes) -> None:
    with pytest.raises(MatterError, match=r"^binary file, not text$"):
        decode(data)


def test_undecodable_utf8_names_byte_offset_and_line() -> None:
    data = "---\ntitle: Cafe\n---\n\nline five\nthe bad byte: caf\xe9\n".encode("latin-1")
    offset = data.index(b"\xe9")
    with pytest.raises(MatterError) as info:
        decode(data)
    assert info.value.line == 6
    message = str(info.value)
    assert f"byte 0xe9 at offset {offset}" in message
    assert "not valid utf-8" in message
    assert "--encoding" in message


def test_undecodable_in_front_matter_reports_its_line() -> None:
    with pytest.raises(MatterError) as info:
        decode("---\ntitle: Caf\xe9\n---\n".encode("latin-1"))
    assert info.value.line == 2


GB_TEXT = "---\ntitle: 央行维持利率不变\ndate: 2024-06-01\n---\n\n" + CHINESE


def test_gb18030_decodes_when_configured() -> None:
    data = GB_TEXT.encode("gb18030")
    assert decode(data, "gb18030") == GB_TEXT
    [entry] = parse(data, encoding="gb18030").entries
    assert (entry.lang, entry.title) == ("zh", "央行维持利率不变")


def test_gb18030_is_reported_without_the_setting() -> None:
    with pytest.raises(ArticleError) as info:
        parse(GB_TEXT.encode("gb18030"))
    assert "not valid utf-8" in str(info.value)
    assert info.value.line == 2


def test_utf16_decodes_when_configured() -> None:
    """UTF-16 text is half NUL bytes: the binary sniff must not refuse it."""
    text = "---\ntitle: Rates\ndate: 2024-06-01\n---\n\n" + ENGLISH
    assert decode(text.encode("utf-16"), "utf-16") == text
    with pytest.raises(MatterError, match="binary"):
        decode(bytes(1000), "utf-16")


def test_encoding_name_spellings_of_utf8_drop_the_bom() -> None:
    for name in ("utf-8", "UTF-8", "utf8", "UTF_8"):
        assert decode(b"\xef\xbb\xbfx", name) == "x"


@given(st.binary(max_size=2000))
@settings(max_examples=300, deadline=None)
def test_any_bytes_decode_to_clean_text_or_a_clear_error(data: bytes) -> None:
    try:
        text = decode(data)
    except MatterError as exc:
        assert str(exc)
    else:
        assert not XML_FORBIDDEN.search(text)
        assert "\r" not in text
        assert not text.startswith("\ufeff")


# --- splitting off the front matter ----------------------------------------------------------


def test_split_front_matter_and_body() -> None:
    matter = split_matter("---\ntitle: Hello\ndate: 2024-06-01\ntags: [a, b]\n---\n\nBody.\n")
    assert matter == Matter(
        # plain front matter is read by feedkit.quickyaml: dates stay text for parse_date
        fields={"title": "Hello", "date": "2024-06-01", "tags": ["a", "b"]},
        body="\nBody.\n",
        body_line=6,
    )


def test_front_matter_may_close_with_dots() -> None:
    assert split_matter("---\ntitle: x\n...\nbody").fields == {"title": "x"}


def test_no_front_matter_is_all_body() -> None:
    assert split_matter("Just text.\n") == Matter(body="Just text.\n")


def test_a_first_line_starting_with_dashes_is_body() -> None:
    assert split_matter("---- not a fence\ntext").body == "---- not a fence\ntext"


def test_empty_front_matter_is_no_fields() -> None:
    assert split_matter("---\n---\nbody\n") == Matter(body="body\n", body_line=3)


def test_unknown_front_matter_keys_are_kept() -> None:
    assert split_matter("---\nweird_key: 1\n---\n").fields == {"weird_key": 1}


def test_non_string_keys_become_strings() -> None:
    assert split_matter("---\n1: one\n2.5: x\n---\n").fields == {"1": "one", "2.5": "x"}


def test_toml_front_matter_between_plus_lines() -> None:
    matter = split_matter('+++\ntitle = "Hello"\ntags = ["a", "b"]\n+++\n\nBody.\n')
    assert matter == Matter(
        fields={"title": "Hello", "tags": ["a", "b"]}, body="\nBody.\n", body_line=5
    )


def test_toml_escapes_cannot_bring_back_forbidden_characters() -> None:
    assert split_matter('+++\ntitle = "a\\u0000b\\u001fc"\n+++\nx').fields == {"title": "abc"}


def test_a_first_line_starting_with_pluses_is_body() -> None:
    assert split_matter("++++ not a fence\ntext").body == "++++ not a fence\ntext"


# --- what cannot be used, with the file line -------------------------------------------------

HEAD = "---\ntitle: x\ndate: 2024-06-01\n"  # lines 1-3; the case's own text starts on line 4
BAD_YAML = {
    "mapping value in plain scalar": (HEAD + "tags: a: b\n---\nbody\n", 4, "mapping values"),
    "bad indentation": (HEAD + "  extra: x\n---\nbody\n", 4, "mapping values"),
    "tab indentation": (HEAD + "\tauthor: x\n---\nbody\n", 4, "tab"),
    "undefined alias": (HEAD + "author: *nobody\n---\nbody\n", 4, "undefined alias"),
    "unknown tag": (HEAD + "x: !!python/object:os.system ls\n---\nbody\n", 4, "constructor"),
    "duplicate anchor use before definition": (
        HEAD + "a: 1\nb: [1, *later]\n---\nbody\n",
        5,
        "undefined alias",
    ),
    "flow sequence not closed": (
        HEAD + "tags: [a, b\nx: 1\n---\nbody\n",
        5,
        "expected ',' or ']' (while parsing a flow sequence that starts on line 4)",
    ),
    "flow sequence open at the end": (HEAD + "tags: [a, b\n---\nbody\n", 4, "flow sequence"),
    "quote open at the end": (HEAD + 'summary: "It was\n---\nbody\n', 4, "quoted scalar"),
    "block list broken": (HEAD + "tags:\n  - a\n  b: 1\n---\n", 6, "starts on line 5"),
    "not closed": ("---\ntitle: x\n\nbody without a closing fence\n", 1, "not closed"),
    "list, not mapping": ("---\n- a\n- b\n---\nbody\n", 2, "must be a mapping"),
    "text, not mapping": ("---\njust a sentence\n---\nbody\n", 2, "must be a mapping"),
    "number, not mapping": ("---\n42\n---\nbody\n", 2, "must be a mapping"),
    "impossible date": (HEAD[:-17] + "date: 2024-13-45\n---\nbody\n", 3, "'2024-13-45'"),
    "impossible date in a list": (HEAD + "dates:\n- 2024-06-01\n- 2024-02-30\n---\n", 6, "day"),
    "bad explicit timestamp": (HEAD + "x: !!timestamp soon\n---\n", 4, "not a valid timestamp"),
    "bad explicit int": (HEAD + "x: !!int many\n---\n", 4, "'many'"),
}


@pytest.mark.parametrize(("text", "line", "reason"), list(BAD_YAML.values()), ids=list(BAD_YAML))
def test_unusable_front_matter_names_the_file_line(text: str, line: int, reason: str) -> None:
    error = matter_error(text)
    assert error.line == line
    assert reason in str(error)
    assert "\n" not in str(error)


def test_yaml_error_lines_count_from_the_file_with_crlf_and_bom() -> None:
    """Line numbers are file lines whatever the line ends or a BOM."""
    text = HEAD + "tags: a: b\n---\n" + ENGLISH
    for data in (
        text.encode(),
        text.replace("\n", "\r\n").encode(),
        b"\xef\xbb\xbf" + text.encode(),
        text.replace("\n", "\r").encode(),
    ):
        with pytest.raises(ArticleError) as info:
            parse(data)
        assert info.value.line == 4
        assert str(info.value).startswith("articles/a.md:4: invalid YAML in front matter")


def test_alias_bomb_is_refused_in_bounded_time_and_memory() -> None:
    assert ALIAS_BOMB.count("*") == 8 * 9  # nine levels, nine references each
    text = "---\n" + ALIAS_BOMB + "---\nbody\n"
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(MatterError) as info:
            split_matter(text)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "alias bomb" in str(info.value)
    assert info.value.line == 2
    assert elapsed < 1.0
    assert peak < 50 * 1024 * 1024


def test_self_referencing_alias_is_refused() -> None:
    assert "alias bomb" in str(matter_error("---\na: &a [*a, *a]\n---\n"))


def test_deep_nesting_is_refused() -> None:
    error = matter_error("---\nx: " + "[" * 3000 + "]" * 3000 + "\n---\n")
    assert "front matter" in str(error)


def test_a_few_thousand_ordinary_values_are_fine() -> None:
    data = load_yaml("tags: [" + ", ".join(f"t{i}" for i in range(2000)) + "]\n")
    assert len(data["tags"]) == 2000


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_any_text_splits_or_gives_a_clear_error(text: str) -> None:
    try:
        matter = split_matter("---\n" + text)
    except MatterError as exc:
        assert str(exc)
        assert exc.line is None or exc.line >= 1
    else:
        assert all(isinstance(key, str) for key in matter.fields)


@given(
    st.dictionaries(
        st.sampled_from(["title", "date", "tags", "x"]),
        st.sampled_from(
            ["2024-13-45", "!!timestamp x", "!!float y", "[a, b]", "{a: 1}", "*nope", "'q", "ok"]
        ),
        max_size=4,
    )
)
@settings(max_examples=200, deadline=None)
def test_hostile_values_give_matter_errors_not_tracebacks(fields: dict[str, str]) -> None:
    text = "---\n" + "".join(f"{key}: {value}\n" for key, value in fields.items()) + "---\nx\n"
    try:
        split_matter(text)
    except MatterError as exc:
        assert exc.line is not None
        assert 1 <= exc.line <= len(fields) + 2


# A million blanks inside a front matter line: a reader that tries every blank again at every
# step (a lazy match followed by blanks) takes hours; a linear one, milliseconds.
LONG_BLANKS = {
    "toml, a plain value": "+++\ntitle = x{}y\n+++\nText.\n",
    "toml, a string": '+++\ntitle = "x{}y"   \n+++\nText.\n',
    "yaml, a date for a title": "---\ntitle: 2024-06-11{}\nanchor: &a 1\n---\nText.\n",
    "yaml, a flow list": "---\ntags: [a,{}b]\n---\nText.\n",
    "yaml, braces": "---\nauthor: {{name:{}x}}\n---\nText.\n",
}


@pytest.mark.parametrize("text", list(LONG_BLANKS.values()), ids=list(LONG_BLANKS))
def test_a_line_of_a_million_blanks_is_read_in_linear_time(text: str) -> None:
    started = time.perf_counter()
    with contextlib.suppress(MatterError):  # (an error is as good an answer as fields)
        split_matter(text.format(" " * 1_000_000))
    assert time.perf_counter() - started < 2.0
