"""Judges of real speech for the tests: is it speech, which command was said, how far apart are two voices.

Random weights give noise, so each judge here is one that noise fails:
spectral flatness is near 0 for voiced speech and far above it for noise, and
the recogniser, limited to a handful of commands, picks none of them from
noise but the right one from speech.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from pocketsphinx import Decoder  # type: ignore[import-untyped]

from tools.audio_decode import DEMUXERS, decode_samples

_LOGGER = logging.getLogger(__name__)

RECOGNISER_RATE = 16000
_FRAME_SECONDS = 0.032
# Frames this far below the loudest one are pauses; their flatness says nothing.
_SILENCE_DB = 40.0
_BAND_LOW_HZ = 100.0
_BAND_HIGH_HZ = 8000.0
_FLATNESS_HIGH_HZ = 7000.0


def as_float(samples: np.ndarray | bytes) -> np.ndarray:
    """16-bit PCM bytes or any sample array as float32 in [-1, 1]."""
    if isinstance(samples, (bytes, bytearray)):
        return np.frombuffer(samples, dtype="<i2").astype(np.float32) / 32768.0
    array = np.asarray(samples)
    if array.dtype == np.int16:
        return array.astype(np.float32) / 32768.0
    return array.astype(np.float32, copy=False).reshape(-1)


def _frames(samples: np.ndarray, rate: int) -> np.ndarray:
    size = max(int(rate * _FRAME_SECONDS), 64)
    count = len(samples) // size
    return samples[: count * size].reshape(count, size)


def spectral_flatness(samples: np.ndarray | bytes, rate: int) -> float:
    """Median over non-silent frames of geometric / arithmetic mean of the power spectrum.

    Only 100 Hz to 7 kHz counts: every rate and codec here keeps that band,
    while the empty top of a resampled or low-passed signal would make any
    sound look tonal. About 0.003 for Kokoro's speech, 0.3 for random-weight
    output and 0.57 for white noise. Returns 1.0 when there is no sound at all, so
    "is speech" checks fail on silence too.
    """
    frames = _frames(as_float(samples), rate)
    if len(frames) == 0:
        return 1.0
    energy = np.mean(frames**2, axis=1)
    loudest = float(energy.max())
    if loudest <= 0.0:
        return 1.0
    voiced = frames[energy >= loudest * 10 ** (-_SILENCE_DB / 10)]
    power = np.abs(np.fft.rfft(voiced * np.hanning(voiced.shape[1]), axis=1)) ** 2 + 1e-12
    freqs = np.fft.rfftfreq(voiced.shape[1], 1.0 / rate)
    power = power[:, (freqs >= _BAND_LOW_HZ) & (freqs <= _FLATNESS_HIGH_HZ)]
    flatness = np.exp(np.mean(np.log(power), axis=1)) / np.mean(power, axis=1)
    return float(np.median(flatness))


def resample(samples: np.ndarray | bytes, rate: int, target: int = RECOGNISER_RATE) -> np.ndarray:
    """Mono float audio at rate to 16-bit samples at target, with PyAV's resampler."""
    pcm = np.clip(as_float(samples), -1.0, 1.0)
    if rate == target:
        return (pcm * 32767.0).astype(np.int16)
    frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="flt", layout="mono")
    frame.sample_rate = rate
    resampler = av.AudioResampler(format="s16", layout="mono", rate=target)
    out = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    out += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int16)


def band_energies(samples: np.ndarray | bytes, rate: int) -> np.ndarray:
    """Long-term third-octave band levels in dB, 100 Hz to 8 kHz, loudness removed."""
    pcm = as_float(samples)
    spectrum = np.abs(np.fft.rfft(pcm)) ** 2
    freqs = np.fft.rfftfreq(len(pcm), 1.0 / rate)
    centres = _BAND_LOW_HZ * 2 ** (np.arange(0, 64) / 3)
    centres = centres[centres * 2 ** (1 / 6) <= min(_BAND_HIGH_HZ, rate / 2)]
    levels = []
    for centre in centres:
        band = (freqs >= centre * 2 ** (-1 / 6)) & (freqs < centre * 2 ** (1 / 6))
        levels.append(10 * np.log10(spectrum[band].sum() + 1e-12))
    db = np.array(levels)
    # The same voice louder is the same voice: compare shapes, not levels.
    return db - db.mean()


def spectral_distance(a: np.ndarray | bytes, b: np.ndarray | bytes, rate: int) -> float:
    """RMS difference in dB between the third-octave spectra of two signals."""
    return float(np.sqrt(np.mean((band_energies(a, rate) - band_energies(b, rate)) ** 2)))


@dataclass(frozen=True)
class Command:
    """One sentence the judge can pick."""

    key: str
    text: str


# Short, plain words with open vowels, which a Japanese voice reading English
# still says recognisably, and no two commands share most of their words.
COMMANDS: tuple[Command, ...] = (
    Command("light", "turn on the kitchen light"),
    Command("timer", "set a timer for ten minutes"),
    Command("music", "play some music"),
    Command("door", "lock the front door"),
    Command("weather", "what is the weather today"),
)


def _grammar(commands: Iterable[Command], repeated: bool) -> str:
    rules = " | ".join(f"( {c.text} )" for c in commands)
    top = "<command>+" if repeated else "<command>"
    return (f"#JSGF V1.0;\ngrammar commands;\n<command> = {rules};\n"
            f"public <utterance> = {top};\n")


class CommandJudge:
    """pocketsphinx limited to a JSGF grammar of a few commands: which one was said?"""

    def __init__(self, commands: Sequence[Command] = COMMANDS) -> None:
        self._commands = tuple(commands)
        self._decoder = Decoder(lm=None, loglevel="FATAL")
        self._decoder.add_jsgf_string("one", _grammar(commands, repeated=False))
        self._decoder.add_jsgf_string("many", _grammar(commands, repeated=True))

    def command(self, key: str) -> Command:
        return next(c for c in self._commands if c.key == key)

    def pick(self, samples: np.ndarray | bytes, rate: int) -> str | None:
        """The key of the one command heard, or None when the grammar found no path."""
        keys = self._parse(self._hear(samples, rate, "one"))
        return keys[0] if len(keys) == 1 else None

    def picks(self, samples: np.ndarray | bytes, rate: int) -> list[str]:
        """The keys of the commands heard one after another (empty when none fit)."""
        return self._parse(self._hear(samples, rate, "many"))

    def _hear(self, samples: np.ndarray | bytes, rate: int, search: str) -> str:
        pcm = resample(samples, rate)
        # Speech cut hard at both ends confuses the recogniser's silence model.
        pad = np.zeros(RECOGNISER_RATE // 4, dtype=np.int16)
        audio = np.concatenate([pad, pcm, pad])
        self._decoder.activate_search(search)
        self._decoder.start_utt()
        self._decoder.process_raw(audio.tobytes(), no_search=False, full_utt=True)
        self._decoder.end_utt()
        hyp = self._decoder.hyp()
        heard = " ".join(hyp.hypstr.split()) if hyp is not None else ""
        _LOGGER.debug("Recogniser heard %r", heard)
        return heard

    def _parse(self, heard: str) -> list[str]:
        """Split a hypothesis back into command keys; the grammar allows nothing else."""
        keys: list[str] = []
        rest = heard
        while rest:
            found = next((c for c in self._commands
                          if rest == c.text or rest.startswith(c.text + " ")), None)
            if found is None:
                return []
            keys.append(found.key)
            rest = rest[len(found.text):].strip()
        return keys


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m tests.speech pick FILE`: print the command heard in FILE, or "none".

    For tests that run where pocketsphinx is not installed (Home Assistant's
    environment): they write the audio to a file and ask this environment.
    The format comes from the file's extension (wav, flac, mp3, opus, aac).
    """
    parser = argparse.ArgumentParser(prog="python -m tests.speech")
    commands = parser.add_subparsers(dest="action", required=True)
    pick = commands.add_parser("pick", help="print the command heard in an audio file, or none")
    pick.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    fmt = args.file.suffix.lstrip(".").lower()
    if fmt not in DEMUXERS:
        parser.error(f"unknown audio format {fmt!r}: use one of {', '.join(DEMUXERS)}")
    samples, rate = decode_samples(args.file.read_bytes(), fmt)
    print(CommandJudge().pick(samples, rate) or "none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
