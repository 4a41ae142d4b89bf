"""ASCII-safe, predictable path segments for tag and author feeds (pure).

ASCII letters and digits are kept (lower-cased), every other ASCII run becomes one "-", and
each non-ASCII character becomes "u" and its code point in hex, so "人工智能" is
"u4eba-u5de5-u667a-u80fd" and "Café Society" is "caf-ue9-society".  Nothing is
transliterated (which guesses) and nothing is dropped (which loses CJK tags): two different
terms get the same slug only when they differ in case, spacing or punctuation (or, rarely, when
an ASCII word spells a code point: "u4eba" and "人").  A slug longer than MAX_SLUG is cut and
ends in a hash of the whole slug, so two long terms with the same beginning stay apart.
"""

from __future__ import annotations

import hashlib
import unicodedata

MAX_SLUG = 120
_DIGEST = 8  # hex digits of the hash ending a cut slug


def slugify(term: str) -> str:
    """The path segment of a tag or author name; never empty, never '.' or '..'."""
    parts: list[str] = []
    run: list[str] = []
    for ch in unicodedata.normalize("NFC", term.strip()):
        if ch.isascii() and ch.isalnum():
            run.append(ch.lower())
            continue
        if run:
            parts.append("".join(run))
            run = []
        if not ch.isascii() and not ch.isspace() and unicodedata.category(ch)[0] != "Z":
            parts.append(f"u{ord(ch):x}")
    if run:
        parts.append("".join(run))
    slug = "-".join(parts)
    if len(slug) > MAX_SLUG:
        digest = hashlib.sha256(slug.encode("ascii")).hexdigest()[:_DIGEST]
        slug = slug[: MAX_SLUG - _DIGEST - 1].rstrip("-") + "-" + digest
    return slug or "untitled"
