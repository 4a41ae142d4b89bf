"""Frozen value types that flow through the pipeline.

What a source *says* (an Entry) is kept apart from what feedkit *remembers* about it (state,
in the store).  Datetimes are aware UTC everywhere inside feedkit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import NamedTuple

from feedkit.ids import urn_uuid5


def _check_utc(owner: object, name: str, value: datetime | None) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() != UTC.utcoffset(None)):
        raise ValueError(f"{type(owner).__name__}.{name} must be aware UTC, got {value!r}")


class BodyFormat(Enum):
    """How an entry's body is written; rendering to HTML happens only for published entries."""

    MARKDOWN = "markdown"
    HTML = "html"


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedOrigin:
    """The remote feed an entry was republished from (written as atom:source)."""

    id: str
    title: str
    url: str
    updated: datetime | None = None

    def __post_init__(self) -> None:
        _check_utc(self, "updated", self.updated)


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One language version of one article, from a file or a remote feed."""

    key: str  # dedupe key: canonical source URL, else a stable stand-in ("id:…", "path:…")
    id: str  # atom:id of this language version (an absolute IRI)
    lang: str  # "zh", "en", …
    title: str
    published: datetime
    updated: datetime
    link: str = ""  # the source link as an absolute http(s) URL, "" when there is none
    summary: str = ""  # plain text
    body: str = ""  # Markdown or (sanitized later) HTML, per body_format
    body_format: BodyFormat = BodyFormat.MARKDOWN
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    image: str = ""
    source: str = ""  # name of the configured source that produced it
    priority: int = 0  # lower wins: configuration order
    group_id: str = ""  # atom:id of the combined entry holding every language version
    origin: str = ""  # path or URL it came from, for messages
    feed: FeedOrigin | None = None

    def __post_init__(self) -> None:
        _check_utc(self, "published", self.published)
        _check_utc(self, "updated", self.updated)


class Scanned(NamedTuple):
    """One language version of an article file as a scan sees it: what deduplication and
    planning need, without title or text.  A tuple, because a scan makes one for every section
    of every file and an Entry costs twenty times as much to build; `entry()` builds the
    scanned Entry (title "") for the few that planning keeps.  Dates are aware UTC."""

    key: str
    lang: str
    published: datetime
    updated: datetime
    group: str  # the article's id when the file names it; "" when it derives from the key
    link: str
    authors: tuple[str, ...]
    tags: tuple[str, ...]
    image: str
    source: str
    priority: int
    origin: str

    @property
    def group_id(self) -> str:
        """The article's id (the combined feed's entry id), as `articles` gives it.  Ids are
        made when asked for: a scan needs only those that ties in dates and duplicates compare,
        and those of the few entries published."""
        return self.group or urn_uuid5(self.key)

    @property
    def id(self) -> str:
        """The language version's id, as `articles` gives it."""
        return version_id(self.group_id, self.lang)

    def entry(self) -> Entry:
        group_id = self.group_id  # (each id is a SHA-1: made once)
        return Entry(
            key=self.key,
            id=version_id(group_id, self.lang),
            lang=self.lang,
            title="",
            published=self.published,
            updated=self.updated,
            group_id=group_id,
            link=self.link,
            authors=self.authors,
            tags=self.tags,
            image=self.image,
            source=self.source,
            priority=self.priority,
            origin=self.origin,
        )


def version_id(group_id: str, lang: str) -> str:
    """A language version's id, from its article's id."""
    return urn_uuid5(f"{group_id}#{lang}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """Something the user must hear about: an input skipped (error) or used with a caveat."""

    where: str  # path, path:line or URL
    message: str
    fatal: bool = True  # True: the input was skipped; False: a warning, the input was used

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedSettings:
    """How one published set of feeds looks: shared by `convert` and configured feeds."""

    title: str = "feedkit"
    base_url: str = ""  # where the output folder is served; "" → no self links, urn:uuid ids
    lang_order: tuple[str, ...] = ("zh", "en")
    languages: tuple[str, ...] = ()  # () → every language found
    max_entries: int = 50
    author: str = ""  # feed-level author name; "" → the feed title
    titles: tuple[tuple[str, str], ...] = ()  # per-language feed titles, (lang, title)
    formats: tuple[str, ...] = ("atom",)  # also "rss", "json"
    summary_only: bool = False  # content = "summary"
    tag_feeds: bool = False  # tag/<slug>/<lang>.atom.xml
    author_feeds: bool = False  # author/<slug>/<lang>.atom.xml
    archive: bool = False  # RFC 5005 archive documents
    archive_page_size: int = 50
    hub: str = ""  # WebSub hub URL

    def title_for(self, lang: str) -> str:
        """The title of the language feed `lang`."""
        for code, title in self.titles:
            if code == lang:
                return title
        return f"{self.title} ({lang})"


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleOptions:
    """How article files are read."""

    encoding: str = "utf-8"
    default_tz: str = "UTC"
    source_labels: tuple[str, ...] = ("原文链接", "原文", "Source Link", "Source", "Original")
    max_file_size: int = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedFeed:
    """One output document: which entries, in which order, under which identity."""

    filename: str  # relative to the output folder, e.g. "zh.atom.xml"
    id: str
    title: str
    lang: str  # "" for the combined feed
    self_url: str  # "" when there is no base URL
    alternate_url: str
    author: str
    updated: datetime
    entries: tuple[PlannedEntry, ...]
    # extra feed links (rel, href, type or ""): RFC 5005 archive links, a WebSub hub
    links: tuple[tuple[str, str, str], ...] = ()
    archive: bool = False  # an RFC 5005 archive document (fh:archive)
    summary_only: bool = False  # content = "summary": no full content where a format allows

    def __post_init__(self) -> None:
        _check_utc(self, "updated", self.updated)


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedEntry:
    """One entry of a planned feed: a single language version, or several (combined feed)."""

    id: str
    versions: tuple[Entry, ...]  # one per language, in configured language order

    @property
    def primary(self) -> Entry:
        return self.versions[0]

    @property
    def published(self) -> datetime:
        return min(v.published for v in self.versions)

    @property
    def updated(self) -> datetime:
        return max(v.updated for v in self.versions)


@dataclass(frozen=True, slots=True, kw_only=True)
class RunReport:
    """What a run did: files written, entries published, problems met."""

    written: tuple[Path, ...] = ()
    unchanged: tuple[Path, ...] = ()
    entries: int = 0
    problems: tuple[Problem, ...] = field(default=())

    @property
    def failed(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.fatal)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if not p.fatal)
