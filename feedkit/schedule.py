"""When to fetch a remote source next (pure: `now` and the random draw are passed in).

The rules, in order:

1. **Base delay.** The configured `interval`, stretched by the server's freshness hints
   (`Cache-Control: max-age` / `Expires`, RSS `<ttl>`): the longest of the three. Hints are held
   within [min_interval, max_interval]; a configured interval is raised to min_interval but never
   shortened (a feed set to weekly is not fetched daily). With no interval (a feed on a cron
   schedule, fetched on every pass), a hint alone sets the delay, within the same bounds. No
   interval and no hint: no delay (`None`, due on every pass).
2. **Failures** (consecutive) back off exponentially: `backoff_base * 2**(failures-1)`, capped at
   `backoff_cap`; the delay is the longer of that and the base delay. A failing source is retried
   for ever at the cap, never dropped.
3. **Jitter** multiplies the delay by a factor in [1 - jitter, 1 + jitter), from `rand()`, so
   sources configured alike do not all fall due in the same pass.
4. **Retry-After** (429/503) is a floor applied after the jitter: the next fetch is never earlier
   than the server asked. It is honoured up to the policy's longest wait,
   max(max_interval, backoff_cap) — a server cannot shelve a source for a year.

Hints that are zero, negative or NaN are ignored (`max-age=0` means "revalidate", not "fetch
continuously"); infinite ones reach the upper bound.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["SchedulePolicy", "is_due", "next_due"]

_MAX_DOUBLINGS = 64  # beyond any cap; keeps the arithmetic finite for any failure count


@dataclass(frozen=True, slots=True, kw_only=True)
class SchedulePolicy:
    """Bounds of the fetch schedule shared by every remote source."""

    min_interval: timedelta = timedelta(minutes=1)
    max_interval: timedelta = timedelta(days=1)
    backoff_base: timedelta = timedelta(minutes=5)
    backoff_cap: timedelta = timedelta(hours=6)
    jitter: float = 0.1  # ±10 %

    def __post_init__(self) -> None:
        if not timedelta(0) < self.min_interval <= self.max_interval:
            raise ValueError(
                f"expected 0 < min_interval <= max_interval,"
                f" got {self.min_interval} and {self.max_interval}"
            )
        if not timedelta(0) < self.backoff_base <= self.backoff_cap:
            raise ValueError(
                f"expected 0 < backoff_base <= backoff_cap,"
                f" got {self.backoff_base} and {self.backoff_cap}"
            )
        if not 0 <= self.jitter < 1:
            raise ValueError(f"expected 0 <= jitter < 1, got {self.jitter!r}")

    @property
    def longest_wait(self) -> timedelta:
        """The longest delay any hint or failure can cause (before jitter)."""
        return max(self.max_interval, self.backoff_cap)


def _hint(seconds: float | None) -> float | None:
    """A server hint in seconds, or None when it says nothing usable."""
    if seconds is None or math.isnan(seconds) or seconds <= 0:
        return None
    return seconds


def _longer(delay: timedelta | None, other: timedelta) -> timedelta:
    return other if delay is None else max(delay, other)


def _clamp(seconds: float, low: timedelta, high: timedelta) -> timedelta:
    return max(low, min(high, timedelta(seconds=min(seconds, high.total_seconds()))))


def next_due(
    *,
    now: datetime,
    interval: timedelta | None,
    max_age: float | None,
    ttl: float | None,
    retry_after: float | None,
    failures: int,
    policy: SchedulePolicy,
    rand: Callable[[], float],
) -> datetime | None:
    """When the source is next due (None: on every pass); see the module docs for the rules.

    `max_age`, `ttl` and `retry_after` are in seconds (None when absent); `rand()` draws from
    [0, 1) and is called at most once.
    """
    hints = [h for h in (_hint(max_age), _hint(ttl)) if h is not None]
    delay: timedelta | None = None
    if hints:
        delay = _clamp(max(hints), policy.min_interval, policy.max_interval)
    if interval is not None:
        delay = _longer(delay, max(interval, policy.min_interval))
    if failures > 0:
        steps = min(failures - 1, _MAX_DOUBLINGS)
        seconds = policy.backoff_base.total_seconds() * 2.0**steps
        backoff = _clamp(seconds, policy.backoff_base, policy.backoff_cap)
        delay = _longer(delay, backoff)
    if delay is not None:
        delay *= 1 + policy.jitter * (2 * rand() - 1)
    asked = _hint(retry_after)
    if asked is not None:
        floor = _clamp(asked, timedelta(0), policy.longest_wait)
        delay = _longer(delay, floor)
    return None if delay is None else now + delay


def is_due(next_due: datetime | None, now: datetime) -> bool:
    """Whether a source whose next fetch is `next_due` should be fetched at `now`."""
    return next_due is None or next_due <= now
