"""Crash safety: `feedkit run --once` killed with SIGKILL at random points, and a full disk.

After every kill: every output file parses, every feed holds either the entry set it held before
the run or the one the next complete run publishes, the SQLite store passes `integrity_check`,
and the next run completes.  A write that fails for a full disk (RLIMIT_FSIZE → EFBIG) is one
clear error naming the file, and the previous output stays byte for byte.
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conformance import assert_valid_atom
from lxml import etree

BENCH = Path(__file__).parent.parent / "bench"
DATA = Path(__file__).parent / "data"
ATOM = "{http://www.w3.org/2005/Atom}"
ITERATIONS = 20
ARTICLES = 200

CONFIG = """\
title = "Crash"
base_url = "https://example.org/feeds/crash/"
formats = ["atom", "rss", "json"]

[[source]]
name = "local"
path = "../articles"

[[source]]
name = "news"
path = "../news.xml"
lang = "en"
"""

# Per feed file (relative to output/crash): the set of (atom:id, title) it holds.
Sets = dict[str, frozenset[tuple[str, str]]]


def _corpus() -> Callable[..., object]:
    sys.path.insert(0, str(BENCH))
    try:
        import corpus
    finally:
        sys.path.remove(str(BENCH))
    return corpus  # type: ignore[return-value]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("COVERAGE_PROCESS_START", None)
    return env


def _run_cmd(root: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "feedkit",
        "run",
        "--once",
        "--config",
        str(root / "feeds"),
        "--output",
        str(root / "output"),
        "--state",
        str(root / "state" / "state.db"),
    ]


def _complete_run(root: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        _run_cmd(root), capture_output=True, text=True, env=_env(), timeout=60, check=False
    )
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
    return done


def _killed_run(root: Path, delay: float) -> bool:
    """Start a run and SIGKILL it after `delay` seconds; True when it was killed mid-run."""
    proc = subprocess.Popen(
        _run_cmd(root), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env()
    )
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        return True
    return False


def _publish_killed_run(root: Path, out: Path, extra: float) -> bool:
    """Start a run and SIGKILL it `extra` seconds after it starts writing output files."""
    stamp = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    proc = subprocess.Popen(
        _run_cmd(root), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env()
    )
    try:
        while proc.poll() is None:
            now = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
            if now != stamp:
                time.sleep(extra)
                break
            time.sleep(0.001)
    except FileNotFoundError:  # a temp file renamed while we looked: publishing has begun
        time.sleep(extra)
    if proc.poll() is not None:
        return False
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    return True


def _visible_files(out: Path) -> list[Path]:
    return sorted(
        p
        for p in out.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(out).parts)
    )


_VALID: dict[bytes, frozenset[tuple[str, str]]] = {}  # Atom bytes already checked → entries


def _check_output(out: Path) -> Sets:
    """Every visible output file parses; the entry set of every Atom feed."""
    sets: Sets = {}
    for path in _visible_files(out):
        data = path.read_bytes()
        name = str(path.relative_to(out))
        if name.endswith(".atom.xml"):
            if data not in _VALID:  # most files are unchanged between checks: validate once
                try:
                    assert_valid_atom(data)
                except AssertionError as exc:
                    raise AssertionError(f"{name}: {exc}") from exc
                root = etree.fromstring(data)
                _VALID[data] = frozenset(
                    (e.findtext(ATOM + "id") or "", e.findtext(ATOM + "title") or "")
                    for e in root.iter(ATOM + "entry")
                )
            sets[name] = _VALID[data]
        elif name.endswith((".xml", ".opml")):
            etree.fromstring(data)  # raises on a torn or empty file
        elif name.endswith(".json"):
            json.loads(data)
        else:
            raise AssertionError(f"unexpected output file {name}")
    return sets


def _hidden_temp_files(out: Path) -> list[Path]:
    return [p for p in out.rglob(".*.tmp") if p.is_file()]


def _integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def _change_inputs(root: Path, rng: random.Random, step: int) -> None:
    """Add, edit or remove article files and swap the feed file, as a pipeline would."""
    corpus = _corpus()
    articles = root / "articles"
    for extra in range(rng.randint(1, 3)):
        index = ARTICLES + step * 10 + extra
        both, zh, _ = corpus.article(rng, index, "split")  # type: ignore[attr-defined]
        text = both if rng.random() < 0.7 else zh
        text = text.replace("date: 2024-", "date: 2025-", 1)  # newer: enters the 50 newest
        (articles / "new" / f"n-{index:06d}.md").parent.mkdir(exist_ok=True)
        (articles / "new" / f"n-{index:06d}.md").write_text(text, encoding="utf-8")
    files = sorted(articles.rglob("*.md"))
    for path in rng.sample(files, 2):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("title: ", f"title: edit{step} ", 1), encoding="utf-8")
    if rng.random() < 0.3:
        rng.choice(sorted(articles.rglob("*.md"))).unlink()
    if rng.random() < 0.3:
        feed = rng.choice(["rss20.xml", "atom10.xml", "rss10.rdf"])
        shutil.copyfile(DATA / "feeds" / feed, root / "news.xml")


def test_kill_9_at_random_points_leaves_old_or_new_output(tmp_path: Path) -> None:
    rng = random.Random(20261125)
    _corpus().generate(tmp_path / "articles", ARTICLES, seed=7)  # type: ignore[attr-defined]
    shutil.copyfile(DATA / "feeds" / "rss20.xml", tmp_path / "news.xml")
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "crash.toml").write_text(CONFIG, encoding="utf-8")
    out = tmp_path / "output" / "crash"
    db = tmp_path / "state" / "state.db"

    _complete_run(tmp_path)
    _change_inputs(tmp_path, rng, -1)
    started = time.monotonic()
    _complete_run(tmp_path)  # a pass like the ones killed below: measure it
    duration = time.monotonic() - started
    before = _check_output(out)
    kills = mixed = 0
    temp_counts: list[int] = []
    for step in range(ITERATIONS):
        _change_inputs(tmp_path, rng, step)
        if step % 2:  # aim at the publishing phase, which is short
            kills += _publish_killed_run(tmp_path, out, rng.uniform(0, 0.01))
        else:  # anywhere in the run
            kills += _killed_run(tmp_path, rng.uniform(0.05, duration * 1.05))

        torn = _check_output(out)  # every visible file parses
        assert _integrity(db) == "ok"

        _complete_run(tmp_path)
        after = _check_output(out)
        assert _integrity(db) == "ok"
        for name, entries in torn.items():
            allowed = [s for s in (before.get(name), after.get(name)) if s is not None]
            assert entries in allowed, f"step {step}: {name} holds neither the old nor the new set"
        mixed += torn not in (before, after)
        temp_counts.append(len(_hidden_temp_files(tmp_path / "output")))
        before = after

    print(
        f"{kills} kills in {ITERATIONS} runs of {duration:.2f} s; {mixed} mid-publish; "
        f"{temp_counts[-1]} temp files left"
    )
    assert kills >= ITERATIONS // 2  # most runs were really killed mid-way
    # Hidden temp files left by killed runs are invisible to readers and `serve`, but they must
    # not pile up without bound: at most a few per kill.
    assert temp_counts[-1] <= 2 * kills, temp_counts


def _limited(limit: int) -> Callable[[], None]:
    def preexec() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return preexec


def _convert(src: Path, out: Path, limit: int | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feedkit", "convert", str(src), "-o", str(out)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
        check=False,
        preexec_fn=None if limit is None else _limited(limit),
    )


def _snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture
def published(tmp_path: Path) -> tuple[Path, Path, dict[str, bytes]]:
    """An article folder already converted to good feeds, then given a new article."""
    src = tmp_path / "articles"
    _corpus().generate(src, 20, seed=5)  # type: ignore[attr-defined]
    out = tmp_path / "out"
    first = _convert(src, out)
    assert first.returncode == 0, first.stderr
    old = _snapshot(out)
    for name, data in old.items():
        if name.endswith(".atom.xml"):
            assert_valid_atom(data)
    seed = (DATA / "seed-article.txt").read_text(encoding="utf-8")
    (src / "seed.md").write_text(seed.replace("2024-06-11", "2025-06-11", 1), encoding="utf-8")
    return src, out, old


def test_full_disk_is_a_clear_error_and_keeps_the_previous_output(
    published: tuple[Path, Path, dict[str, bytes]],
) -> None:
    src, out, old = published

    result = _convert(src, out, limit=512)  # smaller than every feed file

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("feedkit: error:")]
    assert errors, result.stderr
    for line in errors:
        assert str(out) in line and "too large" in line, line
    assert _snapshot(out) == old
    assert not _hidden_temp_files(out)


def test_partly_full_disk_leaves_each_file_old_or_new(
    published: tuple[Path, Path, dict[str, bytes]], tmp_path: Path
) -> None:
    src, out, old = published
    fresh = tmp_path / "fresh"
    assert _convert(src, fresh).returncode == 0
    new = _snapshot(fresh)
    sizes = sorted(len(data) for name, data in new.items() if name.endswith(".atom.xml"))
    limit = (sizes[0] + sizes[-1]) // 2  # the small feeds fit, the large ones do not

    result = _convert(src, out, limit=limit)

    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    now = _snapshot(out)
    for name, data in now.items():
        if name == ".feedkit-files":
            continue
        assert data in (old.get(name), new.get(name)), name
        if name.endswith(".atom.xml"):
            assert_valid_atom(data)
    assert not _hidden_temp_files(out)
