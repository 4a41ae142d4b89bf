"""The OPML file's date, written without the email package, is RFC 822 as email.utils writes it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

from hypothesis import given
from hypothesis import strategies as st

from feedkit.opml import _rfc822


@given(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.integers(-14 * 60, 14 * 60),
)
def test_the_opml_date_is_what_email_utils_writes(moment: datetime, offset: int) -> None:
    aware = moment.replace(tzinfo=timezone(timedelta(minutes=offset))).astimezone(UTC)
    assert _rfc822(aware) == format_datetime(aware)
