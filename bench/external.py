"""An article folder of your own for the benchmark (`run.py --corpus DIR`), laid out as the
generated corpora are, so that every measurement runs on it unchanged.

The folder is copied whole (`corpus-N`, N its article files): the daemon's measurement adds files
to its copy, never to yours.  For the peers, which want one language a file, each article is
read by feedkit itself and each of its zh and en sections written to `split-N-zh` and
`split-N-en` with front matter Hugo and Pelican read (title, date, tags, author, description);
sections in other languages, and files feedkit cannot read, are left out of the split and
counted.  The same stem in both folders marks the two languages of one article.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from feedkit.articles import parse_article, read_article
from feedkit.discover import find_articles
from feedkit.errors import ArticleError
from feedkit.model import Entry

LANGS = ("zh", "en")


def prepare(work: Path, source: Path) -> tuple[int, str]:
    """Copy `source` to `work/corpus-N` and split it to `work/split-N-<lang>` (unless there from
    an earlier run); returns N and a line on what the split holds."""
    found, _ = find_articles(source)
    count = len(found)
    corpus = work / f"corpus-{count}"
    if not corpus.exists():
        shutil.copytree(source, corpus)
    split = {lang: work / f"split-{count}-{lang}" for lang in LANGS}
    written = dict.fromkeys(LANGS, 0)
    skipped = unread = 0
    if all(folder.exists() for folder in split.values()):
        return count, "split from an earlier run"
    for folder in split.values():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    for index, item in enumerate(found):
        try:
            entries = parse_article(read_article(item)).entries
        except ArticleError:
            unread += 1
            continue
        for entry in entries:
            if entry.lang not in split:
                skipped += 1
                continue
            path = split[entry.lang] / f"article-{index:06d}.md"
            path.write_text(_peer_article(entry), encoding="utf-8")
            written[entry.lang] += 1
    summary = ", ".join(f"{n} {lang}" for lang, n in written.items())
    return count, f"split: {summary}; {skipped} other-language sections, {unread} unread files"


def _peer_article(entry: Entry) -> str:
    """One language section with front matter every peer reads (JSON strings are YAML)."""
    fields = {
        "title": json.dumps(entry.title, ensure_ascii=False),
        "date": entry.published.isoformat(),
        "tags": json.dumps(list(entry.tags), ensure_ascii=False),
        "author": json.dumps(", ".join(entry.authors) or "unknown", ensure_ascii=False),
        "description": json.dumps(entry.summary, ensure_ascii=False),
    }
    front = "".join(f"{key}: {value}\n" for key, value in fields.items())
    return f"---\n{front}---\n\n{entry.body}\n"
