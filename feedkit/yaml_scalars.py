"""Quoted and wrapped YAML scalars, read as PyYAML reads them (pure).

YAML writers wrap long values over indented lines and escape what they will not write as it is:
`yaml.safe_dump` gives `description: No reason given for ... against the` and `  ChatGPT
maker ...`, and without `allow_unicode` every Chinese title becomes `"\\u4F0A\\u9686..."`.
quickyaml reads such values with these functions instead of sending the whole front matter to
PyYAML (~300 µs a file instead of ~60).  They follow PyYAML's scanner (`scan_flow_scalar`,
`scan_plain`) for the text of one value and answer None wherever it would do anything else:
raise an error, or make by an escape a character XML cannot carry (the loader's path removes
those; characters written as they are, quickyaml's caller checks in the whole text).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from feedkit.markup import XML_FORBIDDEN

# What a backslash and one character stand for in a double-quoted scalar (PyYAML's table).
_ESCAPES = {
    "0": "\0",
    "a": "\x07",
    "b": "\x08",
    "t": "\t",
    "\t": "\t",
    "n": "\n",
    "v": "\x0b",
    "f": "\x0c",
    "r": "\r",
    "e": "\x1b",
    " ": " ",
    '"': '"',
    "\\": "\\",
    "/": "/",
    "N": "\x85",
    "_": "\xa0",
    "L": "\u2028",
    "P": "\u2029",
}
# A whole quoted value: the closing quote, then only spaces.  (Unrolled loops: fast in `re`.)
_DOUBLE_QUOTED = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)"[ ]*', re.DOTALL)
_SINGLE_QUOTED = re.compile(r"'([^']*(?:''[^']*)*)'[ ]*")
# Escapes Python's "unicode_escape" reads as YAML does (others, like \e or \N, it reads otherwise).
_PYTHON_ALIKE = re.compile(
    r'[^\\]*(?:\\(?:[\\"abfnrtv]|x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})[^\\]*)*'
)
_ESCAPE = re.compile(r"\\(?:x([0-9A-Fa-f]{2})|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.DOTALL)


def quoted(text: str) -> str | None:
    """The value of a quoted scalar (`text` starts with its quote and ends with the closing
    one, after which only spaces may come; it may go on over lines); None when YAML would read
    it otherwise or not at all."""
    double = text[0] == '"'
    match = (_DOUBLE_QUOTED if double else _SINGLE_QUOTED).fullmatch(text)
    if match is None:
        return None
    value: str | None = match.group(1)
    if value and "\n" in value:
        value = _folded(value, double=double)
    if not value:
        return value
    if not double:
        return value.replace("''", "'")
    if "\\" not in value:
        return value
    value = _unescaped(value)
    # An escape can make what XML cannot carry (text as written was checked by the caller).
    return None if value is None or XML_FORBIDDEN.search(value) else value


def _folded(text: str, *, double: bool) -> str | None:
    """A quoted value's lines folded: at each line break the blanks around it go and it becomes
    a space, or a line break for each blank line after it; in double quotes a backslash before
    it takes it away with the blanks after it.  Escapes are left for `_unescaped`."""
    parts = text.split("\n")
    chunks = [parts[0]]
    index = 0
    while index < len(parts) - 1:
        head = chunks[-1]
        escaped = double and (len(head) - len(head.rstrip("\\"))) % 2 == 1
        if escaped:
            chunks[-1] = head[:-1]
        else:
            chunks[-1] = head.rstrip(" \t")
            kept = chunks[-1]
            if double and kept != head and (len(kept) - len(kept.rstrip("\\"))) % 2 == 1:
                return None  # an escaped blank before the line break: YAML keeps it
        index += 1
        breaks = ""
        while index < len(parts) - 1 and not parts[index].strip(" \t"):
            breaks += "\n"
            index += 1
        chunks.append(breaks if escaped else breaks or " ")
        chunks.append(parts[index].lstrip(" \t"))
    return "".join(chunks)


class _BadEscape(ValueError):
    pass


def _unescaped(text: str) -> str | None:
    """A double-quoted value's escapes read; None for one YAML does not know."""
    if _PYTHON_ALIKE.fullmatch(text):
        try:  # in C; other characters go in as escapes and come back out as themselves
            return text.encode("ascii", "backslashreplace").decode("unicode_escape")
        except UnicodeDecodeError:  # \U beyond U+10FFFF
            return None
    try:
        return _ESCAPE.sub(_escape, text)
    except _BadEscape:
        return None


def _escape(match: re.Match[str]) -> str:
    *digits, letter = match.groups()
    for hexadecimal in digits:
        if hexadecimal:
            number = int(hexadecimal, 16)
            if number > 0x10FFFF:
                raise _BadEscape(hexadecimal)
            return chr(number)
    if letter not in _ESCAPES:
        raise _BadEscape(letter)
    return _ESCAPES[letter]


def wrapped_plain(first: str, more: Sequence[str]) -> str | None:
    """A plain scalar wrapped over lines: `first` (after "key: ") and the indented lines after
    it, folded as YAML folds them (a line break is a space, a blank line a line break); None
    unless it starts with a letter (no YAML indicator, number or date) and no line holds a tab,
    which the folding would have to judge."""
    folded = first.strip(" ")
    if not folded[:1].isalpha():
        return None
    for line in (first, *more):
        text = line.strip(" ")
        if "\t" in text or ": " in text or " #" in text or text.endswith(":"):
            return None  # where YAML would end the value, or a tab
    return _fold(folded, [line.strip(" ") for line in more])


def _fold(first: str, lines: Sequence[str]) -> str:
    """`first` and the `lines` after it folded as YAML folds a plain or `>` scalar: a line
    break becomes a space, and each blank line a line break instead."""
    folded, breaks = first, ""
    for line in lines:
        if line:
            folded += (breaks or " ") + line
            breaks = ""
        else:
            breaks += "\n"
    return folded


def block(header: str, rows: Sequence[str]) -> str | None:
    """A block scalar: `|` (lines kept) or `>` (lines folded), either perhaps with `-` (no
    line break at the end), and its indented `rows`.  None for the rest of what YAML allows
    there: `+`, an indentation digit, a blank first line, a line indented less than the first
    or (folded) more, spaces at a line's end or beyond the indentation of a blank line, a tab."""
    kind, chomp = header[:1], header[1:].rstrip(" ")
    if chomp not in ("", "-") or not rows or not rows[0].strip(" "):
        return None
    indent = len(rows[0]) - len(rows[0].lstrip(" "))
    lines: list[str] = []
    for row in rows:
        text = row[indent:]
        if not row.strip(" "):
            if len(row) > indent:
                return None
            lines.append("")
        elif "\t" in row or row[:indent].strip(" ") or row[-1] == " ":
            return None
        elif kind == ">" and text[0] == " ":
            return None  # a more indented line keeps its line breaks when folded
        else:
            lines.append(text)
    value = "\n".join(lines) if kind == "|" else _fold(lines[0], lines[1:])
    return value if chomp == "-" else value + "\n"


# An item and the comma after it.  A plain item runs to the comma, blanks and all, and is
# stripped after: possessive quantifiers never give back what they took, where a plain item
# taken lazily before blanks tried every blank again at every step (quadratic on a long run).
_FLOW_ITEM = re.compile(
    r"""[ ]*+("[^"\\]*(?:\\.[^"\\]*)*"|'[^']*(?:''[^']*)*'|[^,"'\n]*+)[ ]*+(?:,|$)"""
)


def flow_items(inner: str) -> list[str] | None:
    """The items between a flow list's brackets, each as written (quotes and all); None when
    one is empty (`[a,,b]`, `[a, ]`) or the text is not a list of items."""
    if not inner.strip(" "):
        return []
    items: list[str] = []
    at = 0
    while at < len(inner):
        match = _FLOW_ITEM.match(inner, at)
        item = match.group(1).rstrip(" ") if match is not None else ""
        if not item or match is None or match.end() == at:
            return None
        items.append(item)
        at = match.end()
    if inner.rstrip(" ").endswith(","):
        return None  # (YAML allows a last comma; rare enough to leave to it)
    return items
