"""The scan of the commonest article file, in one pass over its text (pure).

`convert` scans every file of a folder, and 10,000 of them must take a fraction of a second
(SPEC 7), so the file everybody writes gets a path of its own: UTF-8 (a BOM and CR LF are
fine), front matter that quickyaml reads without PyYAML (plain or simply quoted values, block
or flow lists) or TOML front matter that quicktoml reads without tomllib, and a date.
`quick_scan` reads such a file into its scanned entries and the warnings they come with (no
source link, a field it ignores) with as little Python as it takes, through the same field
readers, URL, date, id and section functions as
`articles.scan_article`; for any other file it answers None and the caller scans it the long
way, which then reports what there is to report.  `articles.scan_article` tries it first, so
every test of a scan against a full read (tests/test_articles.py, tests/test_fuzz.py) tests it
too.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from feedkit import fields
from feedkit.dates import parse_date
from feedkit.matter import decode_clean_utf8
from feedkit.model import ArticleOptions, Scanned
from feedkit.quickyaml import quick_front_matter
from feedkit.sections import section_langs
from feedkit.urls import UrlRules

_NOT_TEXT = {list, dict, bool, date}  # what title, description or summary may not hold
_DATES = {str, datetime, date}  # a date as text (YAML) or as a value (TOML)
_new = tuple.__new__


def quick_scan(
    data: bytes,
    origin: str,
    *,
    rel: str,
    source: str,
    priority: int,
    options: ArticleOptions,
    rules: UrlRules,
    tz: tzinfo,
) -> tuple[tuple[Scanned, ...], list[str]] | None:
    """The scanned entries of a file of the commonest kind (see the module docstring) and its
    warnings; None for any other file.  `origin` is the file's path as messages show it, `rel`
    its path inside the source folder."""
    text = decode_clean_utf8(data) if len(data) <= options.max_file_size else None
    if text is None:
        return None
    fence = text[:4]
    if fence == "---\n":  # YAML
        end = text.find("\n---\n", 3)  # the closing fence, if no other line before it could be
        if end < 0 or text.find("\n---", 3, end) >= 0 or text.find("\n...", 3, end) >= 0:
            return None  # ("..." is another fence YAML knows)
        front = quick_front_matter(text[4 : end + 1])
    elif fence == "+++\n":  # TOML
        from feedkit.quicktoml import quick_toml  # noqa: PLC0415 - its regexes: 2 ms to compile

        end = text.find("\n+++\n", 3)
        if end < 0 or text.find("\n+++", 3, end) >= 0:
            return None
        front = quick_toml(text[4 : end + 1])
    else:
        return None
    if front is None or ("draft" in front and fields.truthy(front["draft"])):
        return None
    get = front.get
    dated = get("date")
    if type(dated) not in _DATES:
        return None  # undated: a warning, and a date from the file's modification time
    if {type(get("title")), type(get("description")), type(get("summary"))} & _NOT_TEXT:
        return None  # no text for a title: an error
    body = text[end + 5 :]
    try:
        published = updated = parse_date(dated, tz=tz)
        value = front.get("updated")
        if value is not None:
            updated = parse_date(value, tz=tz)  # (a list: a ValueError)
    except ValueError:
        return None
    if updated < published or not body or body.isspace():
        return None
    # The order of the long way's warnings (articles._Reader.scan)
    warnings: list[str] = []
    link = fields.link(front, body, options.source_labels, warnings)
    key, group = fields.identity(front, link, rules, warnings, source=source, rel=rel)
    authors = fields.names(front, ("author", "authors"), warnings, split_commas=False)
    tags = fields.names(front, ("tags", "categories"), warnings, split_commas=True)
    image = fields.image(front, link, warnings)
    codes = fields.langs(front, warnings)
    # (tuple.__new__: a NamedTuple's own __new__ is Python code, and this runs for every section)
    made = tuple(
        [
            _new(
                Scanned,
                (
                    key,
                    lang,
                    published,
                    updated,
                    group,  # "" when the article's id derives from the key
                    link,
                    authors,
                    tags,
                    image,
                    source,
                    priority,
                    origin,
                ),
            )
            for lang in section_langs(body, options.source_labels, langs=codes)
        ]
    )
    return (made, warnings) if made else None  # no text in the body: an error
