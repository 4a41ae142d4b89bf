"""Local article folders read incrementally, with what was read kept in the state store.

An unchanged file (same size and mtime) is never read again; a touched file whose bytes did not
change keeps its entries as they were; an edited file keeps `published`, and its `updated` moves
only when an entry's content changed (to the time the change was first seen, unless the file
says a later `updated` itself); a deleted file's entries leave; a renamed file keeps its ids
(they come from the source URL) and its dates.  A file that cannot be listed (a broken link, a
sub-folder or the whole source folder unreadable or missing) is reported, not taken as deleted:
its last entries stay published and keep their dates.

**Scanned, then read in full while published.**  A new file is *scanned*
(`parse_article(full=False)`: ids, keys, languages, dates, links, tags; no title, summary or
body), which is all deduplication and planning need, and only its digest and scanned entries
are kept.  The entries a pass publishes are completed by `ArticleIndex.complete`, which reads
their files in full once and keeps the complete entries, in memory and in the store
(`file_contents`), for as long as they stay published: `release` forgets those of files that
left the feeds.  So the first pass over a folder reads every file once, cheaply, and memory and
the database grow with the scanned entries of the archive (small) and the complete entries of
what is published.  A file that breaks after an edit keeps its last good version published,
also across processes, because that version is among the stored contents.

Whether an edited entry's content changed is decided by content hashes (`ids.content_hash`),
known for files once read in full: an edited file whose entries were seen before is read in
full at once.  An entry never published was never read in full and has no hash; when its file
is edited, its `updated` moves to the time the edit was seen, as nobody can tell that its
content stayed the same.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from feedkit.articles import (
    UNDATED_WARNING,
    ArticleFile,
    ParsedArticle,
    parse_article,
    read_article,
    scan_article,
)
from feedkit.discover import FoundFile, list_articles
from feedkit.errors import ArticleError
from feedkit.ids import content_hash
from feedkit.model import ArticleOptions, Entry, Problem, Scanned
from feedkit.reading import pays_to_spread, spread
from feedkit.store import FileContent, FileRecord, PlanCache, Store
from feedkit.store_schema import Marks, entry_mark, scanned
from feedkit.urls import UrlRules


@dataclass(slots=True)
class IndexPass:
    """What one pass over a folder found (its entries: `ArticleIndex.entries`)."""

    problems: list[Problem] = field(default_factory=list)
    read: int = 0  # files read and parsed this pass
    removed: int = 0  # files gone since the last pass
    new: int = 0  # entries not seen before
    changed: int = 0  # entries whose content changed
    # What a run can plan from without reading every record back (`pipeline`), when the
    # records were not loaded: the files recorded for the first time, how many recorded ones
    # were recorded again, and, as they were before this pass wrote, the marks of every
    # recorded entry and the feed's plan cache (None: not known).
    added: list[FileRecord] = field(default_factory=list)
    replaced: int = 0
    marks: Marks | None = None
    cache: PlanCache | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Reading:
    """How the files of one source are read (from its configuration)."""

    options: ArticleOptions
    rules: UrlRules
    tz: tzinfo


@dataclass(frozen=True, slots=True)
class _Seen:
    """An entry as the last pass left it, with what tells whether its content changed."""

    entry: Entry
    digest: str  # of the file it came from
    hash: str  # its content hash, "" when its file was never read in full


@dataclass(slots=True)
class ArticleIndex:
    """The files of one article source as last read, kept in memory once loaded from the store
    (the daemon keeps one per source, so an idle pass is a stat per file).

    What a pass must know first, each file's size and mtime (`stats`), is loaded alone; the
    records, with every file's scanned entries, are loaded only when something changed or the
    entries are asked for (`entries`): a fresh process over an unchanged folder (`run --once`
    from cron) reads no entry back."""

    feed: str
    source: str
    records: dict[str, FileRecord] | None = None  # by rel, once loaded
    stats: dict[str, tuple[int, int, str]] | None = None  # (size, mtime_ns, digest) by rel
    # complete entries of the files read in full, by rel, while they are published
    contents: dict[str, FileContent] = field(default_factory=dict)
    _entries: tuple[Entry, ...] | None = None  # every record's entries, ranked with _priority
    _priority: int = 0
    _origins: dict[str, str] | None = None  # entry origin (the file's path) -> rel
    _stored: set[str] | None = None  # rels with contents in the store
    _used: set[str] = field(default_factory=set)  # rels completed since the last release
    _unsaved: set[str] = field(default_factory=set)  # rels whose contents or hashes are new
    _partial: dict[str, FileRecord] | None = None  # records read for a partial plan

    def undated_ids(self, store: Store) -> set[str]:
        """Ids of entries dated by their file's modification time (the file has no date)."""
        return {
            entry.id
            for record in self._records(store).values()
            if UNDATED_WARNING in record.warnings
            for entry in record.entries
        }

    def entries(self, store: Store, priority: int) -> list[Entry]:
        """Every recorded file's entries as scanned, in path order, at `priority`."""
        records = self._records(store)
        if self._entries is None or priority != self._priority:
            self._entries = tuple(_ranked(records, priority))
            self._priority = priority
            self._origins = None
        return list(self._entries)

    def _records(self, store: Store) -> dict[str, FileRecord]:
        if self.records is None:
            self.records = store.get_files(self.feed, self.source)
            if self.stats is None:
                self.stats = {r.rel: (r.size, r.mtime_ns, r.digest) for r in self.records.values()}
        return self.records

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
        """Bring the index up to date with the folder: stat every file, scan the new and
        changed ones, forget the deleted ones.  The entries are `entries()`'s."""
        if self.stats is None:
            self.stats = store.get_file_stats(self.feed, self.source)
        stats = self.stats
        found, unlisted = _stat_listed(root, stats)
        result = IndexPass(problems=[Problem(where=str(p), message=why) for p, why in unlisted])
        reading = Reading(options=options, rules=rules, tz=tz)
        changed: list[FileRecord] = []
        # every entry as last read, by id (renames keep their dates), made when first needed
        previous = _Previous(
            lambda: self._records(store), lambda: store.get_marks(self.feed, self.source)
        )
        items = [item for item in found if not isinstance(item, str)]  # new or changed
        # when every recorded file was found, none is gone
        recorded = len(stats)
        known = len(found) - len(items) + sum(item.rel in stats for item in items)
        digests = {item.rel: stats[item.rel][2] for item in items if item.rel in stats}
        loader = _Loader(self.source, priority, reading, digests)
        for item, loaded in zip(items, loader.load_all(items), strict=True):
            fresh = self._read(item, loaded, previous, result, now, loader)
            if fresh is not None:
                changed.append(fresh)
                if item.rel in stats:
                    result.replaced += 1
                else:
                    result.added.append(fresh)
        gone = [] if known == recorded else _gone(root, stats, found, unlisted)
        if changed or gone:
            if self.records is None:  # (the store has them all: `_records` reads them there)
                result.marks = previous.marks()
                result.cache = store.get_plan_cache(self.feed)  # put_files forgets it
            else:
                self.records.update((record.rel, record) for record in changed)
            for rel in gone:
                if self.records is not None:
                    del self.records[rel]
                del stats[rel]
                self.contents.pop(rel, None)
                self._unsaved.discard(rel)
                if self._stored is not None:
                    self._stored.discard(rel)
            for record in changed:
                stats[record.rel] = (record.size, record.mtime_ns, record.digest)
            store.put_files(self.feed, self.source, changed, gone)
            self._entries = self._origins = None
        result.removed = len(gone)
        return result

    def _read(
        self,
        item: FoundFile,
        loaded: _Loaded,
        previous: _Previous,
        result: IndexPass,
        now: datetime,
        loader: _Loader,
    ) -> FileRecord | None:
        """The record of one new or changed file, as `loaded`; None when it failed (the last
        good record stays).  The records are loaded only for a file that reads (or is as
        recorded): a broken file left in the folder costs a fresh process no more than its own
        reading."""
        if loaded.problem is not None:
            result.problems.append(loaded.problem)
            return None
        if loaded.scanned is None:  # touched, not edited
            record = previous.records()[item.rel]
            return replace(record, size=item.size, mtime_ns=item.mtime_ns)
        digest, warnings = loaded.digest, loaded.warnings
        entries = tuple(s.entry() for s in loaded.scanned)
        befores = [previous.get(e.id) for e in entries]
        # an edit of entries seen before: whether their content changed needs all of it
        complete = any(b is not None and b.digest != digest for b in befores)
        if complete:
            if loaded.article is None:  # read in a worker process: read it again here
                return self._read(item, loader.load(item), previous, result, now, loader)
            try:
                parsed = _parse_full(loaded.article, loader.reading)
            except ArticleError as exc:
                result.problems.append(_problem(exc))
                return None
            entries, warnings = parsed.entries, parsed.warnings
            befores = [previous.get(e.id) for e in entries]
        result.read += 1
        result.problems.extend(
            Problem(where=str(item.path), message=text, fatal=False) for text in warnings
        )
        carried, hashes = [], []
        for entry, before in zip(entries, befores, strict=True):
            after, digest_of = _carry(entry, before, digest, complete, now)
            result.new += before is None
            result.changed += before is not None and after.updated != before.entry.updated
            carried.append(after)
            hashes.append(digest_of)
        if complete:
            self.contents[item.rel] = FileContent(
                rel=item.rel, digest=digest, entries=tuple(carried)
            )
            self._unsaved.add(item.rel)
        else:
            self.contents.pop(item.rel, None)
        return FileRecord(
            rel=item.rel,
            size=item.size,
            mtime_ns=item.mtime_ns,
            digest=digest,
            entries=tuple(scanned(e) for e in carried),
            warnings=warnings,
            hashes=tuple(hashes),
        )

    # --- completing what is published ---

    def complete(
        self, wanted: Sequence[Entry], store: Store, reading: Reading
    ) -> tuple[list[Entry | None], list[Problem]]:
        """The complete version of each of `wanted` (scanned entries of this index), or None
        where its file cannot give it; each file is read at most once, and kept until
        `release` finds it no longer used."""
        if self.records is None and self._partial is not None:  # planned without them all
            records = self._partial
            rels = [self.origin_rels(store).get(entry.origin) for entry in wanted]
            records.update(
                store.get_files(self.feed, self.source, {r for r in rels if r is not None})
            )
            rels = [rel if rel in records else None for rel in rels]
        else:
            records = self._records(store)
            rels = [self.origin_rels(store).get(entry.origin) for entry in wanted]
        needed = {rel for rel in rels if rel is not None}
        self._used |= needed
        missing = {rel for rel in needed if not self._has_contents(rel, records[rel])}
        if self._stored is None:
            self._stored = store.content_rels(self.feed, self.source)
        if missing & self._stored:
            for rel, content in store.get_contents(
                self.feed, self.source, sorted(missing & self._stored)
            ).items():
                if content.digest == records[rel].digest:
                    self.contents[rel] = content
                    missing.discard(rel)
        problems: list[Problem] = []
        for rel in sorted(missing):
            problem = self._read_full(records[rel], reading)
            if problem is not None:
                problems.append(problem)
        out: list[Entry | None] = []
        for entry, owner in zip(wanted, rels, strict=True):
            held = self.contents.get(owner) if owner is not None else None
            full = _by_id(held, entry.id) if held is not None else None
            out.append(None if full is None else replace(full, priority=entry.priority))
        return out, problems

    def plan_partially(self, origins: dict[str, str]) -> None:
        """This pass plans from some entries only, the files they come from by origin: the
        entries completed are read with those files' records alone (until `release`)."""
        self._partial = {}
        self._origins = dict(origins)

    def origin_rels(self, store: Store) -> dict[str, str]:
        """Each entry's file (rel), by the entry's origin (its path), as this pass knows them:
        from every record, or those `plan_partially` named."""
        if self._origins is None:
            records = self._records(store)
            self._origins = {e.origin: rel for rel, r in records.items() for e in r.entries}
        return self._origins

    def _has_contents(self, rel: str, record: FileRecord) -> bool:
        content = self.contents.get(rel)
        return content is not None and content.digest == record.digest

    def _read_full(self, record: FileRecord, reading: Reading) -> Problem | None:
        """Read a scanned file in full; its entries keep the dates the record holds."""
        if not record.entries:
            return None
        path = Path(record.entries[0].origin)
        item = FoundFile(path=path, rel=record.rel, size=record.size, mtime_ns=record.mtime_ns)
        try:
            article = read_article(item, source=self.source, max_size=reading.options.max_file_size)
            if hashlib.sha256(article.data).hexdigest() != record.digest:
                return Problem(
                    where=str(path),
                    message="changed while it was being published; left out until the next pass",
                )
            parsed = _parse_full(article, reading).entries
        except ArticleError as exc:
            return Problem(where=str(exc.path), message=exc.reason)
        full = {entry.id: entry for entry in parsed}
        entries = []
        for entry in record.entries:
            if entry.id in full:
                got = full[entry.id]
                entries.append(replace(got, published=entry.published, updated=entry.updated))
        hashes = tuple(content_hash(full[e.id]) if e.id in full else "" for e in record.entries)
        self.contents[record.rel] = FileContent(
            rel=record.rel, digest=record.digest, entries=tuple(entries)
        )
        records = self.records if self.records is not None else self._partial
        assert records is not None
        records[record.rel] = replace(record, hashes=hashes)
        self._unsaved.add(record.rel)
        return None

    def release(self, store: Store) -> None:
        """After a pass has published: store the contents read, forget those of files no
        `complete` asked for since the last release (memory follows what is published)."""
        records = self.records if self.records is not None else self._partial or {}
        if self._partial is not None:  # (planned partially: this pass is done with them)
            self._partial = self._origins = None
        used, self._used = self._used, set()
        for rel in [rel for rel in self.contents if rel not in used]:
            del self.contents[rel]
        if self._stored is None:
            self._stored = store.content_rels(self.feed, self.source)
        save = sorted(rel for rel in self._unsaved if rel in self.contents and rel in records)
        dropped = sorted(self._stored - used)
        if save:
            store.put_files(self.feed, self.source, [records[rel] for rel in save], [])
        if save or dropped:
            store.put_contents(
                self.feed, self.source, [self.contents[rel] for rel in save], dropped
            )
        self._stored = (self._stored & used) | set(save)
        self._unsaved.clear()


def _parse_full(article: ArticleFile, reading: Reading) -> ParsedArticle:
    return parse_article(article, reading.options, reading.rules, reading.tz)


def _problem(exc: ArticleError) -> Problem:
    return Problem(where=exc.where, message=exc.reason)


@dataclass(frozen=True, slots=True)
class _Loaded:
    """A new or changed file as read: its digest and scan, or why it cannot be used."""

    digest: str = ""
    scanned: tuple[Scanned, ...] | None = None  # None: its bytes are as recorded
    warnings: tuple[str, ...] = ()
    problem: Problem | None = None
    article: ArticleFile | None = None  # its bytes, in the process that read them


@dataclass(frozen=True, slots=True)
class _Loader:
    """Reading and scanning new or changed files: many of them in worker processes (the first
    pass over a folder, from cron), a few in this one."""

    source: str
    priority: int
    reading: Reading
    digests: dict[str, str]  # the recorded digest of each file to read, by rel

    def load(self, item: FoundFile) -> _Loaded:
        reading = self.reading
        try:
            article = read_article(
                item,
                source=self.source,
                priority=self.priority,
                max_size=reading.options.max_file_size,
            )
            digest = hashlib.sha256(article.data).hexdigest()
            if self.digests.get(item.rel) == digest:  # touched, not edited
                return _Loaded(digest)
            parsed = scan_article(article, reading.options, reading.rules, reading.tz)
        except ArticleError as exc:
            return _Loaded(problem=_problem(exc))
        return _Loaded(digest, parsed.scanned, parsed.warnings, article=article)

    def load_all(self, items: Sequence[FoundFile]) -> Iterable[_Loaded]:
        """`load` of each of `items`, in order; on every core when there are many and no other
        thread runs here (`reading.spread`: the daemon's passes run in scheduler threads).  A
        few are loaded here one at a time as they are asked for, each with its bytes, which an
        edit of a published file reads in full (so at most one file's bytes are held)."""
        if not pays_to_spread(len(items)):
            return map(self.load, items)
        return [got for part in spread(self._rows, items) for got in map(_unrow, part)]

    def _rows(self, items: Sequence[FoundFile]) -> list[_Row]:
        """`load` of each item as plain values: a worker pickles them faster, and the bytes
        stay behind."""
        rows: list[_Row] = []
        for item in items:
            got = self.load(item)
            scans = None if got.scanned is None else [tuple(s) for s in got.scanned]
            problem = None if got.problem is None else (got.problem.where, got.problem.message)
            rows.append((got.digest, scans, got.warnings, problem))
        return rows


_Row = tuple[str, list[tuple[Any, ...]] | None, tuple[str, ...], tuple[str, str] | None]


def _unrow(row: _Row) -> _Loaded:
    digest, scans, warnings, problem = row
    return _Loaded(
        digest,
        None if scans is None else tuple(map(Scanned._make, scans)),
        warnings,
        None if problem is None else Problem(where=problem[0], message=problem[1]),
    )


def _by_id(content: FileContent, entry_id: str) -> Entry | None:
    for entry in content.entries:
        if entry.id == entry_id:
            return entry
    return None


class _Previous:
    """Every entry as the pass found the records, by id (renames keep their dates); the
    records are loaded when first asked for (the pass changes them only once it is done), and
    not at all for an id the recorded entries' marks do not hold (a new file's)."""

    __slots__ = ("_load", "_load_marks", "_marks", "_marks_loaded", "_records", "_where")

    def __init__(
        self,
        load: Callable[[], dict[str, FileRecord]],
        load_marks: Callable[[], Marks | None],
    ) -> None:
        self._load = load
        self._load_marks = load_marks
        self._marks: Marks | None = None
        self._marks_loaded = False
        self._records: dict[str, FileRecord] | None = None
        self._where: dict[str, tuple[str, int]] = {}

    def marks(self) -> Marks | None:
        """The marks of every entry recorded before this pass (`Store.get_marks`)."""
        if not self._marks_loaded:
            self._marks, self._marks_loaded = self._load_marks(), True
        return self._marks

    def records(self) -> dict[str, FileRecord]:
        if self._records is None:
            self._records = self._load()
            self._where = {
                entry.id: (rel, n)
                for rel, record in self._records.items()
                for n, entry in enumerate(record.entries)
            }
        return self._records

    def get(self, entry_id: str) -> _Seen | None:
        if self._records is None:
            marks = self.marks()
            if marks is not None and entry_mark(entry_id) not in marks:
                return None  # never recorded
        records = self.records()
        where = self._where.get(entry_id)
        if where is None:
            return None
        record, n = records[where[0]], where[1]
        known = len(record.hashes) == len(record.entries)
        return _Seen(record.entries[n], record.digest, record.hashes[n] if known else "")


def _carry(
    entry: Entry, before: _Seen | None, digest: str, complete: bool, now: datetime
) -> tuple[Entry, str]:
    """Keep what was published; move `updated` only when the content changed (or cannot be
    known not to have).  Returns the entry and its content hash ("" when not known)."""
    digest_of = content_hash(entry) if complete else ""
    if before is None:
        return entry, digest_of
    kept = replace(entry, published=before.entry.published, updated=before.entry.updated)
    if before.digest == digest:  # the same bytes under another name
        return kept, digest_of or before.hash
    if digest_of and digest_of == before.hash:
        return kept, digest_of
    if entry.updated <= before.entry.updated:  # the file did not say it was updated: we saw it now
        return replace(entry, updated=max(now, entry.published)), digest_of
    return entry, digest_of


def _stat_listed(
    root: Path, stats: dict[str, tuple[int, int, str]]
) -> tuple[list[FoundFile | str], list[tuple[Path, str]]]:
    """`find_articles`, but for a file whose size and modification time are as recorded,
    only its path in the folder: an idle pass over 10,000 files is then a listing and a stat
    per file, without a Path or a FoundFile for each."""
    listed, unlisted = list_articles(root, stat=True, ordered=False)
    unchanged: list[FoundFile | str] = []
    changed: list[FoundFile] = []
    for item in listed:
        stat = stats.get(item.rel)
        size, mtime_ns = item.size, item.mtime_ns
        if stat is not None and stat[0] == size and stat[1] == mtime_ns:
            unchanged.append(item.rel)
        else:
            changed.append(
                FoundFile(path=Path(item.path), rel=item.rel, size=size, mtime_ns=mtime_ns)
            )
    changed.sort(key=lambda found: found.rel)  # read in path order: the same every run
    return unchanged + changed, unlisted


def _gone(
    root: Path,
    records: Iterable[str],
    found: Sequence[FoundFile | str],
    unlisted: Sequence[tuple[Path, str]],
) -> list[str]:
    """The recorded files not found, but for those that could not be listed (not known to be
    gone: they keep what they gave)."""
    present = {item if isinstance(item, str) else item.rel for item in found}
    unlisted_paths = {str(p) for p, _ in unlisted}
    return [
        rel for rel in records if rel not in present and not _unlisted(root / rel, unlisted_paths)
    ]


def _unlisted(path: Path, unlisted: set[str]) -> bool:
    """Whether `path` could not be listed, itself or through a folder above it (or the source
    folder itself): its file is not known to be gone, so its entries stay."""
    return bool(unlisted) and any(str(p) in unlisted for p in (path, *path.parents))


def _ranked(records: dict[str, FileRecord], priority: int) -> list[Entry]:
    """Every record's entries (in path order), at the source's priority now."""
    return [
        e if e.priority == priority else replace(e, priority=priority)
        for rel in sorted(records)
        for e in records[rel].entries
    ]
