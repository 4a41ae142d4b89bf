"""One entry per canonical URL and language (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol, TypeVar


class Ranked(Protocol):
    """What deduplication and planning read of an entry: a full Entry, or a scanned one."""

    @property
    def key(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def lang(self) -> str: ...
    @property
    def published(self) -> datetime: ...
    @property
    def updated(self) -> datetime: ...
    @property
    def group_id(self) -> str: ...
    @property
    def priority(self) -> int: ...
    @property
    def origin(self) -> str: ...


R = TypeVar("R", bound=Ranked)


def _rank(entry: Ranked) -> tuple[int, float, str, str]:
    """Smaller ranks first: higher priority (lower number), then newer `updated`, then a
    total order on id and origin so that input order never matters."""
    return (entry.priority, -entry.updated.timestamp(), entry.id, entry.origin)


def best_per_slot(entries: Iterable[R]) -> dict[tuple[str, str], R]:
    """The entry kept for each (key, lang): higher priority, then newer, wins."""
    best: dict[tuple[str, str], R] = {}
    for entry in entries:
        slot = (entry.key, entry.lang)
        held = best.get(slot)
        if held is None or _rank(entry) < _rank(held):
            best[slot] = entry
    return best


def dedupe(entries: Iterable[R]) -> list[R]:
    """Keep one entry per (key, lang): higher priority, then newer, wins; input order never matters.

    The result is sorted by (key, lang) so that it is the same for any order of the input.
    """
    best = best_per_slot(entries)
    return [best[slot] for slot in sorted(best)]
