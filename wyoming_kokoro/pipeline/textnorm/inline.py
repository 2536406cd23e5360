"""One stretch of prose (a sentence, a table cell, a code line) made speakable.

This is a pure function of its input: the block structure around it is handled
by document.py, which decides where the stretches begin and end.
"""

from __future__ import annotations

import re

from wyoming_kokoro.pipeline.textnorm import markdown, symbols, typography
from wyoming_kokoro.pipeline.textnorm.lexicon import Reading

# misaki's inline syntax: [word](/phonemes/), [word](-1) stress, [word](#flags#).
# It is protected before anything else runs and put back untouched at the end.
_ANNOTATION = re.compile(r"\[[^\[\]\n]+\]\((?:/[^)\n]*/|[+-]?\d+|[+-]?0\.5|#[^)\n]*#)\)")

# Symbols that emoji removal must leave for symbols.py to read.
_SYMBOLS_KEPT = frozenset("°℃℉№")

# Markdown characters that must never be spoken, whatever they were doing.
_MARKUP = str.maketrans({"*": "", "_": "", "~": "", "`": "", "#": "", "\\": " ", "|": ", "})


def _protect(text: str) -> tuple[str, list[str]]:
    saved: list[str] = []

    def hold(m: re.Match[str]) -> str:
        saved.append(m.group(0))
        return chr(typography.PLACEHOLDER_FIRST + len(saved) - 1)

    if "](" not in text:
        return text, saved
    return _ANNOTATION.sub(hold, text), saved


def _restore(text: str, saved: list[str]) -> str:
    if not saved:
        return text
    out: list[str] = []
    for ch in text:
        if typography.is_placeholder(ch):
            index = ord(ch) - typography.PLACEHOLDER_FIRST
            out.append(saved[index] if index < len(saved) else "")
        else:
            out.append(ch)
    return "".join(out)


def speak(text: str, lang: Reading, item_start: bool = False) -> str:
    """Speakable form of `text` (no newlines inside), stripped of outer spaces.

    `item_start` marks the first stretch of a line, where a task-list checkbox
    ("[ ]", "[x]") may stand.
    """
    text, saved = _protect(typography.decode(text))
    text = typography.normalize_chars(text)
    if item_start:
        text = markdown.strip_task_box(text)
    text = symbols.multiplication(text, lang)
    text = markdown.strip_inline(text)
    text = typography.drop_emoji(text, keep=_SYMBOLS_KEPT)
    text = symbols.speak_symbols(text, lang)
    text = typography.dashes(text)
    text = text.translate(_MARKUP)
    text = typography.drop_emoji(text)  # symbols nobody read (a stray "°", "©")
    text = typography.tidy(text)
    return _restore(text, saved)
