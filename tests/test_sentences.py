"""Sentence splitting: streamed deltas, CJK punctuation, limits, nothing dropped."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from wyoming_kokoro.pipeline.sentences import SentenceSplitter


def split(text: str, **kwargs) -> list[str]:
    splitter = SentenceSplitter(**kwargs)
    return splitter.feed(text) + splitter.flush()


def test_sentences():
    assert split("Turn on the lights. It is 21.5 degrees! Anything else?") == [
        "Turn on the lights.", "It is 21.5 degrees!", "Anything else?"]


def test_abbreviations_initials_and_list_numbers_do_not_split():
    assert split("Dr. Smith met J. R. Tolkien, e.g. at 3 p.m. today. Next.") == [
        "Dr. Smith met J. R. Tolkien, e.g. at 3 p.m. today.", "Next."]
    assert split("1. Milk\n2. Eggs") == ["1. Milk", "2. Eggs"]


def test_quotes_and_newlines():
    assert split('He said "Go." Then left.\nNew line') == ['He said "Go."', "Then left.", "New line"]


def test_cjk_punctuation_needs_no_space():
    assert split("今日は晴れです。明日は雨！本当？") == ["今日は晴れです。", "明日は雨！", "本当？"]


def test_streamed_deltas_break_mid_word():
    splitter = SentenceSplitter()
    out: list[str] = []
    for delta in ["The li", "ghts are o", "n. The do", "or is lo", "cked."]:
        out += splitter.feed(delta)
    assert out == ["The lights are on."]  # the second waits: more text may follow
    assert splitter.flush() == ["The door is locked."]


def test_a_sentence_is_released_once_the_next_character_arrives():
    splitter = SentenceSplitter()
    assert splitter.feed("Hello there.") == []
    assert splitter.feed(" ") == ["Hello there."]


def test_long_pieces_are_cut_at_clauses_then_spaces():
    text = ("word " * 100).strip()
    pieces = split(text, max_chars=60)
    assert all(len(p) <= 60 for p in pieces)
    assert " ".join(pieces) == text
    clause = split("alpha beta gamma, delta epsilon zeta eta theta iota kappa", max_chars=30)
    assert clause[0] == "alpha beta gamma,"


def test_fast_first_clause():
    text = ("When you get home tonight, after the long drive from the city, "
            "remember to water the plants. Then rest.")
    assert split(text, first_clause_chars=40) == [
        "When you get home tonight,",
        "after the long drive from the city, remember to water the plants.",
        "Then rest.",
    ]
    # Short first sentences are not cut.
    assert split("Yes, done. Next, please.", first_clause_chars=40) == ["Yes, done.", "Next, please."]


def _letters(pieces: list[str]) -> str:
    return "".join("".join(pieces).split())


@settings(max_examples=150, deadline=None)
@given(
    text=st.lists(st.sampled_from(list("ab c.,!?\n。日") + ["Dr", "1", " "]), max_size=200).map(
        "".join),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=12),
)
def test_nothing_is_dropped_and_pieces_stay_short(text, cuts):
    splitter = SentenceSplitter(max_chars=50, first_clause_chars=30)
    pieces: list[str] = []
    last = 0
    for cut in sorted(set(cuts)):
        pieces += splitter.feed(text[last:cut])
        last = max(last, cut)
    pieces += splitter.feed(text[last:]) + splitter.flush()
    assert _letters(pieces) == "".join(text.split())
    assert all(piece.strip() and len(piece) <= 51 for piece in pieces)


def test_a_known_boundary_releases_the_sentence_at_once():
    splitter = SentenceSplitter()
    assert splitter.feed("Primera frase.", ends_sentence=True) == ["Primera frase."]
    # Abbreviations are still not boundaries.
    assert splitter.feed(" Habló el Dr.", ends_sentence=True) == []
    assert splitter.feed(" Pérez.", ends_sentence=True) == ["Habló el Dr. Pérez."]
