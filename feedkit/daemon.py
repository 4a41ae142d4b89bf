"""`feedkit run`: the long-running process.  APScheduler 3 wiring, signals, config reloads.

Each configured feed is one job on its own schedule (its `schedule` cron line or `interval`),
with `max_instances=1`, coalescing and a misfire grace, so a slow run never stacks up.  A run
takes the feed's lock, so `run --once` from cron beside the daemon never publishes the same
feed at the same time.  Config files are re-read when they change (checked before every run,
and at once on SIGHUP); a broken edit is logged and the last good configuration keeps running.
"""

from __future__ import annotations

import logging
import random
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from feedkit.clock import Clock, utc_now
from feedkit.config import FeedConfig, load_config_dir
from feedkit.errors import ConfigError
from feedkit.fetch import Fetcher
from feedkit.incremental import ArticleIndex
from feedkit.lock import LockBusy, feed_lock
from feedkit.pipeline import lock_dir, run_feed
from feedkit.sources import RefreshContext
from feedkit.store import Published, Store

log = logging.getLogger(__name__)

MISFIRE_GRACE = 300  # seconds a late run may still start
STOP_GRACE = 5.0  # seconds a stopping daemon waits for a run in progress
LOCK_WAIT = 10.0  # seconds a run waits for another process publishing the same feed


def _signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """What changes when a config file is added, removed or edited."""
    items = []
    for path in sorted(folder.glob("*.toml")):
        try:
            st = path.stat()
        except OSError:
            continue
        items.append((path.name, st.st_mtime_ns, st.st_size))
    return tuple(items)


def _trigger_spec(feed: FeedConfig) -> tuple[str, str]:
    if feed.schedule:
        return ("cron", f"{feed.schedule} {feed.time_zone}")
    interval = feed.interval or timedelta(minutes=15)
    return ("interval", str(interval.total_seconds()))


def _trigger(feed: FeedConfig) -> Any:
    if feed.schedule:
        return CronTrigger.from_crontab(feed.schedule, timezone=feed.time_zone)
    interval = feed.interval or timedelta(minutes=15)
    return IntervalTrigger(seconds=interval.total_seconds())


@dataclass(slots=True)
class Daemon:
    """The scheduler and everything its jobs share; `start()`, then `stop()`."""

    config_dir: Path
    output: Path
    state: Path
    clock: Clock = utc_now
    rand: Callable[[], float] = random.random
    configs: dict[str, FeedConfig] = field(default_factory=dict)
    _signature: tuple[tuple[str, int, int], ...] = ()
    _specs: dict[str, tuple[str, str]] = field(default_factory=dict)
    _indexes: dict[tuple[str, str], ArticleIndex] = field(default_factory=dict)
    _published: dict[str, Published] = field(default_factory=dict)
    _link_slots: dict[str, datetime] = field(default_factory=dict)
    _fetchers: dict[str, Fetcher] = field(default_factory=dict)
    _reload_lock: threading.Lock = field(default_factory=threading.Lock)
    _running: int = 0
    _idle: threading.Condition = field(default_factory=threading.Condition)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _scheduler: BackgroundScheduler | None = None

    def start(self) -> None:
        """Load the configuration (errors are fatal here) and start every feed's job now."""
        self._signature = _signature(self.config_dir)
        loaded = load_config_dir(self.config_dir)
        self._scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=2)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": MISFIRE_GRACE,
            },
            timezone="UTC",
        )
        self._apply(loaded)
        self._scheduler.start()
        log.info("daemon started: %d feeds from %s", len(loaded), self.config_dir)

    def stop(self, grace: float = STOP_GRACE) -> None:
        """Stop scheduling; wait up to `grace` seconds for runs in progress to finish.

        A run still waiting for another process's lock gives up at once."""
        self._stopping.set()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
        with self._idle:
            self._idle.wait_for(lambda: self._running == 0, timeout=grace)
        for fetcher in self._fetchers.values():
            fetcher.close()
        log.info("daemon stopped")

    def reload(self, *, force: bool = False) -> None:
        """Re-read the configuration if it changed; keep the last good one on errors."""
        with self._reload_lock:
            signature = _signature(self.config_dir)
            if signature == self._signature and not force:
                return
            self._signature = signature
            try:
                loaded = load_config_dir(self.config_dir)
            except ConfigError as exc:
                log.error("configuration not reloaded, the last good one keeps running: %s", exc)
                return
            self._apply(loaded)
            log.info("configuration reloaded: %d feeds", len(loaded))

    def _apply(self, loaded: tuple[FeedConfig, ...]) -> None:
        assert self._scheduler is not None
        wanted = {feed.name: feed for feed in loaded}
        for name in set(self.configs) - set(wanted):
            self._scheduler.remove_job(name)
            self._specs.pop(name, None)
        now = self.clock()
        for name, feed in wanted.items():
            spec = _trigger_spec(feed)
            if self._specs.get(name) == spec:
                continue
            if name in self._specs:  # a new schedule: next run by it (None would pause the job)
                self._scheduler.reschedule_job(name, trigger=_trigger(feed))
            else:  # a new feed: run it now
                self._scheduler.add_job(
                    self._job,
                    _trigger(feed),
                    args=(name,),
                    id=name,
                    name=f"feed {name}",
                    next_run_time=now,
                )
            self._specs[name] = spec
        self.configs = wanted

    def _job(self, name: str) -> None:
        """One feed's run: the outermost boundary, where any error is logged, never raised."""
        with self._idle:
            self._running += 1
        try:
            self.reload()
            feed = self.configs.get(name)
            if feed is not None:
                self._run(feed)
        except Exception:
            log.exception("feed %s: run failed unexpectedly; the daemon keeps going", name)
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()

    def _run(self, feed: FeedConfig) -> None:
        fetcher = self._fetchers.setdefault(feed.name, Fetcher(clock=self.clock))
        with Store.open(self.state, clock=self.clock) as store:
            ctx = RefreshContext(
                store=store,
                fetcher=fetcher,
                now=self.clock(),
                rand=self.rand,
                indexes=self._indexes,
                published=self._published,
                link_slots=self._link_slots,
            )
            try:
                with feed_lock(
                    lock_dir(self.state), feed.name, wait=LOCK_WAIT, stop=self._stopping
                ):
                    run = run_feed(feed, self.output, ctx)
            except LockBusy as exc:  # another process publishes it, or we are stopping
                log.log(
                    logging.INFO if self._stopping.is_set() else logging.ERROR,
                    "%s: %s",
                    feed.name,
                    exc,
                )
                return
        for problem in run.report.problems:
            level = logging.ERROR if problem.fatal else logging.WARNING
            log.log(level, "%s", problem)
        log.info("%s", run.summary())


def run_daemon(daemon: Daemon, *, stop: threading.Event | None = None) -> int:
    """Run until SIGINT or SIGTERM (or `stop` is set); SIGHUP reloads the configuration."""
    stop = stop or threading.Event()
    reload_now = threading.Event()

    def on_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    def on_hup(signum: int, frame: FrameType | None) -> None:
        reload_now.set()

    previous = {
        signal.SIGINT: signal.signal(signal.SIGINT, on_stop),
        signal.SIGTERM: signal.signal(signal.SIGTERM, on_stop),
        signal.SIGHUP: signal.signal(signal.SIGHUP, on_hup),
    }
    try:
        daemon.start()
        while not stop.wait(0.2):
            if reload_now.is_set():
                reload_now.clear()
                daemon.reload(force=True)
        daemon.stop()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0
