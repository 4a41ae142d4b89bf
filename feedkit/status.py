"""`feedkit status`: what the state store knows about every configured feed and source."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from feedkit.clock import utc_now
from feedkit.config import FeedConfig, SourceConfig
from feedkit.dates import format_rfc3339
from feedkit.store import SourceSummary, Store

DEAD_AFTER = 3  # consecutive 404/410 answers before a source link is reported dead


def format_status(configs: Sequence[FeedConfig], state: Path) -> str:
    """A plain-text report, one block per feed and an indented block per source."""
    lines: list[str] = []
    if not state.exists():
        lines = [f"no state yet ({state}): run 'feedkit run --once' first", ""]
        lines += [f"{feed.name}: {feed.title} ({len(feed.sources)} sources)" for feed in configs]
        return "\n".join(lines) + "\n"
    with Store.open(state, clock=utc_now) as store:
        for feed in configs:
            summaries = {s.source: s for s in store.summary(feed.name)}
            lines.append(f"{feed.name}: {feed.title}")
            for source in feed.sources:
                lines.extend(_source_lines(source, summaries.get(source.name)))
            lines.append("")
        checked, ok, soonest = store.link_summary()
        if checked:
            lines.append(f"source links: {checked} checked, {ok} ok, next check {_when(soonest)}")
            lines.append("")
        dead = store.dead_links(DEAD_AFTER)
        if dead:
            lines.append(f"dead source links (404/410 on {DEAD_AFTER}+ checks in a row):")
            lines += [
                f"  {r.link}: HTTP {r.http_status}, {r.dead_count} checks, "
                f"last {_when(r.checked_at)}, next {_when(r.next_check)}"
                for r in dead
            ]
            lines.append("")
    return "\n".join(lines)


def _source_lines(source: SourceConfig, summary: SourceSummary | None) -> list[str]:
    kind = "articles" if source.kind == "articles" else "feed"
    head = f"  {source.name} [{kind}] {source.location}"
    if not source.enabled:
        return [head + " (disabled)"]
    if summary is None:
        return [head, "    never run"]
    lines = [head]
    if summary.last_run is not None:
        result = "ok" if summary.last_run_ok else "with errors"
        lines.append(f"    last run {_when(summary.last_run)} ({result})")
    state = summary.state
    if state is not None:
        if state.permanent_url:
            lines.append(f"    moved permanently to {state.permanent_url}")
        if state.retired:
            lines.append("    retired: the server answered 410 Gone (entries stay published)")
        lines.append(
            f"    last fetch {_when(state.last_fetch)}"
            f" (HTTP {state.last_status})"
            * (state.last_status is not None)
            + f", last success {_when(state.last_success)}"
        )
        if state.retired:
            upcoming = "never (retired; --force fetches it)"
        else:
            upcoming = _when(state.next_due) if state.next_due else "on every pass"
        lines.append(f"    failures in a row {state.failures}, next fetch {upcoming}")
        if state.last_error:
            lines.append(f"    last error: {state.last_error}")
    counts = f"    entries stored {summary.entries}, published {summary.published}"
    if source.kind == "articles":
        counts = f"    files {summary.files}, entries published {summary.published}"
    lines.append(counts)
    return lines


def _when(moment: datetime | None) -> str:
    return format_rfc3339(moment) if moment is not None else "never"
