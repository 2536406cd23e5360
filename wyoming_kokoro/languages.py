"""The languages Kokoro-82M speaks: one row per language, and nothing else.

Every other place that needs a language code, a BCP-47 tag, a readable name,
the text front-end's word table or the phonemizer family reads it here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    """One Kokoro language."""

    code: str
    """Kokoro's one-letter pipeline code (also a voice name's first letter)."""
    tag: str
    """BCP-47 tag that Home Assistant matches."""
    label: str
    """Readable name."""
    words: str
    """Word table of the text front-end; languages without their own read English words."""
    g2p: str
    """Text-to-phonemes family kokoro uses for it: misaki or espeak."""
    british: bool = False
    """British English spelling and day-first dates."""
    cjk: bool = False
    """Written in Chinese or Japanese script: ideographic full stop."""

    @property
    def english(self) -> bool:
        """English, whose misaki G2P needs spaCy (else espeak stands in)."""
        return self.tag.startswith("en-")


LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (
        Language("a", "en-US", "American English", "en", "misaki"),
        Language("b", "en-GB", "British English", "en", "misaki", british=True),
        Language("e", "es", "Spanish", "es", "espeak"),
        Language("f", "fr-FR", "French", "fr", "espeak"),
        Language("h", "hi", "Hindi", "hi", "espeak"),
        Language("i", "it", "Italian", "it", "espeak"),
        Language("j", "ja", "Japanese", "en", "misaki", cjk=True),
        Language("p", "pt-BR", "Brazilian Portuguese", "pt", "espeak"),
        Language("z", "zh-CN", "Mandarin Chinese", "en", "misaki", cjk=True),
    )
}
LANGUAGE_CODES: tuple[str, ...] = tuple(LANGUAGES)
