"""Dates from front matter and feeds into aware UTC datetimes, and back out as RFC 3339 (pure).

Accepted: `datetime` and `date` objects (PyYAML makes them from unquoted timestamps), ISO 8601
strings (`2024-06-11`, `2024-06-11T21:38:09.733Z`, `2024-06-11 21:38:09 +0800`, …) and RFC 2822
strings (`Tue, 11 Jun 2024 21:38:09 GMT`).  A value without a zone is in the configured zone.
Everything else raises ValueError saying what was expected; the caller names the field.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

__all__ = ["format_rfc3339", "load_tz", "parse_date"]

_EXPECTED = 'must be a date (ISO 8601, "YYYY-MM-DD HH:MM:SS" or RFC 2822)'

# ISO 8601 / RFC 3339 extended format, as people and programs write it: date, optional time
# (`T`, `t` or a space; seconds and a fraction of any length optional), optional zone (`Z`,
# `+08:00`, `+0800`, `+08`, and the `+08:05:43` Python's isoformat writes for odd offsets),
# optionally after one space.  Groups, in order: year month day hour minute second fraction,
# then Z, or the offset's sign hours minutes seconds microseconds.
_ISO = re.compile(
    r"""
    (\d{4})-(\d{2})-(\d{2})
    (?:
        [Tt\ ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?
        (?:\ ?(?:
            ([Zz])
            | ([+-])(\d{2})(?::?([0-5]\d)(?::([0-5]\d)(?:\.(?P<offset_micros>\d{6}))?)?)?
        ))?
    )?
    """,
    re.VERBOSE | re.ASCII,
)

# The form JavaScript's toISOString and most generators write, in UTC ("…T21:38:09.733Z"):
# every one a real date is read by fromisoformat as `_parse_text` would read it.
_UTC_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?Z", re.ASCII)

# RFC 2822 date-time, with the obsolete forms feeds still use: no weekday, two-digit year,
# no seconds, a named zone, a trailing comment such as "(UTC)"; full month names too.
_RFC2822 = re.compile(
    r"""
    (?:(?P<weekday>[A-Za-z]+)(?:\s*,\s*|\s+))?
    (?P<day>\d{1,2})\s+(?P<month>[A-Za-z]+)\.?\s+(?P<year>\d{4}|\d{2})
    \s+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?
    (?:\s*(?:(?P<sign>[+-])(?P<off_h>\d{2})(?P<off_m>\d{2})|(?P<zone>[A-Za-z]+)))?
    (?:\s*\([^()]*\))?
    """,
    re.VERBOSE | re.ASCII,
)
_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_WEEKDAYS = {name for day in _WEEKDAY_NAMES for name in (day, day[:3])}
_MONTHS = {
    name: number
    for number, month in enumerate(_MONTH_NAMES, start=1)
    for name in (month, month[:3])
} | {"sept": 9}
# The zone names RFC 822 defines (hours east of UTC); "-0000" is UTC too (RFC 2822 §3.3).
_RFC822_ZONES = {
    "ut": 0,
    "utc": 0,
    "gmt": 0,
    "z": 0,
    "est": -5,
    "edt": -4,
    "cst": -6,
    "cdt": -5,
    "mst": -7,
    "mdt": -6,
    "pst": -8,
    "pdt": -7,
}
# Longer strings are no date (a bound that also keeps the regexes fast on hostile input).
_MAX_CHARS = 100
_SHOWN_CHARS = 60


def parse_date(value: object, *, tz: tzinfo = UTC) -> datetime:
    """`value` as an aware UTC datetime; a value without a zone is in `tz`.

    Raises ValueError, whose message reads after a field name: "must be a date (…), got 'x'".
    """
    if type(value) is str and _UTC_STAMP.fullmatch(value):
        try:  # the commonest form, already in UTC: read at once
            return datetime.fromisoformat(value)
        except ValueError:
            pass  # (an impossible date: the long way says why)
    if isinstance(value, datetime):
        aware = value.tzinfo is not None and value.utcoffset() is not None
        moment = value if aware else _in_zone(value, tz)
    elif isinstance(value, date):
        moment = datetime.combine(value, time(), tz)
    elif isinstance(value, str):
        moment = _parse_text(value, tz)
    else:
        raise _invalid(value, "")
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError) as exc:  # e.g. 9999-12-31T23:00-05:00 is year 10000 in UTC
        raise _invalid(value, "out of range in UTC") from exc


def _parse_text(value: str, tz: tzinfo) -> datetime:
    text = value.strip()
    if len(text) > _MAX_CHARS:
        raise _invalid(value, "")
    iso = _ISO.fullmatch(text)
    try:
        if iso:
            return _from_iso(text, iso, tz)
        rfc2822 = _RFC2822.fullmatch(text)
        if rfc2822:
            return _from_rfc2822(rfc2822, tz)
    except (OverflowError, ValueError) as exc:  # month 13, hour 25, offset +25:00, …
        raise _invalid(value, str(exc)) from exc
    raise _invalid(value, "")


def _from_iso(text: str, match: re.Match[str], tz: tzinfo) -> datetime:
    if match["offset_micros"]:  # Python 3.11's fromisoformat drops them
        return _build_iso(match, tz)
    try:  # the C parser is fast and reads nearly every form the grammar admits
        moment = datetime.fromisoformat(text.upper())
    except ValueError:  # "…,5 Z", out-of-range fields: the slow path parses or explains
        return _build_iso(match, tz)
    return moment if moment.tzinfo else _in_zone(moment, tz)


def _in_zone(naive: datetime, tz: tzinfo) -> datetime:
    # The same as naive.replace(tzinfo=tz), which is five times slower on Python 3.11.
    return datetime.combine(naive.date(), naive.time(), tz)


def _build_iso(match: re.Match[str], tz: tzinfo) -> datetime:
    year, month, day, hour, minute, second, fraction, z, sign, *offset = match.groups()
    zone = tz
    if z:
        zone = UTC
    elif sign:
        off_h, off_m, off_s, off_f = (int(part or 0) for part in offset)
        zone = _offset(sign, off_h, off_m, off_s, off_f)
    return datetime(
        int(year),
        int(month),
        int(day),
        int(hour or 0),
        int(minute or 0),
        int(second or 0),
        int((fraction or "")[:6].ljust(6, "0")),  # beyond microseconds: cut, not rounded
        tzinfo=zone,
    )


def _from_rfc2822(match: re.Match[str], tz: tzinfo) -> datetime:
    fields = match.groupdict()
    weekday = fields["weekday"]
    if weekday and weekday.lower() not in _WEEKDAYS:
        raise ValueError(f"unknown weekday {weekday!r}")
    month = _MONTHS.get(fields["month"].lower())
    if month is None:
        raise ValueError(f"unknown month {fields['month']!r}")
    year = int(fields["year"])
    if len(fields["year"]) == 2:  # RFC 2822 §4.3: 00-49 are 2000-2049, 50-99 are 1950-1999
        year += 2000 if year < 50 else 1900
    zone = tz
    if fields["sign"]:
        zone = _offset(fields["sign"], int(fields["off_h"]), int(fields["off_m"]))
    elif fields["zone"]:
        hours = _RFC822_ZONES.get(fields["zone"].lower())
        if hours is None:
            raise ValueError(f"unknown time zone {fields['zone']!r}")
        zone = timezone(timedelta(hours=hours)) if hours else UTC
    return datetime(
        year,
        month,
        int(fields["day"]),
        int(fields["hour"]),
        int(fields["minute"]),
        int(fields["second"] or 0),
        tzinfo=zone,
    )


def _offset(sign: str, hours: int, minutes: int, seconds: int = 0, micros: int = 0) -> tzinfo:
    if hours > 23 or minutes > 59 or seconds > 59:
        raise ValueError("zone offset must be less than 24 hours, as ±HH:MM")
    offset = timedelta(hours=hours, minutes=minutes, seconds=seconds, microseconds=micros)
    if not offset:
        return UTC  # "+00:00", and "-0000", which RFC 2822 defines as UTC
    return timezone(-offset if sign == "-" else offset)


def _invalid(value: object, reason: str) -> ValueError:
    shown = repr(value)
    if len(shown) > _SHOWN_CHARS:
        shown = shown[: _SHOWN_CHARS - 3] + "..."
    return ValueError(f"{_EXPECTED}, got {shown}" + (f" ({reason})" if reason else ""))


def load_tz(name: str) -> tzinfo:
    """The time zone called `name`: "UTC" (also "utc", "Z") or an IANA name like "Asia/Shanghai"."""
    key = name.strip()
    if key.upper() in {"UTC", "Z"}:
        return UTC
    import zoneinfo  # noqa: PLC0415 - only for a zone other than UTC

    try:
        return zoneinfo.ZoneInfo(key)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # unknown, malformed, a directory
        raise ValueError(f"unknown time zone {name!r}") from None


def format_rfc3339(dt: datetime) -> str:
    """`dt` in UTC as `2024-06-11T21:38:09Z` (seconds, no fraction); `dt` must be aware."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"format_rfc3339 needs an aware datetime, got {dt!r}")
    return dt.astimezone(UTC).isoformat(timespec="seconds").removesuffix("+00:00") + "Z"


def format_rfc822(dt: datetime) -> str:
    """`dt` in UTC as RFC 822 writes it, `Tue, 11 Jun 2024 21:38:09 +0000` (what
    `email.utils.format_datetime` gives, without importing the email package: ~5 ms of
    `convert`); `dt` must be aware."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"format_rfc822 needs an aware datetime, got {dt!r}")
    utc = dt.astimezone(UTC)
    day = _WEEKDAY_NAMES[utc.weekday()][:3].title()
    month = _MONTH_NAMES[utc.month - 1][:3].title()
    return f"{day}, {utc.day:02d} {month} {utc.year:04d} {utc:%H:%M:%S} +0000"
