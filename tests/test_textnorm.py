"""The text front-end, one-shot: the corpus of assistant answers and the API contracts."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from wyoming_kokoro.pipeline.textnorm import StreamNormalizer, normalize
from wyoming_kokoro.pipeline.textnorm.document import CODE_MAX_CHARS, CODE_MAX_LINES
from wyoming_kokoro.pipeline.textnorm.lexicon import resolve_language

CORPUS = yaml.safe_load(
    (Path(__file__).parent / "data" / "normalize_corpus.yaml").read_text(encoding="utf-8")
)


def test_corpus_covers_the_languages() -> None:
    ids = [entry["id"] for entry in CORPUS]
    assert len(ids) == len(set(ids)), "corpus ids must be unique"
    assert len(CORPUS) >= 60
    keys = Counter(resolve_language(entry["lang"]).key for entry in CORPUS)
    for key in ("es", "fr", "it", "pt"):
        assert keys[key] >= 6, key
    assert keys["hi"] >= 3
    assert keys["en"] >= 30


@pytest.mark.parametrize("entry", CORPUS, ids=[entry["id"] for entry in CORPUS])
def test_corpus(entry: dict[str, str]) -> None:
    assert normalize(entry["text"], entry["lang"]) == entry["expected"]


@pytest.mark.parametrize(
    ("code", "key", "british", "cjk"),
    [
        ("a", "en", False, False),
        ("b", "en", True, False),
        ("e", "es", False, False),
        ("f", "fr", False, False),
        ("h", "hi", False, False),
        ("i", "it", False, False),
        ("j", "en", False, True),
        ("p", "pt", False, False),
        ("z", "en", False, True),
        ("en-US", "en", False, False),
        ("en_GB", "en", True, False),
        ("es", "es", False, False),
        ("fr-FR", "fr", False, False),
        ("pt-BR", "pt", False, False),
        ("it-IT", "it", False, False),
        ("hi-IN", "hi", False, False),
        ("ja-JP", "en", False, True),
        ("zh-CN", "en", False, True),
        ("de-DE", "en", False, False),
        ("", "en", False, False),
    ],
)
def test_language_resolution(code: str, key: str, british: bool, cjk: bool) -> None:
    lang = resolve_language(code)
    assert (lang.key, lang.british, lang.cjk) == (key, british, cjk)


def test_unknown_language_reads_english() -> None:
    assert normalize("Es sind 21 °C und 45 %.", "de") == "Es sind 21 degrees Celsius und 45 percent."


def test_curly_apostrophe_becomes_straight() -> None:
    assert normalize("it’s ‘fine’", "a") == "it's 'fine'."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[Kokoro](/kˈOkəɹO/)", "[Kokoro](/kˈOkəɹO/)."),
        ("**[Kokoro](/kˈOkəɹO/)** is *here*", "[Kokoro](/kˈOkəɹO/) is here."),
        ("- [Mr. Smith](/mˈɪstəɹ smˈɪθ/) at 5 °C", "[Mr. Smith](/mˈɪstəɹ smˈɪθ/) at 5 degrees Celsius."),
        ("| Name | Say |\n|---|---|\n| x | [x](#a#) |", "Name: x, Say: [x](#a#)."),
        ("Say [5](-1) twice", "Say [5](-1) twice."),
    ],
)
def test_misaki_annotation_passes_untouched(text: str, expected: str) -> None:
    assert normalize(text, "a") == expected


def test_markdown_link_is_not_an_annotation() -> None:
    assert normalize("[docs](/docs/page)", "a") == "docs."


@pytest.mark.parametrize(
    ("number", "spoken"),
    [
        ("a", "1 degree Celsius"),
        ("e", "1 grado Celsius"),
        ("f", "1 degré Celsius"),
        ("i", "1 grado Celsius"),
        ("p", "1 grau Celsius"),
    ],
)
def test_singular_for_one(number: str, spoken: str) -> None:
    assert normalize("1 °C", number) == spoken + "."


def test_plural_for_two() -> None:
    assert normalize("2 °C", "a") == "2 degrees Celsius."
    assert normalize("2 °C", "i") == "2 gradi Celsius."


def test_code_fence_threshold() -> None:
    short = "\n".join(f"line {i}" for i in range(CODE_MAX_LINES))
    assert normalize(f"```\n{short}\n```", "a") == "\n".join(
        f"line {i}." for i in range(CODE_MAX_LINES)
    ) + "\n"
    too_many = "\n".join(f"line {i}" for i in range(CODE_MAX_LINES + 1))
    assert normalize(f"```\n{too_many}\n```", "a") == "There is a code block here.\n"
    too_long = "x" * (CODE_MAX_CHARS + 1)
    assert normalize(f"```\n{too_long}\n```", "e") == "Aquí hay un bloque de código.\n"


def test_bare_url_drops_scheme_path_and_www() -> None:
    assert normalize("Go to https://www.Example.org:8080/a/b?c=1#d now", "a") == (
        "Go to example.org now."
    )


@pytest.mark.parametrize(
    "text",
    ["", "\n", "   \n\n", "✅ 🎉", "---", "```\n```", "|---|---|", "**"],
)
def test_nothing_to_say(text: str) -> None:
    assert normalize(text, "a") == ""


def test_every_block_ends_with_sentence_punctuation() -> None:
    text = "# Title\n- item one\n1. step\n> quoted\nplain line\n| a | b |"
    assert normalize(text, "a") == "Title.\nitem one.\n1, step.\nquoted.\nplain line.\na, b."


def test_chinese_and_japanese_get_an_ideographic_full_stop() -> None:
    assert normalize("今天很好", "z") == "今天很好。"


def test_normalize_has_no_side_effects() -> None:
    text = "| Day | High |\n|---|---|\n| Mon | 21 °C |\n```\ncode"
    first = normalize(text, "a")
    stream = StreamNormalizer("a")
    stream.feed("| unrelated | row |\n```\n")  # open state elsewhere must not leak
    assert normalize(text, "a") == first
    assert normalize(text, "e") != first
