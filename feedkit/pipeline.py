"""The one orchestrator: read sources, dedupe, plan, render, publish."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from pathlib import Path

from feedkit.articles import parse_article, read_article
from feedkit.dedupe import dedupe
from feedkit.discover import find_articles
from feedkit.errors import ArticleError, ConfigError, PublishError
from feedkit.model import ArticleOptions, Entry, FeedSettings, PlannedFeed, Problem, RunReport
from feedkit.plan import plan_feeds
from feedkit.publish import write_if_changed
from feedkit.render import ContentRenderer, render_atom
from feedkit.urls import DEFAULT_RULES, UrlRules

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


@dataclass(slots=True)
class Collected:
    """Entries gathered from sources, and the problems met on the way."""

    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    drafts: int = 0

    def extend(self, other: Collected) -> None:
        self.entries.extend(other.entries)
        self.problems.extend(other.problems)
        self.drafts += other.drafts


def collect_articles(
    root: Path,
    *,
    source: str = "",
    priority: int = 0,
    options: ArticleOptions = ArticleOptions(),
    rules: UrlRules = DEFAULT_RULES,
    tz: tzinfo = UTC,
    progress: Progress | None = None,
) -> Collected:
    """Every entry of every article under `root`; one bad file never stops the others."""
    found, unlisted = find_articles(root)
    result = Collected(problems=[Problem(where=str(p), message=why) for p, why in unlisted])
    for done, item in enumerate(found, start=1):
        try:
            parsed = parse_article(
                read_article(
                    item, source=source, priority=priority, max_size=options.max_file_size
                ),
                options,
                rules,
                tz,
            )
        except ArticleError as exc:
            where = f"{exc.path}:{exc.line}" if exc.line else str(exc.path)
            result.problems.append(Problem(where=where, message=exc.reason))
        else:
            result.entries.extend(parsed.entries)
            result.drafts += parsed.draft
            result.problems.extend(
                Problem(where=str(item.path), message=text, fatal=False) for text in parsed.warnings
            )
        if progress is not None:
            progress(done, len(found))
    return result


def build_feeds(
    entries: Sequence[Entry], settings: FeedSettings
) -> tuple[list[PlannedFeed], list[tuple[str, bytes]], list[Problem]]:
    """Dedupe, plan and render: the (filename, bytes) of every output document."""
    planned = plan_feeds(dedupe(entries), settings)
    renderer = ContentRenderer(base_url=settings.base_url)
    documents = [(feed.filename, render_atom(feed, renderer)) for feed in planned]
    warnings = [
        Problem(where=origin, message=message, fatal=False)
        for origin, message in dict.fromkeys(renderer.warnings)
    ]
    return planned, documents, warnings


def publish(
    output: Path,
    documents: Sequence[tuple[str, bytes]],
    planned: Sequence[PlannedFeed],
    *,
    keep_existing_when_empty: bool,
) -> tuple[list[Path], list[Path], list[Problem]]:
    """Write each document that changed.  With `keep_existing_when_empty`, a feed that would
    lose every entry (its inputs failed) is left as it was rather than emptied."""
    written: list[Path] = []
    unchanged: list[Path] = []
    problems: list[Problem] = []
    for (name, data), feed in zip(documents, planned, strict=True):
        path = output / name
        if keep_existing_when_empty and not feed.entries and path.exists():
            problems.append(
                Problem(where=str(path), message="not emptied: its inputs failed", fatal=False)
            )
            continue
        try:
            changed = write_if_changed(path, data)
        except PublishError as exc:
            problems.append(Problem(where=str(path), message=exc.reason))
            continue
        (written if changed else unchanged).append(path)
    return written, unchanged, problems


def convert(
    sources: Sequence[str],
    output: Path,
    settings: FeedSettings = FeedSettings(),
    *,
    options: ArticleOptions = ArticleOptions(),
    rules: UrlRules = DEFAULT_RULES,
    tz: tzinfo = UTC,
    progress: Progress | None = None,
) -> RunReport:
    """`feedkit convert`: every SRC (folder or article file) into Atom feeds under `output`."""
    if not sources:
        raise ConfigError("no sources given")
    collected = Collected()
    for priority, src in enumerate(sources):
        path = Path(src)
        if not path.exists() and not path.is_symlink():
            raise ConfigError(f"{src}: no such file or folder")
        collected.extend(
            collect_articles(
                path,
                source=path.name or str(path),
                priority=priority,
                options=options,
                rules=rules,
                tz=tz,
                progress=progress,
            )
        )
    planned, documents, render_warnings = build_feeds(collected.entries, settings)
    failed = any(problem.fatal for problem in collected.problems)
    written, unchanged, publish_problems = publish(
        output, documents, planned, keep_existing_when_empty=failed
    )
    log.info(
        "%d entries from %d sources; %d files written, %d unchanged",
        len(collected.entries),
        len(sources),
        len(written),
        len(unchanged),
    )
    published = max((len(feed.entries) for feed in planned), default=0)
    return RunReport(
        written=tuple(written),
        unchanged=tuple(unchanged),
        entries=published,
        problems=tuple(collected.problems + render_warnings + publish_problems),
    )
