"""The engine on the real kokoro classes: one model, one pipeline per language."""

from __future__ import annotations

import logging

import pytest

from tests.expected import phoneme_tokens
from wyoming_kokoro.model import engine as engine_module
from wyoming_kokoro.model.engine import MAX_PHONEMES, build_pipelines, split_phonemes
from wyoming_kokoro.model.voices import VoiceCatalogue


def test_one_model_shared_by_every_pipeline(loaded_model):
    engine = loaded_model.engine
    pipelines = engine._pipelines
    assert set(pipelines) == {"a", "e", "f"}
    assert all(p.model is engine._model for p in pipelines.values())


def test_audio_length_follows_the_phonemes(loaded_model):
    voice = VoiceCatalogue(["ef_dora"]).resolve("ef_dora")
    text = "¿Quieres que apague las luces del salón?"
    phonemes = loaded_model.engine.phonemize(text, "e")
    (audio,) = loaded_model.engine.synthesize(text, voice, 1.0)
    assert audio.dtype.name == "float32"
    assert len(audio) == (phoneme_tokens(loaded_model, phonemes) + 2) * 600


def test_phonemes_beyond_the_context_are_split_not_dropped():
    phonemes = ("abc, " * 300).strip()
    pieces = split_phonemes(phonemes)
    assert all(len(p) <= MAX_PHONEMES for p in pieces)
    assert "".join(pieces).replace(" ", "") == phonemes.replace(" ", "")
    assert pieces[0].endswith(",")
    assert split_phonemes("x" * 1200) == ["x" * 510, "x" * 510, "x" * 180]


def test_english_without_spacy_uses_espeak_with_one_warning(loaded_model, caplog, monkeypatch):
    # Whether spaCy's English model happens to be installed must not matter here.
    monkeypatch.setattr(engine_module, "spacy_english_installed", lambda: False)
    caplog.set_level(logging.WARNING)
    from wyoming_kokoro.config import validate

    settings = validate({"model": {"languages": ["a", "b"], "english_g2p": "auto"}}).model
    pipelines, statuses = build_pipelines(loaded_model.engine._model, settings)
    assert {s.code: s.usable for s in statuses} == {"a": True, "b": True}
    warnings = [r for r in caplog.records if "en_core_web_sm" in r.getMessage()]
    assert len(warnings) == 1
    american = pipelines["a"].g2p("Hello world.")[0]
    british = pipelines["b"].g2p("Tomato.")[0]
    assert american and british


def test_forcing_misaki_without_spacy_is_a_clear_error(loaded_model, monkeypatch):
    monkeypatch.setattr(engine_module, "spacy_english_installed", lambda: False)
    from wyoming_kokoro.config import validate
    from wyoming_kokoro.errors import ModelError

    settings = validate({"model": {"languages": ["a"], "english_g2p": "misaki"}}).model
    with pytest.raises(ModelError, match="en_core_web_sm"):
        build_pipelines(loaded_model.engine._model, settings)


def test_languages_without_g2p_extras_are_not_usable(loaded_model, monkeypatch):
    import sys

    import misaki

    from wyoming_kokoro.config import validate

    # The project installs misaki's Japanese and Mandarin G2P; a None entry in
    # sys.modules makes their import fail as it does where they are missing.
    for module in ("misaki.ja", "misaki.zh", "pyopenjtalk", "jieba"):
        monkeypatch.setitem(sys.modules, module, None)
    for submodule in ("ja", "zh"):
        # An earlier import leaves the submodule as an attribute of misaki.
        monkeypatch.delattr(misaki, submodule, raising=False)
    settings = validate({"model": {"languages": ["j", "z", "i"]}}).model
    pipelines, statuses = build_pipelines(loaded_model.engine._model, settings)
    usable = {s.code: s.usable for s in statuses}
    assert usable["i"] is True
    assert usable["j"] is False and usable["z"] is False
    assert set(pipelines) == {"i"}


def test_japanese_and_mandarin_phonemise_offline(loaded_model):
    from wyoming_kokoro.config import validate

    settings = validate({"model": {"languages": ["j", "z"]}}).model
    pipelines, statuses = build_pipelines(loaded_model.engine._model, settings)
    assert {s.code: s.usable for s in statuses} == {"j": True, "z": True}
    japanese = pipelines["j"].g2p("今日はいい天気ですね。")[0]
    mandarin = pipelines["z"].g2p("今天天气很好。")[0]
    assert "teŋkʲi" in japanese, japanese
    assert "tʰjɛ" in mandarin, mandarin


def test_blends_mix_the_voice_tensors(loaded_model):
    import torch

    catalogue = VoiceCatalogue(["ef_dora", "em_alex"])
    engine = loaded_model.engine
    blend = engine._voice_pack(catalogue.resolve("ef_dora:0.25+em_alex:0.75"))
    dora = engine._voice_pack(catalogue.resolve("ef_dora"))
    alex = engine._voice_pack(catalogue.resolve("em_alex"))
    assert torch.allclose(blend, 0.25 * dora + 0.75 * alex)
    # Cached: the same tensor comes back.
    assert engine._voice_pack(catalogue.resolve("ef_dora:0.25+em_alex:0.75")) is blend
