"""Properties of the text front-end over generated assistant-like text (hypothesis)."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from itertools import pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wyoming_kokoro.pipeline.textnorm import StreamNormalizer, normalize
from wyoming_kokoro.pipeline.textnorm.markdown import FLOWING, classify

# Pieces that assistants produce and that interact: markdown markers, tables, fences,
# links, misaki annotations, URLs, numbers with units, money, times, dates, emoji
# (ZWJ sequences, skin tones, flags, keycaps, tags), odd spaces and entities.
TOKENS = [
    "**", "*", "_", "__", "~~", "~", "`", "```", "~~~", "# ", "## ", "> ", ">", "- ", "* ", "+ ",
    "1. ", "2) ", "| ", " | ", "|---|---|", "---", "===", "\n", "\n", "\n", " ", " ", "  ", "\t",
    "Hello", "world", "it’s", "“q”", "«", "»", "—", "–", "-", "…", ".", ". ", "! ", "? ", ",",
    ":", ";", "(", ")", "[", "]", "](", "][", "[x](/fˈoʊ/)", "[a](-1)", "[link](https://x.io/a(b)c)",
    "[r][1]", "https://www.home-assistant.io/docs/x", "www.example.com", "<https://a.b/c9>",
    "http://192.168.1.10:8123/x", "21.5", "-5", "−5", "+3", "10–12", "10-12", "14:30", "08:05",
    "00:00", "14:00", "2:05 p.m.", "2026-11-28", "2026-01-05", "2026-13-40", "0.28 €/kWh", "€5.50",
    "$0.05", "$5.00", "R$ 5,50", "₹1,250", "1.234,56", "°C", " °C", "%", " kWh", " km/h", " µg/m³",
    " ug/m3", " m2", "2700 K", "~20", "#3", "&", "&amp;", "&#49;", "<br>", "<b>", "</b>", "<h1>",
    "👨‍👩‍👧‍👦", "👍🏽", "🇩🇪", "1️⃣", "#️⃣", "✅", "❌", "⚠️", "❓", "☀️", "🏴󠁧󠁢󠁥󠁮󠁧󠁿", "\u200b", "\u00a0",
    "\u202f", "\r", "[ ] ", "[x] ", "<", "=", "\\", "x", "7", "0", "00", "05", "12", "3", "。", "बजे",
    "14h30", "6h",
]
LANGS = ["a", "b", "e", "f", "h", "i", "j", "p", "z", "en-GB", "pt-BR", "xx"]

texts = st.lists(
    st.one_of(st.sampled_from(TOKENS), st.text(min_size=1, max_size=3)), max_size=30
).map("".join)
langs = st.sampled_from(LANGS)

PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# misaki's inline syntax, which passes through untouched (and so may hold anything).
ANNOTATION = re.compile(r"\[[^\[\]\n]+\]\((?:/[^)\n]*/|[+-]?\d+|[+-]?0\.5|#[^)\n]*#)\)")


def is_pictograph(ch: str) -> bool:
    """Emoji and their parts, other pictographs, invisible format characters."""
    cp = ord(ch)
    return (
        unicodedata.category(ch) in ("So", "Sk", "Cn", "Co", "Cs", "Cf", "Me")
        or 0xFE00 <= cp <= 0xFE0F  # variation selectors
        or 0xE0100 <= cp <= 0xE01EF
    )


@PROPS
@given(text=texts, lang=langs)
def test_no_markup_or_emoji_is_spoken(text: str, lang: str) -> None:
    out = ANNOTATION.sub("A", normalize(text, lang))
    for ch in "*`|~_#":
        assert ch not in out
    assert not [ch for ch in out if is_pictograph(ch)]
    for line in out.split("\n"):
        assert not line.lstrip().startswith(">")
        assert line == line.strip()
    assert "  " not in out
    assert not re.search(r" [,;:!?]| \.(?![.\d])", out), "space before punctuation"


# --- digits -----------------------------------------------------------------------
# Definition. The significant digits of a text are its maximal runs of ASCII digits,
# each without its leading zeros (a run of zeros is dropped: "14:00" may be read
# "14 hundred", "$5.00" "5 dollars", "08:05" "8 oh 5"). Not counted: link
# destinations "](...)", reference labels "][1]", URLs (from "http://", "https://",
# "ftp://" or "www." to the next space), HTML tags and digit-bearing HTML entities,
# and the exponent in "m2"/"m3" (a unit, read "square"/"cubic"). An ISO date
# YYYY-MM-DD is read day then year with the month as a word, so its month is not
# counted and its day and year are checked for presence, not order.
# Property: the input's significant digits appear, in order, among the output's digits
# (dates left out), and as a multiset (with each date's day and year). Code fences are
# excluded: a long one is replaced by a spoken note.

LINK_DESTINATION = re.compile(r"\]\((?:[^()\n]|\([^()\n]*\))*\)")
NOT_COUNTED = re.compile(
    r"(?<=\])\[[^\[\]\s]*\]"
    r"|(?:https?://|ftp://|www\.)\S*"
    r"|<[^<>\n]*>"
    r"|&(?:#\d+|#x[0-9a-f]+|[a-z]+\d+);?"
    r"|(?<=m)[23](?!\d)",
    re.IGNORECASE,
)
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
FENCE_LINE = re.compile(r"^\s*(```|~~~)", re.MULTILINE)


def significant(text: str) -> str:
    return "".join(run.lstrip("0") for run in re.findall(r"[0-9]+", text))


def counted_digits(text: str) -> tuple[str, Counter[str]]:
    text = NOT_COUNTED.sub(" ", LINK_DESTINATION.sub("] ", text))
    in_order = significant(ISO_DATE.sub(" ", text))
    present = significant(ISO_DATE.sub(lambda m: f" {m.group(3)} {m.group(1)} ", text))
    return in_order, Counter(present)


def is_subsequence(needle: str, haystack: str) -> bool:
    rest = iter(haystack)
    return all(ch in rest for ch in needle)


@PROPS
@given(text=texts.filter(lambda t: not FENCE_LINE.search(t)), lang=langs)
def test_digits_are_never_lost(text: str, lang: str) -> None:
    out_digits = "".join(re.findall(r"[0-9]", normalize(text, lang)))
    in_order, present = counted_digits(text)
    assert is_subsequence(in_order, out_digits), (in_order, out_digits)
    assert not present - Counter(out_digits)


def test_digit_definition_examples() -> None:
    # The definition above, pinned on hand-made cases.
    assert counted_digits("at 08:05, $5.00") == ("855", Counter("855"))
    assert counted_digits("[a](https://x.io/9) 2026-11-05 7") == ("7", Counter("520267"))
    assert normalize("2026-11-05 at 08:05", "a") == "November 5th, 2026 at 8 oh 5."


# --- streaming -------------------------------------------------------------------


def stream_output(text: str, lang: str, points: list[int]) -> str:
    cuts = [0, *sorted({p % (len(text) + 1) for p in points}), len(text)]
    stream = StreamNormalizer(lang)
    out = [stream.feed(text[a:b]) for a, b in pairwise(cuts)]
    return "".join(out) + stream.flush()


@PROPS
@given(text=texts, lang=langs, points=st.lists(st.integers(0, 10_000), max_size=15))
def test_stream_equals_one_shot(text: str, lang: str, points: list[int]) -> None:
    assert stream_output(text, lang, points) == normalize(text, lang)


@PROPS
@given(text=texts, lang=langs)
def test_stream_one_character_at_a_time(text: str, lang: str) -> None:
    assert stream_output(text, lang, list(range(len(text)))) == normalize(text, lang)


@PROPS
@given(line=texts.map(lambda t: t.split("\n")[0]), data=st.data())
def test_a_decided_block_kind_never_changes(line: str, data: st.DataObject) -> None:
    # The stream relies on this: what a line's start decides, its end cannot undo.
    # (A fence may still grow longer, "```" to "````"; fences are never cut early.)
    cut = data.draw(st.integers(0, len(line)))
    early = classify(line[:cut], complete=False)
    if early is not None:
        final = classify(line, complete=True)
        assert final is not None and final.kind == early.kind
        if early.kind in FLOWING:
            assert final == early
