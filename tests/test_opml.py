"""The OPML file's date, written without the email package, is RFC 822 as email.utils writes it."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

from hypothesis import given
from hypothesis import strategies as st

from feedkit.opml import _rfc822


@given(st.datetimes(timezones=st.just(UTC)))
def test_the_opml_date_is_what_email_utils_writes(moment: datetime) -> None:
    assert _rfc822(moment) == format_datetime(moment)
