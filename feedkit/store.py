"""SQLite state: what feedkit remembers between runs (the only module that touches the database).

Everything is keyed by (feed name, source name): fetch state per remote source, every entry a
source has offered with its content hash and first/last sighting, ids removed by pruning, and the
local files already read: every file as scanned, and the complete entries of those published
(see `feedkit.store_schema` for the format). WAL mode, `synchronous=NORMAL`, a 5 s busy
timeout; every write is one `BEGIN IMMEDIATE` transaction, so a process killed mid-run leaves
the previous state and two writers wait for each other instead of failing. sqlite3 errors never
escape: they become `StoreError("<path>: <reason>")`.

Pruning is by an explicit count or age policy only. The caller never prunes after a failed or
empty fetch: entries a feed stopped carrying stay published until the policy removes them.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from feedkit.errors import StoreError
from feedkit.ids import content_hash
from feedkit.model import Entry
from feedkit.store_schema import (
    Marks,
    Shared,
    dumps,
    entries_from_json,
    entries_to_json,
    entry_from_dict,
    entry_marks,
    entry_to_dict,
    iso,
    iso_or_none,
    marks_to_blob,
    migrate,
    parse_iso,
    parse_iso_or_none,
)

__all__ = [
    "FAILURE_LOG_SIZE",
    "FileContent",
    "FileRecord",
    "LinkRecord",
    "MergeResult",
    "Published",
    "SourceState",
    "SourceSummary",
    "Store",
    "entry_from_dict",
    "entry_to_dict",
]

log = logging.getLogger(__name__)

FAILURE_LOG_SIZE = 20  # failures kept per source
PRUNED_MEMORY = timedelta(days=365)  # a pruned id no longer offered for this long is forgotten
_STATE_COLUMNS = (
    "url, etag, last_modified, permanent_url, retired, last_fetch, last_success, last_error, "
    "last_status, failures, next_due, feed_title"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceState:
    """Fetch state of one remote source."""

    url: str  # as configured
    etag: str | None = None  # opaque, sent back as If-None-Match
    last_modified: str | None = None  # opaque, sent back as If-Modified-Since
    permanent_url: str | None = None  # the target of a 301/308, shown in `status`
    retired: bool = False  # the server answered 410 Gone
    last_fetch: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    last_status: int | None = None
    failures: int = 0  # consecutive
    next_due: datetime | None = None  # None: due on every pass
    feed_title: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class MergeResult:
    """What `Store.merge_entries` did; `entries` are the given ones as stored (input order)."""

    new: int
    changed: int
    unchanged: int
    skipped_pruned: int
    entries: tuple[Entry, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class FileRecord:
    """A local file already read: its size, mtime and digest, and what reading it gave."""

    rel: str  # path relative to the source's folder, "/"-separated
    size: int
    mtime_ns: int
    digest: str
    entries: tuple[Entry, ...]  # as scanned (feedkit.incremental): no title, summary or body
    warnings: tuple[str, ...] = ()
    # per entry, the content hash of its complete version ("" while the file was only scanned)
    hashes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class FileContent:
    """The complete entries of one version (`digest`) of a local file, as published."""

    rel: str
    digest: str
    entries: tuple[Entry, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Published:
    """What a feed's last build wrote, and from what: while the configuration (`config`, a
    fingerprint) and every input are unchanged and the files are still as written, building
    again would write the same bytes."""

    config: str
    folder: str  # where its files are
    files: tuple[tuple[str, int, int], ...]  # (name, size, mtime_ns) of each, as written
    counts: Mapping[str, int]  # published entries per source
    entries: int  # of the combined feed


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanCache:
    """The entries a feed's last build planned from (`plan.preselect`'s choice), each with its
    source and file, under the configuration `config` (a fingerprint).  Any record written
    since forgets it."""

    config: str
    candidates: tuple[tuple[str, str, Entry], ...]  # (source, rel, entry as scanned)


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceSummary:
    """One source as `status` shows it; `state` is None for a source never fetched (local)."""

    source: str
    state: SourceState | None
    entries: int  # stored entries
    files: int  # local files recorded
    published: int = 0  # entries of this source in the last run's feeds
    last_run: datetime | None = None
    last_run_ok: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkRecord:
    """The last check of one source link (`feedkit.linkcheck`); `meta` is opaque JSON text."""

    url: str  # canonical URL: the key
    link: str  # the URL as fetched
    checked_at: datetime
    next_check: datetime
    status: str  # "ok", "dead" or "failed"
    http_status: int | None = None
    dead_count: int = 0  # consecutive 404/410 answers
    failures: int = 0  # consecutive failed checks
    etag: str | None = None
    last_modified: str | None = None
    meta: str | None = None
    error: str = ""


_LINK_COLUMNS = (
    "url, link, checked_at, next_check, status, http_status, dead_count, failures, etag,"
    " last_modified, meta, error"
)


# --- the store -------------------------------------------------------------------------------


class Store:
    """An open state database. Use `Store.open(path, clock=...)`, as a context manager.

    `now` arguments default to the clock's time. One Store per thread (sqlite3's rule); any
    number of Stores, in threads or processes, may share one file.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path, clock: Callable[[], datetime]):
        self._conn = conn
        self.path = path
        self._clock = clock

    @classmethod
    def open(cls, path: Path, *, clock: Callable[[], datetime]) -> Store:
        """Open (creating it and its folders if needed) and migrate the database at `path`."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=5.0, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{path}: cannot open the state database: {exc}") from exc
        try:
            conn.execute("PRAGMA busy_timeout = 5000")
            mode = _wal_mode(conn)
            if str(mode).lower() != "wal":
                log.warning("%s: WAL mode unavailable, using journal mode %s", path, mode)
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            migrate(conn, path)
        except sqlite3.Error as exc:
            conn.close()
            raise StoreError(f"{path}: not a usable state database: {exc}") from exc
        except BaseException:
            conn.close()
            raise
        return cls(conn, path, clock)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def _guard(self) -> Iterator[sqlite3.Connection]:
        """sqlite3 errors (locked, corrupt, closed) as StoreError naming the database."""
        try:
            yield self._conn
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: {exc}") from exc

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed whole, or rolled back whole."""
        with self._guard() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def _replace_row(self, table: str, values: Sequence[object]) -> None:
        """Insert one row into `table` ("name (columns)"), replacing the one with its key."""
        with self._tx() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO {table} VALUES ({', '.join('?' * len(values))})", values
            )

    def _rows(self, sql: str, *params: object) -> list[Any]:
        with self._guard() as conn:
            return conn.execute(sql, params).fetchall()

    def _corrupt(self, what: str, exc: Exception) -> StoreError:
        return StoreError(f"{self.path}: stored {what} unreadable: {exc}")

    # --- fetch state ---

    def get_source(self, feed: str, source: str) -> SourceState | None:
        rows = self._rows(
            f"SELECT {_STATE_COLUMNS} FROM sources WHERE feed = ? AND source = ?", feed, source
        )
        return _state_from_row(rows[0]) if rows else None

    def put_source(self, feed: str, source: str, state: SourceState) -> None:
        s = state
        values = (
            *(feed, source, s.url, s.etag, s.last_modified, s.permanent_url, int(s.retired)),
            *(iso_or_none(s.last_fetch), iso_or_none(s.last_success), s.last_error),
            *(s.last_status, s.failures, iso_or_none(s.next_due), s.feed_title),
        )
        self._replace_row(f"sources (feed, source, {_STATE_COLUMNS})", values)

    def record_failure(self, feed: str, source: str, when: datetime | None, message: str) -> None:
        """Log one failure; only the last FAILURE_LOG_SIZE of each source are kept."""
        key = (feed, source)
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO failures (feed, source, at, message) VALUES (?, ?, ?, ?)",
                (*key, iso(when or self._clock()), message),
            )
            conn.execute(
                "DELETE FROM failures WHERE feed = ? AND source = ? AND seq <= (SELECT seq FROM"
                " failures WHERE feed = ? AND source = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)",
                (*key, *key, FAILURE_LOG_SIZE),
            )

    def recent_failures(
        self, feed: str, source: str, limit: int = FAILURE_LOG_SIZE
    ) -> list[tuple[datetime, str]]:
        """(time, message) of the last `limit` failures, newest first."""
        rows = self._rows(
            "SELECT at, message FROM failures WHERE feed = ? AND source = ?"
            " ORDER BY seq DESC LIMIT ?",
            *(feed, source, limit),
        )
        return [(parse_iso(at), message) for at, message in rows]

    # --- entries ---

    def merge_entries(
        self, feed: str, source: str, entries: Sequence[Entry], now: datetime | None = None
    ) -> MergeResult:
        """Upsert what a fetch offered; `last_seen = now` for all.

        New: `first_seen = now`. Same content hash as stored: the stored `published`/`updated`
        are kept. Changed hash: the new data is stored, and if its `updated` is not later than
        the stored one it becomes `now` (the time the change was first seen). Ids pruned before
        are skipped.
        """
        now = now or self._clock()
        counts = dict.fromkeys(("new", "changed", "unchanged", "skipped_pruned"), 0)
        merged: list[Entry] = []
        with self._tx() as conn:
            for entry in entries:
                kind, stored = _merge_one(conn, (feed, source, entry.id), entry, now)
                counts[kind] += 1
                if stored is not None:
                    merged.append(stored)
        return MergeResult(
            new=counts["new"],
            changed=counts["changed"],
            unchanged=counts["unchanged"],
            skipped_pruned=counts["skipped_pruned"],
            entries=tuple(merged),
        )

    def stored_entries(self, feed: str, source: str) -> list[Entry]:
        """Every stored entry of the source, newest published first."""
        rows = self._rows(
            "SELECT id, data FROM entries WHERE feed = ? AND source = ?"
            " ORDER BY published DESC, id",
            *(feed, source),
        )
        try:
            return [entry_from_dict(json.loads(data)) for _id, data in rows]
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            raise self._corrupt(f"entry of {feed}/{source}", exc) from exc

    def first_seen(self, feed: str, source: str, entry_id: str) -> datetime | None:
        rows = self._rows(
            "SELECT first_seen FROM entries WHERE feed = ? AND source = ? AND id = ?",
            *(feed, source, entry_id),
        )
        return parse_iso(rows[0][0]) if rows else None

    def prune(
        self,
        feed: str,
        source: str,
        *,
        max_entries: int | None,
        max_age: timedelta | None,
        now: datetime | None = None,
    ) -> int:
        """Delete entries beyond the newest `max_entries` (by published, then id) and/or published
        before `now - max_age`, remembering their ids so they do not come back as new; return how
        many went.

        Never call it after a failed or empty fetch. Pruned ids the source has not offered for
        PRUNED_MEMORY are forgotten here too.
        """
        now = now or self._clock()
        key = (feed, source)
        where = "FROM entries WHERE feed = ? AND source = ?"
        with self._tx() as conn:
            doomed: set[str] = set()
            if max_entries is not None:
                sql = f"SELECT id {where} ORDER BY published DESC, id LIMIT -1 OFFSET ?"
                doomed.update(r[0] for r in conn.execute(sql, (*key, max(max_entries, 0))))
            if max_age is not None:
                sql = f"SELECT id {where} AND published < ?"
                doomed.update(r[0] for r in conn.execute(sql, (*key, iso(now - max_age))))
            stamp = iso(now)
            conn.executemany(
                "INSERT OR REPLACE INTO pruned (feed, source, id, pruned_at, last_seen)"
                " VALUES (?, ?, ?, ?, ?)",
                [(*key, i, stamp, stamp) for i in sorted(doomed)],
            )
            conn.executemany(f"DELETE {where} AND id = ?", [(*key, i) for i in doomed])
            conn.execute(
                "DELETE FROM pruned WHERE feed = ? AND source = ? AND last_seen < ?",
                (*key, iso(now - PRUNED_MEMORY)),
            )
        return len(doomed)

    def delete_source_entries(self, feed: str, source: str, ids: Sequence[str]) -> int:
        """Forget entries (of local files removed since); they are not remembered as pruned."""
        sql = "DELETE FROM entries WHERE feed = ? AND source = ? AND id = ?"
        with self._tx() as conn:
            return sum(conn.execute(sql, (feed, source, i)).rowcount for i in ids)

    # --- local files ---

    def get_files(
        self, feed: str, source: str, rels: Iterable[str] | None = None
    ) -> dict[str, FileRecord]:
        """Every file recorded for the source, by `rel`; with `rels`, those of them recorded."""
        sql = (
            "SELECT rel, size, mtime_ns, digest, entries, warnings, hashes FROM files"
            " WHERE feed = ? AND source = ?"
        )
        if rels is None:
            rows = self._rows(sql, *(feed, source))
        else:
            with self._guard() as conn:
                rows = [
                    row
                    for rel in sorted(set(rels))
                    for row in conn.execute(sql + " AND rel = ?", (feed, source, rel))
                ]
        out = {}
        shared = Shared()  # equal values as one object: a third less memory
        for rel, size, mtime_ns, digest, entries, warnings, hashes in rows:
            try:
                parsed = entries_from_json(entries, shared), _strings(warnings), _strings(hashes)
            except (ValueError, TypeError) as exc:
                raise self._corrupt(f"file {feed}/{source}/{rel}", exc) from exc
            out[rel] = FileRecord(
                rel=rel,
                size=size,
                mtime_ns=mtime_ns,
                digest=digest,
                entries=parsed[0],
                warnings=parsed[1],
                hashes=parsed[2],
            )
        return out

    def get_file_stats(self, feed: str, source: str) -> dict[str, tuple[int, int, str]]:
        """(size, mtime_ns, digest) of every file recorded for the source, by `rel`: what tells
        an unchanged file, or a touched one, without reading the records."""
        rows = self._rows(
            "SELECT rel, size, mtime_ns, digest FROM files WHERE feed = ? AND source = ?",
            *(feed, source),
        )
        return {rel: (size, mtime_ns, digest) for rel, size, mtime_ns, digest in rows}

    def put_files(
        self, feed: str, source: str, records: Sequence[FileRecord], removed: Sequence[str]
    ) -> None:
        """Record files read (replacing earlier records) and forget `removed` ones (and their
        contents), atomically."""
        rows = [
            (
                *(feed, source, r.rel, r.size, r.mtime_ns, r.digest),
                entries_to_json(r.entries),
                dumps(list(r.warnings)),
                dumps(list(r.hashes)),
            )
            for r in records
        ]
        gone = [(feed, source, rel) for rel in removed]
        added = entry_marks(e for r in records for e in r.entries)
        with self._tx() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO files"
                " (feed, source, rel, size, mtime_ns, digest, entries, warnings, hashes)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            conn.executemany("DELETE FROM files WHERE feed = ? AND source = ? AND rel = ?", gone)
            conn.executemany(
                "DELETE FROM file_contents WHERE feed = ? AND source = ? AND rel = ?", gone
            )
            # The marks only grow (a file gone leaves its own: a false alarm costs a long way).
            # A source without them gets them once these records are all it has; until then a
            # run plans it the long way.
            row = conn.execute(
                "SELECT marks FROM entry_marks WHERE feed = ? AND source = ?", (feed, source)
            ).fetchone()
            marks = None if row is None else self._marks(feed, source, row[0])
            if marks is not None:
                missing = marks.missing(added)  # (mostly none: records written again)
                if missing:
                    conn.execute(
                        "UPDATE entry_marks SET marks = ? WHERE feed = ? AND source = ?",
                        (marks_to_blob([*marks, *missing]), feed, source),
                    )
            elif row is not None:  # unreadable: not known from now on
                conn.execute(
                    "DELETE FROM entry_marks WHERE feed = ? AND source = ?", (feed, source)
                )
            else:
                (count,) = conn.execute(
                    "SELECT count(*) FROM files WHERE feed = ? AND source = ?", (feed, source)
                ).fetchone()
                if count == len({r.rel for r in records}):
                    conn.execute(
                        "INSERT INTO entry_marks (feed, source, marks) VALUES (?, ?, ?)",
                        (feed, source, marks_to_blob(added)),
                    )
            conn.execute("DELETE FROM plan_cache WHERE feed = ?", (feed,))

    def get_marks(self, feed: str, source: str) -> Marks | None:
        """Hashes of every recorded entry's key, id and group id (`store_schema.entry_marks`),
        and perhaps of some no longer recorded; None when not known."""
        rows = self._rows(
            "SELECT marks FROM entry_marks WHERE feed = ? AND source = ?", *(feed, source)
        )
        return self._marks(feed, source, rows[0][0]) if rows else None

    def _marks(self, feed: str, source: str, blob: object) -> Marks | None:
        """Stored marks; None when unreadable (they only save reading every record)."""
        try:
            if not isinstance(blob, bytes):
                raise ValueError(f"expected bytes, got {type(blob).__name__}")
            return Marks.from_blob(blob)
        except ValueError:
            log.warning("%s: marks of %s/%s unreadable: reading records", self.path, feed, source)
            return None

    def get_contents(self, feed: str, source: str, rels: Iterable[str]) -> dict[str, FileContent]:
        """The stored contents of those of `rels` that have some, by `rel`."""
        out: dict[str, FileContent] = {}
        sql = "SELECT digest, entries FROM file_contents WHERE feed = ? AND source = ? AND rel = ?"
        with self._guard() as conn:
            for rel in rels:
                row = conn.execute(sql, (feed, source, rel)).fetchone()
                if row is None:
                    continue
                try:
                    entries = entries_from_json(row[1])
                except (ValueError, TypeError) as exc:
                    raise self._corrupt(f"contents of {feed}/{source}/{rel}", exc) from exc
                out[rel] = FileContent(rel=rel, digest=row[0], entries=entries)
        return out

    def content_rels(self, feed: str, source: str) -> set[str]:
        """The files of the source that have stored contents."""
        rows = self._rows(
            "SELECT rel FROM file_contents WHERE feed = ? AND source = ?", *(feed, source)
        )
        return {row[0] for row in rows}

    def put_contents(
        self, feed: str, source: str, contents: Sequence[FileContent], dropped: Sequence[str]
    ) -> None:
        """Store files' contents (replacing earlier ones) and forget the `dropped` ones."""
        rows = [(feed, source, c.rel, c.digest, entries_to_json(c.entries)) for c in contents]
        with self._tx() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO file_contents (feed, source, rel, digest, entries)"
                " VALUES (?, ?, ?, ?, ?)",
                rows,
            )
            conn.executemany(
                "DELETE FROM file_contents WHERE feed = ? AND source = ? AND rel = ?",
                [(feed, source, rel) for rel in dropped],
            )

    # --- published feeds ---

    def get_published(self, feed: str) -> Published | None:
        """What the feed's last complete build wrote; None when there was none since the last
        build started, or when the row cannot be read (it only saves a build: the next build
        replaces it)."""
        rows = self._rows(
            "SELECT config, folder, files, counts, entries FROM published WHERE feed = ?", feed
        )
        if not rows:
            return None
        config, folder, files, counts, entries = rows[0]
        try:
            listed = tuple((str(r), int(size), int(mtime)) for r, size, mtime in json.loads(files))
            per_source = {str(name): int(count) for name, count in json.loads(counts).items()}
        except (ValueError, TypeError, AttributeError):
            log.warning("%s: stored build of %s unreadable: building it again", self.path, feed)
            return None
        return Published(
            config=config, folder=folder, files=listed, counts=per_source, entries=entries
        )

    def put_published(self, feed: str, published: Published) -> None:
        """Record what a build wrote."""
        self._replace_row(
            "published (feed, config, folder, files, counts, entries)",
            (
                feed,
                published.config,
                published.folder,
                dumps([list(item) for item in published.files]),
                dumps(dict(published.counts)),
                published.entries,
            ),
        )

    def get_plan_cache(self, feed: str) -> PlanCache | None:
        """The entries the feed's last build planned from, if no record changed since; None
        otherwise, or when the row cannot be read (it only saves reading every record)."""
        rows = self._rows("SELECT config, candidates FROM plan_cache WHERE feed = ?", feed)
        if not rows:
            return None
        config, candidates = rows[0]
        try:
            items = json.loads(candidates)
            planned = tuple(
                (str(source), str(rel), entry_from_dict(entry)) for source, rel, entry in items
            )
        except (ValueError, TypeError, AttributeError):
            log.warning("%s: stored plan of %s unreadable: planning it again", self.path, feed)
            return None
        return PlanCache(config=config, candidates=planned)

    def put_plan_cache(self, feed: str, cache: PlanCache) -> None:
        """Record what a build planned from (any write of file records forgets it)."""
        items = [[src, rel, entry_to_dict(e, compact=True)] for src, rel, e in cache.candidates]
        self._replace_row(
            "plan_cache (feed, config, candidates)", (feed, cache.config, dumps(items))
        )

    def forget_published(self, feed: str) -> None:
        """Forget what the feed's last build wrote: a build is starting."""
        with self._tx() as conn:
            conn.execute("DELETE FROM published WHERE feed = ?", (feed,))

    # --- source links ---

    def get_link(self, url: str) -> LinkRecord | None:
        """The stored check of the canonical URL `url`, if any."""
        rows = self._rows(f"SELECT {_LINK_COLUMNS} FROM links WHERE url = ?", url)
        return _link_from_row(rows[0]) if rows else None

    def put_link(self, record: LinkRecord) -> None:
        """Store (replace) the check of `record.url`."""
        r = record
        values = (
            *(r.url, r.link, iso(r.checked_at), iso(r.next_check), r.status, r.http_status),
            *(r.dead_count, r.failures, r.etag, r.last_modified, r.meta, r.error),
        )
        self._replace_row(f"links ({_LINK_COLUMNS})", values)

    def dead_links(self, min_count: int) -> list[LinkRecord]:
        """Links that answered 404/410 at least `min_count` checks in a row, most first."""
        rows = self._rows(
            f"SELECT {_LINK_COLUMNS} FROM links WHERE dead_count >= ?"
            " ORDER BY dead_count DESC, url",
            max(min_count, 1),
        )
        return [_link_from_row(row) for row in rows]

    def link_summary(self) -> tuple[int, int, datetime | None]:
        """Source links checked, how many of those are ok, and the earliest next check."""
        [(count, ok, soonest)] = self._rows(
            "SELECT count(*), coalesce(sum(status = 'ok'), 0), min(next_check) FROM links"
        )
        return count, ok, parse_iso(soonest) if soonest else None

    # --- status ---

    def record_run(
        self, feed: str, outcomes: Mapping[str, tuple[int, bool]], when: datetime | None = None
    ) -> None:
        """Remember, per source, how many entries the run at `when` published and if it was ok."""
        stamp = iso(when or self._clock())
        with self._tx() as conn:
            conn.executemany(
                "INSERT INTO runs (feed, source, run_at, published, ok) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (feed, source) DO UPDATE SET run_at = excluded.run_at,"
                " published = excluded.published, ok = excluded.ok",
                [(feed, name, stamp, count, int(ok)) for name, (count, ok) in outcomes.items()],
            )

    def feeds(self) -> list[str]:
        """Every feed name the database holds something for, sorted."""
        rows = self._rows(
            "SELECT feed FROM sources UNION SELECT feed FROM entries"
            " UNION SELECT feed FROM files ORDER BY feed"
        )
        return [r[0] for r in rows]

    def summary(self, feed: str) -> list[SourceSummary]:
        """Per source of `feed` (sorted by name): fetch state and counts of what is stored."""
        sql = "SELECT source, {} FROM {} WHERE feed = ? GROUP BY source"
        states = {
            r[0]: _state_from_row(r[1:])
            for r in self._rows(sql.format(_STATE_COLUMNS, "sources"), feed)
        }
        entries = dict(self._rows(sql.format("count(*)", "entries"), feed))
        files = dict(self._rows(sql.format("count(*)", "files"), feed))
        runs = {
            r[0]: (r[1], parse_iso(r[2]), bool(r[3]))
            for r in self._rows(
                "SELECT source, published, run_at, ok FROM runs WHERE feed = ?", feed
            )
        }
        return [
            SourceSummary(
                source=name,
                state=states.get(name),
                entries=entries.get(name, 0),
                files=files.get(name, 0),
                published=runs[name][0] if name in runs else 0,
                last_run=runs[name][1] if name in runs else None,
                last_run_ok=runs[name][2] if name in runs else True,
            )
            for name in sorted(states.keys() | entries.keys() | files.keys() | runs.keys())
        ]


def _strings(text: str) -> tuple[str, ...]:
    """A JSON list of strings."""
    items = json.loads(text)
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise ValueError(f"expected a list of strings, got {text[:80]!r}")
    return tuple(items)


def _wal_mode(conn: sqlite3.Connection, attempts: int = 50) -> str:
    """Switch to WAL.  SQLite answers "database is locked" at once, without waiting for the
    busy timeout, when another connection is switching the same new file: try again."""
    for attempt in range(attempts):
        try:
            (mode,) = conn.execute("PRAGMA journal_mode = WAL").fetchone()
            return str(mode)
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05)
    raise AssertionError("unreachable")


def _merge_one(
    conn: sqlite3.Connection, key: tuple[str, str, str], entry: Entry, now: datetime
) -> tuple[str, Entry | None]:
    """Store one offered entry (see `Store.merge_entries`): its kind and the entry as stored."""
    stamp = iso(now)
    where = "WHERE feed = ? AND source = ? AND id = ?"
    if conn.execute(f"UPDATE pruned SET last_seen = ? {where}", (stamp, *key)).rowcount:
        return "skipped_pruned", None
    digest = content_hash(entry)
    row = conn.execute(f"SELECT content_hash, published, updated FROM entries {where}", key)
    stored = row.fetchone()
    if stored is None:
        kind = "new"
    elif stored[0] == digest:
        kind = "unchanged"
        entry = dataclasses.replace(
            entry, published=parse_iso(stored[1]), updated=parse_iso(stored[2])
        )
    else:
        kind = "changed"
        if entry.updated <= parse_iso(stored[2]):
            entry = dataclasses.replace(entry, updated=max(now, entry.published))
    conn.execute(
        "INSERT INTO entries (feed, source, id, key, lang, data, content_hash, first_seen,"
        " last_seen, published, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (feed, source, id) DO UPDATE SET key = excluded.key, lang = excluded.lang,"
        " data = excluded.data, content_hash = excluded.content_hash,"
        " last_seen = excluded.last_seen, published = excluded.published,"
        " updated = excluded.updated",
        (
            *(*key, entry.key, entry.lang, dumps(entry_to_dict(entry)), digest),
            *(stamp, stamp, iso(entry.published), iso(entry.updated)),
        ),
    )
    return kind, entry


def _link_from_row(row: Sequence[Any]) -> LinkRecord:
    """A LinkRecord from the `_LINK_COLUMNS` of a `links` row."""
    return LinkRecord(
        url=row[0],
        link=row[1],
        checked_at=parse_iso(row[2]),
        next_check=parse_iso(row[3]),
        status=row[4],
        http_status=row[5],
        dead_count=row[6],
        failures=row[7],
        etag=row[8],
        last_modified=row[9],
        meta=row[10],
        error=row[11],
    )


def _state_from_row(row: Sequence[Any]) -> SourceState:
    """A SourceState from the `_STATE_COLUMNS` of a `sources` row."""
    return SourceState(
        url=row[0],
        etag=row[1],
        last_modified=row[2],
        permanent_url=row[3],
        retired=bool(row[4]),
        last_fetch=parse_iso_or_none(row[5]),
        last_success=parse_iso_or_none(row[6]),
        last_error=row[7],
        last_status=row[8],
        failures=row[9],
        next_due=parse_iso_or_none(row[10]),
        feed_title=row[11],
    )
