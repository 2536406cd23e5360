"""The streaming normalizer: same result as normalize() for any split, and early release."""

from __future__ import annotations

import random
from collections.abc import Iterable
from itertools import pairwise
from pathlib import Path

import pytest
import yaml

from wyoming_kokoro.pipeline.textnorm import StreamNormalizer, normalize

CORPUS = yaml.safe_load(
    (Path(__file__).parent / "data" / "normalize_corpus.yaml").read_text(encoding="utf-8")
)
IDS = [entry["id"] for entry in CORPUS]


def run_stream(lang: str, deltas: Iterable[str]) -> tuple[str, list[str]]:
    """Feed deltas; return the whole output and what each feed returned."""
    stream = StreamNormalizer(lang)
    outputs = [stream.feed(delta) for delta in deltas]
    return "".join(outputs) + stream.flush(), outputs


def split_at(text: str, points: Iterable[int]) -> list[str]:
    cuts = [0, *sorted(set(points)), len(text)]
    return [text[a:b] for a, b in pairwise(cuts)]


def random_deltas(text: str, rng: random.Random, largest: int) -> list[str]:
    deltas = []
    i = 0
    while i < len(text):
        size = rng.randint(1, largest)
        deltas.append(text[i:i + size])
        i += size
    return deltas


@pytest.mark.parametrize("entry", CORPUS, ids=IDS)
def test_corpus_one_character_deltas(entry: dict[str, str]) -> None:
    got, _ = run_stream(entry["lang"], list(entry["text"]))
    assert got == entry["expected"]


@pytest.mark.parametrize("entry", CORPUS, ids=IDS)
def test_corpus_random_deltas(entry: dict[str, str]) -> None:
    rng = random.Random(entry["id"])  # seeded by the id: reproducible, different per entry
    for largest in (2, 3, 5, 8, 13, 40):
        deltas = random_deltas(entry["text"], rng, largest)
        got, _ = run_stream(entry["lang"], deltas)
        assert got == entry["expected"], deltas


# Texts with multi-code-point emoji and markdown markers, split at every position:
# inside ZWJ sequences, skin tones, flags, keycaps and between the two "*" of "**".
TRICKY = [
    ("a", "**Family** 👨‍👩‍👧‍👦 is home. 👋🏽 Hi!\n- 🏴󠁧󠁢󠁳󠁣󠁴󠁿 **Scotland** 1️⃣ done ✅"),
    ("e", "¡Hecho! ✔️ **21,5 °C** y ~~sol~~ 🌤️. Mira [esto](https://www.home-assistant.io/x).\n"),
    ("a", "| Day | °C |\n|---|---|\n| **Mon** | 21 |\n```\nx = 1\n```\nEnd. [Kokoro](/kˈOkəɹO/) ok"),
    ("f", "« Oui ! » Il est 14h30… 🇫🇷 —\n> **Note :** 1,5 °C"),
]


@pytest.mark.parametrize(("lang", "text"), TRICKY, ids=[f"tricky-{i}" for i in range(len(TRICKY))])
def test_every_single_split(lang: str, text: str) -> None:
    expected = normalize(text, lang)
    for point in range(1, len(text)):
        got, _ = run_stream(lang, split_at(text, [point]))
        assert got == expected, point


def test_tricky_texts_really_split_inside_sequences() -> None:
    # The splits above include the positions this test is about.
    text = TRICKY[0][1]
    zwj = text.index("\u200d")
    assert text[zwj - 1] == "👨" and text[zwj + 1] == "👩"
    assert text.startswith("**")  # a split at 1 falls between the two asterisks


@pytest.mark.parametrize(("lang", "text"), TRICKY, ids=[f"tricky-{i}" for i in range(len(TRICKY))])
def test_random_multi_splits(lang: str, text: str) -> None:
    expected = normalize(text, lang)
    rng = random.Random(len(text))
    for _ in range(200):
        points = rng.sample(range(1, len(text)), k=min(len(text) - 1, rng.randint(1, 12)))
        got, _ = run_stream(lang, split_at(text, points))
        assert got == expected, sorted(points)


def test_complete_line_is_released_before_flush() -> None:
    stream = StreamNormalizer("a")
    assert stream.feed("Turn on the kitchen li") == ""
    assert stream.feed("ghts\nAnd") == "Turn on the kitchen lights.\n"
    assert stream.flush() == "And."


def test_list_item_is_released_on_its_newline() -> None:
    stream = StreamNormalizer("a")
    assert stream.feed("Here you go:\n- 21 °C") == "Here you go:\n"
    assert stream.feed("\n") == "21 degrees Celsius.\n"
    assert stream.flush() == ""


def test_sentence_is_released_mid_line() -> None:
    stream = StreamNormalizer("a")
    assert stream.feed("It is 21 °C.") == ""  # no space yet: "21 °C.5" is still possible
    assert stream.feed(" ") == "It is 21 degrees Celsius."
    assert stream.feed("Humid") == ""
    assert stream.feed("ity is 45 %! Nice") == " Humidity is 45 percent!"
    assert stream.flush() == " Nice."


def test_no_release_inside_a_link() -> None:
    stream = StreamNormalizer("a")
    assert stream.feed("[Read this. Then that](https://x.io/a") == ""
    assert stream.feed(") now. ") == "Read this. Then that now."


def test_table_is_held_until_its_separator() -> None:
    stream = StreamNormalizer("a")
    assert stream.feed("| Room | Temp |\n") == ""  # header or plain row? not known yet
    assert stream.feed("|---|---|\n") == ""
    assert stream.feed("| Kitchen | 21 °C |\n") == "Room: Kitchen, Temp: 21 degrees Celsius.\n"
    assert stream.feed("Done") == ""
    assert stream.flush() == "Done."


def test_code_fence_is_held_until_closed() -> None:
    stream = StreamNormalizer("a")
    assert stream.feed("Run:\n```\nha core restart\n") == "Run:\n"
    assert stream.feed("```\n") == "ha core restart.\n"


def test_long_undecided_start_waits_for_the_newline() -> None:
    # A kind is only looked for near the start of a line (cheap per feed); a line that
    # is still undecided there is released whole, with the same result.
    text = " " * 100 + "Hello. World\n- - -\n" + "-" * 100 + "\nEnd. Now"
    got, outputs = run_stream("a", list(text))
    assert got == normalize(text, "a") == "Hello. World.\nEnd. Now."
    assert outputs[text.index("World") + 1] == ""  # not released mid-line


def test_flush_resets_for_reuse() -> None:
    stream = StreamNormalizer("a")
    stream.feed("| a | b |\n```\n")
    stream.flush()
    assert stream.feed("Hello\n") == "Hello.\n"
    assert stream.feed("") == ""
    assert stream.flush() == ""
