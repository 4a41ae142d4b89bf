"""Spreading chunks of work over the machine's cores: forked workers and this process (I/O).

`map_chunks` forks worker processes that share one work queue with the calling process: a pipe
filled with chunk numbers, each read taking the next one, so a process that is busier (the
caller, importing what it needs next while the workers read files) simply takes fewer chunks.
Each worker sends each chunk's result, pickled, through its own pipe as soon as it is done, and
this process takes them in between its own chunks: the pickling and unpickling overlap with the
work instead of following it.  Nothing is lost when a worker fails: the chunks it does not report
whole are done in this process.

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
from typing import Any, TypeVar

T = TypeVar("T")
U = TypeVar("U")

_ID = struct.Struct("<H")  # a chunk number in the queue
_MAX_CHUNKS = 16_000  # 2 bytes each: the queue must fit in a pipe's buffer (64 KiB on Linux)
_COUNT = struct.Struct("<q")  # items done, one slot per process, for progress
_FRAME = struct.Struct("<HQ")  # before each result on a worker's pipe: chunk number, length
_READ = 1 << 16  # bytes asked for per read of a result pipe: a whole pipe buffer
# What pickle.loads raises on bytes that are not a pickle (its documentation names the others).
_GARBAGE = (pickle.UnpicklingError, AttributeError, EOFError, ImportError, IndexError, ValueError)


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
    children: list[_Worker] = []
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
                for child in children:  # without waiting: only what they have sent so far
                    _receive(child, results, len(chunks))
        finally:
            os.close(queue_read)
            _finish(children, results, len(chunks))
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


class _Worker:
    """A forked worker seen from here: its pid, its result pipe, and what came of it so far."""

    __slots__ = ("broken", "buffer", "fd", "pid")

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self.fd = fd  # -1 once the pipe is read to its end and closed
        self.buffer = bytearray()  # the start of a frame still on its way
        self.broken = False  # it sent something that is not a result: the rest is ignored


def _fork_worker(
    work: Callable[[Sequence[T]], U],
    chunks: list[Sequence[T]],
    queue_read: int,
    queue_write: int,
    counts: mmap.mmap,
    slot: int,
) -> _Worker | None:
    """Start one worker; None if fork failed."""
    result_read, result_write = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(result_read)
        os.close(result_write)
        return None
    if pid:
        os.close(result_write)
        os.set_blocking(result_read, False)  # read between chunks here: never wait on it
        return _Worker(pid, result_read)
    # The worker: take chunks until the queue is empty, sending each result, and leave without
    # running the parent's exit handlers or flushing its buffers.
    status = 1
    try:
        os.close(queue_write)
        os.close(result_read)
        _serve(work, chunks, queue_read, result_write, counts, slot)
        status = 0
    finally:
        os._exit(status)


def _serve(
    work: Callable[[Sequence[T]], U],
    chunks: list[Sequence[T]],
    queue_read: int,
    out: int,
    counts: mmap.mmap,
    slot: int,
) -> None:
    """In a worker: do chunks from the queue, sending each result in a frame once it is done.

    While chunks remain the pipe is written without waiting, whatever does not fit kept for
    later: the parent empties it only between its own chunks, and a worker waiting for that
    would sit idle.  It waits only at the end, when there is nothing else to do.
    """
    os.set_blocking(out, False)
    pending = bytearray()
    for index in _Queue(queue_read):
        data = pickle.dumps(work(chunks[index]), protocol=pickle.HIGHEST_PROTOCOL)
        pending += _FRAME.pack(index, len(data))
        pending += data
        _send(out, pending)
        _report(counts, slot, len(chunks[index]), None, 0)
    os.set_blocking(out, True)
    _send(out, pending)


def _send(fd: int, pending: bytearray) -> None:
    """Write what the pipe takes now (all of it if `fd` blocks), dropping it from `pending`."""
    while pending:
        try:
            written = os.write(fd, pending)
        except BlockingIOError:
            return
        del pending[:written]


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


def _receive(worker: _Worker, results: dict[int, Any], count: int) -> None:
    """Take in the results `worker` has sent: what is there now, or all, if its pipe blocks."""
    while worker.fd >= 0:
        try:
            data = os.read(worker.fd, _READ)
        except BlockingIOError:
            return
        if not data:  # it is done, or dead: a frame left in the buffer was cut short
            os.close(worker.fd)
            worker.fd = -1
        elif not worker.broken:
            worker.buffer += data
            frames, used = _frames(worker.buffer)
            del worker.buffer[:used]
            worker.broken = not _unpickle(frames, results, count)


def _frames(buffer: bytearray) -> tuple[list[tuple[int, bytearray]], int]:
    """The whole frames at the start of `buffer` as (chunk number, pickle), and bytes they take."""
    frames = []
    start = 0
    while len(buffer) - start >= _FRAME.size:
        index, size = _FRAME.unpack_from(buffer, start)
        end = start + _FRAME.size + size
        if end > len(buffer):
            break
        frames.append((index, buffer[start + _FRAME.size : end]))
        start = end
    return frames, start


def _unpickle(frames: list[tuple[int, bytearray]], results: dict[int, Any], count: int) -> bool:
    """Add the results in `frames` to `results`; False at the first that is not one."""
    for index, data in frames:
        if index >= count:
            return False
        try:
            results[index] = pickle.loads(data)
        except _GARBAGE:
            return False
    return True


def _finish(children: list[_Worker], results: dict[int, Any], count: int) -> None:
    """Once this process takes no more chunks: the rest of every worker's results, then reap it.

    Waiting here on one pipe while another worker waits to write to its own is safe: no worker
    needs anything more from this process to finish the queue and leave.
    """
    try:
        for child in children:
            if child.fd >= 0:
                os.set_blocking(child.fd, True)
            _receive(child, results, count)
    finally:
        for child in children:
            if child.fd >= 0:
                os.close(child.fd)  # after an error here: a worker still writing stops
                child.fd = -1
            os.waitpid(child.pid, 0)


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
