"""Source-link checks (SPEC 1.3): fetch each article's original page politely, read its head.

`LinkChecker.check(urls)` fetches each distinct page (by canonical URL) at most once, through a
`Fetcher` (the HTTP rules of remote feeds: deadlines, size caps, User-Agent, conditional GET),
spacing requests to one host `60 / per_host_per_minute` seconds apart, and remembers every
result in the state store until it expires (failures back off: 1 h, 2 h, 4 h … up to the
expiry). A page answering 404 or 410 counts one more "dead" check; `Store.dead_links(n)` lists
those that did so `n` checks in a row, for `status`.

`apply_page_meta(entries, results)` is the pure half: what the checks change in entries.

Limits, by design: the rate limit is per LinkChecker (one process), counted on the host first
asked (redirect targets are not counted); "one check of a URL in flight" holds across the
threads of one process. A Store is used from one thread only (sqlite3's rule): give each
thread its own LinkChecker and Store.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import requests

from feedkit.clock import Clock, utc_now
from feedkit.errors import FetchError
from feedkit.fetch import (
    DEFAULT_USER_AGENT,
    Fetcher,
    FetchLimits,
    FetchResult,
    HttpStatusError,
    RetryLater,
    Validators,
)
from feedkit.model import Entry
from feedkit.pagemeta import HEAD_BYTES, PageMeta, is_root_url, parse_page_meta
from feedkit.store import LinkRecord, Store
from feedkit.store_schema import iso_or_none, parse_iso_or_none
from feedkit.urls import DEFAULT_RULES, UrlRules, canonical_url

__all__ = [
    "PAGE_ACCEPT",
    "LinkChecker",
    "LinkResult",
    "LinkStatus",
    "PageFetcher",
    "apply_page_meta",
]

log = logging.getLogger(__name__)

PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
_HTML_TYPES = ("text/html", "application/xhtml+xml", "application/xml", "text/xml")
_DEAD = frozenset({404, 410})


class LinkStatus(StrEnum):
    OK = "ok"  # fetched now (200 or 304)
    DEAD = "dead"  # fetched now: 404 or 410
    FAILED = "failed"  # fetched now: any other error; meta is the last good one, if any
    CACHED = "cached"  # not fetched: the stored result has not expired


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkResult:
    """One source link's check. `url` is its canonical URL (the cache key)."""

    url: str
    status: LinkStatus
    meta: PageMeta | None
    dead_count: int  # consecutive 404/410 answers, this one included
    checked_at: datetime
    http_status: int | None = None
    error: str = ""


# --- fetching only the head ------------------------------------------------------------------


class PageFetcher(Fetcher):
    """A Fetcher for web pages: asks for an uncompressed body and stops reading it at `</head>`
    (or `<body`), or after `head_bytes`, instead of failing on a large page. A page sent
    compressed anyway is read whole, within the usual size caps."""

    def __init__(
        self,
        *,
        limits: FetchLimits | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
        clock: Clock = utc_now,
        head_bytes: int = HEAD_BYTES,
    ) -> None:
        super().__init__(limits=limits, user_agent=user_agent, clock=clock)
        self.head_bytes = head_bytes
        self._session.headers["Accept-Encoding"] = "identity"

    def _read(self, resp: requests.Response, url: str, started: float, watch: Any) -> bytes:
        if resp.headers.get("content-encoding", "").strip().lower() in ("", "identity"):
            resp.raw = _HeadReader(resp.raw, self.head_bytes)
            resp.headers.pop("content-length", None)  # a large page is fine: only its head is read
        return super()._read(resp, url, started, watch)


class _HeadReader:
    """Wraps a urllib3 response: reads end (b"") once the head is over or `cap` bytes came."""

    def __init__(self, raw: Any, cap: int) -> None:
        self._raw, self._cap = raw, cap
        self._count, self._tail, self._done = 0, b"", False

    def read(self, amt: int | None = None, decode_content: bool | None = None) -> bytes:
        if self._done:
            return b""
        chunk: bytes = self._raw.read(amt, decode_content=decode_content)
        chunk = chunk[: self._cap - self._count]
        self._count += len(chunk)
        window = (self._tail + chunk).lower()
        if not chunk or self._count >= self._cap or b"</head" in window or b"<body" in window:
            self._done = True
        self._tail = window[-8:]
        return chunk

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


# --- the checker -----------------------------------------------------------------------------


class _InFlight:
    """Canonical URLs being checked in this process; `claim` waits while another thread has it."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._keys: set[str] = set()

    def claim(self, key: str) -> bool:
        """Claim `key`; True when it had to wait for another check of it to end."""
        waited = False
        with self._cond:
            while key in self._keys:
                waited = True
                self._cond.wait()
            self._keys.add(key)
        return waited

    def release(self, key: str) -> None:
        with self._cond:
            self._keys.discard(key)
            self._cond.notify_all()


_IN_FLIGHT = _InFlight()


class LinkChecker:
    """Checks source links through `fetcher` (ideally a `PageFetcher`), cached in `store`.

    `store=None`: nothing cached or counted between calls (dead_count is 0 or 1).
    """

    def __init__(
        self,
        fetcher: Fetcher,
        store: Store | None,
        *,
        per_host_per_minute: int = 6,
        expiry: timedelta = timedelta(days=7),
        clock: Clock = utc_now,
        sleep: Callable[[float], None] = time.sleep,
        rules: UrlRules = DEFAULT_RULES,
        retry_base: timedelta = timedelta(hours=1),
    ) -> None:
        if per_host_per_minute < 1:
            raise ValueError(f"per_host_per_minute must be at least 1, got {per_host_per_minute}")
        self.fetcher, self.store = fetcher, store
        self.interval = timedelta(seconds=60 / per_host_per_minute)
        self.expiry, self.retry_base = expiry, retry_base
        self.clock, self.sleep, self.rules = clock, sleep, rules
        self._next_slot: dict[str, datetime] = {}  # host -> earliest time of its next request
        self._lock = threading.Lock()

    def check(self, urls: Sequence[str], *, use_cache: bool = True) -> dict[str, LinkResult]:
        """A result for every URL given (spellings of one page share one fetch and result)."""
        now = self.clock()
        results: dict[str, LinkResult] = {}
        groups: dict[str, list[str]] = {}
        for url in urls:
            key = canonical_url(url, self.rules)
            if key is None:
                error = "not an http(s) URL"
                results[url] = LinkResult(
                    url=url, status=LinkStatus.FAILED, meta=None, dead_count=0, checked_at=now,
                    error=error,
                )  # fmt: skip
            else:
                groups.setdefault(key, []).append(url)
        pending: list[tuple[str, str]] = []
        for key, spellings in groups.items():
            cached = self._cached(key, now) if use_cache else None
            if cached is not None:
                results.update(dict.fromkeys(spellings, cached))
            else:
                pending.append((key, spellings[0]))
        for key, url in self._paced(pending):
            result = self._check_one(key, url, use_cache=use_cache)
            results.update(dict.fromkeys(groups[key], result))
        return results

    def _cached(self, key: str, now: datetime) -> LinkResult | None:
        record = self.store.get_link(key) if self.store is not None else None
        if record is None or record.next_check <= now:
            return None
        return LinkResult(
            url=key,
            status=LinkStatus.CACHED,
            meta=meta_from_json(record.meta),
            dead_count=record.dead_count,
            checked_at=record.checked_at,
            http_status=record.http_status,
            error=record.error,
        )

    def _paced(self, pending: Sequence[tuple[str, str]]) -> Iterator[tuple[str, str]]:
        """`pending` in the order the per-host spacing allows soonest, sleeping between."""
        queues: dict[str, list[tuple[str, str]]] = {}
        for key, url in pending:
            queues.setdefault(urlsplit(url).hostname or "", []).append((key, url))
        while queues:
            now = self.clock()
            host = min(queues, key=lambda h: self._next_slot.get(h, now))
            wait = (self._next_slot.get(host, now) - now).total_seconds()
            if wait > 0:
                self.sleep(wait)
            with self._lock:
                self._next_slot[host] = max(self.clock(), self._next_slot.get(host, now))
                self._next_slot[host] += self.interval
            yield queues[host].pop(0)
            if not queues[host]:
                del queues[host]

    def _check_one(self, key: str, url: str, *, use_cache: bool) -> LinkResult:
        waited = _IN_FLIGHT.claim(key)
        try:
            if waited and use_cache:  # another thread just checked it
                cached = self._cached(key, self.clock())
                if cached is not None:
                    return cached
            previous = self.store.get_link(key) if self.store is not None else None
            record = self._fetch(key, url, previous)
            if self.store is not None:
                self.store.put_link(record)
        finally:
            _IN_FLIGHT.release(key)
        log.info("source link %s: %s %s", url, record.status, record.error)
        return LinkResult(
            url=key,
            status=LinkStatus(record.status),
            meta=meta_from_json(record.meta),
            dead_count=record.dead_count,
            checked_at=record.checked_at,
            http_status=record.http_status,
            error=record.error,
        )

    def _fetch(self, key: str, url: str, previous: LinkRecord | None) -> LinkRecord:
        now = self.clock()
        old_meta = previous.meta if previous is not None else None
        validators = Validators()
        if previous is not None and previous.status == "ok" and old_meta is not None:
            validators = Validators(etag=previous.etag, last_modified=previous.last_modified)
        base = LinkRecord(
            url=key, link=url, checked_at=now, next_check=now + self.expiry, status="ok"
        )
        try:
            result = self.fetcher.fetch(url, validators=validators, accept=PAGE_ACCEPT)
        except HttpStatusError as exc:
            if exc.status in _DEAD:
                return self._dead(base, previous, exc.status, str(exc))
            return self._failed(base, previous, str(exc), exc.status)
        except RetryLater as exc:
            return self._failed(base, previous, str(exc), exc.status, exc.retry_after)
        except FetchError as exc:
            return self._failed(base, previous, str(exc), None)
        if result.status in _DEAD:
            return self._dead(base, previous, result.status, f"{url}: HTTP {result.status}")
        meta = old_meta if result.status == 304 else meta_to_json(_page_meta(result))
        return dataclasses.replace(
            base,
            http_status=result.status,
            etag=result.etag,
            last_modified=result.last_modified,
            meta=meta,
        )

    def _dead(
        self, base: LinkRecord, previous: LinkRecord | None, status: int, error: str
    ) -> LinkRecord:
        count = (previous.dead_count if previous is not None else 0) + 1
        return dataclasses.replace(
            base, status="dead", http_status=status, dead_count=count, error=error
        )

    def _failed(
        self,
        base: LinkRecord,
        previous: LinkRecord | None,
        error: str,
        status: int | None,
        retry_after: float | None = None,
    ) -> LinkRecord:
        failures = (previous.failures if previous is not None else 0) + 1
        delay = min(self.expiry, self.retry_base * 2 ** min(failures - 1, 30))
        if retry_after is not None:
            delay = max(delay, timedelta(seconds=min(retry_after, self.expiry.total_seconds())))
        return dataclasses.replace(
            base,
            status="failed",
            http_status=status,
            next_check=base.checked_at + delay,
            failures=failures,
            dead_count=previous.dead_count if previous is not None else 0,
            meta=previous.meta if previous is not None else None,  # the last good one
            etag=previous.etag if previous is not None else None,
            last_modified=previous.last_modified if previous is not None else None,
            error=error,
        )


def _page_meta(result: FetchResult) -> PageMeta:
    """The head of an HTML answer; for anything else, only its final URL."""
    content_type = result.header("content-type") or ""
    media, _, params = content_type.partition(";")
    media = media.strip().lower()
    if media and media not in _HTML_TYPES:
        return PageMeta(final_url=result.url)
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"') or None
    return parse_page_meta(result.body, result.url, encoding=charset)


# --- stored form of PageMeta -----------------------------------------------------------------


def meta_to_json(meta: PageMeta) -> str:
    data: dict[str, object] = {
        field.name: getattr(meta, field.name) for field in dataclasses.fields(meta)
    }
    data["published"] = iso_or_none(meta.published)
    data["modified"] = iso_or_none(meta.modified)
    return json.dumps(data, ensure_ascii=True, sort_keys=True)


def meta_from_json(text: str | None) -> PageMeta | None:
    """The PageMeta `meta_to_json` made; None for None or anything unreadable (a cache miss)."""
    if text is None:
        return None
    try:
        data = json.loads(text)
        strings = {
            name: data.get(name)
            for name in ("canonical", "title", "description", "image", "site_name", "lang")
        }
        if not isinstance(data.get("final_url"), str) or not all(
            v is None or isinstance(v, str) for v in strings.values()
        ):
            return None
        return PageMeta(
            final_url=data["final_url"],
            published=parse_iso_or_none(data.get("published")),
            modified=parse_iso_or_none(data.get("modified")),
            **strings,
        )
    except (ValueError, TypeError, AttributeError):
        return None


# --- what checks change in entries (pure) ----------------------------------------------------


def apply_page_meta(
    entries: Sequence[Entry],
    results: Mapping[str, LinkResult],
    rules: UrlRules = DEFAULT_RULES,
    *,
    undated_ids: Collection[str] = (),
) -> list[Entry]:
    """Entries with what their pages say filled in, where the file said nothing.

    For an entry whose `link` has a result with page metadata: `key` becomes the canonical URL
    of the page's trusted canonical link (not the site root, unless the link itself is one);
    `image` is the page's og:image when the entry has none; and, only for the ids in
    `undated_ids` (entries whose date is the file's modification time: the caller knows which,
    an Entry does not), `published` becomes the page's article:published_time (and `updated`
    at least that, or article:modified_time when later). Other entries are returned unchanged.
    """
    out: list[Entry] = []
    for entry in entries:
        result = results.get(entry.link) if entry.link else None
        meta = result.meta if result is not None else None
        if meta is None:
            out.append(entry)
            continue
        changes: dict[str, Any] = {}
        if meta.canonical and (not is_root_url(meta.canonical) or is_root_url(entry.link)):
            key = canonical_url(meta.canonical, rules)
            if key is not None and key != entry.key:
                changes["key"] = key
        if not entry.image and meta.image:
            changes["image"] = meta.image
        if entry.id in undated_ids and meta.published is not None:
            changes["published"] = meta.published
            changes["updated"] = max(meta.published, meta.modified or meta.published)
        out.append(dataclasses.replace(entry, **changes) if changes else entry)
    return out
