"""feedkit: local bilingual articles and remote feeds into per-language Atom feeds."""

from feedkit.errors import (
    ArticleError,
    ConfigError,
    FeedFormatError,
    FeedkitError,
    FetchError,
    PublishError,
    SourceError,
    StoreError,
)

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/feedkit/feedkit"

__all__ = [
    "PROJECT_URL",
    "ArticleError",
    "ConfigError",
    "FeedFormatError",
    "FeedkitError",
    "FetchError",
    "PublishError",
    "SourceError",
    "StoreError",
    "__version__",
]
