"""Finding article files under a folder: recursive, loop-safe, deterministic order."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ARTICLE_SUFFIXES = frozenset({".md", ".markdown", ".txt"})


@dataclass(frozen=True, slots=True, kw_only=True)
class FoundFile:
    """An article file found under a source folder, with what a stat told us."""

    path: Path
    rel: str  # POSIX path relative to the source folder: the id of last resort
    size: int
    mtime_ns: int


def is_ignored_name(name: str) -> bool:
    """Hidden files and the leftovers editors write beside the file they edit."""
    return (
        name.startswith((".", "~", "#"))
        or name.endswith(("~", "#", ".swp", ".swo", ".tmp", ".bak", ".orig"))
        or name == "4913"  # vim's probe file
    )


def is_article_name(name: str) -> bool:
    return not is_ignored_name(name) and os.path.splitext(name)[1].lower() in ARTICLE_SUFFIXES


def find_articles(root: Path) -> tuple[list[FoundFile], list[tuple[Path, str]]]:
    """Every article file under `root` (or `root` itself when it is a file), sorted by path.

    Returns the files and a list of (path, reason) for what could not be listed. Symbolic links
    are followed, but a folder already visited (a link loop) is not entered twice.
    """
    problems: list[tuple[Path, str]] = []
    try:
        st = root.stat()
    except OSError as exc:
        return [], [(root, _os_reason(exc))]
    if not os.path.isdir(root):
        return [FoundFile(path=root, rel=root.name, size=st.st_size, mtime_ns=st.st_mtime_ns)], []
    seen = {(st.st_dev, st.st_ino)}
    linked: list[tuple[Path, str]] = []  # folders reached through a link: walked last
    found = list(_walk(root, "", seen, problems, linked))
    while linked:
        folder, prefix = linked.pop(0)
        try:
            lst = folder.stat()
        except OSError as exc:
            problems.append((folder, _os_reason(exc)))
            continue
        if (lst.st_dev, lst.st_ino) not in seen:  # not a loop, nor a folder already walked
            seen.add((lst.st_dev, lst.st_ino))
            found.extend(_walk(folder, prefix, seen, problems, linked))
    found.sort(key=lambda f: f.rel)
    return found, problems


def _walk(
    folder: Path,
    prefix: str,
    seen: set[tuple[int, int]],
    problems: list[tuple[Path, str]],
    linked: list[tuple[Path, str]],
) -> Iterator[FoundFile]:
    """The article files under `folder`, following no links to folders: those go to `linked`,
    so a file reachable both ways is named by its real path, whatever the names sort like."""
    try:
        with os.scandir(folder) as listing:
            items = sorted(listing, key=lambda d: d.name)
    except OSError as exc:
        problems.append((folder, _os_reason(exc)))
        return
    for item in items:
        if is_ignored_name(item.name):
            continue
        rel = f"{prefix}{item.name}"
        try:
            is_dir = item.is_dir()
            if not is_dir and not is_article_name(item.name):
                continue
            st = item.stat()
        except OSError as exc:
            problems.append((Path(item.path), _item_reason(item, exc)))
            continue
        if is_dir and item.is_symlink():
            linked.append((Path(item.path), rel + "/"))
        elif is_dir:
            seen.add((st.st_dev, st.st_ino))
            yield from _walk(Path(item.path), rel + "/", seen, problems, linked)
        elif item.is_file():
            # folder / name: cheaper than parsing the whole path again, 10,000 times a pass
            path = folder / item.name
            yield FoundFile(path=path, rel=rel, size=st.st_size, mtime_ns=st.st_mtime_ns)


def _item_reason(item: os.DirEntry[str], exc: OSError) -> str:
    """Why a listed item cannot be used; a dangling link says so rather than 'no such file'."""
    if isinstance(exc, FileNotFoundError) and item.is_symlink():
        try:
            return f"broken symbolic link (its target {os.readlink(item.path)!r} does not exist)"
        except OSError:
            pass
    return _os_reason(exc)


def _os_reason(exc: OSError) -> str:
    return exc.strerror.lower() if exc.strerror else type(exc).__name__
