"""Text front-end: turn assistant answers (markdown, emoji, units) into speakable text.

`normalize(text, language)` handles a whole text; `StreamNormalizer` handles text
that arrives in deltas and gives exactly the same result. `language` is a Kokoro
code (see `wyoming_kokoro.languages`) or a BCP-47 tag ('pt-BR'); anything unknown
is read with English words.

Neither keeps global state: calling them has no side effects.

What is read, and how (the choices a reader of the output should know):

* Markdown markers are removed one by one, never paired, so none is ever spoken and
  a stream can be cut anywhere. Headings, list items, quotes, table rows and code
  lines each become a line that ends in sentence punctuation ("." is added; a final
  ":" is kept). A numbered item keeps its number: "1. Turn it off" reads
  "1, Turn it off.". Task boxes are dropped; struck-through text is still read.
* Tables: after a header row, each row reads "Day: Mon, High: 21 degrees Celsius.";
  without one, cells are joined with commas. Separator rows are dropped.
* Code: inline code is read plainly (snake_case as words). A fenced block of at most
  CODE_MAX_LINES non-blank lines and CODE_MAX_CHARS characters (3 and 160) is read
  line by line; a longer one becomes a short note ("There is a code block here.").
* Links read their text. A bare URL reads as its host, without "www." and the port:
  https://www.home-assistant.io/docs/x reads "home-assistant.io".
* Numbers keep their digits and decimal separator. Units, currencies, signs, ranges,
  times and ISO dates become words of the language; an ISO date's month becomes its
  name, and leading zeros and all-zero fields ("14:00", "$5.00") are not read.
  Thousands separators are removed where espeak would read them as pauses (dots in
  es/fr/it/pt, commas in hi). misaki annotations such as [Kokoro](/kˈOkəɹO/) pass
  through untouched.
* Emoji and other pictographs vanish without a pause; curly quotes become straight,
  dashes between words a comma, "…" three dots, odd spaces plain spaces.
"""

from __future__ import annotations

from wyoming_kokoro.pipeline.textnorm.document import Document
from wyoming_kokoro.pipeline.textnorm.lexicon import resolve_language
from wyoming_kokoro.pipeline.textnorm.stream import StreamNormalizer

__all__ = ["StreamNormalizer", "normalize"]


def normalize(text: str, language: str) -> str:
    """The speakable form of `text`, read in `language`."""
    doc = Document(resolve_language(language))
    lines = text.split("\n")
    out = [doc.complete(line, newline=True) for line in lines[:-1]]
    out.append(doc.complete(lines[-1], newline=False))
    out.append(doc.finish())
    return "".join(out)
