"""SPEC 2: one entry per canonical URL and language; priority, then the newer `updated`, wins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from feedkit.dedupe import dedupe
from feedkit.model import Entry

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def entry(key: str, lang: str = "en", *, priority: int = 0, days: int = 0, id: str = "") -> Entry:
    moment = T0 + timedelta(days=days)
    return Entry(
        key=key,
        id=id or f"urn:x:{key}:{lang}:{priority}:{days}",
        lang=lang,
        title=key,
        published=T0,
        updated=moment,
        priority=priority,
    )


def test_same_url_and_language_keeps_one() -> None:
    assert len(dedupe([entry("u"), entry("u", days=1)])) == 1


def test_different_languages_are_kept_apart() -> None:
    assert {e.lang for e in dedupe([entry("u", "zh"), entry("u", "en")])} == {"zh", "en"}


def test_priority_beats_recency() -> None:
    winner = dedupe([entry("u", priority=1, days=9), entry("u", priority=0, days=0)])[0]
    assert winner.priority == 0


def test_newer_updated_wins_at_equal_priority() -> None:
    assert dedupe([entry("u", days=1), entry("u", days=5), entry("u", days=3)])[0].updated == (
        T0 + timedelta(days=5)
    )


entries = st.lists(
    st.builds(
        entry,
        key=st.sampled_from(["a", "b", "c"]),
        lang=st.sampled_from(["zh", "en"]),
        priority=st.integers(0, 2),
        days=st.integers(0, 3),
        id=st.sampled_from(["", "urn:x:1", "urn:x:2"]),
    ),
    max_size=20,
)


@given(entries, st.randoms())
def test_input_order_never_matters(items: list[Entry], rnd: object) -> None:
    shuffled = list(items)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert dedupe(items) == dedupe(shuffled)


@given(entries)
def test_dedupe_is_idempotent(items: list[Entry]) -> None:
    once = dedupe(items)
    assert dedupe(once) == once


@given(entries)
def test_one_entry_per_key_and_language(items: list[Entry]) -> None:
    result = dedupe(items)
    assert len({(e.key, e.lang) for e in result}) == len(result)
    assert {(e.key, e.lang) for e in result} == {(e.key, e.lang) for e in items}
