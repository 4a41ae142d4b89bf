"""Spreading chunks of work over the machine's cores: forked workers and this process (I/O).

`map_chunks` forks worker processes that share one work queue with the calling process: a pipe
filled with chunk numbers, each read taking the next one, so a process that is busier (the
caller, importing what it needs next while the workers read files) simply takes fewer chunks.
Each worker sends its results back, pickled, through its own pipe when the queue runs dry.
Nothing is lost when a worker fails: the chunks it does not report are done in this process.

Forking a process that runs other threads can copy a lock some thread holds; with other threads
running (the daemon's scheduler), everything is done in this process.  The multiprocessing
module is not used: it costs 15 ms to import and more to start its pool, on a path where
`convert` of 10,000 files takes about a second in all.
"""

from __future__ import annotations

import mmap
import os
import pickle
import struct
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
U = TypeVar("U")

_ID = struct.Struct("<H")  # a chunk number in the queue
_MAX_CHUNKS = 16_000  # 2 bytes each: the queue must fit in a pipe's buffer (64 KiB on Linux)
_COUNT = struct.Struct("<q")  # items done, one slot per process, for progress


def map_chunks(
    work: Callable[[Sequence[T]], U],
    items: Sequence[T],
    *,
    chunk: int,
    workers: int,
    meanwhile: Callable[[], object] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[U]:
    """`work` over `items` cut into chunks of `chunk`, results in chunk order.

    Runs in `workers - 1` forked processes and this one; `meanwhile`, if given, runs here first,
    while the workers start on the queue.  `progress(done, total)` is called here as chunks
    finish.  `work` must be a pure function of its chunk: a failed worker's chunks run again.
    """
    size = max(chunk, -(-len(items) // _MAX_CHUNKS))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    results: dict[int, U] = {}
    children: list[tuple[int, int]] = []  # (pid, read end of its result pipe)
    counts = mmap.mmap(-1, _COUNT.size * max(workers, 1))  # shared with the children
    if workers > 1 and len(chunks) > 1 and threading.active_count() == 1 and _can_fork():
        queue_read, queue_write = os.pipe()
        os.write(queue_write, b"".join(_ID.pack(i) for i in range(len(chunks))))
        for slot in range(1, workers):
            child = _fork_worker(work, chunks, queue_read, queue_write, counts, slot)
            if child is not None:
                children.append(child)
        os.close(queue_write)
        try:
            if meanwhile is not None:
                meanwhile()
            for index in _Queue(queue_read):
                results[index] = work(chunks[index])
                _report(counts, 0, len(chunks[index]), progress, len(items))
        finally:
            os.close(queue_read)
            for pid, result_read in children:
                results.update(_collect(pid, result_read))  # type: ignore[arg-type]
    elif meanwhile is not None:
        meanwhile()
    for index, part in enumerate(chunks):  # everything, when nothing was forked
        if index not in results:
            results[index] = work(part)
            _report(counts, 0, len(part), progress, len(items))
    if progress is not None and items:
        progress(len(items), len(items))
    return [results[index] for index in range(len(chunks))]


def _can_fork() -> bool:
    return hasattr(os, "fork") and sys.platform != "win32"


def _fork_worker(
    work: Callable[[Sequence[T]], U],
    chunks: list[Sequence[T]],
    queue_read: int,
    queue_write: int,
    counts: mmap.mmap,
    slot: int,
) -> tuple[int, int] | None:
    """Start one worker; (its pid, the read end of its result pipe), or None if fork failed."""
    result_read, result_write = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(result_read)
        os.close(result_write)
        return None
    if pid:
        os.close(result_write)
        return pid, result_read
    # The worker: take chunks until the queue is empty, send the results, and leave without
    # running the parent's exit handlers or flushing its buffers.
    status = 1
    try:
        os.close(queue_write)
        os.close(result_read)
        done: list[tuple[int, U]] = []
        for index in _Queue(queue_read):
            done.append((index, work(chunks[index])))
            _report(counts, slot, len(chunks[index]), None, 0)
        with os.fdopen(result_write, "wb") as out:
            pickle.dump(done, out, protocol=pickle.HIGHEST_PROTOCOL)
        status = 0
    finally:
        os._exit(status)


class _Queue:
    """Chunk numbers read one at a time from the shared queue pipe, until it is empty."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def __iter__(self) -> _Queue:
        return self

    def __next__(self) -> int:
        data = os.read(self.fd, _ID.size)  # a pipe read of 2 bytes is never split
        if len(data) < _ID.size:
            raise StopIteration
        index: int = _ID.unpack(data)[0]
        return index


def _collect(pid: int, result_read: int) -> dict[int, object]:
    """A worker's results; nothing if it failed (its chunks are then done here)."""
    with os.fdopen(result_read, "rb") as source:
        data = source.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not data:
        return {}
    try:
        done = pickle.loads(data)
    except (pickle.UnpicklingError, EOFError, ValueError):
        return {}
    return dict(done)


def _report(
    counts: mmap.mmap,
    slot: int,
    items: int,
    progress: Callable[[int, int], None] | None,
    total: int,
) -> None:
    offset = slot * _COUNT.size
    _COUNT.pack_into(counts, offset, _COUNT.unpack_from(counts, offset)[0] + items)
    if progress is not None:
        size = len(counts) // _COUNT.size
        done = sum(_COUNT.unpack_from(counts, i * _COUNT.size)[0] for i in range(size))
        progress(min(done, total), total)
