"""Command line: argument parsing, logging, exit codes, progress.  A thin shell over the library."""

from __future__ import annotations

import argparse
import codecs
import gc
import logging
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from feedkit import __version__
from feedkit.convert import convert
from feedkit.dates import load_tz
from feedkit.errors import ConfigError, FeedkitError
from feedkit.lang import normalize_lang, primary_lang
from feedkit.model import ArticleOptions, FeedSettings, Problem, RunReport
from feedkit.reading import Progress
from feedkit.urls import absolute_http_url

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="feedkit",
        description="Publish per-language Atom feeds from article folders and remote feeds.",
    )
    parser.add_argument("--version", action="version", version=f"feedkit {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="say more")
    parser.add_argument("-q", "--quiet", action="count", default=0, help="say less")
    # -v/-q are accepted after the command name too ("feedkit convert … -q")
    verbosity = argparse.ArgumentParser(add_help=False)
    verbosity.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS)
    verbosity.add_argument("-q", "--quiet", action="count", default=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    conv = commands.add_parser(
        "convert",
        parents=[verbosity],
        help="convert article folders or files into Atom feeds, once",
        description="Convert article folders or files into zh/en/... and combined Atom feeds.",
    )
    conv.add_argument("sources", nargs="+", metavar="SRC", help="article folder or file")
    conv.add_argument("-o", "--output", required=True, type=Path, help="output folder")
    conv.add_argument("--title", default="feedkit", help="feed title (default: %(default)s)")
    conv.add_argument("--base-url", default="", help="URL where the output folder is served")
    conv.add_argument(
        "--lang-order", default="zh,en", help="language order in combined entries (default: zh,en)"
    )
    conv.add_argument("--max-entries", type=int, default=50, help="entries per feed (default: 50)")
    conv.add_argument(
        "--format",
        default="atom",
        help="formats to write: atom, rss, json, comma separated (default: atom)",
    )
    conv.add_argument("--encoding", default="utf-8", help="encoding of the article files")
    conv.add_argument(
        "--check-links",
        action="store_true",
        help="fetch every source link once: canonical URL, image and date from the page",
    )
    conv.add_argument("--time-zone", default="UTC", help="zone of dates written without one")
    conv.set_defaults(handler=_convert)

    run = commands.add_parser(
        "run",
        parents=[verbosity, _config_options()],
        help="process the configured feeds (feeds/*.toml) and publish to output/",
        description="Process the sources that are due and publish every configured feed.",
    )
    run.add_argument("--once", action="store_true", help="one pass, then exit (for cron)")
    run.add_argument(
        "--force",
        action="store_true",
        help="fetch every source, due or not, and build every feed even if nothing changed",
    )
    run.set_defaults(handler=_run)

    status = commands.add_parser(
        "status",
        parents=[verbosity, _config_options()],
        help="show every feed and source: last run, errors, entry counts, next fetch",
    )
    status.set_defaults(handler=_status)

    srv = commands.add_parser(
        "serve",
        parents=[verbosity, _config_options()],
        help="serve output/ on 127.0.0.1 for previewing and subscribing locally",
        description="Serve the output folder with feed content types, ETags and an index page.",
    )
    srv.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    srv.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    srv.add_argument("--run", action="store_true", help="also run the daemon in this process")
    srv.set_defaults(handler=_serve)
    return parser


def _serve(args: argparse.Namespace, progress: Progress | None) -> RunReport:
    import signal  # noqa: PLC0415 - its enums take 1 ms to build, and only serve needs them

    from feedkit.daemon import Daemon  # noqa: PLC0415
    from feedkit.serve import make_server, serve  # noqa: PLC0415

    output, state = _paths(args)
    server = make_server(output, host=args.host, port=args.port)
    daemon = Daemon(config_dir=args.config, output=output, state=state) if args.run else None
    stop = threading.Event()

    def on_stop(signum: int, frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if daemon is not None:
            daemon.start()
        serve(server, stop)
    finally:
        if daemon is not None:
            daemon.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return RunReport()


def _config_options() -> argparse.ArgumentParser:
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument(
        "--config", type=Path, default=Path("feeds"), help="folder of feed TOML files (feeds/)"
    )
    shared.add_argument("--output", type=Path, default=None, help="output folder (output/)")
    shared.add_argument(
        "--state", type=Path, default=None, help="state database (OUTPUT/../.feedkit/state.db)"
    )
    return shared


def _paths(args: argparse.Namespace) -> tuple[Path, Path]:
    output: Path = args.output or Path("output")
    state: Path = args.state or output.parent / ".feedkit" / "state.db"
    return output, state


# The commands below load the state store, the scheduler, requests and feedparser only when
# they run, so `feedkit convert` of an article folder starts fast.


def _run(args: argparse.Namespace, progress: Progress | None) -> RunReport:
    from feedkit.config import load_config_dir  # noqa: PLC0415
    from feedkit.pipeline import merge_reports, run_once  # noqa: PLC0415

    configs = load_config_dir(args.config)
    output, state = _paths(args)
    if not args.once:
        from feedkit.daemon import Daemon, run_daemon  # noqa: PLC0415 - APScheduler: 25 ms

        run_daemon(Daemon(config_dir=args.config, output=output, state=state))
        return RunReport()
    runs = run_once(configs, output=output, state=state, force=args.force, progress=progress)
    for feed_run in runs:
        logging.getLogger("feedkit").info("%s", feed_run.summary())
    return merge_reports(run.report for run in runs)


def _status(args: argparse.Namespace, progress: Progress | None) -> RunReport:
    from feedkit.config import load_config_dir  # noqa: PLC0415
    from feedkit.status import format_status  # noqa: PLC0415

    configs = load_config_dir(args.config)
    _, state = _paths(args)
    sys.stdout.write(format_status(configs, state))
    return RunReport()


def _convert(args: argparse.Namespace, progress: Progress | None) -> RunReport:
    if args.output.exists() and not args.output.is_dir():
        raise ConfigError(f"-o/--output: {args.output} exists and is not a folder")
    settings = FeedSettings(
        title=args.title.strip() or "feedkit",
        base_url=_base_url(args.base_url),
        lang_order=_lang_order(args.lang_order),
        max_entries=_max_entries(args.max_entries),
        formats=_formats(args.format),
    )
    try:
        tz = load_tz(args.time_zone)
    except ValueError as exc:
        raise ConfigError(f"--time-zone: {exc}") from exc
    options = ArticleOptions(encoding=_encoding(args.encoding))
    return convert(
        args.sources,
        args.output,
        settings,
        options=options,
        tz=tz,
        progress=progress,
        check_links=args.check_links,
    )


def _base_url(value: str) -> str:
    if not value:
        return ""
    url = absolute_http_url(value)
    if url is None:
        raise ConfigError(f"--base-url must be an absolute http(s) URL, got {value!r}")
    return url if url.endswith("/") else url + "/"


def _lang_order(value: str) -> tuple[str, ...]:
    codes = []
    for item in value.split(","):
        code = normalize_lang(item)
        if code is None:
            raise ConfigError(f"--lang-order: {item.strip()!r} is not a language tag like 'zh'")
        codes.append(primary_lang(code))
    return tuple(dict.fromkeys(codes))


def _formats(value: str) -> tuple[str, ...]:
    names = {item.strip().lower() for item in value.split(",") if item.strip()}
    unknown = names - {"atom", "rss", "json"}
    if unknown:
        raise ConfigError(f"--format: unknown format {sorted(unknown)[0]!r} (atom, rss, json)")
    return tuple(name for name in ("atom", "rss", "json") if name in names | {"atom"})


def _max_entries(value: int) -> int:
    if value < 1:
        raise ConfigError(f"--max-entries must be at least 1, got {value}")
    return value


def _encoding(value: str) -> str:
    try:
        info = codecs.lookup(value)
    except LookupError as exc:
        raise ConfigError(f"--encoding: unknown encoding {value!r}") from exc
    if not getattr(info, "_is_text_encoding", True):  # base64, zlib, rot13…: bytes-to-bytes
        raise ConfigError(f"--encoding: {value!r} is not a text encoding")
    return info.name


def configure_logging(verbosity: int, *, timestamps: bool = False) -> None:
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    if verbosity < -1:
        level = logging.CRITICAL
    layout = "%(asctime)s feedkit: %(message)s" if timestamps else "feedkit: %(message)s"
    logging.basicConfig(level=level, format=layout, stream=sys.stderr, force=True)
    # the scheduler's own chatter ("Running job …") only at -vv
    logging.getLogger("apscheduler").setLevel(logging.DEBUG if verbosity > 1 else logging.WARNING)


class _ProgressBar:
    """A one-line progress bar on a terminal; nothing at all elsewhere."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if total < 200 or (done % 100 and done != total):
            return
        filled = 30 * done // total
        self.stream.write(f"\rreading [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}")
        self.shown = True
        self.stream.flush()

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def report_problems(problems: Sequence[Problem], quiet: int) -> None:
    for problem in problems:
        if problem.fatal:
            print(f"feedkit: error: {_one_line(str(problem))}", file=sys.stderr)
        elif quiet <= 0:
            print(f"feedkit: warning: {_one_line(str(problem))}", file=sys.stderr)


def entry() -> None:
    """The `feedkit` command: `main`, then out without tearing the interpreter down.

    Freeing every object a large run made takes 30-50 ms after the work is done.  Once the
    output is flushed and no other thread runs, there is nothing left to wait for, so the
    process leaves at once; under coverage (the test suite's subprocesses) it exits normally,
    so that coverage can save what it measured.

    The cycle collector is off until `main` knows the command (see `_collect_garbage`).
    """
    gc.disable()
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # `feedkit convert … | head`: the reader left, nothing is lost
        code = code or EXIT_PROBLEMS
    logging.shutdown()
    if threading.active_count() == 1 and "coverage" not in sys.modules:
        os._exit(code)
    sys.exit(code)


def _collect_garbage(command: str) -> None:
    """Turn the cycle collector back on, except for `convert`.

    `convert` makes few reference cycles and exits when done, but keeps what it imported and
    every scanned entry alive until then: with 10,000 files the collector ran ~170 times in
    this process alone (~55 ms, a full pass over every scanned entry among them) and about
    half as long in each scan worker, which inherits the setting, for no memory returned (the
    peak is the same, with 100,000 files too).  The other commands run longer (a daemon, a
    server, a fetch of every source), so they collect as usual.
    """
    if command != "convert":
        gc.enable()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _collect_garbage(args.command)
    verbosity = args.verbose - args.quiet
    daemon = (args.command == "run" and not args.once) or args.command == "serve"
    # a daemon says one line per feed run by default
    configure_logging(verbosity + daemon, timestamps=daemon)
    bar = _ProgressBar(sys.stderr) if sys.stderr.isatty() and verbosity >= 0 else None
    try:
        report: RunReport = args.handler(args, bar)
    except ConfigError as exc:
        print(f"feedkit: error: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except FeedkitError as exc:
        print(f"feedkit: error: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_PROBLEMS
    except KeyboardInterrupt:
        print("feedkit: interrupted", file=sys.stderr)
        return 130
    finally:
        if bar is not None:
            bar.close()
    report_problems(report.problems, args.quiet)
    for path in report.written:
        print(path)
    return EXIT_PROBLEMS if report.failed else EXIT_OK
