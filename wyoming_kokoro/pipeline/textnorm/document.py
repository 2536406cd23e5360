"""The document, line by line: blocks, tables, code fences and sentence pieces.

A `Document` is fed whole lines (`complete`) and, for streaming, the growing
current line (`partial`). Both go through the same steps in the same order:

* a line's kind is decided from its start (markdown.classify);
* prose lines are cut into pieces after sentence punctuation followed by a space
  (outside brackets and parentheses, so links and misaki annotations stay whole),
  and each piece is made speakable on its own;
* the line ends with sentence punctuation (added when missing) and a newline.

Because a cut depends only on the text before it, the partial path finds exactly
the cuts that the whole-line path finds, and the output is the same however the
text was split into deltas.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wyoming_kokoro.pipeline.boundaries import (
    CLOSE_QUOTES,
    IDEOGRAPHIC_STOPS,
    MARKDOWN_CLOSERS,
    OPEN_QUOTES,
    STOPS,
    ends_with_final,
    is_initial,
)
from wyoming_kokoro.pipeline.textnorm import markdown
from wyoming_kokoro.pipeline.textnorm.inline import speak
from wyoming_kokoro.pipeline.textnorm.lexicon import Reading, word
from wyoming_kokoro.pipeline.textnorm.markdown import (
    BLANK,
    FENCE,
    FLOWING,
    ORDERED,
    PIPE,
    RULE,
    Block,
)

# A fenced code block is read aloud when it has at most this many non-blank lines
# and this many characters; a longer one is replaced by a short spoken note
# ("There is a code block here."), since nobody wants forty lines of YAML read out.
CODE_MAX_LINES = 3
CODE_MAX_CHARS = 160

# No space is put between two pieces when the second starts with one of these.
_NO_SPACE_BEFORE = frozenset(",.;:!?)]}…")

# How much of an unfinished line is examined to decide its kind (see partial()).
_DECIDE_WITHIN = 64

# Table states.
_PENDING = "pending"  # one row held: it is a header if a separator row follows
_HEADER = "header"  # inside a table with a header row
_PLAIN = "plain"  # inside a table without a header row


@dataclass
class _Line:
    """Progress through the current prose line."""

    block: Block
    consumed: int  # where the next piece starts
    scanned: int  # how far cuts have been looked for
    square: int = 0  # open "[" not yet closed
    paren: int = 0  # open "(" not yet closed
    quote: int = 0  # open "«" or "“" not yet closed
    pieces: int = 0
    prefix: str = ""  # "3, " for the third item of a numbered list
    spoken: bool = False  # something of this line has been emitted
    tail: str = ""  # the last characters emitted on this line


@dataclass
class _Table:
    state: str
    head: list[str] = field(default_factory=list)  # spoken cells of the first row
    head_newline: bool = True
    rows: int = 0


def _has_words(cell: str) -> bool:
    # A cell of bare punctuation (what is left of "✅" or "-") is not read.
    return any(ch.isalnum() for ch in cell)


def _trim_cell(text: str) -> str:
    # Cells are joined with commas, so their own final "." or "," would double up.
    text = text.rstrip(" ,;:")
    if text.endswith(".") and not text.endswith(".."):
        text = text[:-1]
    return text


class Document:
    """Block-level state of one text being normalized."""

    def __init__(self, lang: Reading) -> None:
        self.lang = lang
        self._line: _Line | None = None
        self._table: _Table | None = None
        self._fence: str | None = None
        self._code: list[tuple[str, bool]] = []

    # --- entry points -----------------------------------------------------------

    def partial(self, line: str) -> str:
        """Speakable text that is already final for an unfinished line (may be "")."""
        if self._fence is not None:
            return ""  # a code block is read or skipped as a whole
        if self._line is None:
            # A kind decided on a prefix is the kind of the whole line, so looking at a
            # bounded prefix keeps each feed cheap; a line still undecided after that
            # many characters (all spaces or dashes) simply waits for its newline.
            block = markdown.classify(line[:_DECIDE_WITHIN], complete=False)
            if block is None or block.kind not in FLOWING:
                return ""  # undecided, a table row, a fence or a rule: wait for the newline
            out = self._start(block)
        else:
            out = ""
        return out + self._pieces(line)

    def complete(self, line: str, newline: bool) -> str:
        """Speakable text for a whole line; `newline` says the line ended with "\\n"."""
        if self._fence is not None:
            if markdown.closes_fence(line, self._fence):
                return self._close_fence()
            self._code.append((line, newline))
            return ""
        if self._line is None:
            block = markdown.classify(line, complete=True)
            assert block is not None
            if block.kind == FENCE:
                out = self._end_table()
                self._fence = block.fence
                self._code = []
                return out
            if block.kind in (PIPE, RULE) and self._table and markdown.is_separator(line):
                if self._table.state == _PENDING:
                    self._table.state = _HEADER
                return ""
            if block.kind == PIPE:
                return self._table_row(line, newline)
            if block.kind in (RULE, BLANK):
                return self._end_table()
            out = self._start(block)
        else:
            out = ""
        out += self._pieces(line)
        return out + self._finish_line(line, newline)

    def finish(self) -> str:
        """What is still held at the end of the text (an open fence or table)."""
        out = ""
        if self._fence is not None:
            out += self._close_fence()
        return out + self._end_table()

    # --- prose lines --------------------------------------------------------------

    def _start(self, block: Block) -> str:
        out = self._end_table()
        prefix = f"{block.number}, " if block.kind == ORDERED else ""
        self._line = _Line(block, block.offset, block.offset, prefix=prefix)
        return out

    def _cuts(self, line: str) -> list[int]:
        """Cut points found in the text not scanned yet; each depends only on what precedes it."""
        st = self._line
        assert st is not None
        cuts: list[int] = []
        last = st.consumed
        for i in range(st.scanned, len(line)):
            c = line[i]
            if c == "[":
                st.square += 1
            elif c == "]":
                st.square = max(0, st.square - 1)
            elif c == "(":
                st.paren += 1
            elif c == ")":
                st.paren = max(0, st.paren - 1)
            elif c in OPEN_QUOTES:
                st.quote += 1
            elif c in CLOSE_QUOTES:
                st.quote = max(0, st.quote - 1)
            if st.square or st.paren or st.quote:
                continue
            end = i + 1
            if c in IDEOGRAPHIC_STOPS:
                cuts.append(end)
                last = end
            elif c.isspace():
                j = i - 1
                if j < last or line[j].isspace():
                    continue
                while j >= last and line[j] in MARKDOWN_CLOSERS:
                    j -= 1
                if j >= last and line[j] in STOPS and not is_initial(line, j, last):
                    cuts.append(end)
                    last = end
        st.scanned = len(line)
        return cuts

    def _pieces(self, line: str) -> str:
        st = self._line
        assert st is not None
        out = []
        for cut in self._cuts(line):
            out.append(self._piece(line[st.consumed:cut]))
            st.consumed = cut
        return "".join(out)

    def _piece(self, text: str, last: bool = False) -> str:
        st = self._line
        assert st is not None
        spoken = speak(text, self.lang, item_start=st.pieces == 0)
        st.pieces += 1
        if last:
            spoken = spoken.rstrip(" ,;")
        if not spoken:
            return ""
        if not st.spoken:
            spoken = spoken.lstrip("> ")  # never start a line with a quote marker
            if not spoken:
                return ""
            prefix = st.prefix
            if prefix and spoken[0] in _NO_SPACE_BEFORE:
                prefix = prefix.rstrip(", ")
            piece = prefix + spoken
        elif spoken[0] in _NO_SPACE_BEFORE or st.tail[-1] in IDEOGRAPHIC_STOPS:
            piece = spoken  # Chinese and Japanese put no space after a full stop
        else:
            piece = " " + spoken
        st.spoken = True
        st.tail = (st.tail + piece)[-16:]
        return piece

    def _finish_line(self, line: str, newline: bool) -> str:
        st = self._line
        assert st is not None
        out = self._piece(line[st.consumed:], last=True)
        if st.spoken:
            if not ends_with_final(st.tail):
                out += self.lang.full_stop
        elif st.block.kind == ORDERED:
            out = st.block.number + self.lang.full_stop  # an empty item still says its number
            st.spoken = True
        if st.spoken and newline:
            out += "\n"
        self._line = None
        return out

    def _whole_line(self, spoken: str, newline: bool) -> str:
        """Finish a line built in one go (table row, code line, note)."""
        spoken = spoken.strip().lstrip("> ")
        if not spoken:
            return ""
        if not ends_with_final(spoken):
            spoken += self.lang.full_stop
        return spoken + ("\n" if newline else "")

    # --- tables -------------------------------------------------------------------

    def _cells(self, line: str) -> list[str]:
        return [_trim_cell(speak(cell, self.lang)) for cell in markdown.split_cells(line)]

    def _table_row(self, line: str, newline: bool) -> str:
        cells = self._cells(line)
        table = self._table
        if table is None:
            # Held until the next line says whether this is a header row.
            self._table = _Table(_PENDING, cells, newline)
            return ""
        if table.state == _PENDING:
            table.state = _PLAIN
            return self._plain_row(table.head, table.head_newline) + self._plain_row(cells, newline)
        if table.state == _HEADER:
            table.rows += 1
            return self._paired_row(cells, newline)
        return self._plain_row(cells, newline)

    def _plain_row(self, cells: list[str], newline: bool) -> str:
        return self._whole_line(", ".join(cell for cell in cells if _has_words(cell)), newline)

    def _paired_row(self, cells: list[str], newline: bool) -> str:
        """ "Day: Monday, High: 21 degrees Celsius." """
        assert self._table is not None
        head = self._table.head
        parts = []
        for i, cell in enumerate(cells):
            if not _has_words(cell):
                continue
            name = head[i].rstrip(":") if i < len(head) else ""
            parts.append(f"{name}: {cell}" if name and name != cell else cell)
        return self._whole_line(", ".join(parts), newline)

    def _end_table(self) -> str:
        table, self._table = self._table, None
        if table is None:
            return ""
        if table.state == _PENDING or (table.state == _HEADER and table.rows == 0):
            return self._plain_row(table.head, table.head_newline)  # a lone row is still read
        return ""

    # --- code fences ----------------------------------------------------------------

    def _close_fence(self) -> str:
        code, self._code, self._fence = self._code, [], None
        lines = [line.strip() for line, _ in code if line.strip()]
        if not lines:
            return ""
        if len(lines) > CODE_MAX_LINES or sum(len(line) for line in lines) > CODE_MAX_CHARS:
            # The note stands where the code was, so it ends like the code's last line.
            return self._whole_line(word(self.lang, "code"), code[-1][1])
        return "".join(self._code_line(line, nl) for line, nl in code)

    def _code_line(self, line: str, newline: bool) -> str:
        """A short code line, read plainly (comment marks and list dashes dropped)."""
        block = markdown.classify(line, complete=True)
        assert block is not None
        if block.kind in (BLANK, RULE, FENCE):
            return ""
        if block.kind == PIPE:
            return self._plain_row(self._cells(line), newline)
        spoken = speak(line[block.offset:], self.lang, item_start=True)
        if block.kind == ORDERED:
            spoken = f"{block.number}, {spoken}" if spoken else block.number
        return self._whole_line(spoken, newline)
