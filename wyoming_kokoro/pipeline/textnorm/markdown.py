"""Markdown: what kind of block a line starts, table cells, and inline markup.

Block structure is decided from the start of a line only, and `classify` says so
explicitly when it cannot decide yet (returns None). The streaming normalizer
relies on that: a kind decided on a partial line never changes as the line grows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Block kinds.
BLANK = "blank"
PARA = "para"
HEADING = "heading"
BULLET = "bullet"
ORDERED = "ordered"
PIPE = "pipe"  # a table row (starts with "|")
FENCE = "fence"  # ``` or ~~~
RULE = "rule"  # horizontal rule, setext underline or table separator row

# Kinds whose text is read as flowing prose and may be released sentence by sentence.
FLOWING = frozenset({PARA, HEADING, BULLET, ORDERED})

_BULLET_MARKS = "-*+•◦▪‣"
_RULE_CHARS = frozenset("-*_=:|")
_RULE_LINE = re.compile(
    r"([-*_])(?:\s*\1){2,}\s*"  # thematic break: --- *** ___ (spaces allowed)
    r"|=+\s*|-+\s*"  # setext underline
    r"|\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*"  # table separator row
)
_SEPARATOR = re.compile(r"\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*")


@dataclass(frozen=True)
class Block:
    """The kind of a line and where its text starts (an index into the line)."""

    kind: str
    offset: int = 0
    number: str = ""  # the item number of an ordered list item
    fence: str = ""  # the opening fence ("```", "~~~~") of a code fence


def classify(line: str, complete: bool, start: int = 0, quoted: bool = False) -> Block | None:
    """Decide what block `line` is, or None if more characters are needed to know.

    `complete` says the line is whole (its newline arrived or the text ended). A kind
    returned for an incomplete line is final: the same line, completed in any way,
    classifies the same (the stream's exactness depends on this).
    """
    n = len(line)
    i = start
    while i < n and line[i].isspace():
        i += 1
    if i == n:
        return Block(BLANK, n) if complete else None
    c = line[i]
    if not quoted:
        if c == "|":
            return Block(PIPE, i)
        if c in "`~":
            run = _run(line, i, c)
            if run >= 3:
                return Block(FENCE, i, fence=c * run)
            if i + run == n and not complete:
                return None  # "``" may still become a fence
    rest = line[i:]
    if all(ch in _RULE_CHARS or ch.isspace() for ch in rest):
        # "---", "- - -", "***", "| --- |": a rule or a table separator, but only the
        # whole line can tell ("- item" and "**bold**" start the same way).
        if not complete:
            return None
        if _RULE_LINE.fullmatch(rest):
            return Block(RULE, n)
    if c == "#":
        run = _run(line, i, "#")
        if run <= 6:
            j = i + run
            if j == n:
                return Block(HEADING, n) if complete else None
            if line[j].isspace():
                return Block(HEADING, j + 1)
        return Block(PARA, i)
    if c == ">":
        inner = classify(line, complete, i + 1, quoted=True)
        if inner is None:
            return None
        return inner
    if c in _BULLET_MARKS:
        j = i + 1
        if j == n:
            return Block(BULLET, n) if complete else None
        if line[j].isspace():
            return Block(BULLET, j + 1)
        return Block(PARA, i)
    if c.isdigit():
        run = 0
        while i + run < n and line[i + run].isdigit():
            run += 1
        j = i + run
        if run <= 3:
            if j == n:
                return Block(PARA, i) if complete else None
            if line[j] in ".)":
                if j + 1 == n:
                    return Block(ORDERED, n, number=line[i:j]) if complete else None
                if line[j + 1].isspace():
                    return Block(ORDERED, j + 2, number=line[i:j])
    return Block(PARA, i)


def _run(text: str, i: int, ch: str) -> int:
    j = i
    while j < len(text) and text[j] == ch:
        j += 1
    return j - i


def closes_fence(line: str, fence: str) -> bool:
    """True if `line` closes a code fence opened with `fence`."""
    s = line.strip()
    run = _run(s, 0, fence[0])
    return run >= len(fence) and not s[run:].strip()


def is_separator(line: str) -> bool:
    """True for a table separator row such as "|---|:---:|"."""
    return "|" in line and "-" in line and _SEPARATOR.fullmatch(line) is not None


def split_cells(line: str) -> list[str]:
    """The cells of a table row, outer pipes removed; "\\|" is a literal pipe."""
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|") and not s.endswith("\\|"):
        s = s[:-1]
    return [cell.replace("\\|", "|").strip() for cell in re.split(r"(?<!\\)\|", s)]


# --- inline markup -----------------------------------------------------------

_TASK_BOX = re.compile(r"^\s*\[[ xX✓✔]?\]\s+")

# A link destination: no spaces, parentheses allowed one level deep (Wikipedia URLs).
_DEST = r"\s*<?(?:[^()\s<>]|\([^()\s]*\))*>?"
_TITLE = r"(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?\s*"
_IMAGE = re.compile(r"!\[([^\[\]\n]*)\]\(" + _DEST + _TITLE + r"\)")
_LINK = re.compile(r"\[([^\[\]\n]*)\]\(" + _DEST + _TITLE + r"\)")
# [text][label]: the label is short and has no spaces (nor a protected annotation).
_REF_LINK = re.compile(r"\[([^\[\]\n]+)\]\[[^\[\]\s\U000f0000-\U000ffffd]*\]")
_AUTOLINK = re.compile(r"<((?:https?|ftp)://[^<>\s]+|www\.[^<>\s]+)>", re.IGNORECASE)
# A bare URL runs to a space, a bracket, a quote or a protected annotation.
_URL = re.compile(
    r"(?:(?:https?|ftp)://|\bwww\.)[^\s<>\"'\[\]{}|\\^`*\U000f0000-\U000ffffd]+", re.IGNORECASE
)
_URL_TRAILING = ".,;:!?_~"

_HTML_TAGS = (
    "a|abbr|b|big|blockquote|br|center|code|del|div|em|font|hr|i|ins|kbd|li|mark|ol|p|pre|q|"
    "s|small|span|strike|strong|sub|sup|table|tbody|td|tfoot|th|thead|tr|tt|u|ul"
)
_HTML_BREAK = re.compile(r"<(?:br|hr|/?p|/?div|/?li|/?tr|/?td|/?th)\b[^<>]*>", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?(?:" + _HTML_TAGS + r")\b[^<>]*>", re.IGNORECASE)
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_STRIKE = re.compile(r"~~+")
_INNER_UNDERSCORE = re.compile(r"(?<=[^\W_])_+(?=[^\W_])")


def strip_task_box(text: str) -> str:
    """Drop a task-list checkbox ("[ ]", "[x]") at the start of an item."""
    return _TASK_BOX.sub("", text, count=1)


def url_domain(url: str) -> str:
    """The host of a URL, lower-case, without "www." (nobody says "w w w")."""
    rest = re.sub(r"^(?:https?|ftp)://", "", url, flags=re.IGNORECASE)
    host = re.split(r"[/?#]", rest, maxsplit=1)[0]
    host = host.rsplit("@", 1)[-1]
    host = re.sub(r":\d*$", "", host).lower().strip(".")
    if host.startswith("www."):
        host = host[4:]
    return host


def _bare_url(match: re.Match[str]) -> str:
    url = match.group(0)
    # A ")" that closes nothing ends the URL: "(see https://x.io/a)" or "[a](https://x.io)".
    depth = 0
    for i, ch in enumerate(url):
        depth += 1 if ch == "(" else -1 if ch == ")" else 0
        if depth < 0:
            url, tail = url[:i], url[i:]
            break
    else:
        tail = ""
    # Sentence punctuation right after a URL is prose.
    while url and url[-1] in _URL_TRAILING:
        tail = url[-1] + tail
        url = url[:-1]
    return url_domain(url) + tail


def strip_inline(text: str) -> str:
    """Remove inline markdown and HTML; links become their text, URLs their domain.

    Emphasis markers, backticks and strikethrough are removed one by one, without
    pairing: a marker is never spoken, and the stream can cut a line anywhere.
    """
    if "<" in text:
        text = _HTML_BREAK.sub(", ", text)
        text = _HTML_TAG.sub("", text)
        text = _AUTOLINK.sub(lambda m: url_domain(m.group(1)), text)
    # URLs first, also inside link destinations, so that a URL never runs on into
    # the text of a link that was just unwrapped next to it.
    text = _URL.sub(_bare_url, text)
    if "](" in text:
        text = _IMAGE.sub(r"\1", text)
        text = _LINK.sub(r"\1", text)
    if "][" in text:
        text = _REF_LINK.sub(r"\1", text)
    if "\\" in text:
        text = _ESCAPE.sub(r"\1", text)
    text = text.replace("`", "").replace("*", "")
    text = _STRIKE.sub("", text)
    text = _INNER_UNDERSCORE.sub(" ", text)  # snake_case and entity_ids read as words
    return text.replace("_", "")
