"""feeds/*.toml → frozen configuration objects (SPEC section 5); all validation happens here.

One TOML file per published feed; its stem names the feed and its output folder.  Every key has
a default; unknown keys, wrong types and impossible values raise `ConfigError` naming the file
and the dotted key (``source[2].interval`` is the second ``[[source]]`` table), showing the bad
value and saying what was expected.  The checking is table-driven (`feedkit.config_schema`).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from feedkit.config_schema import (
    At,
    Key,
    base_url,
    boolean,
    choice,
    cron,
    duration,
    encoding,
    expect_table,
    format_duration,
    http_url,
    integer,
    lang_list,
    lang_tag,
    languages,
    list_of,
    nonempty_text,
    optional_http_url,
    parse_duration,
    read_table,
    regexes,
    show,
    table_of,
    text,
    time_zone,
)
from feedkit.errors import ConfigError, toml_problem
from feedkit.model import ArticleOptions, FeedSettings
from feedkit.urls import DEFAULT_RULES, UrlRules

__all__ = [
    "DEFAULT_INTERVAL",
    "FeedConfig",
    "Filter",
    "FilterSet",
    "SourceConfig",
    "format_duration",
    "load_config_dir",
    "load_feed",
    "parse_duration",
]

FilterField = Literal["title", "content", "url", "author", "tags"]
FILTER_FIELDS: tuple[FilterField, ...] = ("title", "content", "url", "author", "tags")
FEED_FILE_SUFFIXES = frozenset({".xml", ".rss", ".atom", ".rdf", ".json"})
DEFAULT_INTERVAL = timedelta(minutes=15)  # when a feed sets neither `schedule` nor `interval`
_FEED_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")


@dataclass(frozen=True, slots=True, kw_only=True)
class Filter:
    """One rule: a regular expression searched in one field of an entry."""

    field: FilterField
    pattern: re.Pattern[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class FilterSet:
    """A source's include/exclude rules (Miniflux's keep/block rules), applied before dedupe.

    An entry is admitted when some include rule matches it (or there are none) and no exclude
    rule does.  A rule on `author` or `tags` matches when it matches any one of them; patterns
    are searched (`re.search`), case-sensitively unless they say ``(?i)``.
    """

    include: tuple[Filter, ...] = ()
    exclude: tuple[Filter, ...] = ()

    def admits(
        self, title: str, content: str, url: str, authors: Sequence[str], tags: Sequence[str]
    ) -> bool:
        if not self.include and not self.exclude:
            return True
        values: dict[str, Sequence[str]] = {
            "title": (title,),
            "content": (content,),
            "url": (url,),
            "author": authors,
            "tags": tags,
        }

        def hit(rule: Filter) -> bool:
            return any(rule.pattern.search(v) for v in values[rule.field])

        included = not self.include or any(hit(rule) for rule in self.include)
        return included and not any(hit(rule) for rule in self.exclude)


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceConfig:
    """One `[[source]]`: a local article folder or file, or a remote feed (URL or file).

    `priority`: lower wins in dedupe.  Unless set explicitly, article sources come first, then
    feed sources, each in configuration order, numbered 0, 1, 2, …; an explicit `priority` is
    on that same scale (give a feed ``priority = -1`` to rank it above every default).
    """

    name: str
    kind: Literal["articles", "feed"]
    path: Path | None = None  # absolute; an article folder/file or a feed file
    url: str | None = None  # an http(s) feed URL
    lang: str = ""  # "" → from the entries themselves
    interval: timedelta | None = None  # None → due on every pass
    priority: int = 0
    encoding: str = "utf-8"  # article files only
    filters: FilterSet = field(default_factory=FilterSet)
    retain_max_entries: int | None = None
    retain_max_age: timedelta | None = None
    enabled: bool = True

    @property
    def location(self) -> str:
        """The path or URL, for messages."""
        return self.url if self.url is not None else str(self.path)


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedConfig:
    """One feeds/NAME.toml: a published set of feeds under output/NAME/."""

    name: str
    path: Path
    title: str
    base_url: str = ""
    languages: tuple[str, ...] = ()  # () → "auto": every language found
    lang_order: tuple[str, ...] = ("zh", "en")
    max_entries: int = 50
    schedule: str | None = None  # crontab line, weekdays as names (see config_schema.cron)
    interval: timedelta | None = DEFAULT_INTERVAL
    formats: tuple[str, ...] = ("atom",)
    content: Literal["full", "summary"] = "full"
    archive: bool = False
    tag_feeds: bool = False
    author_feeds: bool = False
    check_source_links: bool = False
    link_checks_per_minute: int = 6  # per host: source-link checks (SPEC 1.3)
    hub: str = ""
    author: str = ""
    titles: tuple[tuple[str, str], ...] = ()  # (lang, title)
    time_zone: str = "UTC"
    source_labels: tuple[str, ...] | None = None  # None → ArticleOptions' built-in labels
    url_rules: UrlRules = DEFAULT_RULES
    sources: tuple[SourceConfig, ...]

    def settings(self) -> FeedSettings:
        return FeedSettings(
            title=self.title,
            base_url=self.base_url,
            lang_order=self.lang_order,
            languages=self.languages,
            max_entries=self.max_entries,
            author=self.author,
            titles=self.titles,
            formats=self.formats,
            summary_only=self.content == "summary",
            tag_feeds=self.tag_feeds,
            author_feeds=self.author_feeds,
            archive=self.archive,
            hub=self.hub,
        )

    def article_options(self, source: SourceConfig) -> ArticleOptions:
        options = ArticleOptions(encoding=source.encoding, default_tz=self.time_zone)
        if self.source_labels is not None:
            options = replace(options, source_labels=self.source_labels)
        return options


# ---- schemas --------------------------------------------------------------------------------


def _formats(value: object, at: At) -> tuple[str, ...]:
    chosen = set(list_of(choice("atom", "rss", "json"), '"atom", "rss" or "json"')(value, at))
    return tuple(f for f in ("atom", "rss", "json") if f == "atom" or f in chosen)


def _titles(value: object, at: At) -> tuple[tuple[str, str], ...]:
    table = expect_table(value, at)
    return tuple(
        (lang_tag(k, at.child(k)), nonempty_text(v, at.child(k))) for k, v in table.items()
    )


def _tracking_name(value: object, at: At) -> str:
    name = text(value, at)
    if not re.fullmatch(r"[^\s*=&]+\*?", name):
        raise at.error('a query parameter name, or a prefix ending in "*"', value)
    return name


def _url_rules(tracking: tuple[str, ...], www_equal: bool) -> UrlRules:
    """`tracking` adds to the built-in list of tracking parameters; it never shrinks it."""
    return UrlRules(
        tracking=tuple(dict.fromkeys(DEFAULT_RULES.tracking + tracking)), www_equal=www_equal
    )


_URLS_KEYS = {
    "tracking": Key(list_of(_tracking_name, "query parameter names"), ()),
    "www_equal": Key(boolean, DEFAULT_RULES.www_equal),
}
_FEED_KEYS = {
    "title": Key(nonempty_text),
    "base_url": Key(base_url, ""),
    "languages": Key(languages, ()),
    "lang_order": Key(lang_list),
    "max_entries": Key(integer(1, 10_000), 50),
    "schedule": Key(cron),
    "interval": Key(duration),
    "formats": Key(_formats, ("atom",)),
    "content": Key(choice("full", "summary"), "full"),
    "archive": Key(boolean, False),
    "tag_feeds": Key(boolean, False),
    "author_feeds": Key(boolean, False),
    "check_source_links": Key(boolean, False),
    "link_checks_per_minute": Key(integer(1, 600), 6),
    "hub": Key(optional_http_url, ""),
    "author": Key(text, ""),
    "titles": Key(_titles, ()),
    "time_zone": Key(time_zone, "UTC"),
    "source_labels": Key(list_of(nonempty_text, "non-empty strings")),
    "urls": Key(table_of(_URLS_KEYS, _url_rules), DEFAULT_RULES),
    "source": Key(lambda value, at: value),  # checked by _sources, which needs the folder
}
_FILTER_KEYS: dict[str, Key] = {name: Key(regexes, ()) for name in FILTER_FIELDS}
_RETAIN_KEYS = {"max_entries": Key(integer(1)), "max_age": Key(duration)}
_SOURCE_KEYS = {
    "name": Key(nonempty_text),
    "path": Key(nonempty_text),
    "url": Key(nonempty_text),
    "kind": Key(choice("articles", "feed")),
    "lang": Key(lang_tag, ""),
    "interval": Key(duration),
    "priority": Key(integer()),
    "encoding": Key(encoding),
    "include": Key(table_of(_FILTER_KEYS, dict), {}),
    "exclude": Key(table_of(_FILTER_KEYS, dict), {}),
    "retain": Key(table_of(_RETAIN_KEYS, dict), {}),
    "enabled": Key(boolean, True),
}


# ---- building -------------------------------------------------------------------------------


def _rules(patterns: dict[str, tuple[re.Pattern[str], ...]]) -> tuple[Filter, ...]:
    return tuple(Filter(field=f, pattern=p) for f in FILTER_FIELDS for p in patterns.get(f, ()))


def _place(values: dict[str, Any], folder: Path, at: At) -> dict[str, Any]:
    """`path`/`url`/`kind` → the source's kind, absolute path and URL."""
    raw_path, raw_url, kind = values["path"], values["url"], values["kind"]
    if (raw_path is None) == (raw_url is None):
        got = "both" if raw_path is not None else "neither"
        raise at.fail(f"expected exactly one of 'path' or 'url', got {got}")
    if raw_url is not None:
        parts = urlsplit(raw_url)
        scheme = parts.scheme.lower()
        if scheme in ("http", "https"):
            if kind == "articles":
                raise at.child("kind").error('"feed" for a source with a url', kind)
            return {"kind": "feed", "path": None, "url": http_url(raw_url, at.child("url"))}
        if scheme not in ("", "file") or (
            scheme == "file" and parts.netloc not in ("", "localhost")
        ):
            raise at.child("url").error("an http(s) URL, a file: URL or a file path", raw_url)
        raw_path, kind = (unquote(parts.path) if scheme else raw_url), kind or "feed"
    path = (folder / Path(raw_path).expanduser()).resolve()
    if kind is None:
        kind = "feed" if path.suffix.lower() in FEED_FILE_SUFFIXES else "articles"
    return {"kind": kind, "path": path, "url": None}


def _default_name(values: dict[str, Any]) -> str:
    if values["url"] is not None:
        parts = urlsplit(str(values["url"]))
        host = (parts.hostname or "").removeprefix("www.")
        return (host + parts.path).rstrip("/")
    path: Path = values["path"]
    return str(path.stem if values["kind"] == "feed" else path.name)


def _source(value: object, folder: Path, at: At) -> dict[str, Any]:
    values = read_table(value, _SOURCE_KEYS, at)
    values.update(_place(values, folder, at))
    if values["encoding"] is not None and values["kind"] != "articles":
        raise at.child("encoding").fail("applies to article sources only; feeds declare their own")
    retain, include, exclude = values.pop("retain"), values.pop("include"), values.pop("exclude")
    values["filters"] = FilterSet(include=_rules(include), exclude=_rules(exclude))
    values["retain_max_entries"] = retain.get("max_entries")
    values["retain_max_age"] = retain.get("max_age")
    values["encoding"] = values["encoding"] or "utf-8"
    values["name"] = values["name"] or _default_name(values)
    return values


def _sources(value: object, folder: Path, at: At) -> tuple[SourceConfig, ...]:
    if value is None or value == []:
        raise at.fail("expected at least one [[source]] table, got none")
    if not isinstance(value, list):
        raise at.error("a list of [[source]] tables", value)
    sources = [_source(item, folder, at.item(i)) for i, item in enumerate(value)]
    seen: dict[str, int] = {}
    for i, values in enumerate(sources):
        name: str = values["name"]
        if name in seen:
            also = at.item(seen[name]).key
            raise (
                at.item(i)
                .child("name")
                .fail(f"duplicate source name {show(name)} (also {also}); expected a unique name")
            )
        seen[name] = i
    # Default priorities: article sources first, then feeds, each in configuration order.
    ranked = sorted(range(len(sources)), key=lambda i: (sources[i]["kind"] != "articles", i))
    for rank, i in enumerate(ranked):
        if sources[i]["priority"] is None:
            sources[i]["priority"] = rank
    return tuple(SourceConfig(**values) for values in sources)


def _feed(table: dict[str, Any], path: Path, at: At) -> FeedConfig:
    name = path.stem
    if not _FEED_NAME.fullmatch(name):
        raise at.fail(
            f"expected a file name of letters, digits, '.', '_' and '-' (it names the output"
            f" folder), got {show(name)}"
        )
    values = read_table(table, _FEED_KEYS, at)
    if values["schedule"] is not None and values["interval"] is not None:
        raise at.child("schedule").fail("expected either 'schedule' or 'interval', not both")
    if values["schedule"] is None and values["interval"] is None:
        values["interval"] = DEFAULT_INTERVAL
    if values["archive"] and not values["base_url"]:
        # RFC 5005 pages link to each other; feed validators and many readers need those
        # links absolute, which only a base URL gives.
        raise at.child("archive").fail(
            "archive needs base_url: archive links must be absolute for readers"
        )
    if values["lang_order"] is None:
        values["lang_order"] = values["languages"] or ("zh", "en")
    values["title"] = values["title"] or name
    values["url_rules"] = values.pop("urls")
    values["sources"] = _sources(values.pop("source"), path.parent, at.child("source"))
    return FeedConfig(name=name, path=path, **values)


# ---- loading --------------------------------------------------------------------------------


def load_feed(path: Path) -> FeedConfig:
    """Read and check one feed configuration file."""
    at = At(str(path))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise at.fail(f"cannot read: {exc.strerror or exc}") from None
    try:
        table = tomllib.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise at.fail(f"not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        message, line, column = toml_problem(exc)
        if line is not None:
            at = At(f"{path}:{line}:{column}")
        raise at.fail(f"invalid TOML: {message}") from None
    return _feed(table, path.absolute(), At(str(path)))


def load_config_dir(folder: Path) -> tuple[FeedConfig, ...]:
    """Every feed configured in `folder`: each *.toml directly in it, by name (not hidden ones)."""
    if not folder.is_dir():
        raise ConfigError(f"{folder}: no such folder (expected one NAME.toml per published feed)")
    files = sorted(p for p in folder.glob("*.toml") if p.is_file() and not p.name.startswith("."))
    if not files:
        raise ConfigError(f"{folder}: no *.toml files (expected one NAME.toml per published feed)")
    return tuple(load_feed(p) for p in files)
