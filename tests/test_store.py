"""feedkit.store: the SQLite state, against real database files in tmp_path (no mocks)."""

from __future__ import annotations

import dataclasses
import json
import re
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedkit import store_schema
from feedkit.clock import Clock, fixed_clock
from feedkit.errors import StoreError
from feedkit.ids import content_hash
from feedkit.model import BodyFormat, Entry, FeedOrigin
from feedkit.store import (
    FAILURE_LOG_SIZE,
    FileContent,
    FileRecord,
    PlanCache,
    SourceState,
    Store,
    entry_from_dict,
    entry_to_dict,
)
from feedkit.store_schema import SCHEMA_VERSION, Shared

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def entry(n: int, **changes: object) -> Entry:
    base = Entry(
        key=f"https://example.org/{n}",
        id=f"https://example.org/{n}",
        lang="en",
        title=f"Entry {n}",
        published=T0 - n * HOUR,
        updated=T0 - n * HOUR,
        link=f"https://example.org/{n}",
        body=f"Body {n}",
        source="remote",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "feedkit.sqlite"


@pytest.fixture
def store(db: Path, clock: Clock) -> Iterator[Store]:
    with Store.open(db, clock=clock) as opened:
        yield opened


def query(path: Path, sql: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchall()


# --- opening, schema, errors -----------------------------------------------------------------


def test_open_creates_folders_schema_and_wal(store: Store, db: Path) -> None:
    assert db.is_file()
    assert query(db, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert query(db, "PRAGMA journal_mode") == [("wal",)]
    tables = {r[0] for r in query(db, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"sources", "failures", "entries", "pruned", "files"} <= tables


def test_reopening_keeps_data_and_integrity(db: Path, clock: Clock) -> None:
    with Store.open(db, clock=clock) as store:
        store.put_source("f", "s", SourceState(url="https://a.example/feed", etag='"v1"'))
        store.merge_entries("f", "s", [entry(1), entry(2)], T0)
    with Store.open(db, clock=clock) as store:
        state = store.get_source("f", "s")
        assert state is not None
        assert state.etag == '"v1"'
        assert [e.id for e in store.stored_entries("f", "s")] == [entry(1).id, entry(2).id]
    assert query(db, "PRAGMA integrity_check") == [("ok",)]


def test_newer_schema_is_refused(db: Path, clock: Clock) -> None:
    with Store.open(db, clock=clock):
        pass
    with closing(sqlite3.connect(db)) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError) as caught:
        Store.open(db, clock=clock)
    assert str(caught.value) == (
        f"{db}: state database schema version {SCHEMA_VERSION + 1} is newer than this feedkit"
        f" ({SCHEMA_VERSION}); upgrade feedkit"
    )


def test_failed_migration_leaves_the_previous_version(
    db: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open(db, clock=clock) as store:
        store.put_source("f", "s", SourceState(url="u"))
    broken = ("CREATE TABLE extra (x)", "ALTER TABLE nowhere ADD COLUMN y")
    monkeypatch.setattr(store_schema, "MIGRATIONS", (*store_schema.MIGRATIONS, broken))
    monkeypatch.setattr(store_schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(StoreError, match="no such table: nowhere"):
        Store.open(db, clock=clock)
    assert query(db, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert query(db, "SELECT name FROM sqlite_master WHERE name = 'extra'") == []
    monkeypatch.setattr(store_schema, "MIGRATIONS", (*store_schema.MIGRATIONS[:-1], broken[:1]))
    with Store.open(db, clock=clock) as store:
        assert store.get_source("f", "s") == SourceState(url="u")
    assert query(db, "PRAGMA user_version") == [(SCHEMA_VERSION + 1,)]


@pytest.mark.parametrize(
    "content",
    [b"this is not a database, just text\n" * 100, b"SQLite format 3\x00" + b"\xff" * 4080],
    ids=["text-file", "corrupt-header"],
)
def test_garbage_file_is_a_store_error(db: Path, clock: Clock, content: bytes) -> None:
    db.parent.mkdir(parents=True)
    db.write_bytes(content)
    with pytest.raises(StoreError, match=re.escape(str(db))):
        Store.open(db, clock=clock)


def test_folder_in_the_way_is_a_store_error(tmp_path: Path, clock: Clock) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="cannot open"):
        Store.open(tmp_path / "file" / "state.sqlite", clock=clock)


def test_closed_store_raises_store_error(db: Path, clock: Clock) -> None:
    store = Store.open(db, clock=clock)
    store.close()
    with pytest.raises(StoreError, match=re.escape(str(db))):
        store.get_source("f", "s")


def test_unreadable_stored_entry_is_a_store_error(store: Store, db: Path) -> None:
    store.merge_entries("f", "s", [entry(1)], T0)
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE entries SET data = '{\"key\": 3}'")
    with pytest.raises(StoreError, match="stored entry of f/s unreadable"):
        store.stored_entries("f", "s")


@pytest.mark.parametrize(
    ("column", "value"),
    [("entries", "{}"), ("entries", "[1]"), ("warnings", "not json")],
    ids=["entries-not-a-list", "entry-not-an-object", "warnings-not-json"],
)
def test_unreadable_file_record_is_a_store_error(
    store: Store, db: Path, column: str, value: str
) -> None:
    record = FileRecord(rel="a.md", size=1, mtime_ns=1, digest="d", entries=(entry(1),))
    store.put_files("f", "s", [record], removed=[])
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(f"UPDATE files SET {column} = ?", (value,))
    with pytest.raises(StoreError, match=r"stored file f/s/a\.md unreadable"):
        store.get_files("f", "s")


def test_failed_transaction_leaves_previous_state(store: Store) -> None:
    store.put_source("f", "s", SourceState(url="u", etag="old"))
    with pytest.raises(RuntimeError), store._tx() as conn:
        conn.execute("UPDATE sources SET etag = 'new'")
        raise RuntimeError("killed mid-run")
    state = store.get_source("f", "s")
    assert state is not None
    assert state.etag == "old"


# --- fetch state -----------------------------------------------------------------------------


def test_source_state_round_trip(store: Store) -> None:
    assert store.get_source("f", "s") is None
    state = SourceState(
        url="http://a.example/feed",
        etag='W/"abc"',
        last_modified="Wed, 21 Oct 2015 07:28:00 GMT",
        permanent_url="https://a.example/feed",
        retired=True,
        last_fetch=T0,
        last_success=T0 - DAY,
        last_error="HTTP 410 Gone",
        last_status=410,
        failures=3,
        next_due=T0 + HOUR,
        feed_title="A feed — 中文",
    )
    store.put_source("f", "s", state)
    assert store.get_source("f", "s") == state
    assert store.get_source("f", "other") is None
    assert store.get_source("other", "s") is None


def test_etag_and_last_modified_are_stored_independently(store: Store) -> None:
    store.put_source("f", "s", SourceState(url="u", etag='"1"'))
    first = store.get_source("f", "s")
    assert first is not None
    assert (first.etag, first.last_modified) == ('"1"', None)
    store.put_source("f", "s", dataclasses.replace(first, last_modified="Tue, 01 Jan 2026"))
    second = store.get_source("f", "s")
    assert second is not None
    assert (second.etag, second.last_modified) == ('"1"', "Tue, 01 Jan 2026")
    store.put_source("f", "s", dataclasses.replace(second, etag=None))
    third = store.get_source("f", "s")
    assert third is not None
    assert (third.etag, third.last_modified) == (None, "Tue, 01 Jan 2026")


def test_failure_log_keeps_the_last_ones_newest_first(store: Store) -> None:
    for n in range(FAILURE_LOG_SIZE + 5):
        store.record_failure("f", "s", T0 + n * HOUR, f"failure {n}")
    store.record_failure("f", "other", T0, "elsewhere")
    failures = store.recent_failures("f", "s", limit=100)
    assert len(failures) == FAILURE_LOG_SIZE
    assert failures[0] == (T0 + (FAILURE_LOG_SIZE + 4) * HOUR, f"failure {FAILURE_LOG_SIZE + 4}")
    assert failures[-1][1] == "failure 5"
    assert store.recent_failures("f", "s", limit=2) == failures[:2]
    assert store.recent_failures("f", "other", 5) == [(T0, "elsewhere")]


def test_failure_time_defaults_to_the_clock(store: Store) -> None:
    store.record_failure("f", "s", None, "boom")
    assert store.recent_failures("f", "s") == [(T0, "boom")]  # the fixture clock is at T0


# --- entries ---------------------------------------------------------------------------------


def test_merge_new_entries(store: Store) -> None:
    result = store.merge_entries("f", "s", [entry(1), entry(2)], T0)
    assert (result.new, result.changed, result.unchanged, result.skipped_pruned) == (2, 0, 0, 0)
    assert result.entries == (entry(1), entry(2))
    assert store.first_seen("f", "s", entry(1).id) == T0
    assert store.first_seen("f", "s", "unknown") is None
    assert store.stored_entries("f", "other") == []


def test_unchanged_entry_keeps_its_stored_dates(store: Store) -> None:
    store.merge_entries("f", "s", [entry(1)], T0)
    refetched = entry(1, published=T0 + DAY, updated=T0 + DAY, priority=5, origin="elsewhere")
    result = store.merge_entries("f", "s", [refetched], T0 + DAY)
    assert (result.new, result.changed, result.unchanged) == (0, 0, 1)
    kept = dataclasses.replace(refetched, published=entry(1).published, updated=entry(1).updated)
    assert result.entries == (kept,)
    assert store.stored_entries("f", "s") == [kept]
    assert store.first_seen("f", "s", entry(1).id) == T0


def test_changed_entry_not_bumped_by_the_source_gets_updated_now(store: Store) -> None:
    store.merge_entries("f", "s", [entry(1)], T0)
    edited = entry(1, title="Edited")
    result = store.merge_entries("f", "s", [edited], T0 + DAY)
    assert (result.new, result.changed, result.unchanged) == (0, 1, 0)
    expected = dataclasses.replace(edited, updated=T0 + DAY)
    assert result.entries == (expected,)
    assert store.stored_entries("f", "s") == [expected]
    assert store.first_seen("f", "s", entry(1).id) == T0


def test_changed_entry_bumped_by_the_source_keeps_its_date(store: Store) -> None:
    store.merge_entries("f", "s", [entry(1)], T0)
    edited = entry(1, title="Edited", updated=T0 - 30 * timedelta(minutes=1))
    result = store.merge_entries("f", "s", [edited], T0 + DAY)
    assert result.changed == 1
    assert store.stored_entries("f", "s") == [edited]


def test_volatile_fields_do_not_make_a_change(store: Store) -> None:
    store.merge_entries("f", "s", [entry(1)], T0)
    result = store.merge_entries("f", "s", [entry(1, updated=T0 + DAY)], T0 + DAY)
    assert result.unchanged == 1
    assert store.stored_entries("f", "s")[0].updated == entry(1).updated


def test_first_seen_is_stable_across_runs(db: Path) -> None:
    for day in range(3):
        now = T0 + day * DAY
        with Store.open(db, clock=fixed_clock(now)) as store:
            store.merge_entries("f", "s", [entry(1), entry(10 + day)])
    with Store.open(db, clock=fixed_clock(T0)) as store:
        assert store.first_seen("f", "s", entry(1).id) == T0
        assert store.first_seen("f", "s", entry(12).id) == T0 + 2 * DAY
    rows = query(db, f"SELECT last_seen FROM entries WHERE id = '{entry(1).id}'")
    assert rows == [((T0 + 2 * DAY).isoformat(timespec="microseconds"),)]


def test_entries_are_kept_per_feed_and_source(store: Store) -> None:
    store.merge_entries("f", "a", [entry(1)], T0)
    store.merge_entries("f", "b", [entry(1, title="other")], T0)
    store.merge_entries("g", "a", [entry(2)], T0)
    assert [e.title for e in store.stored_entries("f", "a")] == ["Entry 1"]
    assert [e.title for e in store.stored_entries("f", "b")] == ["other"]
    assert [e.title for e in store.stored_entries("g", "a")] == ["Entry 2"]


def test_prune_by_count_and_pruned_ids_do_not_come_back(store: Store) -> None:
    store.merge_entries("f", "s", [entry(n) for n in range(1, 6)], T0)
    assert store.prune("f", "s", max_entries=3, max_age=None, now=T0) == 2
    assert [e.id for e in store.stored_entries("f", "s")] == [entry(n).id for n in (1, 2, 3)]
    result = store.merge_entries("f", "s", [entry(n) for n in range(1, 7)], T0 + DAY)
    assert (result.new, result.unchanged, result.skipped_pruned) == (1, 3, 2)
    assert [e.id for e in result.entries] == [entry(n).id for n in (1, 2, 3, 6)]
    assert entry(5).id not in {e.id for e in store.stored_entries("f", "s")}
    assert query(store.path, "SELECT count(*) FROM pruned") == [(2,)]


def test_prune_by_age(store: Store) -> None:
    store.merge_entries("f", "s", [entry(n) for n in (1, 30, 50)], T0)
    assert store.prune("f", "s", max_entries=None, max_age=DAY, now=T0) == 2
    assert [e.id for e in store.stored_entries("f", "s")] == [entry(1).id]
    assert store.merge_entries("f", "s", [entry(50)], T0).skipped_pruned == 1


def test_prune_by_count_and_age_together(store: Store) -> None:
    store.merge_entries("f", "s", [entry(n) for n in (1, 2, 3, 50)], T0)
    assert store.prune("f", "s", max_entries=3, max_age=DAY, now=T0) == 1
    assert store.prune("f", "s", max_entries=1, max_age=DAY, now=T0) == 2
    assert store.prune("f", "s", max_entries=None, max_age=None, now=T0) == 0
    assert [e.id for e in store.stored_entries("f", "s")] == [entry(1).id]


def test_prune_ties_on_published_break_by_id(store: Store) -> None:
    same = [entry(n, published=T0, updated=T0) for n in (3, 1, 2)]
    store.merge_entries("f", "s", same, T0)
    store.prune("f", "s", max_entries=2, max_age=None, now=T0)
    assert [e.id for e in store.stored_entries("f", "s")] == [entry(1).id, entry(2).id]


def test_delete_source_entries(store: Store) -> None:
    store.merge_entries("f", "s", [entry(1), entry(2)], T0)
    assert store.delete_source_entries("f", "s", [entry(1).id, "missing"]) == 1
    assert [e.id for e in store.stored_entries("f", "s")] == [entry(2).id]
    assert store.merge_entries("f", "s", [entry(1)], T0).new == 1  # not remembered as pruned


def test_lone_surrogate_survives_the_store(store: Store) -> None:
    odd = entry(1, title="bad \udc80 text", body="中文")
    store.merge_entries("f", "s", [odd], T0)
    assert store.stored_entries("f", "s") == [odd]


# --- local files -----------------------------------------------------------------------------


def test_files_round_trip_and_removal(store: Store) -> None:
    a = FileRecord(rel="a.md", size=10, mtime_ns=123, digest="d1", entries=(entry(1), entry(2)))
    b = FileRecord(
        rel="sub/b.md", size=5, mtime_ns=456, digest="d2", entries=(), warnings=("no date",)
    )
    store.put_files("f", "local", [a, b], removed=[])
    assert store.get_files("f", "local") == {"a.md": a, "sub/b.md": b}
    a2 = dataclasses.replace(a, size=11, digest="d3", entries=(entry(3),))
    store.put_files("f", "local", [a2], removed=["sub/b.md", "never-there.md"])
    assert store.get_files("f", "local") == {"a.md": a2}
    assert store.get_files("f", "other") == {}


def test_records_read_back_share_equal_values(store: Store) -> None:
    """A folder's records are read back with equal values as one object: a file's language
    versions share their origin, group id and dates, a folder's entries their tags and source
    (a third less memory for 100,000 files: BENCHMARKS.md)."""
    shared = {"origin": "/x/a.md", "group_id": "urn:g", "tags": ("markets",)}
    zh = entry(1, lang="zh", id="urn:zh", **shared)
    en = entry(1, lang="en", id="urn:en", **shared)
    other = entry(2, origin="/x/b.md", tags=("markets",))
    a = FileRecord(rel="a.md", size=1, mtime_ns=1, digest="d1", entries=(zh, en))
    b = FileRecord(rel="b.md", size=1, mtime_ns=1, digest="d2", entries=(other,))
    store.put_files("f", "local", [a, b], removed=[])

    got = store.get_files("f", "local")

    assert got == {"a.md": a, "b.md": b}
    (zh_back, en_back), (other_back,) = got["a.md"].entries, got["b.md"].entries
    for name in ("origin", "group_id", "published", "updated", "link", "tags", "source"):
        assert getattr(zh_back, name) is getattr(en_back, name), name
    assert zh_back.tags is other_back.tags and zh_back.source is other_back.source
    assert zh_back.tags[0] is other_back.tags[0]


def test_file_contents_round_trip_and_leave_with_their_file(store: Store) -> None:
    record = FileRecord(
        rel="a.md", size=1, mtime_ns=1, digest="d1", entries=(entry(1),), hashes=("h1",)
    )
    store.put_files("f", "local", [record], removed=[])
    content = FileContent(rel="a.md", digest="d1", entries=(entry(1), entry(2)))
    other = FileContent(rel="b.md", digest="d2", entries=(entry(3),))
    store.put_contents("f", "local", [content, other], dropped=[])
    assert store.get_files("f", "local") == {"a.md": record}
    assert store.content_rels("f", "local") == {"a.md", "b.md"}
    assert store.get_contents("f", "local", ["a.md", "b.md", "c.md"]) == {
        "a.md": content,
        "b.md": other,
    }
    assert store.get_contents("f", "other", ["a.md"]) == {}

    store.put_contents("f", "local", [], dropped=["b.md"])
    assert store.content_rels("f", "local") == {"a.md"}
    store.put_files("f", "local", [], removed=["a.md"])  # a file removed takes its contents
    assert store.content_rels("f", "local") == set()


def test_a_version_3_store_migrates_its_files_to_scanned_entries_and_contents(
    db: Path, clock: Clock
) -> None:
    """Version 3 kept each file's complete entries: they become its stored contents, and the
    file keeps them as scanned, with their content hashes; nothing else changes."""
    db.parent.mkdir(parents=True)
    complete = (entry(1, source="local"), entry(2, source="local"))
    with closing(sqlite3.connect(db, isolation_level=None)) as conn:
        for statements in store_schema.MIGRATIONS[:3]:
            for statement in statements:
                assert isinstance(statement, str)
                conn.execute(statement)
        conn.execute("PRAGMA user_version = 3")
        v3_entries = json.dumps([entry_to_dict(e) for e in complete])
        conn.execute(
            "INSERT INTO files VALUES ('news', 'local', 'a.md', 10, 123, 'd1', ?, ?)",
            (v3_entries, '["no date"]'),
        )
        conn.execute(
            "INSERT INTO files VALUES ('news', 'local', 'bad.md', 1, 1, 'd2', 'not json', '[]')"
        )

    with Store.open(db, clock=clock) as store:
        assert query(db, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
        assert store.get_contents("news", "local", ["a.md"]) == {
            "a.md": FileContent(rel="a.md", digest="d1", entries=complete)
        }
        with pytest.raises(StoreError, match=r"stored file news/local/bad\.md unreadable"):
            store.get_files("news", "local")
        store.put_files("news", "local", [], removed=["bad.md"])
        assert store.get_files("news", "local") == {
            "a.md": FileRecord(
                rel="a.md",
                size=10,
                mtime_ns=123,
                digest="d1",
                entries=tuple(
                    dataclasses.replace(e, title="", summary="", body="") for e in complete
                ),
                warnings=("no date",),
                hashes=tuple(content_hash(e) for e in complete),
            )
        }


def marks_of(*entries: Entry) -> set[int]:
    return {store_schema.entry_mark(t) for e in entries for t in (e.key, e.id, e.group_id)}


def stored_marks(store: Store, feed: str, source: str) -> set[int] | None:
    marks = store.get_marks(feed, source)
    return None if marks is None else set(marks)


def test_marks_are_found_by_bisection_at_both_ends_and_between() -> None:
    held = {0, 5, 2**64 - 1}
    marks = store_schema.Marks.from_blob(store_schema.marks_to_blob(held))
    assert set(marks) == held
    assert all(mark in marks for mark in held)
    assert not any(mark in marks for mark in (1, 4, 6, 2**64 - 2, -1, "5"))
    assert marks.missing({0, 1, 2**64 - 1, 7}) == {1, 7}
    with pytest.raises(ValueError, match="not a multiple of 8"):
        store_schema.Marks.from_blob(b"\x01\x02")


def test_marks_cover_every_recorded_entry_and_any_record_written_forgets_the_plan(
    store: Store,
) -> None:
    """The marks of a source (`get_marks`) hold every recorded entry's key, id and group id,
    and those of files removed since (they only grow); the plan cache round-trips, and any
    record written forgets it."""
    one = FileRecord(rel="a.md", size=1, mtime_ns=1, digest="d1", entries=(entry(1),))
    two = FileRecord(rel="b.md", size=1, mtime_ns=1, digest="d2", entries=(entry(2, group_id="g"),))
    assert stored_marks(store, "f", "local") is None
    store.put_files("f", "local", [one, two], [])
    assert stored_marks(store, "f", "local") == marks_of(entry(1), entry(2, group_id="g"))
    store.put_files("f", "local", [], removed=["b.md"])
    assert stored_marks(store, "f", "local") == marks_of(entry(1), entry(2, group_id="g"))
    cache = PlanCache(config="c1", candidates=(("local", "a.md", entry(1, title="", body="")),))
    store.put_plan_cache("f", cache)
    assert store.get_plan_cache("f") == cache
    three = FileRecord(rel="c.md", size=1, mtime_ns=1, digest="d3", entries=(entry(3),))
    store.put_files("f", "local", [three], [])
    assert store.get_plan_cache("f") is None
    assert marks_of(entry(3)) <= (stored_marks(store, "f", "local") or set())
    store.put_plan_cache("f", cache)  # (a build that publishes writes it again)
    assert store.get_plan_cache("f") == cache


def test_marks_begin_only_with_every_record_of_a_source(store: Store) -> None:
    """A source whose marks are not known (unreadable, or lost) stays without them until a
    write holds all its records: until then every run plans it the long way."""
    one = FileRecord(rel="a.md", size=1, mtime_ns=1, digest="d1", entries=(entry(1),))
    two = FileRecord(rel="b.md", size=1, mtime_ns=1, digest="d2", entries=(entry(2),))
    store.put_files("f", "local", [one, two], [])
    with closing(sqlite3.connect(store.path)) as conn, conn:
        conn.execute("UPDATE entry_marks SET marks = x'0102'")  # not a multiple of 8 bytes
    assert stored_marks(store, "f", "local") is None
    store.put_files("f", "local", [two], [])
    assert stored_marks(store, "f", "local") is None  # (a.md's are not in this write)
    store.put_files("f", "local", [one, two], [])
    assert stored_marks(store, "f", "local") == marks_of(entry(1), entry(2))


def test_a_version_5_store_gets_the_marks_of_its_files(db: Path, clock: Clock) -> None:
    db.parent.mkdir(parents=True)
    with closing(sqlite3.connect(db, isolation_level=None)) as conn:
        for statements in store_schema.MIGRATIONS[:5]:
            for statement in statements:
                conn.execute(statement) if isinstance(statement, str) else statement(conn)
        conn.execute("PRAGMA user_version = 5")
        rows = [
            ("local", "a.md", store_schema.entries_to_json([entry(1), entry(2)])),
            ("local", "b.md", store_schema.entries_to_json([entry(3)])),
            ("broken", "c.md", store_schema.entries_to_json([entry(4)])),
            ("broken", "d.md", "not json"),
        ]
        conn.executemany("INSERT INTO files VALUES ('news', ?, ?, 1, 1, 'd', ?, '[]', '[]')", rows)
    with Store.open(db, clock=clock) as store:
        assert query(db, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
        assert stored_marks(store, "news", "local") == marks_of(entry(1), entry(2), entry(3))
        assert stored_marks(store, "news", "broken") is None  # one file unreadable: not known


# --- status ----------------------------------------------------------------------------------


def test_summary_and_feeds(store: Store) -> None:
    state = SourceState(url="https://a.example/feed", failures=2)
    store.put_source("news", "remote", state)
    store.merge_entries("news", "remote", [entry(1), entry(2)], T0)
    record = FileRecord(rel="a.md", size=1, mtime_ns=1, digest="d", entries=())
    store.put_files("news", "local", [record], removed=[])
    store.merge_entries("blog", "remote", [entry(3)], T0)
    assert store.feeds() == ["blog", "news"]
    summary = store.summary("news")
    assert [(s.source, s.state, s.entries, s.files) for s in summary] == [
        ("local", None, 0, 1),
        ("remote", state, 2, 0),
    ]
    assert store.summary("nothing") == []


# --- concurrency -----------------------------------------------------------------------------


def test_concurrent_writers_wait_instead_of_failing(db: Path, clock: Clock) -> None:
    with Store.open(db, clock=clock):
        pass
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def work(source: str) -> None:
        try:
            with Store.open(db, clock=clock) as store:
                barrier.wait()
                for n in range(40):
                    store.merge_entries("f", source, [entry(n)], T0)
                    store.put_source("f", source, SourceState(url=source, failures=n))
                    store.record_failure("f", source, T0, f"n={n}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert query(db, "SELECT source, count(*) FROM entries GROUP BY source") == [
        ("a", 40),
        ("b", 40),
    ]


def test_writer_waits_for_a_held_write_lock(db: Path, clock: Clock) -> None:
    holding, errors = threading.Event(), list[BaseException]()

    def hold() -> None:
        try:
            with Store.open(db, clock=clock) as store, store._tx() as conn:
                conn.execute("INSERT INTO failures (feed, source, at, message) VALUES (1,2,3,4)")
                holding.set()
                time.sleep(0.3)
        except BaseException as exc:
            errors.append(exc)
            holding.set()

    with Store.open(db, clock=clock) as store:
        thread = threading.Thread(target=hold)
        thread.start()
        holding.wait()
        started = time.monotonic()
        store.put_source("f", "s", SourceState(url="u"))
        waited = time.monotonic() - started
        thread.join()
        assert store.get_source("f", "s") == SourceState(url="u")
    assert errors == []
    assert waited > 0.1


def test_concurrent_first_open_migrates_once(db: Path, clock: Clock) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def work() -> None:
        try:
            barrier.wait()
            with Store.open(db, clock=clock) as store:
                store.put_source("f", "s", SourceState(url="u"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert query(db, "PRAGMA user_version") == [(SCHEMA_VERSION,)]


# --- entries as JSON (property) --------------------------------------------------------------

aware = st.datetimes(timezones=st.just(UTC))
texts = st.text(max_size=40)
entries = st.builds(
    Entry,
    key=texts,
    id=texts,
    lang=st.sampled_from(["zh", "en", "", "pt-BR"]),
    title=texts,
    published=aware,
    updated=aware,
    link=texts,
    summary=texts,
    body=st.text(),
    body_format=st.sampled_from(BodyFormat),
    authors=st.lists(texts, max_size=3).map(tuple),
    tags=st.lists(texts, max_size=3).map(tuple),
    image=texts,
    source=texts,
    priority=st.integers(),
    group_id=texts,
    origin=texts,
    feed=st.none()
    | st.builds(FeedOrigin, id=texts, title=texts, url=texts, updated=st.none() | aware),
)


def test_entry_dict_has_every_field() -> None:
    origin = FeedOrigin(id="i", title="t", url="u")
    as_dict = entry_to_dict(entry(1, feed=origin))
    assert as_dict.keys() == {f.name for f in dataclasses.fields(Entry)}
    assert as_dict["feed"] == {"id": "i", "title": "t", "url": "u", "updated": None}


@given(entries, st.booleans())
def test_entry_dict_round_trip(value: Entry, compact: bool) -> None:
    as_dict = entry_to_dict(value, compact=compact)
    assert entry_from_dict(as_dict) == value
    assert entry_from_dict(json.loads(json.dumps(as_dict))) == value
    shared = Shared()
    assert entry_from_dict(as_dict, shared) == value
    assert entry_from_dict(as_dict, shared) == value  # (the second time from what is shared)


@settings(max_examples=30, deadline=None)
@given(st.lists(entries, max_size=4))
def test_entries_round_trip_through_the_database(values: list[Entry]) -> None:
    record = FileRecord(rel="a", size=0, mtime_ns=0, digest="", entries=tuple(values))
    with (
        tempfile.TemporaryDirectory() as folder,
        Store.open(Path(folder) / "s.sqlite", clock=fixed_clock(T0)) as store,
    ):
        store.put_files("f", "s", [record], removed=[])
        assert store.get_files("f", "s") == {"a": record}
        content = FileContent(rel="a", digest="", entries=tuple(values))
        store.put_contents("f", "s", [content], dropped=[])
        assert store.get_contents("f", "s", ["a"]) == {"a": content}


GOOD = entry_to_dict(entry(1))


@pytest.mark.parametrize(
    "bad",
    [
        {},
        {**GOOD, "tags": "x"},
        {**GOOD, "published": 1},
        {**GOOD, "updated": "2026-01-02T03:04:05"},
        {**GOOD, "feed": "https://a.example/"},
        {**GOOD, "priority": True},
        {**GOOD, "body_format": "rst"},
    ],
    ids=[
        "empty",
        "tags-not-a-list",
        "date-not-a-string",
        "naive-date",
        "feed-not-an-object",
        "priority-not-an-int",
        "unknown-body-format",
    ],
)
def test_entry_from_bad_dict_is_a_value_error(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        entry_from_dict(bad)
