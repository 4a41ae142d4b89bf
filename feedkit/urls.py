"""Canonical URLs: the dedupe key for a source link (SPEC section 2), and link checks.

Everything here is pure and never raises on any ``str``: a string that is not an absolute
http(s) URL with a valid host gives ``None`` (or ``False``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from encodings import idna
from functools import lru_cache
from urllib.parse import quote, unquote, urljoin, urlsplit

__all__ = ["DEFAULT_RULES", "UrlRules", "absolute_http_url", "canonical_url", "is_http_url"]

_DEFAULT_TRACKING = (
    "utm_*",  # Google Analytics campaign parameters (utm_source, utm_medium, ...)
    "fbclid",  # Facebook
    "gclid",  # Google Ads
    "dclid",  # Google Display
    "gbraid",  # Google Ads (iOS)
    "wbraid",  # Google Ads (iOS)
    "msclkid",  # Microsoft Ads
    "mc_cid",  # Mailchimp campaign
    "mc_eid",  # Mailchimp subscriber
    "_ga",  # Google Analytics cross-domain
    "_gl",  # Google Analytics cross-domain
    "igshid",  # Instagram
    "yclid",  # Yandex
    "twclid",  # Twitter/X
    "ttclid",  # TikTok
    "mkt_tok",  # Marketo
    "_hsenc",  # HubSpot
    "_hsmi",  # HubSpot
    "oly_anon_id",  # Omeda
    "oly_enc_id",  # Omeda
    "vero_id",  # Vero
    "ref_src",  # Twitter embeds
    "spm",  # Alibaba
)


@dataclass(frozen=True, slots=True, kw_only=True)
class UrlRules:
    """How URLs are compared: which query parameters are tracking, and whether www. counts."""

    # Parameter names (case-insensitive); a name ending in "*" is a prefix.
    tracking: tuple[str, ...] = _DEFAULT_TRACKING
    # "www.example.org" and "example.org" are the same site (the canonical form drops "www.").
    www_equal: bool = True
    # computed once: canonical_url's cache hashes the rules on every call
    _hash: int = field(init=False, repr=False, compare=False, default=0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.tracking, self.www_equal)))

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self) -> tuple[object, tuple[tuple[str, ...], bool]]:
        # rebuilt, not copied: another process hashes strings with another seed
        return _url_rules, (self.tracking, self.www_equal)


def _url_rules(tracking: tuple[str, ...], www_equal: bool) -> UrlRules:
    return UrlRules(tracking=tracking, www_equal=www_equal)


DEFAULT_RULES = UrlRules()

_UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
_SUB_DELIMS = "!$&'()*+,;="
_PATH_CHARS = _UNRESERVED + _SUB_DELIMS + ":@/"
_QUERY_CHARS = _PATH_CHARS + "?"
# An escape, a stray "%", or a run of characters that may not stand literally in the component.
_PATH_TOKEN = re.compile(r"%[0-9A-Fa-f]{2}|%|[^%" + re.escape(_PATH_CHARS) + "]+")
_QUERY_TOKEN = re.compile(r"%[0-9A-Fa-f]{2}|%|[^%" + re.escape(_QUERY_CHARS) + "]+")
_ASCII_LABEL = re.compile(r"[a-z0-9_-]{1,63}")
_PORT = re.compile(r"[0-9]*")
_DEFAULT_PORTS = frozenset({80, 443})
_IDEOGRAPHIC_DOTS = str.maketrans("\u3002\uff0e\uff61", "...")


def canonical_url(url: str, rules: UrlRules = DEFAULT_RULES) -> str | None:
    """The dedupe key of a source link; None when it is not an absolute http(s) URL (see
    `_canonical`).  A plain URL (most source links) is made canonical at once; any other is
    memoized: an article's link is canonicalized for its key and its id."""
    if rules.www_equal and _plain(url):
        host, _, path = url.partition("://")[2].partition("/")
        key = f"https://{host}{('/' + path).rstrip('/') or '/'}"
        return url if key == url else key  # (one string, not two: a scan keeps both)
    return _canonical(url, rules)


# A URL already as plain as a canonical one: http(s), a lower-case ASCII host that is not
# "www.…", no port, userinfo, query or fragment, and a path of characters that need no escaping
# ("%" aside) and no dot segments.  Most source links look like this: `canonical_url` then only
# has to set the scheme and drop a trailing "/".
_PLAIN_URL = re.compile(
    r"https?://(?!www\.)[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})*"
    r"(?:/(?!\.\.?(?:/|$))[A-Za-z0-9\-._~!$&'()*+,;=:@]*)*",
    re.ASCII,
)


_PLAIN_MAX = 253  # characters: a shorter URL cannot hold a host name too long for DNS


def _plain(url: str) -> bool:
    """Whether `url` is as plain as a canonical URL (see _PLAIN_URL)."""
    return len(url) < _PLAIN_MAX and _PLAIN_URL.fullmatch(url) is not None


@lru_cache(maxsize=1 << 14)
def _canonical(url: str, rules: UrlRules) -> str | None:
    """The dedupe key for ``url``: one spelling per page, or None when it is no http(s) URL."""
    return _canonical_parts(url, rules)


def _canonical_parts(url: str, rules: UrlRules) -> str | None:
    """`_canonical` for any string: split, then each part in canonical form."""
    text = url.strip()
    try:
        text.encode("utf-8")  # lone surrogates cannot be percent-encoded
        parts = urlsplit(text)
    except (UnicodeError, ValueError):
        return None
    if parts.scheme not in ("http", "https"):
        return None
    authority = _authority(parts.netloc, rules)
    if authority is None:
        return None
    path = _remove_dot_segments(_normalize_escapes(parts.path, _PATH_TOKEN))
    path = path.rstrip("/") or "/"
    query = _query(parts.query, rules)
    return f"https://{authority}{path}{'?' + query if query else ''}"


_UNSAFE_IN_IRI = re.compile(r'[\x00-\x20\x7f"<>\\^`{|}]+')


def absolute_http_url(url: str, base: str = "") -> str | None:
    """``url`` resolved against ``base``, when it is an absolute http(s) URL: as written, but for
    characters no IRI may hold (spaces, quotes, angle brackets, controls), percent-encoded."""
    if _plain(url) and (not base or ";" not in url):
        return url  # (most links: nothing to resolve, nothing to encode; urljoin would drop
        # the ";" of an empty last parameter)
    try:
        joined = urljoin(base.strip(), url.strip()).strip()
    except ValueError:
        return None
    if canonical_url(joined) is None:
        return None
    return _UNSAFE_IN_IRI.sub(lambda m: quote(m.group(0), safe=""), joined)


def is_http_url(url: str) -> bool:
    """Whether ``url`` is an absolute http(s) URL with a valid host."""
    return canonical_url(url) is not None


def _authority(netloc: str, rules: UrlRules) -> str | None:
    """``host[:port]`` in canonical form (userinfo and default ports dropped), or None."""
    hostport = netloc.rpartition("@")[2]
    if hostport.startswith("["):
        inner, bracket, port = hostport[1:].partition("]")
        if not bracket or (port and not port.startswith(":")):
            return None
        host = _ipv6(inner)
        port = port[1:]
    else:
        raw_host, _, port = hostport.partition(":")
        host = _host(raw_host, rules)
    if host is None or not _PORT.fullmatch(port):
        return None
    if not port:  # "host:" means the default port
        return host
    digits = port.lstrip("0")
    number = int(digits) if 0 < len(digits) <= 5 else 0
    if not 0 < number <= 65535:
        return None
    return host if number in _DEFAULT_PORTS else f"{host}:{number}"


def _ipv6(text: str) -> str | None:
    if "%" in text:  # zone identifiers are meaningless outside one machine
        return None
    try:
        import ipaddress  # noqa: PLC0415 - rare: IPv6 literals

        return f"[{ipaddress.IPv6Address(text).compressed}]"
    except ValueError:
        return None


def _host(text: str, rules: UrlRules) -> str | None:
    """A registered name or IPv4 address, lower case, IDNA (punycode), without the final dot."""
    host = _unquote_host(text).lower().translate(_IDEOGRAPHIC_DOTS)
    names: list[str] = []
    for text_label in host.removesuffix(".").split("."):
        label = _label(text_label)
        if label is None:
            return None
        names.append(label)
    if len(".".join(names)) > 253:
        return None
    if rules.www_equal:
        while len(names) > 2 and names[0] == "www":
            names = names[1:]
    return ".".join(names)


def _label(label: str) -> str | None:
    if len(label) > 63:  # too long for DNS, before or after IDNA
        return None
    if label.isascii():
        return label if _ASCII_LABEL.fullmatch(label) else None
    try:
        ascii_label = idna.ToASCII(label).decode("ascii").lower()
    except UnicodeError:
        # Rejected by IDNA 2003 (e.g. its bidi rule): keep plain words as text, else invalid.
        return label if all(_word_char(char) for char in label) else None
    return ascii_label if _ASCII_LABEL.fullmatch(ascii_label) else None


def _word_char(char: str) -> bool:
    """Letters, digits, combining marks, "-" and "_"."""
    return char.isalnum() or char in "-_" or unicodedata.category(char).startswith("M")


def _unquote_host(text: str) -> str:
    """Decode %XX escapes in a host; bytes that are not UTF-8 become U+FFFD (an invalid host)."""
    return unquote(text, errors="replace") if "%" in text else text


def _normalize_escapes(text: str, token: re.Pattern[str]) -> str:
    """Decode escaped unreserved characters, upper-case other escapes, escape the rest."""
    return token.sub(_normalize_token, text)


def _normalize_token(match: re.Match[str]) -> str:
    token = match.group()
    if token.startswith("%") and len(token) == 3:  # an escape: %XX
        char = chr(int(token[1:], 16))
        return char if char in _UNRESERVED else token.upper()
    return quote(token, safe="")  # UTF-8, upper-case hex


def _remove_dot_segments(path: str) -> str:
    """Resolve "." and ".." segments (RFC 3986 5.2.4) in an absolute or empty path."""
    segments: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            if segments:
                segments.pop()
        elif segment != ".":
            segments.append(segment)
    return "/" + "/".join(segments)


def _query(query: str, rules: UrlRules) -> str:
    """Tracking parameters dropped, the rest normalized and sorted by name, then value."""
    patterns = [pattern.lower() for pattern in rules.tracking]
    prefixes = tuple(pattern[:-1] for pattern in patterns if pattern.endswith("*"))
    names = frozenset(patterns)
    params: list[tuple[str, str, str]] = []
    for piece in query.split("&"):
        if not piece:
            continue
        name, equals, value = piece.partition("=")
        name = _normalize_escapes(name, _QUERY_TOKEN)
        folded = name.lower()
        if folded not in names and not folded.startswith(prefixes):
            params.append((name, equals, _normalize_escapes(value, _QUERY_TOKEN)))
    return "&".join("".join(param) for param in sorted(params))
