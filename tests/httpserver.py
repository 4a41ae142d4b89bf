"""A real HTTP/1.1 server on 127.0.0.1 serving scripted routes, for fetch tests.

    with serve_routes({"/feed": Route(body=b"<rss/>")}) as srv:
        fetcher.fetch(srv.url("/feed"))
        assert srv.requests[0].headers["user-agent"].startswith("feedkit/")

Routes may be added or replaced while the server runs (`srv.routes["/x"] = Route(...)`).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass(frozen=True, slots=True)
class Request:
    """One request as the server saw it; header names lower-cased."""

    method: str
    path: str
    headers: dict[str, str]
    client_port: int  # tells connections apart: equal ports mean a kept-alive connection
    body: bytes = b""  # a POST's body (Content-Length delimited); b"" for GET and HEAD


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    """What to answer on one path.

    status/headers/body: the response. `Content-Length` and `Date` are added unless given.
    drip: seconds to wait before each body byte.
    stall_after_headers: send the headers (Content-Length included), then never the body.
    endless: a factory of body chunks, sent without a length (close-delimited) until it ends
        or the client hangs up.
    handler: called with the Request; returns the Route to serve (custom logic).
    """

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    drip: float | None = None
    stall_after_headers: bool = False
    endless: Callable[[], Iterator[bytes]] | None = None
    handler: Callable[[Request], Route] | None = None


def redirect(status: int, location: str) -> Route:
    return Route(status=status, headers=(("Location", location),))


@dataclass(slots=True)
class TestServer:
    __test__ = False  # not a pytest class

    host: str
    port: int
    routes: dict[str, Route]
    requests: list[Request] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)  # set at shutdown

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def requests_to(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_POST(self) -> None:
        length = self.headers.get("Content-Length", "0").strip()
        body = self.rfile.read(int(length)) if length.isdigit() else b""
        self._serve(head=False, body=body)

    def _serve(self, *, head: bool, body: bytes = b"") -> None:
        state = self.server.state
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = Request(self.command, self.path, headers, self.client_address[1], body)
        with self.server.lock:
            state.requests.append(request)
            route = state.routes.get(self.path) or state.routes.get(self.path.partition("?")[0])
        if route is None:
            route = Route(status=404, body=b"not found")
        try:
            while route.handler is not None:
                route = route.handler(request)
            self._answer(route, head=head)
        except OSError:  # the client hung up: fine
            self.close_connection = True

    def _answer(self, route: Route, *, head: bool) -> None:
        stop = self.server.stop
        names = {name.lower() for name, _ in route.headers}
        self.send_response_only(route.status)
        for name, value in route.headers:
            self.send_header(name, value)
        if "date" not in names:
            self.send_header("Date", formatdate(usegmt=True))
        bodyless = head or route.status in (204, 304) or route.status < 200
        if "content-length" not in names and not bodyless and route.endless is None:
            self.send_header("Content-Length", str(len(route.body)))
        if route.endless or route.drip or route.stall_after_headers or "content-length" in names:
            self.send_header("Connection", "close")  # the body may not match what was promised
        self.end_headers()
        if bodyless:
            return
        if route.stall_after_headers:
            stop.wait(60)
        elif route.endless is not None:
            for chunk in route.endless():
                if stop.is_set():
                    break
                self.wfile.write(chunk)
        elif route.drip:
            for i in range(len(route.body)):
                if stop.wait(route.drip):
                    break
                self.wfile.write(route.body[i : i + 1])
        else:
            self.wfile.write(route.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, state: TestServer) -> None:
        self.state = state
        self.lock = threading.Lock()
        self.stop = state.stop
        self.live: dict[socket.socket, threading.Thread] = {}
        super().__init__((state.host, 0), _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # else ~40 ms per response
        return sock, address

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread, args=(request, client_address), daemon=True
        )
        with self.lock:
            self.live[request] = thread
        thread.start()

    def shutdown_request(self, request: Any) -> None:
        with self.lock:
            self.live.pop(request, None)
        super().shutdown_request(request)

    def stop_all(self) -> None:
        """Stop serving, wake every handler (dripping, stalled or idle on keep-alive), join."""
        self.stop.set()
        self.shutdown()
        with self.lock:
            live = list(self.live.items())
        for sock, _ in live:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for _, thread in live:
            thread.join(timeout=5)
        self.server_close()


@contextlib.contextmanager
def serve_routes(routes: Mapping[str, Route] | None = None) -> Iterator[TestServer]:
    """Run a server on 127.0.0.1 on a free port for the duration of the block."""
    state = TestServer(host="127.0.0.1", port=0, routes=dict(routes or {}))
    server = _Server(state)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.daemon = True
    thread.start()
    try:
        yield state
    finally:
        server.stop_all()
        thread.join(timeout=5)


@pytest.fixture
def http_server() -> Iterator[TestServer]:
    """A running server with no routes yet; tests fill `http_server.routes`."""
    with serve_routes() as server:
        yield server
