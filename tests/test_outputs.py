"""SPEC 3.1 outputs end to end (issue 5 items 3-5): RSS 2.0, JSON Feed 1.1 and OPML beside the
Atom feeds, tag and author feeds, summary-only content, entry images, RFC 5005 archives and a
WebSub hub link.

Each test writes feeds/news.toml and article files into tmp_path and calls
`feedkit.pipeline.run_once` with a fixed clock (`feedkit.cli.main` for `convert`), then reads every
published file back: every Atom document is checked with `assert_valid_atom` after every run.
"""

from __future__ import annotations

import io
import json
import re
import socket
import textwrap
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from conformance import assert_valid_atom
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from test_render_formats import assert_valid_rss, json_feed_problems

import feedkit.cli
from feedkit.clock import fixed_clock
from feedkit.config import load_config_dir
from feedkit.pipeline import FeedRun, run_once
from feedkit.slug import MAX_SLUG, slugify

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BASE_URL = "https://feeds.example.org/news/"
HUB = "https://hub.example/"
A = "{http://www.w3.org/2005/Atom}"
FH_ARCHIVE = "{http://purl.org/syndication/history/1.0}archive"
CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"
FEEDS = ("all", "zh", "en")  # the combined and language feeds the articles below give

# Five articles: tags and authors in two languages, a tag spelt "AI" and "ai", Unicode terms,
# an image, an entry without a source link, and one article in both languages.
ARTICLES = {
    "ai-en.md": """\
        ---
        title: Machines that learn
        date: 2026-02-01T08:00:00Z
        lang: en
        source: https://example.org/ai-en
        tags: [AI, 人工智能, Café Society]
        authors: [Ann Lee]
        image: https://img.example.org/machines.png
        ---

        Machines that learn are changing how newsrooms work, one story at a time.
        """,
    "ai-zh.md": """\
        ---
        title: 机器学习改变新闻业
        date: 2026-02-02T08:00:00Z
        lang: zh
        source: https://example.org/ai-zh
        tags: [ai, 人工智能]
        authors: [李伟]
        image: https://img.example.org/photo.jpg?w=600
        ---

        机器学习正在改变新闻编辑室的工作方式，一次一个故事。
        """,
    "markets.md": """\
        ---
        title: Markets rally
        date: 2026-02-03T08:00:00Z
        lang: en
        source: https://example.org/markets
        tags: [Markets]
        authors: [Ann Lee, Bob Stone]
        ---

        Markets rallied on Tuesday as investors weighed the outlook for interest rates.
        """,
    "note.md": """\
        ---
        title: A note without a link
        date: 2026-02-04T08:00:00Z
        lang: en
        id: tag:example.org,2026:note
        summary: A short note.
        tags: [ai]
        ---

        The full text of the note, which has no source link anywhere.
        """,
    "bilingual.md": """\
        ---
        date: 2026-02-05T08:00:00Z
        source: https://example.org/bilingual
        tags: [Markets, 市场]
        authors: [李伟]
        ---

        # 股市上涨

        投资者对利率前景感到乐观，股市周二普遍上涨。

        ---

        # Stocks climb

        Investors cheered the outlook for interest rates and stocks rose broadly on Tuesday.
        """,
}

# Every tag and author feed the articles give, with the titles of its entries (newest first).
FACET_FEEDS = {
    "tag/ai/en.atom.xml": ["A note without a link", "Machines that learn"],
    "tag/ai/zh.atom.xml": ["机器学习改变新闻业"],
    "tag/caf-ue9-society/en.atom.xml": ["Machines that learn"],
    "tag/markets/en.atom.xml": ["Stocks climb", "Markets rally"],
    "tag/markets/zh.atom.xml": ["股市上涨"],
    "tag/u4eba-u5de5-u667a-u80fd/en.atom.xml": ["Machines that learn"],
    "tag/u4eba-u5de5-u667a-u80fd/zh.atom.xml": ["机器学习改变新闻业"],
    "tag/u5e02-u573a/en.atom.xml": ["Stocks climb"],
    "tag/u5e02-u573a/zh.atom.xml": ["股市上涨"],
    "author/ann-lee/en.atom.xml": ["Markets rally", "Machines that learn"],
    "author/bob-stone/en.atom.xml": ["Markets rally"],
    "author/u674e-u4f1f/en.atom.xml": ["Stocks climb"],
    "author/u674e-u4f1f/zh.atom.xml": ["股市上涨", "机器学习改变新闻业"],
}


# --- the site: config, articles, runs ------------------------------------------------------------


@dataclass
class Site:
    """feeds/news.toml with an article folder, output/ and a state database in tmp_path, and a
    clock that only moves when a test says so."""

    root: Path
    now: datetime = NOW
    base_url: str = ""  # as configured

    @property
    def articles(self) -> Path:
        return self.root / "feeds" / "articles"

    @property
    def out(self) -> Path:
        return self.root / "output" / "news"

    def configure(self, keys: str = "", *, base_url: str = BASE_URL) -> None:
        """feeds/news.toml: a title, the base URL, `keys` (TOML lines) and the article folder."""
        self.base_url = base_url
        folder = self.root / "feeds"
        folder.mkdir(exist_ok=True)
        head = f'title = "News"\nbase_url = "{base_url}"\n' if base_url else 'title = "News"\n'
        source = '\n[[source]]\nname = "local"\npath = "articles"\n'
        (folder / "news.toml").write_text(head + textwrap.dedent(keys) + source, encoding="utf-8")

    def article(self, name: str, text: str) -> None:
        self.articles.mkdir(parents=True, exist_ok=True)
        (self.articles / name).write_text(textwrap.dedent(text), encoding="utf-8")

    def write_articles(self) -> None:
        for name, text in ARTICLES.items():
            self.article(name, text)

    def run(self, *, after: timedelta = timedelta(0)) -> FeedRun:
        """One `run --once` pass; every Atom document published is checked."""
        self.now += after
        [feed_run] = run_once(
            load_config_dir(self.root / "feeds"),
            output=self.root / "output",
            state=self.root / ".feedkit" / "state.db",
            clock=fixed_clock(self.now),
            rand=lambda: 0.5,
        )
        assert feed_run.report.failed == ()
        for name, data in self.files(".atom.xml").items():
            assert_valid_atom(data, self_url=self.base_url + name if self.base_url else None)
        return feed_run

    def files(self, suffix: str = "") -> dict[str, bytes]:
        """Every published file whose name ends in `suffix`, by path relative to the output
        (not feedkit's hidden list of the files it wrote)."""
        return {
            path.relative_to(self.out).as_posix(): path.read_bytes()
            for path in sorted(self.out.rglob(f"*{suffix}"))
            if path.is_file() and not path.name.startswith(".")
        }

    def read(self, name: str) -> bytes:
        return (self.out / name).read_bytes()


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return Site(root=tmp_path)


# --- reading documents ---------------------------------------------------------------------------


def atom_entries(data: bytes) -> list[etree._Element]:
    return etree.fromstring(data).findall(f"{A}entry")


def atom_titles(data: bytes) -> list[str]:
    return [entry.findtext(f"{A}title") or "" for entry in atom_entries(data)]


def atom_ids(data: bytes) -> list[str]:
    return [entry.findtext(f"{A}id") or "" for entry in atom_entries(data)]


def entry_link(entry: etree._Element, rel: str = "alternate") -> etree._Element | None:
    return entry.find(f"{A}link[@rel='{rel}']")


def feed_links(data: bytes) -> dict[str, list[str]]:
    """The feed-level links of an Atom document: rel -> hrefs."""
    links: dict[str, list[str]] = {}
    for link in etree.fromstring(data).findall(f"{A}link"):
        links.setdefault(link.get("rel", "alternate"), []).append(link.get("href", ""))
    return links


def opml_outlines(data: bytes) -> list[dict[str, str]]:
    root = etree.fromstring(data)
    assert root.tag == "opml"
    assert root.get("version") == "2.0"
    return [dict(outline.attrib) for outline in root.iterfind("body/outline")]


def feed_names(formats: tuple[str, ...] = ("atom.xml", "rss.xml", "json")) -> set[str]:
    return {f"{feed}.{suffix}" for feed in FEEDS for suffix in formats}


def check_formats_agree(files: dict[str, bytes], feed: str, base_url: str) -> None:
    """`feed`'s RSS and JSON documents parse cleanly and hold the Atom document's entries, in
    the same order, with the same ids, titles, links and dates."""
    atom = files[f"{feed}.atom.xml"]
    expected = feedparser.parse(io.BytesIO(atom)).entries
    assert expected, f"{feed}: no entries"

    parsed = assert_valid_rss(files[f"{feed}.rss.xml"])
    assert [e.id for e in parsed.entries] == [e.id for e in expected]
    assert [e.title for e in parsed.entries] == [e.title for e in expected]
    assert [e.get("link") for e in parsed.entries] == [
        None if (link := entry_link(e)) is None else link.get("href") for e in atom_entries(atom)
    ]
    assert [e.published_parsed for e in parsed.entries] == [e.published_parsed for e in expected]
    if base_url:
        assert parsed.feed.links[0].href == base_url  # the channel <link>
        self_links = [x.href for x in parsed.feed.links if x.get("rel") == "self"]
        assert self_links == [f"{base_url}{feed}.rss.xml"]

    doc = json.loads(files[f"{feed}.json"].decode("utf-8"))
    assert json_feed_problems(doc) == []
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert [i["id"] for i in doc["items"]] == [e.id for e in expected]
    assert [i["title"] for i in doc["items"]] == [e.title for e in expected]
    assert [i["date_modified"] for i in doc["items"]] == [
        entry.findtext(f"{A}updated") for entry in atom_entries(atom)
    ]
    assert doc.get("feed_url") == (f"{base_url}{feed}.json" if base_url else None)


def check_opml(files: dict[str, bytes], base_url: str) -> None:
    """feeds.opml lists every feed document published, once, with its title, language and URL
    (absolute with a base URL, else relative to the OPML file), and nothing else."""
    outlines = opml_outlines(files["feeds.opml"])
    listed = [outline["xmlUrl"] for outline in outlines]
    published = [name for name in files if name != "feeds.opml" and "archive/" not in name]
    assert sorted(listed) == sorted(base_url + name for name in published)
    for outline in outlines:
        name = outline["xmlUrl"].removeprefix(base_url)
        atom = files[re.sub(r"\.(rss\.xml|json)$", ".atom.xml", name)]
        root = etree.fromstring(atom)
        title = root.findtext(f"{A}title") or ""
        kind = {".rss.xml": " (RSS)", ".json": " (JSON)"}.get(name[name.find(".") :], "")
        assert outline["type"] == "rss"
        assert outline["text"] == outline["title"] == title + kind
        assert outline.get("language") == root.get("{http://www.w3.org/XML/1998/namespace}lang")
        assert (outline.get("version") == "RSS2") == name.endswith(".rss.xml")
        if base_url:
            assert outline["htmlUrl"] == base_url


# --- formats: Atom, RSS 2.0, JSON Feed 1.1, OPML ------------------------------------------------


def test_every_feed_is_written_in_every_configured_format(site: Site) -> None:
    site.write_articles()
    site.configure('formats = ["atom", "rss", "json"]\n')

    site.run()

    files = site.files()
    assert set(files) == feed_names() | {"feeds.opml"}
    for feed in FEEDS:
        check_formats_agree(files, feed, BASE_URL)
    check_opml(files, BASE_URL)
    assert len(opml_outlines(files["feeds.opml"])) == 9


def test_default_format_is_atom_alone_with_its_opml_list(site: Site) -> None:
    site.write_articles()
    site.configure()

    site.run()

    files = site.files()
    assert set(files) == feed_names(("atom.xml",)) | {"feeds.opml"}
    check_opml(files, BASE_URL)


def test_a_second_run_with_nothing_changed_writes_no_format(site: Site) -> None:
    site.write_articles()
    site.configure('formats = ["rss", "json"]\ntag_feeds = true\nauthor_feeds = true\n')
    first = site.run()
    assert len(first.report.written) == len(site.files())

    again = site.run(after=timedelta(hours=1))

    assert again.report.written == ()


@pytest.mark.parametrize("base_url", [BASE_URL, ""], ids=["base-url", "no-base-url"])
def test_convert_writes_every_format_and_the_opml_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], base_url: str
) -> None:
    site = Site(root=tmp_path)
    site.write_articles()
    out = tmp_path / "out"
    argv = ["convert", str(site.articles), "-o", str(out), "--format", "atom, RSS,json"]
    argv += ["--title", "News", *(["--base-url", base_url] if base_url else [])]

    code = feedkit.cli.main(argv)

    stdout, stderr = capsys.readouterr()
    assert (code, stderr) == (0, "")
    assert sorted(stdout.splitlines()) == sorted(
        str(out / n) for n in feed_names() | {"feeds.opml"}
    )
    files = {p.name: p.read_bytes() for p in out.iterdir() if not p.name.startswith(".")}
    for name, data in files.items():
        if name.endswith(".atom.xml"):
            assert_valid_atom(data, self_url=base_url + name if base_url else None)
    for feed in FEEDS:
        check_formats_agree(files, feed, base_url)
    check_opml(files, base_url)


@pytest.mark.parametrize("value", ["xml", "atom,xml", "rss;json"])
def test_convert_with_an_unknown_format_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    site = Site(root=tmp_path)
    site.write_articles()
    out = tmp_path / "out"

    code = feedkit.cli.main(["convert", str(site.articles), "-o", str(out), "--format", value])

    stdout, stderr = capsys.readouterr()
    assert (code, stdout) == (2, "")
    [line] = stderr.splitlines()
    assert line.startswith("feedkit: error: --format: unknown format ")
    assert not out.exists()


# --- tag and author feeds ------------------------------------------------------------------------


def test_tag_and_author_feeds_hold_exactly_the_entries_carrying_the_term(site: Site) -> None:
    site.write_articles()
    site.configure("tag_feeds = true\nauthor_feeds = true\n")

    site.run()  # every document, tag and author feeds too, conforms with its own self URL

    files = site.files(".atom.xml")
    facets = {name: atom_titles(data) for name, data in files.items() if "/" in name}
    assert facets == FACET_FEEDS
    check_opml(site.files(), BASE_URL)  # listed beside the language feeds


def test_facet_feeds_agree_with_the_categories_and_authors_of_the_language_feeds(
    site: Site,
) -> None:
    """The same law as the table above, derived from the language feeds: a tag feed holds every
    entry of its language whose categories include a term with its slug, and nothing else."""
    site.write_articles()
    site.configure("tag_feeds = true\nauthor_feeds = true\n")
    site.run()
    files = site.files(".atom.xml")

    expected: dict[str, list[str]] = {}
    for lang in ("zh", "en"):
        for entry in atom_entries(files[f"{lang}.atom.xml"]):
            entry_id = entry.findtext(f"{A}id") or ""
            terms = {
                "tag": [c.get("term", "") for c in entry.findall(f"{A}category")],
                "author": [a.findtext(f"{A}name") or "" for a in entry.findall(f"{A}author")],
            }
            for kind, names in terms.items():
                for slug in dict.fromkeys(slugify(name) for name in names):
                    expected.setdefault(f"{kind}/{slug}/{lang}.atom.xml", []).append(entry_id)
    actual = {name: atom_ids(data) for name, data in files.items() if "/" in name}
    assert actual == expected


def test_unicode_terms_are_kept_and_their_paths_are_ascii(site: Site) -> None:
    site.write_articles()
    site.configure("tag_feeds = true\nauthor_feeds = true\n")
    site.run()

    data = site.read("tag/u4eba-u5de5-u667a-u80fd/zh.atom.xml")
    root = etree.fromstring(data)
    assert root.findtext(f"{A}title") == "News (zh) · 人工智能"
    [entry] = atom_entries(data)
    assert [c.get("term") for c in entry.findall(f"{A}category")] == ["ai", "人工智能"]
    cafe = etree.fromstring(site.read("tag/caf-ue9-society/en.atom.xml"))
    assert cafe.findtext(f"{A}title") == "News (en) · Café Society"
    author = etree.fromstring(site.read("author/u674e-u4f1f/zh.atom.xml"))
    assert author.findtext(f"{A}title") == "News (zh) · 李伟"
    for name in site.files():
        assert re.fullmatch(r"[a-z0-9./-]+", name), name


def test_tags_differing_only_in_case_share_one_feed(site: Site) -> None:
    site.write_articles()
    site.configure("tag_feeds = true\n")
    site.run()

    folders = {name.split("/")[1] for name in site.files() if name.startswith("tag/")}
    assert folders == {"ai", "caf-ue9-society", "markets", "u4eba-u5de5-u667a-u80fd", "u5e02-u573a"}
    en = etree.fromstring(site.read("tag/ai/en.atom.xml"))
    # "ai" (the note) is newer than "AI": the feed is titled with the newest spelling
    assert en.findtext(f"{A}title") == "News (en) · ai"
    terms = [
        [c.get("term") for c in entry.findall(f"{A}category")] for entry in en.findall(f"{A}entry")
    ]
    assert terms == [["ai"], ["AI", "人工智能", "Café Society"]]  # each entry keeps its own


def test_tag_feed_id_without_base_url_survives_a_new_spelling(site: Site) -> None:
    site.article("ai-en.md", ARTICLES["ai-en.md"])
    site.configure("tag_feeds = true\n", base_url="")
    site.run()
    before = etree.fromstring(site.read("tag/ai/en.atom.xml"))
    assert before.findtext(f"{A}title") == "News (en) · AI"

    site.article("note.md", ARTICLES["note.md"])  # newer, and spells the tag "ai"
    site.run(after=timedelta(hours=1))

    after = etree.fromstring(site.read("tag/ai/en.atom.xml"))
    assert after.findtext(f"{A}title") == "News (en) · ai"
    assert after.findtext(f"{A}id") == before.findtext(f"{A}id")
    assert (after.findtext(f"{A}id") or "").startswith("urn:uuid:")


def test_facet_feeds_are_off_by_default(site: Site) -> None:
    site.write_articles()
    site.configure()
    site.run()
    assert not (site.out / "tag").exists()
    assert not (site.out / "author").exists()


def test_a_tag_dropped_from_its_only_article_leaves_no_stale_feed(site: Site) -> None:
    site.write_articles()
    site.configure("tag_feeds = true\n")
    site.run()
    assert (site.out / "tag/caf-ue9-society/en.atom.xml").exists()

    site.article("ai-en.md", ARTICLES["ai-en.md"].replace(", Café Society", ""))
    site.run(after=timedelta(hours=1))

    stale = site.out / "tag/caf-ue9-society/en.atom.xml"
    assert not stale.exists() or atom_entries(stale.read_bytes()) == []


# --- slugs ---------------------------------------------------------------------------------------

# term -> slug: ASCII words lower-cased, other ASCII runs one "-", other characters "u<hex>".
SLUGS = {
    "AI": "ai",
    "ai": "ai",
    "Machine Learning": "machine-learning",
    "  padded\tterm\n": "padded-term",
    "C++": "c",
    "node.js": "node-js",
    "2024": "2024",
    "人工智能": "u4eba-u5de5-u667a-u80fd",
    "人工 智能": "u4eba-u5de5-u667a-u80fd",
    "中\u3000文": "u4e2d-u6587",  # ideographic space: a separator, not a character
    "Café Society": "caf-ue9-society",
    "Cafe\u0301 Society": "caf-ue9-society",  # decomposed é: the same term
    "ＡＩ": "uff21-uff29",  # full-width letters are not folded to ASCII
    "Ünïcode": "udc-n-uef-code",
    "😀": "u1f600",
    "李伟": "u674e-u4f1f",
    "../etc/passwd": "etc-passwd",
    "a/b\\c": "a-b-c",
    ".": "untitled",
    "..": "untitled",
    "": "untitled",
    " ": "untitled",
    "---": "untitled",
    "x" * MAX_SLUG: "x" * MAX_SLUG,
}
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@pytest.mark.parametrize(("term", "slug"), SLUGS.items(), ids=[repr(t) for t in SLUGS])
def test_slugify(term: str, slug: str) -> None:
    assert slugify(term) == slug


def test_long_terms_with_the_same_beginning_get_different_slugs() -> None:
    first, second = "x" * 200 + "a", "x" * 200 + "b"
    slugs = {slugify(first), slugify(second)}
    assert len(slugs) == 2
    for slug in slugs:
        assert len(slug) == MAX_SLUG
        assert slug.startswith("x" * 100)
        assert SLUG.fullmatch(slug)
    assert slugify("X" * 200 + "A") == slugify(first)  # case still does not matter
    assert slugify("人" * 30) != slugify("人" * 31)


@given(st.text())
def test_slug_is_always_a_safe_path_segment(term: str) -> None:
    slug = slugify(term)
    assert slug == "untitled" or SLUG.fullmatch(slug)
    assert slug not in (".", "..")
    assert 1 <= len(slug) <= MAX_SLUG
    assert slugify(term) == slug  # deterministic


@given(st.text())
def test_slug_ignores_unicode_normalization_form(term: str) -> None:
    assert slugify(unicodedata.normalize("NFD", term)) == slugify(term)


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_slug_ignores_ascii_case(term: str) -> None:
    assert slugify(term.upper()) == slugify(term.lower()) == slugify(term)


# --- summary-only content -----------------------------------------------------------------------


def test_summary_mode_leaves_content_out_where_each_format_allows(site: Site) -> None:
    site.write_articles()
    site.configure('content = "summary"\nformats = ["atom", "rss", "json"]\n')

    site.run()  # Atom entries without content still conform: each has a summary and a link

    for feed in FEEDS:
        for entry in atom_entries(site.read(f"{feed}.atom.xml")):
            title = entry.findtext(f"{A}title")
            assert entry.findtext(f"{A}summary"), title
            if entry_link(entry) is None:  # Atom requires content without an alternate link
                assert entry.find(f"{A}content") is not None, title
            else:
                assert entry.find(f"{A}content") is None, title
        rss = etree.fromstring(site.read(f"{feed}.rss.xml"))
        assert rss.findall(f"channel/item/{CONTENT_ENCODED}") == []
        assert all(item.findtext("description") for item in rss.iterfind("channel/item"))
        doc = json.loads(site.read(f"{feed}.json"))
        assert json_feed_problems(doc) == []
        for item in doc["items"]:
            assert "content_html" not in item, item["title"]
            assert item["content_text"] == item["summary"], item["title"]
    note = [e for e in atom_entries(site.read("en.atom.xml")) if entry_link(e) is None]
    assert [e.findtext(f"{A}title") for e in note] == ["A note without a link"]
    assert "has no source link anywhere" in (note[0].findtext(f"{A}content") or "")


def test_full_content_is_the_default_in_every_format(site: Site) -> None:
    site.write_articles()
    site.configure('formats = ["atom", "rss", "json"]\n')

    site.run()

    for feed in FEEDS:
        entries = atom_entries(site.read(f"{feed}.atom.xml"))
        assert all(entry.findtext(f"{A}content") for entry in entries)
        rss = etree.fromstring(site.read(f"{feed}.rss.xml"))
        items = rss.findall("channel/item")
        assert [bool(item.findtext(CONTENT_ENCODED)) for item in items] == [True] * len(entries)
        doc = json.loads(site.read(f"{feed}.json"))
        assert all(item["content_html"] and "content_text" not in item for item in doc["items"])


# --- images --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("feed", "title", "url", "kind"),
    [
        ("en", "Machines that learn", "https://img.example.org/machines.png", "image/png"),
        ("zh", "机器学习改变新闻业", "https://img.example.org/photo.jpg?w=600", "image/jpeg"),
    ],
    ids=["png", "jpeg-with-query"],
)
def test_front_matter_image_is_an_enclosure_and_a_json_image(
    site: Site, feed: str, title: str, url: str, kind: str
) -> None:
    site.write_articles()
    site.configure('formats = ["atom", "rss", "json"]\n')
    site.run()

    [entry] = [
        e for e in atom_entries(site.read(f"{feed}.atom.xml")) if e.findtext(f"{A}title") == title
    ]
    enclosure = entry_link(entry, "enclosure")
    assert enclosure is not None
    assert (enclosure.get("href"), enclosure.get("type")) == (url, kind)
    assert len(entry.findall(f"{A}link[@rel='alternate']")) == 1

    rss = etree.fromstring(site.read(f"{feed}.rss.xml"))
    [item] = [i for i in rss.iterfind("channel/item") if i.findtext("title") == title]
    [rss_enclosure] = item.findall("enclosure")
    assert dict(rss_enclosure.attrib) == {"url": url, "type": kind, "length": "0"}

    doc = json.loads(site.read(f"{feed}.json"))
    [json_item] = [i for i in doc["items"] if i["title"] == title]
    assert json_item["image"] == url


def test_entries_without_an_image_have_no_enclosure(site: Site) -> None:
    site.write_articles()
    site.configure('formats = ["atom", "rss", "json"]\n')
    site.run()

    for entry in atom_entries(site.read("en.atom.xml")):
        if entry.findtext(f"{A}title") != "Machines that learn":
            assert entry_link(entry, "enclosure") is None
    rss = etree.fromstring(site.read("en.rss.xml"))
    assert len(rss.findall("channel/item/enclosure")) == 1
    doc = json.loads(site.read("en.json"))
    assert [i["title"] for i in doc["items"] if "image" in i] == ["Machines that learn"]


# --- RFC 5005 archives ---------------------------------------------------------------------------

ARCHIVE_PAGE = 50  # FeedSettings.archive_page_size: not configurable in feeds/*.toml


def dated_article(n: int) -> str:
    """Article number n, published n days after 2025-01-01 (a higher number is newer)."""
    date = datetime(2025, 1, 1, 8, 0, tzinfo=UTC) + timedelta(days=n)
    return (
        f"---\ntitle: Story {n}\ndate: {date.isoformat()}\nlang: en\n"
        f"source: https://example.org/story/{n}\n---\n\nThe text of story number {n}.\n"
    )


def walk_archives(site: Site, feed: str) -> list[tuple[str, list[str]]]:
    """(document, entry titles) from the subscription document `feed` along `prev-archive`."""
    seen: list[tuple[str, list[str]]] = []
    name = feed
    while True:
        data = site.read(name)
        seen.append((name, atom_titles(data)))
        prev = feed_links(data).get("prev-archive", [])
        if not prev:
            return seen
        [href] = prev
        assert href.startswith(BASE_URL)
        name = href.removeprefix(BASE_URL)
        assert name not in [doc for doc, _ in seen], f"{name}: a prev-archive loop"


@pytest.fixture
def archived(site: Site) -> Site:
    """60 English articles, max_entries 3: a subscription document of 3 entries, a full page 1
    of the oldest 50, and a page 2 holding the 7 between."""
    for n in range(60):
        site.article(f"story-{n:03}.md", dated_article(n))
    site.configure(f'archive = true\nmax_entries = 3\nhub = "{HUB}"\nformats = ["atom", "rss"]\n')
    site.run()
    return site


def test_archives_lead_from_the_subscription_feed_back_to_the_oldest_entry(
    archived: Site,
) -> None:
    for feed, folder in (("en.atom.xml", "archive/en"), ("all.atom.xml", "archive/all")):
        walk = walk_archives(archived, feed)
        assert [name for name, _ in walk] == [feed, f"{folder}/2.atom.xml", f"{folder}/1.atom.xml"]
        assert [len(titles) for _, titles in walk] == [3, 7, ARCHIVE_PAGE]
        every = [title for _, titles in walk for title in titles]
        assert every == [f"Story {n}" for n in reversed(range(60))]  # each once, newest first


def test_archive_documents_conform_and_only_pages_are_marked_archive(archived: Site) -> None:
    atom = archived.files(".atom.xml")
    assert sorted(atom) == [
        "all.atom.xml",
        "archive/all/1.atom.xml",
        "archive/all/2.atom.xml",
        "archive/en/1.atom.xml",
        "archive/en/2.atom.xml",
        "en.atom.xml",
    ]
    for name, data in atom.items():
        assert_valid_atom(data, self_url=BASE_URL + name)
        root = etree.fromstring(data)
        links = feed_links(data)
        if name.startswith("archive/"):
            assert root.find(FH_ARCHIVE) is not None, name
            assert links["current"] == [BASE_URL + name.split("/")[1] + ".atom.xml"]
            assert "hub" not in links
        else:
            assert root.find(FH_ARCHIVE) is None, name
            assert "current" not in links
            assert links["hub"] == [HUB]
    page_1, page_2 = (feed_links(atom[f"archive/en/{n}.atom.xml"]) for n in (1, 2))
    assert page_1["next-archive"] == [BASE_URL + "archive/en/2.atom.xml"]
    assert "prev-archive" not in page_1
    assert page_2["prev-archive"] == [BASE_URL + "archive/en/1.atom.xml"]
    assert "next-archive" not in page_2  # no page 3 yet: no dangling link


def test_rss_and_opml_cover_the_subscription_documents_only(archived: Site) -> None:
    files = archived.files()
    assert sorted(name for name in files if not name.endswith(".atom.xml")) == [
        "all.rss.xml",
        "en.rss.xml",
        "feeds.opml",
    ]
    for feed in ("all", "en"):
        rss = assert_valid_rss(files[f"{feed}.rss.xml"])
        assert [e.title for e in rss.entries] == ["Story 59", "Story 58", "Story 57"]
    urls = [outline["xmlUrl"] for outline in opml_outlines(files["feeds.opml"])]
    assert sorted(urls) == sorted(
        BASE_URL + n for n in ("all.atom.xml", "all.rss.xml", "en.atom.xml", "en.rss.xml")
    )


def test_a_newer_article_leaves_full_archive_pages_untouched(archived: Site) -> None:
    before = archived.files(".atom.xml")
    stamps = {p: (archived.out / p).stat().st_mtime_ns for p in before}

    archived.article("story-060.md", dated_article(60))
    run = archived.run(after=timedelta(hours=1))

    after = archived.files(".atom.xml")
    full = "archive/en/1.atom.xml"
    assert after[full] == before[full]
    assert (archived.out / full).stat().st_mtime_ns == stamps[full]
    assert archived.out / full not in run.report.written
    assert atom_titles(after["en.atom.xml"]) == ["Story 60", "Story 59", "Story 58"]
    assert atom_titles(after["archive/en/2.atom.xml"]) == [f"Story {n}" for n in range(57, 49, -1)]
    every = [title for _, titles in walk_archives(archived, "en.atom.xml") for title in titles]
    assert every == [f"Story {n}" for n in reversed(range(61))]


# --- WebSub hub ----------------------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """No name resolves and no connection opens: whatever tries gets an OSError."""

    def unreachable(*args: object, **kwargs: object) -> None:
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "getaddrinfo", unreachable)
    monkeypatch.setattr(socket.socket, "connect", unreachable)


def test_every_subscription_feed_names_the_hub(site: Site, no_network: None) -> None:
    site.write_articles()
    site.configure(f'hub = "{HUB}"\ntag_feeds = true\nauthor_feeds = true\n')

    site.run()

    atom = site.files(".atom.xml")
    assert len(atom) == len(FEEDS) + len(FACET_FEEDS)
    for name, data in atom.items():
        hubs = etree.fromstring(data).findall(f"{A}link[@rel='hub']")
        assert [dict(link.attrib) for link in hubs] == [{"href": HUB, "rel": "hub"}], name


def test_without_a_hub_no_feed_names_one(site: Site) -> None:
    site.write_articles()
    site.configure("tag_feeds = true\n")
    site.run()
    for name, data in site.files(".atom.xml").items():
        assert "hub" not in feed_links(data), name
