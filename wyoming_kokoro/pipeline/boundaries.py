"""Where a sentence ends: the marks and rules that every text reader shares.

Two readers cut text at sentence ends. The normaliser (textnorm/document.py)
cuts the client's raw text, markdown included, into pieces it makes speakable;
the splitter (sentences.py) cuts the spoken text into the pieces the model
synthesises. Both take their marks and rules from here, so a change to what
ends a sentence is made once. Where they differ, the difference is a named set
below with its reason, not a second copy.

Common to both: a stop ends a sentence only when whitespace (or the end of the
text) follows it, after any closing marks, so "21.5" and "example.com" are
never cut; an ideographic stop needs no space.
"""

from __future__ import annotations

STOPS = frozenset(".!?…")
"""End a sentence when whitespace follows."""
IDEOGRAPHIC_STOPS = frozenset("。！？")
"""End a sentence with no space after them (Chinese and Japanese)."""
IDEOGRAPHIC_BREAKS = IDEOGRAPHIC_STOPS | frozenset("；．")
"""Where the splitter cuts spoken text with no space: the stops and also the
full-width semicolon and full stop, so long CJK sentences stay short enough."""

CLOSING_MARKS = frozenset("\"'”’»)]")
"""May stand between a stop and the space: 'said "no." Then'."""
SPOKEN_CLOSERS = CLOSING_MARKS | frozenset("}」』）】")
"""Closing marks in spoken text, with the brackets CJK text uses."""
MARKDOWN_CLOSERS = CLOSING_MARKS | frozenset("*_`~")
"""Closing marks in the client's raw text, where markdown may close after a stop:
'**Done.** Next'."""
OPENING_MARKS = "\"'“‘([{"
"""May stand before a word; they are not part of it ("(Dr." is the word "Dr")."""

OPEN_QUOTES = frozenset("«“‹")
CLOSE_QUOTES = frozenset("»”›")
"""Quotes with distinct opening and closing marks: nothing inside them is cut
(French puts a space before the closing guillemet: « Bonne nuit ! »)."""

LINE_FINALS = STOPS | IDEOGRAPHIC_STOPS | frozenset(":।॥")
"""A line that already ends with one of these gets no added full stop."""

CLAUSE_MARKS = ",;:—、，；："
"""Where an over-long sentence may be cut with the least harm."""

ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "prof", "sr", "sra", "srta", "jr", "st", "vs", "mt", "no",
     "nr", "approx", "dept", "fig", "mme", "mlle", "sig", "dott", "av", "ca"}
)
"""Words whose dot never ends a sentence (English, Spanish, French, Italian…)."""


def skip_closers(text: str, j: int, closers: frozenset[str] = SPOKEN_CLOSERS) -> int:
    """The index after any closing marks that start at j."""
    while j < len(text) and text[j] in closers:
        j += 1
    return j


def is_initial(text: str, j: int, start: int = 0) -> bool:
    """The dot at j follows a one-letter word ("p.m.", "a. m.", "J. Smith").

    Such a dot does not cut: "2:30 p.m." stays with what follows it. start is
    where the text of the current piece begins. "21 °C." is not an initial.
    """
    return (
        text[j] == "."
        and j - 1 >= start
        and text[j - 1].isalpha()
        and (j - 2 < start or text[j - 2].isspace() or text[j - 2] == ".")
    )


def ends_sentence(before: str, stop: str) -> bool:
    """Whether stop, following the text before, ends a sentence.

    False for abbreviations, initials and list numbers ("Dr.", "J.", "e.g.",
    "1." numbering a list item); only a dot can be any of those.
    """
    if stop != ".":
        return True
    word = before.rsplit(None, 1)[-1] if before.split() else ""
    word = word.lstrip(OPENING_MARKS)
    if not word:
        return False
    if word.lower() in ABBREVIATIONS:
        return False
    if len(word) == 1 and word.isalpha():
        return False
    if "." in word and all(len(p) <= 1 for p in word.split(".")):
        return False  # e.g. "e.g" or "U.S"
    line = before.rsplit("\n", 1)[-1]
    if word.isdigit() and line.strip() == word:
        return False  # "1." numbering a list item
    return True


def ends_with_final(text: str) -> bool:
    """The text already ends like a sentence (closing marks aside)."""
    text = text.rstrip().rstrip("".join(sorted(CLOSING_MARKS)))
    return bool(text) and text[-1] in LINE_FINALS
