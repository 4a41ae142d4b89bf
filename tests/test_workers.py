"""Chunks of work spread over forked workers and this process, nothing lost (reading.py's scan)."""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType

import pytest

from feedkit.workers import _FRAME, _receive, _Worker, map_chunks

PARENT = os.getpid()


def squares_and_pids(chunk: Sequence[int]) -> tuple[list[int], int]:
    return [n * n for n in chunk], os.getpid()


def test_results_come_back_in_chunk_order_from_both_processes() -> None:
    parts = map_chunks(squares_and_pids, range(1000), chunk=10, workers=2, meanwhile=_pause)
    assert [n for squares, _ in parts for n in squares] == [n * n for n in range(1000)]
    assert {pid for _, pid in parts} - {PARENT}  # a forked worker did some of them


def _pause() -> None:
    threading.Event().wait(0.2)  # the caller is busy: the worker takes chunks meanwhile


def test_one_process_does_it_all_when_asked_for_one_worker() -> None:
    parts = map_chunks(squares_and_pids, range(100), chunk=10, workers=1)
    assert {pid for _, pid in parts} == {PARENT}
    assert [n for squares, _ in parts for n in squares] == [n * n for n in range(100)]


def die_in_a_worker(chunk: Sequence[int]) -> list[int]:
    if os.getpid() != PARENT:
        os._exit(3)  # a worker killed mid-way: its results never arrive
    return list(chunk)


def test_a_failed_worker_loses_nothing() -> None:
    parts = map_chunks(die_in_a_worker, range(500), chunk=10, workers=2, meanwhile=_pause)
    assert [n for part in parts for n in part] == list(range(500))


def test_no_fork_while_other_threads_run() -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        parts = map_chunks(squares_and_pids, range(100), chunk=10, workers=2)
    finally:
        stop.set()
        other.join()
    assert {pid for _, pid in parts} == {PARENT}


def test_progress_counts_every_item_and_meanwhile_runs_once() -> None:
    seen: list[tuple[int, int]] = []
    calls: list[int] = []
    map_chunks(
        squares_and_pids,
        range(300),
        chunk=7,
        workers=2,
        meanwhile=lambda: calls.append(1),
        progress=lambda done, total: seen.append((done, total)),
    )
    assert calls == [1]
    assert seen[-1] == (300, 300)
    assert all(done <= total for done, total in seen)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_an_empty_list_gives_no_results() -> None:
    assert map_chunks(squares_and_pids, [], chunk=10, workers=2) == []


@pytest.fixture
def deadline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A test that hangs (this process and its workers waiting on each other) fails in 30 s.

    The workers forked meanwhile are killed, which ends the wait here on their pipes.
    """
    forked: list[int] = []
    fork = os.fork

    def recording_fork() -> int:
        pid = fork()
        if pid:
            forked.append(pid)
        return pid

    def expire(signum: int, frame: FrameType | None) -> None:
        for pid in forked:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        raise TimeoutError("map_chunks hung: waiting on its workers while they wait on it?")

    monkeypatch.setattr(os, "fork", recording_fork)
    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(30)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_many_small_results_come_back_in_chunk_order_from_a_real_fork(deadline: None) -> None:
    parts = map_chunks(squares_and_pids, range(3000), chunk=1, workers=2, meanwhile=_pause)
    assert [n for squares, _ in parts for n in squares] == [n * n for n in range(3000)]
    assert {pid for _, pid in parts} - {PARENT}


def _until(flag: Path) -> Callable[[], None]:
    """A `meanwhile` that takes no chunk until a worker has raised `flag`."""

    def wait() -> None:
        for _ in range(2000):
            if flag.exists():
                return
            threading.Event().wait(0.005)

    return wait


@pytest.mark.parametrize("how", ["exit", "raise"], ids=["killed", "raising"])
def test_a_worker_failing_mid_way_keeps_what_it_sent_and_loses_no_chunk(
    tmp_path: Path, how: str, deadline: None
) -> None:
    flag = tmp_path / "failed"

    def fail_at_50(chunk: Sequence[int]) -> tuple[list[int], int]:
        if os.getpid() != PARENT and chunk[0] == 50:
            flag.touch()
            if how == "exit":
                os._exit(3)
            raise RuntimeError("a worker fails")
        return list(chunk), os.getpid()

    parts = map_chunks(fail_at_50, range(100), chunk=1, workers=2, meanwhile=_until(flag))
    assert [n for part, _ in parts for n in part] == list(range(100))
    assert all(pid != PARENT for _, pid in parts[:50])  # sent before it failed: kept
    assert parts[50][1] == PARENT  # the chunk it failed on: done here


MEGABYTE = 1 << 20


def _filled(index: int) -> bytes:
    return index.to_bytes(2, "little") * (MEGABYTE // 2)


def test_a_result_cut_short_by_a_crash_is_done_again(tmp_path: Path, deadline: None) -> None:
    flag = tmp_path / "failed"

    def die_after_a_big_one(chunk: Sequence[int]) -> tuple[bytes, int]:
        if os.getpid() != PARENT and chunk[0] == 6:
            flag.touch()  # the result of chunk 5 is in part still in this process: lost
            os._exit(3)
        return _filled(chunk[0]) if chunk[0] == 5 else b"", os.getpid()

    parts = map_chunks(die_after_a_big_one, range(20), chunk=1, workers=2, meanwhile=_until(flag))
    assert all(pid != PARENT for _, pid in parts[:5])
    assert parts[5] == (_filled(5), PARENT)
    assert all(data == b"" for data, _ in parts[6:])


def test_results_bigger_than_a_pipe_arrive_whole_without_a_deadlock(deadline: None) -> None:
    def filled(chunk: Sequence[int]) -> tuple[bytes, int]:
        return _filled(chunk[0]), os.getpid()

    parts = map_chunks(filled, range(40), chunk=1, workers=3)
    assert [data for data, _ in parts] == [_filled(i) for i in range(40)]
    assert {pid for _, pid in parts} - {PARENT}


def slow_filled(chunk: Sequence[int]) -> tuple[bytes, int]:
    threading.Event().wait(0.002)  # long enough for every worker to take some chunks
    return chunk[0].to_bytes(2, "little") * 50_000, os.getpid()


def test_results_of_several_workers_are_each_put_in_their_place(deadline: None) -> None:
    parts = map_chunks(slow_filled, range(200), chunk=1, workers=3, meanwhile=_pause)
    assert [data for data, _ in parts] == [i.to_bytes(2, "little") * 50_000 for i in range(200)]
    assert len({pid for _, pid in parts} - {PARENT}) == 2


def _frame(index: int, data: bytes) -> bytes:
    return _FRAME.pack(index, len(data)) + data


GOOD = pickle.dumps([1, 2])


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        (_frame(0, GOOD) + _frame(1, GOOD), {0: [1, 2], 1: [1, 2]}),
        (_frame(0, GOOD) + _frame(1, GOOD)[:-1], {0: [1, 2]}),
        (_frame(0, GOOD) + _frame(1, GOOD)[:5], {0: [1, 2]}),
        (_frame(0, GOOD) + _frame(1, b"not a pickle") + _frame(2, GOOD), {0: [1, 2]}),
        (_frame(0, GOOD) + _frame(7, GOOD) + _frame(2, GOOD), {0: [1, 2]}),
    ],
    ids=["whole", "pickle-cut-short", "header-cut-short", "garbage", "no-such-chunk"],
)
def test_only_whole_results_are_taken_from_a_worker(sent: bytes, kept: dict[int, object]) -> None:
    read, write = os.pipe()
    os.write(write, sent)
    os.close(write)
    worker = _Worker(0, read)
    results: dict[int, object] = {}
    _receive(worker, results, 3)
    assert results == kept
    assert worker.fd == -1  # read to the end and closed
