"""Generate a corpus of articles in the seed's format, for benchmarks.

Bilingual (zh then en) and one-language articles, some duplicates written with other URL
spellings, sizes around the seed's (~4-6 KB).  Deterministic for a given seed.

    python bench/corpus.py OUT_DIR --count 10000 [--seed 1] [--split-langs]
        [--styles | --varied | --blog | --toml] [--scale 1.2]

--scale 1.2 makes the body paragraphs 1.2 times longer: 5.4 KB a file, SPEC 7's size (the
default averages 4.7 KB).

With --split-langs it also writes OUT_DIR-zh/ and OUT_DIR-en/ (one language per file) for
peers such as Hugo and Pelican that expect one language per file.

Front matter is written plainly (`key: value`, `- item` lists), as most article files have it.
With --styles each article's front matter takes one of four styles instead: that plain one;
as `yaml.safe_dump` writes it (long values wrapped over indented lines, Chinese as `\\u` escapes
in double quotes); the same with `allow_unicode`; and as people write it by hand (a comment
line, a quoted title, a folded `>-` description, a flow list of quoted tags, a comment after a
value).  A reader that is fast only on the plain style shows it there.

With --varied each article mixes what real folders hold, chosen at random: titles that start
with 《…》, 【…】, “, an emoji or digits, or quoted for a ": "; dates in four spellings; a
description wrapped over lines as python-frontmatter writes it; tags as a block list, an
indented one or a flow list; a comment line, an image, `draft: false`, `updated`, a slug; and
in a quarter of the articles a fenced code block (holding a `---` line) in the English part.

With --blog the articles are a blog's own posts, as other tools write them: no source link
(each id then comes from the file's path, with a warning), an `author:` mapping with a name
and a URL, a `params:` mapping as Hugo's front matter has one, and an `id` in every other
article.  The same articles as the plain corpus's otherwise.

With --toml the front matter is TOML between `+++` lines, as Hugo writes it (`title = "…"`,
`date = 2024-…Z`, `tags = ["a", "b"]`): the same articles as the plain corpus's otherwise.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from pathlib import Path

import yaml

STYLES = ("plain", "dumped", "dumped-unicode", "by-hand")

ZH_WORDS = (
    "人工智能 公司 市场 投资者 美国 中国 政府 经济 银行 科技 增长 数据 研究 合作 诉讼 首席执行官 "
    "董事会 利润 监管 股价 芯片 能源 政策 消费者 全球 创始人 发布 宣布 表示 认为 计划 同意"
).split()
EN_WORDS = (
    "the company said market investors would government economy bank technology growth data "
    "research partnership lawsuit chief executive board profit regulators shares chips energy "
    "policy consumers global founder announced plans agreed on Tuesday according to people"
).split()
NAMES = ("Elon Musk", "OpenAI", "Sam Altman", "Microsoft", "Nvidia", "Apple", "xAI", "Tesla")
TAGS = ("companies", "markets", "technology", "人工智能", "energy", "banks", "China", "US")


def _zh_paragraph(rng: random.Random, chars: int) -> str:
    out: list[str] = []
    size = 0
    while size < chars:
        word = rng.choice(NAMES) if rng.random() < 0.08 else rng.choice(ZH_WORDS)
        out.append(word)
        size += len(word)
        if rng.random() < 0.12:
            out.append("，" if rng.random() < 0.7 else "。")
    return "".join(out) + "。"


def _en_paragraph(rng: random.Random, words: int) -> str:
    text = " ".join(
        rng.choice(NAMES) if rng.random() < 0.05 else rng.choice(EN_WORDS) for _ in range(words)
    )
    return text[0].upper() + text[1:] + "."


def article(
    rng: random.Random, index: int, style: str = "plain", scale: float = 1.0
) -> tuple[str, str, str]:
    """(bilingual text, zh-only text, en-only text) of article `index`, front matter in
    `style` (one of STYLES, or "varied"), body paragraphs `scale` times the usual length."""
    slug = f"{index:06d}-{rng.getrandbits(32):08x}"
    url = f"https://ft.com/content/{slug}"
    day = 1 + index % 28
    date = f"2024-{1 + index % 12:02d}-{day:02d}T{index % 24:02d}:{index % 60:02d}:09.733Z"
    zh_title = _zh_paragraph(rng, 24)[:-1]
    en_title = _en_paragraph(rng, 9)[:-1]
    zh_body = "\n\n".join(
        f"**{_zh_paragraph(rng, 4)[:-1]}**：\n{_zh_paragraph(rng, round(120 * scale))}"
        for _ in range(5)
    )
    en_body = "\n\n".join(
        f"**{_en_paragraph(rng, 2)[:-1]}:**\n{_en_paragraph(rng, round(70 * scale))}"
        for _ in range(5)
    )
    tags = rng.sample(TAGS, 2)
    fields: dict[str, object] = {
        "title": zh_title,
        "date": date,
        "description": _en_paragraph(rng, 18),
        "tags": tags,
        "author": "ft",
    }
    if style == "varied":
        zh_title = rng.choice(("", "《金融时报》", "【快讯】", "“", "🚀 ", "2024年")) + zh_title
        zh_title += "”" if zh_title[0] == "“" else ""
        if rng.random() < 0.15:
            zh_title = "马斯克: " + zh_title  # (a ": " in it: YAML needs it quoted)
        fields = _varied_fields(rng, {**fields, "title": zh_title}, url)
        if rng.random() < 0.25:
            code = "```python\nfor line in text.split('\\n'):\n    print(line)\n---\n```"
            en_body = en_body.replace("\n\n", f"\n\n{code}\n\n", 1)
    zh = f"[原文链接]({url})\n\n{zh_title}\n\n**{zh_title}**\n\n{zh_body}\n"
    en = f" **{en_title}**\n\n{en_body}\n\n[Source Link]({url})\n"
    if style == "blog":  # (no random draw: the articles stay the plain corpus's)
        zh, en = zh.split("\n\n", 1)[1], en.rsplit("\n\n", 1)[0] + "\n"
        fields = _blog_fields(fields, index)
    both = front_matter(fields, style) + zh + "\n---\n\n" + en
    zh_only = front_matter({**fields, "lang": "zh"}, style) + zh
    en_only = front_matter({**fields, "title": en_title}, style) + en
    return both, zh_only, en_only


def _blog_fields(fields: dict[str, object], index: int) -> dict[str, object]:
    """`fields` as --blog writes them (see the module docstring)."""
    blog = dict(fields)
    if index % 2:
        blog = {"title": blog.pop("title"), "id": f"post-{index:06d}", **blog}
    blog["author"] = _Nested("\n  name: ft\n  url: https://www.ft.com")
    blog["params"] = _Nested("\n  cover: cover.png\n  toc: true")
    return blog


class _Nested(str):
    """A front matter value written on the lines after its key, as it is (--blog)."""


def _varied_fields(rng: random.Random, fields: dict[str, object], url: str) -> dict[str, object]:
    """`fields` with what --varied adds or respells (see the module docstring); values that
    must be written as they are come as `_Raw`."""
    date = str(fields["date"])
    spellings = (date, date[:10], f"{date[:10]} {date[11:19]}+08:00", f"'{date[:19]}Z'")
    title = str(fields["title"])
    if ": " in title or rng.random() < 0.2:
        title = f'"{title}"'
    varied: dict[str, object] = {"title": _Raw(title), "date": _Raw(rng.choice(spellings))}
    description = str(fields["description"])
    if rng.random() < 0.2:  # wrapped as yaml.dump wraps it (python-frontmatter)
        words = description.split()
        description = " ".join(words[:9]) + "\n  " + " ".join(words[9:])
    varied["description"] = _Raw(description)
    tags = fields["tags"]
    assert isinstance(tags, list)
    roll = rng.random()
    if roll < 0.3:
        varied["tags"] = _Raw("[" + ", ".join(tags) + "]")
    elif roll < 0.5:
        varied["tags"] = _Raw("".join(f"\n  - {tag}" for tag in tags))
    else:
        varied["tags"] = tags
    varied["author"] = _Raw(rng.choice(("ft", '"FT"', "Financial Times")))
    for key, value, share in (
        ("image", f"{url}/cover.jpg", 0.3),
        ("draft", "false", 0.2),
        ("updated", "2025-01-15T08:00:00Z", 0.15),
        ("slug", url.rsplit("/", 1)[1], 0.2),
    ):
        if rng.random() < share:
            varied[key] = _Raw(value)
    if rng.random() < 0.2:
        varied = {"#": _Raw("# from ft.com"), **varied}
    return varied


class _Raw(str):
    """A front matter value written as it is (--varied)."""


def front_matter(fields: dict[str, object], style: str) -> str:
    """The front matter block (fences and the blank line after it) in `style`."""
    if style == "toml":
        lines = [f"{key} = {_toml_value(value)}" for key, value in fields.items()]
        return "+++\n" + "\n".join(lines) + "\n+++\n\n"
    if style == "dumped":
        text = yaml.safe_dump(fields, sort_keys=False)
    elif style == "dumped-unicode":
        text = yaml.safe_dump(fields, sort_keys=False, allow_unicode=True)
    elif style == "by-hand":
        lines = ["# imported from ft.com"]
        for key, value in fields.items():
            if key == "title":
                lines.append(f"title: {json.dumps(value, ensure_ascii=False)}")
            elif key == "description":
                words = str(value).split()
                half = len(words) // 2
                lines += ["description: >-", "  " + " ".join(words[:half])]
                lines.append("  " + " ".join(words[half:]))
            elif isinstance(value, list):
                lines.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
            else:
                lines.append(f"{key}: {value}" + ("  # the desk" if key == "author" else ""))
        text = "\n".join(lines) + "\n"
    else:
        lines = []
        for key, value in fields.items():
            if key == "#":  # (a comment line, as --varied writes one first)
                lines.append(str(value))
            elif isinstance(value, list):
                lines += [f"{key}:", *(f"- {item}" for item in value)]
            elif isinstance(value, _Nested):
                lines.append(f"{key}:{value}")
            else:
                lines.append(f"{key}: {value}")
        text = "\n".join(lines) + "\n"
    return f"---\n{text}---\n\n"


def _toml_value(value: object) -> str:
    """A plain corpus's front matter value in TOML: a date bare, text and lists quoted."""
    if isinstance(value, str) and value[:4].isdigit() and value.endswith("Z"):
        return value
    return json.dumps(value, ensure_ascii=False)  # (a JSON string or list of them is TOML)


def generate(
    out: Path,
    count: int,
    *,
    seed: int = 1,
    split: bool = False,
    styles: bool = False,
    varied: bool = False,
    blog: bool = False,
    toml: bool = False,
    scale: float = 1.0,
) -> None:
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    targets = [out]
    if split:
        targets += [out.with_name(out.name + "-zh"), out.with_name(out.name + "-en")]
        for extra in targets[1:]:
            if extra.exists():
                shutil.rmtree(extra)
    for folder in targets:
        folder.mkdir(parents=True)
    for index in range(count):
        style = "varied" if varied else "blog" if blog else "toml" if toml else "plain"
        style = STYLES[index % len(STYLES)] if styles else style
        both, zh, en = article(rng, index, style, scale)
        sub = f"{index // 1000:03d}"
        roll = rng.random()
        text = both if roll < 0.8 else zh if roll < 0.9 else en
        if index and rng.random() < 0.02:  # a duplicate of an earlier article, URL respelled
            text = text.replace("https://ft.com/content/", "http://www.FT.com/content/", 2)
        path = out / sub / f"article-{index:06d}.md"
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if split:
            for folder, body in ((targets[1], zh), (targets[2], en)):
                (folder / f"article-{index:06d}.md").write_text(body, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--split-langs", action="store_true")
    parser.add_argument("--styles", action="store_true", help="front matter in four styles")
    parser.add_argument("--varied", action="store_true", help="what real folders mix")
    parser.add_argument("--blog", action="store_true", help="a blog's own posts")
    parser.add_argument("--toml", action="store_true", help="TOML front matter, as Hugo's")
    parser.add_argument("--scale", type=float, default=1.0, help="body paragraph length factor")
    args = parser.parse_args()
    generate(
        args.out,
        args.count,
        seed=args.seed,
        split=args.split_langs,
        styles=args.styles,
        varied=args.varied,
        blog=args.blog,
        toml=args.toml,
        scale=args.scale,
    )


if __name__ == "__main__":
    main()
