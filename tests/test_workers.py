"""Chunks of work spread over forked workers and this process, nothing lost (reading.py's scan)."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

from feedkit.workers import map_chunks

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
