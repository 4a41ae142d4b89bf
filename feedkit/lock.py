"""One publisher per feed at a time, across processes: `run --once` from cron and the daemon.

An advisory `flock` on a lock file per feed.  The kernel drops it when the holding process
dies, however it dies, so a stale lock from a killed process never blocks anyone; the pid and
start time written into the file only serve the message naming the holder.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from feedkit.errors import FeedkitError


class LockBusy(FeedkitError):
    """Another process holds the feed's lock (after waiting)."""


@contextlib.contextmanager
def feed_lock(
    folder: Path,
    feed: str,
    *,
    wait: float = 10.0,
    poll: float = 0.1,
    stop: threading.Event | None = None,
) -> Iterator[None]:
    """Hold the lock of `feed` (in `folder`) for the duration of the block.

    Waits up to `wait` seconds for another holder, then raises LockBusy naming it; gives up at
    once when `stop` is set (a daemon shutting down does not sit out the wait).
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{feed}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                stopping = stop is not None and stop.is_set()
                if stopping or time.monotonic() >= deadline:
                    why = "stopping" if stopping else f"gave up after {wait:g} s"
                    raise LockBusy(
                        f"feed '{feed}' is being published by {_holder(path)}; "
                        f"{why} (lock file {path})"
                    ) from None
                (stop or threading.Event()).wait(poll)
        stamp = f"{os.getpid()} {socket.gethostname()} {int(time.time())}\n".encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, stamp, 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def _holder(path: Path) -> str:
    try:
        pid, host, since = path.read_text().split()[:3]
        started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(since)))
    except (OSError, ValueError, OverflowError):  # unreadable, or not what feed_lock writes
        return "another process"
    return f"process {pid} on {host} (since {started})"
