"""The state database's on-disk format: tables (versioned migrations) and the JSON of entries.

Used only by `feedkit.store`.

**Tables.** An ordered list of migrations, one per `PRAGMA user_version`.

Migration N (1-based) takes a database at version N-1 to version N. Each is a sequence of SQL
statements that `store.Store.open` runs in one `BEGIN IMMEDIATE` transaction together with the
`PRAGMA user_version = N` that records it, so a crash mid-migration leaves version N-1 intact.
Never edit a released migration: append a new one.

A step is an SQL statement, or a function of the connection for what SQL cannot do (version 4
computes content hashes); both run inside the migration's transaction.

**Values.** Datetimes are stored as ISO 8601 UTC text with microseconds
(`2026-01-02T03:04:05.000000+00:00`): fixed width, so text order is time order. Entries are
stored as JSON (`entry_to_dict`: every field, datetimes as ISO strings, the `feed` origin as a
nested object, tuples as lists); the columns beside the JSON are what queries sort and filter on.
Article files' entries leave out fields at their default (`entry_to_dict(compact=True)`): there
is one row per file of the archive, so their size is what the database's size grows with.

**Article files (version 4).** `files` holds, per file, its entries *as scanned* (no title,
summary or body: what deduplication and planning need) and, per entry, the hash of its content
once the file has been read in full ("" until then). `file_contents` holds the complete entries
of the files whose entries are published (and only those), with the digest of the file version
they were read from: a file that breaks after an edit keeps its last good version published,
across processes.

**Published feeds (version 5).** `published` holds, per feed, what its last build wrote and
from which configuration; a build that starts deletes the row, and only a build whose files were
all written puts it back.

**Plans from new files (version 6).** `entry_marks` holds, per source, the sorted 64-bit hashes
of every recorded entry's key, id and group id (they only grow: a hash of a file gone costs a
false alarm, never a miss); `plan_cache` holds, per feed, the entries its last build planned
from.  Every write of file records forgets the feed's plan.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from feedkit.errors import StoreError
from feedkit.ids import content_hash
from feedkit.model import BodyFormat, Entry, FeedOrigin

# A migration step: an SQL statement, or a function run on the connection (same transaction).
Step = str | Callable[[sqlite3.Connection], None]

_V1 = (
    # Per configured source: fetch state (conditional GET, redirects, failures, schedule).
    """
    CREATE TABLE sources (
        feed          TEXT NOT NULL,
        source        TEXT NOT NULL,
        url           TEXT NOT NULL,
        etag          TEXT,
        last_modified TEXT,
        permanent_url TEXT,
        retired       INTEGER NOT NULL DEFAULT 0,
        last_fetch    TEXT,
        last_success  TEXT,
        last_error    TEXT,
        last_status   INTEGER,
        failures      INTEGER NOT NULL DEFAULT 0,
        next_due      TEXT,
        feed_title    TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (feed, source)
    ) WITHOUT ROWID
    """,
    # The last few failures of each source, newest = highest seq.
    """
    CREATE TABLE failures (
        seq     INTEGER PRIMARY KEY,
        feed    TEXT NOT NULL,
        source  TEXT NOT NULL,
        at      TEXT NOT NULL,
        message TEXT NOT NULL
    )
    """,
    "CREATE INDEX failures_by_source ON failures (feed, source, seq)",
    # Every entry a source has offered (until pruned), with its content hash and sighting times.
    """
    CREATE TABLE entries (
        feed         TEXT NOT NULL,
        source       TEXT NOT NULL,
        id           TEXT NOT NULL,
        key          TEXT NOT NULL,
        lang         TEXT NOT NULL,
        data         TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        first_seen   TEXT NOT NULL,
        last_seen    TEXT NOT NULL,
        published    TEXT NOT NULL,
        updated      TEXT NOT NULL,
        PRIMARY KEY (feed, source, id)
    )
    """,
    "CREATE INDEX entries_by_published ON entries (feed, source, published DESC, id)",
    # Ids removed by a prune policy, so a feed still carrying them does not bring them back.
    """
    CREATE TABLE pruned (
        feed      TEXT NOT NULL,
        source    TEXT NOT NULL,
        id        TEXT NOT NULL,
        pruned_at TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        PRIMARY KEY (feed, source, id)
    ) WITHOUT ROWID
    """,
    # Local article files already read: an unchanged file is never parsed twice.
    """
    CREATE TABLE files (
        feed     TEXT NOT NULL,
        source   TEXT NOT NULL,
        rel      TEXT NOT NULL,
        size     INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        digest   TEXT NOT NULL,
        entries  TEXT NOT NULL,
        warnings TEXT NOT NULL,
        PRIMARY KEY (feed, source, rel)
    )
    """,
)

# Version 2: what the last run published per source, and when that run was (for `status`).
_V2 = (
    """
    CREATE TABLE runs (
        feed      TEXT NOT NULL,
        source    TEXT NOT NULL,
        run_at    TEXT NOT NULL,
        published INTEGER NOT NULL,
        ok        INTEGER NOT NULL,
        PRIMARY KEY (feed, source)
    ) WITHOUT ROWID
    """,
)

# Version 3: source-link checks (SPEC 1.3), one row per canonical URL of a source link.
_V3 = (
    """
    CREATE TABLE links (
        url           TEXT NOT NULL PRIMARY KEY,  -- canonical_url of the source link
        link          TEXT NOT NULL,              -- the URL as last fetched
        checked_at    TEXT NOT NULL,
        next_check    TEXT NOT NULL,              -- the cached result is used until then
        status        TEXT NOT NULL,              -- 'ok', 'dead' (404/410) or 'failed'
        http_status   INTEGER,
        dead_count    INTEGER NOT NULL DEFAULT 0, -- consecutive checks answering 404/410
        failures      INTEGER NOT NULL DEFAULT 0, -- consecutive failed checks (backoff)
        etag          TEXT,
        last_modified TEXT,
        meta          TEXT,                       -- JSON of the last page metadata, or NULL
        error         TEXT NOT NULL DEFAULT ''
    ) WITHOUT ROWID
    """,
    "CREATE INDEX links_by_dead_count ON links (dead_count)",
)


def _scan_files_v4(conn: sqlite3.Connection) -> None:
    """Version 3 kept every file's complete entries: they become the file's contents, and the
    `files` row keeps them as scanned, with their content hashes. A row that cannot be read is
    left as it was (reading it reports it, naming the file)."""
    rows = conn.execute("SELECT feed, source, rel, digest, entries FROM files").fetchall()
    for feed, source, rel, digest, text in rows:
        try:
            entries = entries_from_json(text)
        except (ValueError, TypeError):
            continue
        key = (feed, source, rel)
        conn.execute(
            "INSERT OR REPLACE INTO file_contents (feed, source, rel, digest, entries)"
            " VALUES (?, ?, ?, ?, ?)",
            (*key, digest, text),
        )
        conn.execute(
            "UPDATE files SET entries = ?, hashes = ? WHERE feed = ? AND source = ? AND rel = ?",
            (
                entries_to_json(scanned(e) for e in entries),
                dumps([content_hash(e) for e in entries]),
                *key,
            ),
        )


# Version 4: article files scanned, read in full only while published (see the module docstring).
_V4: Sequence[Step] = (
    """
    CREATE TABLE file_contents (
        feed    TEXT NOT NULL,
        source  TEXT NOT NULL,
        rel     TEXT NOT NULL,
        digest  TEXT NOT NULL,  -- the file version the entries were read from
        entries TEXT NOT NULL,  -- JSON list of complete entries, dates as published
        PRIMARY KEY (feed, source, rel)
    ) WITHOUT ROWID
    """,
    "ALTER TABLE files ADD COLUMN hashes TEXT NOT NULL DEFAULT '[]'",
    _scan_files_v4,
)

# Version 5: what each feed's last build wrote, so that a fresh process (`run --once` from cron)
# can tell, as the daemon tells from memory, that nothing changed since: no file, no
# configuration, no output file.
_V5 = (
    """
    CREATE TABLE published (
        feed    TEXT NOT NULL PRIMARY KEY,
        config  TEXT NOT NULL,     -- fingerprint of the configuration and feedkit version
        folder  TEXT NOT NULL,     -- where the feed's files were written
        files   TEXT NOT NULL,     -- JSON list of [name, size, mtime_ns], as written
        counts  TEXT NOT NULL,     -- JSON object: published entries per source
        entries INTEGER NOT NULL   -- entries of the combined feed
    ) WITHOUT ROWID
    """,
)


def entry_marks(entries: Iterable[Entry]) -> set[int]:
    """64-bit hashes of the entries' keys, ids and group ids: a set that may hold a value no
    recorded entry has (a file gone, a collision), never one short of those it has."""
    return {entry_mark(text) for entry in entries for text in (entry.key, entry.id, entry.group_id)}


def entry_mark(text: str) -> int:
    """One of `entry_marks`: a 64-bit hash of a key or an id."""
    data = text.encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def marks_to_blob(marks: Iterable[int]) -> bytes:
    values = array("Q", sorted(marks))
    if sys.byteorder == "big":  # (stored little-endian, whatever the machine)
        values.byteswap()
    return values.tobytes()


@dataclass(frozen=True, slots=True)
class Marks:
    """Stored marks (`entry_marks`) as they are: a sorted array, looked up by bisection, so
    reading 300,000 of them is a copy of 2.4 MB rather than a set of Python integers."""

    values: array[int]

    @classmethod
    def from_blob(cls, blob: bytes) -> Marks:
        if len(blob) % 8:
            raise ValueError(f"entry marks of {len(blob)} bytes, not a multiple of 8")
        values = array("Q", blob)
        if sys.byteorder == "big":
            values.byteswap()
        return cls(values)

    def __contains__(self, mark: object) -> bool:
        if not isinstance(mark, int):
            return False
        at = bisect_left(self.values, mark)
        return at < len(self.values) and self.values[at] == mark

    def __iter__(self) -> Iterator[int]:
        return iter(self.values)

    def missing(self, marks: Iterable[int]) -> set[int]:
        """Those of `marks` not held."""
        return {mark for mark in marks if mark not in self}


def _mark_files_v6(conn: sqlite3.Connection) -> None:
    """The marks of every file recorded before version 6."""
    marks: dict[tuple[str, str], set[int]] = {}
    unknown: set[tuple[str, str]] = set()
    for feed, source, entries in conn.execute("SELECT feed, source, entries FROM files"):
        try:
            marks.setdefault((feed, source), set()).update(entry_marks(entries_from_json(entries)))
        except (ValueError, TypeError):
            unknown.add((feed, source))  # get_files reports it; without marks: the long way
    conn.executemany(
        "INSERT INTO entry_marks (feed, source, marks) VALUES (?, ?, ?)",
        [(*key, marks_to_blob(found)) for key, found in marks.items() if key not in unknown],
    )


# Version 6: what lets a run that finds only new files plan without reading every record back
# (`pipeline`): per source, hashes of every recorded entry's key, id and group id; per feed, the
# entries its last build planned from.
_V6: Sequence[Step] = (
    """
    CREATE TABLE entry_marks (
        feed   TEXT NOT NULL,
        source TEXT NOT NULL,
        marks  BLOB NOT NULL,  -- sorted 64-bit little-endian hashes (`entry_marks`)
        PRIMARY KEY (feed, source)
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE plan_cache (
        feed       TEXT NOT NULL PRIMARY KEY,
        config     TEXT NOT NULL,  -- fingerprint of the configuration it was planned under
        candidates TEXT NOT NULL   -- JSON list of [source, rel, entry as scanned]
    ) WITHOUT ROWID
    """,
    _mark_files_v6,
)

MIGRATIONS: Sequence[Sequence[Step]] = (_V1, _V2, _V3, _V4, _V5, _V6)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the schema to SCHEMA_VERSION, one transaction per migration; StoreError when the
    database is newer than this code."""
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: state database schema version {version} is newer than this feedkit"
            f" ({SCHEMA_VERSION}); upgrade feedkit"
        )
    for target, statements in enumerate(MIGRATIONS, start=1):
        if version >= target:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while this one waited for the write lock.
            (version,) = conn.execute("PRAGMA user_version").fetchone()
            if version < target:
                for step in statements:
                    if isinstance(step, str):
                        conn.execute(step)
                    else:
                        step(conn)
                conn.execute(f"PRAGMA user_version = {target}")
                version = target
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


# --- values ----------------------------------------------------------------------------------


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def iso_or_none(value: datetime | None) -> str | None:
    return None if value is None else iso(value)


def parse_iso(text: object) -> datetime:
    if not isinstance(text, str):
        raise ValueError(f"expected an ISO datetime string, got {text!r}")
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"expected an aware datetime, got {text!r}")
    return value.astimezone(UTC)


def parse_iso_or_none(text: object) -> datetime | None:
    return None if text is None else parse_iso(text)


def entry_to_dict(entry: Entry, *, compact: bool = False) -> dict[str, object]:
    """Every field of `entry` as JSON-ready values (the inverse of `entry_from_dict`); with
    `compact`, fields at their default value are left out (`entry_from_dict` puts them back)."""
    feed = entry.feed
    data: dict[str, object] = {
        "key": entry.key,
        "id": entry.id,
        "lang": entry.lang,
        "title": entry.title,
        "published": iso(entry.published),
        "updated": iso(entry.updated),
        "link": entry.link,
        "summary": entry.summary,
        "body": entry.body,
        "body_format": entry.body_format.value,
        "authors": list(entry.authors),
        "tags": list(entry.tags),
        "image": entry.image,
        "source": entry.source,
        "priority": entry.priority,
        "group_id": entry.group_id,
        "origin": entry.origin,
        "feed": None
        if feed is None
        else {
            "id": feed.id,
            "title": feed.title,
            "url": feed.url,
            "updated": iso_or_none(feed.updated),
        },
    }
    if compact:
        for name, default in _DEFAULTS.items():
            if data[name] == default:
                del data[name]
    return data


# Entry fields with a default, as `entry_to_dict` writes them.
_DEFAULTS: Mapping[str, object] = {
    "link": "",
    "summary": "",
    "body": "",
    "body_format": BodyFormat.MARKDOWN.value,
    "authors": [],
    "tags": [],
    "image": "",
    "source": "",
    "priority": 0,
    "group_id": "",
    "origin": "",
    "feed": None,
}


def scanned(entry: Entry) -> Entry:
    """`entry` as a scan gives it (`articles.parse_article(full=False)`): no title, summary or
    body, which only a full read of the file gives."""
    if not (entry.title or entry.summary or entry.body):
        return entry
    return replace(entry, title="", summary="", body="")


def _text(d: Mapping[str, object], name: str, default: str | None = None) -> str:
    value = d.get(name, default)
    if not isinstance(value, str):
        raise ValueError(f"{name!r} must be a string, got {value!r}")
    return value


def _texts(d: Mapping[str, object], name: str) -> tuple[str, ...]:
    value = d.get(name, [])
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{name!r} must be a list of strings, got {value!r}")
    return tuple(value)


@dataclass(slots=True)
class Shared:
    """Values already made while reading many entries (`entry_from_dict`), so that equal ones
    come out as one object."""

    texts: dict[str, str] = field(default_factory=dict)
    lists: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)
    dates: dict[str, datetime] = field(default_factory=dict)


def _one(shared: Shared | None, value: str) -> str:
    return value if shared is None else shared.texts.setdefault(value, value)


def _ones(shared: Shared | None, values: tuple[str, ...]) -> tuple[str, ...]:
    if shared is None:
        return values
    made = shared.lists.get(values)
    if made is None:
        made = shared.lists[values] = tuple(_one(shared, value) for value in values)
    return made


def _date(shared: Shared | None, text: object) -> datetime:
    if shared is None or not isinstance(text, str):
        return parse_iso(text)
    made = shared.dates.get(text)
    if made is None:
        made = shared.dates[text] = parse_iso(text)
    return made


def entry_from_dict(d: Mapping[str, object], shared: Shared | None = None) -> Entry:
    """The Entry `entry_to_dict` made; ValueError when `d` is not one (missing keys get defaults
    where Entry has them, unknown keys are ignored: data written by a newer feedkit still reads).

    With `shared` (one table for many entries), equal values come out as one object: a file's
    language versions share their dates, link, group id and origin, a folder's entries their
    source, languages, authors and tags.  The state store reads every file's scanned entries
    that way, a third less memory for a large folder.
    """
    if not isinstance(d, Mapping):
        raise ValueError(f"expected an entry object, got {d!r}")
    feed = d.get("feed")
    if feed is not None and not isinstance(feed, Mapping):
        raise ValueError(f"'feed' must be an object, got {feed!r}")
    priority = d.get("priority", 0)
    if not isinstance(priority, int) or isinstance(priority, bool):
        raise ValueError(f"'priority' must be an integer, got {priority!r}")
    return Entry(
        key=_one(shared, _text(d, "key")),
        id=_text(d, "id"),
        lang=_one(shared, _text(d, "lang")),
        title=_text(d, "title"),
        published=_date(shared, d.get("published")),
        updated=_date(shared, d.get("updated")),
        link=_one(shared, _text(d, "link", "")),
        summary=_text(d, "summary", ""),
        body=_text(d, "body", ""),
        body_format=BodyFormat(d.get("body_format", BodyFormat.MARKDOWN.value)),
        authors=_ones(shared, _texts(d, "authors")),
        tags=_ones(shared, _texts(d, "tags")),
        image=_text(d, "image", ""),
        source=_one(shared, _text(d, "source", "")),
        priority=priority,
        group_id=_one(shared, _text(d, "group_id", "")),
        origin=_one(shared, _text(d, "origin", "")),
        feed=None
        if feed is None
        else FeedOrigin(
            id=_text(feed, "id"),
            title=_text(feed, "title"),
            url=_text(feed, "url"),
            updated=parse_iso_or_none(feed.get("updated")),
        ),
    )


def dumps(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: SQLite text must be UTF-8, \u escapes are
        text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return text


def entries_to_json(entries: Iterable[Entry]) -> str:
    """Entries as compact JSON (`entry_to_dict(compact=True)`)."""
    return dumps([entry_to_dict(entry, compact=True) for entry in entries])


def entries_from_json(text: str, shared: Shared | None = None) -> tuple[Entry, ...]:
    items = json.loads(text)
    if not isinstance(items, list):
        raise ValueError(f"expected a list of entries, got {type(items).__name__}")
    return tuple(entry_from_dict(item, shared) for item in items)
