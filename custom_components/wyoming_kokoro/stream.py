"""One synthesis request on its own connection: text out, audio back.

This is the request's state machine: hold the text until the server has
accepted the request, send it while reading audio, bound the silence once
all text is sent, and measure the latency. The connection itself is
transport.py's job; what is done with the latency is the caller's.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from wyoming.event import Event

from .data import Latency
from .errors import KokoroConnectionError, KokoroError, KokoroServerError, KokoroTimeoutError
from .transport import (
    AUDIO_CHUNK,
    AUDIO_START,
    AUDIO_STOP,
    PING,
    PONG,
    SYNTHESIZE_CHUNK,
    SYNTHESIZE_STOP,
    SYNTHESIZE_STOPPED,
    Connection,
    raise_for_error,
)

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class AudioFormat:
    """The audio of one response, as `audio-start` describes it."""

    rate: int
    width: int
    channels: int
    format: str | None
    """The encoded format, or None for raw PCM (a plain Wyoming answer)."""

    @property
    def is_pcm(self) -> bool:
        """True when the payloads are raw PCM samples."""
        return self.format in (None, "pcm")

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> AudioFormat:
        """Read rate/width/channels/format from an audio event's data."""
        try:
            rate, width, channels = (int(data[key]) for key in ("rate", "width", "channels"))
        except (KeyError, TypeError, ValueError) as err:
            raise KokoroServerError(f"audio event without a valid {err}") from err
        fmt = data.get("format")
        return cls(rate, width, channels, fmt if isinstance(fmt, str) else None)


@dataclass(frozen=True)
class AudioStart:
    """`audio-start`: the format of what follows."""

    format: AudioFormat


@dataclass(frozen=True)
class AudioChunk:
    """`audio-chunk`: some audio bytes."""

    format: AudioFormat
    payload: bytes


@dataclass(frozen=True)
class AudioEnd:
    """The end of the response: `audio-stop`, or `synthesize-stopped` for a stream."""


AudioEvent = AudioStart | AudioChunk | AudioEnd


def error_text(err: BaseException) -> str:
    """An error as diagnostics show it, with the server's code when there is one."""
    if isinstance(err, KokoroServerError) and err.code:
        return f"{err.code}: {err}"
    return f"{type(err).__name__}: {err}"


@dataclass(frozen=True)
class StreamTimeouts:
    """The waits of one request, in seconds."""

    accept: float
    """How long the text waits for the server to accept the request."""
    read: float
    """Silence allowed once all text is sent."""


class AudioStream:
    """The audio of one request, yielded as the server sends it.

    Create it with KokoroClient.open_synthesis, iterate `chunks()` once, and
    always `aclose()` it (also when iteration stops early).
    """

    def __init__(
        self,
        conn: Connection,
        latency: Latency,
        *,
        streaming: bool,
        timeouts: StreamTimeouts,
        on_close: Callable[[Latency], None],
    ) -> None:
        """Take over an open connection; on_close receives the final latency."""
        self._conn = conn
        self._latency = latency
        self._streaming = streaming
        self._timeouts = timeouts
        self._on_close = on_close
        self._started = time.monotonic()
        self._sender: asyncio.Task[None] | None = None
        self._read_task: asyncio.Task[Event] | None = None
        self._pending: bytes | None = None
        self._accepted = asyncio.Event()
        self._ended = False
        self._closed = False
        self.audio_format: AudioFormat | None = None

    @property
    def latency(self) -> Latency:
        """What was measured so far."""
        return self._latency

    def start_sender(self, text_stream: AsyncIterable[str]) -> None:
        """Send the text deltas while the caller reads audio."""
        self._sender = asyncio.create_task(self._send_text(text_stream))

    async def _send_text(self, text_stream: AsyncIterable[str]) -> None:
        # Hold the text back until the server has taken synthesize-start. A
        # server that refuses it (unknown voice) sends `error` and closes; if
        # text were on its way, the close would become a reset that discards
        # the `error` before we read it. The server answers `ping` in order,
        # so its `pong` means synthesize-start went through.
        await self._conn.write(Event(PING, {}))
        try:
            async with asyncio.timeout(self._timeouts.accept):
                await self._accepted.wait()
        except TimeoutError:
            _LOGGER.debug("No pong within %s s; sending the text anyway", self._timeouts.accept)
        async for delta in text_stream:
            if delta:
                await self._conn.write(Event(SYNTHESIZE_CHUNK, {"text": delta}))
        await self._conn.write(Event(SYNTHESIZE_STOP))

    async def _next_event(self) -> Event:
        """Next event from the server, with a read timeout.

        While text is still being sent the wait is not limited: the text may
        come from a slow producer (a language model), and a server that is
        waiting for text sends nothing. Once all text is sent, silence longer
        than the read timeout ends the request.
        """
        while True:
            if self._read_task is None:
                self._read_task = asyncio.create_task(self._conn.read())
            waiters: set[asyncio.Task[Any]] = {self._read_task}
            sender = self._sender
            sending = sender is not None and not sender.done()
            if sender is not None and sending:
                waiters.add(sender)
            done, _ = await asyncio.wait(
                waiters,
                timeout=None if sending else self._timeouts.read,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if sender is not None and sender in done:
                self._check_sender(sender)
            if self._read_task in done:
                task, self._read_task = self._read_task, None
                return task.result()
            if not done:
                raise KokoroTimeoutError(f"no answer from the server for {self._timeouts.read} s")

    @staticmethod
    def _check_sender(sender: asyncio.Task[None]) -> None:
        """Raise what made sending fail, unless the answer may explain it.

        A server that refuses a request (unknown voice, say) sends `error`
        and closes, so sending the next text delta fails. The `error` is
        the useful part: on a connection failure keep reading, and the next
        read returns it (or fails itself). Any other failure comes from the
        text stream and is raised as it is.
        """
        if sender.cancelled():
            raise KokoroConnectionError("sending was cancelled")
        err = sender.exception()
        if err is not None and not isinstance(err, KokoroError):
            raise err
        if err is not None:
            _LOGGER.debug("Sending failed (%s); reading the answer", err)

    async def _next_audio(self) -> AudioEvent:
        """Next audio-relevant event; events this client does not know are
        skipped, as Wyoming asks of every peer."""
        while True:
            event = await self._next_event()
            raise_for_error(event)
            if event.type == PONG:
                self._accepted.set()
            elif event.type == AUDIO_START:
                self._accepted.set()
                return AudioStart(AudioFormat.from_data(event.data or {}))
            elif event.type == AUDIO_CHUNK:
                return AudioChunk(AudioFormat.from_data(event.data or {}), event.payload or b"")
            elif event.type == (SYNTHESIZE_STOPPED if self._streaming else AUDIO_STOP):
                return AudioEnd()

    async def wait_for_start(self) -> None:
        """Read up to the first audio-start so the format is known."""
        event = await self._next_audio()
        if isinstance(event, AudioEnd):
            self._ended = True
            return
        self.audio_format = event.format
        if isinstance(event, AudioChunk):
            # A server may skip audio-start; keep the chunk for chunks().
            self._pending = event.payload

    async def chunks(self) -> AsyncIterator[bytes]:
        """Yield the audio payloads until the end of the response."""
        try:
            if self._pending:
                pending, self._pending = self._pending, None
                self._record_audio(pending)
                yield pending
            while not self._ended:
                event = await self._next_audio()
                if isinstance(event, AudioEnd):
                    self._ended = True
                elif isinstance(event, AudioStart):
                    if event.format != self.audio_format:
                        # One response is one file; a format change would
                        # make the joined payloads unplayable.
                        raise KokoroServerError(
                            f"audio format changed within one response: {event.format}"
                        )
                elif event.payload:
                    self._record_audio(event.payload)
                    yield event.payload
            self._latency.total_s = time.monotonic() - self._started
        except (Exception, asyncio.CancelledError) as err:
            # GeneratorExit (the caller stopped early) is left to aclose().
            if self._latency.error is None:
                self._latency.error = error_text(err)
            raise
        finally:
            await self.aclose()

    def _record_audio(self, payload: bytes) -> None:
        if self._latency.first_audio_s is None:
            self._latency.first_audio_s = time.monotonic() - self._started
        self._latency.audio_bytes += len(payload)

    async def aclose(self) -> None:
        """Stop sending, close the connection and hand over the latency."""
        if self._closed:
            return
        self._closed = True
        if not self._ended and self._latency.error is None:
            self._latency.error = "closed before the end of the audio"
        tasks = [task for task in (self._sender, self._read_task) if task is not None]
        for task in tasks:
            task.cancel()
        try:
            if tasks:
                # No task may outlive the request. asyncio.wait neither raises
                # the tasks' own errors (their outcome was seen already, or no
                # longer matters) nor hides a cancellation of our caller.
                await asyncio.wait(tasks)
        finally:
            for task in tasks:
                if task.done() and not task.cancelled():
                    # Mark the error as retrieved, so asyncio does not log it.
                    task.exception()
            await self._conn.close()
            self._on_close(self._latency)
