"""A fast reader for the front matter most article files carry (pure).

YAML parsing is the largest cost of reading 10,000 articles (libyaml alone takes about 0.3 s).
Most front matter is simple: `key: value` lines, lists written as `- item` lines or `[a, b]`,
quoted strings, comments, `|` and `>` blocks, long values wrapped over indented lines with
escapes in double quotes (as `yaml.safe_dump` writes them; see `yaml_scalars` and
`yaml_comments`), and mappings: of such lines nested under a key (`author:` then an indented
`name: …`; Hugo's `params:`), a few levels deep, or of plain values in braces (`{name: ft}`).
This reader handles exactly that and answers None for anything else — anchors, tags, quotes in
braces, anything YAML would read as other than text or a plain number — so the caller falls back
to the real YAML loader, which then gives the same result or the same error it always did (a
file that needs it takes ~300 µs instead of ~60).  Scalars come back as text (or None for an
empty value), but for YAML's boolean words (`draft: false`) and plain
decimal numbers (`weight: 10`, `rating: 4.5`), which come back as the booleans and numbers YAML
makes of them; feedkit's field readers accept text for every field (dates, booleans, numbers as
titles).

One difference is chosen: the control characters U+007F-U+009F (but U+0085, a line break) are
read as the text they are, where PyYAML's reader refuses the whole document.  XML carries them,
a stray one in a title is no reason to drop an article, and looking for them would cost every
file a pass over its front matter (~2 % of a file's scan).  They come from text decoded with
the wrong codec; front matter that needs PyYAML anyway still fails on them there.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache

from feedkit.yaml_comments import without_comments, wraps
from feedkit.yaml_scalars import block, flow_items, quoted, wrapped_plain

# A key as every reader here takes it (YAML allows more: those are PyYAML's to read)
_KEY_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
_KEY = re.compile(rf"({_KEY_NAME}):(?: (.*))?$")
# Plain scalars YAML would read as something other than text: leave them to YAML.  (PyYAML's
# safe loader fails on "<<" and "=", its merge and value keys, as values.)
_SPECIAL_WORD = frozenset(
    case(word)
    for word in ("true", "false", "yes", "no", "on", "off", "null", "y", "n")
    for case in (str.lower, str.title, str.upper)
) | {"~", "<<", "="}
# What PyYAML's bool resolver reads as a boolean (y and n are not among them: left to YAML).
_BOOLS = {word: True for word in ("yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON")}
_BOOLS |= {
    word: False for word in ("no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF")
}
# The rest of them: null, or y and n, which PyYAML reads as text but YAML 1.1 as booleans.
_NULLISH = _SPECIAL_WORD - _BOOLS.keys()
_NULLS = frozenset(("null", "Null", "NULL"))  # what PyYAML reads as None, "~" aside
_NUMBERISH = re.compile(r"[-+.]?(?:\d|\.inf|\.nan)", re.IGNORECASE)
# A character that no YAML number, timestamp, boolean or null holds: "2024年" is text.
_NOT_NUMBER = re.compile(r"[^0-9A-Za-z_.:+\- \t~]")
# In a plain item of a flow list or mapping: YAML's to read (libyaml also fails on ":?" there)
_NOT_IN_FLOW = re.compile(r"[\[\]{}#&*!|>]|:\?")
_SPACES_ONLY = re.compile(r"^[ \t]+$", re.MULTILINE)
_DECIMAL = re.compile(r"\+?(?:0|[1-9][0-9]*)")  # a YAML integer written plainly
_DECIMAL_FRACTION = re.compile(r"\+?[0-9]+\.[0-9]+")  # and a YAML float
# The other numbers YAML 1.1 reads (PyYAML's int and float resolvers, but for what needs a "-"
# first, which is left to YAML anyway): "010", "0x1F", "1_000", "1:30", "1.", ".5", ".inf".
# Anything else that starts with a digit is text to it: "1e3", "3 things", "2024-06-11-musk".
_YAML_NUMBER = re.compile(
    r"[-+]?(?:0b[0-1_]+|0[0-7_]+|(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+|[1-9][0-9_]*(?::[0-5]?[0-9])+)"
    r"|[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)
_DATEISH = re.compile(r"\d{4}-\d\d?-\d\d?(?:[Tt ]|$)")
# PyYAML's timestamp pattern: a value matching it becomes a date, or an error when impossible.
YAML_TIMESTAMP = re.compile(
    r"(\d{4})-(\d\d?)-(\d\d?)"
    r"(?:(?:[Tt]|[ \t]+)(\d\d?):(\d\d):(\d\d)(?:\.\d*)?"
    r"(?:[ \t]*(?:Z|[-+]\d\d?(?::\d\d)?))?)?"
)
_UNSAFE_START = frozenset("&*!|>%@`{}[]\"'#,?:-")
_NEEDS_YAML = (" #", ": ", "\t")


# A line that goes on the value before it (`yaml_comments.wraps`), and blank lines before it.
_WRAP = r"(?:\n[ ]*)*\n[ ]+(?!-(?:[ ]|$))[^ \n][^\n]*"
# One front matter line: `key: value` (the value with the lines it goes on over) or `key:`, a
# `- item` of a block list, or anything else (a blank line, or a line only the line-by-line
# reader below can judge).
_LINE = re.compile(
    rf"^(?:({_KEY_NAME}):(?: ([^\n]*(?:{_WRAP})*))?|( *-) ([^\n]*)|([^\n]*))$",
    re.MULTILINE,
)


# The flattest front matter of all, cut by one regex: `key: value`, `key:` and its `- item`
# lines, comment lines and blank lines, where every value is plain text that YAML cannot take
# for anything else (no tab, " #" or ": ", no ":" or space last; not true/false/yes/no/on/off/
# null/y/n), an ISO 8601 timestamp, a quoted value, a flow list `[a, b]` or a `|` or `>` block.
# Plain text and quoted values may go on over indented lines, as yaml.dump wraps a long title
# or description (and so python-frontmatter); those are folded as the line-by-line reader folds
# them.  A line of any other kind makes no tuple, so the count of tuples (and of the line
# breaks in quoted and block values) tells.
# Plain text starts with a letter; a digit, when a non-ASCII character comes later (no number
# or timestamp holds one); or a character that YAML gives no meaning at the start of a plain
# value and reads no number, date, boolean or null from: ( ) $ / ; ^ and any non-ASCII one
# ("《", "【", "“", an emoji, U+3000: YAML's blanks are spaces and tabs only).  YAML's
# indicators are not among them, nor - + . ~ < =, which start its numbers, nulls, merge key
# and value key.
_TEXT = r"(?:[^\W\d]|[0-9](?=[^\n]*[^\x00-\x7f])|[^\x00-\x7f]|[$()/;^])(?:[^\n]*[^ :\n])?"
# An ISO 8601 timestamp: every file's date, so it has a group of its own; the `_DIGITS` way
# (`_scalar`) reads it too, at 13k instructions a file more (cachegrind).
_STAMP = r"\d{4}-\d\d-\d\d(?:[Tt ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d(?::?\d\d)?)?)?"
# Any other value that starts with a digit: a number, or text `_scalar` tells from one.
_DIGITS = r"[0-9](?:[^\n]*[^ :\n])?"
# A line break inside a quoted value, with the blank lines after it, and the next line's
# indentation (a line must be indented to go on here; it may not be blank: one parse only).
_QUOTE_BREAK = r"\n(?:[ ]*\n)*[ ]+(?=[^ \n])"
# A value in quotes, its quotes kept (so that "" is not taken for no value), without escapes:
# front matter full of them (yaml.dump's "\u4F0A\u9686...") reads faster the other way.
# '' and line breaks are left for `yaml_scalars.quoted` to read.
_QUOTED = (
    rf"\"[^\"\\\n]*(?:{_QUOTE_BREAK}[^\"\\\n]*)*\""
    rf"|'[^'\n]*(?:(?:''|{_QUOTE_BREAK})[^'\n]*)*'"
)
# A block value: `|` or `>`, perhaps with `-`, and its indented lines with the blank ones between
# them, as written (`yaml_scalars.block` reads them, and turns away what it cannot), and any
# lines of spaces after them: spaces beyond the indentation would be the value's to YAML.
_BLOCK = r"[|>]-?[ ]*(?:\n(?:[ ]*\n)*[ ]+[^ \n][^\n]*)*(?:\n[ ]+(?=\n))*"
# (key, text value, timestamp value, quoted value, other value (a flow list, a block value or a
# value that starts with a digit: its first character tells which), list item's dash with its
# indentation, list item (text, quoted or digits first), indented line going on with the value
# before it).  Every group costs each line a little: the rarer values share one.
# Each line is matched with its line break (a `$` would leave the search one failed try at
# every line break: 20 % slower).
_FLAT_LINE = re.compile(
    rf"^(?:({_KEY_NAME}):"
    rf"(?:[ ]+(?:({_TEXT})|({_STAMP})|({_QUOTED})|([\[{{][^\n]*[\]}}]|{_DIGITS}|{_BLOCK})))?"
    rf"|([ ]*-)[ ]+({_TEXT}|{_QUOTED}|{_DIGITS})"
    rf"|[ ]+(?!-(?:[ ]|$))([^ \n](?:[^\n]*[^ \n])?)|#[^\n]*|)[ ]*\n",
    re.MULTILINE,
)


def quick_front_matter(raw: str) -> dict[str, object] | None:
    """The mapping the front matter holds, or None when it needs the real YAML loader."""
    if "\r" in raw or "\x85" in raw or "\u2028" in raw or "\u2029" in raw:
        return None  # YAML breaks lines at these too
    if "\t" in raw and _TAB_LINE.search(raw):
        return None  # a blank line but for a tab: an error to PyYAML, or a block's text
    return _read(raw, _MAX_DEPTH)


_TAB_LINE = re.compile(r"^[ ]*\t[ \t]*$", re.MULTILINE)


_MAX_DEPTH = 4  # mappings in mappings in …: deeper ones are YAML's to read
# A `key:` line with nothing after it, with the line break before it (the text searched starts
# with one: a search for a line break is quicker than one anchored at every "^"), and the first
# line of a mapping nested under it, indented (group 2) and holding a `key:` (a block mapping
# in a block mapping).
_NESTED = re.compile(rf"\n({_KEY_NAME}):[ ]*\n(?=([ ]+){_KEY_NAME}:[ \n])")
_PLACE = "_"  # what a nested mapping's key holds while the mapping around it is read


def _read(raw: str, depth: int) -> dict[str, object] | None:
    """`quick_front_matter`, with mappings nested at most `depth` deep."""
    usual = depth > 0 and ":\n " in raw  # (the usual way to write a nested mapping)
    heads = list(_NESTED.finditer("\n" + raw)) if usual else []
    if not heads:
        flat = flat_front_matter(raw)
        if flat is not None:
            return flat
        if depth > 0 and not usual and "\n " in raw:  # (spaces after a key's ":")
            heads = list(_NESTED.finditer("\n" + raw))
    # (a nested mapping: the readers below would turn it down)
    return _with_nested(raw, heads, depth) if heads else _unflat_mapping(raw)


def _with_nested(raw: str, heads: list[re.Match[str]], depth: int) -> dict[str, object] | None:
    """The mapping of front matter whose values may be mappings written as blocks (`author:`,
    then `name: …` lines indented under it), each read the quick way as front matter of its
    own once its indentation is taken off; None for anything else.  `heads` are `_NESTED`'s
    matches in a line break and `raw`.

    A nested mapping runs over the lines indented at least as much as its first one, and blank
    lines.  The mapping around it is then read with a placeholder for it: any line left that
    YAML would have read otherwise (one indented less than the nested mapping's first, say)
    spoils the placeholder or the read, and the whole goes to YAML, as does a key written
    twice."""
    nested: dict[str, dict[str, object]] = {}
    outer: list[str] = []
    start = 0
    for head in heads:  # (in the text searched, a match starts where its line starts in raw)
        key, indent = head.group(1), head.group(2)
        lines = _nested_lines(indent).match(raw, head.end() - 1)
        assert lines is not None  # (it matches the lookahead's line at least)
        value = _read(_dedent(indent).sub("", lines.group()), depth - 1)
        if value is None or key in nested:
            return None
        nested[key] = value
        outer += [raw[start : head.start()], f"{key}: {_PLACE}\n"]
        start = lines.end()
    outer.append(raw[start:])
    result = _quick_mapping("".join(outer))
    if result is None or any(result.get(key) != _PLACE for key in nested):
        return None
    result.update(nested)  # (the keys keep their places)
    return result


@lru_cache(maxsize=16)  # (indentations seen: a few)
def _nested_lines(indent: str) -> re.Pattern[str]:
    """The lines of a mapping nested at `indent`: those indented at least as much, and blank
    ones (spaces fewer than the indentation)."""
    return re.compile(rf"(?:{indent}[^\n]*(?:\n|\Z)|[ ]*\n)+")


@lru_cache(maxsize=16)  # (indentations seen: a few)
def _dedent(indent: str) -> re.Pattern[str]:
    """What to take off the lines `_nested_lines` gives: the indentation, or a blank line's
    spaces."""
    return re.compile(rf"^(?:{indent}|[ ]*(?=\n|\Z))", re.MULTILINE)


def _quick_mapping(raw: str) -> dict[str, object] | None:
    """`quick_front_matter` of front matter without nested mappings."""
    flat = flat_front_matter(raw)
    return flat if flat is not None else _unflat_mapping(raw)


def _unflat_mapping(raw: str) -> dict[str, object] | None:
    """The mapping of front matter that is not the flattest (see `flat_front_matter`), without
    nested mappings."""
    if (": |" in raw or ": >" in raw) and _SPACES_ONLY.search(raw):
        return None  # blank lines in a block value can hold its text: spaces (or YAML's error)
    if "#" in raw:
        uncommented = without_comments(raw)
        if uncommented is None:
            return None
        raw = uncommented
        flat = flat_front_matter(raw)
        if flat is not None:
            return flat
    # Every line of most front matter is `key: value`, `key:` or `- item`: one regex pass
    # cuts them all; a line it cannot place sends the whole text to the line-by-line cutter.
    lines: list[_Line] | None = _LINE.findall(raw)
    if lines is None or any(other.strip(" \t") for *_, other in lines):
        lines = _by_lines(raw)
    return None if lines is None else _mapping(lines)


def flat_front_matter(raw: str) -> dict[str, object] | None:
    """The mapping of the flattest front matter (see `_FLAT_LINE`); None for any other."""
    if "\t" in raw or " #" in raw or "\\" in raw:
        return None  # a comment after a value or indented, or an escape: the other readers'
    return _flat_mapping(raw)


def _flat_mapping(raw: str) -> dict[str, object] | None:
    """The mapping of the flattest front matter (see `_FLAT_LINE`); None for any other."""
    if raw[-1:] != "\n":
        raw += "\n"
    lines: list[_FlatLine] = _FLAT_LINE.findall(raw)
    missing = raw.count("\n") - len(lines)
    if missing and missing != "".join([line[3] + line[4] + line[6] for line in lines]).count("\n"):
        return None  # a line of another kind (but for the lines quoted and block values hold)
    if (raw[:1] == " " or "\n " in raw) and any([line[7] for line in lines]):  # (seldom)
        folded = _going_on_folded(lines)  # every value that goes on folded first
        if folded is None:
            return None
        lines = folded
    return _flat_lines_mapping(lines)


def _flat_lines_mapping(lines: list[_FlatLine]) -> dict[str, object] | None:
    """`_flat_mapping` of the lines as `_FLAT_LINE` cuts them, with no line going on."""
    result: dict[str, object] = {}
    items: list[object] | None = None  # the list of the last "key:" line
    dash = ""  # its first item's dash, indented as every other item must be
    lists: list[str] = []  # the keys of "key:" lines
    for key, text, stamp, quoted_value, other, item_dash, item, _ in lines:
        if text:  # `key: text`, the commonest line
            if key in result or ": " in text:
                return None
            if text in _NULLISH:
                if text not in _NULLS:
                    return None  # y or n: YAML 1.1 and PyYAML disagree
                result[key] = None  # (as `key:` alone; yaml.dump writes None so)
            else:
                result[key] = _BOOLS.get(text, text)
            items = None
        elif item:
            if items is None:
                return None
            if not items:
                dash = item_dash
            elif item_dash != dash:
                return None  # more indented: "a - b" to YAML, one item; less: an error
            first = item[0]
            value: object
            if first in "\"'":
                value = _quoted_value(item)
            elif first in "0123456789":
                value = _scalar(item)
            elif ": " in item or item in _NULLISH:
                return None
            else:
                value = _BOOLS.get(item, item)
            if value is None:
                return None
            items.append(value)
        elif key:
            if key in result:
                return None
            items = None
            if stamp:
                if not _possible(stamp):
                    return None
                result[key] = stamp
            elif quoted_value:
                value = _quoted_value(quoted_value)
                if value is None:
                    return None
                result[key] = value
            elif other:
                found = _other_value(other)
                if found is None:
                    return None
                result[key] = found
            else:
                result[key] = items = []
                lists.append(key)
    for key in lists:
        if not result[key]:
            result[key] = None  # "key:" and no items: YAML reads null
    return result


def _other_value(text: str) -> object:
    """A flow list, a block value or a value that starts with a digit, as `_FLAT_LINE` finds
    it; None where only YAML can read it."""
    first = text[0]
    if first == "[":
        return _flow_list(text)
    if first == "{":
        return _flow_mapping(text)
    if first in "|>":
        header, _, rows = text.partition("\n")
        lines = rows.split("\n") if rows else []
        if lines and not lines[-1].strip(" "):
            return None  # lines of spaces last: YAML's to weigh against the indentation
        return block(header, lines)
    return _scalar(text)


def _quoted_value(text: str) -> str | None:
    """A quoted value as `_FLAT_LINE` finds it: text, whatever its words; None where only YAML
    can read it."""
    inner = text[1:-1]
    if "\n" in inner or "''" in inner:
        return quoted(text)  # ('' and line breaks read)
    return inner


_FlatLine = tuple[str, str, str, str, str, str, str, str]  # as _FLAT_LINE cuts a line
_NO_LINE: _FlatLine = ("",) * 8  # a blank line


def _going_on_folded(lines: list[_FlatLine]) -> list[_FlatLine] | None:
    """The lines, each run of indented lines that goes on with a `key: text` value folded into
    its text as the line-by-line reader folds it (`wrapped_plain`); None when a run goes on with
    anything else (a list item, a quoted value, a blank line), or when `_scalar` would not read
    the folded text as that text."""
    kept: list[_FlatLine] = []
    more: list[str] = []  # the run going on with kept[-1]
    for line in (*lines, _NO_LINE):
        if line[7]:
            if not kept or not kept[-1][1]:
                return None
            more.append(line[7])
            continue
        if more:
            key, first, *rest = kept[-1]
            text = wrapped_plain(first, more)
            if text is None or _scalar(text) != text:
                return None
            kept[-1] = (key, text, *rest)  # type: ignore[assignment]
            more = []
        kept.append(line)
    kept.pop()  # (the blank line after the last)
    return kept


# A line as (key, value, dash, item, other): `key: value` / `key:`, `- item`, or a blank line.
_Line = tuple[str, str, str, str, str]
_BLANK: _Line = ("", "", "", "", "")


def _by_lines(raw: str) -> list[_Line] | None:
    """The lines of `raw` cut one at a time, a value wrapped over indented lines joined into
    one; None at a line no flat front matter holds."""
    lines: list[_Line] = []
    rows = raw.split("\n")
    index = 0
    while index < len(rows):
        line = rows[index]
        index += 1
        if not line.strip(" \t"):  # (YAML's blanks: not every space Python knows)
            if "\t" in line:
                return None  # (see _TAB_LINE)
            lines.append(_BLANK)
        elif line[0] in " -":
            item = line.lstrip(" ")
            if not item.startswith("- "):
                return None
            lines.append(("", "", line[: len(line) - len(item) + 1], item[2:], ""))
        else:
            match = _KEY.match(line.rstrip(" \t"))
            if match is None:
                return None
            value = match.group(2) or ""
            more = _wrapped(rows, index) if value.strip(" \t") else []
            if more:
                value = "\n".join([value, *more])
                index += len(more)
            lines.append((match.group(1), value, "", "", ""))
    return lines


def _wrapped(rows: list[str], start: int) -> list[str]:
    """The rows from `start` that go on a value: indented ones, and blank ones between them."""
    end = start
    for index in range(start, len(rows)):
        if wraps(rows[index]):
            end = index + 1
        elif rows[index].strip(" \t"):
            break
    return rows[start:end]


def _wrapped_value(value: str) -> tuple[str | None, bool]:
    """A value wrapped over lines: (its text, whether that is its value already).  A quoted
    value or a block (`|`, `>`) is read; plain text is folded onto one line, which `_scalar`
    then judges like any other.  (None, True) when only YAML can read it."""
    first, _, more = value.partition("\n")
    if first[:1] in ("|", ">"):
        return block(first, more.split("\n")), True
    if first[:1] in ("'", '"'):
        return quoted(value), True
    text = wrapped_plain(first, more.split("\n"))
    return text, text is None


def _mapping(lines: list[_Line]) -> dict[str, object] | None:
    """The mapping the cut lines hold, or None when a value needs YAML."""
    result: dict[str, object] = {}
    list_key: str | None = None
    open_lists: set[str] = set()  # "key:" lines: a block list follows, or the value is null
    list_dash = ""  # the list's first dash, indented as every other must be (see _flat_mapping)
    for key, value, dash, item, _ in lines:
        if dash:
            if list_key is None:
                return None
            items = result[list_key]
            assert isinstance(items, list)
            if not items:
                list_dash = dash
            elif dash != list_dash:
                return None
            open_lists.discard(list_key)
            found = _scalar(item.strip(" \t"))
            if found is None:
                return None
            items.append(found)
            continue
        if not key:
            continue  # a blank line
        if key in result:
            return None  # YAML keeps the last; let it decide
        if "\n" in value:  # wrapped over lines (a block's last spaces are its text)
            wrapped, read = _wrapped_value(value.lstrip(" "))
            if wrapped is None:
                return None
            if read:
                result[key] = wrapped
                list_key = None
                continue
            text = wrapped
        else:
            text = value.strip(" \t")
        if not text:
            result[key] = []
            list_key = key
            open_lists.add(key)
            continue
        list_key = None
        first = text[0]
        scalar = (
            _flow_list(text)
            if first == "["
            else _flow_mapping(text)
            if first == "{"
            else _scalar(text)
        )
        if scalar is None:
            return None
        result[key] = scalar
    for key in open_lists:
        result[key] = None  # "key:" with nothing after it, as YAML reads it
    return result


def _scalar(text: str) -> str | bool | int | float | None:
    """A plain or quoted scalar as text (a boolean word as a boolean, a plain decimal number
    as a number); None when only YAML can say what it is."""
    if not text:
        return None
    first = text[0]
    if first.isalpha():
        # The common case: a letter first, so no YAML indicator, number or date
        if ": " in text or " #" in text or "\t" in text or text[-1] == ":":
            return None
        if text in _SPECIAL_WORD:
            return _BOOLS.get(text)
        return text
    if first in ("'", '"'):
        return quoted(text)
    if first in _UNSAFE_START or text in _SPECIAL_WORD or text.endswith(":"):
        return None
    if any(mark in text for mark in _NEEDS_YAML):
        return None
    if _NUMBERISH.match(text) and not _NOT_NUMBER.search(text):
        if not _DATEISH.match(text):
            if _DECIMAL.fullmatch(text):
                return int(text)  # (what YAML makes of it)
            if _DECIMAL_FRACTION.fullmatch(text):
                return float(text)
            # other numbers ("0x1F", "010", "1_000", "1:30") are YAML's to read
            return None if _YAML_NUMBER.fullmatch(text) else text
        if not _possible(text):
            return None  # YAML reports the impossible date, with its line
    return text


def _possible(text: str) -> bool:
    """Whether YAML can read `text` without an error: True unless it is a YAML timestamp of
    an impossible date (month 13, February 30)."""
    try:
        datetime.fromisoformat(text)  # the common forms, in C (and every date they hold is real)
    except ValueError:
        pass
    else:
        return True
    stamp = YAML_TIMESTAMP.fullmatch(text)
    if stamp is None:
        return True
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in stamp.groups())
    try:
        datetime(year, month, day, hour, minute, second)  # noqa: DTZ001 - only validating
    except ValueError:
        return False
    return True


def _flow_mapping(text: str) -> dict[str, object] | None:
    """`{a: b, c: d}`: keys as `key:` lines have them, each with a plain scalar (`{name: ft}`,
    `{image: x.png, alt: y}`); None for anything else (a quote, a key without a value…)."""
    parts = flow_items(text[1:-1]) if text.endswith("}") else None
    if parts is None:
        return None
    found: dict[str, object] = {}
    for part in parts:
        key, colon, value = part.partition(": ")
        if not colon or key in found or _FLOW_KEY.fullmatch(key) is None:
            return None
        scalar = _flow_scalar(value.lstrip(" "))
        if scalar is None:
            return None
        found[key] = scalar
    return found


_FLOW_KEY = re.compile(_KEY_NAME)


def _flow_list(text: str) -> list[str | bool | int | float] | None:
    """`[a, b, c]` of plain or quoted scalars."""
    parts = flow_items(text[1:-1]) if text.endswith("]") else None
    if parts is None:
        return None
    items = []
    for part in parts:
        value = _flow_scalar(part)
        if value is None:
            return None
        items.append(value)
    return items


def _flow_scalar(text: str) -> str | bool | int | float | None:
    """A plain or quoted scalar inside brackets or braces (`_scalar`, less what YAML reads
    otherwise there); None when only YAML can say what it is."""
    if text and text[0] not in "'\"" and _NOT_IN_FLOW.search(text):
        return None
    return _scalar(text)
