"""A fast reader for the plain front matter most article files carry (pure).

YAML parsing is the largest cost of reading 10,000 articles (libyaml alone takes about 0.3 s).
Most front matter is flat: `key: value` lines, lists written as `- item` lines or `[a, b]`,
simply quoted strings.  This reader handles exactly that and answers None for anything else —
comments, block scalars, anchors, nested mappings, escapes, anything YAML would read as other than
text — so the caller falls back to the real YAML loader, which then gives the same result or the
same error it always did.  Scalars come back as text (or None for an empty value); feedkit's
field readers accept text for every field (dates, booleans, numbers as titles).
"""

from __future__ import annotations

import re
from datetime import datetime

_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: (.*))?$")
# Plain scalars YAML would read as something other than text: leave them to YAML.
_SPECIAL_WORD = frozenset(
    case(word)
    for word in ("true", "false", "yes", "no", "on", "off", "null", "y", "n")
    for case in (str.lower, str.title, str.upper)
) | {"~"}
_NUMBERISH = re.compile(r"[-+.]?(?:\d|\.inf|\.nan)", re.IGNORECASE)
_DATEISH = re.compile(r"\d{4}-\d\d?-\d\d?(?:[Tt ]|$)")
# PyYAML's timestamp pattern: a value matching it becomes a date, or an error when impossible.
_YAML_TIMESTAMP = re.compile(
    r"(\d{4})-(\d\d?)-(\d\d?)"
    r"(?:(?:[Tt]|[ \t]+)(\d\d?):(\d\d):(\d\d)(?:\.\d*)?"
    r"(?:[ \t]*(?:Z|[-+]\d\d?(?::\d\d)?))?)?"
)
_UNSAFE_START = frozenset("&*!|>%@`{}[]\"'#,?:-")
_NEEDS_YAML = (" #", ": ", "\t")


def quick_front_matter(raw: str) -> dict[str, object] | None:
    """The mapping the front matter holds, or None when it needs the real YAML loader."""
    result: dict[str, object] = {}
    list_key: str | None = None
    open_lists: set[str] = set()  # "key:" lines: a block list follows, or the value is null
    for line in raw.split("\n"):
        if not line or line.isspace():
            continue
        if line[0] in " -":
            item = line.lstrip(" ")
            if list_key is None or not item.startswith("- "):
                return None
            open_lists.discard(list_key)
            value = _scalar(item[2:].strip())
            if value is None:
                return None
            items = result[list_key]
            assert isinstance(items, list)
            items.append(value)
            continue
        match = _KEY.match(line.rstrip())
        if match is None:
            return None
        key, text = match.group(1), (match.group(2) or "").strip()
        if key in result:
            return None  # YAML keeps the last; let it decide
        if not text:
            result[key] = []
            list_key = key
            open_lists.add(key)
            continue
        list_key = None
        found: list[str] | str | None = _flow_list(text) if text.startswith("[") else _scalar(text)
        if found is None:
            return None
        result[key] = found
    for key in open_lists:
        result[key] = None  # "key:" with nothing after it, as YAML reads it
    return result


def _scalar(text: str) -> str | None:
    """A plain or simply quoted scalar as text; None when only YAML can say what it is."""
    if not text:
        return None
    first = text[0]
    if first == '"':
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != '"' or '"' in inner or "\\" in inner:
            return None
        return inner
    if first == "'":
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != "'" or "'" in inner.replace("''", ""):
            return None
        return inner.replace("''", "'")
    if first in _UNSAFE_START or text in _SPECIAL_WORD or text.endswith(":"):
        return None
    if any(mark in text for mark in _NEEDS_YAML):
        return None
    if _NUMBERISH.match(text):
        if not _DATEISH.match(text):
            return None  # numbers (and things like "1e3", "0x1F") are YAML's to read
        stamp = _YAML_TIMESTAMP.fullmatch(text)
        if stamp is not None and not _possible(stamp):
            return None  # YAML reports the impossible date, with its line
    return text


def _possible(stamp: re.Match[str]) -> bool:
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in stamp.groups())
    try:
        datetime(year, month, day, hour, minute, second)  # noqa: DTZ001 - only validating
    except ValueError:
        return False
    return True


def _flow_list(text: str) -> list[str] | None:
    """`[a, b, c]` of plain scalars."""
    if not text.endswith("]") or any(ch in text[1:-1] for ch in "[]{}\"'#&*!|>"):
        return None
    inner = text[1:-1].strip()
    if not inner:
        return []
    items = []
    for part in inner.split(","):
        value = _scalar(part.strip())
        if value is None:
            return None
        items.append(value)
    return items
