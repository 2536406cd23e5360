"""Decode what the server encoded, with PyAV, as a player would."""

from __future__ import annotations

import io
from dataclasses import dataclass

import av

CONTAINERS = {"wav": "wav", "mp3": "mp3", "opus": "ogg", "flac": "flac", "aac": "aac"}


@dataclass(frozen=True)
class Decoded:
    rate: int
    samples: int
    codec: str

    @property
    def seconds(self) -> float:
        return self.samples / self.rate


def decode(data: bytes, fmt: str) -> Decoded:
    """Decode a whole encoded stream; raises if it is not valid."""
    with av.open(io.BytesIO(data), format=CONTAINERS[fmt]) as container:
        stream = container.streams.audio[0]
        samples = 0
        rate = 0
        for frame in container.decode(stream):
            samples += frame.samples
            rate = frame.sample_rate
        return Decoded(rate=rate, samples=samples, codec=stream.codec_context.name)
