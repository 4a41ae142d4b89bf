"""Reading many files in worker processes gives exactly what reading them one by one gives."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import pytest

from feedkit import reading
from feedkit.convert import convert
from feedkit.model import Problem, Scanned

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from corpus import generate


def test_parallel_and_serial_reads_publish_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate(tmp_path / "articles", 60, seed=3)
    (tmp_path / "articles" / "000" / "broken.md").write_text("---\ntitle: [x\n---\nbody\n")
    serial = convert([str(tmp_path / "articles")], tmp_path / "serial")
    monkeypatch.setattr(reading, "PARALLEL_FROM", 10)
    monkeypatch.setattr(reading, "CHUNK", 7)
    monkeypatch.setattr(reading.os, "cpu_count", lambda: 2)
    parallel = convert([str(tmp_path / "articles")], tmp_path / "parallel")
    assert [str(p) for p in parallel.problems] == [str(p) for p in serial.problems]
    names = sorted(p.name for p in (tmp_path / "serial").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "parallel").iterdir())
    for name in names:
        assert (tmp_path / "serial" / name).read_bytes() == (
            tmp_path / "parallel" / name
        ).read_bytes()


def test_what_a_worker_process_sends_back_arrives_whole(tmp_path: Path) -> None:
    """Collected crosses from worker processes pickled, scanned entries and problems as plain
    tuples."""
    (tmp_path / "a.md").write_text(
        "---\ndate: 2024-06-11\n---\n\n[Source](https://ft.com/a)\n\nText.\n", encoding="utf-8"
    )
    (tmp_path / "b.md").write_text("---\ntitle: [\n---\nbroken\n", encoding="utf-8")
    (tmp_path / "c.md").write_text("---\ndate: 2024-06-11\n---\n\nNo source.\n", encoding="utf-8")
    collected = reading.collect_articles(tmp_path, full=False)
    assert collected.scanned
    assert {p.fatal for p in collected.problems} == {True, False}  # an error, a warning
    back = pickle.loads(pickle.dumps(collected))
    assert back == collected
    assert all(type(item) is Scanned for item in back.scanned)
    assert all(type(item) is Problem for item in back.problems)
