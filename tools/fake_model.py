"""A fake synthesiser: stands in for the model where a run is about the server's own code.

It is passed as ``synthesize`` to the server (``App.synthesize_fn``), is
called in the scheduler's model thread with ``(text, voice, speed)`` and
returns float32 arrays at the model's rate, like ``Engine.synthesize``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np

from wyoming_kokoro.config import MODEL_RATE
from wyoming_kokoro.model.voices import VoiceChoice


def tone(seconds: float, frequency: float = 220.0) -> np.ndarray:
    """A quiet sine: real-looking audio whose length a test can predict."""
    samples = max(1, int(seconds * MODEL_RATE))
    t = np.arange(samples, dtype=np.float32) / MODEL_RATE
    return (0.2 * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


class SynthesisFault(RuntimeError):
    """What a fake model raises when told to fail."""


@dataclass
class FakeSynth:
    """A configurable fake model.

    Audio length follows the text (seconds_per_char), so a longer sentence gives
    more chunks. A sentence containing fail_marker raises; one containing
    slow_marker sleeps slow_seconds first (the thread cannot be interrupted,
    exactly like a stuck model).
    """

    seconds_per_char: float = 0.004
    delay: float = 0.0
    fail_marker: str | None = None
    slow_marker: str | None = None
    slow_seconds: float = 0.0
    calls: list[str] = field(default_factory=list)
    """Every text the model was asked for, in order (recorded as each call starts)."""
    finished: int = 0
    """Calls that have returned or raised."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __call__(self, text: str, voice: VoiceChoice, speed: float) -> list[np.ndarray]:
        with self._lock:
            self.calls.append(text)
        try:
            if self.fail_marker is not None and self.fail_marker in text:
                raise SynthesisFault(f"fake model failure on {text!r}")
            if self.slow_marker is not None and self.slow_marker in text:
                time.sleep(self.slow_seconds)
            if self.delay:
                time.sleep(self.delay)
            return [tone(max(0.05, len(text) * self.seconds_per_char / speed))]
        finally:
            with self._lock:
                self.finished += 1


def fast_synth() -> FakeSynth:
    """A fake model that answers at once with a little audio per sentence."""
    return FakeSynth()
