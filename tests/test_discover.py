"""Finding article files: SPEC 1.1 "Extensions .md, .markdown, .txt; folders are read recursively;
hidden files and editor temp files are ignored", plus what real folders hold: link loops,
dangling links, folders that cannot be listed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedkit import discover
from feedkit.discover import ARTICLE_SUFFIXES, find_articles, is_article_name, is_ignored_name

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("---\ntitle: x\n---\nbody\n", encoding="utf-8")


def rels(root: Path) -> list[str]:
    found, problems = find_articles(root)
    assert problems == []
    return [f.rel for f in found]


# --- which names are articles ----------------------------------------------------------------

ARTICLE_NAMES = ["a.md", "a.markdown", "a.txt", "A.MD", "b.Markdown", "c.TxT", "中文.md", "a.b.md"]
NOT_ARTICLES = [
    "a.html",
    "a.rst",
    "a.mdx",
    "a.md.bak",
    "README",
    "md",
    "a.txt.orig",
    "image.png",
]
IGNORED = {
    "hidden file": ".a.md",
    "emacs backup": "a.md~",
    "emacs autosave": "#a.md#",
    "emacs lock": ".#a.md",
    "vim swap": "a.md.swp",
    "vim swap 2": "a.md.swo",
    "vim probe": "4913",
    "office lock": "~$a.md",
    "temp": "a.md.tmp",
}


@pytest.mark.parametrize("name", ARTICLE_NAMES)
def test_article_extensions_are_case_insensitive(name: str) -> None:
    assert is_article_name(name)


@pytest.mark.parametrize("name", NOT_ARTICLES)
def test_other_extensions_are_not_articles(name: str) -> None:
    assert not is_article_name(name)


@pytest.mark.parametrize("name", list(IGNORED.values()), ids=list(IGNORED))
def test_hidden_and_editor_temp_files_are_ignored(tmp_path: Path, name: str) -> None:
    touch(tmp_path, name, "kept.md")
    assert rels(tmp_path) == ["kept.md"]


# --- walking a folder ------------------------------------------------------------------------


def test_finds_articles_recursively_in_sorted_order(tmp_path: Path) -> None:
    touch(
        tmp_path,
        "z.md",
        "a.TXT",
        "m.markdown",
        "2024/06/b.md",
        "2024/05/a.md",
        "2024/notes.txt",
        "sub/deeper/deepest/x.md",
        "page.html",
        "sub/image.png",
    )
    assert rels(tmp_path) == [
        "2024/05/a.md",
        "2024/06/b.md",
        "2024/notes.txt",
        "a.TXT",
        "m.markdown",
        "sub/deeper/deepest/x.md",
        "z.md",
    ]


def test_found_file_carries_path_size_and_mtime(tmp_path: Path) -> None:
    touch(tmp_path, "sub/a.md")
    path = tmp_path / "sub" / "a.md"
    os.utime(path, ns=(1_700_000_000_123_456_789, 1_700_000_000_123_456_789))
    [found], _ = find_articles(tmp_path)
    assert found.path == path
    assert found.rel == "sub/a.md"
    assert found.size == path.stat().st_size
    assert found.mtime_ns == 1_700_000_000_123_456_789


def test_hidden_folders_are_not_entered(tmp_path: Path) -> None:
    touch(tmp_path, ".git/notes.md", ".obsidian/x.md", "_drafts/ok.md", "shown.md")
    assert rels(tmp_path) == ["_drafts/ok.md", "shown.md"]


def test_a_folder_named_like_an_article_is_walked(tmp_path: Path) -> None:
    touch(tmp_path, "bundle.md/index.md")
    assert rels(tmp_path) == ["bundle.md/index.md"]


def test_a_single_file_is_its_own_listing(tmp_path: Path) -> None:
    touch(tmp_path, "one.md")
    found, problems = find_articles(tmp_path / "one.md")
    assert problems == []
    assert [(f.path, f.rel) for f in found] == [(tmp_path / "one.md", "one.md")]


def test_empty_folder_lists_nothing(tmp_path: Path) -> None:
    assert find_articles(tmp_path) == ([], [])


def test_missing_root_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    found, problems = find_articles(tmp_path / "nope")
    assert found == []
    assert problems == [(tmp_path / "nope", "no such file or directory")]


# --- symbolic links --------------------------------------------------------------------------


def test_link_to_parent_folder_terminates_and_lists_each_file_once(tmp_path: Path) -> None:
    touch(tmp_path, "a.md", "sub/b.md")
    (tmp_path / "sub" / "up").symlink_to("..", target_is_directory=True)
    (tmp_path / "sub" / "self").symlink_to(".", target_is_directory=True)
    assert rels(tmp_path) == ["a.md", "sub/b.md"]


def test_two_folders_linking_to_each_other_terminate(tmp_path: Path) -> None:
    touch(tmp_path, "x/one.md", "y/two.md")
    (tmp_path / "x" / "to-y").symlink_to("../y", target_is_directory=True)
    (tmp_path / "y" / "to-x").symlink_to("../x", target_is_directory=True)
    assert rels(tmp_path) == ["x/one.md", "y/two.md"]


def test_a_file_reachable_through_a_link_keeps_its_real_path(tmp_path: Path) -> None:
    """The relative path is the id of last resort: a link that sorts first must not steal it."""
    touch(tmp_path, "sub/y.md")
    (tmp_path / "a-link").symlink_to("sub", target_is_directory=True)
    assert rels(tmp_path) == ["sub/y.md"]


def test_link_to_a_folder_outside_is_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    touch(outside, "far.md")
    root = tmp_path / "root"
    touch(root, "near.md")
    (root / "linked").symlink_to(outside, target_is_directory=True)
    assert rels(root) == ["linked/far.md", "near.md"]


def test_a_linked_root_folder_is_walked(tmp_path: Path) -> None:
    touch(tmp_path, "real/a.md")
    (tmp_path / "alias").symlink_to("real", target_is_directory=True)
    assert rels(tmp_path / "alias") == ["a.md"]


def test_dangling_link_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    touch(tmp_path, "good.md")
    (tmp_path / "gone.md").symlink_to("nowhere.md")
    found, problems = find_articles(tmp_path)
    assert [f.rel for f in found] == ["good.md"]
    [(path, reason)] = problems
    assert path == tmp_path / "gone.md"
    assert "broken symbolic link" in reason
    assert "nowhere.md" in reason


def test_dangling_link_with_another_extension_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "gone.png").symlink_to("nowhere.png")
    (tmp_path / "gone-folder").symlink_to("nowhere", target_is_directory=True)
    assert find_articles(tmp_path) == ([], [])


def test_self_referencing_link_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "loop.md").symlink_to("loop.md")
    found, problems = find_articles(tmp_path)
    assert found == []
    assert problems == [(tmp_path / "loop.md", "too many levels of symbolic links")]


def test_dangling_root_link_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "root").symlink_to("nowhere", target_is_directory=True)
    found, problems = find_articles(tmp_path / "root")
    assert found == []
    assert [path for path, _ in problems] == [tmp_path / "root"]


# --- folders that cannot be listed -----------------------------------------------------------


@pytest.mark.skipif(IS_ROOT, reason="root reads folders whatever their mode")
def test_unreadable_folder_is_a_problem_and_the_rest_is_found(tmp_path: Path) -> None:
    touch(tmp_path, "ok.md", "locked/secret.md")
    locked = tmp_path / "locked"
    locked.chmod(0)
    try:
        found, problems = find_articles(tmp_path)
    finally:
        locked.chmod(0o755)
    assert [f.rel for f in found] == ["ok.md"]
    assert problems == [(locked, "permission denied")]


def test_folder_that_cannot_be_listed_is_a_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same path as above without needing a non-root user: scandir fails for one folder."""
    touch(tmp_path, "ok.md", "locked/secret.md", "zzz/later.md")
    locked = tmp_path / "locked"
    real_scandir = os.scandir

    def scandir(path: Path) -> object:
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(discover.os, "scandir", scandir)
    found, problems = find_articles(tmp_path)
    assert [f.rel for f in found] == ["ok.md", "zzz/later.md"]
    assert problems == [(locked, "permission denied")]


@given(st.text(alphabet=st.sampled_from(list(".~#mdtxMDTbakswpori4913a")), min_size=1, max_size=12))
def test_an_article_name_is_a_suffix_that_is_not_ignored(name: str) -> None:
    suffix = os.path.splitext(name)[1].lower()
    assert is_article_name(name) == (not is_ignored_name(name) and suffix in ARTICLE_SUFFIXES)
