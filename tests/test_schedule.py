"""feedkit.schedule: the fetch-timing rules, as a table of cases, plus their bounds (Hypothesis)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedkit.schedule import SchedulePolicy, is_due, next_due

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
POLICY = SchedulePolicy()
NO_JITTER = SchedulePolicy(jitter=0)


@dataclass(frozen=True, kw_only=True)
class Case:
    id: str
    expected: timedelta | None  # delay after NOW; None: due on every pass
    interval: timedelta | None = None
    max_age: float | None = None
    ttl: float | None = None
    retry_after: float | None = None
    failures: int = 0
    policy: SchedulePolicy = NO_JITTER
    rand: float = 0.5  # the middle of [0, 1): no jitter


CASES = [
    # no interval
    Case(id="nothing-due-every-pass", expected=None),
    Case(id="hint-alone-honoured", max_age=3600, expected=HOUR),
    Case(id="ttl-alone-honoured", ttl=7200, expected=2 * HOUR),
    Case(id="hint-alone-raised-to-min", max_age=5, expected=MIN),
    Case(id="hint-alone-capped-at-max", ttl=30 * 86400, expected=DAY),
    Case(id="infinite-hint-capped-at-max", max_age=math.inf, expected=DAY),
    Case(id="zero-hint-ignored", max_age=0, expected=None),
    Case(id="negative-hint-ignored", ttl=-60, expected=None),
    Case(id="nan-hint-ignored", max_age=math.nan, expected=None),
    Case(id="failure-holds-back", failures=1, expected=5 * MIN),
    # interval
    Case(id="interval", interval=15 * MIN, expected=15 * MIN),
    Case(id="interval-raised-to-min", interval=timedelta(seconds=10), expected=MIN),
    Case(id="interval-above-max-kept", interval=7 * DAY, expected=7 * DAY),
    Case(id="shorter-hint-ignored", interval=HOUR, max_age=60, expected=HOUR),
    Case(id="longer-max-age-stretches", interval=15 * MIN, max_age=3600, expected=HOUR),
    Case(id="longer-ttl-stretches", interval=15 * MIN, ttl=7200, expected=2 * HOUR),
    Case(id="longest-hint-wins", interval=15 * MIN, max_age=1800, ttl=5400, expected=90 * MIN),
    Case(id="hint-capped-at-max", interval=15 * MIN, max_age=10 * 86400, expected=DAY),
    # failures
    Case(id="failure-1-shorter-than-interval", interval=HOUR, failures=1, expected=HOUR),
    Case(id="failure-2", failures=2, expected=10 * MIN),
    Case(id="failure-3", interval=15 * MIN, failures=3, expected=20 * MIN),
    Case(id="failure-7", interval=15 * MIN, failures=7, expected=320 * MIN),
    Case(id="failure-8-capped", interval=15 * MIN, failures=8, expected=6 * HOUR),
    Case(id="failure-10000-still-retried", failures=10_000, expected=6 * HOUR),
    Case(id="failure-longer-interval-wins", interval=DAY, failures=8, expected=DAY),
    # Retry-After
    Case(id="retry-after-alone", retry_after=120, expected=2 * MIN),
    Case(id="retry-after-longer-than-interval", interval=MIN, retry_after=600, expected=10 * MIN),
    Case(id="retry-after-shorter-than-interval", interval=HOUR, retry_after=60, expected=HOUR),
    Case(id="retry-after-capped", retry_after=365 * 86400, expected=DAY),
    Case(id="retry-after-with-failure", failures=1, retry_after=3600, expected=HOUR),
    Case(id="retry-after-zero-ignored", interval=HOUR, retry_after=0, expected=HOUR),
    Case(
        id="retry-after-capped-at-backoff-cap",
        retry_after=365 * 86400,
        policy=SchedulePolicy(jitter=0, max_interval=HOUR),
        expected=6 * HOUR,
    ),
    # jitter
    Case(id="jitter-low", interval=HOUR, policy=POLICY, rand=0.0, expected=54 * MIN),
    Case(id="jitter-high", interval=HOUR, policy=POLICY, rand=0.75, expected=63 * MIN),
    Case(id="jitter-on-backoff", failures=1, policy=POLICY, rand=0.0, expected=4.5 * MIN),
    Case(id="jitter-nothing-due", policy=POLICY, rand=0.0, expected=None),
    Case(
        id="jitter-never-before-retry-after",
        interval=HOUR,
        retry_after=3600,
        policy=POLICY,
        rand=0.0,
        expected=HOUR,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_next_due(case: Case) -> None:
    due = next_due(
        now=NOW,
        interval=case.interval,
        max_age=case.max_age,
        ttl=case.ttl,
        retry_after=case.retry_after,
        failures=case.failures,
        policy=case.policy,
        rand=lambda: case.rand,
    )
    assert due == (None if case.expected is None else NOW + case.expected)


@pytest.mark.parametrize(
    ("due", "expected"),
    [(None, True), (NOW - MIN, True), (NOW, True), (NOW + MIN, False)],
    ids=["never-set", "past", "now", "future"],
)
def test_is_due(due: datetime | None, expected: bool) -> None:
    assert is_due(due, NOW) is expected


@pytest.mark.parametrize(
    "changes",
    [
        {"min_interval": timedelta(0)},
        {"min_interval": 2 * DAY},
        {"backoff_base": timedelta(0)},
        {"backoff_cap": MIN},
        {"jitter": 1.0},
        {"jitter": -0.1},
    ],
    ids=["zero-min", "min-above-max", "zero-backoff", "cap-below-base", "jitter-1", "jitter-neg"],
)
def test_policy_rejects_nonsense(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="expected"):
        SchedulePolicy(**changes)  # type: ignore[arg-type]


seconds = st.none() | st.floats(allow_nan=True, allow_infinity=True)


@given(
    interval=st.none() | st.timedeltas(min_value=timedelta(0), max_value=POLICY.max_interval),
    max_age=seconds,
    ttl=seconds,
    retry_after=seconds,
    failures=st.integers(min_value=0, max_value=10**6),
    draw=st.floats(min_value=0, max_value=1, exclude_max=True),
)
def test_next_due_is_bounded(
    *,
    interval: timedelta | None,
    max_age: float | None,
    ttl: float | None,
    retry_after: float | None,
    failures: int,
    draw: float,
) -> None:
    due = next_due(
        now=NOW,
        interval=interval,
        max_age=max_age,
        ttl=ttl,
        retry_after=retry_after,
        failures=failures,
        policy=POLICY,
        rand=lambda: draw,
    )
    if failures > 0 or interval is not None:
        assert due is not None
    # A configured interval above max_interval is kept (and would lift this bound): not drawn.
    if due is not None:
        longest = max(POLICY.backoff_cap, POLICY.max_interval) * (1 + POLICY.jitter)
        assert NOW <= due <= NOW + longest
