"""A fast reader for the TOML front matter Hugo and Zola files carry (pure).

The standard library's tomllib is written in Python and takes ~50 µs for five lines of front
matter, as long as the rest of a file's scan.  Most TOML front matter is flat: `key = value`
lines whose values are strings without escapes, one-line lists of such strings, booleans,
decimal integers, and dates and times, and such lines under a table header (`[params]`,
`[author]`).  This reader handles exactly that, giving the values tomllib gives, and answers
None for anything else (inline tables, arrays of tables, dotted or quoted keys and headers,
escapes, multi-line strings, floats, comments after a value, a key or a table twice) so the
caller falls back to tomllib, which then gives the same result or the same error.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

# (The value up to the line's end: its trailing blanks are stripped after, as a lazy match
# followed by them would try every blank again at every step, quadratic on a long line.)
_LINE = re.compile(r"[ \t]*([A-Za-z0-9_-]+)[ \t]*=[ \t]*(.*)")
# Strings as TOML writes them without escapes: no backslash, no control character but tab.
_BASIC = r'"[^"\\\x00-\x08\x0a-\x1f\x7f]*"'
_STRING = re.compile(rf"{_BASIC}|'[^'\x00-\x08\x0a-\x1f\x7f]*'")
_BASIC_STRING = re.compile(_BASIC)
_STRINGS = re.compile(rf"\[[ \t]*(?:{_BASIC}[ \t]*,[ \t]*)*(?:{_BASIC}[ \t]*)?\]")
_INTEGER = re.compile(r"[+-]?(?:0|[1-9][0-9]{0,17})")  # (a longer one: tomllib's to refuse)
# TOML's date-times (RFC 3339, "T" or a space between date and time), local or with an offset
_TIME = r"[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?"
_DATE_TIME = re.compile(
    rf"[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}(?:[Tt ]{_TIME}(?:[Zz]|[+-][0-9]{{2}}:[0-9]{{2}})?)?"
)
_TABLE = re.compile(r"[ \t]*\[[ \t]*([A-Za-z0-9_-]+)[ \t]*\][ \t]*")  # a table's header
_BOOLEANS = {"true": True, "false": False}
_NOT_READ = object()


def quick_toml(raw: str) -> dict[str, Any] | None:
    """What `tomllib.loads(raw)` gives for flat front matter of the commonest kind (see the
    module docstring); None for anything else."""
    if "\x7f" in raw:  # (TOML forbids it even in a comment)
        return None
    fields: dict[str, Any] = {}
    table = fields  # where the keys of the lines go: the top, or the last table's header
    for line in raw.split("\n"):
        stripped = line.lstrip(" \t")
        if not stripped or stripped[0] == "#":
            continue  # (a blank line, or a comment line)
        if stripped[0] == "[":
            header = _TABLE.fullmatch(line)
            if header is None or header.group(1) in fields:
                return None
            table = fields[header.group(1)] = {}
            continue
        matched = _LINE.fullmatch(line)
        if matched is None:
            return None
        key, text = matched.groups()
        value = _value(text.rstrip(" \t"))
        if value is _NOT_READ or key in table:
            return None
        table[key] = value
    return fields


def _value(text: str) -> object:
    """The value `text` stands for, or _NOT_READ."""
    first = text[:1]
    if first in ('"', "'"):
        return text[1:-1] if _STRING.fullmatch(text) else _NOT_READ
    if first == "[":
        return (
            [item[1:-1] for item in _BASIC_STRING.findall(text)]
            if _STRINGS.fullmatch(text)
            else _NOT_READ
        )
    if text in _BOOLEANS:
        return _BOOLEANS[text]
    if _DATE_TIME.fullmatch(text):
        return _date_time(text)
    if _INTEGER.fullmatch(text):
        return int(text)
    return _NOT_READ


def _date_time(text: str) -> object:
    """A TOML date or date-time as tomllib gives it; _NOT_READ when it names no real moment
    (tomllib reports those)."""
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        moment = text[:10] + "T" + text[11:]
        if moment[-1] in "Zz":
            moment = moment[:-1] + "+00:00"
        return datetime.fromisoformat(moment)
    except ValueError:
        return _NOT_READ
