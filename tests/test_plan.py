"""SPEC 7: `convert` builds entries only for the articles that can be published (plan.preselect);
the feeds planned from them are the feeds planned from every entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from feedkit.dedupe import dedupe
from feedkit.documents import build_feeds
from feedkit.model import Entry, FeedSettings
from feedkit.plan import plan_feeds, preselect

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def entry(key: int, lang: str, published: int, updated: int, priority: int, same_id: bool) -> Entry:
    group = "urn:x:shared" if same_id else f"urn:x:{key}"
    return Entry(
        key=f"https://x.org/{key}",
        id=f"{group}#{lang}",
        lang=lang,
        title=f"{key} {lang}",
        published=T0 + timedelta(days=published),
        updated=T0 + timedelta(days=published + updated),
        priority=priority,
        group_id=group,
        origin=f"/a/{key}-{lang}-{published}-{updated}-{priority}.md",
    )


ENTRIES = st.lists(
    st.builds(
        entry,
        key=st.integers(0, 12),
        lang=st.sampled_from(["zh", "en", "ja"]),
        published=st.integers(0, 6),  # few days: many ties
        updated=st.integers(0, 3),
        priority=st.integers(0, 1),
        same_id=st.booleans(),
    ),
    max_size=40,
)
FEED_SETTINGS = st.builds(
    FeedSettings,
    max_entries=st.integers(1, 6),
    lang_order=st.sampled_from([("zh", "en"), ("en",), ()]),
    languages=st.sampled_from([(), ("en",), ("zh", "ja")]),
)


@given(ENTRIES, FEED_SETTINGS)
def test_the_preselected_entries_plan_the_same_feeds(
    entries: list[Entry], settings: FeedSettings
) -> None:
    assert plan_feeds(dedupe(preselect(entries, settings)), settings) == plan_feeds(
        dedupe(entries), settings
    )


def test_only_the_articles_that_can_be_published_are_kept() -> None:
    many = [entry(n, lang, n, 0, 0, False) for n in range(100) for lang in ("zh", "en")]
    kept = preselect(many, FeedSettings(max_entries=5))
    assert {e.key for e in kept} == {f"https://x.org/{n}" for n in range(95, 100)}
    assert len(kept) == 10  # every language version of each


def test_duplicates_are_gone_and_the_better_one_stays() -> None:
    older, newer = entry(1, "en", 0, 0, 0, False), entry(1, "en", 0, 2, 0, False)
    assert preselect([older, newer], FeedSettings()) == [newer]


def test_with_archives_or_tag_feeds_every_article_is_kept() -> None:
    many = [entry(n, "en", n, 0, 0, False) for n in range(20)]
    for settings in (
        FeedSettings(max_entries=2, tag_feeds=True),
        FeedSettings(max_entries=2, author_feeds=True),
        FeedSettings(max_entries=2, archive=True, base_url="https://x.org/"),
    ):
        assert len(preselect(many, settings)) == 20


def documents(items: list[Entry], settings: FeedSettings) -> list[tuple[str, bytes]]:
    _, written, _ = build_feeds(items, settings)
    return [(document.filename, document.data) for document in written]


@hypothesis_settings(max_examples=150, deadline=None)
@given(ENTRIES, FEED_SETTINGS)
def test_the_preselected_entries_write_the_same_feeds_byte_for_byte(
    entries: list[Entry], settings: FeedSettings
) -> None:
    assert documents(preselect(entries, settings), settings) == documents(entries, settings)


def test_an_article_is_as_new_as_its_oldest_version_in_the_combined_feed() -> None:
    """`b` is the newest in English, but its Chinese version is old: in a combined feed of one
    entry it loses to `a`, so both articles stay."""
    items = [entry(1, "en", 3, 0, 0, False), entry(2, "en", 4, 0, 0, False)]
    items.append(entry(2, "zh", 0, 0, 0, False))
    kept = {e.key for e in preselect(items, FeedSettings(max_entries=1))}
    assert kept == {"https://x.org/1", "https://x.org/2"}
