"""A run that only adds files plans from the last build's candidates (`pipeline._from_last_plan`)
and publishes what planning from every record publishes.

Twin sites get the same files, mtimes and clock, run after run, as `run --once` from cron does
(a fresh index each run, against a real SQLite state file): one plans the quick way when it
can, the other always from every record.  Their feeds must be byte-identical after every run.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conformance import assert_valid_atom
from test_incremental import T1, Site, keep_newest, new_site

from feedkit import incremental, pipeline
from feedkit.clock import fixed_clock
from feedkit.config import load_config_dir
from feedkit.pipeline import FeedRun, run_feed
from feedkit.sources import RefreshContext
from feedkit.store import Store

KEYS = [f"https://example.org/story-{n}" for n in range(14)]  # few: duplicates happen
DAYS = [1, 2, 2, 3, 5, 8]  # ties happen
ZH = "港口在周三重新开放，货船排队等候进港，工人们连夜清理码头。"
EN = "The harbour reopened on Wednesday as ships queued to come in."


def text(rng: random.Random, n: int) -> str:
    """An article: a link from a small pool, a date from a few, one language or both, and
    sometimes its own id (one per link: two articles that claim one id under two links make
    two entries with one id, planned either way) or an `updated`."""
    link = rng.randrange(len(KEYS))
    extra = ""
    if rng.random() < 0.4:
        extra += f"id: urn:example:{link}\n"
    if rng.random() < 0.2:
        extra += f"updated: 2024-05-{rng.choice(DAYS) + 10:02d}T08:00:00Z\n"
    body = rng.choice([f"{ZH} {n}", f"{EN} {n}", f"{ZH} {n}\n\n---\n\n{EN} {n}"])
    return (
        f"---\ntitle: Story {n}\ndate: 2024-05-{rng.choice(DAYS):02d}T08:00:00Z\n"
        f"link: {KEYS[link]}\n{extra}---\n\n{body}\n"
    )


class Twins:
    """The two sites; with `daemon`, each runs as a daemon (started after a first run from
    cron) runs its passes: its article index, and what it read, kept from one pass to the
    next, the store opened for each pass."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch, *, daemon: bool = False):
        (root / "quick").mkdir()
        (root / "long").mkdir()
        self.sites = (new_site(root / "quick"), new_site(root / "long"))
        self.monkeypatch = monkeypatch
        self.quick_plans = 0
        self.kept: tuple[dict[str, Any], dict[str, Any]] | None = (
            ({"indexes": {}, "published": {}}, {"indexes": {}, "published": {}}) if daemon else None
        )
        for site in self.sites:
            keep_newest(site, 3)

    def _run(self, n: int, at: datetime) -> FeedRun:
        site = self.sites[n]
        if self.kept is None or not site.state.exists():
            return site.run(at)
        [feed] = load_config_dir(site.root / "feeds")
        with Store.open(site.state, clock=fixed_clock(at)) as store:
            ctx = RefreshContext(store=store, now=at, rand=lambda: 0.5, **self.kept[n])
            run = run_feed(feed, site.root / "output", ctx)
        for path in sorted(site.out.glob("*.xml")):
            assert_valid_atom(path.read_bytes())
        return run

    def do(self, step: Any) -> None:
        for site in self.sites:
            step(site)

    def run(self, at: Any) -> None:
        plan = pipeline._from_last_plan
        partial = incremental.ArticleIndex.plan_partially

        def counted(index: Any, origins: Any) -> None:
            self.quick_plans += 1
            partial(index, origins)

        with self.monkeypatch.context() as patch:
            patch.setattr(incremental.ArticleIndex, "plan_partially", counted)
            quick = self._run(0, at)
        with self.monkeypatch.context() as patch:
            patch.setattr(pipeline, "_from_last_plan", lambda *args: None)
            long = self._run(1, at)
        assert plan is pipeline._from_last_plan
        assert self.sites[0].files() == self.sites[1].files()
        assert [p.message for p in quick.report.problems] == [
            p.message for p in long.report.problems
        ]
        assert (quick.report.entries, quick.outcomes[0].new) == (
            long.report.entries,
            long.outcomes[0].new,
        )


def steps(rng: random.Random) -> Iterator[tuple[list[str], Any]]:
    """What each run finds: mostly new files, and now and then, beside them or alone, an
    edit, a touch, a rename or a removal."""
    names: list[str] = []
    count = 0

    def add(kinds: list[str], ops: list[Any]) -> None:
        nonlocal count
        count += 1
        name, body = f"{count:03d}.md", text(rng, count)
        names.append(name)
        kinds.append("add")
        ops.append(lambda site: site.write(name, body))

    while True:
        kinds: list[str] = []
        ops: list[Any] = []
        for _ in range(rng.randint(1, 3)):
            kind = rng.choices(["add", "edit", "touch", "rename", "remove"], [6, 1, 1, 1, 1])[0]
            if kind == "add" or len(names) < 2:
                add(kinds, ops)
                continue
            name = rng.choice(names)
            kinds.append(kind)
            if kind == "edit":
                count += 1
                body = text(rng, count)
                ops.append(lambda site, name=name, body=body: site.write(name, body))
            elif kind == "touch":
                ops.append(lambda site, name=name: site.touch(site.articles / name))
            elif kind == "rename":
                count += 1
                names[names.index(name)] = new = f"{count:03d}.md"
                ops.append(
                    lambda site, old=name, new=new: (site.articles / old).rename(
                        site.articles / new
                    )
                )
            else:
                names.remove(name)
                ops.append(lambda site, name=name: (site.articles / name).unlink())

        def step(site: Site, ops: list[Any] = ops) -> None:
            for op in ops:
                op(site)

        yield kinds, step


@pytest.mark.parametrize(("seed", "daemon"), [(n, n % 3 == 2) for n in range(10)])
def test_runs_that_only_add_files_publish_what_planning_from_every_record_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, daemon: bool
) -> None:
    """From cron, or as a daemon's passes (seeds 2, 5 and 8)."""
    rng = random.Random(seed)
    twins = Twins(tmp_path, monkeypatch, daemon=daemon)
    kinds = []
    for run, (kind, step) in zip(range(20), steps(rng), strict=False):
        twins.do(step)
        twins.run(T1 + timedelta(hours=run))
        kinds.append(kind)
    assert twins.quick_plans > 0, kinds  # (the quick way was taken, not only the long one)


def test_a_run_that_only_adds_files_reads_no_other_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the records of the files it publishes are read back, not every file's."""
    site = new_site(tmp_path)
    keep_newest(site, 2)
    for n in range(1, 9):
        site.write(f"{n}.md", text(random.Random(n), n).replace("link: ", f"link: {n}"))
    site.run(T1)
    loads: list[object] = []
    get_files = Store.get_files

    def counting(self: Store, feed: str, source: str, rels: Any = None) -> Any:
        loads.append(None if rels is None else sorted(rels))
        return get_files(self, feed, source, rels)

    monkeypatch.setattr(Store, "get_files", counting)
    site.write("9.md", text(random.Random(9), 9).replace("link: ", "link: 9"))
    run = site.run(T1 + timedelta(hours=1))
    assert run.outcomes[0].new >= 1
    assert None not in loads
    assert all(len(rels) <= 4 for rels in loads if isinstance(rels, list))


def test_a_new_duplicate_that_loses_to_a_recorded_article_is_planned_from_every_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The case that needs the recorded keys' marks: a new file with a recorded article's link
    (its own ids are new) loses the slot to that article, updated later, which is not among
    the last candidates (published too long ago).  Planned from the candidates and the new
    file alone, the new file would be published; from every record, the slot's winner is the
    old article, too old for the feed, and neither is."""
    twins = Twins(tmp_path, monkeypatch)

    def first(site: Site) -> None:
        keep_newest(site, 1)
        site.write(
            "old.md",
            "---\ntitle: Old\ndate: 2024-05-01T08:00:00Z\nupdated: 2024-05-20T08:00:00Z\n"
            f"id: urn:example:old\nlink: {KEYS[0]}\n---\n\n{EN} old\n",
        )
        site.write(
            "other.md",
            f"---\ntitle: Other\ndate: 2024-05-05T08:00:00Z\nlink: {KEYS[1]}\n---\n\n{EN}\n",
        )

    twins.do(first)
    twins.run(T1)
    twins.do(
        lambda site: site.write(
            "new.md",
            f"---\ntitle: New\ndate: 2024-05-09T08:00:00Z\nlink: {KEYS[0]}\n---\n\n{EN} new\n",
        )
    )
    twins.run(T1 + timedelta(hours=1))
    titles = twins.sites[0].entries()
    assert [entry.title for entry in titles.values()] == ["Other"]
    assert twins.quick_plans == 0


def test_another_configuration_is_planned_from_every_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last plan holds the candidates for its own `max_entries`: with more wanted now, the
    files beyond them come back."""
    twins = Twins(tmp_path, monkeypatch)
    rng = random.Random(7)
    bodies = [text(rng, n) for n in range(1, 12)]

    def first(site: Site) -> None:
        for n, body in enumerate(bodies[:10], start=1):
            site.write(f"{n:03d}.md", body)

    twins.do(first)
    twins.run(T1)
    twins.do(lambda site: keep_newest(site, 8))
    twins.do(lambda site: site.write("011.md", bodies[10]))
    twins.run(T1 + timedelta(hours=1))
    assert twins.quick_plans == 0
    assert len(twins.sites[0].entries()) > 3
