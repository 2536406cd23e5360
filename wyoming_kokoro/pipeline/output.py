"""Per-request audio output: 16-bit PCM, resampling, or a PyAV encoder.

Nothing here is shared between requests. Sharing one PyAV container or codec
context across concurrent requests crashes FFmpeg's encoders (seen as aborts
and double frees), so every request builds its own output and closes it on
every exit path.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, cast

import av
import numpy as np
from av.audio.stream import AudioStream

from wyoming_kokoro.config import MAX_RATE, MIN_RATE, MODEL_RATE
from wyoming_kokoro.errors import BadRequestError

_LOGGER = logging.getLogger(__name__)

WIDTH = 2
CHANNELS = 1


@dataclass(frozen=True)
class _Codec:
    container: str
    codec: str
    rates: frozenset[int] | None
    """Rates the codec accepts; None: any rate in range."""
    default_rate: int | None = None
    """Rate used when the request gives none; None: the configured output rate."""
    container_options: tuple[tuple[str, str], ...] = ()


_STANDARD_RATES = frozenset({8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000})
CODECS: dict[str, _Codec] = {
    "wav": _Codec("wav", "pcm_s16le", None),
    # No Xing/ID3 headers: they need a seekable output to be filled in.
    "mp3": _Codec("mp3", "libmp3lame", _STANDARD_RATES,
                  container_options=(("write_xing", "0"), ("id3v2_version", "0"))),
    # Without a short page duration ogg holds back ~2 s of audio.
    "opus": _Codec("ogg", "libopus", frozenset({8000, 12000, 16000, 24000, 48000}), 48000,
                   container_options=(("page_duration", "20000"),)),
    "flac": _Codec("flac", "flac", None),
    "aac": _Codec("adts", "aac", _STANDARD_RATES),
}
FORMATS = ("pcm", *CODECS)


@dataclass(frozen=True)
class OutputFormat:
    """What one request gets back."""

    format: str
    """pcm, or an encoded format from CODECS."""
    rate: int
    """Sample rate of the (decoded) audio."""

    @property
    def encoded(self) -> bool:
        return self.format != "pcm"


def choose_format(fmt: Any, rate: Any, default_rate: int) -> OutputFormat:
    """Validate a request's kokoro.format and kokoro.rate."""
    if fmt is None:
        fmt = "pcm"
    if not isinstance(fmt, str) or fmt.lower() not in FORMATS:
        raise BadRequestError(f"kokoro.format must be one of {', '.join(FORMATS)}; got {fmt!r}")
    fmt = fmt.lower()
    codec = CODECS.get(fmt)
    if rate is None:
        rate = codec.default_rate if codec and codec.default_rate else default_rate
        if codec and codec.rates is not None and rate not in codec.rates:
            # The configured rate does not suit this codec: take the next one up.
            rate = min((r for r in codec.rates if r >= rate), default=max(codec.rates))
    if isinstance(rate, bool) or not isinstance(rate, int):
        raise BadRequestError(f"kokoro.rate must be an integer number of Hz; got {rate!r}")
    if not MIN_RATE <= rate <= MAX_RATE:
        raise BadRequestError(f"kokoro.rate must be {MIN_RATE} to {MAX_RATE} Hz; got {rate}")
    if codec and codec.rates is not None and rate not in codec.rates:
        allowed = ", ".join(str(r) for r in sorted(codec.rates))
        raise BadRequestError(f"kokoro.rate {rate} is not possible for {fmt} (use {allowed})")
    return OutputFormat(fmt, rate)


def _clean(audio: np.ndarray) -> np.ndarray:
    """Mono float32 within [-1, 1]. The model's output is not bounded, and a
    diverging model gives NaN, which encoders reject: it becomes silence."""
    flat = np.asarray(audio, dtype=np.float32).reshape(-1)
    return np.clip(np.nan_to_num(flat, nan=0.0, posinf=1.0, neginf=-1.0), -1.0, 1.0)


def float_to_pcm16(audio: np.ndarray) -> bytes:
    """Clean and convert to 16-bit PCM."""
    return (_clean(audio) * 32767.0).astype("<i2").tobytes()


def _frame(audio: np.ndarray) -> av.AudioFrame:
    frame = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(_clean(audio))[None, :],
        format="flt", layout="mono",
    )
    frame.sample_rate = MODEL_RATE
    return frame


class AudioOutput(ABC):
    """Turns float32 model audio into the payloads of audio-chunk events."""

    def __init__(self, output: OutputFormat) -> None:
        self.output = output

    @property
    def runs_in_thread(self) -> bool:
        """True when push/finish do real work and belong off the event loop."""
        return True

    @abstractmethod
    def push(self, audio: np.ndarray) -> list[bytes]:
        """Add audio; return the payloads ready to send."""

    @abstractmethod
    def finish(self) -> list[bytes]:
        """End of audio: return the last payloads (encoder flush)."""

    @abstractmethod
    def close(self) -> None:
        """Release native resources; safe to call more than once."""


class PcmOutput(AudioOutput):
    """16-bit mono PCM in chunks of samples_per_chunk, resampled if asked."""

    def __init__(self, output: OutputFormat, samples_per_chunk: int) -> None:
        super().__init__(output)
        self._chunk_bytes = samples_per_chunk * WIDTH * CHANNELS
        self._resampler: av.AudioResampler | None = None
        if output.rate != MODEL_RATE:
            self._resampler = av.AudioResampler(format="s16", layout="mono", rate=output.rate)

    @property
    def runs_in_thread(self) -> bool:
        return self._resampler is not None

    def push(self, audio: np.ndarray) -> list[bytes]:
        if audio.size == 0:
            return []  # PyAV cannot make a frame of no samples
        if self._resampler is None:
            return self._split(float_to_pcm16(audio))
        return self._split(self._resample(_frame(audio)))

    def finish(self) -> list[bytes]:
        if self._resampler is None:
            return []
        return self._split(self._resample(None))

    def close(self) -> None:
        self._resampler = None

    def _resample(self, frame: av.AudioFrame | None) -> bytes:
        assert self._resampler is not None
        return b"".join(bytes(out.planes[0])[: out.samples * WIDTH]
                        for out in self._resampler.resample(frame))

    def _split(self, data: bytes) -> list[bytes]:
        step = self._chunk_bytes
        return [data[i:i + step] for i in range(0, len(data), step)]


class _Sink:
    """A write-only file for PyAV: with no seek or tell, every packet is flushed at once."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes | memoryview) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> list[bytes]:
        parts, self._parts = self._parts, []
        joined = b"".join(parts)
        return [joined] if joined else []


class EncodedOutput(AudioOutput):
    """One PyAV container and encoder, owned by one request."""

    def __init__(self, output: OutputFormat) -> None:
        super().__init__(output)
        codec = CODECS[output.format]
        self._sink = _Sink()
        self._container: Any = av.open(
            self._sink, mode="w", format=codec.container,
            options=dict(codec.container_options),
        )
        try:
            # PyAV types add_stream for every kind of stream; an audio codec gives an audio one.
            self._stream = cast(
                AudioStream, self._container.add_stream(codec.codec, rate=output.rate)
            )
            self._stream.layout = "mono"
        except Exception:
            self.close()
            raise
        self._closed = False

    def push(self, audio: np.ndarray) -> list[bytes]:
        if audio.size == 0:
            return []  # PyAV cannot make a frame of no samples
        for packet in self._stream.encode(_frame(audio)):
            self._container.mux(packet)
        return self._sink.take()

    def finish(self) -> list[bytes]:
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()
        self._closed = True
        return self._sink.take()

    def close(self) -> None:
        if getattr(self, "_closed", False):
            return
        self._closed = True
        try:
            self._container.close()
        except (av.FFmpegError, ValueError, OSError) as err:
            # Closing a half-written stream after a cancel may complain; it is discarded.
            _LOGGER.debug("Closing an abandoned %s encoder: %s", self.output.format, err)


def create_output(output: OutputFormat, samples_per_chunk: int) -> AudioOutput:
    """A fresh output for one request."""
    if output.encoded:
        return EncodedOutput(output)
    return PcmOutput(output, samples_per_chunk)
