"""HTTP for remote feeds and source-link pages: deadlines, size caps, conditional GET, redirects."""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.utils import requote_uri
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from feedkit.clock import Clock, utc_now
from feedkit.errors import FetchError

try:
    from feedkit import __version__
except ImportError:  # pragma: no cover - partial checkouts
    __version__ = "0"

DEFAULT_USER_AGENT = f"feedkit/{__version__} (+https://github.com/feedkit/feedkit)"
FEED_ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, "
    "application/feed+json;q=0.9, application/json;q=0.8, application/xml;q=0.8, "
    "text/xml;q=0.8, */*;q=0.1"
)
CHUNK = 64 * 1024
_PERMANENT = frozenset({301, 308})
_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, http.client.HTTPException)


class RetryLater(FetchError):
    """429 or 503: the server asked us to come back later (`retry_after` seconds, if it said)."""

    def __init__(self, url: str, status: int, reason: str, retry_after: float | None) -> None:
        hint = f" (retry after {retry_after:g} s)" if retry_after is not None else ""
        super().__init__(f"{url}: HTTP {status} {reason}{hint}".rstrip())
        self.url, self.status, self.retry_after = url, status, retry_after


class HttpStatusError(FetchError):
    """Any other 4xx/5xx (or an unusable 1xx/3xx) answer."""

    def __init__(self, url: str, status: int, reason: str) -> None:
        super().__init__(f"{url}: HTTP {status} {reason}".rstrip())
        self.url, self.status = url, status


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchLimits:
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    deadline: float = 30.0  # overall, per fetch, redirects included
    max_bytes: int = 10 * 1024 * 1024  # as sent (compressed)
    max_decoded_bytes: int = 20 * 1024 * 1024  # after Content-Encoding
    max_redirects: int = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchResult:
    status: int
    url: str  # final URL, after redirects
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()  # of the final response, names lower-cased
    etag: str | None = None
    last_modified: str | None = None
    permanent_redirect: str | None = None
    retry_after: float | None = None
    max_age: float | None = None
    elapsed: float = 0.0

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k == name), None)

    @property
    def validators(self) -> Validators:
        return Validators(etag=self.etag, last_modified=self.last_modified)


def parse_retry_after(value: str, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date); None if unusable."""
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(int(value))
    when = _http_date(value)
    return None if when is None else max(0.0, (when - now).total_seconds())


def cache_max_age(headers: Iterable[tuple[str, str]], now: datetime) -> float | None:
    """Freshness lifetime left: Cache-Control max-age (less Age), else Expires minus Date/now."""
    found: dict[str, str] = {}
    for name, value in headers:
        found.setdefault(name.lower(), value)
    for directive in found.get("cache-control", "").split(","):
        key, _, arg = directive.strip().partition("=")
        arg = arg.strip().strip('"')
        if key.strip().lower() == "max-age" and arg.isascii() and arg.isdigit():
            age = found.get("age", "").strip()
            return max(0.0, int(arg) - (int(age) if age.isascii() and age.isdigit() else 0))
    if "expires" not in found:
        return None
    expires = _http_date(found["expires"])
    if expires is None:  # "0", "-1", garbage: already expired (RFC 9111 5.3)
        return 0.0
    date = _http_date(found.get("date", "")) or now
    return max(0.0, (expires - date).total_seconds())


def _http_date(value: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


class _Watch:
    """The sockets of one fetch; `expire()` (from a timer) shuts them down, ending blocked reads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.socks: list[socket.socket] = []
        self.expired = self.done = False

    def add(self, sock: object) -> None:
        if isinstance(sock, socket.socket):
            with self.lock:
                self.socks.append(sock)
                if self.expired:
                    _shutdown(sock)

    def expire(self) -> None:
        with self.lock:
            if not self.done:
                self.expired = True
                for sock in self.socks:
                    _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    # The plain socket method: SSLSocket.shutdown would drop its SSL state under the reader.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


_current = threading.local()  # the _Watch of the fetch running in this thread


def _watch(sock: object) -> None:
    watch: _Watch | None = getattr(_current, "watch", None)
    if watch is not None:
        watch.add(sock)


class _WatchedConnection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _watch(self.sock)


class _WatchedHTTPSConnection(_WatchedConnection, HTTPSConnection):
    pass


class _WatchedPool(HTTPConnectionPool):
    ConnectionCls = _WatchedConnection

    def _get_conn(self, timeout: float | None = None) -> Any:
        conn = super()._get_conn(timeout)
        _watch(getattr(conn, "sock", None))  # a kept-alive connection (new ones: connect())
        return conn


class _WatchedHTTPSPool(_WatchedPool, HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedPool, "https": _WatchedHTTPSPool}


class _Session(requests.Session):
    def resolve_redirects(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        return iter(())  # redirects are followed (and counted) by Fetcher, hop by hop


class Fetcher:
    """One `requests.Session` for every fetch; fetches may run in several threads at once."""

    def __init__(
        self,
        *,
        limits: FetchLimits | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
        clock: Clock = utc_now,
    ) -> None:
        self.limits = limits or FetchLimits()
        self.clock = clock
        self._session = _Session()
        self._session.trust_env = False  # no proxies, .netrc or CA bundles from the environment
        self._session.headers["User-Agent"] = user_agent
        self._session.headers["Accept-Encoding"] = "gzip, deflate"
        for prefix in ("http://", "https://"):
            self._session.mount(prefix, _WatchedAdapter())

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    def fetch(
        self, url: str, *, validators: Validators | None = None, accept: str = FEED_ACCEPT
    ) -> FetchResult:
        """GET `url`; FetchError (RetryLater, HttpStatusError, ...) for all but 2xx, 304, 410."""
        started = time.monotonic()
        watch = _Watch()
        timer = threading.Timer(self.limits.deadline, watch.expire)
        timer.daemon = True
        _current.watch = watch
        timer.start()
        try:
            result = self._fetch(url, validators or Validators(), accept, started, watch)
            return replace(result, elapsed=time.monotonic() - started)
        except (*_ERRORS, OSError, zlib.error) as exc:
            if watch.expired or time.monotonic() - started >= self.limits.deadline:
                raise FetchError(f"{url}: no answer within {self.limits.deadline:g} s") from exc
            raise FetchError(f"{url}: {_describe(exc, self.limits)}") from exc
        finally:
            with watch.lock:
                watch.done = True
            timer.cancel()
            _current.watch = None

    def _fetch(
        self, url: str, old: Validators, accept: str, started: float, watch: _Watch
    ) -> FetchResult:
        limits = self.limits
        headers = {"Accept": accept}
        for name, value in (("If-None-Match", old.etag), ("If-Modified-Since", old.last_modified)):
            if value and value.isprintable() and max(map(ord, value)) < 256:  # else: unsendable
                headers[name] = value
        if not _is_http(url):
            raise FetchError(f"{url}: not a valid http or https URL")
        hop, seen, permanent = url, {url}, None  # permanent: while every hop so far was 301/308
        all_permanent = True
        while True:
            left = started + limits.deadline - time.monotonic()
            if left <= 0 or watch.expired:
                raise FetchError(f"{url}: no answer within {limits.deadline:g} s")
            timeout = (min(limits.connect_timeout, left), limits.read_timeout)  # reads: the timer
            resp = self._session.get(
                hop, headers=headers, timeout=timeout, stream=True, allow_redirects=False
            )
            with resp:
                target = self._session.get_redirect_target(resp)
                if target is None and 200 <= resp.status_code < 300:
                    body = self._read(resp, url, started, watch)
                else:
                    body = _drain(resp)
                if target is None:
                    return self._result(resp, hop, permanent, body, old)
            all_permanent = all_permanent and resp.status_code in _PERMANENT
            try:
                hop = requote_uri(urljoin(hop, target))
            except ValueError as exc:
                raise FetchError(f"{url}: bad redirect Location {target!r}") from exc
            permanent = hop if all_permanent else permanent
            if not _is_http(hop):
                raise FetchError(f"{url}: will not follow a redirect to {hop!r}")
            if hop in seen:
                raise FetchError(f"{url}: redirect loop at {hop}")
            if len(seen) > limits.max_redirects:
                raise FetchError(f"{url}: more than {limits.max_redirects} redirects")
            seen.add(hop)

    def _result(
        self, resp: requests.Response, url: str, permanent: str | None, body: bytes, old: Validators
    ) -> FetchResult:
        status, reason, now = resp.status_code, resp.reason or "", self.clock()
        retry = resp.headers.get("retry-after")
        retry_after = None if retry is None else parse_retry_after(retry, now)
        if status in (429, 503):
            raise RetryLater(url, status, reason, retry_after)
        if status >= 300 and status not in (304, 410):
            raise HttpStatusError(url, status, reason)
        headers = tuple((k.lower(), v) for k, v in resp.headers.items())
        return FetchResult(
            status=status,
            url=url,
            body=body,
            headers=headers,
            etag=resp.headers.get("etag") or old.etag,
            last_modified=resp.headers.get("last-modified") or old.last_modified,
            permanent_redirect=permanent,
            retry_after=retry_after,
            max_age=cache_max_age(headers, now),
        )

    def _read(self, resp: requests.Response, url: str, started: float, watch: _Watch) -> bytes:
        """The body, streamed in CHUNKs and decoded here, within both size caps and the deadline."""
        limits = self.limits
        length = resp.headers.get("content-length", "").strip()
        if length.isdigit() and int(length) > limits.max_bytes:
            raise FetchError(f"{url}: response larger than {limits.max_bytes} bytes")
        body = _Body(resp.headers.get("content-encoding", ""), url, limits.max_decoded_bytes)
        received = 0
        while chunk := resp.raw.read(CHUNK, decode_content=False):
            received += len(chunk)
            if received > limits.max_bytes:
                raise FetchError(f"{url}: response larger than {limits.max_bytes} bytes")
            if watch.expired or time.monotonic() - started > limits.deadline:
                break
            body.feed(chunk)
        if watch.expired or time.monotonic() - started > limits.deadline:
            raise FetchError(f"{url}: no answer within {limits.deadline:g} s")  # EOF from the timer
        if body.coding not in ("", "identity") and not body.zd.eof:
            raise FetchError(f"{url}: compressed body is truncated")
        return bytes(body.out)


def _is_http(url: str) -> bool:
    try:
        return urlsplit(url).scheme in ("http", "https")
    except ValueError:  # "http://[::1" and the like
        return False


def _drain(resp: requests.Response) -> bytes:
    """Read a short unwanted body (304, a redirect, an error) so its connection can be reused."""
    length = resp.headers.get("content-length", "").strip()
    if resp.status_code in (204, 304) or (length.isdigit() and int(length) <= CHUNK):
        with contextlib.suppress(*_ERRORS, OSError):  # then the connection is simply closed
            resp.raw.read(CHUNK, decode_content=False)
    return b""


class _Body:
    """Decodes Content-Encoding incrementally, CHUNK at a time, so a bomb stops just past `cap`."""

    def __init__(self, encoding: str, url: str, cap: int) -> None:
        self.coding, self.url, self.cap = encoding.strip().lower(), url, cap
        self.out = bytearray()
        if self.coding not in ("", "identity", "gzip", "x-gzip", "deflate"):
            raise FetchError(f"{url}: unsupported Content-Encoding {encoding!r}")
        # "deflate" should be zlib-wrapped (32+ accepts zlib and gzip); raw deflate is the fallback
        self.zd = zlib.decompressobj((16 if "gzip" in self.coding else 32) + zlib.MAX_WBITS)

    def feed(self, data: bytes) -> None:
        if self.coding in ("", "identity"):
            self.out += data
        else:
            try:
                self._inflate(data)
            except zlib.error:
                if self.out or self.coding != "deflate":  # retried once, from the start
                    raise
                self.zd = zlib.decompressobj(-zlib.MAX_WBITS)
                self.coding = "raw-deflate"
                self._inflate(data)
        if len(self.out) > self.cap:
            raise FetchError(f"{self.url}: response inflates to more than {self.cap} bytes")

    def _inflate(self, data: bytes) -> None:
        while True:  # max_length keeps each step to CHUNK bytes; data past the end is ignored
            piece = self.zd.decompress(data, CHUNK)
            self.out += piece
            data = self.zd.unconsumed_tail
            if len(self.out) > self.cap or (not data and len(piece) < CHUNK):
                return


def _describe(exc: BaseException, limits: FetchLimits) -> str:
    if isinstance(exc, requests.ConnectTimeout):
        return f"could not connect within {limits.connect_timeout:g} s"
    if isinstance(exc, requests.Timeout | urllib3.exceptions.ReadTimeoutError):
        return f"no answer within {limits.read_timeout:g} s (read timeout)"
    if isinstance(exc, zlib.error):
        return f"cannot decompress the body ({exc})"
    broken = (
        requests.ConnectionError,
        requests.exceptions.ChunkedEncodingError,
        urllib3.exceptions.ProtocolError,
    )
    kind = "connection failed" if isinstance(exc, broken) else type(exc).__name__
    kind = "invalid URL" if isinstance(exc, requests.exceptions.InvalidURL) else kind
    for _ in range(10):  # down to the innermost cause: 'Connection refused', not MaxRetryError
        exc = exc.__cause__ or exc.__context__ or exc
    text = exc.strerror if isinstance(exc, OSError) and exc.strerror else " ".join(str(exc).split())
    return f"{kind}: {text or type(exc).__name__}"
