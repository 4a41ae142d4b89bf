"""feeds/*.toml → FeedConfig: a full example, defaults, and one case per kind of mistake."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from hypothesis import given
from hypothesis import strategies as st

from feedkit.config import (
    DEFAULT_INTERVAL,
    FeedConfig,
    Filter,
    FilterSet,
    SourceConfig,
    format_duration,
    load_config_dir,
    load_feed,
    parse_duration,
)
from feedkit.config_schema import normalize_cron
from feedkit.errors import ConfigError
from feedkit.model import ArticleOptions, FeedSettings
from feedkit.urls import DEFAULT_RULES, UrlRules

FULL = """\
title = "FT 双语精选"
base_url = "https://example.org/feeds/ft"
languages = ["zh", "en"]
lang_order = ["en", "zh"]
max_entries = 40
schedule = "*/15 * * * *"
formats = ["json", "rss"]
content = "summary"
archive = true
tag_feeds = true
author_feeds = true
check_source_links = true
hub = "https://hub.example.org/"
author = "FT editors"
time_zone = "Asia/Shanghai"
source_labels = ["原文链接", "Source"]

[titles]
zh = "FT 中文"
en = "FT English"

[urls]
tracking = ["ref", "src_*"]
www_equal = false

[[source]]
url = "https://www.ft.com/companies?format=rss"
lang = "EN"
interval = "30m"
exclude = { title = "(?i)sponsored", tags = ["^ad$", "promo"] }
include = { content = "market" }
retain = { max_entries = 500, max_age = "90d" }

[[source]]
name = "translations"
path = "articles"
encoding = "GB18030"
lang = "zh_hant_tw-variant1"

[[source]]
path = "../shared/news.rss"
enabled = false
priority = -1
"""


def write(folder: Path, text: str, name: str = "ft.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_full_example(tmp_path: Path) -> None:
    path = write(tmp_path / "feeds", FULL)
    feed = load_feed(path)
    feeds = tmp_path / "feeds"
    assert feed == FeedConfig(
        name="ft",
        path=path,
        title="FT 双语精选",
        base_url="https://example.org/feeds/ft/",
        languages=("zh", "en"),
        lang_order=("en", "zh"),
        max_entries=40,
        schedule="*/15 * * * *",
        interval=None,
        formats=("atom", "rss", "json"),
        content="summary",
        archive=True,
        tag_feeds=True,
        author_feeds=True,
        check_source_links=True,
        hub="https://hub.example.org/",
        author="FT editors",
        titles=(("zh", "FT 中文"), ("en", "FT English")),
        time_zone="Asia/Shanghai",
        source_labels=("原文链接", "Source"),
        url_rules=UrlRules(tracking=(*DEFAULT_RULES.tracking, "ref", "src_*"), www_equal=False),
        sources=(
            SourceConfig(
                name="ft.com/companies",
                kind="feed",
                url="https://www.ft.com/companies?format=rss",
                lang="en",
                interval=timedelta(minutes=30),
                priority=1,  # after the article folder, although listed first
                filters=FilterSet(
                    include=(Filter(field="content", pattern=re.compile("market")),),
                    exclude=(
                        Filter(field="title", pattern=re.compile("(?i)sponsored")),
                        Filter(field="tags", pattern=re.compile("^ad$")),
                        Filter(field="tags", pattern=re.compile("promo")),
                    ),
                ),
                retain_max_entries=500,
                retain_max_age=timedelta(days=90),
            ),
            SourceConfig(
                name="translations",
                kind="articles",
                path=feeds / "articles",
                lang="zh-Hant-TW-variant1",
                priority=0,
                encoding="gb18030",
            ),
            SourceConfig(
                name="news",
                kind="feed",
                path=tmp_path / "shared" / "news.rss",
                priority=-1,
                enabled=False,
            ),
        ),
    )


def test_settings_and_article_options(tmp_path: Path) -> None:
    feed = load_feed(write(tmp_path, FULL))
    assert feed.settings() == FeedSettings(
        title="FT 双语精选",
        base_url="https://example.org/feeds/ft/",
        lang_order=("en", "zh"),
        languages=("zh", "en"),
        max_entries=40,
        author="FT editors",
        titles=(("zh", "FT 中文"), ("en", "FT English")),
        formats=feed.formats,
        summary_only=feed.content == "summary",
        tag_feeds=feed.tag_feeds,
        author_feeds=feed.author_feeds,
        archive=feed.archive,
        hub=feed.hub,
    )
    assert feed.settings().title_for("en") == "FT English"
    assert feed.article_options(feed.sources[1]) == ArticleOptions(
        encoding="gb18030", default_tz="Asia/Shanghai", source_labels=("原文链接", "Source")
    )


def test_defaults(tmp_path: Path) -> None:
    feed = load_feed(write(tmp_path, '[[source]]\npath = "articles"\n', name="news.toml"))
    assert feed == FeedConfig(
        name="news",
        path=tmp_path / "news.toml",
        title="news",
        sources=(SourceConfig(name="articles", kind="articles", path=tmp_path / "articles"),),
    )
    assert feed.interval == DEFAULT_INTERVAL
    assert feed.schedule is None
    assert feed.url_rules == DEFAULT_RULES
    assert feed.lang_order == ("zh", "en")
    assert feed.article_options(feed.sources[0]) == ArticleOptions()


def test_lang_order_follows_languages(tmp_path: Path) -> None:
    feed = load_feed(write(tmp_path, 'languages = ["en", "ja"]\n[[source]]\npath = "a"\n'))
    assert feed.lang_order == ("en", "ja")
    auto = load_feed(write(tmp_path, 'languages = "auto"\n[[source]]\npath = "a"\n'))
    assert (auto.languages, auto.lang_order) == ((), ("zh", "en"))


def test_relative_paths_resolve_against_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "feeds", '[[source]]\npath = "../articles/zh"\n[[source]]\nurl = "x.atom"\n')
    feed = load_feed(Path("feeds/ft.toml"))
    assert feed.path == tmp_path / "feeds" / "ft.toml"
    assert feed.sources[0].path == tmp_path / "articles" / "zh"
    assert feed.sources[1].path == tmp_path / "feeds" / "x.atom"
    assert all(s.path is not None and s.path.is_absolute() for s in feed.sources)


@pytest.mark.parametrize(
    ("source", "kind", "where"),
    [
        ('path = "articles"', "articles", "articles"),
        ('path = "one.md"', "articles", "one.md"),
        ('path = "Feed.XML"', "feed", "Feed.XML"),
        ('path = "feed.json"', "feed", "feed.json"),
        ('path = "dump"\nkind = "feed"', "feed", "dump"),
        ('path = "odd.xml"\nkind = "articles"', "articles", "odd.xml"),
        ('url = "feeds.rdf"', "feed", "feeds.rdf"),
        ('url = "file:///srv/news.xml"', "feed", "/srv/news.xml"),
        ('url = "http://example.org/rss"\nkind = "feed"', "feed", ""),
    ],
    ids=[
        "folder",
        "article-file",
        "xml-suffix-any-case",
        "json-feed",
        "explicit-feed",
        "explicit-articles-wins",
        "url-plain-path",
        "file-url",
        "http-url",
    ],
)
def test_source_kind(tmp_path: Path, source: str, kind: str, where: str) -> None:
    feed = load_feed(write(tmp_path, f"[[source]]\n{source}\n"))
    (src,) = feed.sources
    assert src.kind == kind
    if where:
        assert src.url is None
        assert src.path == (tmp_path / where).resolve()
    else:
        assert src.path is None
        assert src.url == "http://example.org/rss"
        assert src.location == src.url


def test_default_priorities_put_articles_first(tmp_path: Path) -> None:
    text = """
[[source]]
url = "https://a.example/feed"
[[source]]
path = "one"
[[source]]
url = "https://b.example/feed"
priority = 0
[[source]]
path = "two"
"""
    feed = load_feed(write(tmp_path, text))
    assert [(s.name, s.priority) for s in feed.sources] == [
        ("a.example/feed", 2),
        ("one", 0),
        ("b.example/feed", 0),  # explicit: same scale as the defaults
        ("two", 1),
    ]


def test_load_config_dir(tmp_path: Path) -> None:
    folder = tmp_path / "feeds"
    write(folder, '[[source]]\npath = "a"\n', name="zeta.toml")
    write(folder, '[[source]]\npath = "a"\n', name="alpha.toml")
    write(folder, "not toml at all", name=".#alpha.toml")  # editor lock file
    write(folder, "not toml either", name="notes.txt")
    (folder / "sub.toml").mkdir()
    assert [f.name for f in load_config_dir(folder)] == ["alpha", "zeta"]


def test_load_config_dir_missing_or_empty(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such folder"):
        load_config_dir(tmp_path / "feeds")
    (tmp_path / "feeds").mkdir()
    with pytest.raises(ConfigError, match=r"no \*\.toml files"):
        load_config_dir(tmp_path / "feeds")


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_feed(tmp_path / "absent.toml")
    bad = tmp_path / "latin.toml"
    bad.write_bytes(b'title = "caf\xe9"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_feed(bad)


SRC = '\n[[source]]\npath = "articles"\n'

BAD = [
    ("unknown-key", 'titel = "x"' + SRC, "unknown key 'titel' (did you mean 'title'?)"),
    ("unknown-key-no-hint", "zzz = 1" + SRC, "unknown key 'zzz'"),
    (
        "unknown-source-key",
        '[[source]]\npath = "a"\nintervall = "1h"',
        "unknown key 'source[1].intervall' (did you mean 'interval'?)",
    ),
    (
        "unknown-retain-key",
        '[[source]]\npath = "a"\nretain = { max = 3 }',
        "'source[1].retain.max'",
    ),
    (
        "unknown-filter-field",
        '[[source]]\npath = "a"\ninclude = { body = "x" }',
        "'source[1].include.body'",
    ),
    ("title-wrong-type", "title = 42" + SRC, "title: expected a non-empty string, got 42"),
    ("title-empty", 'title = " "' + SRC, 'title: expected a non-empty string, got " "'),
    ("archive-not-bool", 'archive = "yes"' + SRC, 'archive: expected true or false, got "yes"'),
    (
        "archive-without-base-url",
        "archive = true" + SRC,
        "archive: archive needs base_url: archive links must be absolute for readers",
    ),
    (
        "max-entries-bool",
        "max_entries = true" + SRC,
        "expected an integer from 1 to 10000, got true",
    ),
    (
        "max-entries-zero",
        "max_entries = 0" + SRC,
        "max_entries: expected an integer from 1 to 10000, got 0",
    ),
    ("max-entries-huge", "max_entries = 10001" + SRC, "got 10001"),
    (
        "bad-duration",
        '[[source]]\npath = "a"\n[[source]]\nurl = "https://x.example/f"\ninterval = "soon"',
        'source[2].interval: expected a duration like "90s", "15m", "2h" or "1d", got "soon"',
    ),
    ("zero-duration", 'interval = "0s"' + SRC, 'interval: expected a duration like "90s"'),
    ("negative-duration", "interval = -5" + SRC, "got -5"),
    ("float-duration", "interval = 1.5" + SRC, "got 1.5"),
    (
        "schedule-and-interval",
        'schedule = "0 * * * *"\ninterval = "1h"' + SRC,
        "schedule: expected either 'schedule' or 'interval', not both",
    ),
    (
        "bad-cron",
        'schedule = "61 * * * *"' + SRC,
        'schedule: expected a cron expression like "*/15 * * * *" (minute hour day month weekday),'
        ' got "61 * * * *" (Error validating expression',
    ),
    ("cron-field-count", 'schedule = "@daily"' + SRC, "(1 fields instead of 5)"),
    ("cron-bad-weekday", 'schedule = "0 9 * * 8"' + SRC, "bad weekday '8'"),
    ("cron-backwards", 'schedule = "0 9 * * fri-mon"' + SRC, "runs backwards"),
    (
        "cron-both-days",
        'schedule = "0 9 1 * mon"' + SRC,
        "day of month and weekday both restricted",
    ),
    (
        "bad-regex",
        '[[source]]\npath = "a"\nexclude = { title = "(sponsored" }',
        'source[1].exclude.title: expected a regular expression, got "(sponsored"'
        " (missing ), unterminated subpattern at position 0)",
    ),
    (
        "bad-regex-in-list",
        '[[source]]\npath = "a"\ninclude = { tags = ["ok", "[z-a]"] }',
        'source[1].include.tags[2]: expected a regular expression, got "[z-a]"',
    ),
    (
        "regex-wrong-type",
        '[[source]]\npath = "a"\ninclude = { url = 3 }',
        "a regular expression or a list",
    ),
    (
        "ftp-url",
        '[[source]]\nurl = "ftp://example.org/feed.xml"',
        'source[1].url: expected an http(s) URL, a file: URL or a file path, got "ftp://example.org/feed.xml"',
    ),
    (
        "javascript-url",
        '[[source]]\nurl = "javascript:alert(1)"',
        "source[1].url: expected an http(s) URL",
    ),
    (
        "url-without-host",
        '[[source]]\nurl = "https:///feed"',
        "source[1].url: expected an absolute http(s) URL",
    ),
    (
        "base-url-scheme",
        'base_url = "ftp://example.org/"' + SRC,
        "base_url: expected an absolute http(s) URL",
    ),
    ("base-url-relative", 'base_url = "/feeds/"' + SRC, 'got "/feeds/"'),
    ("base-url-query", 'base_url = "https://e.org/?a=1"' + SRC, "without query or fragment"),
    ("hub-scheme", 'hub = "mailto:x@example.org"' + SRC, "hub: expected an absolute http(s) URL"),
    (
        "duplicate-names",
        '[[source]]\npath = "a"\n[[source]]\npath = "b"\n[[source]]\nname = "a"\npath = "c"',
        'source[3].name: duplicate source name "a" (also source[1])',
    ),
    (
        "duplicate-default-names",
        '[[source]]\npath = "x/a"\n[[source]]\npath = "y/a"',
        "duplicate source name",
    ),
    (
        "missing-path-and-url",
        '[[source]]\nlang = "en"',
        "source[1]: expected exactly one of 'path' or 'url', got neither",
    ),
    (
        "both-path-and-url",
        '[[source]]\npath = "a"\nurl = "https://e.org/f"',
        "source[1]: expected exactly one of 'path' or 'url', got both",
    ),
    ("no-sources", 'title = "x"', "source: expected at least one [[source]] table, got none"),
    ("empty-sources", "source = []", "got none"),
    (
        "source-not-a-list",
        'source = { path = "a" }',
        'source: expected a list of [[source]] tables, got { path = "a" }',
    ),
    ("source-not-a-table", 'source = ["a"]', 'source[1]: expected a table, got "a"'),
    (
        "articles-kind-with-url",
        '[[source]]\nurl = "https://e.org/f"\nkind = "articles"',
        'source[1].kind: expected "feed"',
    ),
    (
        "bad-kind",
        '[[source]]\npath = "a"\nkind = "folder"',
        'source[1].kind: expected "articles" or "feed", got "folder"',
    ),
    (
        "bad-lang",
        '[[source]]\npath = "a"\nlang = "english"',
        'source[1].lang: expected a language tag like "zh"',
    ),
    (
        "bad-languages-item",
        'languages = ["zh", "e n"]' + SRC,
        'languages[2]: expected a language tag like "zh", "en" or "zh-Hant", got "e n"',
    ),
    (
        "languages-empty",
        "languages = []" + SRC,
        "languages: expected a non-empty list of language tags, got []",
    ),
    (
        "languages-word",
        'languages = "all"' + SRC,
        'languages: expected "auto" or a list of language tags, got "all"',
    ),
    ("bad-title-lang", '[titles]\nenglish = "x"' + SRC, "titles.english: expected a language tag"),
    (
        "unknown-format",
        'formats = ["atom", "html"]' + SRC,
        'formats[2]: expected "atom", "rss" or "json", got "html"',
    ),
    (
        "formats-string",
        'formats = "rss"' + SRC,
        'formats: expected a list of "atom", "rss" or "json", got "rss"',
    ),
    (
        "bad-content",
        'content = "partial"' + SRC,
        'content: expected "full" or "summary", got "partial"',
    ),
    (
        "bad-encoding",
        '[[source]]\npath = "a"\nencoding = "klingon"',
        'source[1].encoding: expected a text encoding like "utf-8" or "gb18030", got "klingon"',
    ),
    ("binary-codec", '[[source]]\npath = "a"\nencoding = "base64"', 'got "base64"'),
    (
        "encoding-on-feed",
        '[[source]]\nurl = "https://e.org/f"\nencoding = "latin-1"',
        "source[1].encoding: applies to article sources only",
    ),
    (
        "bad-time-zone",
        'time_zone = "Mars/Olympus"' + SRC,
        'time_zone: expected an IANA time zone like "UTC" or "Asia/Shanghai", got "Mars/Olympus"',
    ),
    (
        "time-zone-path",
        'time_zone = "../etc/passwd"' + SRC,
        "time_zone: expected an IANA time zone",
    ),
    (
        "retain-zero",
        '[[source]]\npath = "a"\nretain = { max_entries = 0 }',
        "source[1].retain.max_entries: expected an integer of at least 1, got 0",
    ),
    (
        "priority-string",
        '[[source]]\npath = "a"\npriority = "high"',
        'source[1].priority: expected an integer, got "high"',
    ),
    (
        "tracking-bad",
        '[urls]\ntracking = ["a b"]' + SRC,
        "urls.tracking[1]: expected a query parameter name",
    ),
    ("urls-not-table", "urls = 3" + SRC, "urls: expected a table, got 3"),
    (
        "source-labels-empty-item",
        'source_labels = [""]' + SRC,
        "source_labels[1]: expected a non-empty string",
    ),
    ("author-wrong-type", "author = 1" + SRC, "author: expected a string, got 1"),
    ("date-shown-as-toml", "title = 2024-06-11" + SRC, "got 2024-06-11"),
    ("cron-bad-step", 'schedule = "0 9 * * */0"' + SRC, "bad step in weekday '*/0'"),
    ("toml-unterminated", 'title = "x' + SRC, ":1:11: invalid TOML: Illegal character '\\n'"),
    ("toml-end-of-document", "title =", ": invalid TOML: Invalid value (at end of document)"),
    ("toml-syntax", 'title = "x"\nmax_entries = = 3' + SRC, ":2:15: invalid TOML: Invalid value"),
    (
        "toml-duplicate-key",
        'title = "x"\ntitle = "y"' + SRC,
        "invalid TOML: Cannot overwrite a value",
    ),
]


@pytest.mark.parametrize(
    ("text", "fragment"), [case[1:] for case in BAD], ids=[case[0] for case in BAD]
)
def test_bad_config(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_feed(path)
    message = str(info.value)
    assert message.startswith(f"{path}:")
    assert fragment in message


def test_unsafe_feed_name(tmp_path: Path) -> None:
    path = write(tmp_path, SRC, name="my feed.toml")
    with pytest.raises(ConfigError, match=r"expected a file name of letters.*got \"my feed\""):
        load_feed(path)


def test_error_in_a_folder_names_the_file(tmp_path: Path) -> None:
    write(tmp_path, SRC, name="good.toml")
    write(tmp_path, "max_entries = 0" + SRC, name="bad.toml")
    with pytest.raises(ConfigError, match=r"bad\.toml: max_entries:"):
        load_config_dir(tmp_path)


# ---- filters --------------------------------------------------------------------------------


def rules(**fields: str) -> tuple[Filter, ...]:
    return tuple(Filter(field=f, pattern=re.compile(p)) for f, p in fields.items())  # type: ignore[arg-type]


ENTRY = {
    "title": "Markets rally",
    "content": "<p>Stocks rose.</p>",
    "url": "https://ft.com/content/1",
    "authors": ("Jane Doe", "Li Wei"),
    "tags": ("markets", "asia"),
}


@pytest.mark.parametrize(
    ("filters", "admitted"),
    [
        (FilterSet(), True),
        (FilterSet(include=rules(title="rally")), True),
        (FilterSet(include=rules(title="^rally")), False),
        (FilterSet(include=rules(title="(?i)^markets")), True),
        (FilterSet(include=rules(title="nothing", tags="^asia$")), True),
        (FilterSet(include=rules(author="Wei$")), True),
        (FilterSet(exclude=rules(tags="^market$")), True),
        (FilterSet(exclude=rules(tags="^markets$")), False),
        (FilterSet(exclude=rules(url=r"ft\.com/content")), False),
        (FilterSet(exclude=rules(content="<p>")), False),
        (FilterSet(include=rules(title="rally"), exclude=rules(author="Jane")), False),
        (FilterSet(include=rules(title="nothing"), exclude=rules(author="nobody")), False),
    ],
    ids=[
        "no-rules",
        "include-matches",
        "include-is-search-anchored",
        "include-case-insensitive-flag",
        "any-include-suffices",
        "author-any-of-several",
        "exclude-misses",
        "exclude-tag",
        "exclude-url",
        "exclude-content",
        "exclude-beats-include",
        "no-include-matches",
    ],
)
def test_filters(filters: FilterSet, admitted: bool) -> None:
    assert filters.admits(**ENTRY) is admitted  # type: ignore[arg-type]


def test_filters_from_toml(tmp_path: Path) -> None:
    text = '[[source]]\npath = "a"\nexclude = { title = ["(?i)sponsored", "^Ad:"], author = "bot" }'
    (source,) = load_feed(write(tmp_path, text)).sources
    admits = source.filters.admits
    assert admits("News", "", "", ("Jane",), ())
    assert not admits("SPONSORED: buy", "", "", ("Jane",), ())
    assert not admits("Ad: buy", "", "", (), ())
    assert not admits("News", "", "", ("Jane", "robot"), ())


# ---- durations and schedules ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1d 2h", timedelta(days=1, hours=2)),
        (" 45 ", timedelta(seconds=45)),
        (600, timedelta(minutes=10)),
    ],
)
def test_parse_duration(text: str | int, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "soon", "0s", "0", "30m2h", "1.5h", "1 h", "5x", "-3m", "h"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize("value", [0, -1, True])
def test_parse_duration_rejects_numbers(value: int) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)


@pytest.mark.parametrize(
    "value", [timedelta(0), timedelta(seconds=-1), timedelta(milliseconds=1500)]
)
def test_format_duration_rejects(value: timedelta) -> None:
    with pytest.raises(ValueError):
        format_duration(value)


def test_parse_duration_overflow() -> None:
    with pytest.raises(ValueError, match="too long"):
        parse_duration("99999999999d")


amounts = st.tuples(*[st.integers(min_value=0, max_value=100_000)] * 4).filter(any)


@given(amounts=amounts, sep=st.sampled_from(["", " ", "  "]))
def test_duration_round_trip(amounts: tuple[int, int, int, int], sep: str) -> None:
    days, hours, minutes, seconds = amounts
    expected = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    text = sep.join(f"{n}{unit}" for n, unit in zip(amounts, "dhms", strict=True) if n)
    assert parse_duration(text) == expected
    assert parse_duration(format_duration(expected)) == expected
    assert format_duration(parse_duration(format_duration(expected))) == format_duration(expected)


@pytest.mark.parametrize(
    ("expr", "normalized"),
    [
        ("*/15 * * * *", "*/15 * * * *"),
        ("0 9 * * 1", "0 9 * * mon"),
        ("0 9 * * 0", "0 9 * * sun"),
        ("0 9 * * 7", "0 9 * * sun"),
        ("0 9 * * 1-5", "0 9 * * mon,tue,wed,thu,fri"),
        ("0 9 * * 5-7", "0 9 * * fri,sat,sun"),
        ("0 9 * * sat,SUN", "0 9 * * sat,sun"),
        ("0 9 * * mon-sun", "0 9 * * *"),
        ("0 9 * * */2", "0 9 * * tue,thu,sat,sun"),
        ("0 9 * * 1/2", "0 9 * * mon,wed,fri"),
        ("0  9 1 * *", "0 9 1 * *"),
    ],
)
def test_cron_weekdays_mean_what_cron_means(expr: str, normalized: str) -> None:
    assert normalize_cron(expr) == normalized


def test_cron_schedule_fires_on_the_cron_weekday(tmp_path: Path) -> None:
    """APScheduler 3 reads a bare "1" as Tuesday; the loaded schedule must fire on Monday."""
    from datetime import UTC, datetime

    feed = load_feed(write(tmp_path, 'schedule = "0 9 * * 1"' + SRC))
    trigger = CronTrigger.from_crontab(feed.schedule, timezone="UTC")
    sunday = datetime(2024, 6, 2, tzinfo=UTC)
    assert trigger.get_next_fire_time(None, sunday) == datetime(2024, 6, 3, 9, tzinfo=UTC)
