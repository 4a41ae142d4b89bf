"""A Pelican site that renders only Atom feeds, built from the corpus split per language, and
a check that the feeds it wrote are real.

Pelican's Markdown reader takes metadata as `Key: value` lines (Python-Markdown's meta
extension), not YAML front matter, so each split article is rewritten with Pelican's own
lines.  The zh and en files of one source article share a slug, so Pelican pairs them as
translations (DEFAULT_LANG zh: the zh file is the original, the en file its translation).
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import feedparser
import yaml

LANGS = ("zh", "en")
FEED_ENTRIES = 50

# Feeds only, no pages: the combined Atom feed and one Atom feed per language, 50 entries
# each.  Every other output Pelican writes by default is switched off: article, page and
# draft pages, tag/category/author pages and their feeds, archives, the direct templates
# (index, tags, categories, authors, archives) and the theme's static files.
CONFIG = f"""SITENAME = "bench"
SITEURL = "https://example.org"
TIMEZONE = "UTC"
DEFAULT_LANG = "zh"
USE_FOLDER_AS_CATEGORY = False
FEED_ALL_ATOM = "feeds/all.atom.xml"
TRANSLATION_FEED_ATOM = "feeds/all-{{lang}}.atom.xml"
FEED_MAX_ITEMS = {FEED_ENTRIES}
FEED_ATOM = FEED_RSS = FEED_ALL_RSS = TRANSLATION_FEED_RSS = None
CATEGORY_FEED_ATOM = CATEGORY_FEED_RSS = None
AUTHOR_FEED_ATOM = AUTHOR_FEED_RSS = None
TAG_FEED_ATOM = TAG_FEED_RSS = None
ARTICLE_SAVE_AS = ARTICLE_LANG_SAVE_AS = ""
DRAFT_SAVE_AS = DRAFT_LANG_SAVE_AS = ""
PAGE_SAVE_AS = PAGE_LANG_SAVE_AS = ""
DRAFT_PAGE_SAVE_AS = DRAFT_PAGE_LANG_SAVE_AS = ""
TAG_SAVE_AS = CATEGORY_SAVE_AS = AUTHOR_SAVE_AS = ""
YEAR_ARCHIVE_SAVE_AS = MONTH_ARCHIVE_SAVE_AS = DAY_ARCHIVE_SAVE_AS = ""
INDEX_SAVE_AS = ""
DIRECT_TEMPLATES = []
STATIC_PATHS = []
THEME_STATIC_PATHS = []
"""

FEEDS = {"all": "feeds/all.atom.xml", **{lang: f"feeds/all-{lang}.atom.xml" for lang in LANGS}}
HAN = re.compile(r"[\u4e00-\u9fff]")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def pelican_article(text: str, *, lang: str, slug: str) -> str:
    """One split corpus article (YAML front matter) as Pelican reads it: metadata lines."""
    _, front, body = text.split("---\n", 2)
    fields = yaml.load(front, Loader=_LOADER)  # a safe loader, in C when PyYAML has it
    date = fields["date"]
    lines = [
        f"Title: {fields['title']}",
        f"Date: {date.isoformat() if isinstance(date, datetime) else date}",
        f"Lang: {lang}",
        f"Slug: {slug}",
        f"Tags: {', '.join(fields.get('tags', []))}",
        f"Author: {fields['author']}",
        f"Summary: {fields['description']}",
    ]
    return "\n".join(lines) + "\n" + body


def build(site: Path, split: dict[str, Path]) -> None:
    """Write the site (content/<lang>/*.md and pelicanconf.py) from split[lang] folders;
    written beside `site` and renamed, so an interrupted build leaves no half a site."""
    partial = site.with_name(site.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    for lang, folder in split.items():
        (partial / "content" / lang).mkdir(parents=True)
        for path in sorted(folder.glob("*.md")):
            text = pelican_article(path.read_text(encoding="utf-8"), lang=lang, slug=path.stem)
            (partial / "content" / lang / path.name).write_text(text, encoding="utf-8")
    (partial / "pelicanconf.py").write_text(CONFIG, encoding="utf-8")
    partial.rename(site)


def command(pelican: list[str], site: Path) -> list[str]:
    return [
        *pelican,
        str(site / "content"),
        "-s",
        str(site / "pelicanconf.py"),
        "-o",
        str(site / "output"),
        "-q",
    ]


def version(pelican: list[str]) -> str:
    """`pelican --version` prints the bare version number."""
    done = subprocess.run([*pelican, "--version"], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def check_feeds(output: Path, articles: int, *, paired: bool = True) -> str:
    """Parse the three feeds; raise SystemExit unless each is well-formed, holds the expected
    number of entries, and each language feed only that language.
    `paired`: every article has a zh and an en file (the generated corpus), so the counts are
    known, each en entry is a translation, and a title's script tells its language; a folder of
    your own (external.py) is only checked for well-formed feeds that hold entries, each
    language feed only titles of its language's files (a Chinese title may head an English
    section there).  Returns a one-line summary."""
    own = None if paired else titles(output.parent)
    counts = {}
    for name, rel in FEEDS.items():
        parsed = feedparser.parse(str(output / rel))
        if parsed.bozo:
            raise SystemExit(f"pelican: {rel} is not a well-formed feed: {parsed.bozo_exception}")
        if own is None:
            langs = ["zh" if HAN.search(e.title) else "en" for e in parsed.entries]
        else:
            langs = [_lang_of(_fold(e.title), name, own) for e in parsed.entries]
        expected = min(FEED_ENTRIES, articles * (len(LANGS) if name == "all" else 1))
        count_wrong = len(langs) != expected if paired else not 0 < len(langs) <= FEED_ENTRIES
        if count_wrong or (name != "all" and set(langs) != {name}):
            raise SystemExit(f"pelican: {rel}: {len(langs)} entries, languages {set(langs)}")
        # Pelican saw each en file as the translation of a zh one: {slug}-en.html links.
        if paired and any(
            (lang == "en") != e.link.endswith("-en.html")
            for lang, e in zip(langs, parsed.entries, strict=True)
        ):
            raise SystemExit(f"pelican: {rel}: an en entry not linked as a translation")
        counts[name] = f"{name} {len(langs)}" + (
            f" ({langs.count('zh')} zh, {langs.count('en')} en)" if name == "all" else ""
        )
    return ", ".join(counts.values())


def titles(site: Path) -> dict[str, set[str]]:
    """The titles of each language's articles, as `build` wrote them (their first line)."""
    return {
        lang: {
            _fold(path.read_text(encoding="utf-8").split("\n", 1)[0].removeprefix("Title: "))
            for path in (site / "content" / lang).glob("*.md")
        }
        for lang in LANGS
    }


def _lang_of(title: str, feed: str, own: dict[str, set[str]]) -> str:
    """A language whose files hold `title`: the feed's own first, "?" for none."""
    for lang in (feed, *LANGS):
        if title in own.get(lang, ()):
            return lang
    return "?"


def _fold(text: str) -> str:
    """A title as a feed reader shows it: entities decoded, white space folded."""
    return " ".join(html.unescape(text).split())
