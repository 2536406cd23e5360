"""One request from text to audio events: its own normaliser, splitter, job and output.

Nothing in a Synthesis is shared with another request. Text goes in as it
arrives (all at once for synthesize, in deltas for streaming); sentences go to
the scheduler as soon as they are complete; audio goes out as it is made.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from typing import Protocol

import numpy as np
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event
from wyoming.tts import SynthesizeStopped

from wyoming_kokoro.config import MODEL_RATE
from wyoming_kokoro.errors import TextTooLongError
from wyoming_kokoro.model.scheduler import Job
from wyoming_kokoro.pipeline.output import CHANNELS, WIDTH, AudioOutput
from wyoming_kokoro.pipeline.sentences import SentenceSplitter

_LOGGER = logging.getLogger(__name__)

SendFn = Callable[[Event], Awaitable[None]]


class TextFilter(Protocol):
    """An incremental text front-end (the normaliser)."""

    def feed(self, delta: str) -> str:
        """Text that is final; it ends only where boundaries.py lets a sentence
        end, or at a line end, so the splitter may cut at its very end."""
        ...

    def flush(self) -> str: ...


class Synthesis:
    """Text in, one audio-start / audio-chunk… / audio-stop cycle out."""

    def __init__(
        self,
        *,
        job: Job,
        output: AudioOutput,
        splitter: SentenceSplitter,
        text_filter: TextFilter | None,
        max_text_length: int,
        streaming: bool,
        encoders: Executor,
    ) -> None:
        self.job = job
        self._output = output
        self.streaming = streaming
        self._encoders = encoders
        self._splitter = splitter
        self._filter = text_filter
        self._max_text_length = max_text_length
        self._text_length = 0
        self._created = time.perf_counter()
        self.first_audio_seconds: float | None = None
        self.audio_seconds = 0.0

    def add_text(self, text: str) -> None:
        """Add text; complete sentences go to the queue at once."""
        self._text_length += len(text)
        if self._text_length > self._max_text_length:
            raise TextTooLongError(
                f"text is longer than {self._max_text_length} characters (max_text_length)"
            )
        if self._filter is None:
            self._submit(self._splitter.feed(text))
            return
        # The normaliser releases text only where a sentence or line ends; the
        # splitter still applies the abbreviation rule there ("Dr." goes on).
        cleaned = self._filter.feed(text)
        self._submit(self._splitter.feed(cleaned, ends_sentence=bool(cleaned)))

    def end_text(self) -> None:
        """No more text: queue what is left and close the job's input."""
        rest = self._filter.flush() if self._filter is not None else ""
        self._submit(self._splitter.feed(rest) + self._splitter.flush())
        self.job.close_input()

    def cancel(self) -> None:
        """Stop the job: queued sentences are dropped and deliver() ends."""
        self.job.cancel()

    def close(self) -> None:
        """Release the request: its job and its encoder. Safe to call more than once.

        The one cleanup path, whether the audio was delivered, failed, or
        never started.
        """
        self.job.cancel()
        self._output.close()

    def _submit(self, sentences: list[str]) -> None:
        for sentence in sentences:
            self.job.submit(sentence)

    async def deliver(self, send: SendFn) -> None:
        """Send the audio cycle (and synthesize-stopped when streaming).

        Raises the job's error; the caller closes the Synthesis afterwards.
        """
        fmt = self._output.output
        extra = {"format": fmt.format} if fmt.encoded else {}
        started = False

        async def send_payloads(payloads: list[bytes]) -> None:
            nonlocal started
            if not payloads:
                return
            if not started:
                await send(_with(AudioStart(rate=fmt.rate, width=WIDTH, channels=CHANNELS).event(), extra))
                started = True
            for payload in payloads:
                chunk = AudioChunk(rate=fmt.rate, width=WIDTH, channels=CHANNELS, audio=payload)
                await send(_with(chunk.event(), extra))

        async for audio in self.job.results():
            payloads = await self._run(self._output.push, audio)
            if payloads and self.first_audio_seconds is None:
                self.first_audio_seconds = time.perf_counter() - self._created
            self.audio_seconds += len(audio) / MODEL_RATE
            await send_payloads(payloads)
        await send_payloads(await self._run(self._output.finish))
        if not started:
            # Empty text still gets a (silent) cycle: clients wait for audio-stop.
            await send(_with(AudioStart(rate=fmt.rate, width=WIDTH, channels=CHANNELS).event(), extra))
        await send(AudioStop().event())
        if self.streaming:
            await send(SynthesizeStopped().event())
        _LOGGER.debug(
            "Job %s done: %.2f s of audio, first audio after %s",
            self.job.id, self.audio_seconds,
            f"{self.first_audio_seconds * 1000:.0f} ms" if self.first_audio_seconds else "-",
        )

    async def _run(self, func: Callable[..., list[bytes]], *args: np.ndarray) -> list[bytes]:
        # Encoding and resampling run in worker threads, never on the event
        # loop and never in the model thread.
        if not self._output.runs_in_thread:
            return func(*args)
        loop = asyncio.get_running_loop()
        work = asyncio.ensure_future(loop.run_in_executor(self._encoders, func, *args))
        try:
            return await asyncio.shield(work)
        except asyncio.CancelledError:
            # The thread is still inside the encoder: let it finish before the
            # caller's cleanup closes the encoder under it.
            await asyncio.wait([work])
            raise


def _with(event: Event, extra: dict[str, str]) -> Event:
    if extra:
        event.data.update(extra)
    return event
