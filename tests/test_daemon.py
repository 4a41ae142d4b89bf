"""`feedkit run` as a daemon (SPEC 4 `run`, 6; issue 4): a real process, real signals.

Each test starts `python -m feedkit run --config … --output … --state …` on a feeds/news.toml in
tmp_path with `interval = "1s"`, changes files under it, and polls the published feeds (at most
`TIMEOUT` seconds) for the change instead of sleeping fixed amounts.  Its stderr goes to a file
the test reads: the daemon logs one line per feed run.  A fixture finalizer kills whatever is
still running.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import feedparser
import pytest
from conformance import assert_valid_atom

from feedkit.daemon import Daemon, run_daemon
from feedkit.lock import feed_lock
from feedkit.publish import MANIFEST

TIMEOUT = 10.0  # seconds to wait for anything the daemon should do within a run or two
FEED = (
    'title = "{title}"\ninterval = "{interval}"\n\n[[source]]\nname = "local"\npath = "articles"\n'
)
RUN_LINE = re.compile(
    r"\S+ \S+ feedkit: news: sources (?P<ok>\d+) ok, (?P<failed>\d+) failed; "
    r"entries (?P<new>\d+) new, (?P<updated>\d+) updated, (?P<published>\d+) published; "
    r"(?P<written>\d+) files written; (?P<seconds>\d+\.\d\d) s"
)
T = TypeVar("T")


def article(slug: str, body: str = "", *, date: str = "2024-05-01T08:00:00Z") -> str:
    body = body or f"Reporters followed the {slug} story through the week."
    return (
        f"---\ntitle: The {slug} report\ndate: {date}\nlink: https://example.org/{slug}\n---\n\n"
        f"{body}\n"
    )


def url(slug: str) -> str:
    return f"https://example.org/{slug}"


def replace_file(path: Path, text: str) -> None:
    """Write `path` as editors do (a hidden temporary file, renamed): a run of the daemon never
    reads half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    temporary.replace(path)


def wait_for(condition: Callable[[], T], what: str, log: Callable[[], str]) -> T:
    """Poll `condition` until it gives something true; fail (showing the log) after TIMEOUT."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"waited {TIMEOUT:g} s for {what}; the daemon said:\n{log()}")
        time.sleep(0.05)


@dataclass
class World:
    """feeds/news.toml, feeds/articles/, output/ and state/ under tmp_path, and the daemon
    processes started on them."""

    root: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)  # each process's stderr

    @property
    def config(self) -> Path:
        return self.root / "feeds"

    @property
    def out(self) -> Path:
        return self.root / "output" / "news"

    @property
    def state(self) -> Path:
        return self.root / "state" / "state.db"

    def configure(self, *, title: str = "News", interval: str = "1s") -> None:
        replace_file(self.config / "news.toml", FEED.format(title=title, interval=interval))

    def write(self, slug: str, text: str = "") -> Path:
        path = self.config / "articles" / f"{slug}.md"
        replace_file(path, text or article(slug))
        return path

    def command(self, *extra: str) -> list[str]:
        return [
            sys.executable,
            *("-m", "feedkit", "run", "--config", str(self.config)),
            *("--output", str(self.root / "output"), "--state", str(self.state), *extra),
        ]

    def start(self) -> subprocess.Popen[bytes]:
        log = self.root / f"daemon-{len(self.logs) + 1}.log"
        with open(log, "wb") as stderr:
            process = subprocess.Popen(
                self.command(), stdout=subprocess.PIPE, stderr=stderr, cwd=self.root
            )
        self.processes.append(process)
        self.logs.append(log)
        return process

    def log(self) -> str:
        """What the last daemon started has said so far."""
        return self.logs[-1].read_text() if self.logs else ""

    def wait_log(self, text: str) -> None:
        wait_for(lambda: text in self.log(), repr(text), self.log)

    def wait_feed(
        self, check: Callable[[feedparser.FeedParserDict], object], what: str
    ) -> feedparser.FeedParserDict:
        """Poll all.atom.xml until `check(parsed)` holds; return that parse (checked valid)."""

        def parsed() -> feedparser.FeedParserDict | None:
            try:
                data = (self.out / "all.atom.xml").read_bytes()
            except FileNotFoundError:
                return None
            feed = feedparser.parse(data)
            if not check(feed):
                return None
            assert_valid_atom(data)
            return feed

        return wait_for(parsed, what, self.log)

    def stop(self, process: subprocess.Popen[bytes], within: float = 5.0) -> tuple[int, float]:
        """SIGTERM; the exit status and how long the process took to exit."""
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=within)
        except subprocess.TimeoutExpired:
            pytest.fail(f"no exit {within:g} s after SIGTERM; the daemon said:\n{self.log()}")
        assert process.stdout is not None
        assert process.stdout.read() == b"", "a daemon prints nothing on stdout"
        return code, time.monotonic() - started

    def run_lines(self) -> list[re.Match[str]]:
        """The daemon's one line per feed run, each checked against the expected shape."""
        lines = [line for line in self.log().splitlines() if "feedkit: news: sources" in line]
        matches = [RUN_LINE.fullmatch(line) for line in lines]
        assert all(matches), lines
        return [m for m in matches if m is not None]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    world = World(root=tmp_path)
    yield world
    for process in world.processes:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def entries(feed: feedparser.FeedParserDict) -> dict[str, feedparser.FeedParserDict]:
    return {entry.link: entry for entry in feed.entries}


# --- the daemon's life: add, edit, delete, stop ------------------------------------------------


def test_add_edit_delete_then_sigterm(world: World) -> None:
    world.configure()
    world.write("harbour")
    daemon = world.start()
    world.wait_feed(lambda f: url("harbour") in entries(f), "the first article")

    world.write("bridge")
    feed = world.wait_feed(lambda f: url("bridge") in entries(f), "an added article")
    added = entries(feed)[url("bridge")]
    assert added.updated == added.published == "2024-05-01T08:00:00Z"

    edited_at = datetime.now(UTC).replace(microsecond=0)
    world.write("bridge", article("bridge", "The bridge opened to traffic on Monday."))
    feed = world.wait_feed(
        lambda f: entries(f)[url("bridge")].updated != added.updated, "the edit's `updated`"
    )
    edited = entries(feed)[url("bridge")]
    assert edited.id == added.id
    assert edited.published == added.published
    assert datetime.fromisoformat(edited.updated) >= edited_at
    assert "opened to traffic" in edited.content[0].value

    (world.config / "articles" / "harbour.md").unlink()
    feed = world.wait_feed(lambda f: url("harbour") not in entries(f), "a deleted article to go")
    assert set(entries(feed)) == {url("bridge")}
    for name in ("all.atom.xml", "en.atom.xml"):
        assert (world.out / name).stat().st_mode & 0o777 == 0o644
    wait_for(lambda: any(m["written"] == "0" for m in world.run_lines()), "an idle run", world.log)

    code, took = world.stop(daemon)

    assert code == 0
    assert took < 5
    log = world.log()
    assert "Traceback" not in log
    assert "daemon started: 1 feeds" in log
    assert log.rstrip().endswith("daemon stopped")
    runs = world.run_lines()
    assert all((m["ok"], m["failed"]) == ("1", "0") for m in runs)
    assert sum(int(m["new"]) for m in runs) == 2
    assert sum(int(m["updated"]) for m in runs) == 1
    assert runs[-1]["published"] == "1"
    names = os.listdir(world.out)
    assert {"all.atom.xml", "en.atom.xml"} <= set(names)
    leftovers = [n for n in names if n.startswith(".") and n != MANIFEST]  # the publish list stays
    assert not leftovers, "temporary files left behind"


# --- configuration -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('title = "News"\ninterval = "1s\n', "news.toml:2:"),
        ('title = "News"\ninterval = "1s"\ncolour = "red"\n', "colour"),
        ('title = "News"\ninterval = "soon"\n[[source]]\npath = "articles"\n', "interval"),
        (None, "no *.toml files"),
    ],
    ids=["invalid-toml", "unknown-key", "bad-duration", "no-feeds"],
)
def test_a_bad_configuration_at_start_is_fatal_with_one_clear_line(
    world: World, toml: str | None, message: str
) -> None:
    world.config.mkdir()
    if toml is not None:
        (world.config / "news.toml").write_text(toml)

    result = subprocess.run(
        world.command(), capture_output=True, text=True, timeout=30, check=False
    )

    assert result.returncode == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("feedkit: error: ")
    assert message in line
    assert not (world.root / "output").exists()


def test_config_edits_are_picked_up_and_a_broken_edit_keeps_the_last_good_one(
    world: World,
) -> None:
    world.configure(title="News")
    world.write("harbour")
    daemon = world.start()
    world.wait_feed(lambda f: f.feed.title == "News", "the first run")

    world.configure(title="News v2", interval="2s")  # a new schedule too: the job goes on
    world.wait_feed(lambda f: f.feed.title == "News v2", "the edited title")

    replace_file(world.config / "news.toml", 'title = "News v3"\ncolour = "red"\n')
    world.wait_log("configuration not reloaded, the last good one keeps running")
    world.write("bridge")
    feed = world.wait_feed(lambda f: url("bridge") in entries(f), "an article after the bad edit")
    assert feed.feed.title == "News v2"
    [error] = [line for line in world.log().splitlines() if "not reloaded" in line]
    assert "news.toml" in error
    assert "colour" in error

    world.configure(title="News v4")
    world.wait_feed(lambda f: f.feed.title == "News v4", "the repaired configuration")
    code, _ = world.stop(daemon)
    assert code == 0
    assert "Traceback" not in world.log()


def test_sighup_reloads_the_configuration_at_once(world: World) -> None:
    """With an hourly interval the next run is an hour away; SIGHUP reads the edited file now,
    and its new 1 s interval takes effect without a restart."""
    world.configure(title="Hourly", interval="1h")
    world.write("harbour")
    daemon = world.start()
    world.wait_feed(lambda f: f.feed.title == "Hourly", "the first run")
    world.write("bridge")
    world.configure(title="Every second", interval="1s")

    daemon.send_signal(signal.SIGHUP)

    world.wait_log("configuration reloaded: 1 feeds")
    feed = world.wait_feed(lambda f: f.feed.title == "Every second", "the reloaded title")
    assert url("bridge") in entries(feed)
    assert daemon.poll() is None  # the same process: no restart
    code, _ = world.stop(daemon)
    assert code == 0


# --- the lock: never two publishers of one feed ------------------------------------------------


def test_the_daemon_waits_while_another_process_holds_the_feed(world: World) -> None:
    world.configure()
    world.write("harbour")
    with feed_lock(world.state.parent / "locks", "news", wait=0):
        daemon = world.start()
        world.wait_log("daemon started")
        time.sleep(1.5)  # a run is due at once and then every second: none may publish
        assert not world.out.exists()
    world.wait_feed(lambda f: url("harbour") in entries(f), "the run after the lock is free")
    code, _ = world.stop(daemon)
    assert code == 0
    assert "Traceback" not in world.log()


def test_sigterm_while_waiting_for_the_lock_exits_at_once(world: World) -> None:
    """A run waiting for another process's lock (up to 10 s) gives up when told to stop."""
    world.configure()
    world.write("harbour")
    with feed_lock(world.state.parent / "locks", "news", wait=0):
        daemon = world.start()
        world.wait_log("daemon started")
        time.sleep(0.5)
        code, took = world.stop(daemon, within=8)
        assert not world.out.exists()
    assert code == 0
    assert took < 3
    assert "Traceback" not in world.log()


def test_a_killed_daemon_leaves_no_lock_behind(world: World) -> None:
    world.configure()
    world.write("harbour")
    daemon = world.start()
    world.wait_feed(lambda f: url("harbour") in entries(f), "the first run")
    daemon.send_signal(signal.SIGKILL)
    daemon.wait(timeout=10)
    assert (world.state.parent / "locks" / "news.lock").read_text().split()[0] == str(daemon.pid)

    world.write("bridge")
    started = time.monotonic()
    result = subprocess.run(
        world.command("--once"), capture_output=True, text=True, timeout=30, check=False
    )

    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 5  # far below the 10 s a busy lock is waited for
    assert url("bridge") in entries(feedparser.parse((world.out / "all.atom.xml").read_bytes()))


# --- in-process: the Daemon object itself (so coverage sees daemon.py) -------------------------


def test_reload_keeps_the_last_good_configuration_and_reschedules_edited_feeds(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.configure(interval="1h")
    world.write("harbour")
    daemon = Daemon(config_dir=world.config, output=world.root / "output", state=world.state)
    daemon.start()
    try:
        world.wait_feed(lambda f: url("harbour") in entries(f), "the first run")
        scheduler = daemon._scheduler
        assert scheduler is not None

        replace_file(world.config / "news.toml", 'title = "News"\ncolour = "red"\n')
        daemon.reload()
        assert "configuration not reloaded, the last good one keeps running" in caplog.text
        assert daemon.configs["news"].interval == timedelta(hours=1)

        world.configure(title="Every minute", interval="1m")
        daemon.reload()
        assert daemon.configs["news"].title == "Every minute"
        job = scheduler.get_job("news")
        assert job.next_run_time is not None, "the edited feed's job was paused"
        assert job.next_run_time <= datetime.now(UTC) + timedelta(minutes=1)

        (world.config / "news.toml").rename(world.config / "renamed.toml")
        daemon.reload()
        assert scheduler.get_job("news") is None
        assert scheduler.get_job("renamed") is not None
    finally:
        daemon.stop()
    assert "Traceback" not in caplog.text


def test_run_daemon_restores_the_signal_handlers(world: World) -> None:
    world.configure()
    world.write("harbour")
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    stop = threading.Event()
    stop.set()  # stop as soon as started

    code = run_daemon(
        Daemon(config_dir=world.config, output=world.root / "output", state=world.state),
        stop=stop,
    )

    assert code == 0
    assert {s: signal.getsignal(s) for s in before} == before
