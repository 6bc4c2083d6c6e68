"""Tokenizer goldens: texts -> ids from the Hugging Face tokenizer, for the Go tokenizer.

``case_texts`` builds a fixed list (>= 200) covering what a WordPiece port gets wrong:
accents, CJK, punctuation, emoji, very long words, empty and whitespace-only text, mixed
case, control characters, numbers, URLs and long texts cut at ``max_length``.
``tokenizer_settings`` reads the normalisation settings from the tokenizer itself.
"""

from __future__ import annotations

import json
from pathlib import Path

_BASE = [
    "Oil prices rose sharply on Monday.",
    "The central bank cut interest rates by half a point.",
    "Wheat and corn exports fell 12 pct in the week.",
    "Shares of the company climbed after the merger was announced.",
    "Quarterly earnings beat forecasts; revenue was up 8.5%.",
]

_ACCENTS = [
    "café", "Café au lait", "naïve résumé", "Crème brûlée", "São Paulo", "Zürich",
    "Ångström", "façade", "El Niño", "Dvořák", "Łódź", "Ærøskøbing", "İstanbul",
    "pâté à la française", "Ça va? Très bien.", "Señor Muñoz", "Œuvre", "ﬁnancial",
    "e\u0301te\u0301 (combining accents)", "ÉCOLE NORMALE", "Straße", "Ελληνικά κείμενα",
    "Русский текст", "العربية", "עברית", "हिन्दी", "ไทย",
]

_CJK = [
    "世界", "你好，世界！", "日本語のテキスト", "東京タワー", "한국어 문장", "中文English混合",
    "价格上涨了10%", "株式市場", "㐀㐁 extension A", "𠀀 extension B", "ｆｕｌｌｗｉｄｔｈ ＡＢＣ",
    "ｶﾀｶﾅ halfwidth", "漢字かなカナ", "北京2024年", "中 国 人",
]

_PUNCT = [
    "Hello, world!", "What?!", "a.b.c", "well-known", "it's", "don't stop",
    "\"quoted\" text", "(parentheses) [brackets] {braces}", "semi;colon:colon",
    "ellipsis...", "dash — em – en", "hash#tag @mention", "50/50", "$100", "€200", "£3",
    "¥4", "100%", "a&b", "x*y+z=w", "<html>", "back\\slash", "pipe|char", "~tilde`",
    "^caret", "‘curly’ “quotes”", "«guillemets»", "¿Qué?", "¡Hola!", "…", "•bullet",
    "§ 12", "©2024 ®", "™", "°C", "±5", "×÷",
]

_EMOJI = [
    "😀", "I love it ❤️", "🚀🚀🚀 to the moon", "👍🏽 thumbs", "👨‍👩‍👧‍👦 family",
    "🇺🇸 flag", "smile :) ;-)", "☕ coffee", "★☆", "♥♦♣♠", "✓ done ✗ not",
]

_LONG_WORDS = [
    "supercalifragilisticexpialidocious",
    "pneumonoultramicroscopicsilicovolcanoconiosis",
    "antidisestablishmentarianism",
    "a" * 99, "b" * 100, "c" * 101, "d" * 250,
    "Donaudampfschifffahrtsgesellschaftskapitän",
    "x" * 60 + " short " + "y" * 120,
    "thisisaverylongwordwithoutanyspacesthatshouldsplitintomanypieces",
    "ab" * 51, "é" * 101, "ü" * 100,
]

_SPACE = [
    "", " ", "   ", "\t", "\n", "\r\n", "\t \n ", "\u00a0", "\u3000", "\u2003\u2002",
    "  leading", "trailing  ", "  both  ", "multiple   inner    spaces", "tab\tseparated",
    "new\nline", "windows\r\nline", "\u200b zero width", "zero\u200bwidth",
]

_CASE = [
    "HELLO WORLD", "hello world", "Hello World", "hElLo WoRlD", "iPhone", "McDonald's",
    "NASA", "U.S.A.", "USD/JPY", "GmbH", "eBay", "camelCaseWord", "SCREAMING_SNAKE_CASE",
]

_CONTROL = [
    "bell\x07char", "null\x00byte", "escape\x1b[0m", "form\x0cfeed", "vertical\x0btab",
    "del\x7fchar", "\x01\x02\x03", "soft\u00adhyphen", "bom\ufefftext", "rtl\u200fmark",
    "replacement \ufffd char", "private \ue000 use", "nonchar \x85 next line",
]

_NUMBERS = [
    "0", "123", "3.14159", "1,234,567", "1e10", "-42", "+7", "0x1F", "1/2", "12:30",
    "2024-01-15", "15.3 mln dlrs", "4th 21st 3rd", "1987", "98.6°F", "100,000.50",
    "٣٤٥ arabic digits", "１２３ fullwidth", "Ⅻ roman", "½ ¾",
]

_URLS = [
    "https://example.com", "http://www.example.org/path?q=1&r=2#frag",
    "email me at someone@example.com", "ftp://files.example.net/a_b-c.txt",
    "www.reuters.com/article/idUS123", "C:\\Program Files\\x", "/usr/local/bin",
    "https://例え.jp/パス", "user:pass@host:8080", "#hashtag_2024",
]


def _sentences() -> list[str]:
    subjects = ["The company", "Analysts", "The ministry", "Traders", "The bank", "Farmers"]
    verbs = ["said", "expected", "reported", "forecast", "denied", "confirmed"]
    objects = ["higher profits", "a 5.2 pct rise", "lower output", "the takeover bid",
               "record exports", "weaker demand"]
    out = []
    for i, s in enumerate(subjects):
        for j, v in enumerate(verbs):
            o = objects[(i + j) % len(objects)]
            out.append(f"{s} {v} {o} in {1985 + (i * 6 + j) % 10}.")
    return out


def _long_texts() -> list[str]:
    words = " ".join(_BASE)
    return [
        (words + " ") * 12,
        " ".join(f"word{i}" for i in range(400)),
        "世界" * 300,
        ("café résumé naïve " * 120).strip(),
        ", ".join(str(i) for i in range(500)),
        "a " * 600,
        ("Tokyo 東京 " * 150).strip(),
        "x" * 2000,
    ]


def case_texts() -> list[str]:
    """The fixed list of tokenizer cases (deterministic, >= 200 texts, all distinct)."""
    groups = [_BASE, _ACCENTS, _CJK, _PUNCT, _EMOJI, _LONG_WORDS, _SPACE, _CASE, _CONTROL,
              _NUMBERS, _URLS, _sentences(), _long_texts()]
    mixed = [f"{a} {b}" for a, b in zip(_ACCENTS, _PUNCT)] + [f"{c}{e}" for c, e in zip(_CJK, _EMOJI)]
    texts = [t for g in groups for t in g] + mixed
    return list(dict.fromkeys(texts))


def tokenizer_settings(tokenizer) -> dict:
    """Normalisation settings of a Hugging Face (fast) BERT tokenizer, contract form.

    ``strip_accents`` is resolved as BERT does: unset means "same as lowercase".
    """
    spec = json.loads(tokenizer.backend_tokenizer.to_str())
    norm, model = spec.get("normalizer") or {}, spec.get("model") or {}
    if norm.get("type") != "BertNormalizer" or model.get("type") != "WordPiece":
        raise ValueError(f"unsupported tokenizer: normalizer {norm.get('type')}, model {model.get('type')}")
    lowercase = bool(norm.get("lowercase", True))
    strip = norm.get("strip_accents")
    return {
        "type": "wordpiece",
        "vocab_file": "vocab.txt",
        "lowercase": lowercase,
        "strip_accents": lowercase if strip is None else bool(strip),
        "tokenize_chinese_chars": bool(norm.get("handle_chinese_chars", True)),
        "clean_text": bool(norm.get("clean_text", True)),
        "unk_token": tokenizer.unk_token, "cls_token": tokenizer.cls_token,
        "sep_token": tokenizer.sep_token, "pad_token": tokenizer.pad_token,
        "max_input_chars_per_word": int(model.get("max_input_chars_per_word", 100)),
        "cases_file": "tokenizer_cases.jsonl",
    }


def write_cases(tokenizer, max_length: int, path: str | Path) -> int:
    """Write ``tokenizer_cases.jsonl`` (one {"text", "ids"} per line); returns the count."""
    lines = []
    for text in case_texts():
        ids = tokenizer(text, truncation=True, max_length=max_length)["input_ids"]
        lines.append(json.dumps({"text": text, "ids": ids}))  # ASCII escapes: one record a line
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)
