"""A run over unchanged inputs builds nothing, in the daemon and from cron (SPEC 6, issue 6).

When no file, remote entry or configuration changed since a feed was last built, and the files
that build wrote are still as it left them, building again would write the same bytes: the run
publishes nothing and reads no stored entry back.  The daemon knows this from memory; a fresh
process (`run --once` from cron) from the state database.  Every change that could change a feed
builds it again.  The tests use the real state database and the real pipeline (see
test_incremental.py's `Site`); spies on `Store.get_files` and `documents.build_feeds` only count
calls and pass them through.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from test_incremental import T1, T2, T3, T4, Site, article, new_site, url

import feedkit.documents
import feedkit.publish
from feedkit.clock import fixed_clock
from feedkit.config import load_config_dir
from feedkit.errors import PublishError
from feedkit.fetch import Fetcher
from feedkit.incremental import ArticleIndex
from feedkit.pipeline import FeedRun, run_feed, run_once
from feedkit.sources import RefreshContext
from feedkit.store import Published, Store


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return new_site(tmp_path)


@dataclass
class Calls:
    """How often the pipeline built a feed, and read every file's record back from the store."""

    builds: int = 0
    record_loads: int = 0
    seen: list[str] = field(default_factory=list)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    counted = Calls()
    build, get_files = feedkit.documents.build_feeds, Store.get_files

    def counting_build(*args: Any, **kwargs: Any) -> Any:
        counted.builds += 1
        return build(*args, **kwargs)

    def counting_get_files(self: Store, feed: str, source: str, rels: Any = None) -> Any:
        counted.record_loads += rels is None  # (every record: some are read for what is published)
        return get_files(self, feed, source, rels)

    monkeypatch.setattr(feedkit.documents, "build_feeds", counting_build)
    monkeypatch.setattr(Store, "get_files", counting_get_files)
    return counted


def three(site: Site) -> None:
    for slug in ("harbour", "bridge", "tunnel"):
        site.write(f"{slug}.md", article(slug))


def test_a_fresh_run_over_an_unchanged_folder_builds_nothing_and_reads_no_record(
    site: Site, calls: Calls
) -> None:
    three(site)
    first = site.run(T1)
    published = site.files()
    assert (calls.builds, first.report.entries) == (1, 3)

    calls.builds = calls.record_loads = 0
    again = site.run(T2)

    assert (calls.builds, calls.record_loads) == (0, 0)
    assert again.report.written == ()
    assert again.report.entries == 3  # what the last build published, as the store says
    assert [(o.ok, o.new, o.changed, o.removed) for o in again.outcomes] == [(True, 0, 0, 0)]
    assert site.files() == published


def test_run_once_with_force_builds_even_when_nothing_changed(site: Site, calls: Calls) -> None:
    three(site)
    site.run(T1)
    published = site.files()
    calls.builds = 0
    [run] = run_once(
        load_config_dir(site.root / "feeds"),
        output=site.root / "output",
        state=site.state,
        clock=fixed_clock(T2),
        force=True,
    )
    assert (calls.builds, run.report.entries, run.report.written) == (1, 3, ())
    assert site.files() == published


def remove_output(site: Site) -> None:
    (site.out / "en.atom.xml").unlink()


def edit_output(site: Site) -> None:
    path = site.out / "all.atom.xml"
    path.write_bytes(path.read_bytes().replace(b"The harbour report", b"Edited by hand"))


def retitle(site: Site) -> None:
    config = site.root / "feeds" / "news.toml"
    config.write_text(config.read_text().replace('title = "News"', 'title = "Local news"'))


def add_article(site: Site) -> None:
    site.write("canal.md", article("canal"))


def delete_article(site: Site) -> None:
    (site.articles / "bridge.md").unlink()


def edit_article(site: Site) -> None:
    site.write("bridge.md", article("bridge", "The bridge reopened on Friday."))


def move_output(site: Site) -> None:
    """The output folder given on the next run is another one (`run --output`)."""
    shutil.move(site.root / "output", site.root / "elsewhere")


@pytest.mark.parametrize(
    "change",
    [remove_output, edit_output, retitle, add_article, delete_article, edit_article, move_output],
)
def test_every_change_that_could_change_a_feed_builds_it_again(
    site: Site, calls: Calls, change: Callable[[Site], None]
) -> None:
    """After the change, the feeds are exactly what a build from nothing makes of the folder
    (but for the edited article's `updated`, which is when the edit was seen)."""
    three(site)
    site.run(T1)
    site.run(T2)
    calls.builds = 0

    change(site)
    site.run(T3)

    assert calls.builds == 1
    rebuilt = site.files()
    if change is edit_article:
        assert "reopened on Friday" in site.entries()[url("bridge")].content[0].value
        return
    shutil.rmtree(site.root / "output")
    site.state.unlink()
    site.run(T3)
    assert site.files() == rebuilt


def test_a_broken_file_left_in_the_folder_is_reported_every_run_and_costs_no_build(
    site: Site, calls: Calls
) -> None:
    three(site)
    site.run(T1)
    published = site.files()
    broken = site.write("draft.md", "---\ntitle: [unclosed\n---\n\nBody.\n")

    for at in (T2, T3, T4):
        calls.builds = calls.record_loads = 0
        run = site.run(at)
        assert [p.where.split(":")[0] for p in run.report.problems] == [str(broken)]
        assert (calls.builds, calls.record_loads) == (0, 0)
        assert site.files() == published


def full_disk(path: Path, data: bytes) -> bool:
    """`publish.write_if_changed` on a full disk: every write fails, every old file stays."""
    raise PublishError(path, "cannot write: no space left on device")


def test_from_cron_the_run_after_one_that_wrote_no_file_builds_again(
    site: Site, calls: Calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run whose every write failed leaves each file as the run before wrote it: the store
    must not still say that run's build is what the folder holds."""
    three(site)
    site.run(T1)
    before = site.files()
    site.write("canal.md", article("canal"))
    with monkeypatch.context() as disk:
        disk.setattr(feedkit.publish, "write_if_changed", full_disk)
        failed = site.run(T2)
    assert any(p.fatal for p in failed.report.problems)
    assert site.files() == before

    calls.builds = 0
    mended = site.run(T3)

    assert calls.builds == 1
    assert mended.report.problems == ()
    assert url("canal") in site.entries("en.atom.xml")


def test_the_daemon_builds_again_after_a_pass_that_wrote_no_file(
    site: Site, calls: Calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The daemon keeps what it published in memory: the same, from memory."""
    three(site)
    [feed] = load_config_dir(site.root / "feeds")
    indexes: dict[tuple[str, str], ArticleIndex] = {}
    published: dict[str, Published] = {}
    with Store.open(site.state, clock=fixed_clock(T1)) as store, Fetcher() as fetcher:

        def one_pass(at: Any) -> FeedRun:
            ctx = RefreshContext(
                store=store,
                fetcher=fetcher,
                now=at,
                rand=lambda: 0.5,
                indexes=indexes,
                published=published,
            )
            return run_feed(feed, site.root / "output", ctx)

        one_pass(T1)
        calls.builds = 0
        one_pass(T2)
        assert calls.builds == 0  # idle
        before = site.files()

        site.write("canal.md", article("canal"))
        with monkeypatch.context() as disk:
            disk.setattr(feedkit.publish, "write_if_changed", full_disk)
            failed = one_pass(T3)
        assert any(p.fatal for p in failed.report.problems)
        assert site.files() == before

        calls.builds = 0
        mended = one_pass(T4)

    assert calls.builds == 1
    assert mended.report.problems == ()
    assert url("canal") in site.entries("en.atom.xml")


def test_a_stored_build_record_that_cannot_be_read_only_costs_a_build(
    site: Site, calls: Calls
) -> None:
    """It is a record of what is on disk, not data: the next run builds, and replaces it."""
    three(site)
    site.run(T1)
    published = site.files()
    with sqlite3.connect(site.state) as conn:
        conn.execute("UPDATE published SET files = 'not json'")
    calls.builds = 0

    run = site.run(T2)

    assert (calls.builds, run.report.problems) == (1, ())
    assert site.files() == published
    calls.builds = 0
    site.run(T3)
    assert calls.builds == 0


def test_the_fingerprint_of_a_configuration_is_the_same_in_every_process(
    tmp_path: Path,
) -> None:
    """A FeedConfig's repr holds no set, whose order would change with the hash seed: run the
    fingerprint under three seeds."""
    config = tmp_path / "feeds"
    config.mkdir()
    (config / "news.toml").write_text(
        'title = "News"\n\n[[source]]\nname = "local"\npath = "articles"\n'
        'exclude = { title = "(?i)sponsored", tags = "ads" }\n'
    )
    program = (
        "import sys; from pathlib import Path; from feedkit.config import load_config_dir;"
        " from feedkit.pipeline import config_fingerprint;"
        " print(config_fingerprint(load_config_dir(Path(sys.argv[1]))[0]))"
    )
    prints = {
        subprocess.run(
            [sys.executable, "-c", program, str(config)],
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(prints) == 1


def test_an_idle_run_from_cron_imports_no_http_client_feed_parser_or_writer(site: Site) -> None:
    """Most of a fresh process's time over an unchanged folder would be imports: requests,
    feedparser, feedgen and lxml, APScheduler (~0.4 s together) are left out until needed."""
    three(site)
    site.run(T1)
    program = (
        "import sys; from feedkit.cli import main;"
        " code = main(sys.argv[1:]);"
        " heavy = {'requests', 'urllib3', 'feedparser', 'feedgen', 'lxml', 'apscheduler'};"
        " print(code, sorted({m.split('.')[0] for m in sys.modules} & heavy))"
    )
    args = ["run", "--once", "-q", "--config", str(site.root / "feeds")]
    args += ["--output", str(site.root / "output"), "--state", str(site.state)]
    done = subprocess.run(
        [sys.executable, "-c", program, *args], capture_output=True, text=True, check=True
    )
    assert done.stdout.split("\n")[-2:] == ["0 []", ""]
