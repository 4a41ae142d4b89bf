"""The Atom checker itself: a valid feed passes, and each small breakage of it is caught."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from conformance import ATOM_NS, assert_valid_atom, atom_problems
from lxml import etree

SELF_URL = "https://example.com/feeds/all.atom.xml"


def html(markup: str) -> str:
    """`markup` escaped the way it sits inside an Atom element of type="html"."""
    return markup.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# A combined-feed entry: each language's version in its own element with a `lang`.
COMBINED_HTML = (
    '<div lang="zh"><p>你好，<a href="https://example.com/zh/">世界</a>。</p></div>'
    '<div lang="en"><p>Hello, <a href="https://example.com/en/">world</a>.</p>'
    '<img src="https://example.com/img/wave.png" alt="wave"/></div>'
)
ZH_HREFLANG = 'hreflang="zh"'

VALID = f"""\
<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>https://example.com/feeds/all.atom.xml</id>
  <title>Example — all languages</title>
  <updated>2024-05-02T08:00:00Z</updated>
  <link href="https://example.com/feeds/all.atom.xml" rel="self"/>
  <link href="https://example.com/" rel="alternate" type="text/html"/>
  <generator uri="https://github.com/feedkit/feedkit">feedkit</generator>
  <author><name>Example Author</name><email>author@example.com</email></author>
  <entry>
    <id>https://example.com/posts/hello</id>
    <title>你好 / Hello</title>
    <updated>2024-05-02T08:00:00Z</updated>
    <published>2024-05-01T10:00:00+02:00</published>
    <link href="https://example.com/posts/hello" rel="alternate" type="text/html"/>
    <link href="https://example.com/zh/posts/hello" type="text/html" {ZH_HREFLANG}/>
    <author><name>张三</name></author>
    <summary>A short greeting in two languages.</summary>
    <content type="html">{html(COMBINED_HTML)}</content>
    <category term="问候"/>
    <category term="greetings" scheme="https://example.com/tags/"/>
  </entry>
  <entry xml:lang="en">
    <id>tag:example.com,2024:remote-1</id>
    <title type="html">Remote &amp;amp; &lt;em&gt;friendly&lt;/em&gt;</title>
    <updated>2024-04-30T12:00:00.250-05:00</updated>
    <published>2024-04-30T12:00:00-05:00</published>
    <link href="https://remote.example.org/posts/1"/>
    <link href="https://remote.example.org/1.mp3" rel="enclosure" type="audio/mpeg" length="1234"/>
    <summary type="html"><![CDATA[<p>A <a href="mailto:me@example.org">note</a></p>]]></summary>
    <source>
      <id>https://remote.example.org/feed.atom</id>
      <title>Remote blog</title>
      <link href="https://remote.example.org/feed.atom" rel="self"/>
      <updated>2024-04-30T18:00:00Z</updated>
      <author><name>Remote Writer</name></author>
    </source>
  </entry>
</feed>
"""


@dataclass(frozen=True, slots=True)
class Replace:
    """Replace `old` (which must occur in the document) with `new`, `count` times (-1: all)."""

    old: str
    new: str
    count: int = 1


@dataclass(frozen=True, slots=True)
class Remove:
    """Remove every element matching `xpath` (prefix `a:` is the Atom namespace)."""

    xpath: str


Mutation = Replace | Remove


def mutate(document: str, mutation: Mutation) -> bytes:
    if isinstance(mutation, Replace):
        assert mutation.old in document, f"mutation target not in document: {mutation.old!r}"
        return document.replace(mutation.old, mutation.new, mutation.count).encode()
    tree = etree.fromstring(document.encode())
    matches = tree.xpath(mutation.xpath, namespaces={"a": ATOM_NS})
    assert matches, f"mutation XPath matches nothing: {mutation.xpath}"
    for el in matches:
        el.getparent().remove(el)
    data: bytes = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    return data


WORLD_LINK = html('<a href="https://example.com/en/">world</a>')
WAVE_IMG = html('<img src="https://example.com/img/wave.png" alt="wave"/>')

# (id, mutation, text the problem must mention)
BROKEN = [
    ("missing-feed-id", Remove("/a:feed/a:id"), "feed: <id> must appear exactly once, missing"),
    ("missing-entry-id", Remove("/a:feed/a:entry[2]/a:id"), "entry 2: <id> must appear exactly"),
    (
        "relative-id",
        Replace("<id>https://example.com/posts/hello</id>", "<id>/posts/hello</id>"),
        "'/posts/hello' is not an absolute IRI (no scheme)",
    ),
    (
        "id-with-whitespace",
        Replace("<id>tag:example.com,2024:remote-1</id>", "<id> tag:example.com,2024:r 1</id>"),
        "is not an absolute IRI (contains whitespace)",
    ),
    (
        "duplicate-entry-ids",
        Replace("tag:example.com,2024:remote-1", "https://example.com/posts/hello"),
        "duplicate entry id 'https://example.com/posts/hello' in entries [1, 2]",
    ),
    (
        "bad-date",
        Replace("<updated>2024-04-30T12:00:00.250-05:00", "<updated>2024-04-30 12:00:00"),
        "<updated> '2024-04-30 12:00:00' is not an RFC 3339 date-time",
    ),
    (
        "impossible-date",
        Replace("<published>2024-05-01T10", "<published>2024-13-01T10"),
        "<published> '2024-13-01T10:00:00+02:00' is not an RFC 3339",
    ),
    (
        "updated-before-published",
        Replace("<published>2024-04-30T12:00:00-05:00", "<published>2024-05-30T12:00:00-05:00"),
        "<updated> 2024-04-30T12:00:00.250000-05:00 is before <published>",
    ),
    (
        "feed-updated-before-entry",
        Replace(
            "<updated>2024-05-02T08:00:00Z</updated>\n  <link",
            "<updated>2024-05-01T00:00:00Z</updated>\n  <link",
        ),
        "feed: <updated> 2024-05-01T00:00:00+00:00 is before entry 1",
    ),
    (
        "two-alternates-same-type",
        Replace(f" {ZH_HREFLANG}", ""),
        "2 <link rel=\"alternate\"> with the same type 'text/html' and hreflang None",
    ),
    (
        "feedgen-style-alternate-duplicates",
        Replace(' rel="enclosure" type="audio/mpeg" length="1234"', ""),
        '2 <link rel="alternate"> with the same type None',
    ),
    ("script-in-content", Replace(WAVE_IMG, html("<script>alert(1)</script>")), "<script>"),
    (
        "onclick",
        Replace(WORLD_LINK, html('<a href="https://example.com/en/" onclick="x()">w</a>')),
        "event-handler attribute onclick='x()' on <a>",
    ),
    (
        "javascript-href",
        Replace(WORLD_LINK, html('<a href="JavaScript:alert(1)">w</a>')),
        "script URL 'JavaScript:alert(1)'",
    ),
    (
        "obfuscated-javascript-href",
        Replace(WORLD_LINK, html('<a href=" java&#x09;script:alert(1)">w</a>')),
        "script URL",
    ),
    (
        "data-html-src",
        Replace(WAVE_IMG, html('<iframe src="data:text/html,hi"></iframe>')),
        "non-image data: URL",
    ),
    (
        "relative-img-src",
        Replace("https://example.com/img/wave.png", "/img/wave.png"),
        "<img src> has a relative URL '/img/wave.png'",
    ),
    (
        "fragment-href",
        Replace('href="https://example.com/en/"', 'href="#top"'),
        "<a href> has a relative URL '#top'",
    ),
    (
        "protocol-relative-src",
        Replace("https://example.com/img/wave.png", "//example.com/img/wave.png"),
        "relative URL '//example.com/img/wave.png'",
    ),
    (
        "relative-url-in-summary",
        Replace("mailto:me@example.org", "contact.html"),
        "entry 2 ('tag:example.com,2024:remote-1') <summary>: <a href> has a relative URL",
    ),
    ("empty-title", Replace("<title>你好 / Hello</title>", "<title> </title>"), "empty <title>"),
    (
        "empty-html-title",
        Replace("Remote &amp;amp; &lt;em&gt;friendly&lt;/em&gt;", "&lt;em&gt;&lt;/em&gt;"),
        "entry 2 ('tag:example.com,2024:remote-1'): empty <title>",
    ),
    (
        "no-author-anywhere",
        Remove("//a:author"),
        "entry 1 ('https://example.com/posts/hello'): no <author>",
    ),
    (
        "author-without-name",
        Replace("<name>Example Author</name>", "<name></name>"),
        "non-empty <name>",
    ),
    (
        "bad-xml-lang",
        Replace('xml:lang="en"', 'xml:lang="en_US"'),
        "xml:lang 'en_US' is not a BCP 47",
    ),
    (
        "bad-html-lang",
        Replace(html('<div lang="zh">'), html('<div lang="chinese simplified">')),
        "lang 'chinese simplified' on <div>",
    ),
    (
        "self-link-mismatch",
        Replace('all.atom.xml" rel="self"', 'en.atom.xml" rel="self"'),
        "does not match",
    ),
    ("self-link-missing", Remove("/a:feed/a:link[@rel='self']"), 'no <link rel="self">'),
    ("not-well-formed", Replace("</feed>", "</fed>"), "not well-formed XML"),
    (
        "rss-root",
        Replace(
            VALID,
            '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>',
        ),
        "root element must be {http://www.w3.org/2005/Atom}feed, got 'rss'",
    ),
    (
        "latin-1",
        Replace("encoding='UTF-8'", "encoding='ISO-8859-1'"),
        "document encoding must be UTF-8",
    ),
    (
        "two-contents",
        Replace('<category term="问候"/>', '<content>again</content><category term="问候"/>'),
        "<content> must appear at most once, 2 times",
    ),
    (
        "two-summaries",
        Replace('<category term="问候"/>', '<summary>again</summary><category term="问候"/>'),
        "<summary> must appear at most once, 2 times",
    ),
    (
        "no-content-no-alternate",
        Replace('<link href="https://remote.example.org/posts/1"/>', ""),
        'without <content> needs a <link rel="alternate">',
    ),
    (
        "html-content-not-escaped",
        Replace(
            ' type="html">&lt;div lang="zh"&gt;', ' type="html"><b>raw</b>&lt;div lang="zh"&gt;'
        ),
        "type='html' must hold escaped text, found <{http://www.w3.org/2005/Atom}b>",
    ),
    (
        "xhtml-without-div",
        Replace(
            "<summary>A short greeting in two languages.</summary>",
            '<summary type="xhtml">loose</summary>',
        ),
        "type='xhtml' must hold exactly one xhtml <div>",
    ),
    (
        "relative-entry-link",
        Replace('<link href="https://remote.example.org/posts/1"/>', '<link href="posts/1"/>'),
        "<link rel='alternate'> href 'posts/1' is not an absolute URL",
    ),
    (
        "unknown-rel",
        Replace('rel="enclosure"', 'rel="attachment"'),
        "rel 'attachment' is neither an IANA relation nor an IRI",
    ),
    ("empty-category-term", Replace('term="问候"', 'term=""'), "<category> needs a non-empty term"),
    (
        "source-without-id-or-title",
        Remove("//a:source/a:id | //a:source/a:title"),
        "<source>: must name its feed with an <id>, or a <title> and a <link>",
    ),
    (
        "unknown-atom-element",
        Replace("</generator>", "</generator><subtitel>typo</subtitel>"),
        "feed: unknown Atom element <subtitel>",
    ),
]

# Variants that must still conform: guards against a checker that is merely strict.
STILL_VALID = [
    (
        "urn-uuid-id",
        Replace(
            "https://example.com/posts/hello</id>",
            "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>",
        ),
    ),
    (
        "nanosecond-fraction-date",
        Replace("2024-05-01T10:00:00+02:00", "2024-05-01T10:00:00.123456789+00:00"),
    ),
    ("region-and-script-lang", Replace('xml:lang="en"', 'xml:lang="zh-Hant-TW"')),
    (
        "data-image-src",
        Replace("https://example.com/img/wave.png", "data:image/png;base64,iVBORw0KGgo="),
    ),
    ("absolute-iri-rel", Replace('rel="enclosure"', 'rel="https://example.com/rels/attachment"')),
    (
        "iana-prefixed-rel",
        Replace('rel="self"', 'rel="http://www.iana.org/assignments/relation/self"'),
    ),
    (
        "xhtml-summary",
        Replace(
            "<summary>A short greeting in two languages.</summary>",
            '<summary type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">'
            '<p>Hi <a href="https://example.com/">there</a></p></div></summary>',
        ),
    ),
    ("feed-level-author-only", Remove("//a:entry/a:author")),
    ("entry-and-source-authors-only", Remove("/a:feed/a:author")),
    ("no-source", Remove("//a:source")),
]


def test_valid_document_conforms() -> None:
    assert atom_problems(VALID.encode(), self_url=SELF_URL) == []
    assert_valid_atom(VALID.encode(), self_url=SELF_URL)


@pytest.mark.parametrize(
    ("mutation", "expected"), [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN]
)
def test_each_violation_is_reported(mutation: Mutation, expected: str) -> None:
    problems = atom_problems(mutate(VALID, mutation), self_url=SELF_URL)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize("mutation", [c[1] for c in STILL_VALID], ids=[c[0] for c in STILL_VALID])
def test_harmless_variants_still_conform(mutation: Mutation) -> None:
    data = mutate(VALID, mutation)
    assert atom_problems(data, self_url=SELF_URL) == []
    assert_valid_atom(data, self_url=SELF_URL)


def test_self_url_is_optional() -> None:
    data = mutate(VALID, Remove("/a:feed/a:link[@rel='self']"))
    assert atom_problems(data) == []


def test_assert_valid_atom_lists_every_problem() -> None:
    data = mutate(VALID, Replace("<title>你好 / Hello</title>", "<title/>"))
    data = data.replace(b"tag:example.com,2024:remote-1", b"remote-1")
    with pytest.raises(AssertionError) as caught:
        assert_valid_atom(data)
    message = str(caught.value)
    assert "empty <title>" in message
    assert "'remote-1' is not an absolute IRI" in message


def test_assert_valid_atom_compares_feedparser_entry_count() -> None:
    # Foreign markup may hold anything, but feedparser reads this nested entry as a real one.
    nested = '<x:archive xmlns:x="urn:x"><entry><id>urn:e</id></entry></x:archive>'
    data = mutate(VALID, Replace("</generator>", f"</generator>{nested}"))
    assert atom_problems(data) == []
    with pytest.raises(AssertionError, match="feedparser sees 3 entries, the XML has 2"):
        assert_valid_atom(data)


def test_assert_valid_atom_rejects_non_atom() -> None:
    with pytest.raises(AssertionError, match="got 'rss'"):
        assert_valid_atom(b'<rss version="2.0"><channel><title>x</title></channel></rss>')


def test_hostile_xml_is_not_expanded() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>&b;</title></feed>'
    )
    problems = atom_problems(bomb)
    assert any("DOCTYPE" in p for p in problems), problems
