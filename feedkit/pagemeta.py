"""What a web page says about itself in its head (SPEC 1.3): canonical link, Open Graph, dates.

Pure: `parse_page_meta(body, final_url)` never raises on any bytes. Only the head is read: parsing
stops at `</head>` or `<body>`, and never looks past the first `HEAD_BYTES` bytes. Every string is
stripped of markup (`html_to_text`) and capped; every URL is an absolute http(s) URL or None.

**The same-site rule.** A page's `<link rel="canonical">` is kept only when it points to the same
site as the page's final URL: the same host once a leading `www.` is removed from both (ports
are ignored). And a canonical link to the site's root ("/") is dropped unless the page itself is
the root: a site whose every page claims its home page must not merge all its articles.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit

from feedkit.dates import parse_date
from feedkit.lang import normalize_lang
from feedkit.markup import html_to_text
from feedkit.urls import absolute_http_url

__all__ = ["HEAD_BYTES", "MAX_TEXT", "MAX_URL", "PageMeta", "is_root_url", "parse_page_meta"]

HEAD_BYTES = 512 * 1024  # never parse past this many bytes of a page
MAX_TEXT = 1000  # characters kept of a title, description or site name
MAX_URL = 2048  # longer URLs are dropped, not cut
_FEED_STEP = 8 * 1024
_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I)
_IMAGE_KEYS = ("og:image", "og:image:secure_url", "og:image:url")


@dataclass(frozen=True, slots=True, kw_only=True)
class PageMeta:
    """The head of one fetched page; None where the page said nothing usable."""

    final_url: str  # after redirects
    canonical: str | None = None  # absolute, same site as final_url (see the module docstring)
    title: str | None = None  # og:title
    description: str | None = None  # og:description
    image: str | None = None  # og:image, absolute http(s)
    site_name: str | None = None  # og:site_name
    published: datetime | None = None  # article:published_time, aware UTC
    modified: datetime | None = None  # article:modified_time, aware UTC
    lang: str | None = None  # <html lang>, normalized ("zh-CN")


def parse_page_meta(body: bytes, final_url: str, *, encoding: str | None = None) -> PageMeta:
    """Read the head of `body` (the page at `final_url`; `encoding` from its Content-Type)."""
    data = bytes(body[:HEAD_BYTES])
    text = data.decode(_encoding(data, encoding), errors="replace")
    parser = _HeadParser()
    try:
        for start in range(0, len(text), _FEED_STEP):
            parser.feed(text[start : start + _FEED_STEP])
            if parser.done:
                break
        if not parser.done:
            parser.close()
    except (AssertionError, ValueError, IndexError):  # html.parser on pathological input
        pass
    return _meta(parser, final_url)


def is_root_url(url: str) -> bool:
    """Whether `url` is a site's home page: path "/" or empty, no query."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.path in ("", "/") and not parts.query


def _encoding(data: bytes, declared: str | None) -> str:
    for bom, name in ((codecs.BOM_UTF8, "utf-8"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return name
    candidates = [declared] if declared else []
    found = _CHARSET.search(data[:4096])
    if found:
        candidates.append(found.group(1).decode("ascii"))
    for name in candidates:
        try:
            codec = codecs.lookup(name.strip())
        except (LookupError, ValueError):
            continue
        if codec.name not in ("utf-16-le", "utf-16-be", "utf-16", "utf-32"):  # not from <meta>
            return codec.name
    return "utf-8"


class _HeadParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.done = False
        self.lang: str | None = None
        self.canonical: str | None = None
        self.props: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        values = {name: value or "" for name, value in attrs}
        if tag == "body":
            self.done = True
        elif tag == "html" and self.lang is None:
            self.lang = values.get("lang") or values.get("xml:lang")
        elif tag == "link" and self.canonical is None:
            if "canonical" in values.get("rel", "").lower().split():
                self.canonical = values.get("href")
        elif tag == "meta":
            key = (values.get("property") or values.get("name") or "").strip().lower()
            if key and "content" in values:
                self.props.setdefault(key[:100], values["content"])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self.done = True


def _meta(parser: _HeadParser, final_url: str) -> PageMeta:
    props = parser.props
    image = next((_url(props[k], final_url) for k in _IMAGE_KEYS if k in props), None)
    return PageMeta(
        final_url=final_url,
        canonical=_canonical(parser.canonical, final_url),
        title=_text(props.get("og:title")),
        description=_text(props.get("og:description")),
        image=image,
        site_name=_text(props.get("og:site_name")),
        published=_date(props.get("article:published_time")),
        modified=_date(props.get("article:modified_time")),
        lang=_lang(parser.lang),
    )


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    text = html_to_text(value[: MAX_TEXT * 8])[:MAX_TEXT].strip()
    return text or None


def _url(value: str | None, base: str) -> str | None:
    if value is None or not value.strip() or len(value) > MAX_URL:
        return None
    url = absolute_http_url(value, base)
    return url if url is not None and len(url) <= MAX_URL else None


def _canonical(value: str | None, final_url: str) -> str | None:
    url = _url(value, final_url)
    if url is None or _site(url) is None or _site(url) != _site(final_url):
        return None
    if is_root_url(url) and not is_root_url(final_url):
        return None
    return url


def _site(url: str) -> str | None:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.removesuffix(".").removeprefix("www.") if host else None


def _date(value: str | None) -> datetime | None:
    if value is None or len(value) > 100:
        return None
    try:
        return parse_date(value.strip())
    except (ValueError, TypeError, OverflowError):
        return None


def _lang(value: str | None) -> str | None:
    if value is None or len(value) > 50:
        return None
    return normalize_lang(value)
