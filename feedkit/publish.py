"""Writing output files: only when the bytes change, and atomically (temp file, then rename)."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from feedkit.errors import PublishError
from feedkit.model import Problem

if TYPE_CHECKING:
    from feedkit.documents import Document

FILE_MODE = 0o644  # readable by a web server running as another user


def write_if_changed(path: Path, data: bytes) -> bool:
    """Replace `path` with `data` unless it already holds exactly these bytes.

    Returns True when the file was written.  A reader sees the old file or the new one, never
    a part of one: the bytes go to a temporary file in the same folder, are flushed to disk,
    and the temporary file is renamed over the old one.
    """
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise PublishError(path, f"cannot read the current file: {_reason(exc)}") from exc
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        import tempfile  # noqa: PLC0415 - 12 ms with shutil and random, for the first write

        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise PublishError(path, f"cannot write: {_reason(exc)}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise PublishError(path, f"cannot write: {_reason(exc)}") from exc
    return True


def _reason(exc: OSError) -> str:
    return exc.strerror.lower() if exc.strerror else type(exc).__name__


def publish_documents(
    output: Path,
    documents: Sequence[Document],
    *,
    keep_existing_when_empty: bool,
) -> tuple[list[Path], list[Path], list[Problem]]:
    """Write each document that changed.  With `keep_existing_when_empty`, a feed that would
    lose every entry (its inputs failed) is left as it was rather than emptied."""
    written: list[Path] = []
    unchanged: list[Path] = []
    problems: list[Problem] = []
    _clear_stale(output, documents, problems, allowed=not keep_existing_when_empty)
    _clear_orphan_temps(output)
    for document in documents:
        path = output / document.filename
        if keep_existing_when_empty and document.entries == 0 and path.exists():
            problems.append(
                Problem(where=str(path), message="not emptied: its inputs failed", fatal=False)
            )
            continue
        try:
            changed = write_if_changed(path, document.data)
        except PublishError as exc:
            problems.append(Problem(where=str(path), message=exc.reason))
            continue
        (written if changed else unchanged).append(path)
    return written, unchanged, problems


ORPHAN_AGE = 600  # seconds: a temporary file this old was left by a killed writer


def _clear_orphan_temps(output: Path) -> None:
    """Remove temporary files a killed run left behind (hidden, so no reader ever saw them).
    Only old ones: a lock keeps writers of one feed apart, and ten minutes is far past any
    write."""
    try:
        temps = list(output.rglob(".*.tmp"))
    except OSError:
        return
    cutoff = time.time() - ORPHAN_AGE
    for temp in temps:
        with contextlib.suppress(OSError):
            if temp.is_file() and temp.stat().st_mtime < cutoff:
                temp.unlink()


MANIFEST = ".feedkit-files"  # hidden: `feedkit serve` never serves it


def _clear_stale(
    output: Path, documents: Sequence[Document], problems: list[Problem], *, allowed: bool
) -> None:
    """Remove files an earlier publish wrote that are no longer planned (a tag dropped from its
    last article, a language gone, an archive page past the end), and record what is planned now.

    Only after a run in which every input was fine: a failing source never removes anything.
    Only files listed in the manifest are touched, never anything else in the folder.
    """
    manifest = output / MANIFEST
    current = sorted(document.filename for document in documents)
    try:
        before = set(manifest.read_text(encoding="utf-8").split("\n")) - {""}
    except (FileNotFoundError, UnicodeDecodeError):
        before = set()
    except OSError as exc:
        problems.append(Problem(where=str(manifest), message=f"cannot read: {exc}", fatal=False))
        return
    if not allowed:
        current = sorted(set(current) | before)  # keep remembering what may be stale later
    else:
        for name in sorted(before - set(current)):
            stale = (output / name).resolve()
            if output.resolve() not in stale.parents:
                continue  # a hand-edited manifest never reaches outside the folder
            with contextlib.suppress(FileNotFoundError):
                try:
                    stale.unlink()
                except OSError as exc:
                    problems.append(
                        Problem(
                            where=str(stale), message=f"stale, cannot remove: {exc}", fatal=False
                        )
                    )
    try:
        write_if_changed(manifest, ("\n".join(current) + "\n").encode())
    except PublishError as exc:
        problems.append(Problem(where=str(manifest), message=exc.reason, fatal=False))
