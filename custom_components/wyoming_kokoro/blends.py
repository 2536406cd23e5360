"""Voice blends such as `af_bella:0.7+af_sky:0.3`, read exactly as the server reads them.

The integration cannot import the server, so the rules are restated here:
the same separators, the same weight syntax (plain decimals, no exponent, no
sign), the same eight-voice limit and the same normalisation. A contract
test (tests_ha/test_contract.py) runs this parser and the server's on one
table of cases, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .const import MAX_BLEND_PARTS

# A weight is a plain decimal number: `1e-1`, `+1`, `inf` or `1_0` would all
# pass float() but the server refuses them.
_WEIGHT = re.compile(r"^(?:\d+(?:\.\d*)?|\.\d+)$")
# Every voice the server has is named like `af_bella`. A name of another
# shape cannot be one (the server would answer unknown_voice); the options
# form calls it a typo in the blend instead.
_NAME = re.compile(r"^[A-Za-z0-9_]+$")


class BadBlendError(ValueError):
    """The text is not a blend the server would accept (its `bad_blend`)."""


@dataclass(frozen=True)
class Blend:
    """A voice blend configured in the entry's options."""

    voice: str
    """What is sent to the server, such as `af_bella:0.7+af_sky:0.3`."""
    label: str

    @property
    def names(self) -> list[str]:
        """The voice names in the blend, in order."""
        return [name for name, _ in parse_blend(self.voice)]


def parse_blend(text: str) -> tuple[tuple[str, float], ...]:
    """Voice names with weights that sum to 1; a repeated name adds up.

    Raises BadBlendError. Whether the names are voices the server has is not
    a question of syntax; the caller checks that against the server's info.
    """
    raw_parts = text.split("+")
    if len(raw_parts) > MAX_BLEND_PARTS:
        raise BadBlendError(f"more than {MAX_BLEND_PARTS} voices")
    parts: dict[str, float] = {}
    for raw in raw_parts:
        name, sep, weight_text = raw.strip().partition(":")
        name = name.strip()
        if not name:
            raise BadBlendError("empty voice name")
        weight = 1.0
        if sep:
            weight_text = weight_text.strip()
            if not _WEIGHT.match(weight_text):
                raise BadBlendError(f"weight {weight_text!r} is not a plain number")
            weight = float(weight_text)
        if not math.isfinite(weight) or weight <= 0:
            raise BadBlendError(f"weight of {name!r} must be above 0")
        parts[name] = parts.get(name, 0.0) + weight
    total = sum(parts.values())
    return tuple((name, weight / total) for name, weight in parts.items())


def parse_blends(text: str) -> list[Blend]:
    """Parse the blends option: one per line, `LABEL = BLEND` or just `BLEND`.

    Raises ValueError naming the first bad line: a blend the server would
    refuse, or a voice name that no voice can have. Blank lines and lines
    starting with `#` are skipped.
    """
    blends: list[Blend] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        label, sep, voice = line.partition("=")
        if not sep:
            label, voice = "", label
        # Spaces around `+` and `:` are for reading; the server strips them too,
        # but the voice id shown in Home Assistant reads better without.
        label, voice = label.strip(), re.sub(r"\s*([+:])\s*", r"\1", voice.strip())
        try:
            parts = parse_blend(voice)
        except BadBlendError as err:
            raise ValueError(line) from err
        if not all(_NAME.match(name) for name, _ in parts):
            raise ValueError(line)
        blends.append(Blend(voice=voice, label=label or voice))
    return blends
