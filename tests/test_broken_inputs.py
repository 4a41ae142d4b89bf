"""Broken article files, end to end through `convert` (SPEC 1.1, 4 and 7).

"A file that cannot be used (broken YAML, binary, unreadable, no body) is reported with its path,
line where known, and reason; it is skipped and every other file is still published."  One folder
holds good, bad and merely odd files side by side; one run converts it, and each case below is
checked against that run's report and output feeds.
"""

from __future__ import annotations

import os
import random
import time
import tracemalloc
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from conformance import assert_valid_atom

from feedkit.model import ArticleOptions, FeedSettings, Problem, RunReport
from feedkit.pipeline import convert

MAX_FILE_SIZE = 4096
ENGLISH = (
    "Markets rose on Tuesday as investors weighed the outlook for interest rates, and "
    "analysts said the central bank would stay cautious for the rest of the year.\n"
)
CHINESE = "周二市场上涨，投资者在权衡利率前景。分析人士认为，央行今年余下时间将保持谨慎。\n"
ALIAS_BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)


def article(title: str, link: str, body: str, *, date: str = "2024-06-01T08:00:00Z") -> str:
    return f"---\ntitle: {title}\ndate: {date}\nlink: {link}\n---\n\n{body}"


# --- the folder ------------------------------------------------------------------------------

# name -> (bytes, link of the entry it must publish, language feed it lands in)
GOOD: dict[str, tuple[bytes, str, str]] = {
    "en-rates.md": (
        article("Rates hold steady", "https://example.com/news/rates", ENGLISH).encode(),
        "https://example.com/news/rates",
        "en",
    ),
    "zh-rates.markdown": (
        article("央行维持利率不变", "https://example.com/news/zh-rates", CHINESE).encode(),
        "https://example.com/news/zh-rates",
        "zh",
    ),
    "bilingual.txt": (
        (
            "---\ntitle: 美元走强\ndate: 2024-06-03\n---\n\n"
            f"**美元走强**\n\n{CHINESE}\n[原文链接](https://example.com/news/dollar)\n\n---\n\n"
            f"**The dollar strengthens**\n\n{ENGLISH}\n[Source Link](https://example.com/news/dollar)\n"
        ).encode(),
        "https://example.com/news/dollar",
        "en",
    ),
    "crlf-bom.md": (
        b"\xef\xbb\xbf"
        + article("Windows line ends", "https://example.com/news/crlf", ENGLISH)
        .replace("\n", "\r\n")
        .encode(),
        "https://example.com/news/crlf",
        "en",
    ),
    "2024/06/nested.md": (
        article("Deep in a folder", "https://example.com/news/nested", ENGLISH).encode(),
        "https://example.com/news/nested",
        "en",
    ),
    # Used despite their flaws: forbidden characters are removed; no date means the mtime.
    "controls.md": (
        b"---\ntitle: Control\x01 characters\x0b\ndate: 2024-06-04\n"
        b"link: https://example.com/news/controls\n---\n\n"
        + ENGLISH.encode()
        + b"A NUL\x00 and a U+FFFE\xef\xbf\xbe in the middle.\n",
        "https://example.com/news/controls",
        "en",
    ),
    "no-date.md": (
        f"---\ntitle: Undated\nlink: https://example.com/news/undated\n---\n\n{ENGLISH}".encode(),
        "https://example.com/news/undated",
        "en",
    ),
}
DRAFT = "draft.md"
DRAFT_BYTES = article("Not yet", "https://example.com/news/draft", ENGLISH).replace(
    "---\n\n", "draft: true\n---\n\n"
)
NO_DATE_MTIME = datetime(2024, 5, 5, 5, 5, 5, tzinfo=UTC)


def png_like() -> bytes:
    rng = random.Random(4913)
    noise = bytes(rng.choice((0, 0, 0, 0, rng.randrange(256))) for _ in range(3000))
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + noise


@dataclass(frozen=True, slots=True)
class Bad:
    """A file that must be skipped with exactly one error: where it is and why."""

    name: str
    data: bytes
    line: int | None
    reason: tuple[str, ...]


BAD = [
    Bad(
        "invalid-yaml.md",
        b"---\ntitle: x\ndate: 2024-06-01\ntags: a: b\n---\nbody\n",
        4,
        ("invalid YAML", "mapping values"),
    ),
    Bad("alias-bomb.md", f"---\n{ALIAS_BOMB}---\nbody\n".encode(), 2, ("alias bomb",)),
    Bad("binary.md", png_like(), None, ("binary file",)),
    Bad("empty.md", b"", None, ("empty file",)),
    Bad("whitespace-only.md", b"  \n\n\t\n", None, ("empty file",)),
    Bad(
        "front-matter-only.md",
        b"---\ntitle: Only a head\ndate: 2024-06-01\n---\n",
        None,
        ("no body",),
    ),
    Bad(
        "only-links.md",
        b"---\ntitle: x\ndate: 2024-06-01\n---\n\n[Source](https://example.com/a)\n\n---\n",
        None,
        ("no text in the body",),
    ),
    Bad(
        "latin-1.md",
        "---\ntitle: x\ndate: 2024-06-01\n---\n\nCaf\xe9 au lait\n".encode("latin-1"),
        6,
        ("not valid utf-8", "byte 0xe9 at offset 38", "--encoding"),
    ),
    Bad(
        "bad-date.md",
        b"---\ntitle: x\ndate: tomorrow\n---\n\nbody text\n",
        3,
        ("'date'", "'tomorrow'"),
    ),
    Bad(
        "impossible-date.md",
        b"---\ntitle: x\ndate: 2024-13-45\n---\n\nbody text\n",
        3,
        ("'2024-13-45'", "month must be in 1..12"),
    ),
    Bad(
        "title-list.md",
        b"---\ndate: 2024-06-01\ntitle: [a, b]\n---\n\nbody text\n",
        3,
        ("'title' must be text, got a list",),
    ),
    Bad(
        "title-mapping.md",
        b"---\ndate: 2024-06-01\ntitle:\n  zh: x\n  en: y\n---\n\nbody text\n",
        3,
        ("'title' must be text, got a mapping",),
    ),
    Bad("unclosed.md", b"---\ntitle: x\n\nbody, and no closing fence\n", 1, ("not closed",)),
    Bad("not-a-mapping.md", b"---\n- a\n- b\n---\nbody\n", 2, ("must be a mapping",)),
    Bad(
        "too-big.md",
        article("Big", "https://example.com/news/big", ENGLISH * 40).encode(),
        None,
        ("over the 4096 limit",),
    ),
]
BROKEN_LINK = "dangling-link.md"  # a symbolic link to nothing, found while listing the folder


@dataclass(frozen=True, slots=True)
class Run:
    src: Path
    out: Path
    report: RunReport


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    base = tmp_path_factory.mktemp("broken")
    src, out = base / "articles", base / "out"
    files = {name: data for name, (data, _, _) in GOOD.items()}
    files |= {bad.name: bad.data for bad in BAD}
    files[DRAFT] = DRAFT_BYTES.encode()
    for name, data in files.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_bytes(data)
    (src / BROKEN_LINK).symlink_to("nowhere.md")
    stamp = NO_DATE_MTIME.timestamp()
    os.utime(src / "no-date.md", (stamp, stamp))
    report = convert(
        [str(src)],
        out,
        FeedSettings(title="Broken inputs"),
        options=ArticleOptions(max_file_size=MAX_FILE_SIZE),
    )
    return Run(src, out, report)


def problems_for(run: Run, name: str) -> list[Problem]:
    path = str(run.src / name)
    return [p for p in run.report.problems if p.where == path or p.where.startswith(path + ":")]


def entries(run: Run, feed: str) -> list[feedparser.FeedParserDict]:
    parsed = feedparser.parse((run.out / feed).read_bytes())
    assert not parsed.bozo
    return list(parsed.entries)


# --- each bad file: one error, with its path, line and reason --------------------------------


@pytest.mark.parametrize("bad", BAD, ids=[bad.name for bad in BAD])
def test_bad_file_gives_exactly_one_error(run: Run, bad: Bad) -> None:
    [problem] = problems_for(run, bad.name)
    assert problem.fatal
    path = run.src / bad.name
    assert problem.where == (f"{path}:{bad.line}" if bad.line else str(path))
    for fragment in bad.reason:
        assert fragment in problem.message
    assert "\n" not in str(problem)
    assert "Traceback" not in problem.message


def test_dangling_link_is_one_error(run: Run) -> None:
    [problem] = problems_for(run, BROKEN_LINK)
    assert problem.fatal
    assert "broken symbolic link" in problem.message


def test_errors_are_exactly_the_bad_files(run: Run) -> None:
    failed = sorted(
        p.where.rsplit(":", 1)[0] if ":" in p.where else p.where for p in run.report.failed
    )
    expected = sorted(str(run.src / name) for name in [*(b.name for b in BAD), BROKEN_LINK])
    assert failed == expected


# --- every good file is published, in valid feeds --------------------------------------------


@pytest.mark.parametrize("name", list(GOOD))
def test_good_file_is_published(run: Run, name: str) -> None:
    _, link, lang = GOOD[name]
    assert not [p for p in problems_for(run, name) if p.fatal]
    assert link in {e.link for e in entries(run, "all.atom.xml")}
    assert link in {e.link for e in entries(run, f"{lang}.atom.xml")}


def test_nothing_but_the_good_files_is_published(run: Run) -> None:
    links = {e.link for e in entries(run, "all.atom.xml")}
    assert links == {link for _, link, _ in GOOD.values()}
    assert run.report.entries == len(GOOD)  # the longest feed: the combined one
    assert sorted(p.name for p in run.out.iterdir() if not p.name.startswith(".")) == [
        "all.atom.xml",
        "en.atom.xml",
        "feeds.opml",
        "zh.atom.xml",
    ]


@pytest.mark.parametrize("feed", ["all.atom.xml", "en.atom.xml", "zh.atom.xml"])
def test_every_output_feed_conforms(run: Run, feed: str) -> None:
    assert_valid_atom((run.out / feed).read_bytes())


def test_the_report_says_the_run_failed_but_wrote_feeds(run: Run) -> None:
    """The exit semantics: some input skipped (exit 1), yet every feed is written."""
    assert len(run.report.failed) == len(BAD) + 1
    assert {p.name for p in run.report.written} == {
        "all.atom.xml",
        "en.atom.xml",
        "zh.atom.xml",
        "feeds.opml",
    }
    assert all(not p.fatal for p in run.report.warnings)


def test_forbidden_characters_are_removed_and_the_file_used(run: Run) -> None:
    [entry] = [e for e in entries(run, "en.atom.xml") if e.link.endswith("/controls")]
    assert entry.title == "Control characters"
    assert "A NUL and a U+FFFE in the middle." in entry.content[0].value
    assert not problems_for(run, "controls.md")


def test_a_file_without_date_is_used_with_a_warning(run: Run) -> None:
    [problem] = problems_for(run, "no-date.md")
    assert not problem.fatal
    assert "modification time" in problem.message
    [entry] = [e for e in entries(run, "en.atom.xml") if e.link.endswith("/undated")]
    assert entry.published == "2024-05-05T05:05:05Z"


def test_a_draft_is_skipped_silently(run: Run) -> None:
    assert problems_for(run, DRAFT) == []
    assert "https://example.com/news/draft" not in {e.link for e in entries(run, "all.atom.xml")}


def test_bom_and_crlf_do_not_leak_into_the_entry(run: Run) -> None:
    [entry] = [e for e in entries(run, "en.atom.xml") if e.link.endswith("/crlf")]
    assert entry.title == "Windows line ends"
    assert "\r" not in entry.content[0].value


# --- runs that go wrong as a whole -----------------------------------------------------------


def test_a_clean_folder_reports_nothing(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    data, _, _ = GOOD["en-rates.md"]
    (src / "a.md").write_bytes(data)
    report = convert([str(src)], tmp_path / "out")
    assert report.problems == ()
    assert report.failed == ()


def test_feeds_are_not_emptied_when_every_input_fails(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    data, _, _ = GOOD["en-rates.md"]
    (src / "a.md").write_bytes(data)
    convert([str(src)], tmp_path / "out")
    before = (tmp_path / "out" / "en.atom.xml").read_bytes()
    (src / "a.md").write_bytes(b"---\ntitle: [broken\n---\n")
    report = convert([str(src)], tmp_path / "out")
    assert [p.where for p in report.failed] == [f"{src / 'a.md'}:2"]
    assert (tmp_path / "out" / "en.atom.xml").read_bytes() == before
    assert any("not emptied" in p.message for p in report.warnings)


def test_alias_bomb_costs_bounded_time_and_memory_end_to_end(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for number in range(5):
        (src / f"bomb{number}.md").write_text(f"---\n{ALIAS_BOMB}---\nbody\n", encoding="utf-8")
    tracemalloc.start()
    started = time.perf_counter()
    try:
        report = convert([str(src)], tmp_path / "out")
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(report.failed) == 5
    assert elapsed < 1.0
    assert peak < 50 * 1024 * 1024


# --- limits, line numbers and odd values found by this suite ------------------------------


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    with open(src / "huge.md", "wb") as handle:
        handle.truncate(8 * 1024 * 1024)  # sparse: costs no disk
    tracemalloc.start()
    try:
        report = convert(
            [str(src)], tmp_path / "out", options=ArticleOptions(max_file_size=MAX_FILE_SIZE)
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    [problem] = report.failed
    assert "over the 4096 limit" in problem.message
    assert peak < 2 * 1024 * 1024


def test_a_bad_date_line_is_found_with_cr_line_ends(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.md").write_bytes(b"---\rtitle: x\rdate: tomorrow\r---\r\rbody text\r")
    report = convert([str(src)], tmp_path / "out")
    assert [p.where for p in report.failed] == [f"{src / 'a.md'}:3"]


def test_a_source_link_with_a_space_still_gives_a_valid_feed(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.md").write_text(
        article("Spaced", "https://example.com/a b", ENGLISH), encoding="utf-8"
    )
    convert([str(src)], tmp_path / "out")
    for feed in sorted((tmp_path / "out").glob("*.atom.xml")):
        assert_valid_atom(feed.read_bytes())


def test_a_hostless_front_matter_id_still_gives_a_valid_feed(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.md").write_text(
        f"---\ntitle: Odd id\nid: http://\ndate: 2024-06-01\n---\n\n{ENGLISH}", encoding="utf-8"
    )
    convert([str(src)], tmp_path / "out")
    for feed in sorted((tmp_path / "out").glob("*.atom.xml")):
        assert_valid_atom(feed.read_bytes())
