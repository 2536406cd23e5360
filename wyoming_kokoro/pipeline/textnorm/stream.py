"""Incremental normalization of text that arrives in arbitrary deltas.

The rule for holding back: the text of the current, unfinished line is held until
its kind is known and then released piece by piece, each piece ending after
sentence punctuation and a space (outside brackets); a line is released in full
when its newline arrives, except the rows of a table still waiting for its
separator row and the lines of an open code fence, which wait for the block.
Everything released is exactly what `normalize()` would produce for that part of
the text, so the concatenated output does not depend on how the input was split.
"""

from __future__ import annotations

from wyoming_kokoro.pipeline.textnorm.document import Document
from wyoming_kokoro.pipeline.textnorm.lexicon import resolve_language


class StreamNormalizer:
    """Feed text deltas, get back speakable text as soon as it is final."""

    def __init__(self, language: str) -> None:
        self._lang = resolve_language(language)
        self._doc = Document(self._lang)
        self._buffer = ""  # the current line, not yet ended by "\n"

    def feed(self, delta: str) -> str:
        """Add `delta`; return the speakable text that can no longer change."""
        if not delta:
            return ""
        self._buffer += delta
        out: list[str] = []
        while True:
            end = self._buffer.find("\n")
            if end < 0:
                break
            line, self._buffer = self._buffer[:end], self._buffer[end + 1:]
            out.append(self._doc.complete(line, newline=True))
        if self._buffer:
            out.append(self._doc.partial(self._buffer))
        return "".join(out)

    def flush(self) -> str:
        """End of input: return everything still held. The normalizer can then be reused."""
        out = self._doc.complete(self._buffer, newline=False) + self._doc.finish()
        self._buffer = ""
        self._doc = Document(self._lang)
        return out
