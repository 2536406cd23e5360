"""What the tiny model must produce: every phoneme (and the two pads) is 600 samples."""

from __future__ import annotations

from wyoming_kokoro.model.engine import split_phonemes
from wyoming_kokoro.pipeline.sentences import SentenceSplitter
from wyoming_kokoro.process.app import LoadedModel

SAMPLES_PER_TOKEN = 600


def phoneme_tokens(model: LoadedModel, phonemes: str) -> int:
    vocab = model.engine._model.vocab
    return sum(1 for ch in phonemes if ch in vocab)


def expected_samples(model: LoadedModel, text: str, language: str = "e",
                     first_clause: bool = True) -> int:
    """Samples at 24 kHz for text, sentence by sentence, with nothing truncated."""
    splitter = SentenceSplitter.for_speech(first_clause)
    total = 0
    for sentence in splitter.feed(text) + splitter.flush():
        phonemes = model.engine.phonemize(sentence, language)
        for piece in split_phonemes(phonemes):
            total += (phoneme_tokens(model, piece) + 2) * SAMPLES_PER_TOKEN
    return total
