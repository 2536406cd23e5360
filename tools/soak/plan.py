"""The soak's request mix: every output format, streaming and not, blends, a preset."""

from __future__ import annotations

import random
from dataclasses import dataclass

from wyoming_kokoro.pipeline.output import FORMATS

# Voices the model folder must hold.
MODEL_VOICES = ("af_heart", "af_bella", "af_sky", "ef_dora", "em_alex", "ff_siwis")
# Voice (a name, a blend or the preset) and the language of its texts.
VOICES = (("ef_dora", "e"), ("em_alex", "e"), ("ef_dora:0.7+em_alex:0.3", "e"), ("calm", "e"),
          ("ff_siwis", "f"), ("af_heart", "a"), ("af_bella:0.5+af_sky:0.5", "a"))
# The first text of each language is one short sentence (for the real model).
TEXTS = {
    "e": ("Hola a todos.",
          "Las luces de la cocina están encendidas. ¿Algo más?",
          "Uno, dos, tres. Cuatro, cinco, seis. Siete, ocho, nueve. Diez."),
    "f": ("Bonjour tout le monde.",
          "Il fait beau aujourd'hui. Les lumières du salon sont allumées."),
    "a": ("Hello there.",
          "The kitchen lights are on. The front door is locked. Good night."),
}


@dataclass(frozen=True)
class RequestSpec:
    """One request of the mix."""

    text: str
    voice: str
    format: str
    streaming: bool
    disconnect: bool
    """Leave after the first audio chunk instead of reading to the end."""
    speed: float | None = None


def make_plan(count: int, seed: int, disconnect_share: float = 0.1,
              short: bool = False) -> list[RequestSpec]:
    """A reproducible mix that covers every format, streaming and not, and blends.

    short: one-sentence texts only, for the (slower) real model.
    """
    rng = random.Random(seed)
    plan = []
    for i in range(count):
        voice, language = rng.choice(VOICES)
        texts = TEXTS[language]
        plan.append(RequestSpec(
            text=texts[0] if short else rng.choice(texts),
            voice=voice,
            # Cycle through formats so that even a short run covers all of them.
            format=FORMATS[i % len(FORMATS)],
            streaming=(i // len(FORMATS)) % 2 == 1,
            disconnect=rng.random() < disconnect_share,
            speed=rng.choice((None, None, 0.8, 1.25)),
        ))
    return plan
