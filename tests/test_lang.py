"""feedkit.lang: the language of a text section, and language tags (SPEC 1.1)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from feedkit import lang
from feedkit.lang import detect_lang, normalize_lang, primary_lang

DATA = Path(__file__).parent / "data"


def seed_parts() -> tuple[dict[str, str], str, str]:
    """The seed article's front matter, Chinese section and English section."""
    text = (DATA / "seed-article.txt").read_text(encoding="utf-8")
    _, front_matter, chinese, english = re.split(r"(?m)^---[ \t]*$", text, maxsplit=3)
    return yaml.safe_load(front_matter), chinese, english


# --- detect_lang: one script -------------------------------------------------------------------

ONE_SCRIPT = [
    pytest.param("埃隆·马斯克撤销了诉讼。", "zh", id="chinese"),
    pytest.param("東京は日本の首都です。", "ja", id="japanese: kanji and kana"),
    pytest.param("岸田首相、衆院解散を表明", "ja", id="japanese headline: one kana in eleven"),
    pytest.param("コンピューター", "ja", id="katakana only"),
    pytest.param("안녕하세요 세계", "ko", id="korean"),
    pytest.param("Привет, мир! Это тест.", "ru", id="russian"),
    pytest.param("مرحبا بالعالم", "ar", id="arabic"),
    pytest.param("שָׁלוֹם עוֹלָם", "he", id="hebrew with points"),
    pytest.param("Γειά σου Κόσμε", "el", id="greek"),
    pytest.param("καφε\u0301 και τσάι", "el", id="greek with a combining accent"),
    pytest.param("สวัสดีครับ ผมชอบกินข้าว", "th", id="thai"),
    pytest.param("नमस्ते दुनिया", "hi", id="hindi"),
    pytest.param("The quick brown fox jumps over the lazy dog.", "en", id="english"),
    pytest.param("Ça va très bien, merci beaucoup.", "en", id="french is latin: the default"),
    pytest.param("Tiếng Việt có dấu", "en", id="vietnamese is latin: the default"),
]

NO_LETTERS = [
    pytest.param("", id="empty"),
    pytest.param("   \n\t ", id="whitespace"),
    pytest.param("12345 !!! --- ** 3.14 …", id="digits and punctuation"),
    pytest.param("。，「」（）！？", id="cjk punctuation"),
    pytest.param("😀🎉👍", id="emoji"),
    pytest.param("\ud800\udcff", id="lone surrogates"),
    pytest.param("[](https://example.com/path/to/a/page.html)", id="only a link target"),
    pytest.param('<img src="https://example.com/a.png" alt="">', id="only a tag"),
]

# Real text mixes scripts; the noise never flips the language.
MIXED = [
    pytest.param(
        "伊隆·马斯克（Elon Musk）撤销了对OpenAI和山姆·奥尔特曼（Sam Altman）的诉讼",
        "zh",
        id="latin names inside chinese (the seed's title)",
    ),
    pytest.param(
        "马斯克自愿撤销诉讼， ولم提供这样做的原因。",
        "zh",
        id="a stray arabic word inside chinese (the seed)",
    ),
    pytest.param(
        "此后，马斯克创立了自己的人工智能初创公司xAI，并为支持其发展筹集了60亿美元。",
        "zh",
        id="latin product name glued to chinese",
    ),
    pytest.param(
        "President Xi Jinping (习近平) met Premier Li Qiang (李强) in Beijing on Tuesday.",
        "en",
        id="chinese names in parentheses inside english",
    ),
    pytest.param(
        "Sony (ソニー) and Toyota (トヨタ) reported earnings on Tuesday in Tokyo.",
        "en",
        id="japanese names inside english",
    ),
    pytest.param("伊隆・马斯克", "zh", id="the katakana middle dot in a chinese name is no kana"),
    pytest.param("OpenAI 与 Apple 合作", "zh", id="three han characters outweigh two latin words"),
    pytest.param("Apple 和 OpenAI", "en", id="two latin words outweigh one han character"),
    pytest.param("中文 English words", "en", id="a tie is no majority: the default"),
    pytest.param("Москва Пекин 北京 Tokyo", "en", id="no script has half: the default"),
]

# Markdown syntax, link targets, URLs and markup weigh nothing.
NOISE = [
    pytest.param(
        "[原文链接](https://ft.com/content/03b9fb65-5f12-41a8-9d8e-e2243b72466d)\n\n马斯克撤诉",
        "zh",
        id="markdown link target",
    ),
    pytest.param("马斯克撤诉 https://example.com/a/b/c/d/e/f/g/h/i/j/k/l", "zh", id="bare url"),
    pytest.param(
        '<p class="lead"><a href="https://example.com/story">马斯克撤诉</a></p>',
        "zh",
        id="html tags",
    ),
    pytest.param("马斯克&amp;奥尔特曼&nbsp;&#8220;撤诉&#8221;", "zh", id="html entities"),
    pytest.param("**背景**：\n> 马斯克\n- 撤诉\n# 标题", "zh", id="markdown syntax"),
    pytest.param("[Source Link](https://ft.com/content/马斯克)", "en", id="link text counts"),
]


@pytest.mark.parametrize(("text", "expected"), ONE_SCRIPT + MIXED + NOISE)
def test_detect_lang(text: str, expected: str) -> None:
    assert detect_lang(text) == expected


@pytest.mark.parametrize("text", NO_LETTERS)
def test_text_without_letters_is_the_default(text: str) -> None:
    assert detect_lang(text) == "en"
    assert detect_lang(text, default="zh") == "zh"


def test_latin_text_is_the_callers_default() -> None:
    assert detect_lang("Bonjour tout le monde", default="fr") == "fr"
    assert detect_lang("马斯克撤诉", default="fr") == "zh"


def test_the_seed_sections() -> None:
    _, chinese, english = seed_parts()
    assert detect_lang(chinese) == "zh"
    assert detect_lang(english) == "en"


def test_the_seed_front_matter_title_and_description_differ() -> None:
    front_matter, _, _ = seed_parts()
    assert detect_lang(front_matter["title"]) == "zh"
    assert detect_lang(front_matter["description"]) == "en"


def test_only_the_start_of_a_long_section_is_read() -> None:
    chinese = "马斯克撤销了诉讼。" * 400  # 3,600 characters
    assert detect_lang(chinese + " the end of it" * 5000) == "zh"


# --- detect_lang: properties -------------------------------------------------------------------

ZH_WORDS = ["马斯克", "撤销", "诉讼", "人工智能", "公司", "合作伙伴", "微软", "首席执行官", "法院"]
ZH_PUNCTUATION = ["", "", "，", "。", "（", "）", "“", "”", "、", "：", "\n\n"]
LATIN_NAMES = ["Elon Musk", "OpenAI", "ChatGPT", "xAI", "Sam Altman", "iPhone", "Microsoft"]
EN_WORDS = ["the", "billionaire", "had", "accused", "the", "organization", "of", "deviating"]
CJK_NAMES = ["(习近平)", "(李强)", "(马斯克)", "（奥尔特曼）"]
# One word each, as a stray word from a third script: kana is a third script to Chinese text too
# (and may not make it Japanese), Han to English text.
STRAY_WORDS = [
    "ولم",
    "Москва",
    "Αθήνα",
    "שלום",
    "สวัสดีครับ",
    "नमस्ते",
    "서울",
    "ありがとう",
    "ソニー",
    "東京",
]


@st.composite
def chinese_texts(draw: st.DrawFn) -> str:
    """Long Chinese text: at least 100 words (200+ Han characters), a few Latin names."""
    words = draw(st.lists(st.sampled_from(ZH_WORDS), min_size=100, max_size=300))
    names = draw(st.lists(st.sampled_from(LATIN_NAMES), max_size=15))
    for name in names:
        words.insert(draw(st.integers(0, len(words))), name)
    return "".join(word + draw(st.sampled_from(ZH_PUNCTUATION)) for word in words)


@st.composite
def english_texts(draw: st.DrawFn) -> str:
    """Long English text: at least 100 words, a few Chinese names in parentheses."""
    words = draw(st.lists(st.sampled_from(EN_WORDS), min_size=100, max_size=300))
    names = draw(st.lists(st.sampled_from(CJK_NAMES), max_size=5))
    for name in names:
        words.insert(draw(st.integers(0, len(words))), name)
    return " ".join(words)


def insert_word(text: str, word: str, at: int, spaced: bool) -> str:
    at = min(at, len(text))
    return text[:at] + (f" {word} " if spaced else word) + text[at:]


@given(st.text(st.characters(exclude_categories=())) | st.text())
def test_detect_lang_never_fails_and_answers_a_tag(text: str) -> None:
    lang = detect_lang(text)
    assert lang
    assert lang == lang.lower()


@given(chinese_texts(), st.sampled_from(STRAY_WORDS), st.integers(0, 5000), st.booleans())
def test_a_stray_word_never_changes_chinese(text: str, word: str, at: int, spaced: bool) -> None:
    assert detect_lang(text) == "zh"
    assert detect_lang(insert_word(text, word, at, spaced)) == "zh"


@given(english_texts(), st.sampled_from(STRAY_WORDS), st.integers(0, 5000), st.booleans())
def test_a_stray_word_never_changes_english(text: str, word: str, at: int, spaced: bool) -> None:
    assert detect_lang(text) == "en"
    assert detect_lang(insert_word(text, word, at, spaced)) == "en"


def reference_lang(text: str) -> str:
    """The weighing the module documents, written the slow and obvious way, for texts of Han,
    kana, ASCII and Cyrillic letters, digits and punctuation (no links, no markup)."""
    han = sum("\u4e00" <= char <= "\u9fff" for char in text)
    kana = sum("\u3040" <= char <= "\u30ff" and char != "・" for char in text)
    words = re.findall("[A-Za-zЀ-ԯ]+", text)  # a word belongs to the script it starts in
    latin = sum(word[0].isascii() for word in words)
    cyrillic = len(words) - latin
    total = han + kana + latin + cyrillic
    if (han + kana) * 2 > total:
        return "ja" if kana * 20 >= han + kana else "zh"
    return "ru" if cyrillic * 2 > total else "en"


MIXED_ALPHABET = st.sampled_from(
    [*"马斯克撤销诉讼", *"のはをアニー・", *"ElonMuskxAI", *"МоскваЁё", *" ,.，。（）1"]
)


@given(st.text(MIXED_ALPHABET, max_size=80))
def test_detect_lang_weighs_as_documented(text: str) -> None:
    assert detect_lang(text) == reference_lang(text)


# --- normalize_lang and primary_lang -----------------------------------------------------------

NORMALIZED = [
    pytest.param("zh", "zh", id="already canonical"),
    pytest.param("ZH", "zh", id="upper case"),
    pytest.param("zh_CN", "zh-CN", id="underscore"),
    pytest.param("zh-cn", "zh-CN", id="region upper case"),
    pytest.param("en-US", "en-US", id="en-US"),
    pytest.param("zh-Hant-TW", "zh-Hant-TW", id="script and region"),
    pytest.param("ZH-HANT-tw", "zh-Hant-TW", id="script title case"),
    pytest.param(" en ", "en", id="spaces around"),
    pytest.param("es-419", "es-419", id="numeric region"),
    pytest.param("yue", "yue", id="three-letter language"),
    pytest.param("zh-yue-HK", "zh-yue-HK", id="extended language subtag"),
    pytest.param("de-DE-1996", "de-DE-1996", id="variant"),
    pytest.param("sl-rozaj-biske", "sl-rozaj-biske", id="two variants"),
    pytest.param("en-US-u-ca-GREGORY", "en-US-u-ca-gregory", id="extension lower case"),
    pytest.param("en-x-US", "en-x-us", id="private use lower case"),
    pytest.param("eng", "en", id="iso 639-2 code with a shorter tag"),
    pytest.param("zho-TW", "zh-TW", id="iso 639-2 code with a region"),
    pytest.param("english", "en", id="name: english"),
    pytest.param("English", "en", id="name: English"),
    pytest.param("chinese", "zh", id="name: chinese"),
    pytest.param("中文", "zh", id="name: 中文"),
    pytest.param("japanese", "ja", id="name: japanese"),
    pytest.param("日本語", "ja", id="name: 日本語"),
    pytest.param("简体中文", "zh-Hans", id="name: 简体中文"),
    pytest.param("cn", "zh", id="cn, written for chinese"),
    pytest.param("jp", "ja", id="jp, written for japanese"),
]

NOT_TAGS = [
    pytest.param("", id="empty"),
    pytest.param("   ", id="blank"),
    pytest.param("und", id="undetermined"),
    pytest.param("UND-US", id="undetermined with region"),
    pytest.param("e", id="one letter"),
    pytest.param("abcd", id="four letters"),
    pytest.param("klingon", id="a word"),
    pytest.param("e1", id="digit in the language"),
    pytest.param("12", id="digits"),
    pytest.param("en us", id="space inside"),
    pytest.param("en--US", id="empty subtag"),
    pytest.param("en-", id="trailing hyphen"),
    pytest.param("-en", id="leading hyphen"),
    pytest.param("en-US-CA", id="two regions"),
    pytest.param("en-abcdefghi", id="subtag too long"),
    pytest.param("x-private", id="private use only"),
    pytest.param("i-klingon", id="grandfathered irregular"),
    pytest.param("en-x", id="empty private use"),
    pytest.param("ën", id="not ascii"),
    pytest.param("en-\u212a", id="kelvin sign lower-cases to k"),
    pytest.param("english-US", id="a name with a region"),
]


@pytest.mark.parametrize(("tag", "expected"), NORMALIZED)
def test_normalize_lang(tag: str, expected: str) -> None:
    assert normalize_lang(tag) == expected


@pytest.mark.parametrize("tag", NOT_TAGS)
def test_normalize_lang_rejects(tag: str) -> None:
    assert normalize_lang(tag) is None


@pytest.mark.parametrize("value", [None, 1, 1.5, ["zh"], {"lang": "zh"}], ids=repr)
def test_normalize_lang_rejects_what_is_not_text(value: object) -> None:
    assert normalize_lang(value) is None  # type: ignore[arg-type]  # front matter holds anything


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        pytest.param("zh-CN", "zh", id="zh-CN"),
        pytest.param("ZH_cn", "zh", id="unnormalized"),
        pytest.param(" en-US ", "en", id="spaces"),
        pytest.param("zh-Hant-TW", "zh", id="script and region"),
        pytest.param("en", "en", id="primary only"),
    ],
)
def test_primary_lang(tag: str, expected: str) -> None:
    assert primary_lang(tag) == expected


TAG_LIKE = st.from_regex(r"[A-Za-z]{1,4}([-_][A-Za-z0-9]{1,9}){0,5}", fullmatch=True)


@given(TAG_LIKE | st.text())
def test_normalize_lang_is_idempotent(tag: str) -> None:
    normalized = normalize_lang(tag)
    if normalized is not None:
        assert normalize_lang(normalized) == normalized
        assert primary_lang(normalized) == normalized.partition("-")[0]
        assert 2 <= len(primary_lang(normalized)) <= 3


_MIXED = st.text(
    alphabet=st.sampled_from(
        [
            *"abé 中文字かなカナ・한국Русαβעבرعहिไท。，「」12.!\n[]()<>&;",
            *("\u3000", "\u3040", "\u30ff", "\u3100", "\u4e00", "\u9fff", "\ua000", "\U0001f600"),
        ]
    ),
    max_size=80,
)


@given(_MIXED)
def test_one_translation_counts_han_other_letters_and_kana_as_the_script_bytes_do(
    text: str,
) -> None:
    """detect_lang's Chinese shortcut reads one translation (_MARKS); it must count what the
    script bytes that weigh every other text count."""
    utf8 = text.encode("utf-8", "replace")
    marks = utf8.translate(lang._MARKS)
    scripts = lang._scripts(utf8)
    han = scripts.count(lang._HAN)
    assert marks.count(lang._HAN) == han
    others = len(scripts) - han - scripts.count(0) - scripts.count(lang._U3000)
    assert marks.count(b"o") == others
    assert marks.count(b"ck") - text.count("・") == lang._count_kana(text, utf8)
    if han * 4 > len(marks):  # the shortcut that skips counting the other letters
        assert han > others
    if b"ck" not in marks:  # the shortcut that skips counting kana
        assert lang._count_kana(text, utf8) == 0
