"""Finding article files under a folder: recursive, loop-safe, deterministic order."""

from __future__ import annotations

import os
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

ARTICLE_SUFFIXES = frozenset({".md", ".markdown", ".txt"})
_LOWER_SUFFIXES = tuple(sorted(ARTICLE_SUFFIXES))  # for str.endswith: most names, no copy


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
    # is_ignored_name, but for endings no article suffix has: a name that ends in .md,
    # .markdown or .txt is ignored only for its first character (10,000 files a pass)
    return (
        name.endswith(_LOWER_SUFFIXES) or name[name.rfind(".") :].lower() in ARTICLE_SUFFIXES
    ) and name[0] not in ".~#"


class Listed(NamedTuple):
    """An article file as listed: a tuple, cheaper than a FoundFile by far.  Without
    `list_articles(stat=True)` nothing but its name is known (size and mtime are -1), and the
    stats are made by whoever reads the files — on every core, in `convert`."""

    rel: str  # POSIX path relative to the source folder
    path: str  # as `str(Path)` writes it
    size: int = -1
    mtime_ns: int = -1


def find_articles(root: Path) -> tuple[list[FoundFile], list[tuple[Path, str]]]:
    """Every article file under `root` (or `root` itself when it is a file), sorted by path.

    Returns the files and a list of (path, reason) for what could not be listed. Symbolic links
    are followed, but a folder already visited (a link loop) is not entered twice.
    """
    listed, problems = list_articles(root, stat=True)
    return [
        FoundFile(path=Path(item.path), rel=item.rel, size=item.size, mtime_ns=item.mtime_ns)
        for item in listed
    ], problems


def list_articles(
    root: Path, *, stat: bool = False, ordered: bool = True
) -> tuple[list[Listed], list[tuple[Path, str]]]:
    """`find_articles` as Listed tuples: with `stat`, each with its size and modification
    time (a file that cannot be looked at is a problem); without, links aside, no stat at all.
    Not `ordered`: in no particular order (a caller that only compares saves the sort)."""
    problems: list[tuple[Path, str]] = []
    try:
        st = root.stat()
    except OSError as exc:
        return [], [(root, _os_reason(exc))]
    if not os.path.isdir(root):
        return [Listed(root.name, str(root), st.st_size, st.st_mtime_ns)], []
    seen = {(st.st_dev, st.st_ino)}
    linked: list[tuple[Path, str]] = []  # folders reached through a link: walked last
    listed: list[Listed] = []
    _walk(root, "", seen, problems, linked, listed, stat)
    while linked:
        folder, prefix = linked.pop(0)
        try:
            lst = folder.stat()
        except OSError as exc:
            problems.append((folder, _os_reason(exc)))
            continue
        if (lst.st_dev, lst.st_ino) not in seen:  # not a loop, nor a folder already walked
            seen.add((lst.st_dev, lst.st_ino))
            _walk(folder, prefix, seen, problems, linked, listed, stat)
    if ordered:
        listed.sort(key=_REL)  # no two share a path: the order of the tuples, three times faster
    return listed, problems


_REL = itemgetter(0)
_new_listed = tuple.__new__  # Listed(...) runs a Python __new__: 10,000 a pass, stat or not


def stat_listed(item: Listed) -> FoundFile:
    """A listed file with its size and modification time; OSError when it cannot be read."""
    path = Path(item.path)
    st = os.stat(path)
    return FoundFile(path=path, rel=item.rel, size=st.st_size, mtime_ns=st.st_mtime_ns)


def listed_reason(item: Listed, exc: OSError) -> str:
    """Why a listed file cannot be used; a dangling link says so rather than 'no such file'."""
    path = item.path
    if isinstance(exc, FileNotFoundError) and os.path.islink(path):
        try:
            return f"broken symbolic link (its target {os.readlink(path)!r} does not exist)"
        except OSError:
            pass
    return _os_reason(exc)


def _walk(
    folder: Path,
    prefix: str,
    seen: set[tuple[int, int]],
    problems: list[tuple[Path, str]],
    linked: list[tuple[Path, str]],
    listed: list[Listed],
    stat: bool,
) -> None:
    """List the article files under `folder`, following no links to folders: those go to
    `linked`, so a file reachable both ways is named by its real path, whatever the names sort
    like.  Without `stat` only links are looked at; for the rest, what the folder says is
    enough."""
    here = str(folder / "_")[:-1]  # what str(folder / name) puts before the name
    others: list[os.DirEntry[str]] = []  # folders and links: walked in name order
    files: list[str] = []  # names of the plain files, to list without a stat
    try:
        with os.scandir(folder) as listing:
            for item in listing:
                name = item.name
                try:
                    if item.is_file(follow_symlinks=False):  # (what the folder says: no stat)
                        if not stat:
                            files.append(name)
                        elif is_article_name(name):
                            st = item.stat(follow_symlinks=False)
                            row = (prefix + name, here + name, st.st_size, st.st_mtime_ns)
                            listed.append(_new_listed(Listed, row))
                    elif not is_ignored_name(name):
                        others.append(item)
                except OSError as exc:
                    problems.append((folder / name, _item_reason(item, exc)))
    except OSError as exc:
        problems.append((folder, _os_reason(exc)))
        return
    listed += [
        _new_listed(Listed, (prefix + name, here + name, -1, -1))
        for name in files
        if is_article_name(name)
    ]
    others.sort(key=lambda d: d.name)
    for item in others:
        name = item.name
        try:
            if item.is_symlink():
                if item.is_dir():  # (follows the link: a stat)
                    linked.append((folder / name, f"{prefix}{name}/"))
                    continue
                if not is_article_name(name):
                    continue
                st = item.stat()  # a dangling link is reported here, as it was found
                if item.is_file():
                    listed.append(Listed(prefix + name, here + name, st.st_size, st.st_mtime_ns))
            elif item.is_dir(follow_symlinks=False):
                st = item.stat(follow_symlinks=False)
                seen.add((st.st_dev, st.st_ino))
                _walk(folder / name, f"{prefix}{name}/", seen, problems, linked, listed, stat)
        except OSError as exc:
            problems.append((folder / name, _item_reason(item, exc)))


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
