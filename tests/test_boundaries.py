"""Sentence boundaries: one set of rules, read the same way by the normaliser and the splitter."""

from __future__ import annotations

import pytest

from wyoming_kokoro.pipeline.boundaries import (
    ABBREVIATIONS,
    CLOSING_MARKS,
    IDEOGRAPHIC_BREAKS,
    IDEOGRAPHIC_STOPS,
    MARKDOWN_CLOSERS,
    SPOKEN_CLOSERS,
    STOPS,
    ends_sentence,
    ends_with_final,
    is_initial,
)
from wyoming_kokoro.pipeline.sentences import SentenceSplitter
from wyoming_kokoro.pipeline.textnorm import StreamNormalizer


def split(text: str) -> list[str]:
    splitter = SentenceSplitter()
    return splitter.feed(text) + splitter.flush()


def released(text: str, language: str = "a") -> str:
    """What the normaliser lets go of before the text ends: only what follows a cut."""
    return StreamNormalizer(language).feed(text)


def pipeline(deltas: list[str], language: str = "a") -> list[list[str]]:
    """Normaliser then splitter, as a request runs them: the pieces after each delta."""
    normalizer = StreamNormalizer(language)
    splitter = SentenceSplitter()
    return [splitter.feed(cleaned, ends_sentence=bool(cleaned))
            for cleaned in (normalizer.feed(delta) for delta in deltas)]


def test_a_dot_ends_a_sentence_except_after_abbreviations_initials_and_list_numbers():
    assert ends_sentence("The lights are on", ".")
    assert ends_sentence("It costs 3", ".")  # a number inside a sentence
    assert not ends_sentence("Ask Dr", ".")
    assert not ends_sentence("Ask (Dr", ".")  # opening marks are not part of the word
    assert not ends_sentence("written by J", ".")
    assert not ends_sentence("for example e.g", ".")
    assert not ends_sentence("in the U.S", ".")
    assert not ends_sentence("Shopping:\n1", ".")
    assert not ends_sentence("", ".")


@pytest.mark.parametrize("stop", "!?…")
def test_other_stops_always_end_a_sentence(stop):
    assert ends_sentence("Ask Dr", stop)
    assert ends_sentence("1", stop)


@pytest.mark.parametrize("abbreviation", ["mr", "mrs", "ms", "dr", "prof", "sr", "sra", "srta",
                                          "jr", "st", "vs", "mt", "no", "nr", "approx", "dept",
                                          "fig", "mme", "mlle", "sig", "dott", "av", "ca"])
def test_no_abbreviation_ends_a_sentence_in_the_splitter(abbreviation):
    word = abbreviation.capitalize()
    assert not ends_sentence(f"Ask {word}", ".")
    assert split(f"Ask {word}. Smith now. Then go.") == [f"Ask {word}. Smith now.", "Then go."]


def test_initials_in_the_normaliser():
    assert is_initial("at 3 p.m. today", 6)
    assert is_initial("at 3 p.m. today", 8)
    assert is_initial("J. Smith", 1)
    assert not is_initial("21 °C. Next", 4)
    assert not is_initial("warm. Next", 4)
    assert not is_initial("a.", 1, start=1)  # the letter belongs to the piece before


def test_decimals_and_domains_are_not_cut_by_either_reader():
    text = "It is 21.5 degrees at example.com today"
    assert split(text) == [text]
    assert released(text) == ""
    assert split("It is 21.5 degrees. Next") == ["It is 21.5 degrees.", "Next"]
    assert released("It is 21.5 degrees. Next") == "It is 21.5 degrees."


@pytest.mark.parametrize("stop", "。！？")
def test_ideographic_stops_cut_without_a_space_in_both_readers(stop):
    assert split(f"你好{stop}再见") == [f"你好{stop}", "再见"]
    assert released(f"你好{stop}再见", "z") == f"你好{stop}"


@pytest.mark.parametrize("stop", ".!?…")
@pytest.mark.parametrize("closer", "\"'”’»)]")
def test_closing_marks_after_a_stop_cut_in_both_readers(stop, closer):
    assert split(f"Say yes{stop}{closer} Then go") == [f"Say yes{stop}{closer}", "Then go"]
    assert released(f"Say yes{stop}{closer} Then go") != ""


@pytest.mark.parametrize("closer", "}」』）】")
def test_cjk_brackets_close_after_a_stop_in_spoken_text(closer):
    assert split(f"Say yes.{closer} Then go") == [f"Say yes.{closer}", "Then go"]


@pytest.mark.parametrize("closer", "*_`~")
def test_markdown_marks_close_after_a_stop_in_raw_text(closer):
    assert released(f"{closer}Done.{closer} Next") != ""


def test_a_line_that_ends_like_a_sentence_gets_no_added_stop():
    assert ends_with_final("It is on.")
    assert ends_with_final('He said "go!"')
    assert ends_with_final("Ingredients:")
    assert ends_with_final("你好。")
    assert not ends_with_final("It is on")
    assert not ends_with_final("")


def test_the_splitter_holds_what_the_normaliser_releases_at_an_abbreviation():
    # The normaliser cuts after "Dr. ", but by the shared abbreviation rule the
    # sentence goes on: the splitter waits for the rest.
    assert released("Ask Dr. Smith") == "Ask Dr."
    assert pipeline(["Ask Dr. Smith", " now. Then"]) == [[], ["Ask Dr. Smith now."]]


def test_the_splitter_cuts_at_once_where_the_normaliser_released_a_sentence():
    assert pipeline(["The lights are on. The do", "or is locked."]) == [
        ["The lights are on."], []]


def test_the_readers_share_their_marks():
    # Each reader's own set is the shared one plus what only its kind of text has.
    assert CLOSING_MARKS < SPOKEN_CLOSERS and CLOSING_MARKS < MARKDOWN_CLOSERS
    assert IDEOGRAPHIC_STOPS < IDEOGRAPHIC_BREAKS
    assert not STOPS & IDEOGRAPHIC_BREAKS
    assert all(word == word.lower() and "." not in word for word in ABBREVIATIONS)


@pytest.mark.parametrize("stop", "；．")
def test_full_width_semicolon_and_stop_cut_only_in_the_splitter(stop):
    assert split(f"你好{stop}再见") == [f"你好{stop}", "再见"]
    assert released(f"你好{stop}再见", "z") == ""
