"""Front matter fields read the way every reader of an article reads them (pure).

Shared by the full reader (articles.py) and the quick scan (quickscan.py): each function takes
the loaded front matter and a list to add warnings to.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from feedkit.ids import urn_uuid5
from feedkit.lang import normalize_lang, primary_lang
from feedkit.sections import find_source_link
from feedkit.urls import UrlRules, absolute_http_url, canonical_url

PATH_ID_WARNING = (
    "no source link and no 'id'; its id comes from the file's path, "
    "so renaming the file will change it"
)


def names(
    fields: dict[str, Any], keys: tuple[str, ...], warnings: list[str], *, split_commas: bool
) -> tuple[str, ...]:
    """Authors or tags: the names the fields `keys` hold (one, a list, or mappings with a
    'name'), whitespace folded, each once, in order; with `split_commas`, "a, b" is two."""
    found: dict[str, None] = {}
    for key in keys:
        value = fields.get(key)
        if value is None:
            continue
        for raw in value if isinstance(value, list) else (value,):
            if type(raw) is str and (not split_commas or "," not in raw):  # the common case
                name = " ".join(raw.split())
                if name:
                    found[name] = None
                continue
            item = raw["name"] if isinstance(raw, dict) and "name" in raw else raw
            if isinstance(item, date):  # YAML reads "2024-06-11" as a date: a tag is text
                item = item.isoformat()
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                warnings.append(f"'{key}' holds {kind(item)}; ignored")
                continue
            text = item if isinstance(item, str) else str(item)
            for part in text.split(",") if split_commas and "," in text else (text,):
                name = " ".join(part.split())
                if name:
                    found[name] = None
    return tuple(found)


def langs(fields: dict[str, Any], warnings: list[str]) -> tuple[str, ...]:
    """The languages `lang` (or `language`) names, in order: one per section, or one for the
    whole body; () when there is none, or with a warning when one is no language tag."""
    value = fields.get("lang", fields.get("language"))
    if value is None:
        return ()
    codes = []
    for item in value if isinstance(value, list) else [value]:
        code = normalize_lang(str(item)) if isinstance(item, str) else None
        if code is None:
            warnings.append(f"'lang' must be a language tag like 'zh' or 'en', got {item!r}")
            return ()
        codes.append(primary_lang(code))
    return tuple(codes)


def link(fields: dict[str, Any], body: str, labels: Sequence[str], warnings: list[str]) -> str:
    """The source link: `link`, `url` or `source` (the first that is an http(s) URL), else the
    first Markdown link in the body labelled as one; "" when there is none."""
    for name in ("link", "url", "source"):
        value = fields.get(name)
        if isinstance(value, str) and value.strip():
            url = absolute_http_url(value)
            if url:
                return url
            warnings.append(f"'{name}' is not an http(s) URL: {value.strip()[:80]!r}")
    found = find_source_link(body, labels)
    return absolute_http_url(found) or "" if found else ""


def identity(
    fields: dict[str, Any],
    link: str,
    rules: UrlRules,
    warnings: list[str],
    *,
    source: str,
    rel: str,
) -> tuple[str, str]:
    """The article's dedupe key, and its id when that is not `urn_uuid5(key)` ("" when it is:
    the id is made only when asked for, see `model.Scanned`).

    The key is the canonical source link, else `id:` and the front matter's `id`, else the
    file's path in its source folder (`rel`), with a warning; the id is the front matter's
    `id` (an IRI as it stands, anything else through `urn_uuid5`), else derived from the key.
    """
    explicit = fields.get("id")
    canonical = canonical_url(link, rules) if link else None
    if explicit is not None and not isinstance(explicit, dict | list) and str(explicit).strip():
        base = str(explicit).strip()
        key = canonical or f"id:{base}"
        if not _is_iri(base):
            return key, urn_uuid5(base)  # (not the key's: a key is an http(s) URL or `id:`…)
        # An IRI stands as it is, and is the derived id only if it spells out urn_uuid5(key)
        return key, "" if base.startswith("urn:uuid:") and base == urn_uuid5(key) else base
    if canonical:
        return canonical, ""
    warnings.append(PATH_ID_WARNING)
    return f"path:{source}/{rel}", ""


def _is_iri(value: str) -> bool:
    """An absolute IRI usable as an atom:id as it stands (http(s) ones need a host)."""
    scheme, sep, rest = value.partition(":")
    if not (sep and rest and scheme.isascii() and scheme.isalpha()) or any(
        ch.isspace() for ch in value
    ):
        return False
    return scheme.lower() not in ("http", "https") or absolute_http_url(value) is not None


def image(fields: dict[str, Any], link: str, warnings: list[str]) -> str:
    """`image` as an absolute http(s) URL (relative to the source link), or ""."""
    value = fields.get("image")
    if not isinstance(value, str) or not value.strip():
        return ""
    url = absolute_http_url(value.strip(), link)
    if url is None:
        warnings.append(f"'image' is not an http(s) URL: {value.strip()[:80]!r}")
    return url or ""


def truthy(value: object) -> bool:
    """`draft: true` (or yes), as YAML or as text."""
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "yes"))


def kind(value: object) -> str:
    """What a value is, for messages."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__
