"""`feedkit convert` from the command line (SPEC 4): exit status, what goes to stdout and stderr,
and the promises users rely on between runs (nothing rewritten, ids that never change).

Everything runs `feedkit.cli.main` in-process, but for one subprocess run of `python -m feedkit`.
"""

from __future__ import annotations

import gc
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest
from conformance import assert_valid_atom

from feedkit import __version__
from feedkit.cli import _ProgressBar, main

EXAMPLE = Path(__file__).parents[1] / "feeds" / "articles"
FEEDS = ["all.atom.xml", "en.atom.xml", "ja.atom.xml", "zh.atom.xml"]  # what the example gives
WRITTEN = [*FEEDS, "feeds.opml"]  # the feeds and their OPML subscription list
ERROR_LINE = re.compile(r"feedkit: error: (?P<path>[^:]+)(?::(?P<line>\d+))?: (?P<reason>.+)")
ENGLISH = "Markets rose on Tuesday as investors weighed the outlook for interest rates.\n"


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    """main(argv) as the console script runs it: exit status, stdout, stderr."""
    try:
        code = main([str(arg) for arg in argv])
    except SystemExit as exc:  # argparse: --help, --version and its own usage errors
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    """A copy of the shipped example folder, free to change."""
    return Path(shutil.copytree(EXAMPLE, tmp_path / "articles"))


def feed_ids(out: Path) -> dict[str, list[str]]:
    """Every feed's id and its entries' ids, by file name."""
    ids = {}
    for path in sorted(out.glob("*.xml")):
        parsed = feedparser.parse(path.read_bytes())
        ids[path.name] = [parsed.feed.id, *sorted(entry.id for entry in parsed.entries)]
    return ids


# --- exit 0: the shipped example -------------------------------------------------------------


def test_example_folder_converts_cleanly(
    capsys: pytest.CaptureFixture[str], articles: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = run(capsys, "convert", articles, "-o", out)
    assert code == 0
    assert stderr == ""
    assert sorted(stdout.splitlines()) == sorted(str(out / name) for name in WRITTEN)
    for name in FEEDS:
        assert_valid_atom((out / name).read_bytes())


def test_a_single_file_is_a_source(
    capsys: pytest.CaptureFixture[str], articles: Path, tmp_path: Path
) -> None:
    code, stdout, _ = run(capsys, "convert", articles / "editors-note.md", "-o", tmp_path / "out")
    assert code == 0
    assert sorted(Path(line).name for line in stdout.splitlines()) == [
        "all.atom.xml",
        "en.atom.xml",
        "feeds.opml",
    ]


def test_several_sources_merge(
    capsys: pytest.CaptureFixture[str], articles: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "extra.md").write_text(
        "---\ntitle: Extra\ndate: 2024-07-01\nlink: https://example.com/extra\n---\n\n" + ENGLISH,
        encoding="utf-8",
    )
    code, _, _ = run(capsys, "convert", articles, other, "-o", tmp_path / "out")
    assert code == 0
    links = {
        e.link for e in feedparser.parse((tmp_path / "out" / "en.atom.xml").read_bytes()).entries
    }
    assert "https://example.com/extra" in links
    assert len(links) > 1


# --- exit 1: some input reported, feeds still written ----------------------------------------

BAD_FILES = {
    "broken-yaml.md": (
        b"---\ntitle: x\ndate: 2024-06-01\ntags: a: b\n---\nbody\n",
        "4",
        "invalid YAML",
    ),
    "binary.md": (b"\x89PNG\r\n\x1a\n" + bytes(600), None, "binary file"),
    "bad-date.md": (b"---\ntitle: x\ndate: tomorrow\n---\nbody\n", "3", "'tomorrow'"),
    "sub/latin-1.txt": ("---\ntitle: x\n---\nCaf\xe9\n".encode("latin-1"), "4", "not valid utf-8"),
    "empty.md": (b"", None, "empty file"),
}


def test_bad_files_give_one_error_line_each_and_exit_1(
    capsys: pytest.CaptureFixture[str], articles: Path, tmp_path: Path
) -> None:
    for name, (data, _, _) in BAD_FILES.items():
        (articles / name).parent.mkdir(exist_ok=True)
        (articles / name).write_bytes(data)
    out = tmp_path / "out"
    code, stdout, stderr = run(capsys, "convert", articles, "-o", out)
    assert code == 1
    errors = [ERROR_LINE.fullmatch(line) for line in stderr.splitlines()]
    assert all(errors), stderr
    found = {m["path"]: (m["line"], m["reason"]) for m in errors if m}
    assert len(found) == len(errors) == len(BAD_FILES)
    for name, (_, line, reason) in BAD_FILES.items():
        got_line, got_reason = found[str(articles / name)]
        assert got_line == line
        assert reason in got_reason
    # The feeds are still written, and stdout names them and nothing else.
    assert sorted(stdout.splitlines()) == sorted(str(out / name) for name in WRITTEN)
    for name in FEEDS:
        assert_valid_atom((out / name).read_bytes())


def test_warnings_do_not_change_the_exit_status(
    capsys: pytest.CaptureFixture[str], articles: Path, tmp_path: Path
) -> None:
    (articles / "undated.md").write_text(
        "---\ntitle: Undated\nlink: https://example.com/undated\n---\n\n" + ENGLISH,
        encoding="utf-8",
    )
    code, _, stderr = run(capsys, "convert", articles, "-o", tmp_path / "out")
    assert code == 0
    [warning] = stderr.splitlines()
    assert warning.startswith(f"feedkit: warning: {articles / 'undated.md'}: ")
    assert "modification time" in warning
    code, _, stderr = run(capsys, "-q", "convert", articles, "-o", tmp_path / "out2")
    assert (code, stderr) == (0, "")


def test_an_unwritable_feed_is_named_once(
    capsys: pytest.CaptureFixture[str], articles: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    (out / "all.atom.xml").mkdir(parents=True)  # a folder where the feed file should go
    code, stdout, stderr = run(capsys, "convert", articles, "-o", out)
    assert code == 1
    assert str(out / "en.atom.xml") in stdout.splitlines()
    assert stderr.splitlines() == [
        f"feedkit: error: {out / 'all.atom.xml'}: cannot write: is a directory"
    ]


# --- exit 2: usage errors --------------------------------------------------------------------

# id -> (arguments after "convert", what the message must say); SRC and -o are filled in.
USAGE_ERRORS = {
    "missing -o": (["{src}"], "the following arguments are required: -o/--output"),
    "max-entries 0": (
        ["{src}", "-o", "{out}", "--max-entries", "0"],
        "--max-entries must be at least 1, got 0",
    ),
    "max-entries negative": (["{src}", "-o", "{out}", "--max-entries", "-3"], "--max-entries"),
    "max-entries not a number": (
        ["{src}", "-o", "{out}", "--max-entries", "ten"],
        "invalid int value: 'ten'",
    ),
    "base-url ftp": (
        ["{src}", "-o", "{out}", "--base-url", "ftp://x"],
        "--base-url must be an absolute http(s) URL, got 'ftp://x'",
    ),
    "base-url relative": (["{src}", "-o", "{out}", "--base-url", "feeds/"], "--base-url"),
    "unknown encoding": (
        ["{src}", "-o", "{out}", "--encoding", "klingon"],
        "--encoding: unknown encoding 'klingon'",
    ),
    "bytes-to-bytes encoding": (
        ["{src}", "-o", "{out}", "--encoding", "base64"],
        "'base64' is not a text encoding",
    ),
    "nonexistent SRC": (["{src}/missing", "-o", "{out}"], "missing: no such file or folder"),
    "bad lang-order": (
        ["{src}", "-o", "{out}", "--lang-order", "zh,!!"],
        "--lang-order: '!!' is not a language tag",
    ),
    "empty lang-order item": (
        ["{src}", "-o", "{out}", "--lang-order", "zh,,en"],
        "--lang-order: ''",
    ),
    "unknown time zone": (["{src}", "-o", "{out}", "--time-zone", "Mars/Base"], "--time-zone"),
    "output is a file": (["{src}", "-o", "{src}/editors-note.md"], "-o/--output"),
    "unknown option": (["{src}", "-o", "{out}", "--colour"], "unrecognized arguments: --colour"),
}


@pytest.mark.parametrize(("args", "message"), list(USAGE_ERRORS.values()), ids=list(USAGE_ERRORS))
def test_usage_errors_exit_2_with_one_message(
    capsys: pytest.CaptureFixture[str],
    articles: Path,
    tmp_path: Path,
    args: list[str],
    message: str,
) -> None:
    out = tmp_path / "out"
    argv = [arg.format(src=articles, out=out) for arg in args]
    code, stdout, stderr = run(capsys, "convert", *argv)
    assert code == 2
    assert stdout == ""
    lines = stderr.splitlines()
    # One error line, last; argparse's own errors put the usage summary above it.
    assert [line for line in lines if "error:" in line] == [lines[-1]]
    assert lines[-1].startswith(("feedkit: error: ", "feedkit convert: error: "))
    assert message in lines[-1]
    assert len(lines) == 1 or lines[0].startswith("usage: ")  # feedkit's own: one line
    assert not out.exists()


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, stderr = run(capsys)
    assert (code, stdout) == (2, "")
    assert stderr.splitlines()[-1].startswith("feedkit: error: ")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--version") == (0, f"feedkit {__version__}\n", "")


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, stderr = run(capsys, "convert", "--help")
    assert (code, stderr) == (0, "")
    assert "--base-url" in stdout


# --- between runs ----------------------------------------------------------------------------


def test_a_second_identical_run_writes_nothing(
    capsys: pytest.CaptureFixture[str], articles: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert run(capsys, "convert", articles, "-o", out)[0] == 0
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in out.iterdir()}
    for path in out.iterdir():  # an old mtime, so a rewrite within the same tick would show
        os.utime(path, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    code, stdout, stderr = run(capsys, "convert", articles, "-o", out)
    assert (code, stdout, stderr) == (0, "", "")
    after = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in out.iterdir()}
    assert sorted(after) == sorted(before)  # no temporary files left behind either
    for name, (mtime, data) in after.items():
        assert mtime == 1_000_000_000_000_000_000
        assert data == before[name][1]


def test_same_inputs_give_byte_identical_files(
    capsys: pytest.CaptureFixture[str], articles: Path, tmp_path: Path
) -> None:
    run(capsys, "convert", articles, "-o", tmp_path / "one")
    os.utime(articles / "editors-note.md")  # touching a file changes nothing
    run(capsys, "convert", articles, "-o", tmp_path / "two")
    for name in FEEDS:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_max_entries_1_gives_one_entry_per_feed(
    capsys: pytest.CaptureFixture[str], articles: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert run(capsys, "convert", articles, "-o", out, "--max-entries", "1")[0] == 0
    for name in FEEDS:
        data = (out / name).read_bytes()
        assert_valid_atom(data)
        assert len(feedparser.parse(data).entries) == 1


@pytest.mark.parametrize("base", ["https://example.org/feeds/", "https://example.org/feeds"])
def test_base_url_gives_self_links_and_feed_ids(
    capsys: pytest.CaptureFixture[str], articles: Path, tmp_path: Path, base: str
) -> None:
    out = tmp_path / "out"
    assert run(capsys, "convert", articles, "-o", out, "--base-url", base)[0] == 0
    for name in FEEDS:
        data = (out / name).read_bytes()
        self_url = f"https://example.org/feeds/{name}"
        assert_valid_atom(data, self_url=self_url)
        assert feedparser.parse(data).feed.id == self_url


def test_without_base_url_feeds_have_no_self_link(
    capsys: pytest.CaptureFixture[str], articles: Path, tmp_path: Path
) -> None:
    run(capsys, "convert", articles, "-o", tmp_path / "out")
    for name in FEEDS:
        parsed = feedparser.parse((tmp_path / "out" / name).read_bytes())
        assert parsed.feed.id.startswith("urn:uuid:")
        assert not [link for link in parsed.feed.get("links", []) if link.rel == "self"]


def test_renaming_and_moving_files_keeps_every_id(
    capsys: pytest.CaptureFixture[str], articles: Path, tmp_path: Path
) -> None:
    run(capsys, "convert", articles, "-o", tmp_path / "before")
    moved = articles / "moved" / "deeper"
    moved.mkdir(parents=True)
    for number, path in enumerate(sorted(articles.rglob("*.*"))):
        if path.is_file():
            os.rename(path, moved / f"renamed-{number}{path.suffix}")
    assert not list((articles / "2024").rglob("*.md"))
    code, _, stderr = run(capsys, "convert", articles, "-o", tmp_path / "after")
    assert (code, stderr) == (0, "")
    assert feed_ids(tmp_path / "after") == feed_ids(tmp_path / "before")


# --- progress ------------------------------------------------------------------------------


def test_progress_bar_stays_quiet_for_small_runs() -> None:
    stream = io.StringIO()
    bar = _ProgressBar(stream)
    for done in range(1, 151):
        bar(done, 150)
    bar.close()
    assert stream.getvalue() == ""


def test_progress_bar_draws_one_line_and_erases_it() -> None:
    stream = io.StringIO()
    bar = _ProgressBar(stream)
    for done in range(1, 251):
        bar(done, 250)
    bar.close()
    text = stream.getvalue()
    assert "\n" not in text
    assert text.endswith("\r\033[K")
    assert "250/250" in text
    assert text.count("\r") == 4  # at 100, 200, 250, and the erase


# --- the console entry -----------------------------------------------------------------------


def test_python_dash_m_feedkit_runs(articles: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "feedkit", "convert", str(articles), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(result.stdout.splitlines()) == sorted(str(out / name) for name in WRITTEN)


def test_only_convert_runs_without_the_cycle_collector(
    capsys: pytest.CaptureFixture[str], articles: Path, tmp_path: Path
) -> None:
    """The console entry turns the cycle collector off; `main` turns it back on for every command
    but `convert`, which exits when done (the daemon and the server run for days)."""
    try:
        gc.disable()
        code, _, _ = run(capsys, "convert", articles, "-o", tmp_path / "out")
        assert code == 0
        assert not gc.isenabled()
        run(capsys, "status", "--config", tmp_path / "no-such-folder")
        assert gc.isenabled()
    finally:
        gc.enable()
