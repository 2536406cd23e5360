"""The languages table is the one source of language facts for the server."""

from __future__ import annotations

import pytest

from wyoming_kokoro.config import validate
from wyoming_kokoro.errors import ConfigError
from wyoming_kokoro.languages import LANGUAGE_CODES, LANGUAGES
from wyoming_kokoro.model.voices import CATALOGUE, VOICE_NAMES
from wyoming_kokoro.pipeline.textnorm.lexicon import WORDS, resolve_language


def test_every_voice_belongs_to_a_language_and_every_language_has_voices():
    assert {name[0] for name in VOICE_NAMES} == set(LANGUAGE_CODES)
    for name, voice in CATALOGUE.items():
        assert voice.language is LANGUAGES[name[0]]


def test_the_settings_accept_exactly_the_table_codes():
    assert validate({"model": {"languages": list(LANGUAGE_CODES)}}).model.languages == (
        LANGUAGE_CODES
    )
    with pytest.raises(ConfigError, match="model.languages"):
        validate({"model": {"languages": ["x"]}})


def test_the_text_front_end_reads_each_code_as_the_table_says():
    for code, language in LANGUAGES.items():
        reading = resolve_language(code)
        assert reading.key == language.words, code
        assert reading.key in WORDS, code
        assert reading.british == language.british, code
        assert reading.cjk == language.cjk, code
        # A code and its BCP-47 tag read the same way.
        assert resolve_language(language.tag) == reading, code
