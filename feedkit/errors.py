"""One exception tree: every error feedkit raises on purpose is a FeedkitError."""

from __future__ import annotations

import re
from pathlib import Path


class FeedkitError(Exception):
    """Root of feedkit's errors."""


class ConfigError(FeedkitError):
    """Bad configuration or command-line usage (exit status 2)."""


class SourceError(FeedkitError):
    """One source (a file, a feed) failed; the run goes on without it."""


class FetchError(SourceError):
    """Network failure, bad HTTP status, timeout, response too large."""


class FeedFormatError(SourceError):
    """The bytes are not a usable feed."""


class ArticleError(SourceError):
    """An article file that cannot be used: path, line where known, reason."""

    def __init__(self, path: Path | str, message: str, *, line: int | None = None) -> None:
        self.where = f"{path}:{line}" if line else str(path)  # what a message names
        super().__init__(f"{self.where}: {message}")
        self.path = Path(path)
        self.line = line
        self.reason = message


class StoreError(FeedkitError):
    """The state database is unusable (corrupt, or its schema is newer than this code)."""


class PublishError(FeedkitError):
    """Writing an output file failed."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = Path(path)
        self.reason = reason


_TOML_POSITION = re.compile(r" \(at line (\d+), column (\d+)\)$")


def toml_problem(exc: ValueError) -> tuple[str, int | None, int | None]:
    """What a `tomllib.TOMLDecodeError` says, and the line and column (1-based) it names."""
    message = str(exc)
    position = _TOML_POSITION.search(message)
    if position is None:
        return message, None, None
    return message[: position.start()], int(position.group(1)), int(position.group(2))
