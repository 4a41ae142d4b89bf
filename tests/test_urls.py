"""canonical_url and friends: SPEC section 2, "Deduplication by URL"."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedkit.urls import (
    DEFAULT_RULES,
    UrlRules,
    _canonical_parts,
    absolute_http_url,
    canonical_url,
    is_http_url,
)

# Each rule of SPEC 2 as (a, b): two spellings of one page, so one canonical URL.
SAME = [
    ("surrounding whitespace", "  https://x.org/a \n", "https://x.org/a"),
    ("scheme lower case", "HTTPS://x.org/a", "https://x.org/a"),
    ("host lower case", "https://X.Org/a", "https://x.org/a"),
    ("http equals https", "http://x.org/a", "https://x.org/a"),
    ("default port 80", "http://x.org:80/a", "https://x.org/a"),
    ("default port 443", "https://x.org:443/a", "https://x.org/a"),
    ("default port with zeros", "https://x.org:0443/a", "https://x.org/a"),
    ("empty port", "https://x.org:/a", "https://x.org/a"),
    ("userinfo dropped", "https://me:secret@x.org/a", "https://x.org/a"),
    ("fragment dropped", "https://x.org/a#comments", "https://x.org/a"),
    ("utm_* dropped", "https://x.org/a?utm_source=rss&utm_medium=feed", "https://x.org/a"),
    ("fbclid dropped", "https://x.org/a?fbclid=IwAR0", "https://x.org/a"),
    ("gclid dropped", "https://x.org/a?gclid=abc", "https://x.org/a"),
    ("mailchimp dropped", "https://x.org/a?mc_cid=1&mc_eid=2", "https://x.org/a"),
    ("tracking names any case", "https://x.org/a?UTM_Source=x&FBCLID=y", "https://x.org/a"),
    ("tracking among others", "https://x.org/a?id=7&utm_campaign=z", "https://x.org/a?id=7"),
    ("query sorted", "https://x.org/a?b=2&a=1", "https://x.org/a?a=1&b=2"),
    ("repeated names sorted by value", "https://x.org/a?t=b&t=a", "https://x.org/a?t=a&t=b"),
    ("empty pieces dropped", "https://x.org/a?&a=1&&", "https://x.org/a?a=1"),
    ("lone ? dropped", "https://x.org/a?", "https://x.org/a"),
    ("trailing slash", "https://x.org/a/", "https://x.org/a"),
    ("several trailing slashes", "https://x.org/a//", "https://x.org/a"),
    ("root slash", "https://x.org/", "https://x.org"),
    ("trailing slash before query", "https://x.org/a/?q=1", "https://x.org/a?q=1"),
    ("escaped unreserved decoded", "https://x.org/%7euser", "https://x.org/~user"),
    ("escape hex case", "https://x.org/%7Euser", "https://x.org/%7euser"),
    ("escape hex upper case", "https://x.org/a%2fb", "https://x.org/a%2Fb"),
    ("non-ASCII path encoded", "https://x.org/café", "https://x.org/caf%C3%A9"),
    ("lower-case UTF-8 escapes", "https://x.org/caf%c3%a9", "https://x.org/caf%C3%A9"),
    ("space in path", "https://x.org/a b", "https://x.org/a%20b"),
    ("space in query", "https://x.org/?q=a b", "https://x.org/?q=a%20b"),
    ("non-ASCII query", "https://x.org/?q=日本", "https://x.org/?q=%E6%97%A5%E6%9C%AC"),
    ("stray percent", "https://x.org/100%", "https://x.org/100%25"),
    ("dot segments", "https://x.org/a/./b/../c", "https://x.org/a/c"),
    ("escaped dot segments", "https://x.org/a/%2E%2e/c", "https://x.org/c"),
    ("dot segments above root", "https://x.org/../../a", "https://x.org/a"),
    ("IDN host to punycode", "https://café.example/", "https://xn--caf-dma.example/"),
    ("IDN host case", "https://CAFÉ.example/", "https://xn--caf-dma.example/"),
    ("punycode case", "https://XN--CAF-DMA.example/", "https://xn--caf-dma.example/"),
    ("IDN ideographic dot", "https://例え。jp/", "https://例え.jp/"),
    ("escaped host", "https://ex%61mple.org/", "https://example.org/"),
    ("host trailing dot", "https://x.org./a", "https://x.org/a"),
    ("www. equals bare host", "https://www.x.org/a", "https://x.org/a"),
    ("WWW. any case", "https://WWW.x.org/a", "https://x.org/a"),
    ("nested www.", "https://www.www.x.org/a", "https://x.org/a"),
    ("IDNA-rejected word kept", "https://א1.CO.IL/", "https://א1.co.il/"),
    ("IPv6 forms", "http://[2001:DB8:0:0::1]/", "https://[2001:db8::1]/"),
]

# Different pages stay different.
DIFFERENT = [
    ("different paths", "https://x.org/a", "https://x.org/b"),
    ("path case", "https://x.org/A", "https://x.org/a"),
    ("different hosts", "https://x.org/a", "https://y.org/a"),
    ("subdomain", "https://blog.x.org/a", "https://x.org/a"),
    ("non-default port", "https://x.org:8443/a", "https://x.org/a"),
    ("different param values", "https://x.org/?id=1", "https://x.org/?id=2"),
    ("extra non-tracking param", "https://x.org/?id=1&page=2", "https://x.org/?id=1"),
    ("param name case", "https://x.org/?ID=1", "https://x.org/?id=1"),
    ("blank value vs bare name", "https://x.org/?a=", "https://x.org/?a"),
    ("like a tracking name", "https://x.org/?utm=1", "https://x.org/"),
    ("escaped slash", "https://x.org/a%2Fb", "https://x.org/a/b"),
    ("escaped ampersand", "https://x.org/?a=1%262", "https://x.org/?a=1&2"),
    ("plus is not space", "https://x.org/?q=a+b", "https://x.org/?q=a%20b"),
    ("inner empty segment", "https://x.org/a//b", "https://x.org/a/b"),
    ("www.com is a host", "https://www.com/", "https://com/"),
]

# Not an absolute http(s) URL with a valid host.
NOT_URLS = [
    ("empty", ""),
    ("blank", "  \t\n"),
    ("javascript", "javascript:alert(1)"),
    ("mailto", "mailto:someone@x.org"),
    ("ftp", "ftp://x.org/file"),
    ("data", "data:text/html,hi"),
    ("relative path", "/a/b"),
    ("relative name", "a/b.html"),
    ("scheme-relative", "//x.org/a"),
    ("no host", "http:///a"),
    ("host without slashes", "http:x.org"),
    ("garbage", "not a url at all"),
    ("space in host", "http://exa mple.com/"),
    ("port too large", "http://x.org:99999/"),
    ("port not a number", "http://x.org:abc/"),
    ("port zero", "http://x.org:0/"),
    ("huge port", "http://x.org:" + "9" * 5000 + "/"),
    ("unclosed bracket", "http://[::1/"),
    ("bracket in host", "http://x[1].org/"),
    ("not IPv6 in brackets", "http://[x.org]/"),
    ("IPv6 zone", "http://[fe80::1%25eth0]/"),
    ("empty label", "http://x..org/"),
    ("only a dot", "http://./"),
    ("label too long", "http://" + "a" * 64 + ".org/"),
    ("host too long", "http://" + ".".join(["a" * 60] * 5) + "/"),
    ("NUL in host", "http://x\x00.org/"),
    ("escaped slash in host", "http://x%2Forg/"),
    ("surrogate", "http://x.org/\ud800"),
    ("symbol in host", "http://x!.org/"),
    ("fullwidth slash in host", "http://a\uff0fb.org/"),
    ("private-use host", "http://\ue000.org/"),
    ("bad UTF-8 escape in host", "http://%FF.org/"),
]


@pytest.mark.parametrize(("a", "b"), [case[1:] for case in SAME], ids=[c[0] for c in SAME])
def test_spellings_of_one_page_are_one_canonical_url(a: str, b: str) -> None:
    assert canonical_url(a) is not None
    assert canonical_url(a) == canonical_url(b)


@pytest.mark.parametrize(("a", "b"), [c[1:] for c in DIFFERENT], ids=[c[0] for c in DIFFERENT])
def test_different_pages_stay_different(a: str, b: str) -> None:
    assert canonical_url(a) is not None
    assert canonical_url(b) is not None
    assert canonical_url(a) != canonical_url(b)


@pytest.mark.parametrize("url", [c[1] for c in NOT_URLS], ids=[c[0] for c in NOT_URLS])
def test_what_is_not_an_http_url_has_no_canonical_url(url: str) -> None:
    assert canonical_url(url) is None
    assert not is_http_url(url)
    assert absolute_http_url(url) is None


CANONICAL_FORMS = [
    (
        "everything at once",
        "HTTP://me@WWW.Example.ORG:80/a/./b/../c/?z=1&utm_source=x&a=#f",
        "https://example.org/a/c?a=&z=1",
    ),
    ("root", "http://x.org", "https://x.org/"),
    ("non-default port kept", "http://x.org:8080/", "https://x.org:8080/"),
    ("IDN", "http://Bücher.example/Straße", "https://xn--bcher-kva.example/Stra%C3%9Fe"),
]


@pytest.mark.parametrize(
    ("url", "expected"), [c[1:] for c in CANONICAL_FORMS], ids=[c[0] for c in CANONICAL_FORMS]
)
def test_canonical_form(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_www_kept_apart_when_configured() -> None:
    rules = UrlRules(www_equal=False)
    assert canonical_url("https://www.x.org/a", rules) == "https://www.x.org/a"
    assert canonical_url("https://www.x.org/a", rules) != canonical_url("https://x.org/a", rules)


def test_tracking_parameters_are_configurable() -> None:
    rules = UrlRules(tracking=("ref", "pk_*"))
    url = "https://x.org/a?ref=rss&pk_campaign=z&utm_source=x"
    assert canonical_url(url, rules) == "https://x.org/a?utm_source=x"
    assert canonical_url("https://x.org/a?PK_KWD=1", rules) == "https://x.org/a"


def test_default_rules() -> None:
    assert UrlRules() == DEFAULT_RULES
    assert DEFAULT_RULES.www_equal
    assert {"utm_*", "fbclid", "gclid", "mc_cid", "mc_eid"} <= set(DEFAULT_RULES.tracking)


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("https://x.org/a", "", "https://x.org/a"),
        ("  http://x.org/a?utm_source=1 ", "", "http://x.org/a?utm_source=1"),
        ("/b/c", "https://x.org/a/", "https://x.org/b/c"),
        ("c?d=1", "https://x.org/a/b", "https://x.org/a/c?d=1"),
        ("//y.org/p", "https://x.org/", "https://y.org/p"),
        ("https://y.org/p", "https://x.org/", "https://y.org/p"),
        ("/b", "", None),
        ("/b", "file:///tmp/", None),
        ("mailto:a@x.org", "https://x.org/", None),
        ("javascript:void(0)", "https://x.org/", None),
        ("", "", None),
    ],
    ids=[
        "absolute",
        "stripped, not canonicalized",
        "absolute path",
        "relative path",
        "scheme-relative",
        "base ignored",
        "relative without base",
        "non-http base",
        "mailto",
        "javascript",
        "empty",
    ],
)
def test_absolute_http_url(url: str, base: str, expected: str | None) -> None:
    assert absolute_http_url(url, base) == expected


def test_is_http_url() -> None:
    assert is_http_url("http://x.org")
    assert is_http_url("https://例え.jp/パス")
    assert not is_http_url("x.org")


# Properties, over URLs built from parts that exercise every rule.

_schemes = st.sampled_from(["http", "https", "HTTP", "Https"])
_userinfo = st.sampled_from(["", "me@", "me:pw@"])
_label = st.one_of(
    st.sampled_from(["x", "www", "WWW", "blog", "example", "xn--caf-dma", "a-b", "org"]),
    st.text(st.characters(categories=["Ll", "Lu", "Lo", "Nd"]), min_size=1, max_size=8),
)
_hosts = st.builds(
    lambda labels, dot: ".".join(labels) + dot,
    st.lists(_label, min_size=1, max_size=4),
    st.sampled_from(["", "."]),
) | st.sampled_from(["[::1]", "[2001:DB8::1]", "127.0.0.1"])
_ports = st.sampled_from(["", ":", ":80", ":443", ":0443", ":8080"])
_segment = st.one_of(
    st.sampled_from([".", "..", "", "%2e", "%7e", "%7E", "~", "%2F", "%c3%a9", "é", "a b", "%"]),
    st.text(max_size=6),
)
_paths = st.lists(_segment, max_size=5).map(lambda s: "".join("/" + x for x in s))
_names = st.sampled_from(["a", "B", "id", "utm_source", "UTM_Medium", "fbclid", "q", "%7e"])
_params = st.lists(
    st.tuples(_names | st.text(max_size=4), st.sampled_from(["", "=", "=1"]) | st.text(max_size=4)),
    max_size=5,
)
_queries = _params.map(lambda ps: "?" + "&".join(n + v for n, v in ps) if ps else "")
_fragments = st.sampled_from(["", "#", "#top"]) | st.text(max_size=4).map(lambda t: "#" + t)


@st.composite
def _urls(draw: st.DrawFn) -> str:
    parts = (_schemes, _userinfo, _hosts, _ports, _paths, _queries, _fragments)
    scheme, userinfo, host, port, path, query, fragment = (draw(p) for p in parts)
    return f"{scheme}://{userinfo}{host}{port}{path}{query}{fragment}"


def _check_canonical(result: str | None, rules: UrlRules = DEFAULT_RULES) -> None:
    if result is None:
        return
    assert canonical_url(result, rules) == result
    parts = urlsplit(result)
    assert parts.scheme == "https"
    assert parts.hostname


@given(_urls())
def test_canonical_url_is_idempotent(url: str) -> None:
    _check_canonical(canonical_url(url))


@given(_urls())
def test_canonical_url_is_idempotent_without_www_rule(url: str) -> None:
    rules = UrlRules(www_equal=False)
    _check_canonical(canonical_url(url, rules), rules)


@given(st.text())
def test_canonical_url_never_raises(text: str) -> None:
    _check_canonical(canonical_url(text))
    resolved = absolute_http_url(text, "https://x.org/a/")
    assert resolved is None or is_http_url(resolved)
    _check_canonical(canonical_url("http://" + text))
    _check_canonical(canonical_url("https://x.org/" + text))


@given(_urls(), st.text())
def test_absolute_http_url_never_raises(url: str, base: str) -> None:
    result = absolute_http_url(url, base)
    assert result is None or is_http_url(result)


@given(st.data())
def test_query_order_does_not_matter(data: st.DataObject) -> None:
    params = data.draw(st.lists(st.tuples(_names, st.sampled_from(["", "=", "=1", "=x y"]))))
    shuffled = data.draw(st.permutations(params))
    query = "&".join(n + v for n, v in params)
    other = "&".join(n + v for n, v in shuffled)
    assert canonical_url(f"https://x.org/p?{query}") == canonical_url(f"https://x.org/p?{other}")


_PLAIN_HOST = st.from_regex(r"(www\.)?[a-z0-9_-]{1,8}(\.[a-z0-9-]{1,5}){0,3}", fullmatch=True)
_PLAIN_PATH = st.lists(
    st.sampled_from(["", ".", "..", "a", "B-c", "~x", "a.b", "%41", "!$&'()*+,;=:@", "x.."]),
    max_size=5,
).map(lambda segments: "".join("/" + s for s in segments))


@given(st.sampled_from(["http://", "https://"]), _PLAIN_HOST, _PLAIN_PATH)
def test_plain_urls_take_the_short_way_to_the_same_key(scheme: str, host: str, path: str) -> None:
    url = scheme + host + path
    assert canonical_url(url) == _canonical_parts(url, DEFAULT_RULES)


_PLAIN_SEGMENTS = st.lists(st.text(alphabet="az09-._~!$&'()*+,;=:@%", max_size=6), max_size=4)


@given(
    st.sampled_from(["http://a.org", "https://ft.com", "https://x-y.co.uk", "https://www.a.org"]),
    _PLAIN_SEGMENTS.map(lambda segments: "".join(f"/{s}" for s in segments)),
    st.sampled_from(["", "/", "/;", "/a;"]),  # (urljoin drops an empty last parameter)
    st.sampled_from(["https://x.org/a/", "http://ft.com/content/1?q#f", ""]),
)
def test_an_absolute_url_reads_as_urljoin_reads_it_against_any_base(
    origin: str, path: str, end: str, base: str
) -> None:
    """(Most links are read without urljoin: they must come out as it would give them.)"""
    url = origin + path + end
    result = absolute_http_url(url, base)
    assert result is not None
    assert result == urljoin(base, url)
