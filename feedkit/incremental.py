"""Local article folders read incrementally, with what was read kept in the state store.

An unchanged file (same size and mtime) is never read again; a touched file whose bytes did not
change keeps its entries as they were; an edited file keeps `published`, and its `updated` moves
only when an entry's content changed (to the time the change was first seen, unless the file
says a later `updated` itself); a deleted file's entries leave; a renamed file keeps its ids
(they come from the source URL) and its dates.  A file that cannot be listed (a broken link, a
sub-folder or the whole source folder unreadable or missing) is reported, not taken as deleted:
its last entries stay published and keep their dates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from pathlib import Path

from feedkit.articles import UNDATED_WARNING, parse_article, read_article
from feedkit.discover import FoundFile, find_articles
from feedkit.errors import ArticleError
from feedkit.model import ArticleOptions, Entry, Problem
from feedkit.remote import content_hash
from feedkit.store import FileRecord, Store
from feedkit.urls import UrlRules


@dataclass(slots=True)
class IndexPass:
    """What one pass over a folder found."""

    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    read: int = 0  # files read and parsed this pass
    removed: int = 0  # files gone since the last pass
    new: int = 0  # entries not seen before
    changed: int = 0  # entries whose content changed


@dataclass(slots=True)
class ArticleIndex:
    """The files of one article source as last read; loaded from the store once, then kept
    in memory (the daemon keeps one per source, so an idle pass is a stat per file)."""

    feed: str
    source: str
    records: dict[str, FileRecord] | None = None

    def undated_ids(self) -> set[str]:
        """Ids of entries dated by their file's modification time (the file has no date)."""
        return {
            entry.id
            for record in (self.records or {}).values()
            if UNDATED_WARNING in record.warnings
            for entry in record.entries
        }

    def refresh(
        self,
        root: Path,
        store: Store,
        *,
        now: datetime,
        priority: int,
        options: ArticleOptions,
        rules: UrlRules,
        tz: tzinfo,
    ) -> IndexPass:
        if self.records is None:
            self.records = store.get_files(self.feed, self.source)
        records = self.records
        found, unlisted = find_articles(root)
        result = IndexPass(problems=[Problem(where=str(p), message=why) for p, why in unlisted])
        changed: list[FileRecord] = []
        previous: dict[str, Entry] | None = None
        for item in found:
            record = records.get(item.rel)
            if record is not None and (record.size, record.mtime_ns) == (item.size, item.mtime_ns):
                result.entries.extend(_ranked(record.entries, priority))
                continue
            if previous is None:  # every entry as last read, by id: renames keep their dates
                previous = {e.id: e for r in records.values() for e in r.entries}
            fresh = self._read(item, record, previous, result, now, priority, options, rules, tz)
            if fresh is not None:
                changed.append(fresh)
                records[item.rel] = fresh
                record = fresh
            if record is not None:
                result.entries.extend(_ranked(record.entries, priority))
        present = {item.rel for item in found}
        unlisted_paths = {str(p) for p, _ in unlisted}
        gone = []
        for rel, record in records.items():
            if rel in present:
                continue
            if _unlisted(root / rel, unlisted_paths):  # not known to be gone: keep what it gave
                result.entries.extend(_ranked(record.entries, priority))
            else:
                gone.append(rel)
        for rel in gone:
            del records[rel]
        result.removed = len(gone)
        if changed or gone:
            store.put_files(self.feed, self.source, changed, gone)
        return result

    def _read(
        self,
        item: FoundFile,
        record: FileRecord | None,
        previous: dict[str, Entry],
        result: IndexPass,
        now: datetime,
        priority: int,
        options: ArticleOptions,
        rules: UrlRules,
        tz: tzinfo,
    ) -> FileRecord | None:
        """Read one new or changed file; None when it failed (the last good record stays)."""
        try:
            article = read_article(
                item, source=self.source, priority=priority, max_size=options.max_file_size
            )
            digest = hashlib.sha256(article.data).hexdigest()
            if record is not None and record.digest == digest:  # touched, not edited
                return replace(record, size=item.size, mtime_ns=item.mtime_ns)
            parsed = parse_article(article, options, rules, tz)
        except ArticleError as exc:
            where = f"{exc.path}:{exc.line}" if exc.line else str(exc.path)
            result.problems.append(Problem(where=where, message=exc.reason))
            return None
        result.read += 1
        result.problems.extend(
            Problem(where=str(item.path), message=text, fatal=False) for text in parsed.warnings
        )
        entries = tuple(_carry_dates(e, previous.get(e.id), now) for e in parsed.entries)
        for before, after in zip(
            (previous.get(e.id) for e in parsed.entries), entries, strict=True
        ):
            result.new += before is None
            result.changed += before is not None and after.updated != before.updated
        return FileRecord(
            rel=item.rel,
            size=item.size,
            mtime_ns=item.mtime_ns,
            digest=digest,
            entries=entries,
            warnings=parsed.warnings,
        )


def _carry_dates(entry: Entry, before: Entry | None, now: datetime) -> Entry:
    """Keep what was published; move `updated` only when the content changed."""
    if before is None:
        return entry
    if content_hash(entry) == content_hash(before):
        return replace(entry, published=before.published, updated=before.updated)
    if entry.updated <= before.updated:  # the file did not say it was updated: we saw it now
        return replace(entry, updated=max(now, entry.published))
    return entry


def _unlisted(path: Path, unlisted: set[str]) -> bool:
    """Whether `path` could not be listed, itself or through a folder above it (or the source
    folder itself): its file is not known to be gone, so its entries stay."""
    return bool(unlisted) and any(str(p) in unlisted for p in (path, *path.parents))


def _ranked(entries: Iterable[Entry], priority: int) -> list[Entry]:
    return [e if e.priority == priority else replace(e, priority=priority) for e in entries]
