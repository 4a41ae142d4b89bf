"""The preview page as a person sees it: the shipped example published, served by
`feedkit serve`, loaded in headless Chromium (its rendered DOM and a screenshot).

Needs a Chromium binary (Debian's `chromium`; `.ci/run` installs it).  Without one the tests
skip on a developer's machine and fail in CI (CI set), so a missing browser never passes
silently there.  Chromium is driven from its command line (`--dump-dom`, `--screenshot`), each
run bounded by a timeout, with a fresh profile and no traffic but to the loopback server.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest
import requests
from lxml import etree

from feedkit.config import load_config_dir
from feedkit.pipeline import run_once
from feedkit.serve import make_server, running

FEEDS = Path(__file__).resolve().parent.parent / "feeds"
ATOM = "{http://www.w3.org/2005/Atom}"
BROWSER_TIMEOUT = 120  # seconds for one Chromium run (a cold start here takes 1-2 s)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
WINDOW = (1200, 900)
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--mute-audio",
)


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def chromium() -> str:
    found = find_chromium()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("no chromium on PATH: CI must install it (apt-get install -y chromium)")
        pytest.skip("no chromium on PATH (apt-get install chromium to run the browser tests)")
    return found


def run_chromium(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """One headless Chromium run with a fresh profile; fails the test on a non-zero exit."""
    profile.mkdir(parents=True, exist_ok=False)
    try:
        done = subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            timeout=BROWSER_TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:  # run() has killed it by now
        pytest.fail(f"chromium took more than {BROWSER_TIMEOUT} s: {_tail(exc.stderr)}")
    if done.returncode != 0:
        pytest.fail(f"chromium exited with {done.returncode}: {_tail(done.stderr)}")
    return done


def _tail(stderr: bytes | None) -> str:
    lines = (stderr or b"").decode("utf-8", "replace").strip().splitlines()
    return "\n".join(lines[-15:])


@dataclass(frozen=True, slots=True)
class PublishedFeed:
    path: str  # relative to the served root, POSIX
    title: str
    newest_entry: str  # title of the first entry ("" for an empty feed)


@dataclass(frozen=True, slots=True)
class Site:
    url: str  # the index page
    root: Path
    atom_feeds: tuple[PublishedFeed, ...]
    workdir: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The shipped example (feeds/ copied), published by `run_once` and served on 127.0.0.1."""
    work = tmp_path_factory.mktemp("browser")
    shutil.copytree(FEEDS, work / "feeds")
    output = work / "output"
    runs = run_once(load_config_dir(work / "feeds"), output=output, state=work / "state" / "db")
    assert runs
    assert all(not run.report.failed for run in runs), [
        str(p) for r in runs for p in r.report.failed
    ]
    feeds = []
    for path in sorted(output.rglob("*.atom.xml")):
        root = etree.parse(str(path)).getroot()
        first = root.find(f"{ATOM}entry/{ATOM}title")
        feeds.append(
            PublishedFeed(
                path=path.relative_to(output).as_posix(),
                title=" ".join((root.findtext(f"{ATOM}title") or "").split()),
                newest_entry="" if first is None else " ".join((first.text or "").split()),
            )
        )
    assert len(feeds) >= 3, "the example should publish a combined and per-language feeds"
    server = make_server(output, port=0)
    with running(server):
        yield Site(url=server.url, root=output, atom_feeds=tuple(feeds), workdir=work)


@pytest.fixture(scope="module")
def dom(site: Site, chromium: str) -> lxml.html.HtmlElement:
    """The index page's DOM after Chromium loaded and rendered it."""
    done = run_chromium(chromium, site.workdir / "profile-dom", "--dump-dom", site.url)
    text = done.stdout.decode("utf-8")
    assert "<html" in text, _tail(done.stderr)
    return lxml.html.fromstring(text)


def _text(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def test_the_rendered_page_lists_every_published_feed(
    site: Site, dom: lxml.html.HtmlElement
) -> None:
    headings = [_text(h) for h in dom.iterfind(".//article//h3")]
    page_text = _text(dom)
    for feed in site.atom_feeds:
        assert feed.title in headings, f"{feed.path}: {feed.title!r} not among {headings}"
        links = dom.xpath("//a[@href=$href]", href=urlsplit(urljoin(site.url, feed.path)).path)
        assert links, f"no link to {feed.path} in the page"
        if feed.newest_entry:
            assert feed.newest_entry in page_text, f"{feed.path}: newest entry not shown"


def test_the_page_autodiscovers_each_atom_feed_and_every_link_resolves(
    site: Site, dom: lxml.html.HtmlElement
) -> None:
    alternates = dom.xpath("/html/head/link[@rel='alternate'][@type='application/atom+xml']")
    assert len(alternates) == len(site.atom_feeds)
    resolved = sorted(urljoin(site.url, link.get("href")) for link in alternates)
    assert resolved == sorted(urljoin(site.url, feed.path) for feed in site.atom_feeds)
    titles = {link.get("title") for link in alternates}
    with requests.Session() as session:
        session.trust_env = False
        for url in resolved:
            response = session.get(url, timeout=10)
            assert response.status_code == 200, url
            assert response.headers["Content-Type"].startswith("application/atom+xml"), url
            feed_title = etree.fromstring(response.content).findtext(f"{ATOM}title")
            assert any(title and title.startswith(feed_title or "?") for title in titles), url


def test_a_screenshot_of_the_page_is_a_real_picture(
    site: Site, chromium: str, tmp_path: Path
) -> None:
    shot = tmp_path / "index.png"
    run_chromium(
        chromium,
        tmp_path / "profile",
        f"--screenshot={shot}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        site.url,
    )
    data = shot.read_bytes()
    assert data.startswith(PNG_MAGIC)
    assert data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == WINDOW
    # A blank 1200x900 page is about 5 KB, and its pixel rows hold a handful of byte values;
    # this page (text, links, rules) is some 100 KB.
    assert len(data) > 20 * 1024, f"{len(data)} bytes: hardly more than a blank page"
    assert len(set(png_pixel_bytes(data))) > 32, "the picture is (nearly) one colour"


def png_pixel_bytes(data: bytes) -> bytes:
    """The decompressed (still filtered) pixel rows of a PNG: the IDAT chunks inflated."""
    idat, at = b"", len(PNG_MAGIC)
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        if kind == b"IDAT":
            idat += data[at + 8 : at + 8 + length]
        at += 12 + length  # length, type, data, CRC
    return zlib.decompress(idat)
