"""Reading article folders: a full read, or a cheap scan now and the rest for what is published."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Any, TypeVar

from feedkit.articles import parse_article, read_article, scan_article
from feedkit.discover import (
    FoundFile,
    Listed,
    list_articles,
    listed_reason,
    stat_listed,
)
from feedkit.errors import ArticleError
from feedkit.matter import is_utf8
from feedkit.model import ArticleOptions, Entry, Problem, Scanned
from feedkit.quickscan import quick_scan
from feedkit.urls import DEFAULT_RULES, UrlRules
from feedkit.workers import map_chunks

T = TypeVar("T")
U = TypeVar("U")
Progress = Callable[[int, int], None]
# Completes scanned entries: full entries by id, and problems met re-reading their files.
Finisher = Callable[[Sequence[Entry]], tuple[dict[str, Entry], list[Problem]]]


@dataclass(slots=True)
class Collected:
    """Entries gathered from sources, and the problems met on the way."""

    entries: list[Entry] = field(default_factory=list)
    scanned: list[Scanned] = field(default_factory=list)  # from a scan (`full=False`)
    problems: list[Problem] = field(default_factory=list)
    drafts: int = 0
    undated: list[str] = field(default_factory=list)  # ids of entries dated by file mtime

    def __reduce__(self) -> tuple[Callable[..., Collected], tuple[object, ...]]:
        # From a worker process: scanned entries as plain tuples pickle three times faster, and
        # problems (a warning for every file of a folder without source links) twenty times
        rows = [tuple(item) for item in self.scanned]
        problems = [(p.where, p.message, p.fatal) for p in self.problems]
        return _collected, (self.entries, rows, problems, self.drafts, self.undated)

    def extend(self, other: Collected) -> None:
        self.entries.extend(other.entries)
        self.scanned.extend(other.scanned)
        self.problems.extend(other.problems)
        self.drafts += other.drafts
        self.undated.extend(other.undated)


def _collected(
    entries: list[Entry],
    rows: list[tuple[Any, ...]],
    problems: list[tuple[str, str, bool]],
    drafts: int,
    undated: list[str],
) -> Collected:
    scanned = list(map(Scanned._make, rows))
    found = [Problem(where=where, message=text, fatal=fatal) for where, text, fatal in problems]
    return Collected(entries, scanned, found, drafts, undated)


def collect_articles(
    root: Path,
    *,
    source: str = "",
    priority: int = 0,
    options: ArticleOptions = ArticleOptions(),
    rules: UrlRules = DEFAULT_RULES,
    tz: tzinfo = UTC,
    progress: Progress | None = None,
    full: bool = True,
    meanwhile: Callable[[], object] | None = None,
) -> Collected:
    """Every entry of every article under `root`; one bad file never stops the others.

    Many files are read in worker processes on every core (`workers.map_chunks`); `meanwhile`
    runs here while they start.  With `full=False` the files are only scanned
    (`Collected.scanned`, see `scan_article`): complete the published ones with
    `finish_articles`.
    """
    found, unlisted = list_articles(root)
    result = Collected(problems=[Problem(where=str(p), message=why) for p, why in unlisted])
    job = _Job(source=source, priority=priority, options=options, rules=rules, tz=tz, full=full)
    for part in spread(job.read_all, found, meanwhile=meanwhile, progress=progress):
        result.extend(part)
    return result


def spread(
    work: Callable[[Sequence[T]], U],
    items: Sequence[T],
    *,
    meanwhile: Callable[[], object] | None = None,
    progress: Progress | None = None,
) -> list[U]:
    """`work` over chunks of `items` (`workers.map_chunks`), on every core when there are
    enough items to pay for starting workers, else in this process."""
    workers = min(_cores(), MAX_WORKERS) if pays_to_spread(len(items)) else 1
    return map_chunks(
        work, items, chunk=CHUNK, workers=workers, meanwhile=meanwhile, progress=progress
    )


def pays_to_spread(count: int) -> bool:
    """Whether `count` items are enough to pay for starting worker processes."""
    return count >= PARALLEL_FROM


def _cores() -> int:
    """The cores this process may run on (a container may have fewer than the machine)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


_QUICK_SIZE = 1 << 16  # files read whole by the quick scan; larger ones take the long way
PARALLEL_FROM = 400  # files: below this, starting worker processes costs more than it saves
# Processes at most (this one among them): Hugo, the peer SPEC 7 measures against, uses every
# core.  Eight forked on two cores convert 10,000 files as fast as two, in 80 MiB (the sum of
# their proportional set sizes) against 46 MiB.
MAX_WORKERS = 8
CHUNK = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class _Job:
    """Reading one file, as a value a worker process can be handed."""

    source: str
    priority: int
    options: ArticleOptions
    rules: UrlRules
    tz: tzinfo
    full: bool

    def read_all(self, items: Sequence[Listed]) -> Collected:
        result = Collected()
        if self.full or not is_utf8(self.options.encoding):
            for item in items:
                self.read_into(result, item)
            return result
        # The quick scan first (see `quickscan.quick_scan`), with what stays the same for every
        # file looked up once: this loop runs for every file of the folder.  (A direct call:
        # functools.partial would copy its keywords at every call.)
        source, priority, options, rules, tz = (
            self.source,
            self.priority,
            self.options,
            self.rules,
            self.tz,
        )
        add = result.scanned.extend
        for item in items:
            data = _read_small(item.path)
            scanned = (
                quick_scan(
                    data,
                    item.path,
                    rel=item.rel,
                    source=source,
                    priority=priority,
                    options=options,
                    rules=rules,
                    tz=tz,
                )
                if data is not None
                else None
            )
            if scanned is None:
                self.read_into(result, item, quick_tried=data is not None)
            else:
                add(scanned[0])
                if scanned[1]:
                    result.problems += _warnings(item.path, scanned[1])
        return result

    def read_into(self, result: Collected, listed: Listed, *, quick_tried: bool = False) -> None:
        """Read one file the long way, adding what it gives to `result`; `quick_tried`: the
        quick scan has turned down all of it already."""
        options = self.options
        try:
            item = stat_listed(listed)
        except OSError as exc:  # gone since it was listed
            where = listed.path
            reason = f"cannot read: {listed_reason(listed, exc)}"
            result.problems.append(Problem(where=where, message=reason))
            return
        try:
            article = read_article(
                item, source=self.source, priority=self.priority, max_size=options.max_file_size
            )
            if self.full:
                parsed = parse_article(article, options, self.rules, self.tz)
            else:
                quick = not quick_tried and is_utf8(options.encoding)
                parsed = scan_article(article, options, self.rules, self.tz, quick=quick)
        except ArticleError as exc:
            result.problems.append(Problem(where=exc.where, message=exc.reason))
            return
        if parsed.warnings:
            result.problems += _warnings(str(item.path), parsed.warnings)
        result.entries.extend(parsed.entries)
        result.scanned.extend(parsed.scanned)
        result.drafts += parsed.draft
        if parsed.undated:
            result.undated.extend([e.id for e in parsed.entries] + [s.id for s in parsed.scanned])


def _warnings(where: str, texts: Sequence[str]) -> list[Problem]:
    """A file's warnings as problems: it was used."""
    return [Problem(where=where, message=text, fatal=False) for text in texts]


def _read_small(path: str) -> bytes | None:
    """A file's bytes, read without a stat, when it is smaller than _QUICK_SIZE; None for a
    larger file or one that cannot be read as it is (the long way then says why).

    read(64 KiB) allocates 64 KiB each time (SPEC 8 warns of this for large caps): measured
    here, it still costs less than a stat to learn the size, or a reused buffer and a copy.
    One read is taken for the whole of a smaller file, as Linux gives for regular files."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            data = os.read(fd, _QUICK_SIZE)
        finally:
            os.close(fd)
    except OSError:
        return None
    return data if len(data) < _QUICK_SIZE else None


def finish_articles(
    options: ArticleOptions = ArticleOptions(),
    rules: UrlRules = DEFAULT_RULES,
    tz: tzinfo = UTC,
) -> Finisher:
    """A Finisher that reads in full the files scanned entries came from."""

    def finish(entries: Sequence[Entry]) -> tuple[dict[str, Entry], list[Problem]]:
        by_file: dict[str, list[Entry]] = {}
        for entry in entries:
            by_file.setdefault(entry.origin, []).append(entry)
        done: dict[str, Entry] = {}
        problems: list[Problem] = []
        for origin, wanted in by_file.items():
            first = wanted[0]
            try:
                found = _restat(Path(origin), _rel_of(first))
                article = read_article(
                    found,
                    source=first.source,
                    priority=first.priority,
                    max_size=options.max_file_size,
                )
                parsed = parse_article(article, options, rules, tz)
            except ArticleError as exc:  # changed or vanished since it was scanned
                problems.append(Problem(where=str(exc.path), message=exc.reason))
                continue
            full = {entry.id: entry for entry in parsed.entries}
            done.update((e.id, full[e.id]) for e in wanted if e.id in full)
        return done, problems

    return finish


def _rel_of(entry: Entry) -> str:
    """The path inside its source folder that a scanned entry's file was read under."""
    prefix = f"path:{entry.source}/"
    return entry.key[len(prefix) :] if entry.key.startswith(prefix) else Path(entry.origin).name


def _restat(path: Path, rel: str) -> FoundFile:
    try:
        st = path.stat()
    except OSError as exc:
        reason = exc.strerror.lower() if exc.strerror else type(exc).__name__
        raise ArticleError(path, f"cannot read: {reason}") from exc
    return FoundFile(path=path, rel=rel, size=st.st_size, mtime_ns=st.st_mtime_ns)
