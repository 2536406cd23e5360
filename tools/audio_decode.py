"""Decode what the server encoded, with PyAV, as a player would.

Only PyAV is needed, so the Home Assistant test environment (which cannot
import the server's packages) decodes with this module too.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import av
import numpy as np

# FFmpeg's demuxer for each of the server's encoded formats. Demuxer names are
# not the muxer names the server writes with (it muxes aac as "adts").
DEMUXERS = {"wav": "wav", "mp3": "mp3", "opus": "ogg", "flac": "flac", "aac": "aac"}


@dataclass(frozen=True)
class Decoded:
    """What the decoder found in a whole stream."""

    codec: str
    rate: int
    channels: int
    samples: int

    @property
    def seconds(self) -> float:
        return self.samples / self.rate


def decode(data: bytes, fmt: str | None = None) -> Decoded:
    """Decode a whole encoded stream; raises av.FFmpegError if it is not valid.

    fmt: one of the server's format names (DEMUXERS), or None to let FFmpeg
    probe a file that names its own container.
    """
    container = DEMUXERS[fmt] if fmt is not None else None
    with av.open(io.BytesIO(data), mode="r", format=container) as media:
        stream = media.streams.audio[0]
        samples = 0
        rate = 0
        for frame in media.decode(stream):
            samples += frame.samples
            rate = frame.sample_rate
        context = stream.codec_context
        return Decoded(context.name, rate or context.sample_rate, context.channels, samples)


def decode_samples(data: bytes, fmt: str) -> tuple[np.ndarray, int]:
    """Decode a whole mono stream into float32 samples in [-1, 1], and their rate."""
    with av.open(io.BytesIO(data), mode="r", format=DEMUXERS[fmt]) as media:
        pieces: list[np.ndarray] = []
        rate = 0
        for frame in media.decode(media.streams.audio[0]):
            rate = frame.sample_rate
            # Planar frames are [channels, n], packed ones [1, n * channels]; both mono here.
            array = frame.to_ndarray().reshape(-1)
            if array.dtype == np.int16:
                array = array.astype(np.float32) / 32768.0
            pieces.append(array.astype(np.float32, copy=False))
    return (np.concatenate(pieces) if pieces else np.zeros(0, np.float32)), rate
