"""The texts every measurement speaks, in Spanish (espeak G2P works offline).

Sentences are kept as lists so the direct baseline synthesises exactly the
pieces the server's splitter makes: each sentence ends in a full stop and is
shorter than the server's first-clause limit (80 characters), so nothing is
cut at a comma except in the first-clause experiment, where that is the point.
Plain words only: no digits or symbols the text normaliser would rewrite.
"""

from __future__ import annotations

VOICE = "ef_dora"
LANGUAGE = "e"

# A Home Assistant command reply: six words, one sentence.
SHORT = "He encendido las luces del salón."

# A five-sentence answer, as a chat agent would give.
LONG_SENTENCES: tuple[str, ...] = (
    "Mañana hará sol y lloverá un poco por la tarde.",
    "La temperatura máxima será de veintidós grados.",
    "El viento soplará del norte con rachas moderadas.",
    "Por la noche el cielo estará casi despejado.",
    "Lleva un paraguas si vas a salir después de comer.",
)
LONG = " ".join(LONG_SENTENCES)

# Twenty sentences: the long request a short one arrives behind.
FAIR_SENTENCES: tuple[str, ...] = LONG_SENTENCES * 4
FAIR_LONG = " ".join(FAIR_SENTENCES)

# A long first sentence with a comma early on: the server may cut it there.
LONG_FIRST = (
    "Según el pronóstico para mañana, el día empezará con cielos despejados "
    "en toda la región."
)

# The smallest useful request, for the memory soak.
TINY = "Sí."

# What wyoming-bench speaks: one and two sentences.
PEER_TEXTS: tuple[str, ...] = (SHORT, " ".join(LONG_SENTENCES[:2]))


def deltas(text: str, words: int = 3) -> list[str]:
    """Split text into pieces of a few words, like an LLM's text deltas.

    Joined, the pieces give back the text exactly (spaces stay attached).
    """
    parts = text.split(" ")
    pieces = [" ".join(parts[i:i + words]) for i in range(0, len(parts), words)]
    return [piece + " " for piece in pieces[:-1]] + pieces[-1:]
