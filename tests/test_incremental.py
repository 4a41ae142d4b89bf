"""Local article folders read incrementally (SPEC 3.2 ids and `updated`, 6): `feedkit.incremental`.

Every test writes feeds/news.toml with one article source into tmp_path and calls
`feedkit.pipeline.run_once` in-process with a fixed clock moved forward between runs, against a
real SQLite state file, so each run starts from what the store remembers (as `run --once` from
cron does).  Every published file is checked with `assert_valid_atom` after every run.  Files get
explicit, distinct mtimes, so "changed" never depends on the file system's timestamp resolution.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import replace as dataclass_replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import pytest
from conformance import assert_valid_atom

from feedkit import incremental, reading, workers
from feedkit.clock import fixed_clock
from feedkit.config import load_config_dir
from feedkit.dates import format_rfc3339
from feedkit.fetch import Fetcher
from feedkit.incremental import ArticleIndex, IndexPass
from feedkit.model import ArticleOptions
from feedkit.pipeline import FeedRun, run_feed, run_once
from feedkit.sources import RefreshContext
from feedkit.store import Store
from feedkit.urls import DEFAULT_RULES

T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T2, T3, T4 = (T1 + timedelta(days=n) for n in (1, 2, 3))
DATE = "2024-05-01T08:00:00Z"  # every test article's `date`
SECOND = 1_000_000_000  # ns


def article(slug: str, body: str = "", *, extra: str = "") -> str:
    """An English article about `slug`, its source link https://example.org/<slug>."""
    body = body or f"Reporters followed the {slug} story through the week."
    return (
        f"---\ntitle: The {slug} report\ndate: {DATE}\nlink: https://example.org/{slug}\n"
        f"{extra}---\n\n{body}\n"
    )


BILINGUAL = """\
---
title: Harbour reopens
date: 2024-05-01T08:00:00Z
link: https://example.org/harbour
---

风暴过后，港口在周三重新开放，货船排队等候进港，工人们连夜清理码头上的杂物。

---

{english}
"""


@dataclass
class Site:
    """feeds/news.toml, feeds/articles/, output/ and a state database under tmp_path."""

    root: Path
    mtime: int = 1_700_000_000 * SECOND  # the next file mtime handed out

    @property
    def articles(self) -> Path:
        return self.root / "feeds" / "articles"

    @property
    def out(self) -> Path:
        return self.root / "output" / "news"

    @property
    def state(self) -> Path:
        return self.root / ".feedkit" / "state.db"

    def write(self, rel: str, text: str | bytes) -> Path:
        """Write an article file and give it an mtime no other write had."""
        path = self.articles / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode() if isinstance(text, str) else text)
        self.touch(path)
        return path

    def touch(self, path: Path) -> None:
        self.mtime += SECOND
        os.utime(path, ns=(self.mtime, self.mtime))

    def run(self, at: datetime) -> FeedRun:
        [feed_run] = run_once(
            load_config_dir(self.root / "feeds"),
            output=self.root / "output",
            state=self.state,
            clock=fixed_clock(at),
        )
        for path in sorted(self.out.glob("*.xml")):
            assert_valid_atom(path.read_bytes())
        return feed_run

    def entries(self, name: str = "all.atom.xml") -> dict[str, feedparser.FeedParserDict]:
        """The published entries of one feed, by source link."""
        parsed = feedparser.parse((self.out / name).read_bytes())
        return {entry.link: entry for entry in parsed.entries}

    def dates(self, name: str = "all.atom.xml") -> dict[str, tuple[str, str, str]]:
        """(id, published, updated) of every published entry, by source link."""
        return {
            link: (entry.id, entry.published, entry.updated)
            for link, entry in self.entries(name).items()
        }

    def files(self) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted(self.out.glob("*.xml"))}


def new_site(root: Path) -> Site:
    """feeds/news.toml under `root`, with one article source (feeds/articles/)."""
    (root / "feeds").mkdir()
    (root / "feeds" / "news.toml").write_text(
        'title = "News"\n\n[[source]]\nname = "local"\npath = "articles"\n'
    )
    return Site(root=root)


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return new_site(tmp_path)


def url(slug: str) -> str:
    return f"https://example.org/{slug}"


def stamp(moment: datetime) -> str:
    return format_rfc3339(moment)


def only(run: FeedRun) -> tuple[bool, int, int]:
    """(ok, new, changed) of the run's one source."""
    [outcome] = run.outcomes
    return outcome.ok, outcome.new, outcome.changed


def refresh_index(index: ArticleIndex, site: Site, store: Store) -> IndexPass:
    """One pass of a daemon's index over the site's articles, at T1."""
    return index.refresh(
        site.articles,
        store,
        now=T1,
        priority=0,
        options=ArticleOptions(),
        rules=DEFAULT_RULES,
        tz=UTC,
    )


# --- an unchanged file is never read again -----------------------------------------------------


def test_an_unchanged_file_is_never_read_again(site: Site) -> None:
    """Its bytes are replaced by garbage of the same size, and its mtime put back: the entry
    stays exactly as it was, which it could not if the file were read."""
    path = site.write("harbour.md", article("harbour"))
    site.run(T1)
    published = site.files()
    st = path.stat()
    path.write_bytes(b"\xff\x00\xfe" * (st.st_size // 3) + b"\x00" * (st.st_size % 3))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size

    run = site.run(T2)

    assert only(run) == (True, 0, 0)
    assert run.report.problems == ()
    assert run.report.written == ()
    assert site.files() == published

    # the control: with another mtime the garbage is read, reported, and the last good
    # version of the article stays published
    site.touch(path)
    run = site.run(T3)
    [problem] = run.report.problems
    assert problem.where == str(path)
    assert "binary" in problem.message
    assert site.files() == published


def test_an_idle_pass_reads_no_file_and_writes_nothing_to_the_store(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The daemon keeps one index per source between passes: an idle pass is a stat per file."""
    for slug in ("harbour", "bridge", "tunnel"):
        site.write(f"{slug}.md", article(slug))
    index = ArticleIndex(feed="news", source="local")
    with Store.open(site.state, clock=fixed_clock(T1)) as store:

        def refresh() -> tuple[int, int]:
            found = refresh_index(index, site, store)
            return found.read, len(index.entries(store, 0))

        assert refresh() == (3, 3)
        writes: list[object] = []
        monkeypatch.setattr(store, "put_files", lambda *args: writes.append(args))
        assert refresh() == (0, 3)
        assert writes == []


def test_the_index_a_daemon_keeps_sees_every_change_after_an_idle_pass(site: Site) -> None:
    """After an idle pass every change is still read: an edit, a broken edit (reported again at
    every pass until it is mended), a file removed, a file added, an edit that keeps the size."""
    for slug in ("harbour", "bridge", "tunnel"):
        site.write(f"{slug}.md", article(slug))
    index = ArticleIndex(feed="news", source="local")
    with Store.open(site.state, clock=fixed_clock(T1)) as store:

        def refresh() -> tuple[int, int, int, list[str]]:
            found = refresh_index(index, site, store)
            where = [problem.where for problem in found.problems]
            return found.read, found.removed, len(index.entries(store, 0)), where

        assert refresh() == (3, 0, 3, [])
        assert refresh() == (0, 0, 3, [])
        broken = site.write("bridge.md", "---\ntitle: [unclosed\n---\n\nBody.\n")
        for _ in range(2):  # until it is mended, at every pass
            read, removed, entries, where = refresh()
            assert (read, removed, entries) == (0, 0, 3)
            assert [w.split(":")[0] for w in where] == [str(broken)]
        site.write("bridge.md", article("bridge", "The bridge reopened."))
        assert refresh() == (1, 0, 3, [])
        assert refresh() == (0, 0, 3, [])
        (site.articles / "tunnel.md").unlink()
        assert refresh() == (0, 1, 2, [])
        assert refresh() == (0, 0, 2, [])
        site.write("quay.md", article("quay"))
        assert refresh() == (1, 0, 3, [])
        same_size = article("quay").replace("through the week", "across the week.")
        assert len(same_size) == len(article("quay"))
        site.write("quay.md", same_size)
        assert refresh() == (1, 0, 3, [])
        assert refresh() == (0, 0, 3, [])


# --- deleted, renamed, moved ------------------------------------------------------------------


def test_a_deleted_files_entries_leave_the_feeds(site: Site) -> None:
    site.write("harbour.md", article("harbour"))
    gone = site.write("bridge.md", article("bridge"))
    site.run(T1)
    assert set(site.entries()) == {url("harbour"), url("bridge")}

    gone.unlink()
    run = site.run(T2)

    assert only(run) == (True, 0, 0)
    for name in ("all.atom.xml", "en.atom.xml"):
        assert set(site.entries(name)) == {url("harbour")}, name
    with Store.open(site.state, clock=fixed_clock(T2)) as store:
        assert set(store.get_files("news", "local")) == {"harbour.md"}


@pytest.mark.parametrize(
    "new_name",
    ["renamed.md", "2024/05/harbour.md", "harbour.txt"],
    ids=["renamed", "moved-to-a-sub-folder", "new-extension"],
)
def test_a_renamed_or_moved_file_keeps_its_ids_and_dates(site: Site, new_name: str) -> None:
    """Including an `updated` that an earlier edit moved: nothing at all is rewritten."""
    path = site.write("harbour.md", article("harbour"))
    site.write("bridge.md", article("bridge"))
    site.run(T1)
    site.write("harbour.md", article("harbour", "The port reopened on Wednesday."))
    site.run(T2)
    before = {name: site.dates(name) for name in ("all.atom.xml", "en.atom.xml")}
    published = site.files()
    assert before["all.atom.xml"][url("harbour")][2] == stamp(T2)

    target = site.articles / new_name
    target.parent.mkdir(parents=True, exist_ok=True)
    path.rename(target)
    run = site.run(T3)

    assert only(run) == (True, 0, 0)
    assert {name: site.dates(name) for name in before} == before
    assert run.report.written == ()
    assert site.files() == published


# --- edited files: `updated` moves only when the content changed ------------------------------


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda site, path: site.touch(path), id="touched"),
        pytest.param(lambda site, path: site.write(path.name, path.read_bytes()), id="same-bytes"),
        pytest.param(
            lambda site, path: site.write(path.name, path.read_text() + "\n\n\n"),
            id="trailing-blank-lines",
        ),
        pytest.param(
            lambda site, path: site.write(path.name, path.read_text().replace("\n", "\r\n")),
            id="crlf-line-ends",
        ),
        pytest.param(
            lambda site, path: site.write(path.name, article("harbour", extra="reviewer: ana\n")),
            id="unknown-front-matter-key",
        ),
    ],
)
def test_an_edit_no_reader_can_see_rewrites_nothing(
    site: Site, edit: Callable[[Site, Path], object]
) -> None:
    path = site.write("harbour.md", article("harbour"))
    site.run(T1)
    published = site.files()
    stamps = {p.name: p.stat().st_mtime_ns for p in site.out.glob("*.xml")}

    edit(site, path)
    run = site.run(T2)

    assert only(run) == (True, 0, 0)
    assert run.report.written == ()
    assert site.files() == published
    assert {p.name: p.stat().st_mtime_ns for p in site.out.glob("*.xml")} == stamps


def test_an_edit_moves_updated_to_when_it_was_first_seen(site: Site) -> None:
    site.write("harbour.md", article("harbour"))
    site.write("bridge.md", article("bridge"))
    site.run(T1)
    [(entry_id, published, updated)] = [site.dates()[url("harbour")]]
    assert (published, updated) == (DATE, DATE)

    site.write("harbour.md", article("harbour", "The port reopened on Wednesday."))
    run = site.run(T2)

    assert only(run) == (True, 0, 1)
    assert {p.name for p in run.report.written if p.name.endswith(".atom.xml")} == {
        "all.atom.xml",
        "en.atom.xml",
    }
    for name in ("all.atom.xml", "en.atom.xml"):
        dates = site.dates(name)
        assert dates[url("harbour")][1:] == (DATE, stamp(T2)), name
        assert dates[url("bridge")][1:] == (DATE, DATE), name
    assert site.dates()[url("harbour")][0] == entry_id
    assert feedparser.parse((site.out / "all.atom.xml").read_bytes()).feed.updated == stamp(T2)

    # seen again a day later, unchanged: it keeps the time the change was first seen
    run = site.run(T3)
    assert run.report.written == ()
    assert site.dates()[url("harbour")][2] == stamp(T2)

    # edited again: the time of that edit
    site.write("harbour.md", article("harbour", "The port reopened on Wednesday morning."))
    site.run(T4)
    assert site.dates()[url("harbour")][1:] == (DATE, stamp(T4))


def test_an_explicit_later_updated_in_the_file_is_kept(site: Site) -> None:
    site.write("harbour.md", article("harbour"))
    site.run(T1)

    edited = article("harbour", "The port reopened.", extra="updated: 2025-06-01T12:00:00Z\n")
    site.write("harbour.md", edited)
    site.run(T2)

    assert site.dates()[url("harbour")][1:] == (DATE, "2025-06-01T12:00:00Z")


def test_a_new_file_gets_its_own_dates_not_the_time_it_was_seen(site: Site) -> None:
    site.write("harbour.md", article("harbour"))
    site.run(T1)

    site.write("bridge.md", article("bridge"))
    run = site.run(T2)

    assert only(run) == (True, 1, 0)
    assert site.dates()[url("bridge")][1:] == (DATE, DATE)


def test_only_the_edited_language_moves_its_updated(site: Site) -> None:
    """A bilingual article whose English part is edited: the English entry and the combined
    entry move to the time of the edit, the Chinese entry keeps its dates."""
    english = "Cargo ships queued to enter after the storm; crews cleared the quays overnight."
    site.write("harbour.md", BILINGUAL.format(english=english))
    site.run(T1)
    zh_before = site.dates("zh.atom.xml")

    site.write("harbour.md", BILINGUAL.format(english=english + " Tugs helped."))
    run = site.run(T2)

    assert only(run) == (True, 0, 1)
    assert site.dates("zh.atom.xml") == zh_before
    assert site.dates("en.atom.xml")[url("harbour")][1:] == (DATE, stamp(T2))
    assert site.dates("all.atom.xml")[url("harbour")][1:] == (DATE, stamp(T2))
    assert "zh.atom.xml" not in {p.name for p in run.report.written}


def test_a_broken_edit_keeps_the_last_good_version_published(site: Site) -> None:
    path = site.write("harbour.md", article("harbour"))
    site.run(T1)
    published = site.files()

    site.write("harbour.md", "---\ntitle: [unclosed\n---\n\nBody.\n")
    run = site.run(T2)

    assert only(run)[0] is False
    [problem] = run.report.problems
    assert problem.where.startswith(str(path))
    assert site.files() == published

    site.write("harbour.md", article("harbour", "The port reopened on Wednesday."))
    run = site.run(T3)
    assert only(run) == (True, 0, 1)
    assert site.dates()[url("harbour")][1:] == (DATE, stamp(T3))


# --- what cannot be listed is not deleted ------------------------------------------------------


def test_a_missing_source_folder_is_reported_and_loses_nothing(site: Site) -> None:
    """An unmounted or moved-away folder is an error, not "every article was deleted": the
    entries stay published, and when the folder is back they are not new and keep their dates."""
    site.write("harbour.md", article("harbour"))
    site.write("bridge.md", article("bridge", "The bridge opened."))
    site.run(T1)
    site.write("bridge.md", article("bridge", "The bridge opened to traffic."))
    site.run(T2)
    before = site.dates()
    published = site.files()

    site.articles.rename(site.root / "feeds" / "away")
    run = site.run(T3)

    assert only(run)[0] is False
    [problem] = run.report.problems
    assert problem.where == str(site.articles)
    assert run.report.entries == 2
    assert site.files() == published

    (site.root / "feeds" / "away").rename(site.articles)
    run = site.run(T4)
    assert only(run) == (True, 0, 0)
    assert site.dates() == before
    assert site.files() == published


def test_a_sub_folder_that_cannot_be_listed_keeps_its_entries(site: Site) -> None:
    """Like a single file that cannot be read: reported, and its last entries stay."""
    site.write("harbour.md", article("harbour"))
    site.write("2024/bridge.md", article("bridge"))
    site.run(T1)
    published = site.files()

    shutil.rmtree(site.articles / "2024")
    (site.articles / "2024").symlink_to("2024")  # a link to itself: listing it fails (ELOOP)
    run = site.run(T2)

    [problem] = run.report.problems
    assert problem.where == str(site.articles / "2024")
    assert set(site.entries()) == {url("harbour"), url("bridge")}
    assert site.files() == published


# --- scanned, then read in full while published -------------------------------------------------


def dated(slug: str, day: int, body: str = "") -> str:
    """An English article about `slug` dated 2024-05-<day>."""
    body = body or f"Reporters followed the {slug} story through the week."
    return (
        f"---\ntitle: The {slug} report\ndate: 2024-05-{day:02d}T08:00:00Z\n"
        f"link: https://example.org/{slug}\n---\n\n{body}\n"
    )


def keep_newest(site: Site, count: int, extra: str = "") -> None:
    (site.root / "feeds" / "news.toml").write_text(
        f'title = "News"\nmax_entries = {count}\n\n[[source]]\nname = "local"\n'
        f'path = "articles"\n{extra}'
    )


def stored(site: Site) -> tuple[dict[str, tuple[str, ...]], set[str]]:
    """The titles each recorded file's entries keep, and the files with stored contents."""
    with Store.open(site.state, clock=fixed_clock(T1)) as store:
        files = store.get_files("news", "local")
        return (
            {rel: tuple(e.title for e in record.entries) for rel, record in files.items()},
            store.content_rels("news", "local"),
        )


def test_only_the_files_published_are_kept_in_full(site: Site) -> None:
    """Every file is scanned (its entries kept without title or body); the complete entries
    kept are those of the files whose entries are published."""
    keep_newest(site, 2)
    for day, slug in enumerate(["harbour", "bridge", "tunnel", "canal"], start=1):
        site.write(f"{slug}.md", dated(slug, day))

    run = site.run(T1)

    assert run.report.entries == 2
    assert {e.title for e in site.entries().values()} == {"The tunnel report", "The canal report"}
    titles, contents = stored(site)
    assert titles == {f"{slug}.md": ("",) for slug in ("harbour", "bridge", "tunnel", "canal")}
    assert contents == {"tunnel.md", "canal.md"}


def test_a_file_that_leaves_the_feeds_is_read_again_when_it_comes_back(site: Site) -> None:
    keep_newest(site, 1)
    site.write("harbour.md", dated("harbour", 1))
    site.run(T1)
    first = site.files()
    newer = site.write("bridge.md", dated("bridge", 2))
    site.run(T2)
    assert set(site.entries()) == {url("bridge")}
    assert stored(site)[1] == {"bridge.md"}

    newer.unlink()
    run = site.run(T3)

    assert only(run) == (True, 0, 0)
    assert site.files() == first
    assert stored(site)[1] == {"harbour.md"}


def test_an_edit_to_an_entry_never_published_moves_its_updated(site: Site) -> None:
    """It was only ever scanned, so whether its content changed cannot be told: the edit
    counts as a change, seen when it was seen (the module docstring says why)."""
    keep_newest(site, 1)
    site.write("harbour.md", dated("harbour", 1))
    newer = site.write("bridge.md", dated("bridge", 2))
    site.run(T1)

    site.write("harbour.md", dated("harbour", 1).replace("title:", "reviewer: ana\ntitle:"))
    run = site.run(T2)
    newer.unlink()
    site.run(T3)

    assert only(run) == (True, 0, 1)
    assert site.dates()[url("harbour")][1:] == ("2024-05-01T08:00:00Z", stamp(T2))


@pytest.mark.parametrize(
    ("rules", "titles"),
    [
        ('exclude = { title = "(?i)tunnel" }', {"The harbour report", "The bridge report"}),
        ('include = { content = "harbour|tunnel" }', {"The harbour report", "The tunnel report"}),
        ('exclude = { url = "bridge" }', {"The harbour report", "The tunnel report"}),
    ],
    ids=["title", "content", "url"],
)
def test_filters_see_the_whole_article(site: Site, rules: str, titles: set[str]) -> None:
    """Scanned entries have no title or body: filters on them read the files in full."""
    keep_newest(site, 50, extra=rules + "\n")
    for day, slug in enumerate(["harbour", "bridge", "tunnel"], start=1):
        site.write(f"{slug}.md", dated(slug, day))

    site.run(T1)
    site.write("canal.md", dated("canal", 4, "Tunnel works stopped the canal."))
    site.run(T2)

    expected = titles | ({"The canal report"} if "url" in rules or "title" in rules else set())
    assert {e.title for e in site.entries().values()} == expected


def test_a_daemon_holds_in_memory_only_the_complete_entries_it_publishes(site: Site) -> None:
    keep_newest(site, 1)
    site.write("harbour.md", dated("harbour", 1))
    [feed] = load_config_dir(site.root / "feeds")
    indexes: dict[tuple[str, str], ArticleIndex] = {}
    with Store.open(site.state, clock=fixed_clock(T1)) as store, Fetcher() as fetcher:

        def held(at: datetime) -> set[str]:
            ctx = RefreshContext(
                store=store, fetcher=fetcher, now=at, rand=lambda: 0.5, indexes=indexes
            )
            run_feed(feed, site.root / "output", ctx)
            return set(indexes["news", "local"].contents)

        assert held(T1) == {"harbour.md"}
        site.write("bridge.md", dated("bridge", 2))
        assert held(T2) == {"bridge.md"}
        assert held(T3) == {"bridge.md"}


# --- many new or changed files: read on every core ---------------------------------------------


def twin_sites(root: Path) -> tuple[Site, Site]:
    """Two sites with the same configuration and the same mtimes handed out."""
    (root / "serial").mkdir()
    (root / "parallel").mkdir()
    return new_site(root / "serial"), new_site(root / "parallel")


def same_everywhere(serial: Site, parallel: Site, runs: tuple[FeedRun, FeedRun]) -> None:
    """The two sites' runs said, recorded and published the same."""
    sites = (serial, parallel)
    said = [
        [str(p).replace(str(site.root), "") for p in run.outcomes[0].problems]
        for site, run in zip(sites, runs, strict=True)
    ]
    assert said[0] == said[1]
    assert only(runs[0]) == only(runs[1])
    records = []
    for site in sites:
        with Store.open(site.state, clock=fixed_clock(T1)) as store:
            files = store.get_files("news", "local")
            records.append(
                {
                    rel: dataclass_replace(
                        record,
                        entries=tuple(
                            dataclass_replace(e, origin=e.origin.replace(str(site.root), ""))
                            for e in record.entries
                        ),
                    )
                    for rel, record in files.items()
                }
            )
            records.append(store.content_rels("news", "local"))
    assert records[0] == records[2]
    assert records[1] == records[3]
    assert serial.files() == parallel.files()


def test_many_new_and_changed_files_are_read_on_every_core_as_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pass with many files to read (a cron run's first pass) reads them in worker
    processes; it records, reports and publishes what reading them one by one does, through
    a second pass that edits published and unpublished files, touches, deletes, adds and
    breaks some."""
    serial, parallel = twin_sites(tmp_path)
    forks: list[int] = []
    fork = workers._fork_worker

    def counted(*args: Any) -> Any:
        forks.append(1)
        return fork(*args)

    monkeypatch.setattr(workers, "_fork_worker", counted)
    monkeypatch.setattr(reading, "CHUNK", 7)
    for site in (serial, parallel):
        keep_newest(site, 5)
        for day in range(1, 29):
            site.write(f"{day:02d}/a.md", dated(f"a{day}", day))
            site.write(f"{day:02d}/b.md", BILINGUAL.format(english=f"Day {day} in English."))
        site.write("broken.md", "---\ntitle: [x\n---\nbody\n")
        site.write("undated.md", "---\ntitle: No date\n---\n\nText with no source link.\n")

    def both(at: datetime) -> tuple[FeedRun, FeedRun]:
        monkeypatch.setattr(reading, "PARALLEL_FROM", 10**9)
        forks.clear()
        first = serial.run(at)
        assert not forks
        monkeypatch.setattr(reading, "PARALLEL_FROM", 10)
        second = parallel.run(at)
        assert forks  # (read in worker processes)
        return first, second

    same_everywhere(serial, parallel, both(T1))

    for site in (serial, parallel):
        for day in (28, 27, 3):  # published, published, not
            site.write(f"{day:02d}/a.md", dated(f"a{day}", day, f"Edited story {day}."))
        for day in range(4, 16):
            site.touch(site.articles / f"{day:02d}" / "a.md")  # the same bytes
        (site.articles / "02" / "b.md").unlink()
        site.write("01/a.md", "---\ntitle: [broken\n---\n")
        for day in range(1, 12):
            site.write(f"new/{day:02d}.md", dated(f"new{day}", day))
    same_everywhere(serial, parallel, both(T2))


def test_a_few_changed_files_are_read_one_at_a_time(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Below the worker threshold each file is loaded (with its bytes, up to the size limit)
    only when it is recorded: a pass holds one file's bytes at a time."""
    for day in range(1, 5):
        site.write(f"{day}.md", dated(f"s{day}", day))
    events: list[str] = []
    load, record = incremental._Loader.load, ArticleIndex._read

    def loading(self: Any, item: Any) -> Any:
        events.append(f"load {item.rel}")
        return load(self, item)

    def recording(self: Any, item: Any, *args: Any) -> Any:
        events.append(f"record {item.rel}")
        return record(self, item, *args)

    monkeypatch.setattr(incremental._Loader, "load", loading)
    monkeypatch.setattr(ArticleIndex, "_read", recording)
    site.run(T1)
    assert events == [f"{step} {day}.md" for day in range(1, 5) for step in ("load", "record")]
