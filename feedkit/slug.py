"""ASCII-safe, predictable path segments for tag and author feeds (pure).

ASCII letters and digits are kept (lower-cased), every other ASCII run becomes one "-", and
each non-ASCII character becomes "u" and its code point in hex, so "人工智能" is
"u4eba-u5de5-u667a-u80fd" and "Café Society" is "caf-ue9-society".  Nothing is
transliterated (which guesses) and nothing is dropped (which loses CJK tags): two different
terms get the same slug only when they differ in case or punctuation.
"""

from __future__ import annotations

import unicodedata

MAX_SLUG = 120


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
    slug = "-".join(parts)[:MAX_SLUG].strip("-")
    return slug or "untitled"
