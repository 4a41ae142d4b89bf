"""`feedkit serve`: the output folder over HTTP on 127.0.0.1, for previewing and subscribing.

    server = make_server(Path("output"), port=8000)   # binds now; ConfigError if it cannot
    serve(server, stop)          # blocks until the threading.Event `stop` is set, then closes
    # or, in the background (tests, `serve --run` beside the scheduler):
    with running(server):
        ...                      # server.url is "http://127.0.0.1:8000/"

GET and HEAD only, HTTP/1.1 keep-alive.  A request path is percent-decoded and must name
something inside the root: `..`, `.`, empty segments (`//`), backslashes, NUL, hidden names
(publisher temp files `.x.atom.xml.123.tmp`) and symlinks leading out of the root all get 404.
Each file is read whole from one open (the publisher replaces files by rename, so a reader gets
the old version or the new one).  `ETag` is a strong validator: a BLAKE2b-128 hash of the bytes,
so it is the same across restarts and changes exactly when the bytes do.  `Last-Modified` is the
file's mtime; `Cache-Control: no-cache` makes readers revalidate, and a matching
`If-None-Match` (or, without one, an `If-Modified-Since` not older than the file) gets 304.
A folder path (`/`, `/news/`) gets the HTML index of the feeds under it (`index_page`).
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import logging
import mimetypes
import os
import re
import socket
import sys
import threading
from collections.abc import Iterator
from datetime import UTC
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from feedkit import __version__
from feedkit.errors import ConfigError
from feedkit.index_page import FeedCatalog, read_snapshot, render_index

logger = logging.getLogger(__name__)

CONTENT_TYPES = (
    (".atom.xml", "application/atom+xml; charset=utf-8"),
    (".rss.xml", "application/rss+xml; charset=utf-8"),
    (".json", "application/feed+json; charset=utf-8"),
    (".opml", "text/x-opml; charset=utf-8"),
    (".xml", "application/xml; charset=utf-8"),
    (".html", "text/html; charset=utf-8"),
)
ALLOW = "GET, HEAD"
MAX_DISCARDED = 64 * 1024  # request bodies up to this size are read and dropped, not refused
INDEX_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'"
_ENTITY_TAG = re.compile(r'(?:W/)?("[^"]*")')


def content_type(name: str) -> str:
    """The Content-Type to serve the file `name` with."""
    lower = name.lower()
    for suffix, value in CONTENT_TYPES:
        if lower.endswith(suffix):
            return value
    guessed, encoding = mimetypes.guess_type(name, strict=False)
    return guessed if guessed and not encoding else "application/octet-stream"


def etag_for(data: bytes) -> str:
    return '"' + hashlib.blake2b(data, digest_size=16).hexdigest() + '"'


def etag_matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 §13.1.2: `*`, or any listed entity tag equal under weak comparison."""
    if if_none_match.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(tag == opaque for tag in _ENTITY_TAG.findall(if_none_match))


def split_request_path(target: str, base_path: str = "/") -> list[str] | None:
    """The decoded segments of a request target under `base_path` (the last one "" for a
    folder), or None when the target must be refused: outside `base_path`, not UTF-8, or with
    `.`/`..`/hidden segments, empty segments, backslashes or NUL after decoding."""
    path = _target_path(target)
    if not path.startswith(base_path):
        return None
    try:
        decoded = unquote(path[len(base_path) :], errors="strict")
    except UnicodeDecodeError:
        return None
    if "\x00" in decoded or "\\" in decoded:
        return None
    parts = decoded.split("/")
    if any(not part for part in parts[:-1]) or any(part.startswith(".") for part in parts):
        return None
    return parts


def _target_path(target: str) -> str:
    """The still-encoded path of a request target (origin-form or absolute-form)."""
    if target[:8].lower().startswith(("http://", "https://")):
        return urlsplit(target).path or "/"
    return target.partition("?")[0].partition("#")[0]


class FeedRequestHandler(BaseHTTPRequestHandler):
    """Serves files and index pages from `server.root`; see the module docstring."""

    protocol_version = "HTTP/1.1"
    server_version = f"feedkit/{__version__}"
    sys_version = ""
    timeout = 30.0  # an idle keep-alive connection is closed after this many seconds
    server: FeedServer

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _refuse_method(self) -> None:
        close = not self._discard_body()
        self._send(405, b"method not allowed\n", [("Allow", ALLOW)], close=close)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = _refuse_method

    def _serve(self, *, head: bool) -> None:
        close = not self._discard_body()
        base = self.server.base_path
        parts = split_request_path(self.path, base)
        path = _target_path(self.path)
        if parts is None and path + "/" == base:
            self._redirect(base, head=head, close=close)
            return
        real = None if parts is None else self._locate(parts)
        if real is None or parts is None:
            self._send(404, b"not found\n", head=head, close=close)
        elif os.path.isdir(real) or real == self.server.root_real:  # the root may not exist yet
            if parts[-1]:
                self._redirect(path + "/", head=head, close=close)
            else:
                self._serve_index(real, "/".join(parts), head=head, close=close)
        elif parts[-1]:
            self._serve_file(real, head=head, close=close)
        else:
            self._send(404, b"not found\n", head=head, close=close)

    def _locate(self, parts: list[str]) -> str | None:
        """The real path `parts` name, if it is inside the root and not hidden."""
        root = self.server.root_real
        real = os.path.realpath(os.path.join(root, *parts))
        if real == root:
            return real
        if not real.startswith(root.rstrip(os.sep) + os.sep):
            return None
        if any(part.startswith(".") for part in os.path.relpath(real, root).split(os.sep)):
            return None
        return real

    def _serve_file(self, real: str, *, head: bool, close: bool) -> None:
        try:
            snapshot = read_snapshot(real)
        except PermissionError:
            self._send(403, b"forbidden\n", head=head, close=close)
            return
        except OSError:  # vanished since it was looked up, or became a symlink
            snapshot = None
        if snapshot is None:
            self._send(404, b"not found\n", head=head, close=close)
            return
        data, info = snapshot
        etag = etag_for(data)
        headers = [
            ("ETag", etag),
            ("Last-Modified", formatdate(info.st_mtime, usegmt=True)),
            ("Cache-Control", "no-cache"),
        ]
        if self._not_modified(etag, int(info.st_mtime)):
            self._send(304, b"", headers, head=head, close=close)
            return
        headers += [("Content-Type", content_type(real)), ("X-Content-Type-Options", "nosniff")]
        self._send(200, data, headers, head=head, close=close)

    def _serve_index(self, real: str, folder: str, *, head: bool, close: bool) -> None:
        feeds = self.server.catalog.feeds_under(real)
        body = render_index(feeds, base_path=self.server.base_path, folder=folder)
        etag = etag_for(body)
        headers = [("ETag", etag), ("Cache-Control", "no-cache")]
        if self._not_modified(etag, None):
            self._send(304, b"", headers, head=head, close=close)
            return
        headers += [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Security-Policy", INDEX_CSP),
            ("X-Content-Type-Options", "nosniff"),
        ]
        self._send(200, body, headers, head=head, close=close)

    def _not_modified(self, etag: str, mtime: int | None) -> bool:
        tags = self.headers.get_all("If-None-Match")
        if tags:
            return etag_matches(", ".join(tags), etag)
        since = self.headers.get("If-Modified-Since")
        if since is None or mtime is None:
            return False
        try:
            when = parsedate_to_datetime(since)
        except (TypeError, ValueError, IndexError):
            return False  # not an HTTP-date: ignored (RFC 9110 §13.1.3)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return mtime <= when.timestamp()

    def _redirect(self, location: str, *, head: bool, close: bool) -> None:
        query = self.path.partition("?")[2]
        target = location + ("?" + query if query else "")
        self._send(301, b"moved\n", [("Location", target)], head=head, close=close)

    def _discard_body(self) -> bool:
        """Read and drop a request body (a small one), so the connection can go on; False when
        it cannot (chunked, too large, bad length): then the response closes the connection."""
        if "Transfer-Encoding" in self.headers:
            return False
        length = self.headers.get("Content-Length", "0").strip()
        if not length.isdigit() or int(length) > MAX_DISCARDED:
            return False
        return len(self.rfile.read(int(length))) == int(length)

    def _send(
        self,
        status: int,
        body: bytes,
        headers: list[tuple[str, str]] | None = None,
        *,
        head: bool = False,
        close: bool = False,
    ) -> None:
        self.send_response(status)
        names = set()
        for name, value in headers or ():
            self.send_header(name, value)
            names.add(name)
        if status != 304:
            if "Content-Type" not in names:
                self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")  # also sets self.close_connection
        self.end_headers()
        if not head and status != 304:
            self.wfile.write(body)


class FeedServer(ThreadingHTTPServer):
    """A threading HTTP server over one folder.  `server_close()` (or leaving `with server:`)
    also ends kept-alive connections and waits for their threads."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # bursts of readers; the default 5 drops connections

    def __init__(self, root: Path, address: tuple[str, int], *, base_path: str = "/") -> None:
        self.root = root
        self.root_real = os.path.realpath(root)
        self.base_path = base_path
        self.catalog = FeedCatalog(self.root_real)
        self._live: set[socket.socket] = set()
        self._live_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, FeedRequestHandler)

    @property
    def url(self) -> str:
        """The address of the index page, e.g. "http://127.0.0.1:8000/"."""
        host, port = self.socket.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}{self.base_path}"

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # else ~40 ms per response
        return sock, address

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._live_lock:
            self._live.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._live_lock:
            self._live.discard(request)
        super().shutdown_request(request)

    def server_close(self) -> None:
        with self._live_lock:
            live = list(self._live)
        for sock in live:  # wakes handlers waiting on an idle keep-alive connection
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        super().server_close()  # closes the listening socket, joins the handler threads

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exception()
        if isinstance(exc, ConnectionError | TimeoutError):
            logger.debug("%s: connection lost: %s", client_address[0], exc)
        else:
            logger.error("error serving %s", client_address[0], exc_info=exc)


def make_server(
    root: Path, *, host: str = "127.0.0.1", port: int = 8000, base_path: str = "/"
) -> FeedServer:
    """A server for the folder `root`, bound (not yet serving) on `host`:`port` (0: any free
    port; see `server.url`).  `base_path` is where `root` appears in URLs ("/feeds/").  The folder
    may not exist yet: it is looked at per request.  ConfigError when it cannot listen."""
    if not 0 <= port <= 65535:
        raise ConfigError(f"port must be between 0 and 65535, got {port}")
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{root} is not a folder")
    base = _base_path(base_path)
    if not _is_loopback(host):
        logger.warning("serving on %s: reachable from other machines", host)
    if not mimetypes.inited:
        mimetypes.init()
    try:
        return FeedServer(root, (host, port), base_path=base)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


def _base_path(value: str) -> str:
    inner = unquote(value).strip().strip("/")
    if not inner:
        return "/"
    if any(part in ("", ".", "..") for part in inner.split("/")):
        raise ConfigError(f"base path must be a plain URL path like '/feeds/', got {value!r}")
    return "/" + quote(inner, safe="/") + "/"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@contextlib.contextmanager
def running(server: FeedServer, *, poll_interval: float = 0.1) -> Iterator[FeedServer]:
    """Serve in a background thread for the duration of the block; then stop, end every
    connection and close the server."""
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": poll_interval},
        name="feedkit-serve",
        daemon=True,
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def serve(server: FeedServer, stop: threading.Event) -> None:
    """Serve until `stop` is set (by a signal handler, or when the scheduler stops), then close.
    A KeyboardInterrupt also closes the server cleanly, and propagates."""
    with running(server):
        logger.info("serving %s at %s", server.root, server.url)
        stop.wait()
