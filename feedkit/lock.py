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
import time
from collections.abc import Iterator
from pathlib import Path

from feedkit.errors import FeedkitError


class LockBusy(FeedkitError):
    """Another process holds the feed's lock (after waiting)."""


@contextlib.contextmanager
def feed_lock(folder: Path, feed: str, *, wait: float = 10.0, poll: float = 0.1) -> Iterator[None]:
    """Hold the lock of `feed` (in `folder`) for the duration of the block.

    Waits up to `wait` seconds for another holder, then raises LockBusy naming it.
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
                if time.monotonic() >= deadline:
                    raise LockBusy(
                        f"feed '{feed}' is being published by {_holder(path)}; "
                        f"gave up after {wait:g} s (lock file {path})"
                    ) from None
                time.sleep(poll)
        stamp = f"{os.getpid()} {socket.gethostname()} {int(time.time())}\n".encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, stamp, 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def _holder(path: Path) -> str:
    try:
        pid, host, since = path.read_text().split()[:3]
    except (OSError, ValueError):
        return "another process"
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(since)))
    return f"process {pid} on {host} (since {started})"
