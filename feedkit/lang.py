"""The language of a text section, and language tags from front matter and feeds (pure).

`detect_lang` is script-based: it tells Chinese from Japanese from Korean from English, not
English from French.  Texts mix scripts (Latin names inside Chinese sentences, a Chinese name in
parentheses inside English, a stray word of a third script), so scripts are *weighed*:

- a Han or kana character weighs one, as much as one Latin word;
- a word (a run of letters) weighs one in the scripts that put spaces between words: Latin,
  Cyrillic, Greek, Arabic, Hebrew, Devanagari and Hangul;
- Thai puts no spaces between words: three Thai characters weigh one.

The heaviest script wins only with more than half of the total weight; Latin winning, a text
without a clear majority and a text without letters all give the caller's default.  Han and kana
compete together, and the winner is Japanese when kana make up at least a twentieth of them.
Digits, punctuation and Markdown syntax weigh nothing; Markdown link targets, bare URLs, HTML
tags and entities (mostly Latin) are left out when the other scripts fall short of a majority.

It runs on every section of every article, so it reads bytes, not characters: in UTF-8 a
character's lead byte names its script closely enough, one `bytes.translate` turns the text into
one script byte per character, and `bytes.count` does the counting, all in C.
"""

from __future__ import annotations

import re

__all__ = ["SAMPLE_CHARS", "detect_lang", "normalize_lang", "primary_lang"]

# Only the start of a section is read: a few hundred characters settle its script.
SAMPLE_CHARS = 500
# Japanese writes kana between its kanji: even a terse headline has one kana in twenty Han and
# kana characters.
_ONE_KANA_IN = 20
_THAI_CHARS_PER_WORD = 3

# Script bytes, one per character, from its UTF-8 lead byte (the byte that starts it; the
# continuation bytes 0x80-0xBF that follow are dropped).  A lead byte below 0xE0 covers 64 code
# points, one from 0xE0 to 0xEF covers 4,096.  0 is anything not weighed: digits, punctuation,
# symbols, emoji, scripts not listed.
_LATIN, _HAN, _HANGUL = b"l", b"z", b"k"
_U3000, _U0800 = b"c", b"i"  # blocks mixing scripts: the second byte tells them apart
_WORD_SCRIPTS = {_LATIN: "", _HANGUL: "ko", b"r": "ru", b"g": "el", b"h": "he", b"a": "ar"}
_LEADS = {
    # ASCII letters; U+00C0-02BF: Latin-1 letters, Latin Extended-A and -B, IPA
    _LATIN: (*b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", *range(0xC3, 0xCB)),
    b"g": (0xCE, 0xCF),  # U+0380-03FF Greek
    b"r": (*range(0xD0, 0xD5),),  # U+0400-053F Cyrillic and its supplement
    b"h": (0xD6, 0xD7),  # U+0580-05FF Hebrew points and letters
    b"a": (*range(0xD8, 0xDC),),  # U+0600-06FF Arabic
    _U0800: (0xE0,),  # U+0800-0FFF: Devanagari, Thai and other scripts of India and Asia
    _U3000: (0xE3,),  # U+3000-3FFF: CJK punctuation, kana, …
    _HAN: (*range(0xE4, 0xEA),),  # U+4000-9FFF: Han
    _HANGUL: (*range(0xEA, 0xEE),),  # U+A000-DFFF: mostly Hangul syllables
}
_SCRIPT_OF_LEAD = bytes(
    next((script[0] for script, leads in _LEADS.items() if lead in leads), 0) for lead in range(256)
)
_CONTINUATION = bytes(range(0x80, 0xC0))
# The bytes to drop to see whether anything but Latin letters, digits and punctuation is there.
_NOT_FOREIGN = bytes(byte for byte in range(256) if _SCRIPT_OF_LEAD[byte] in {0, _LATIN[0]})
# Kana are U+3040-30FF: lead byte 0xE3, then 0x81-0x83.  Keeping only 0xE3 ("c") and the
# continuation bytes (0x81-0x83 as "k", the rest as ".") puts each 0xE3 right before its own
# second byte, so every kana reads "ck".  The middle dot U+30FB, which Chinese transliterated
# names use, is not counted.
_KANA_MARKS = bytes(
    ord("c") if byte == 0xE3 else ord("k") if 0x81 <= byte <= 0x83 else ord(".")
    for byte in range(256)
)
# One translation, byte for byte, that tells a Han majority and counts kana: each Han
# character becomes "z" and two continuation marks, each letter of another script "o" (kana
# aside), and kana read "ck" as in _KANA_MARKS (every 0xE3 stays right before its own second
# byte); the lead bytes of what is not weighed become spaces.  (Deleting them instead costs
# more than the space they take.)
_MARKS = bytes(
    _HAN[0]
    if script == _HAN[0]
    else _KANA_MARKS[byte]
    if script == _U3000[0] or 0x80 <= byte < 0xC0
    else ord("o")
    if script
    else ord(" ")
    for byte, script in enumerate(_SCRIPT_OF_LEAD)
)
_NOT_KANA_MARKS = bytes(byte for byte in range(256) if byte != 0xE3 and not 0x80 <= byte < 0xC0)
# Thai is U+0E00-0E7F and Devanagari U+0900-097F: lead byte 0xE0, then these.
_THAI = (b"\xe0\xb8", b"\xe0\xb9")
_DEVANAGARI = (b"\xe0\xa4", b"\xe0\xa5")
_DEVANAGARI_WORD = re.compile("[\u0900-\u0963\u0971-\u097f]+")
# Keep the letters of the scripts that put spaces between words and turn everything else into
# a space: a word then starts at the start or after a space.
_WORD_LETTERS = bytes(byte if bytes([byte]) in _WORD_SCRIPTS else 0x20 for byte in range(256))

# What is not prose: Markdown link targets, URLs, HTML tags and entities.  Each pattern starts
# with a literal, which the regex engine scans for quickly.
_NOISE = tuple(
    re.compile(pattern)
    for pattern in (
        r"\]\([^)\s]*\)?",
        r"https?://[^\s<>()\[\]]*",
        r"<[A-Za-z/!?][^<>]*>",
        r"&#?[A-Za-z0-9]+;",
    )
)


def detect_lang(text: str, *, default: str = "en") -> str:
    """The language of a text section, as a BCP 47 primary tag ("zh", "ja", "ru", …).

    Latin-script text, text with no clear majority script and text without letters give
    `default`.  Only its first SAMPLE_CHARS characters are read.  See the module docstring for how
    mixed scripts are weighed.
    """
    sample = text[:SAMPLE_CHARS]
    if sample.isascii():  # (known without looking: Python keeps track) Latin letters at most
        return default
    utf8 = sample.encode("utf-8", "replace")  # a lone surrogate becomes "?"
    marks = utf8.translate(_MARKS)
    han = marks.count(_HAN)
    # Han takes three of the marks a character at a time, the other letters one or more each:
    # above a quarter of them, Han outnumbers the rest without counting it.
    if han * 4 > len(marks) or han > marks.count(b"o"):
        # Han outnumbers all other letters (kana aside), so no count of words can outweigh it:
        # the common case of a Chinese section, decided without counting them.  Kana are
        # counted only when there is one ("・" is one of their block).
        kana = marks.count(b"ck") - sample.count("・") if b"ck" in marks else 0
        return _chinese_or_japanese(han, kana)
    if not utf8.translate(None, _NOT_FOREIGN):  # Latin letters, digits, punctuation only
        return default
    scripts = _scripts(utf8)
    weights = _weigh(sample, utf8, scripts)
    lang = _majority(weights)
    if lang is None and weights.keys() - {""}:
        # Link targets, URLs and markup are mostly Latin, so they matter only when the other
        # scripts fall short: then weigh again without them.
        prose = sample
        for pattern in _NOISE:
            prose = pattern.sub(" ", prose)
        if prose != sample:
            prose_utf8 = prose.encode("utf-8", "replace")
            lang = _majority(_weigh(prose, prose_utf8, _scripts(prose_utf8)))
    return lang or default


def _weigh(sample: str, utf8: bytes, scripts: bytes) -> dict[str, float]:
    """Language -> weight of its script in `sample`: "" for Latin, "ja" for kana alone."""
    words = scripts.translate(_WORD_LETTERS)
    weights: dict[str, float] = {
        lang: _count_words(words, script)
        for script, lang in _WORD_SCRIPTS.items()
        if script in words
    }
    if _HAN in scripts:
        weights["zh"] = scripts.count(_HAN)
    if _U3000 in scripts:
        weights["ja"] = _count_kana(sample, utf8)
    if _U0800 in scripts:
        weights["th"] = sum(map(utf8.count, _THAI)) / _THAI_CHARS_PER_WORD
        if any(prefix in utf8 for prefix in _DEVANAGARI):
            weights["hi"] = len(_DEVANAGARI_WORD.findall(sample))
    return {lang: weight for lang, weight in weights.items() if weight}


def _count_kana(sample: str, utf8: bytes) -> int:
    return utf8.translate(_KANA_MARKS, _NOT_KANA_MARKS).count(b"ck") - sample.count("・")


def _scripts(utf8: bytes) -> bytes:
    """One script byte per character of the UTF-8 text."""
    return utf8.translate(_SCRIPT_OF_LEAD, _CONTINUATION)


def _count_words(words: bytes, script: bytes) -> int:
    """How many runs of `script` bytes `words` (letters and spaces) holds."""
    return words.count(b" " + script) + words.startswith(script)


def _majority(weights: dict[str, float]) -> str | None:
    """The language whose script weighs more than half of all, or None (Latin, or no majority)."""
    # Han and kana are one competitor: written Chinese or written Japanese.
    leader, top = "zh", weights.get("zh", 0.0) + weights.get("ja", 0.0)
    for lang, weight in weights.items():
        if lang not in {"zh", "ja", ""} and weight > top:
            leader, top = lang, weight
    if top * 2 <= sum(weights.values()):
        return None
    if leader == "zh":
        return _chinese_or_japanese(weights.get("zh", 0.0), weights.get("ja", 0.0))
    return leader


def _chinese_or_japanese(han: float, kana: float) -> str:
    return "ja" if kana * _ONE_KANA_IN >= han + kana else "zh"


# Language names people write in front matter instead of a tag; 2-letter codes they invent
# ("cn", "jp" are no ISO 639 language); 3-letter ISO 639-2 codes whose canonical tag is shorter.
_NAMES = {
    "chinese": "zh",
    "中文": "zh",
    "汉语": "zh",
    "漢語": "zh",
    "简体中文": "zh-Hans",
    "繁體中文": "zh-Hant",
    "cn": "zh",
    "english": "en",
    "英文": "en",
    "英语": "en",
    "英語": "en",
    "japanese": "ja",
    "日本語": "ja",
    "日语": "ja",
    "jp": "ja",
    "korean": "ko",
    "한국어": "ko",
    "russian": "ru",
    "русский": "ru",
    "french": "fr",
    "français": "fr",
    "german": "de",
    "deutsch": "de",
    "spanish": "es",
    "español": "es",
}
_ISO639_2 = {
    "zho": "zh",
    "chi": "zh",
    "eng": "en",
    "jpn": "ja",
    "kor": "ko",
    "rus": "ru",
    "fra": "fr",
    "fre": "fr",
    "deu": "de",
    "ger": "de",
    "spa": "es",
}

# RFC 5646 well-formed tags (lower case), limited to 2-3 letter primary language subtags.
_TAG = re.compile(
    r"""
    [a-z]{2,3}(?:-[a-z]{3}){0,3}              # language, extended language
    (?:-[a-z]{4})?                            # script
    (?:-(?:[a-z]{2}|[0-9]{3}))?               # region
    (?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*  # variants
    (?:-[0-9a-wyz](?:-[a-z0-9]{2,8})+)*       # extensions
    (?:-x(?:-[a-z0-9]{1,8})+)?                # private use
    """,
    re.VERBOSE | re.ASCII,
)


# fmt: off
# ISO 639-1: the two-letter primary language subtags of the IANA Language Subtag Registry
# (RFC 5646 §2.2.1), deprecated ones (in, iw, ji, jw, mo, sh, bh) included: still registered.
# A tag like "xx", "cn" or "jp" is well-formed but not valid BCP 47.
ISO639_1 = frozenset({
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bh",
    "bi", "bm", "bn", "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da",
    "de", "dv", "dz", "ee", "el", "en", "eo", "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr",
    "fy", "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he", "hi", "ho", "hr", "ht", "hu", "hy", "hz",
    "ia", "id", "ie", "ig", "ii", "ik", "in", "io", "is", "it", "iu", "iw", "ja", "ji", "jv", "jw",
    "ka", "kg", "ki", "kj", "kk", "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw", "ky", "la",
    "lb", "lg", "li", "ln", "lo", "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mo", "mr",
    "ms", "mt", "my", "na", "nb", "nd", "ne", "ng", "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj",
    "om", "or", "os", "pa", "pi", "pl", "ps", "pt", "qu", "rm", "rn", "ro", "ru", "rw", "sa", "sc",
    "sd", "se", "sg", "sh", "si", "sk", "sl", "sm", "sn", "so", "sq", "sr", "ss", "st", "su", "sv",
    "sw", "ta", "te", "tg", "th", "ti", "tk", "tl", "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug",
    "uk", "ur", "uz", "ve", "vi", "vo", "wa", "wo", "xh", "yi", "yo", "za", "zh", "zu"
})
# fmt: on


def normalize_lang(tag: str) -> str | None:
    """A language tag in canonical case ("zh_cn" -> "zh-CN"), or None when it is not one.

    Accepts well-formed BCP 47 tags with a 2-3 letter primary subtag (a two-letter one must be a
    registered ISO 639-1 code; not "und"), underscores for hyphens, surrounding spaces, and a
    few language names ("chinese", "中文", "english").
    """
    if not isinstance(tag, str):  # front matter can hold anything
        return None
    cleaned = tag.strip()
    named = _NAMES.get(cleaned.casefold())
    if named:
        return named
    if not cleaned.isascii():
        return None
    lowered = cleaned.replace("_", "-").lower()
    if not _TAG.fullmatch(lowered):
        return None
    subtags = lowered.split("-")
    primary = _ISO639_2.get(subtags[0], subtags[0])
    if primary == "und" or (len(primary) == 2 and primary not in ISO639_1):
        return None  # well-formed but not a registered language ("xx")
    return "-".join([primary, *_case_subtags(subtags[1:])])


def _case_subtags(subtags: list[str]) -> list[str]:
    """RFC 5646 casing: Script is title case, REGION upper case, the rest lower case."""
    cased: list[str] = []
    for index, subtag in enumerate(subtags):
        if len(subtag) == 1:  # an extension or private use: lower case to the end
            return cased + subtags[index:]
        if len(subtag) == 4 and subtag.isalpha():
            cased.append(subtag.title())
        elif len(subtag) == 2:
            cased.append(subtag.upper())
        else:
            cased.append(subtag)
    return cased


def primary_lang(tag: str) -> str:
    """The primary language subtag, lower case: "zh-CN" -> "zh"."""
    return tag.strip().replace("_", "-").partition("-")[0].lower()
