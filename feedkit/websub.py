"""WebSub (PubSubHubbub) publisher side: tell the configured hub which feed files changed.

A feed planned with `FeedSettings(hub=...)` carries `<link rel="hub">` beside its
`rel="self"` link; a subscriber subscribes to that self URL (the *topic*) at the hub.  After a
run that rewrote some feed files, `changed_topics` maps them to their public URLs and
`ping_hub` notifies the hub, which then fetches each topic and pushes it to its subscribers.

The W3C WebSub Recommendation leaves the publisher-to-hub notification unspecified.  The
convention every public hub accepts comes from PubSubHubbub 0.3 ("new content notification"):
an `application/x-www-form-urlencoded` POST of `hub.mode=publish` and `hub.url=<topic>`,
answered with a 2xx (usually 204 No Content).  Some newer hubs (websubhub.com, several
WebSub-era implementations) name the topic `hub.topic` instead and treat `hub.url` as optional
or legacy.  Each ping therefore sends, in this order:

    hub.mode=publish&hub.url=<topic>&hub.topic=<topic>

Hubs ignore form fields they do not know, so one request suits both families.  One request
per topic (PubSubHubbub 0.3 allowed several `hub.url` fields in one request, but not every
hub does), in the order given, duplicates dropped.

A failed ping never fails the run: the feed files are published either way and readers that
poll still see them.  Every non-2xx answer (a redirect included: POSTs are not followed, since
requests would turn a 301/302 into a GET) and every network error becomes a non-fatal
`Problem` naming the hub, the topic and the status or error.  A topic whose ping failed is not
retried: the hub hears of it again with the next change of that file.
"""

from __future__ import annotations

import http.client
import re
from collections.abc import Sequence
from pathlib import Path

import requests
import urllib3

from feedkit.archive import ARCHIVE_FOLDER
from feedkit.fetch import DEFAULT_USER_AGENT
from feedkit.model import Problem

__all__ = ["FEED_SUFFIXES", "changed_topics", "ping_hub"]

FEED_SUFFIXES = (".atom.xml", ".rss.xml", ".json")  # Atom, RSS 2.0, JSON Feed documents
_ARCHIVE_PAGE = re.compile(r"[0-9]+\.atom\.xml")  # archive/<stem>/<N>.atom.xml
_ERRORS = (
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    OSError,
    ValueError,  # a hub URL requests cannot even parse (LocationValueError, UnicodeError, …)
)


def changed_topics(written: Sequence[Path], output_root: Path, base_url: str) -> list[str]:
    """The public URLs (WebSub topics) of the feed documents among `written`.

    `output_root` is the folder that `base_url` points at: for a configured feed, the feed's
    own output folder (`output/NAME/`), as `FeedSettings.base_url` is there.  A topic is
    `base_url` + the path relative to it, exactly as the planner writes the feed's self link,
    so it matches what subscribers subscribed to.  Only Atom, RSS and JSON Feed documents are
    topics: the OPML list and RFC 5005 archive pages (which carry no hub link and are not
    meant to change) are skipped, as are paths outside `output_root`.  Empty when `base_url`
    is "" (without it a feed has no self link, so there is nothing a subscriber could follow).
    """
    if not base_url:
        return []
    topics: dict[str, None] = {}
    for path in written:
        relative = _relative(path, output_root)
        if relative is None:
            continue
        parts = relative.split("/")
        if not parts[-1].lower().endswith(FEED_SUFFIXES):
            continue
        if len(parts) >= 3 and parts[-3] == ARCHIVE_FOLDER and _ARCHIVE_PAGE.fullmatch(parts[-1]):
            continue
        topics[base_url + relative] = None
    return list(topics)


def _relative(path: Path, root: Path) -> str | None:
    """`path` relative to `root` as a POSIX path, or None when it is not inside `root`."""
    for inner, outer in ((path, root), (path.resolve(), root.resolve())):
        try:
            relative = inner.relative_to(outer).as_posix()
        except ValueError:
            continue
        if relative not in ("", ".") and ".." not in relative.split("/"):
            return relative
    return None


def ping_hub(
    hub: str,
    topics: Sequence[str],
    *,
    session: requests.Session | None = None,
    timeout: float = 10,
) -> list[Problem]:
    """Notify the WebSub hub `hub` that each of `topics` changed; the problems met, as
    warnings (never raises).

    One POST per distinct topic, in order, with feedkit's User-Agent; `timeout` bounds the
    connection and the wait for the hub's answer (seconds; the answer's body is not read).  A
    2xx answer is success; any other answer fails that topic only.  A network error (refused,
    reset, timed out) ends the pings: the hub is not answering, and trying the other topics
    would only multiply the wait, so they are reported as not notified too.  Topics that
    failed the same way make one Problem, naming the first topic and how many more.

    With no `session`, a private one is used and closed (proxies and other settings from the
    environment are ignored, as for feed fetches).  No topics: no request at all."""
    wanted = list(dict.fromkeys(topics))
    if not wanted:
        return []
    own = session is None
    http = session if session is not None else requests.Session()
    if own:
        http.trust_env = False
    failed: dict[str, list[str]] = {}  # failure -> topics, in order of first occurrence
    try:
        for at, topic in enumerate(wanted):
            detail, reachable = _ping(http, hub, topic, timeout)
            if detail is None:
                continue
            if reachable:
                failed.setdefault(detail, []).append(topic)
            else:
                failed.setdefault(detail, []).extend(wanted[at:])
                break
    finally:
        if own:
            http.close()
    return [_problem(hub, missed, detail) for detail, missed in failed.items()]


def _ping(http: requests.Session, hub: str, topic: str, timeout: float) -> tuple[str | None, bool]:
    """(what went wrong or None, whether the hub answered at all)."""
    form = [("hub.mode", "publish"), ("hub.url", topic), ("hub.topic", topic)]
    try:
        response = http.post(
            hub,
            data=form,
            headers={"User-Agent": DEFAULT_USER_AGENT},
            timeout=(timeout, timeout),
            allow_redirects=False,
            stream=True,  # only the status matters: a large or slow body is never waited for
        )
    except _ERRORS as exc:
        return _describe(exc, timeout), False
    with response:
        status, reason = response.status_code, response.reason or ""
        if 200 <= status < 300:
            return None, True
        detail = f"HTTP {status} {reason}".rstrip()
        location = response.headers.get("Location")
        if 300 <= status < 400 and location:
            detail += f" (redirected to {location}: set the hub URL to where it points)"
        return detail, True


def _problem(hub: str, topics: Sequence[str], detail: str) -> Problem:
    more = f" and {len(topics) - 1} more" if len(topics) > 1 else ""
    message = f"WebSub hub not notified of {topics[0]}{more}: {detail}"
    return Problem(where=hub, message=message, fatal=False)


def _describe(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, requests.ConnectTimeout):
        return f"could not connect within {timeout:g} s"
    if isinstance(exc, requests.Timeout | urllib3.exceptions.ReadTimeoutError | TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        kind = "invalid hub URL"
    elif isinstance(exc, requests.exceptions.InvalidSchema):
        kind = "not an http(s) hub URL"
    elif isinstance(exc, requests.ConnectionError | urllib3.exceptions.ProtocolError):
        kind = "connection failed"
    else:
        kind = type(exc).__name__
    for _ in range(10):  # down to the innermost cause: 'Connection refused', not MaxRetryError
        exc = exc.__cause__ or exc.__context__ or exc
    text = exc.strerror if isinstance(exc, OSError) and exc.strerror else " ".join(str(exc).split())
    return f"{kind}: {text}" if text else kind
