"""Article file -> language entries (front matter, sections, source link).

Pure, but for `read_article`.

Markdown is *not* rendered here: an entry carries its section's Markdown, and only entries that
are published get rendered (render.py).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from feedkit import fields
from feedkit.dates import parse_date
from feedkit.discover import FoundFile
from feedkit.errors import ArticleError
from feedkit.ids import urn_uuid5
from feedkit.lang import detect_lang
from feedkit.matter import Matter, MatterError, decode, is_utf8, split_matter
from feedkit.model import ArticleOptions, Entry, Scanned, version_id
from feedkit.quickscan import quick_scan
from feedkit.sections import (
    Section,
    section_langs,
    split_sections,
    strip_headline,
    summarize,
)
from feedkit.urls import DEFAULT_RULES, UrlRules

_TITLE_WIDTH = 160
UNDATED_WARNING = "no 'date' in the front matter; using the file's modification time"
_NAME_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})-")  # Jekyll's posts: 2024-06-11-title.md


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleFile:
    """The bytes of one article file and where they came from."""

    path: Path  # as shown in messages
    rel: str  # path inside its source folder (POSIX)
    data: bytes
    mtime: datetime  # aware UTC
    source: str = ""
    priority: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedArticle:
    """What one file yields: an entry per language section, and warnings (file still used)."""

    entries: tuple[Entry, ...] = ()
    scanned: tuple[Scanned, ...] = ()  # instead of entries, from `scan_article`
    warnings: tuple[str, ...] = ()
    draft: bool = False
    undated: bool = False  # no date in the file: dated by its modification time


def read_article(
    found: FoundFile, *, source: str = "", priority: int = 0, max_size: int | None = None
) -> ArticleFile:
    """Read a file's bytes (the only I/O here); a file over `max_size` is refused unread."""
    limit = ArticleOptions().max_file_size if max_size is None else max_size
    if found.size > limit:
        raise ArticleError(found.path, f"file is {found.size} bytes, over the {limit} limit")
    try:
        fd = os.open(found.path, os.O_RDONLY | os.O_CLOEXEC)  # no buffered file object: 10 µs
        try:
            # read(n) allocates n bytes up front: ask for the listed size (SPEC 8), and only
            # if the file grew since it was listed, for the rest up to the limit
            wanted = min(found.size, limit) + 1
            data = _read_up_to(fd, wanted)
            if len(data) == wanted and wanted <= limit:
                data += _read_up_to(fd, limit + 1 - wanted)
        finally:
            os.close(fd)
    except OSError as exc:
        reason = exc.strerror.lower() if exc.strerror else type(exc).__name__
        raise ArticleError(found.path, f"cannot read: {reason}") from exc
    mtime = datetime.fromtimestamp(found.mtime_ns / 1e9, UTC)
    return ArticleFile(
        path=found.path, rel=found.rel, data=data, mtime=mtime, source=source, priority=priority
    )


def _read_up_to(fd: int, size: int) -> bytes:
    """Up to `size` bytes, fewer only at the end of the file."""
    data = os.read(fd, size)
    if 0 < len(data) < size:  # a short read before the end (rare for a file): keep reading
        parts = [data]
        while size > len(data) and (more := os.read(fd, size - len(data))):
            parts.append(more)
            data = b"".join(parts)
    return data


def parse_article(
    article: ArticleFile,
    options: ArticleOptions = ArticleOptions(),
    rules: UrlRules = DEFAULT_RULES,
    tz: tzinfo = UTC,
    *,
    full: bool = True,
) -> ParsedArticle:
    """One article file's bytes into language entries; ArticleError when it cannot be used.

    With `full=False`, the entries are `scan_article`'s, as Entry values (title "", no text).
    """
    if full:
        return _reader(article, options, rules, tz).read()
    scan = scan_article(article, options, rules, tz)
    return replace(scan, entries=tuple(s.entry() for s in scan.scanned), scanned=())


def scan_article(
    article: ArticleFile,
    options: ArticleOptions = ArticleOptions(),
    rules: UrlRules = DEFAULT_RULES,
    tz: tzinfo = UTC,
    *,
    quick: bool = True,
) -> ParsedArticle:
    """`parse_article`, but for `scanned` entries: what deduplication and planning need — ids,
    keys, languages, dates, links — without titles, summaries or bodies.  `convert` scans every
    file and reads in full only the files whose entries it publishes.  The same errors and
    warnings as `parse_article`.  `quick=False`: the caller has tried `quick_scan` already."""
    if quick and is_utf8(options.encoding):
        found = quick_scan(
            article.data,
            str(article.path),
            rel=article.rel,
            source=article.source,
            priority=article.priority,
            options=options,
            rules=rules,
            tz=tz,
        )
        if found is not None:
            return ParsedArticle(scanned=found[0], warnings=tuple(found[1]))
    return _reader(article, options, rules, tz).scan()


def _reader(article: ArticleFile, options: ArticleOptions, rules: UrlRules, tz: tzinfo) -> _Reader:
    if len(article.data) > options.max_file_size:
        raise ArticleError(
            article.path,
            f"file is {len(article.data)} bytes, over the {options.max_file_size} limit",
        )
    try:
        text = decode(article.data, options.encoding)
        matter = split_matter(text)
    except MatterError as exc:
        raise ArticleError(article.path, str(exc), line=exc.line) from exc
    return _Reader(article, matter, text, options, rules, tz)


class _Reader:
    """Turns one decoded article into entries, collecting warnings on the way."""

    def __init__(
        self,
        article: ArticleFile,
        matter: Matter,
        text: str,
        options: ArticleOptions,
        rules: UrlRules,
        tz: tzinfo,
    ) -> None:
        self.article, self.fields, self.body = article, matter.fields, matter.body
        self.head = text[: len(text) - len(matter.body)]  # the front matter, for line numbers
        self.options, self.rules, self.tz = options, rules, tz
        self.warnings: list[str] = []
        self.undated = False
        self.group = ""  # the article's id, when it does not derive from its key

    def fail(self, message: str, line: int | None = 2) -> ArticleError:
        return ArticleError(self.article.path, message, line=line)

    def read(self) -> ParsedArticle:
        if fields.truthy(self.fields.get("draft")):
            return ParsedArticle(draft=True)
        common = self._common()
        title = self._text("title")
        description = self._text("description") or self._text("summary")
        sections = split_sections(
            self.body, self.options.source_labels, langs=fields.langs(self.fields, self.warnings)
        )
        single = len(sections) == 1  # then the front matter speaks for it, whatever its language
        entries = [
            self._entry(section, title, description, single=single, common=common)
            for section in sections
        ]
        if not entries:
            raise self.fail("no text in the body (only links or separators)", None)
        return ParsedArticle(
            entries=tuple(entries), warnings=tuple(self.warnings), undated=self.undated
        )

    def scan(self) -> ParsedArticle:
        if fields.truthy(self.fields.get("draft")):
            return ParsedArticle(draft=True)
        c = self._common()
        self._text("title")  # (checked, as `read` does)
        self._text("description") or self._text("summary")
        langs = section_langs(
            self.body, self.options.source_labels, langs=fields.langs(self.fields, self.warnings)
        )
        if not langs:
            raise self.fail("no text in the body (only links or separators)", None)
        scanned = tuple(
            Scanned(
                c["key"],
                lang,
                c["published"],
                c["updated"],
                self.group,  # "" when the id derives from the key (see Scanned)
                c["link"],
                c["authors"],
                c["tags"],
                c["image"],
                c["source"],
                c["priority"],
                c["origin"],
            )
            for lang in langs
        )
        return ParsedArticle(scanned=scanned, warnings=tuple(self.warnings), undated=self.undated)

    def _common(self) -> dict[str, Any]:
        """What every language version of the article shares."""
        if not self.body or self.body.isspace():
            raise self.fail("no body after the front matter" if self.fields else "empty file", None)
        published, updated = self._dates()
        link = fields.link(self.fields, self.body, self.options.source_labels, self.warnings)
        key, self.group = fields.identity(
            self.fields,
            link,
            self.rules,
            self.warnings,
            source=self.article.source,
            rel=self.article.rel,
        )
        return {
            "key": key,
            "link": link,
            "published": published,
            "updated": updated,
            "authors": fields.names(
                self.fields, ("author", "authors"), self.warnings, split_commas=False
            ),
            "tags": fields.names(
                self.fields, ("tags", "categories"), self.warnings, split_commas=True
            ),
            "image": fields.image(self.fields, link, self.warnings),
            "source": self.article.source,
            "priority": self.article.priority,
            "group_id": self.group or urn_uuid5(key),
            "origin": str(self.article.path),
        }

    def _entry(
        self,
        section: Section,
        title: str,
        description: str,
        *,
        single: bool,
        common: dict[str, Any],
    ) -> Entry:
        lang = section.lang
        entry_id = version_id(common["group_id"], lang)
        own_title = title if title and (single or _lang_of(title) == lang) else None
        headed = strip_headline(section.text, own_title)
        entry_title = own_title or headed.headline or title
        if not entry_title:
            entry_title = summarize(headed.first_paragraph)[:_TITLE_WIDTH] or self.article.rel
        if description and (single or _lang_of(description) == lang):
            summary = description
        else:
            summary = summarize(headed.first_paragraph)
        return Entry(
            id=entry_id,
            lang=lang,
            title=entry_title,
            summary=summary,
            body=headed.text,
            **common,
        )

    def _dates(self) -> tuple[datetime, datetime]:
        published = self._date("date")
        if published is None:
            published = self._name_date()
        if published is None:
            self.undated = True
            published = self.article.mtime.replace(microsecond=0)
            self.warnings.append(UNDATED_WARNING)
        updated = self._date("updated") or published
        if updated < published:
            self.warnings.append("'updated' is before 'date'; using 'date' for both")
            updated = published
        return published, updated

    def _name_date(self) -> datetime | None:
        """The date a file name starts with (Jekyll's `2024-06-11-title.md`), midnight in the
        configured zone; None when it starts with none."""
        named = _NAME_DATE.match(self.article.rel.rpartition("/")[2])
        if named is None:
            return None
        try:
            return parse_date(named.group(1), tz=self.tz)
        except ValueError:  # (2024-02-30-x.md: no date; the modification time, as for others)
            return None

    def _date(self, name: str) -> datetime | None:
        value = self.fields.get(name)
        if value is None or value == "":
            return None
        try:
            return parse_date(value, tz=self.tz)
        except ValueError as exc:
            raise self.fail(f"'{name}' {exc}", self._line_of(name)) from exc

    def _text(self, name: str) -> str:
        value = self.fields.get(name)
        if value is None:
            return ""
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return " ".join(str(value).split())
        if isinstance(value, datetime):
            return value.isoformat()
        raise self.fail(f"'{name}' must be text, got {fields.kind(value)}", self._line_of(name))

    def _line_of(self, name: str) -> int | None:
        """The file line of a front matter key, YAML's `name:` or TOML's `name =` (front matter
        starts on line 2)."""
        for number, line in enumerate(self.head.split("\n")[1:], start=2):
            if line.startswith(name) and line[len(name) :].lstrip(" \t")[:1] in (":", "="):
                return number
            if line.rstrip() in ("---", "+++"):
                break
        return None


def _lang_of(text: str) -> str:
    return detect_lang(text)
