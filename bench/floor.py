"""The floor under any converter in Python: list a folder, read every article file, decode it.

    python bench/floor.py DIR [WORKERS]

Run as a fresh process, as `feedkit convert` is: interpreter start, a recursive listing of
DIR's article files (the suffixes feedkit reads), then each file opened, read whole and decoded
as UTF-8, on WORKERS processes (default: the cores this process may use; all but one forked),
and nothing else: no feedkit import, no parsing, no output.  `run.py` times it beside
`feedkit convert` of the same folder.  What feedkit takes above it is its own work (imports,
front matter, source links, sections and their languages, planning, rendering): what a faster
converter in Python could still cut.  It prints the files it listed and the characters it
decoded, so that a run that read nothing shows.
"""

from __future__ import annotations

import os
import sys

SUFFIXES = (".md", ".markdown", ".txt")


def article_paths(root: str) -> list[str]:
    """Every article file under `root`, in no particular order."""
    return [
        os.path.join(folder, name)
        for folder, _, names in os.walk(root)
        for name in names
        if name.lower().endswith(SUFFIXES)
    ]


_BLOCK = 1 << 16


def read_all(paths: list[str]) -> tuple[int, int]:
    """Open, read and decode each file; (files that decoded, characters).  With the fewest
    system calls (open, read, close: `open()` would add stats and a read to find the end),
    which cost several microseconds each in a virtual machine."""
    files = chars = 0
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            data = os.read(fd, _BLOCK)
            while len(data) % _BLOCK == 0 and data:  # (a short read is the end, for files)
                more = os.read(fd, _BLOCK)
                if not more:
                    break
                data += more
        finally:
            os.close(fd)
        try:
            chars += len(data.decode("utf-8"))
        except UnicodeDecodeError:
            continue
        files += 1
    return files, chars


def main() -> None:
    if len(sys.argv) not in (2, 3) or sys.argv[1].startswith("-"):
        raise SystemExit(__doc__)
    paths = article_paths(sys.argv[1])
    cores = int(sys.argv[2]) if len(sys.argv) == 3 else len(os.sched_getaffinity(0))
    workers = max(1, min(cores, len(paths)))
    shares = [paths[i::workers] for i in range(workers)]
    children = []
    for share in shares[1:]:
        pid = os.fork()
        if pid == 0:
            read_all(share)
            os._exit(0)
        children.append(pid)
    files, chars = read_all(shares[0]) if shares else (0, 0)
    for pid in children:
        os.waitpid(pid, 0)
    print(f"{len(paths)} files listed, {files} of them read here ({chars:,} characters)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
