"""Characters: spaces, quotes, dashes, ellipses, emoji, and the final tidy-up.

misaki mispronounces curly apostrophes ("it’s") and espeak reads some symbols by
name, so everything is brought down to a small, plain set of characters here.
Emoji and other pictographs are dropped without leaving a pause behind.
"""

from __future__ import annotations

import html
import re
import unicodedata

# Placeholders that stand in for misaki phoneme annotations while the rest of the
# text is rewritten (see inline.py). They live in Supplementary Private Use Area-A,
# which user text never legitimately needs; any such input character is dropped.
PLACEHOLDER_FIRST = 0xF0000
PLACEHOLDER_LAST = 0xFFFFD


def is_placeholder(ch: str) -> bool:
    """True for a character in the range reserved for annotation placeholders."""
    return PLACEHOLDER_FIRST <= ord(ch) <= PLACEHOLDER_LAST


# Thousands separators that are spaces (French "1 234", narrow no-break space):
# joined, so espeak reads one number instead of two.
_THOUSANDS_SPACE = re.compile(r"(?<=\d)[\u00a0\u202f\u2009\u2007](?=\d{3}(?!\d))")

_CHAR_MAP = {
    # apostrophes and single quotes: misaki only knows the straight one
    "\u2019": "'", "\u2018": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u02bc": "'", "\u00b4": "'",
    # double quotes and guillemets
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"', "\u2039": '"', "\u203a": '"',
    # ellipses
    "\u2026": "...", "\u22ef": "...",
    # emoji-capable punctuation: keep the punctuation, lose the picture
    "\u203c": "!", "\u2049": "?",
    # ring above, often typed for the degree sign ("21˚C")
    "\u02da": "\u00b0",
}

# Spaces just inside guillemets are French typography, not pauses.
_GUILLEMET_OPEN = re.compile(r"([«‹])\s+")
_GUILLEMET_CLOSE = re.compile(r"\s+([»›])")


def decode(text: str) -> str:
    """Resolve HTML entities ("&nbsp;", "&rsquo;") and drop the placeholder range."""
    if "&" in text:
        text = html.unescape(text)
    return "".join(ch for ch in text if not is_placeholder(ch))


def normalize_chars(text: str) -> str:
    """Odd spaces, curly quotes, ellipses, control characters (placeholders kept)."""
    text = _THOUSANDS_SPACE.sub("", text)
    text = _GUILLEMET_OPEN.sub(r"\1", text)
    text = _GUILLEMET_CLOSE.sub(r"\1", text)
    out: list[str] = []
    for ch in text:
        mapped = _CHAR_MAP.get(ch)
        if mapped is not None:
            out.append(mapped)
        elif ch.isspace():
            out.append(" ")
        elif is_placeholder(ch):
            out.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cs"):
            continue
        else:
            out.append(ch)
    return "".join(out)


# Characters that only decorate a neighbouring pictograph: removed without a trace
# so "👍🏽" or "1️⃣" leave nothing (or the bare digit) behind.
def _is_modifier(cp: int, cat: str) -> bool:
    return (
        0xFE00 <= cp <= 0xFE0F  # variation selectors (text/emoji presentation)
        or 0xE0100 <= cp <= 0xE01EF  # variation selectors supplement
        or 0x1F3FB <= cp <= 0x1F3FF  # skin tones
        or 0xE0000 <= cp <= 0xE007F  # tag characters (subdivision flags)
        or cat in ("Cf", "Me")  # ZWJ and other format characters, keycap/enclosing marks
    )


# Letters and punctuation that are, in practice, only ever emoji.
_PICTOGRAPH_EXTRA = frozenset("\u2139\u3030\u303d\u24c2")


def drop_emoji(text: str, keep: frozenset[str] = frozenset()) -> str:
    """Remove emoji and other pictographs; `keep` lists symbols still needed later.

    A pictograph becomes a space (the tidy-up removes doubled spaces and spaces before
    punctuation), so "sunny☀️today" does not glue two words together.
    """
    out: list[str] = []
    for ch in text:
        if ch in keep or is_placeholder(ch):
            out.append(ch)
            continue
        cp = ord(ch)
        cat = unicodedata.category(ch)
        if _is_modifier(cp, cat):
            continue
        # So: emoji, dingbats, regional indicators; Sk: modifier symbols such as "^";
        # Cn: code points newer than this Python's Unicode tables (new emoji); Co: icons.
        if cat in ("So", "Sk", "Cn", "Co") or ch in _PICTOGRAPH_EXTRA:
            out.append(" ")
            continue
        out.append(ch)
    return "".join(out)


# Dashes between words become a comma pause; between numbers they were already read
# as ranges by symbols.py, so what is left here is prose.
_ARROW = re.compile(r"\s*(?:-{1,2}>|=>|[\u2192\u21d2\u27f6\u27f9])\s*")
_DASH = re.compile(r"\s*(?:-{2,}|[\u2013\u2014\u2015\u2012])\s*")
_LONE_HYPHEN = re.compile(r"(?<!\S)-+(?!\S)")
_MID_BULLET = re.compile(r"\s+[\u2022\u00b7\u2027\u2219]\s+")
_OTHER_ARROWS = re.compile(r"[\u2190-\u21ff\u27f0-\u27ff\u2900-\u297f]")


def dashes(text: str) -> str:
    """Dashes, arrows and mid-line bullets between words become ", "."""
    text = _ARROW.sub(", ", text)
    text = _DASH.sub(", ", text)
    text = _LONE_HYPHEN.sub(", ", text)
    text = _MID_BULLET.sub(", ", text)
    text = _OTHER_ARROWS.sub(" ", text)
    return text.replace("\u2212", "-")


_SPACES = re.compile(r"\s+")
_EMPTY_BRACKETS = re.compile(r"\(\s*\)|\[\s*\]|\{\s*\}")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?)\]}])")
_SPACE_AFTER_OPEN = re.compile(r"([¿¡(\[{])\s+")
_DOUBLE_COMMA = re.compile(r",(?:\s*,)+")
_COMMA_BEFORE_STOP = re.compile(r"[,;]+(?=[.!?:])")
_COMMA_AFTER_STOP = re.compile(r"([.!?:])[,;]+")
_LEADING_JUNK = re.compile(r"^(?:[\s,;:!?]|\.(?![.\d]))+")
_TRAILING_JUNK = re.compile(r"[\s,;]+$")


def tidy(text: str) -> str:
    """Collapse spaces and remove punctuation debris left by removed markup or emoji."""
    text = _SPACES.sub(" ", text)
    text = _EMPTY_BRACKETS.sub(" ", text)
    text = _SPACES.sub(" ", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = _SPACE_AFTER_OPEN.sub(r"\1", text)
    text = _DOUBLE_COMMA.sub(",", text)
    text = _COMMA_BEFORE_STOP.sub("", text)
    text = _COMMA_AFTER_STOP.sub(r"\1", text)
    text = _LEADING_JUNK.sub("", text)
    text = _TRAILING_JUNK.sub("", text)
    return text.strip()
