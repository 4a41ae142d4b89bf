"""Golden files: each case folder under tests/data/golden-cases runs end to end through `convert`
and its outputs must equal tests/golden/<case>/ byte for byte.

`pytest --update-goldens` rewrites them; a person then reads the diff.  Goldens are feeds too:
each is checked for conformance, so an invalid feed can never be frozen as "expected".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conformance import assert_valid_atom
from conftest import DATA, GOLDEN

from feedkit.model import FeedSettings
from feedkit.pipeline import convert

BASE = "https://example.org/feeds/"
CASES = sorted(p.name for p in (DATA / "golden-cases").iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASES)
def test_outputs_match_the_reviewed_goldens(
    case: str, tmp_path: Path, update_goldens: bool
) -> None:
    settings = FeedSettings(title="feedkit golden", base_url=BASE)
    report = convert([str(DATA / "golden-cases" / case)], tmp_path, settings)
    assert not report.failed
    # the published files, not feedkit's hidden list of them
    produced = {p.name: p.read_bytes() for p in sorted(tmp_path.iterdir()) if p.name[0] != "."}
    expected_dir = GOLDEN / case
    if update_goldens:
        expected_dir.mkdir(parents=True, exist_ok=True)
        for old in expected_dir.iterdir():
            old.unlink()
        for name, data in produced.items():
            (expected_dir / name).write_bytes(data)
    expected = {p.name: p.read_bytes() for p in sorted(expected_dir.iterdir())}
    assert sorted(produced) == sorted(expected)
    for name, data in produced.items():
        assert data == expected[name], f"{case}/{name} differs from its golden"


@pytest.mark.parametrize(
    "path", sorted(GOLDEN.glob("*/*.atom.xml")), ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_every_golden_is_itself_a_valid_feed(path: Path) -> None:
    assert_valid_atom(path.read_bytes(), self_url=BASE + path.name)


def test_seed_golden_facts() -> None:
    """The facts a person checked when reviewing the seed's goldens."""
    zh = (GOLDEN / "seed" / "zh.atom.xml").read_text()
    en = (GOLDEN / "seed" / "en.atom.xml").read_text()
    both = (GOLDEN / "seed" / "all.atom.xml").read_text()
    assert (
        "<title>伊隆·马斯克（Elon Musk）撤销了对OpenAI和山姆·奥尔特曼（Sam Altman）的诉讼</title>"
        in zh
    )
    assert "<title>Elon Musk withdraws lawsuit against OpenAI and Sam Altman</title>" in en
    assert "<summary>No reason given for dismissal of breach-of-contract claims" in en
    link = 'href="https://ft.com/content/03b9fb65-5f12-41a8-9d8e-e2243b72466d" rel="alternate"'
    assert link in zh and link in en and link in both
    assert "In an unexpected move" not in zh and "在出人意料" not in en
    assert '&lt;div lang="zh"&gt;' in both and '&lt;div lang="en"&gt;' in both
