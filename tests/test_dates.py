"""feedkit.dates: front matter and feed dates into aware UTC datetimes, and back (SPEC 1.1)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from feedkit.dates import format_rfc822, format_rfc3339, load_tz, parse_date

DATA = Path(__file__).parent / "data"
SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
PLUS_8 = timezone(timedelta(hours=8))
EXPECTED = 'must be a date (ISO 8601, "YYYY-MM-DD HH:MM:SS" or RFC 2822)'


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)  # type: ignore[arg-type, misc]


def naive(*fields: int) -> datetime:
    """A datetime without a zone, as PyYAML makes from `2024-06-11 21:38:09`."""
    return datetime(*fields)  # type: ignore[arg-type]  # noqa: DTZ001


# --- parse_date: accepted ----------------------------------------------------------------------

ISO_8601 = [
    pytest.param("2024-06-11T21:38:09.733Z", utc(2024, 6, 11, 21, 38, 9, 733000), id="the seed"),
    pytest.param("2024-06-11T21:38:09Z", utc(2024, 6, 11, 21, 38, 9), id="Z"),
    pytest.param("2024-06-11t21:38:09z", utc(2024, 6, 11, 21, 38, 9), id="lower-case t and z"),
    pytest.param("2024-06-11T21:38:09+08:00", utc(2024, 6, 11, 13, 38, 9), id="+08:00"),
    pytest.param("2024-06-11T21:38:09+0800", utc(2024, 6, 11, 13, 38, 9), id="+0800"),
    pytest.param("2024-06-11T21:38:09+08", utc(2024, 6, 11, 13, 38, 9), id="+08"),
    pytest.param("2024-06-11T21:38:09-05:30", utc(2024, 6, 12, 3, 8, 9), id="-05:30"),
    pytest.param("2024-06-11T21:38:09+00:00", utc(2024, 6, 11, 21, 38, 9), id="+00:00"),
    pytest.param("2024-06-11T21:38:09-00:00", utc(2024, 6, 11, 21, 38, 9), id="-00:00"),
    pytest.param("2024-06-11T21:38:09.5Z", utc(2024, 6, 11, 21, 38, 9, 500000), id="tenths"),
    pytest.param("2024-06-11T21:38:09.123456Z", utc(2024, 6, 11, 21, 38, 9, 123456), id="micro"),
    pytest.param(
        "2024-06-11T21:38:09.123456789Z", utc(2024, 6, 11, 21, 38, 9, 123456), id="nanoseconds"
    ),
    pytest.param("2024-06-11T21:38:09,5Z", utc(2024, 6, 11, 21, 38, 9, 500000), id="comma"),
    pytest.param(
        "2024-06-11T21:38:09,25 Z", utc(2024, 6, 11, 21, 38, 9, 250000), id="comma, space, Z"
    ),
    pytest.param("2024-06-11T21:38Z", utc(2024, 6, 11, 21, 38), id="no seconds"),
    pytest.param("2024-06-11T21:38:09", utc(2024, 6, 11, 21, 38, 9), id="no zone"),
    pytest.param("2024-06-11 21:38:09", utc(2024, 6, 11, 21, 38, 9), id="YYYY-MM-DD HH:MM:SS"),
    pytest.param("2024-06-11 21:38", utc(2024, 6, 11, 21, 38), id="YYYY-MM-DD HH:MM"),
    pytest.param(
        "2024-06-11 21:38:09 +0800", utc(2024, 6, 11, 13, 38, 9), id="space before the zone"
    ),
    pytest.param("2024-06-11", utc(2024, 6, 11), id="date only"),
    pytest.param("  2024-06-11T21:38:09Z \n", utc(2024, 6, 11, 21, 38, 9), id="spaces around"),
    pytest.param(
        "2024-06-11T21:38:09+08:05:43", utc(2024, 6, 11, 13, 32, 26), id="offset with seconds"
    ),
    pytest.param(
        "2000-01-01T00:00:00+00:00:00.000001",
        utc(1999, 12, 31, 23, 59, 59, 999999),
        id="offset with microseconds",
    ),
    pytest.param("0001-01-01T00:00:00Z", utc(1, 1, 1), id="year 1"),
    pytest.param("9999-12-31T23:59:59Z", utc(9999, 12, 31, 23, 59, 59), id="year 9999"),
    pytest.param("2024-02-29", utc(2024, 2, 29), id="leap day"),
]

RFC_2822 = [
    pytest.param("Tue, 11 Jun 2024 21:38:09 +0000", utc(2024, 6, 11, 21, 38, 9), id="+0000"),
    pytest.param("Tue, 11 Jun 2024 21:38:09 GMT", utc(2024, 6, 11, 21, 38, 9), id="GMT"),
    pytest.param("Tue, 11 Jun 2024 21:38:09 UT", utc(2024, 6, 11, 21, 38, 9), id="UT"),
    pytest.param("Tue, 11 Jun 2024 21:38:09 -0000", utc(2024, 6, 11, 21, 38, 9), id="-0000"),
    pytest.param("11 Jun 2024 21:38:09 +0000", utc(2024, 6, 11, 21, 38, 9), id="no weekday"),
    pytest.param("Tue, 11 Jun 2024 21:38:09 +0800", utc(2024, 6, 11, 13, 38, 9), id="+0800"),
    pytest.param("Tue, 11 Jun 2024 21:38:09 EDT", utc(2024, 6, 12, 1, 38, 9), id="EDT"),
    pytest.param("Tue, 11 Jun 2024 21:38 PST", utc(2024, 6, 12, 5, 38), id="no seconds"),
    pytest.param("Tue, 1 Jun 2024 01:02:03 GMT", utc(2024, 6, 1, 1, 2, 3), id="one-digit day"),
    pytest.param("Tue, 11 Jun 24 21:38:09 GMT", utc(2024, 6, 11, 21, 38, 9), id="year 24"),
    pytest.param("Fri, 11 Jun 99 21:38:09 GMT", utc(1999, 6, 11, 21, 38, 9), id="year 99"),
    pytest.param(
        "Tuesday, 11 June 2024 21:38:09 GMT", utc(2024, 6, 11, 21, 38, 9), id="full names"
    ),
    pytest.param("tue, 11 JUN 2024 21:38:09 gmt", utc(2024, 6, 11, 21, 38, 9), id="any case"),
    pytest.param(
        "Tue, 11 Jun 2024 21:38:09 +0000 (UTC)", utc(2024, 6, 11, 21, 38, 9), id="comment"
    ),
    pytest.param(
        "Tue,\t11  Jun 2024\n 21:38:09 +0000", utc(2024, 6, 11, 21, 38, 9), id="folding space"
    ),
    pytest.param("Tue, 11 Jun 2024 21:38:09", utc(2024, 6, 11, 21, 38, 9), id="no zone"),
]

OBJECTS = [
    pytest.param(naive(2024, 6, 11, 21, 38, 9), utc(2024, 6, 11, 21, 38, 9), id="naive"),
    pytest.param(
        datetime(2024, 6, 11, 21, 38, 9, tzinfo=PLUS_8), utc(2024, 6, 11, 13, 38, 9), id="aware"
    ),
    pytest.param(
        datetime(2024, 6, 11, 21, 38, 9, tzinfo=SHANGHAI), utc(2024, 6, 11, 13, 38, 9), id="zone"
    ),
    pytest.param(utc(2024, 6, 11, 21, 38, 9), utc(2024, 6, 11, 21, 38, 9), id="aware UTC"),
    pytest.param(date(2024, 6, 11), utc(2024, 6, 11), id="date"),
]


@pytest.mark.parametrize(("value", "expected"), ISO_8601 + RFC_2822 + OBJECTS)
def test_parse_date(value: object, expected: datetime) -> None:
    parsed = parse_date(value)
    assert parsed == expected
    assert parsed.tzinfo is UTC


# A value without a zone is in the configured zone; a value with one ignores it.
IN_ZONE = [
    pytest.param("2024-06-11 21:38:09", SHANGHAI, utc(2024, 6, 11, 13, 38, 9), id="naive string"),
    pytest.param("2024-06-11T21:38:09", SHANGHAI, utc(2024, 6, 11, 13, 38, 9), id="naive T"),
    pytest.param("2024-06-11", SHANGHAI, utc(2024, 6, 10, 16), id="date string: midnight there"),
    pytest.param(date(2024, 6, 11), SHANGHAI, utc(2024, 6, 10, 16), id="date object"),
    pytest.param(
        naive(2024, 6, 11, 21, 38, 9), SHANGHAI, utc(2024, 6, 11, 13, 38, 9), id="naive object"
    ),
    pytest.param(
        "Tue, 11 Jun 2024 21:38:09", SHANGHAI, utc(2024, 6, 11, 13, 38, 9), id="rfc 2822 no zone"
    ),
    pytest.param(
        "2024-06-11 21:38:09", NEW_YORK, utc(2024, 6, 12, 1, 38, 9), id="new york, summer"
    ),
    pytest.param(
        "2024-01-11 21:38:09", NEW_YORK, utc(2024, 1, 12, 2, 38, 9), id="new york, winter"
    ),
    pytest.param("2024-06-11 21:38:09", PLUS_8, utc(2024, 6, 11, 13, 38, 9), id="fixed offset"),
    pytest.param("2024-06-11T21:38:09Z", SHANGHAI, utc(2024, 6, 11, 21, 38, 9), id="Z wins"),
    pytest.param(
        "2024-06-11T21:38:09+02:00", SHANGHAI, utc(2024, 6, 11, 19, 38, 9), id="offset wins"
    ),
    pytest.param(
        "Tue, 11 Jun 2024 21:38:09 GMT", SHANGHAI, utc(2024, 6, 11, 21, 38, 9), id="GMT wins"
    ),
    pytest.param(
        "Tue, 11 Jun 2024 21:38:09 -0000", SHANGHAI, utc(2024, 6, 11, 21, 38, 9), id="-0000 is UTC"
    ),
    pytest.param(utc(2024, 6, 11, 21, 38, 9), SHANGHAI, utc(2024, 6, 11, 21, 38, 9), id="aware"),
]


@pytest.mark.parametrize(("value", "tz", "expected"), IN_ZONE)
def test_parse_date_in_a_time_zone(value: object, tz: tzinfo, expected: datetime) -> None:
    assert parse_date(value, tz=tz) == expected


def test_naive_in_shanghai_is_eight_hours_earlier_in_utc() -> None:
    naive = parse_date("2024-06-11 21:38:09")
    assert naive - parse_date("2024-06-11 21:38:09", tz=SHANGHAI) == timedelta(hours=8)


# --- parse_date: rejected ----------------------------------------------------------------------

REJECTED = [
    pytest.param("tomorrow", id="a word"),
    pytest.param("", id="empty"),
    pytest.param("  \n", id="blank"),
    pytest.param("2024-13-01", id="month 13"),
    pytest.param("2024-00-10", id="month 0"),
    pytest.param("2024-02-30", id="30 February"),
    pytest.param("2023-02-29", id="29 February, not a leap year"),
    pytest.param("2024-06-11T24:00:00", id="hour 24"),
    pytest.param("2024-06-11T21:60", id="minute 60"),
    pytest.param("2024-06-11T21:38:60", id="second 60"),
    pytest.param("0000-01-01", id="year 0"),
    pytest.param("10000-01-01", id="year 10000"),
    pytest.param("-0001-01-01", id="negative year"),
    pytest.param("0001-01-01T00:00:00+01:00", id="before year 1 in UTC"),
    pytest.param("9999-12-31T23:00:00-05:00", id="after year 9999 in UTC"),
    pytest.param("2024-06-11T21:38:09+24:00", id="offset of 24 hours"),
    pytest.param("2024-06-11T21:38:09+08:60", id="offset minute 60"),
    pytest.param("2024-6-11", id="one-digit month"),
    pytest.param("2024/06/11", id="slashes"),
    pytest.param("11/06/2024", id="day first"),
    pytest.param("20240611", id="basic format"),
    pytest.param("2024-W24-2", id="week date"),
    pytest.param("2024-06-11T21", id="hour only"),
    pytest.param("2024-06-11x21:38:09", id="x as separator"),
    pytest.param("2024-06-11T21:38:09Z junk", id="trailing junk"),
    pytest.param("2024-06-11T21:38:09 PST", id="iso with a zone name"),
    pytest.param("２０２４-06-11", id="fullwidth digits"),
    pytest.param("2024-06-11T21:38:09.Z", id="empty fraction"),
    pytest.param("Tue, 11 Jun 2024 21:38:09 CEST", id="rfc 2822 unknown zone name"),
    pytest.param("Tue, 11 Jun 2024 21:38:09 +2500", id="rfc 2822 offset of 25 hours"),
    pytest.param("Tue, 31 Jun 2024 21:38:09 GMT", id="rfc 2822 31 June"),
    pytest.param("Tue, 11 Jun 2024 25:38:09 GMT", id="rfc 2822 hour 25"),
    pytest.param("Xyz, 11 Jun 2024 21:38:09 GMT", id="rfc 2822 unknown weekday"),
    pytest.param("Tue, 11 Jux 2024 21:38:09 GMT", id="rfc 2822 unknown month"),
    pytest.param("Tue, 11 Jun 2024", id="rfc 2822 without time"),
    pytest.param("Tue" + " " * 20000 + "x", id="hostile: a long run of spaces"),
    pytest.param("2024-06-11T21:38:09." + "1" * 100 + "Z", id="over 100 characters"),
    pytest.param(True, id="true"),
    pytest.param(False, id="false"),
    pytest.param(None, id="none"),
    pytest.param(0, id="zero"),
    pytest.param(1718141889, id="a unix time"),
    pytest.param(20240611, id="yaml int"),
    pytest.param(3.5, id="float"),
    pytest.param(float("nan"), id="nan"),
    pytest.param(b"2024-06-11", id="bytes"),
    pytest.param(["2024-06-11"], id="list"),
    pytest.param({"date": "2024-06-11"}, id="mapping"),
    pytest.param(time(21, 38, 9), id="time of day"),
    pytest.param(naive(1, 1, 1), id="naive year 1, before it in UTC"),
    pytest.param(
        datetime(9999, 12, 31, 23, tzinfo=timezone(-timedelta(hours=5))), id="aware past 9999"
    ),
]


@pytest.mark.parametrize("value", REJECTED)
def test_parse_date_rejects(value: object) -> None:
    with pytest.raises(ValueError, match=re.escape(EXPECTED)):
        parse_date(value, tz=SHANGHAI)


def test_the_message_shows_the_value_and_what_was_expected() -> None:
    with pytest.raises(ValueError) as caught:
        parse_date("tomorrow")
    assert str(caught.value) == f"{EXPECTED}, got 'tomorrow'"


def test_the_message_gives_the_reason_when_there_is_one() -> None:
    with pytest.raises(ValueError) as caught:
        parse_date("2024-13-01")
    assert str(caught.value) == f"{EXPECTED}, got '2024-13-01' (month must be in 1..12)"


def test_the_message_shortens_a_long_value() -> None:
    with pytest.raises(ValueError) as caught:
        parse_date("x" * 1000)
    shown = str(caught.value).removeprefix(f"{EXPECTED}, got ")
    assert shown == repr("x" * 1000)[:57] + "..."


@given(
    st.text()
    | st.from_regex(
        r"-?\d{1,5}-\d{1,2}-\d{1,2}([Tt ]\d{1,2}(:\d{1,2}(:\d{1,2}([.,]\d{0,12})?)?)?)?"
        r"( ?([Zz]|[+-]\d{1,2}(:?\d{2}(:\d{2}(\.\d{6})?)?)?))?",
        fullmatch=True,
    )
    | st.from_regex(
        r"([A-Za-z]{3,9},? )?\d{1,2} [A-Za-z]{3,9} \d{2,5} \d{1,2}:\d{2}(:\d{2})?"
        r"( ([+-]\d{4}|[A-Za-z]{1,4}))?",
        fullmatch=True,
    )
    | st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.binary()
    | st.dates()
    | st.times()
    | st.datetimes()
    | st.datetimes(timezones=st.timezones()),
    st.just(UTC) | st.timezones(),
)
def test_parse_date_raises_only_value_error_and_returns_aware_utc(
    value: object, tz: tzinfo
) -> None:
    try:
        parsed = parse_date(value, tz=tz)
    except ValueError as exc:
        assert str(exc).startswith(EXPECTED)
    else:
        assert parsed.tzinfo is UTC


OFFSETS = st.timedeltas(min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23))


@given(
    st.datetimes(
        min_value=naive(2, 1, 1),
        max_value=naive(9998, 12, 31),
        timezones=st.timezones() | st.builds(timezone, OFFSETS) | st.just(UTC),
    ),
    st.sampled_from(["T", " "]),
)
def test_iso_round_trip(moment: datetime, sep: str) -> None:
    # Compared in UTC: == between zones is False for a time in a DST fold or gap (PEP 495).
    assert parse_date(moment.isoformat(sep)) == moment.astimezone(UTC)


@given(st.datetimes(min_value=naive(1, 1, 1)), st.integers(min_value=0, max_value=6))
def test_the_utc_form_generators_write_reads_as_its_offset_form_does(
    moment: datetime, digits: int
) -> None:
    # "…Z" (JavaScript's toISOString writes 3 digits of the second) is read at once;
    # "…+00:00" the long way.
    fraction = f"{moment.microsecond:06d}"[:digits]
    stamp = moment.isoformat(timespec="seconds") + ("." + fraction if digits else "")
    parsed = parse_date(stamp + "Z")
    assert parsed == parse_date(stamp + "+00:00")
    assert parsed.tzinfo is UTC
    assert parsed.microsecond == int(fraction.ljust(6, "0"))


@given(st.datetimes(min_value=naive(2, 1, 1), max_value=naive(9998, 12, 31)))
def test_rfc3339_round_trip(moment: datetime) -> None:
    aware = moment.replace(tzinfo=UTC)
    assert parse_date(format_rfc3339(aware)) == aware.replace(microsecond=0)


# --- PyYAML hands over datetimes and dates ---------------------------------------------------

FROM_YAML = [
    pytest.param("2024-06-11T21:38:09.733Z", utc(2024, 6, 11, 21, 38, 9, 733000), id="aware"),
    pytest.param("2024-06-11 21:38:09 +08:00", utc(2024, 6, 11, 13, 38, 9), id="offset"),
    pytest.param("2024-06-11 21:38:09", utc(2024, 6, 11, 13, 38, 9), id="naive, in the zone"),
    pytest.param("2024-06-11", utc(2024, 6, 10, 16), id="date, midnight in the zone"),
    pytest.param("'2024-06-11 21:38:09'", utc(2024, 6, 11, 13, 38, 9), id="quoted: a string"),
    pytest.param('"Tue, 11 Jun 2024 21:38:09 GMT"', utc(2024, 6, 11, 21, 38, 9), id="rfc 2822"),
]


@pytest.mark.parametrize(("scalar", "expected"), FROM_YAML)
def test_parse_date_of_yaml_values(scalar: str, expected: datetime) -> None:
    value = yaml.safe_load(f"date: {scalar}")["date"]
    assert parse_date(value, tz=SHANGHAI) == expected


def test_the_seed_date() -> None:
    text = (DATA / "seed-article.txt").read_text(encoding="utf-8")
    front_matter = yaml.safe_load(text.split("---\n")[1])
    assert isinstance(front_matter["date"], datetime)
    assert parse_date(front_matter["date"]) == utc(2024, 6, 11, 21, 38, 9, 733000)


# --- load_tz -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["UTC", "utc", "Z", " UTC "])
def test_load_tz_utc(name: str) -> None:
    assert load_tz(name) is UTC


@pytest.mark.parametrize("name", ["Asia/Shanghai", "America/New_York", "Etc/UTC", "GMT"])
def test_load_tz_iana_names(name: str) -> None:
    assert load_tz(name) == ZoneInfo(name)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("Mars/Olympus_Mons", id="unknown"),
        pytest.param("", id="empty"),
        pytest.param("America", id="a folder of zones"),
        pytest.param("../../etc/passwd", id="path outside"),
        pytest.param("/etc/localtime", id="absolute path"),
        pytest.param("Asia/Shang\0hai", id="nul"),
        pytest.param("+08:00", id="an offset"),
    ],
)
def test_load_tz_rejects(name: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"unknown time zone {name!r}")):
        load_tz(name)


# --- format_rfc3339 ----------------------------------------------------------------------------

FORMATTED = [
    pytest.param(utc(2024, 6, 11, 21, 38, 9), "2024-06-11T21:38:09Z", id="utc"),
    pytest.param(utc(2024, 6, 11, 21, 38, 9, 733000), "2024-06-11T21:38:09Z", id="no fraction"),
    pytest.param(
        datetime(2024, 6, 11, 21, 38, 9, tzinfo=PLUS_8), "2024-06-11T13:38:09Z", id="to utc"
    ),
    pytest.param(
        datetime(2024, 6, 11, 5, tzinfo=SHANGHAI), "2024-06-10T21:00:00Z", id="day before"
    ),
    pytest.param(utc(5, 1, 1), "0005-01-01T00:00:00Z", id="four-digit year"),
]


@pytest.mark.parametrize(("moment", "expected"), FORMATTED)
def test_format_rfc3339(moment: datetime, expected: str) -> None:
    assert format_rfc3339(moment) == expected


def test_format_rfc3339_needs_an_aware_datetime() -> None:
    with pytest.raises(ValueError, match="aware"):
        format_rfc3339(naive(2024, 6, 11, 21, 38, 9))


@given(st.datetimes(timezones=st.just(UTC)))
def test_rfc822_dates_are_what_email_utils_writes(moment: datetime) -> None:
    """The OPML file's date is written without the email package, exactly as it writes it."""
    assert format_rfc822(moment) == format_datetime(moment)


def test_an_rfc822_date_is_written_in_utc_and_needs_a_zone() -> None:
    moment = datetime(2024, 6, 12, 5, 38, 9, tzinfo=timezone(timedelta(hours=8)))
    assert format_rfc822(moment) == "Tue, 11 Jun 2024 21:38:09 +0000"
    with pytest.raises(ValueError, match="aware"):
        format_rfc822(datetime(2024, 6, 11))  # noqa: DTZ001 - the naive time it refuses
