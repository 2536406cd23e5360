"""Incremental sentence splitting for text that arrives in arbitrary pieces.

Each piece that comes out is synthesised on its own, so it must stay well
under kokoro's 510-phoneme context. No text is ever dropped: whatever is not a
boundary ends up in some piece, and flush() returns the rest.
"""

from __future__ import annotations

from wyoming_kokoro.pipeline.boundaries import (
    CLAUSE_MARKS,
    IDEOGRAPHIC_BREAKS,
    STOPS,
    ends_sentence,
    skip_closers,
)

# The first sentence is cut at a clause mark once it runs past this many
# characters, so that first audio does not wait for a long sentence.
FIRST_CLAUSE_CHARS = 80


class SentenceSplitter:
    """Feed text as it arrives; get back complete sentences (or safe pieces)."""

    def __init__(
        self,
        max_chars: int = 300,
        first_clause_chars: int = 0,
        min_clause_chars: int = 24,
    ) -> None:
        """max_chars: longest piece; first_clause_chars: when the first sentence
        runs past this many characters, it is cut at its first clause mark after
        min_clause_chars (0 turns this off), so first audio comes sooner."""
        self._buffer = ""
        self._max_chars = max_chars
        self._first_clause_chars = first_clause_chars
        self._min_clause_chars = min_clause_chars
        self._emitted = 0

    @classmethod
    def for_speech(cls, fast_first_clause: bool) -> SentenceSplitter:
        """The splitter a request uses; fast_first_clause cuts a long first sentence early."""
        return cls(first_clause_chars=FIRST_CLAUSE_CHARS if fast_first_clause else 0)

    def feed(self, text: str, ends_sentence: bool = False) -> list[str]:
        """Add text; return the pieces that are now complete.

        ends_sentence: the caller knows a sentence ends where this text ends
        (the normaliser releases text only at boundaries), so final
        punctuation at the very end needs no following character.
        """
        self._buffer += text
        return self._drain(final=False, at_boundary=ends_sentence)

    def flush(self) -> list[str]:
        """End of text: return everything that is left."""
        return self._drain(final=True)

    def _drain(self, final: bool, at_boundary: bool = False) -> list[str]:
        pieces: list[str] = []
        while self._buffer:
            cut = self._find_cut(final, at_boundary)
            if cut is None:
                break
            piece = self._buffer[:cut].strip()
            self._buffer = self._buffer[cut:]
            if piece:
                pieces.append(piece)
                self._emitted += 1
        if final:
            self._buffer = ""
        return pieces

    def _find_cut(self, final: bool, at_boundary: bool = False) -> int | None:
        buf = self._buffer
        first_clause = self._emitted == 0 and self._first_clause_chars > 0
        limit = min(self._max_chars, self._first_clause_chars) if first_clause else self._max_chars
        i = 0
        while i < len(buf):
            if i >= limit:
                if first_clause:
                    cut = self._first_clause_cut(buf, limit)
                    if cut is not None:
                        return cut
                    # No clause mark early enough: treat the sentence normally.
                    self._first_clause_chars = 0
                    return self._find_cut(final, at_boundary)
                return _forced_cut(buf, limit)
            ch = buf[i]
            if ch == "\n":
                return i + 1
            if ch in IDEOGRAPHIC_BREAKS:
                return skip_closers(buf, i + 1)
            if ch in STOPS:
                j = skip_closers(buf, i + 1)
                while j < len(buf) and buf[j] in STOPS:
                    j = skip_closers(buf, j + 1)
                if j == len(buf):
                    # Whether this ends a sentence depends on the next character.
                    if final or (at_boundary and ends_sentence(buf[:i], ch)):
                        return j
                    return None
                if buf[j].isspace() and ends_sentence(buf[:i], ch):
                    return j
                i = j
                continue
            i += 1
        return len(buf) if final else None

    def _first_clause_cut(self, buf: str, limit: int) -> int | None:
        """The first clause mark after min_clause_chars, followed by a space."""
        for k in range(self._min_clause_chars, min(limit, len(buf) - 1)):
            if buf[k] in CLAUSE_MARKS and buf[k + 1].isspace():
                return k + 1
        return None


def _forced_cut(buf: str, limit: int) -> int:
    """Cut a piece of at most limit characters at a clause mark or a space."""
    window = buf[: limit + 1]
    best = max(window.rfind(mark) for mark in CLAUSE_MARKS)
    if best > 0:
        return best + 1
    space = window.rfind(" ")
    if space > 0:
        return space + 1
    return limit
