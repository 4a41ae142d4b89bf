"""One publisher per feed at a time, across processes (SPEC 4, `run`): `feedkit.lock.feed_lock`.

The other holder is always a real second process (a small Python script holding the lock until
its stdin closes), because the message must name *its* pid and because a killed process is the
stale-lock case.  The last section runs `feedkit run --once` (in-process, `feedkit.cli.main`)
beside such a holder.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from conformance import assert_valid_atom

import feedkit.cli
import feedkit.pipeline
from feedkit.lock import LockBusy, feed_lock

HOLD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from feedkit.lock import feed_lock

    with feed_lock(Path(sys.argv[1]), sys.argv[2], wait=0):
        print("held", flush=True)
        sys.stdin.read()  # until the test closes our stdin, or kills us
    """
)

Holder = Callable[..., subprocess.Popen[str]]


@pytest.fixture
def hold(tmp_path: Path) -> Iterator[Holder]:
    """Start a process that holds a feed's lock; it is killed at the end of the test."""
    started: list[subprocess.Popen[str]] = []

    def start(folder: Path = tmp_path / "locks", feed: str = "news") -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(folder), feed],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line == "held\n", process.stderr.read() if process.stderr else line
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        for pipe in (process.stdin, process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()


def acquire(folder: Path, feed: str = "news", **options: Any) -> None:
    """Take the lock and let it go again."""
    with feed_lock(folder, feed, **options):
        pass


def release(process: subprocess.Popen[str]) -> None:
    """Let the holder finish normally."""
    assert process.stdin is not None
    process.stdin.close()
    assert process.wait(timeout=10) == 0


# --- one process -------------------------------------------------------------------------------


def test_the_lock_file_names_the_holder(tmp_path: Path) -> None:
    locks = tmp_path / "state" / "locks"  # made when missing
    with feed_lock(locks, "news", wait=0):
        pid, host, since = (locks / "news.lock").read_text().split()
    assert int(pid) == os.getpid()
    assert host
    assert abs(int(since) - time.time()) < 60


def test_the_lock_is_released_when_the_block_raises(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), feed_lock(tmp_path, "news", wait=0):
        raise RuntimeError("the run failed")
    acquire(tmp_path, wait=0)


def test_a_garbled_lock_file_still_gives_a_clear_message(tmp_path: Path) -> None:
    """The holder is then "another process"; reading the file never raises anything else."""
    with feed_lock(tmp_path, "news", wait=0):
        (tmp_path / "news.lock").write_bytes(b"12 host not-a-number\n")
        with pytest.raises(LockBusy, match="being published by another process"):
            acquire(tmp_path, wait=0)


# --- two processes -------------------------------------------------------------------------------


def test_a_second_process_waits_then_names_the_holder(tmp_path: Path, hold: Holder) -> None:
    holder = hold()
    started = time.monotonic()

    with pytest.raises(LockBusy) as caught:
        acquire(tmp_path / "locks", wait=0.5)

    waited = time.monotonic() - started
    message = str(caught.value)
    assert f"process {holder.pid} on " in message
    assert "feed 'news'" in message
    assert "gave up after 0.5 s" in message
    assert str(tmp_path / "locks" / "news.lock") in message
    assert 0.5 <= waited < 5


def test_a_second_process_gets_the_lock_when_the_first_finishes(
    tmp_path: Path, hold: Holder
) -> None:
    holder = hold()
    timer = threading.Timer(0.5, release, args=(holder,))
    timer.start()
    started = time.monotonic()
    try:
        with feed_lock(tmp_path / "locks", "news", wait=10):
            waited = time.monotonic() - started
            assert (tmp_path / "locks" / "news.lock").read_text().split()[0] == str(os.getpid())
    finally:
        timer.join()
    assert 0.4 <= waited < 5


def test_other_feeds_are_not_held_up(tmp_path: Path, hold: Holder) -> None:
    hold(feed="news")
    acquire(tmp_path / "locks", "sport", wait=0)


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path, hold: Holder) -> None:
    """The lock file stays behind, naming a dead process; the kernel has dropped the lock."""
    holder = hold()
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)
    lock_file = tmp_path / "locks" / "news.lock"
    assert lock_file.read_text().split()[0] == str(holder.pid)

    started = time.monotonic()
    with feed_lock(tmp_path / "locks", "news", wait=0):
        assert lock_file.read_text().split()[0] == str(os.getpid())
    assert time.monotonic() - started < 1


def test_a_stop_request_ends_the_wait_at_once(tmp_path: Path, hold: Holder) -> None:
    """A daemon asked to stop does not sit out the whole wait for another process's lock."""
    holder = hold()
    stop = threading.Event()
    timer = threading.Timer(0.3, stop.set)
    timer.start()
    started = time.monotonic()

    with pytest.raises(LockBusy, match=rf"process {holder.pid} .*; stopping"):
        acquire(tmp_path / "locks", wait=30, stop=stop)

    assert time.monotonic() - started < 3
    timer.join()


# --- `feedkit run --once` beside another process -----------------------------------------------

FEED_TOML = """\
title = "News"
[[source]]
name = "local"
path = "articles"
"""
ARTICLE = """\
---
title: Harbour reopens
date: 2024-05-01T08:00:00Z
link: https://example.org/harbour
---

Ships moved again on Wednesday after a week of storms closed the port.
"""


@pytest.fixture
def run_once_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[[], tuple[int, str]]:
    """`feedkit run --once` on tmp_path/feeds, in-process: (exit code, stderr).

    `run --once` waits 10 s for a busy lock; here it waits 0.5 s, to keep the suite fast."""
    (tmp_path / "feeds" / "articles").mkdir(parents=True)
    (tmp_path / "feeds" / "news.toml").write_text(FEED_TOML)
    (tmp_path / "feeds" / "articles" / "harbour.md").write_text(ARTICLE)
    monkeypatch.setattr(
        feedkit.pipeline,
        "run_feed_locked",
        partial(feedkit.pipeline.run_feed_locked, wait=0.5),
    )
    argv = ["run", "--once", "--config", str(tmp_path / "feeds"), "--output", str(tmp_path / "out")]
    argv += ["--state", str(tmp_path / "state" / "state.db")]

    def run() -> tuple[int, str]:
        code = feedkit.cli.main(argv)
        _, err = capsys.readouterr()
        assert "Traceback" not in err
        return code, err

    return run


def test_run_once_beside_a_holder_says_which_process_holds_the_lock(
    tmp_path: Path, hold: Holder, run_once_cli: Callable[[], tuple[int, str]]
) -> None:
    holder = hold(tmp_path / "state" / "locks", "news")

    code, err = run_once_cli()

    assert code == 1
    [line] = err.splitlines()
    assert line.startswith("feedkit: error: news: feed 'news' is being published by ")
    assert f"process {holder.pid} on " in line
    assert not (tmp_path / "out").exists()

    release(holder)
    code, err = run_once_cli()
    assert (code, err) == (0, "")
    assert_valid_atom((tmp_path / "out" / "news" / "all.atom.xml").read_bytes())


def test_run_once_after_a_killed_holder_publishes_at_once(
    tmp_path: Path, hold: Holder, run_once_cli: Callable[[], tuple[int, str]]
) -> None:
    holder = hold(tmp_path / "state" / "locks", "news")
    holder.kill()
    holder.wait(timeout=10)

    code, err = run_once_cli()

    assert (code, err) == (0, "")
    assert (tmp_path / "out" / "news" / "all.atom.xml").exists()
