"""The table-driven checking behind `feedkit.config`: where a value sits, what each key expects.

A table's schema maps each key to a `Key(convert, default)`; `read_table` rejects unknown keys
(suggesting the nearest known one) and runs every converter.  A converter takes the raw TOML
value and its location (`At`) and returns the checked value or raises the `ConfigError` made by
`At.error`, so every message reads ``FILE: KEY: expected WHAT, got VALUE``.  Indexes in keys
count from 1, as a person counts the ``[[source]]`` tables of a file.
"""

from __future__ import annotations

import codecs
import difflib
import json
import re
import warnings
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from feedkit.errors import ConfigError

__all__ = ["At", "Key", "format_duration", "normalize_cron", "parse_duration", "read_table"]


@dataclass(frozen=True, slots=True)
class At:
    """A place in a configuration file: the file as shown to the user and a dotted key."""

    file: str
    key: str = ""

    def child(self, name: str) -> At:
        return At(self.file, f"{self.key}.{name}" if self.key else name)

    def item(self, index: int) -> At:
        return At(self.file, f"{self.key}[{index + 1}]")

    def fail(self, message: str) -> ConfigError:
        return ConfigError(
            f"{self.file}: {self.key}: {message}" if self.key else f"{self.file}: {message}"
        )

    def error(self, expected: str, value: object, detail: str = "") -> ConfigError:
        tail = f" ({detail})" if detail else ""
        return self.fail(f"expected {expected}, got {show(value)}{tail}")


Convert = Callable[[object, At], Any]


@dataclass(frozen=True, slots=True)
class Key:
    """One key of a table: how its value is checked, and its value when the key is absent."""

    convert: Convert
    default: Any = None


def read_table(value: object, schema: Mapping[str, Key], at: At) -> dict[str, Any]:
    """Every key of `schema` → its checked value (or default); unknown keys are errors."""
    table = expect_table(value, at)
    for name in table:
        if name not in schema:
            close = difflib.get_close_matches(name, list(schema), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise At(at.file).fail(f"unknown key {at.child(name).key!r}{hint}")
    return {
        name: key.convert(table[name], at.child(name)) if name in table else key.default
        for name, key in schema.items()
    }


def show(value: object) -> str:
    """A value as it would be written in TOML, shortened."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, list):
        text = "[" + ", ".join(show(v) for v in value) + "]"
    elif isinstance(value, dict):
        text = "{ " + ", ".join(f"{k} = {show(v)}" for k, v in value.items()) + " }"
    elif isinstance(value, date | time):
        text = value.isoformat()
    else:
        text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


# ---- basic types ----------------------------------------------------------------------------


def expect_table(value: object, at: At) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise at.error("a table", value)
    return value


def text(value: object, at: At) -> str:
    if not isinstance(value, str):
        raise at.error("a string", value)
    return value


def nonempty_text(value: object, at: At) -> str:
    if not isinstance(value, str) or not value.strip():
        raise at.error("a non-empty string", value)
    return value.strip()


def boolean(value: object, at: At) -> bool:
    if not isinstance(value, bool):
        raise at.error("true or false", value)
    return value


def integer(low: int | None = None, high: int | None = None) -> Convert:
    """A converter for an integer within [low, high] (either end open when None)."""
    if low is not None and high is not None:
        expected = f"an integer from {low} to {high}"
    elif low is not None:
        expected = f"an integer of at least {low}"
    else:
        expected = "an integer"

    def convert(value: object, at: At) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise at.error(expected, value)
        if (low is not None and value < low) or (high is not None and value > high):
            raise at.error(expected, value)
        return value

    return convert


def choice(*options: str) -> Convert:
    quoted = [json.dumps(o) for o in options]
    expected = " or ".join([", ".join(quoted[:-1]), quoted[-1]] if len(quoted) > 1 else quoted)

    def convert(value: object, at: At) -> str:
        if value not in options:
            raise at.error(expected, value)
        return str(value)

    return convert


def list_of(item: Convert, what: str) -> Convert:
    """A converter for a list whose items each pass `item`; `what` names the items."""

    def convert(value: object, at: At) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise at.error(f"a list of {what}", value)
        return tuple(item(v, at.item(i)) for i, v in enumerate(value))

    return convert


def table_of(schema: Mapping[str, Key], build: Callable[..., Any]) -> Convert:
    """A converter for a sub-table: its keys checked by `schema`, then passed to `build`."""
    return lambda value, at: build(**read_table(value, schema, at))


# ---- durations ------------------------------------------------------------------------------

_DURATION = re.compile(r"(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?")
_DURATION_EXPECTED = 'a duration like "90s", "15m", "2h" or "1d"'


def parse_duration(value: str | int) -> timedelta:
    """ "90s", "15m", "2h", "1d", "1h30m", "1d 2h" (units in that order) or seconds → timedelta.

    Raises ValueError for anything else, and for zero or negative durations.
    """
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int):
        seconds = value
    else:
        stripped = value.strip()
        match = _DURATION.fullmatch(stripped)
        if stripped.isdigit():
            seconds = int(stripped)
        elif not stripped or match is None:
            raise ValueError(f"not a duration: {value!r}")
        else:
            d, h, m, s = (int(g) if g else 0 for g in match.groups())
            seconds = ((d * 24 + h) * 60 + m) * 60 + s
    if seconds <= 0:
        raise ValueError(f"a duration must be positive, got {value!r}")
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise ValueError(f"duration too long: {value!r}") from None


def format_duration(value: timedelta) -> str:
    """The shortest spelling `parse_duration` reads back: 1 hour 30 minutes → "1h30m"."""
    seconds = int(value.total_seconds())
    if seconds <= 0 or value != timedelta(seconds=seconds):
        raise ValueError(f"not a positive whole number of seconds: {value!r}")
    days, rest = divmod(seconds, 86400)
    parts = zip((days, rest // 3600, rest // 60 % 60, rest % 60), "dhms", strict=True)
    return "".join(f"{n}{unit}" for n, unit in parts if n)


def duration(value: object, at: At) -> timedelta:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise at.error(_DURATION_EXPECTED, value)
    try:
        return parse_duration(value)
    except ValueError:
        raise at.error(_DURATION_EXPECTED, value) from None


# ---- languages, URLs, names of things -------------------------------------------------------

_LANG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
_LANG_EXPECTED = 'a language tag like "zh", "en" or "zh-Hant"'


def lang_tag(value: object, at: At) -> str:
    """A BCP 47 tag, simply checked, in its usual case: "ZH_hant_tw" → "zh-Hant-TW"."""
    tag = text(value, at).strip().replace("_", "-")
    if not _LANG.fullmatch(tag):
        raise at.error(_LANG_EXPECTED, value)
    first, *rest = tag.split("-")
    subtags = [first.lower()]
    for sub in rest:
        if len(sub) == 4 and sub.isalpha():
            subtags.append(sub.title())
        elif (len(sub) == 2 and sub.isalpha()) or (len(sub) == 3 and sub.isdigit()):
            subtags.append(sub.upper())
        else:
            subtags.append(sub.lower())
    return "-".join(subtags)


def lang_list(value: object, at: At) -> tuple[str, ...]:
    tags = list_of(lang_tag, "language tags")(value, at)
    if not tags:
        raise at.error("a non-empty list of language tags", value)
    return tuple(dict.fromkeys(tags))


def languages(value: object, at: At) -> tuple[str, ...]:
    """ "auto" → () (every language found), else a non-empty list of tags."""
    if value == "auto":
        return ()
    if not isinstance(value, list):
        raise at.error('"auto" or a list of language tags', value)
    return lang_list(value, at)


def http_url(value: object, at: At) -> str:
    url = text(value, at).strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or " " in url:
        raise at.error("an absolute http(s) URL", value)
    return url


def base_url(value: object, at: At) -> str:
    """ "" or the http(s) URL of a folder, always ending in "/"."""
    if value == "":
        return ""
    url = http_url(value, at)
    if urlsplit(url).query or urlsplit(url).fragment:
        raise at.error("an http(s) URL of a folder, without query or fragment", value)
    return url if url.endswith("/") else url + "/"


def optional_http_url(value: object, at: At) -> str:
    return "" if value == "" else http_url(value, at)


def time_zone(value: object, at: At) -> str:
    name = text(value, at)
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise at.error('an IANA time zone like "UTC" or "Asia/Shanghai"', value) from None
    return name


def encoding(value: object, at: At) -> str:
    """A text encoding Python knows, by its canonical name ("UTF8" → "utf-8")."""
    name = text(value, at)
    try:
        "x".encode(name)  # LookupError for bytes-to-bytes codecs like "base64"
        return codecs.lookup(name).name
    except LookupError:
        raise at.error('a text encoding like "utf-8" or "gb18030"', value) from None


def regex(value: object, at: At) -> re.Pattern[str]:
    source = text(value, at)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # FutureWarning about possible set syntax changes
            return re.compile(source)
    except re.error as exc:
        raise at.error("a regular expression", value, str(exc)) from None


def regexes(value: object, at: At) -> tuple[re.Pattern[str], ...]:
    """One regular expression, or a list of them."""
    if isinstance(value, str):
        return (regex(value, at),)
    if not isinstance(value, list):
        raise at.error("a regular expression or a list of them", value)
    return tuple(regex(v, at.item(i)) for i, v in enumerate(value))


# ---- cron -----------------------------------------------------------------------------------

_CRON_EXPECTED = 'a cron expression like "*/15 * * * *" (minute hour day month weekday)'
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def cron(value: object, at: At) -> str:
    """A five-field crontab line, rewritten so APScheduler 3 reads it as cron does.

    APScheduler 3's `CronTrigger.from_crontab` counts weekdays from Monday = 0 where cron counts
    from Sunday = 0, and it requires both day fields to match where cron needs either one.  So
    the weekday field is spelt out in names ("1-5" → "mon,tue,wed,thu,fri"), and restricting
    both day of month and weekday is refused.
    """
    # (APScheduler takes ~0.1 s to import: only a configuration with a schedule needs it here)
    from apscheduler.triggers.cron import CronTrigger  # noqa: PLC0415

    expr = text(value, at)
    try:
        normalized = normalize_cron(expr)
        CronTrigger.from_crontab(normalized, timezone="UTC")
    except ValueError as exc:
        raise at.error(_CRON_EXPECTED, value, str(exc)) from None
    return normalized


def normalize_cron(expr: str) -> str:
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"{len(fields)} fields instead of 5")
    if not fields[2].startswith("*") and not fields[4].startswith("*"):
        raise ValueError("day of month and weekday both restricted; cron would run on either")
    days = set().union(*(_weekdays(part) for part in fields[4].split(",")))
    monday_first = sorted(days, key=lambda day: (day + 6) % 7)
    fields[4] = "*" if len(days) == 7 else ",".join(_WEEKDAYS[day] for day in monday_first)
    return " ".join(fields)


def _weekdays(part: str) -> set[int]:
    """One comma-separated piece of a cron weekday field → weekday numbers, Sunday = 0."""
    span, slash, step_text = part.partition("/")
    if slash and not (step_text.isdigit() and int(step_text) > 0):
        raise ValueError(f"bad step in weekday {part!r}")
    step = int(step_text) if slash else 1
    if span == "*":
        return set(range(0, 7, step))
    low, dash, high = span.partition("-")
    first = _weekday(low, part)
    last = _weekday(high, part) if dash else (6 if slash else first)
    if dash and last == 0 < first:
        last = 7  # "mon-sun", "5-0": Sunday closes the week
    if last < first:
        raise ValueError(f"weekday range {part!r} runs backwards")
    return {day % 7 for day in range(first, last + 1, step)}


def _weekday(token: str, part: str) -> int:
    token = token.strip().lower()
    if token.isdigit() and int(token) <= 7:
        return int(token)
    if token in _WEEKDAYS:
        return _WEEKDAYS.index(token)
    raise ValueError(f"bad weekday {part!r}")
