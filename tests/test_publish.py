"""Writing output files (SPEC 3.2, last bullets): only when the bytes change, atomically, 0644.

A feed reader or web server may read `all.atom.xml` at any moment while feedkit replaces it, so
every replacement goes through a temporary file in the same folder and a rename; the reader test
at the end parses the file in a tight loop while 200 versions are published.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from feedkit.errors import PublishError
from feedkit.publish import FILE_MODE, write_if_changed

OLD_NS = 1_500_000_000_000_000_000  # an mtime well in the past (2017), in nanoseconds


def listing(folder: Path) -> list[str]:
    """Every name in `folder`, hidden ones (temporary files) included."""
    return sorted(os.listdir(folder))


@pytest.fixture
def umask_077() -> Iterator[None]:
    """A restrictive umask, as a cron job or a hardened service may run with."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


# --- write if changed ------------------------------------------------------------------------


def test_a_new_file_is_written_and_its_folder_made(tmp_path: Path) -> None:
    path = tmp_path / "output" / "news" / "all.atom.xml"

    assert write_if_changed(path, b"<feed/>") is True

    assert path.read_bytes() == b"<feed/>"
    assert listing(path.parent) == ["all.atom.xml"]


def test_identical_bytes_are_not_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "all.atom.xml"
    path.write_bytes(b"<feed>same</feed>")
    os.utime(path, ns=(OLD_NS, OLD_NS))
    before = path.stat()

    assert write_if_changed(path, b"<feed>same</feed>") is False

    after = path.stat()
    assert (after.st_mtime_ns, after.st_ino) == (OLD_NS, before.st_ino)
    assert listing(tmp_path) == ["all.atom.xml"]


@pytest.mark.parametrize(
    "new",
    [b"<feed>SAME</feed>", b"<feed>longer</feed>", b""],
    ids=["same-size", "other-size", "empty"],
)
def test_different_bytes_replace_the_file(tmp_path: Path, new: bytes) -> None:
    path = tmp_path / "all.atom.xml"
    path.write_bytes(b"<feed>same</feed>")
    os.utime(path, ns=(OLD_NS, OLD_NS))

    assert write_if_changed(path, new) is True

    assert path.read_bytes() == new
    assert path.stat().st_mtime_ns != OLD_NS
    assert listing(tmp_path) == ["all.atom.xml"]


# --- atomic replacement ----------------------------------------------------------------------


def test_the_file_is_replaced_by_rename_not_rewritten_in_place(tmp_path: Path) -> None:
    """A reader holding the old file open keeps reading the whole old feed."""
    path = tmp_path / "all.atom.xml"
    path.write_bytes(b"<feed>old</feed>")
    old_inode = path.stat().st_ino
    with open(path, "rb") as reader:
        assert write_if_changed(path, b"<feed>new and longer</feed>")
        assert reader.read() == b"<feed>old</feed>"
    assert path.stat().st_ino != old_inode
    assert path.read_bytes() == b"<feed>new and longer</feed>"


def test_the_temporary_file_is_in_the_same_folder_and_hidden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same folder: the rename stays on one file system, so it is atomic.  Hidden: a web server
    listing the folder, or feedkit reading it, never takes it for a feed."""
    seen: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src: str, dst: str | os.PathLike[str]) -> None:
        seen.append((str(src), str(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    path = tmp_path / "all.atom.xml"

    write_if_changed(path, b"<feed/>")

    [(src, dst)] = seen
    assert Path(src).parent == tmp_path
    assert Path(src).name.startswith(".all.atom.xml.")
    assert dst == str(path)


def test_files_are_mode_0644_whatever_the_umask(tmp_path: Path, umask_077: None) -> None:
    path = tmp_path / "all.atom.xml"
    write_if_changed(path, b"<feed>one</feed>")
    assert stat.S_IMODE(path.stat().st_mode) == FILE_MODE == 0o644

    path.chmod(0o600)
    write_if_changed(path, b"<feed>two</feed>")
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


# --- failures: a PublishError naming the file, no temporary file left behind ------------------


def test_a_parent_that_is_a_file_is_a_publish_error(tmp_path: Path) -> None:
    (tmp_path / "news").write_bytes(b"not a folder")
    path = tmp_path / "news" / "all.atom.xml"

    with pytest.raises(PublishError) as caught:
        write_if_changed(path, b"<feed/>")

    assert str(path) in str(caught.value)
    assert "not a directory" in str(caught.value)
    assert listing(tmp_path) == ["news"]
    assert (tmp_path / "news").read_bytes() == b"not a folder"


def test_a_failed_rename_leaves_no_temporary_file(tmp_path: Path) -> None:
    """The bytes are written to the temporary file, then the rename fails (a folder is in the
    way): the temporary file is removed again."""
    path = tmp_path / "all.atom.xml"
    path.mkdir()

    with pytest.raises(PublishError, match="is a directory") as caught:
        write_if_changed(path, b"<feed>" + b"x" * 10_000 + b"</feed>")

    assert str(path) in str(caught.value)
    assert listing(tmp_path) == ["all.atom.xml"]
    assert path.is_dir()


FILE_SIZE_LIMIT = textwrap.dedent(
    """
    import resource, sys
    from pathlib import Path
    from feedkit.errors import PublishError
    from feedkit.publish import write_if_changed

    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.RLIM_INFINITY))
    try:
        write_if_changed(Path(sys.argv[1]), b"<feed>" + b"x" * 100_000 + b"</feed>")
    except PublishError as exc:
        print(exc)
        sys.exit(3)
    """
)


def test_a_write_that_fails_half_way_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path,
) -> None:
    """RLIMIT_FSIZE makes the write itself fail after 4 KiB (EFBIG; Python ignores SIGXFSZ)."""
    path = tmp_path / "all.atom.xml"
    path.write_bytes(b"<feed>old</feed>")

    result = subprocess.run(
        [sys.executable, "-c", FILE_SIZE_LIMIT, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 3, result.stderr
    assert result.stdout.strip() == f"{path}: cannot write: file too large"
    assert path.read_bytes() == b"<feed>old</feed>"
    assert listing(tmp_path) == ["all.atom.xml"]


# --- a reader during many publishes ------------------------------------------------------------

ATOM_NS = "http://www.w3.org/2005/Atom"


def version(number: int) -> bytes:
    """Version `number` of a feed: 1 to 40 entries, so sizes vary from under 1 KiB to ~30 KiB."""
    count = number % 40 + 1
    entries = "".join(
        f"<entry><id>urn:x:{number}:{i}</id><title>Entry {i} of version {number}</title>"
        f"<updated>2026-01-02T03:04:05Z</updated>"
        f"<content type='html'>{'&lt;p&gt;' + 'text ' * 120 + '&lt;/p&gt;'}</content></entry>"
        for i in range(count)
    )
    return (
        f"<?xml version='1.0' encoding='UTF-8'?>\n<feed xmlns='{ATOM_NS}'>"
        f"<id>urn:x:feed</id><title>version {number}</title>"
        f"<updated>2026-01-02T03:04:05Z</updated>{entries}</feed>"
    ).encode()


def test_a_reader_in_a_tight_loop_never_sees_half_a_feed(tmp_path: Path) -> None:
    path = tmp_path / "all.atom.xml"
    versions = [version(n) for n in range(200)]
    write_if_changed(path, versions[0])
    stop = threading.Event()
    parsed: list[int] = []
    failures: list[str] = []

    def read_all_the_time() -> None:
        while not stop.is_set():
            data = path.read_bytes()
            try:
                root = etree.fromstring(data)
            except etree.XMLSyntaxError as exc:
                failures.append(f"{len(data)} bytes: {exc}")
                continue
            number = int(root.findtext(f"{{{ATOM_NS}}}title").split()[1])
            if len(root.findall(f"{{{ATOM_NS}}}entry")) != number % 40 + 1:
                failures.append(f"version {number} is missing entries")
            parsed.append(number)

    reader = threading.Thread(target=read_all_the_time)
    reader.start()
    try:
        for data in versions[1:]:
            assert write_if_changed(path, data)
    finally:
        stop.set()
        reader.join(timeout=30)

    assert failures == []
    assert len(parsed) >= 20, "the reader hardly ran: the test proved nothing"
    assert len(set(parsed)) >= 10
    assert path.read_bytes() == versions[-1]
    assert listing(tmp_path) == ["all.atom.xml"]


def test_temporary_files_left_by_a_killed_run_are_cleared_once_old(tmp_path: Path) -> None:
    from feedkit.documents import Document
    from feedkit.publish import ORPHAN_AGE, publish_documents

    old = tmp_path / ".all.atom.xml.abc123.tmp"
    fresh = tmp_path / ".all.atom.xml.def456.tmp"
    for temp in (old, fresh):
        temp.write_bytes(b"<partial")
    long_ago = time.time() - ORPHAN_AGE - 60
    os.utime(old, (long_ago, long_ago))
    publish_documents(
        tmp_path, [Document(filename="a.txt", data=b"x")], keep_existing_when_empty=False
    )
    assert not old.exists()
    assert fresh.exists()  # a writer could still be using a recent one
