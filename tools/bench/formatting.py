"""How figures are written in the report: times, ratios, sizes and Markdown tables."""

from __future__ import annotations

from collections.abc import Sequence

MB = 2**20


def ms(seconds: float | None) -> str:
    """Seconds as milliseconds (or seconds once it is long), for tables."""
    if seconds is None:
        return "—"
    if abs(seconds) >= 10:
        return f"{seconds:.2f} s"
    return f"{seconds * 1000:.0f} ms" if abs(seconds) >= 0.1 else f"{seconds * 1000:.1f} ms"


def signed_ms(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return ("+" if seconds >= 0 else "−") + ms(abs(seconds))


def times(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}×"


def number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def mb(value: float | None) -> str:
    return "—" if value is None else f"{value / MB:.0f} MB"


def signed_mb(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{'+' if value >= 0 else '−'}{abs(value) / MB:.1f} MB"


def yes(met: bool | None) -> str:
    return "—" if met is None else ("**yes**" if met else "**no**")


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A markdown table; numbers right-aligned."""
    align = ["---"] + ["---:"] * (len(headers) - 1)
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)
