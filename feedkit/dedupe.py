"""One entry per canonical URL and language (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from feedkit.model import Entry


def _rank(entry: Entry) -> tuple[int, float, str, str]:
    """Smaller ranks first: higher priority (lower number), then newer `updated`, then a
    total order on id and origin so that input order never matters."""
    return (entry.priority, -_timestamp(entry.updated), entry.id, entry.origin)


def _timestamp(moment: datetime) -> float:
    return moment.timestamp()


def dedupe(entries: Iterable[Entry]) -> list[Entry]:
    """Keep one entry per (key, lang): higher priority, then newer, wins; input order never matters.

    The result is sorted by (key, lang) so that it is the same for any order of the input.
    """
    best: dict[tuple[str, str], Entry] = {}
    for entry in entries:
        slot = (entry.key, entry.lang)
        held = best.get(slot)
        if held is None or _rank(entry) < _rank(held):
            best[slot] = entry
    return [best[slot] for slot in sorted(best)]
