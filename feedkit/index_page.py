"""The preview server's HTML index: every feed file under a folder, with autodiscovery links.

`FeedCatalog` finds the feed files (`*.atom.xml`, `*.rss.xml`, `*.json`, `*.opml`) and reads a
summary of each (title, language, latest entries), re-reading a file only when it changes.
`summarize_feed` (bytes → summary) and `render_index` (summaries → HTML) are pure.
"""

from __future__ import annotations

import html
import json
import os
import stat
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote, urlsplit

from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from feedkit import __version__

# (file name suffix, kind, media type for <link rel="alternate">, label); first match wins
FEED_FILES = (
    (".atom.xml", "atom", "application/atom+xml", "Atom"),
    (".rss.xml", "rss", "application/rss+xml", "RSS"),
    (".json", "json", "application/feed+json", "JSON Feed"),
    (".opml", "opml", "text/x-opml", "OPML"),
)
LATEST = 5  # entries shown per feed
MAX_SUMMARIZED = 32 * 1024 * 1024  # larger files are listed without a summary
_RANK = {kind: rank for rank, (_, kind, _, _) in enumerate(FEED_FILES)}
_ATOM = "{http://www.w3.org/2005/Atom}"
_ARCHIVE = "{http://purl.org/syndication/history/1.0}archive"  # RFC 5005 archive document
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass(frozen=True, slots=True, kw_only=True)
class EntrySummary:
    title: str
    link: str = ""  # "" when the entry has none
    date: datetime | None = None  # aware UTC


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedSummary:
    """What the index shows about one feed file."""

    path: str  # POSIX path relative to the served root: "news/zh.atom.xml"
    kind: str  # "atom", "rss", "json", "opml"
    title: str = ""
    lang: str = ""
    entries: tuple[EntrySummary, ...] = ()  # newest first, at most LATEST
    count: int = 0  # entries in the feed (outlines with a feed URL, for OPML)
    archive: bool = False  # an RFC 5005 archive document: listed, never autodiscovered
    problem: str = ""  # why the file could not be summarized; "" when it could

    @property
    def discoverable(self) -> bool:
        return self.kind != "opml" and not self.archive and not self.problem


def feed_kind(name: str) -> str | None:
    """The kind of feed file `name` is ("atom", "rss", "json", "opml"), or None."""
    lower = name.lower()
    return next((kind for suffix, kind, _, _ in FEED_FILES if lower.endswith(suffix)), None)


def read_snapshot(path: str) -> tuple[bytes, os.stat_result] | None:
    """The bytes of the regular file at `path` and the stat of exactly those bytes.

    One open, then fstat and read on that descriptor: a file replaced by rename meanwhile is
    seen whole, old or new.  None for anything but a regular file (a FIFO is opened without
    blocking and refused); OSError when it cannot be opened (gone, a symlink, no permission).
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    with open(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None
        return handle.read(), info


class FeedCatalog:
    """The feed files under a root folder, summarized; a file is re-read only when it changes."""

    def __init__(self, root: str) -> None:
        self.root = root  # a real path (os.path.realpath)
        self._cache: dict[str, tuple[tuple[int, ...], FeedSummary]] = {}
        self._lock = threading.Lock()

    def feeds_under(self, folder: str) -> list[FeedSummary]:
        """Every feed file under `folder` (a real path inside the root), sorted by path.
        Hidden files and folders, and symlinks leading out of the root, are left out."""
        found: list[FeedSummary] = []
        for top, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                kind = feed_kind(name)
                if kind is None or name.startswith("."):
                    continue
                summary = self._summary(os.path.join(top, name), kind)
                if summary is not None:
                    found.append(summary)
        return found

    def _summary(self, path: str, kind: str) -> FeedSummary | None:
        real = os.path.realpath(path)
        if not real.startswith(self.root.rstrip(os.sep) + os.sep):
            return None
        rel = PurePosixPath(*os.path.relpath(path, self.root).split(os.sep)).as_posix()
        try:
            info = os.stat(real)
            key = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
            with self._lock:
                cached = self._cache.get(rel)
            if cached is not None and cached[0] == key:
                return cached[1]
            if info.st_size > MAX_SUMMARIZED:
                return FeedSummary(path=rel, kind=kind, problem="too large to summarize")
            snapshot = read_snapshot(real)
        except OSError:  # vanished, or unreadable: not listed
            return None
        if snapshot is None:
            return None
        data, info = snapshot
        summary = summarize_feed(data, kind, rel)
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[rel] = ((info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns), summary)
        return summary


# -- bytes → summary (pure) ---------------------------------------------------------------------


def summarize_feed(data: bytes, kind: str, path: str) -> FeedSummary:
    """Title, language and latest entries of one feed file; a `problem` instead of an error."""
    try:
        if kind == "json":
            return _summarize_json(data, path)
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            remove_comments=True,
            remove_pis=True,
        )
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError, RecursionError) as exc:
        return FeedSummary(path=path, kind=kind, problem=f"unreadable: {_one_line(str(exc))}")
    if kind == "atom" and root.tag == f"{_ATOM}feed":
        return _summarize_atom(root, path)
    if kind == "rss" and root.tag == "rss" and root.find("channel") is not None:
        return _summarize_rss(root.find("channel"), path)
    if kind == "opml" and root.tag == "opml":
        return _summarize_opml(root, path)
    return FeedSummary(path=path, kind=kind, problem=f"not {kind.upper()}: <{root.tag}> root")


def _summarize_atom(feed: Any, path: str) -> FeedSummary:
    entries = []
    for entry in feed.iterfind(f"{_ATOM}entry"):
        link = ""
        for el in entry.iterfind(f"{_ATOM}link"):
            if el.get("rel", "alternate") == "alternate":
                link = str(el.get("href", ""))
                break
        date = _date(entry.findtext(f"{_ATOM}published") or entry.findtext(f"{_ATOM}updated"))
        entries.append(
            EntrySummary(title=_atom_text(entry.find(f"{_ATOM}title")), link=link, date=date)
        )
    return FeedSummary(
        path=path,
        kind="atom",
        title=_atom_text(feed.find(f"{_ATOM}title")),
        lang=str(feed.get(_XML_LANG, "")).strip(),
        entries=_latest(entries),
        count=len(entries),
        archive=feed.find(_ARCHIVE) is not None,
    )


def _summarize_rss(channel: Any, path: str) -> FeedSummary:
    entries = [
        EntrySummary(
            title=_strip_html(item.findtext("title") or ""),
            link=(item.findtext("link") or "").strip(),
            date=_date(item.findtext("pubDate")),
        )
        for item in channel.iterfind("item")
    ]
    return FeedSummary(
        path=path,
        kind="rss",
        title=_one_line(channel.findtext("title") or ""),
        lang=(channel.findtext("language") or "").strip(),
        entries=_latest(entries),
        count=len(entries),
    )


def _summarize_opml(opml: Any, path: str) -> FeedSummary:
    outlines = [
        EntrySummary(
            title=_one_line(str(o.get("title") or o.get("text") or "")),
            link=str(o.get("htmlUrl") or o.get("xmlUrl")),
        )
        for o in opml.iter("outline")
        if o.get("xmlUrl")
    ]
    return FeedSummary(
        path=path,
        kind="opml",
        title=_one_line(opml.findtext("head/title") or ""),
        entries=tuple(outlines[:LATEST]),
        count=len(outlines),
    )


def _summarize_json(data: bytes, path: str) -> FeedSummary:
    doc = json.loads(data)
    version = doc.get("version") if isinstance(doc, dict) else None
    if not isinstance(version, str) or not version.startswith("https://jsonfeed.org/version/"):
        return FeedSummary(path=path, kind="json", problem="not a JSON Feed")
    items = doc.get("items")
    entries = [
        EntrySummary(
            title=_one_line(_str(item.get("title"))),
            link=_str(item.get("url")).strip(),
            date=_date(_str(item.get("date_published")) or _str(item.get("date_modified"))),
        )
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict)
    ]
    return FeedSummary(
        path=path,
        kind="json",
        title=_one_line(_str(doc.get("title"))),
        lang=_str(doc.get("language")).strip(),
        entries=_latest(entries),
        count=len(entries),
    )


def _latest(entries: Sequence[EntrySummary]) -> tuple[EntrySummary, ...]:
    oldest = datetime.min.replace(tzinfo=UTC)
    ranked = sorted(entries, key=lambda e: e.date or oldest, reverse=True)  # stable
    return tuple(ranked[:LATEST])


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _atom_text(el: Any) -> str:
    if el is None:
        return ""
    if el.get("type") == "html":
        return _strip_html(el.text or "")
    return _one_line("".join(str(t) for t in el.itertext()))


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _strip_html(markup: str) -> str:
    parser = _TextOnly()
    parser.feed(markup)
    parser.close()
    return _one_line("".join(parser.parts))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _date(text: str | None) -> datetime | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            parsed = parsedate_to_datetime(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


# -- summaries → HTML (pure) --------------------------------------------------------------------

_CSS = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;"
    "color:#222}h1{font-size:1.5rem}h2{font-size:1.15rem;border-bottom:1px solid #ddd;"
    "margin-top:2rem}.feed h3{margin:1.2rem 0 0;font-size:1.05rem}.meta,time,footer{color:#666;"
    "font-size:.9rem}.meta a{margin-right:.5rem}ol{margin:.3rem 0;padding-left:1.4rem}"
    "time{margin-left:.5rem}.problem{color:#a33}"
)


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def feed_href(base_path: str, path: str) -> str:
    """The URL path of a file under the served root (percent-encoded, not yet HTML-escaped)."""
    return base_path + quote(path, safe="/")


def _alternates(feeds: Iterable[FeedSummary], base_path: str) -> list[str]:
    """One <link rel="alternate"> per discoverable feed: Atom first, then RSS, then JSON Feed."""
    chosen = sorted((f for f in feeds if f.discoverable), key=lambda f: _RANK[f.kind])
    titles = [f.title or f.path for f in chosen]
    titles = [
        t if f.kind == "atom" else f"{t} — {_label(f.kind)}"
        for t, f in zip(titles, chosen, strict=True)
    ]
    dupes = {t for t in titles if titles.count(t) > 1}
    return [
        f'<link rel="alternate" type="{_e(_media_type(f.kind))}" '
        f'title="{_e(f"{t} — {f.path}" if t in dupes else t)}" '
        f'href="{_e(feed_href(base_path, f.path))}">'
        for t, f in zip(titles, chosen, strict=True)
    ]


def _media_type(kind: str) -> str:
    return next(media for _, k, media, _ in FEED_FILES if k == kind)


def _label(kind: str) -> str:
    return next(label for _, k, _, label in FEED_FILES if k == kind)


def _stem(path: str) -> str:
    lower = path.lower()
    suffix = next(s for s, _, _, _ in FEED_FILES if lower.endswith(s))
    return path[: -len(suffix)]


def _render_card(group: Sequence[FeedSummary], base_path: str) -> list[str]:
    """One feed in its formats (zh.atom.xml, zh.rss.xml, zh.json): title, links, entries."""
    main = next((f for f in group if not f.problem), group[0])
    lang = f' lang="{_e(main.lang)}"' if main.lang else ""
    title = main.title or PurePosixPath(main.path).name
    noun = (("feed", "feeds") if main.kind == "opml" else ("entry", "entries"))[main.count != 1]
    meta = [_e(main.lang)] if main.lang else []
    if not main.problem:
        meta.append(f"{main.count} {noun}" + (" · archive" if main.archive else ""))
    links = " ".join(
        f'<a href="{_e(feed_href(base_path, f.path))}" type="{_e(_media_type(f.kind))}">'
        f"{_e(_label(f.kind))}</a>"
        for f in group
    )
    out = [f'<article class="feed"{lang}>', f"<h3>{_e(title)}</h3>"]
    out.append(f'<p class="meta">{" · ".join([*meta, links])}</p>')
    out.extend(
        f'<p class="problem">{_e(PurePosixPath(f.path).name)}: {_e(f.problem)}</p>'
        for f in group
        if f.problem
    )
    if main.entries:
        out.append("<ol>")
        out.extend(_render_entry(entry) for entry in main.entries)
        out.append("</ol>")
    out.append("</article>")
    return out


def _render_entry(entry: EntrySummary) -> str:
    title = _e(entry.title or "(untitled)")
    parts = urlsplit(entry.link) if entry.link == entry.link.strip() else None
    if parts is not None and parts.scheme in ("http", "https") and parts.netloc:
        title = f'<a href="{_e(entry.link)}">{title}</a>'
    when = ""
    if entry.date is not None:
        when = (
            f' <time datetime="{entry.date.isoformat()}">'
            f"{entry.date.strftime('%Y-%m-%d %H:%M')} UTC</time>"
        )
    return f"<li>{title}{when}</li>"


def render_index(feeds: Sequence[FeedSummary], *, base_path: str = "/", folder: str = "") -> bytes:
    """The HTML5 index of `feeds` (paths relative to the served root, which is at `base_path`)
    for the folder `folder` ("" for the root, else "news/"): grouped by folder, each feed with
    its formats and latest entries, and autodiscovery links in <head>.  UTF-8 bytes."""
    where = base_path + quote(folder, safe="/")
    head = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Feeds in {_e(where)}</title>",
        *_alternates(feeds, base_path),
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>Feeds in {_e(where)}</h1>",
    ]
    body: list[str] = []
    if folder:
        parent = PurePosixPath(folder).parent.as_posix()
        up = base_path + ("" if parent == "." else quote(parent, safe="/") + "/")
        body.append(f'<p><a href="{_e(up)}">↑ up</a></p>')
    if not feeds:
        body.append("<p>No feeds here yet: run <code>feedkit run</code> to publish some.</p>")
    else:
        body.append(
            "<p>Paste this page's address into a feed reader to find these feeds, "
            "or pick one below.</p>"
        )
    groups: dict[str, dict[str, list[FeedSummary]]] = {}
    for feed in feeds:
        parent = PurePosixPath(feed.path).parent.as_posix()
        groups.setdefault(parent, {}).setdefault(_stem(feed.path), []).append(feed)
    for parent in sorted(groups, key=lambda p: (p != ".", p)):
        heading = "/" if parent == "." else f"{parent}/"
        body.extend(["<section>", f"<h2>{_e(heading)}</h2>"])
        for _, group in sorted(groups[parent].items()):
            body.extend(_render_card(sorted(group, key=lambda f: _RANK[f.kind]), base_path))
        body.append("</section>")
    body.extend([f"<footer>feedkit {_e(__version__)}</footer>", "</body>", "</html>", ""])
    return "\n".join(head + body).encode("utf-8")
