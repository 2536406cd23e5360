"""The voice catalogue, blends and presets."""

from __future__ import annotations

import pytest

from wyoming_kokoro.config import Preset
from wyoming_kokoro.errors import BadBlendError, UnknownVoiceError
from wyoming_kokoro.languages import LANGUAGES
from wyoming_kokoro.model.voices import CATALOGUE, VoiceCatalogue, parse_blend


def test_catalogue_has_every_v1_voice_with_correct_tags():
    assert len(CATALOGUE) == 54
    tags = {code: lang.tag for code, lang in LANGUAGES.items()}
    assert tags == {"a": "en-US", "b": "en-GB", "e": "es", "f": "fr-FR", "h": "hi",
                    "i": "it", "j": "ja", "p": "pt-BR", "z": "zh-CN"}
    for name, voice in CATALOGUE.items():
        assert voice.language.code == name[0]
        assert voice.gender == ("female" if name[1] == "f" else "male")
    assert CATALOGUE["bm_george"].description == "George — British English, male"
    assert CATALOGUE["zf_xiaobei"].description == "Xiaobei — Mandarin Chinese, female"


def test_parse_blend_normalises_weights():
    assert parse_blend("af_bella:0.7+af_sky:0.3") == (("af_bella", 0.7), ("af_sky", 0.3))
    assert parse_blend("af_bella+af_sky") == (("af_bella", 0.5), ("af_sky", 0.5))
    assert parse_blend("af_bella:3+af_sky:1") == (("af_bella", 0.75), ("af_sky", 0.25))
    assert parse_blend(" af_bella : 1 ") == (("af_bella", 1.0),)


@pytest.mark.parametrize("text", ["af_bella:x+af_sky", "af_bella:0", "+af_sky", "af_bella:-1",
                                  "af_bella:1e400", "af_bella:nan", "a+b+c+d+e+f+g+h+i"])
def test_bad_blends(text):
    with pytest.raises(BadBlendError):
        parse_blend(text)


def _catalogue(**kwargs) -> VoiceCatalogue:
    return VoiceCatalogue(["af_heart", "af_bella", "af_sky", "ef_dora", "ff_siwis"], **kwargs)


def test_resolve_names_blends_presets_and_defaults():
    catalogue = _catalogue(presets=[Preset("calm", "af_bella:0.7+af_sky:0.3", 0.9, None)],
                           default="af_heart")
    assert catalogue.resolve(None).parts == (("af_heart", 1.0),)
    assert catalogue.resolve("ef_dora").language.tag == "es"
    blend = catalogue.resolve("af_bella:0.7+af_sky:0.3")
    assert blend.parts == (("af_bella", 0.7), ("af_sky", 0.3))
    assert blend.language.code == "a"
    calm = catalogue.resolve("calm")
    assert calm.speed == 0.9
    assert calm.parts == blend.parts
    assert catalogue.resolve(None, "fr-FR").parts == (("ff_siwis", 1.0),)
    assert catalogue.resolve(None, "es").parts == (("ef_dora", 1.0),)
    assert catalogue.resolve(None, "en").parts == (("af_heart", 1.0),)
    # A language nobody speaks falls back to the default voice.
    assert catalogue.resolve(None, "de").parts == (("af_heart", 1.0),)


def test_resolve_reads_the_text_in_the_requested_language():
    """A named voice reads text in a loaded language it does not speak itself.

    Only the Japanese voice is installed; English G2P is loaded too, so a
    request for jf_alpha in en-US reads English (accented). A language whose
    G2P is not loaded, or the voice's own, leaves the voice's language; a
    British voice asked for en-US keeps British English, a variety of its own.
    """
    japanese = VoiceCatalogue(["jf_alpha", "bf_emma"], default="jf_alpha",
                              languages=["a", "b", "j"])
    english = japanese.resolve("jf_alpha", "en-US")
    assert english.parts == (("jf_alpha", 1.0),)
    assert english.language is LANGUAGES["a"]
    assert japanese.resolve("jf_alpha", "en_us").language is LANGUAGES["a"]
    assert japanese.resolve("jf_alpha", "ja").language is LANGUAGES["j"]
    assert japanese.resolve("jf_alpha", "ja").spoken is None
    assert japanese.resolve("jf_alpha", "fr-FR").language is LANGUAGES["j"]
    assert japanese.resolve("jf_alpha").language is LANGUAGES["j"]
    assert japanese.resolve("bf_emma", "en-US").language is LANGUAGES["b"]
    assert japanese.resolve("bf_emma", "ja").language is LANGUAGES["j"]
    # A blend reads in the requested language as well.
    blend = japanese.resolve("jf_alpha:0.5+bf_emma:0.5", "ja")
    assert blend.language is LANGUAGES["j"]


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "http://x/y.pt",
                                  "af_heart/../../x", "C:\\x.pt", "af_heart.pt", "x" * 600,
                                  "af_heart:1+../../etc/passwd:1", "AF_HEART", "zz_top"])
def test_names_are_never_paths(name):
    with pytest.raises((UnknownVoiceError, BadBlendError)):
        _catalogue().resolve(name)


def test_not_installed_voice_is_refused():
    with pytest.raises(UnknownVoiceError, match="not installed"):
        _catalogue().resolve("bf_emma")


def test_check_refuses_bad_default_and_presets():
    with pytest.raises(UnknownVoiceError, match="zz"):
        _catalogue(default="zz_nobody").check()
    with pytest.raises(UnknownVoiceError, match="preset 'bad'"):
        _catalogue(presets=[Preset("bad", "af_heart+bf_emma", None, None)]).check()
    _catalogue(default="calm", presets=[Preset("calm", "af_heart", None, None)]).check()
