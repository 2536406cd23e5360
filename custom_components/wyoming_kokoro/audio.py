"""WAV framing for raw PCM answers.

A plain Wyoming answer (or a request for `pcm`) carries bare samples; Home
Assistant needs a file, and ffmpeg may not be there to make one, so the
integration writes the 44-byte RIFF header itself.
"""

from __future__ import annotations

import struct

# Sizes written when the length is not known yet (a stream): the largest
# values the fields hold. Decoders read such a file up to its real end.
_UNKNOWN_SIZE = 0xFFFFFFFF


def wav_header(rate: int, width: int, channels: int, data_size: int | None) -> bytes:
    """Return a canonical PCM WAV header; data_size None means "streaming"."""
    block_align = width * channels
    if data_size is None:
        riff_size = data_chunk = _UNKNOWN_SIZE
    else:
        data_chunk = data_size
        riff_size = 36 + data_size
    return (
        b"RIFF"
        + struct.pack("<I", min(riff_size, _UNKNOWN_SIZE))
        + b"WAVEfmt "
        + struct.pack(
            "<IHHIIHH",
            16,  # fmt chunk size
            1,  # PCM
            channels,
            rate,
            rate * block_align,
            block_align,
            width * 8,
        )
        + b"data"
        + struct.pack("<I", min(data_chunk, _UNKNOWN_SIZE))
    )


def wav_file(rate: int, width: int, channels: int, pcm: bytes) -> bytes:
    """Wrap complete PCM audio into a WAV file."""
    return wav_header(rate, width, channels, len(pcm)) + pcm
