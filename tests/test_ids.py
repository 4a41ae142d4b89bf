"""urn_uuid5 is exactly uuid.uuid5 in the URL namespace: ids must never change."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from feedkit.ids import urn_uuid5


@given(st.text())
def test_same_as_the_standard_library(name: str) -> None:
    try:
        expected = uuid.uuid5(uuid.NAMESPACE_URL, name)
    except UnicodeEncodeError:  # lone surrogates: uuid5 cannot hash them, urn_uuid5 can
        assert urn_uuid5(name).startswith("urn:uuid:")
        return
    assert urn_uuid5(name) == f"urn:uuid:{expected}"
