"""Issue 7's remaining file and feed cases: each gives entries or one clear reason, quickly."""

from __future__ import annotations

import os
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

from conformance import assert_valid_atom

from feedkit.convert import convert
from feedkit.discover import list_articles
from feedkit.model import ArticleOptions
from feedkit.reading import _Job
from feedkit.remote import RemoteOptions, parse_feed
from feedkit.urls import DEFAULT_RULES

GOOD = "---\ntitle: Good\ndate: 2024-06-01\nlink: https://e.org/{n}\n---\n\nEnglish text {n}.\n"


def job(**options: object) -> _Job:
    return _Job(
        source="src",
        priority=0,
        options=ArticleOptions(**options),  # type: ignore[arg-type]
        rules=DEFAULT_RULES,
        tz=UTC,
        full=True,
    )


def test_a_file_that_vanishes_between_listing_and_reading_is_one_clear_problem(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.md").write_text(GOOD.format(n=1), encoding="utf-8")
    [found], _ = list_articles(tmp_path)
    (tmp_path / "a.md").unlink()
    result = job().read_all([found])
    [problem] = result.problems
    assert problem.where == str(tmp_path / "a.md")
    assert "cannot read: no such file" in problem.message


def test_a_file_that_grows_past_the_limit_after_listing_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(GOOD.format(n=1), encoding="utf-8")
    [found], _ = list_articles(tmp_path)
    (tmp_path / "a.md").write_text(GOOD.format(n=1) + "x" * 10_000, encoding="utf-8")
    [problem] = job(max_file_size=4096).read_all([found]).problems
    assert "over the 4096 limit" in problem.message


def test_a_file_name_that_is_not_utf8_is_published_and_named_in_messages(
    tmp_path: Path, capsys: object
) -> None:
    folder = os.fsencode(tmp_path / "in")
    os.mkdir(folder)
    with open(os.path.join(folder, b"caf\xe9.md"), "wb") as handle:  # Latin-1 name
        handle.write(b"---\ntitle: Odd name\ndate: 2024-06-01\n---\n\nEnglish text.\n")
    report = convert([str(tmp_path / "in")], tmp_path / "out")
    assert not report.failed
    [warning] = report.warnings  # the id-from-path warning names the file
    assert "caf" in warning.where
    assert_valid_atom((tmp_path / "out" / "en.atom.xml").read_bytes())


def test_tabs_in_front_matter_give_entries_or_one_clear_problem(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "tabs.md").write_text(
        "---\ntitle:\tTabbed\ndate:\t2024-06-01\ntags:\n\t- a\n---\n\nEnglish text.\n",
        encoding="utf-8",
    )
    (tmp_path / "in" / "good.md").write_text(GOOD.format(n=2), encoding="utf-8")
    report = convert([str(tmp_path / "in")], tmp_path / "out")
    assert len(report.failed) <= 1
    for problem in report.failed:
        assert problem.where.startswith(str(tmp_path / "in" / "tabs.md"))
        assert "YAML" in problem.message
    assert_valid_atom((tmp_path / "out" / "en.atom.xml").read_bytes())


def test_a_feed_of_ten_thousand_entries_costs_bounded_time_and_memory() -> None:
    items = "".join(
        f"<item><title>Item {i}</title><link>https://e.org/{i}</link><guid>g{i}</guid>"
        f"<description>Text {i}</description></item>"
        for i in range(10_000)
    )
    head = '<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>'
    body = f"{head}{items}</channel></rss>".encode()
    options = RemoteOptions(source="big", priority=0, max_entries=1_000)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    started = time.perf_counter()
    parsed = parse_feed(body, url="https://e.org/feed.xml", options=options, now=now)
    elapsed = time.perf_counter() - started  # feedparser itself takes most of it (~4 s here)
    tracemalloc.start()
    try:
        parse_feed(body, url="https://e.org/feed.xml", options=options, now=now)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(parsed.entries) == 1_000
    assert "9000 entries after the first 1000 left out" in parsed.problems
    assert elapsed < 20
    assert peak < 300 * 1024 * 1024


HOSTILE_TOML = {
    "deep.md": "+++\na = " + "[" * 50_000 + "]" * 50_000 + "\n+++\n\nText.\n",
    "deep-tables.md": "+++\na = " + "{b = " * 20_000 + "1" + "}" * 20_000 + "\n+++\n\nText.\n",
    "huge-number.md": "+++\na = " + "1" * 5_000 + "\n+++\n\nText.\n",
    "many-keys.md": "+++\n" + "".join(f"k{i} = [1, 2]\n" for i in range(20_000)) + "+++\n\nx\n",
}
HOSTILE_TOML_REASONS = {
    "deep.md": "front matter is too large or nests too deeply",
    "deep-tables.md": "front matter is too large or nests too deeply",
    "huge-number.md": "invalid TOML in front matter: a number too long to read",
    "many-keys.md": "front matter is too large or nests too deeply (over 5000 values)",
}


def test_hostile_toml_front_matter_is_one_clear_problem_each(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    for name, text in HOSTILE_TOML.items():
        (tmp_path / "in" / name).write_text(text, encoding="utf-8")
    (tmp_path / "in" / "good.md").write_text(GOOD.format(n=1), encoding="utf-8")
    report = convert([str(tmp_path / "in")], tmp_path / "out")
    reasons = {Path(p.where).name.split(":")[0]: p.message for p in report.failed}
    assert reasons == HOSTILE_TOML_REASONS
    assert all(p.where.endswith(":2") for p in report.failed)
    assert report.entries == 1
    assert_valid_atom((tmp_path / "out" / "en.atom.xml").read_bytes())
