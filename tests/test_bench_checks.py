"""The benchmark's check of Pelican's feeds on a folder of your own (bench/pelican_site.py):
each language feed may hold only titles of that language's files, whatever their script."""

from __future__ import annotations

import sys
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import pelican_site

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:x</id>
<updated>2024-01-01T00:00:00Z</updated>{entries}</feed>
"""
ENTRY = """<entry><title>{title}</title><id>urn:{n}</id><updated>2024-01-01T00:00:00Z</updated>
<link href="https://example.org/{n}.html"/></entry>"""


def site(root: Path, files: dict[str, list[str]], feeds: dict[str, list[str]]) -> Path:
    """content/<lang>/ with one file per title, and output/feeds/ with the feeds' titles."""
    for lang, titles in files.items():
        (root / "content" / lang).mkdir(parents=True)
        for n, title in enumerate(titles):
            (root / "content" / lang / f"{n}.md").write_text(f"Title: {title}\nLang: {lang}\n")
    (root / "output" / "feeds").mkdir(parents=True)
    for name, titles in feeds.items():
        entries = "".join(ENTRY.format(title=escape(t), n=n) for n, t in enumerate(titles))
        (root / "output" / pelican_site.FEEDS[name]).write_text(ATOM.format(entries=entries))
    return root / "output"


def test_a_chinese_title_over_an_english_section_is_english_there(tmp_path: Path) -> None:
    files = {"zh": ["故事 1", "市场 & 监管"], "en": ["故事 1", "Rates rise"]}
    output = site(
        tmp_path,
        files,
        {"all": ["故事 1", "Rates rise", "市场 & 监管"], "zh": files["zh"], "en": files["en"]},
    )
    summary = pelican_site.check_feeds(output, 2, paired=False)
    assert summary == "all 3 (2 zh, 1 en), zh 2, en 2"


def test_a_language_feed_holding_another_languages_title_fails(tmp_path: Path) -> None:
    files = {"zh": ["故事 1"], "en": ["Rates rise"]}
    output = site(tmp_path, files, {"all": ["故事 1"], "zh": ["故事 1"], "en": ["故事 1"]})
    with pytest.raises(SystemExit, match=r"all-en\.atom\.xml: 1 entries, languages"):
        pelican_site.check_feeds(output, 2, paired=False)
