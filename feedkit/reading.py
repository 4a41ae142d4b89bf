"""Reading article folders: a full read, or a cheap scan now and the rest for what is published."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from pathlib import Path

from feedkit.articles import parse_article, read_article
from feedkit.discover import FoundFile, find_articles
from feedkit.errors import ArticleError
from feedkit.model import ArticleOptions, Entry, Problem
from feedkit.urls import DEFAULT_RULES, UrlRules

Progress = Callable[[int, int], None]
# Completes scanned entries: full entries by id, and problems met re-reading their files.
Finisher = Callable[[Sequence[Entry]], tuple[dict[str, Entry], list[Problem]]]


@dataclass(slots=True)
class Collected:
    """Entries gathered from sources, and the problems met on the way."""

    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    drafts: int = 0
    undated: list[str] = field(default_factory=list)  # ids of entries dated by file mtime

    def extend(self, other: Collected) -> None:
        self.entries.extend(other.entries)
        self.problems.extend(other.problems)
        self.drafts += other.drafts
        self.undated.extend(other.undated)


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
) -> Collected:
    """Every entry of every article under `root`; one bad file never stops the others.

    With `full=False` the entries are scanned ones (no title, summary or body yet): complete
    the published ones with `finish_articles`.
    """
    found, unlisted = find_articles(root)
    result = Collected(problems=[Problem(where=str(p), message=why) for p, why in unlisted])
    job = _Job(source=source, priority=priority, options=options, rules=rules, tz=tz, full=full)
    workers = min(os.cpu_count() or 1, MAX_WORKERS)
    if len(found) < PARALLEL_FROM or workers < 2:
        for done, item in enumerate(found, start=1):
            result.extend(job.read(item))
            if progress is not None:
                progress(done, len(found))
        return result
    # Many files: read them in worker processes (both cores), in order, in chunks.
    chunks = [found[i : i + CHUNK] for i in range(0, len(found), CHUNK)]
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        done = 0
        for chunk, part in zip(chunks, pool.imap(job.read_all, chunks), strict=True):
            result.extend(part)
            done += len(chunk)
            if progress is not None:
                progress(done, len(found))
    return result


PARALLEL_FROM = 400  # files: below this, starting worker processes costs more than it saves
MAX_WORKERS = 4
CHUNK = 250


@dataclass(frozen=True, slots=True, kw_only=True)
class _Job:
    """Reading one file, as a value a worker process can be handed."""

    source: str
    priority: int
    options: ArticleOptions
    rules: UrlRules
    tz: tzinfo
    full: bool

    def read_all(self, items: Sequence[FoundFile]) -> Collected:
        result = Collected()
        for item in items:
            result.extend(self.read(item))
        return result

    def read(self, item: FoundFile) -> Collected:
        options = self.options
        try:
            article = read_article(
                item, source=self.source, priority=self.priority, max_size=options.max_file_size
            )
            parsed = parse_article(article, options, self.rules, self.tz, full=self.full)
        except ArticleError as exc:
            where = f"{exc.path}:{exc.line}" if exc.line else str(exc.path)
            return Collected(problems=[Problem(where=where, message=exc.reason)])
        warnings = [
            Problem(where=str(item.path), message=text, fatal=False) for text in parsed.warnings
        ]
        undated = [e.id for e in parsed.entries] if parsed.undated else []
        return Collected(
            entries=list(parsed.entries), problems=warnings, drafts=parsed.draft, undated=undated
        )


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
