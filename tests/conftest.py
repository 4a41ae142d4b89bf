"""Shared fixtures: a fixed clock, paths to test data, the golden-file switch."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from feedkit.clock import Clock, fixed_clock

DATA = Path(__file__).parent / "data"
GOLDEN = Path(__file__).parent / "golden"
FIXED_NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        help="rewrite tests/golden from the current output (then read the diff!)",
    )


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


@pytest.fixture
def clock() -> Clock:
    return fixed_clock(FIXED_NOW)


@pytest.fixture
def seed_bytes() -> bytes:
    return (DATA / "seed-article.txt").read_bytes()


@contextmanager
def untraced() -> Iterator[None]:
    """Time and memory as in production: coverage's line tracer triples Python's run time."""
    tracer = sys.gettrace()
    sys.settrace(None)
    try:
        yield
    finally:
        sys.settrace(tracer)
