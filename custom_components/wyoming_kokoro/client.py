"""A small Wyoming client for one Kokoro server.

Every request opens its own TCP connection and closes it when done, so a
request that fails or is abandoned can never confuse the next one, and the
server sees exactly what Home Assistant's own Wyoming integration would send.
Every wait is bounded (see const.py); failures surface as KokoroError.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from typing import Any

from wyoming.event import Event, async_read_event, async_write_event
from wyoming.info import Describe

from .const import (
    ACCEPT_TIMEOUT,
    CONNECT_TIMEOUT,
    DESCRIBE_TIMEOUT,
    READ_TIMEOUT,
    WRITE_TIMEOUT,
)
from .data import Latency, ServerInfo, parse_info
from .errors import (
    KokoroConnectionError,
    KokoroError,
    KokoroServerError,
    KokoroTimeoutError,
)

_LOGGER = logging.getLogger(__name__)

# Event types. The streaming ones are not in the wyoming version that Home
# Assistant 2025.4 pins (1.5.4), so every event is built as a raw Event.
_SYNTHESIZE = "synthesize"
_SYNTHESIZE_START = "synthesize-start"
_SYNTHESIZE_CHUNK = "synthesize-chunk"
_SYNTHESIZE_STOP = "synthesize-stop"
_SYNTHESIZE_STOPPED = "synthesize-stopped"
_AUDIO_START = "audio-start"
_AUDIO_CHUNK = "audio-chunk"
_AUDIO_STOP = "audio-stop"
_INFO = "info"
_ERROR = "error"
_PING = "ping"
_PONG = "pong"


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


def _audio_format(data: dict[str, Any]) -> AudioFormat:
    """Read rate/width/channels/format from an audio event's data."""
    try:
        rate, width, channels = (int(data[key]) for key in ("rate", "width", "channels"))
    except (KeyError, TypeError, ValueError) as err:
        raise KokoroServerError(f"audio event without a valid {err}") from err
    fmt = data.get("format")
    return AudioFormat(rate, width, channels, fmt if isinstance(fmt, str) else None)


class _KeepReadableProtocol(asyncio.StreamReaderProtocol):
    """A stream protocol whose reader survives a broken connection.

    A server that refuses a request sends `error` and closes. If we write
    (the next text delta) after that, the write fails, and asyncio's own
    protocol would then make every read raise, though the `error` is
    already in the buffer. Ending the reader with a plain EOF instead lets
    it return what the server said first; writes still fail on their own.
    """

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            _LOGGER.debug("Connection lost: %r", exc)
        super().connection_lost(None)


class _Connection:
    """One TCP connection whose every wait is bounded."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, write_timeout: float
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._write_timeout = write_timeout

    @classmethod
    async def open(
        cls, host: str, port: int, connect_timeout: float, write_timeout: float
    ) -> _Connection:
        try:
            async with asyncio.timeout(connect_timeout):
                loop = asyncio.get_running_loop()
                reader = asyncio.StreamReader()
                protocol = _KeepReadableProtocol(reader)
                transport, _ = await loop.create_connection(lambda: protocol, host, port)
                writer = asyncio.StreamWriter(transport, protocol, reader, loop)
        except TimeoutError as err:
            raise KokoroTimeoutError(
                f"no connection to {host}:{port} within {connect_timeout} s"
            ) from err
        except OSError as err:
            raise KokoroConnectionError(f"cannot connect to {host}:{port}: {err}") from err
        return cls(reader, writer, write_timeout)

    async def write(self, event: Event) -> None:
        try:
            async with asyncio.timeout(self._write_timeout):
                await async_write_event(event, self._writer)
        except TimeoutError as err:
            raise KokoroTimeoutError("the server stopped reading") from err
        except OSError as err:
            raise KokoroConnectionError(f"connection lost while sending: {err}") from err

    async def read(self) -> Event:
        """Read one event; unbounded here, callers bound it."""
        try:
            event = await async_read_event(self._reader)
        except (OSError, asyncio.IncompleteReadError) as err:
            raise KokoroConnectionError(f"connection lost: {err!r}") from err
        if event is None:
            # wyoming returns None both at EOF and for an unreadable header.
            raise KokoroConnectionError("the server closed the connection")
        return event

    async def close(self) -> None:
        self._writer.close()
        # Waiting for the close is bounded too: a peer that vanished must
        # not hold the request open.
        with contextlib.suppress(OSError, TimeoutError):
            async with asyncio.timeout(1):
                await self._writer.wait_closed()


def _raise_for_error(event: Event) -> None:
    if event.type == _ERROR:
        data = event.data or {}
        text = data.get("text") or "the server reported an error"
        code = data.get("code")
        raise KokoroServerError(str(text), code=code if isinstance(code, str) else None)


def _error_text(err: BaseException) -> str:
    """An error as diagnostics show it, with the server's code when there is one."""
    if isinstance(err, KokoroServerError) and err.code:
        return f"{err.code}: {err}"
    return f"{type(err).__name__}: {err}"


class AudioStream:
    """The audio of one request, yielded as the server sends it.

    Create it with KokoroClient.open_synthesis, iterate `chunks()` once, and
    always `aclose()` it (also when iteration stops early).
    """

    def __init__(
        self,
        client: KokoroClient,
        conn: _Connection,
        latency: Latency,
        streaming: bool,
    ) -> None:
        self._client = client
        self._conn = conn
        self._latency = latency
        self._streaming = streaming
        self._started = time.monotonic()
        self._sender: asyncio.Task[None] | None = None
        self._read_task: asyncio.Task[Event] | None = None
        self._pending: bytes | None = None
        self._accepted = asyncio.Event()
        self._ended = False
        self._closed = False
        self.audio_format: AudioFormat | None = None

    def start_sender(self, text_stream: AsyncIterable[str]) -> None:
        """Send the text deltas while the caller reads audio."""
        self._sender = asyncio.create_task(self._send_text(text_stream))

    async def _send_text(self, text_stream: AsyncIterable[str]) -> None:
        # Hold the text back until the server has taken synthesize-start. A
        # server that refuses it (unknown voice) sends `error` and closes; if
        # text were on its way, the close would become a reset that discards
        # the `error` before we read it. The server answers `ping` in order,
        # so its `pong` means synthesize-start went through.
        await self._conn.write(Event(_PING, {}))
        try:
            async with asyncio.timeout(self._client.accept_timeout):
                await self._accepted.wait()
        except TimeoutError:
            _LOGGER.debug(
                "No pong within %s s; sending the text anyway", self._client.accept_timeout
            )
        async for delta in text_stream:
            if delta:
                await self._conn.write(Event(_SYNTHESIZE_CHUNK, {"text": delta}))
        await self._conn.write(Event(_SYNTHESIZE_STOP))

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
            sending = self._sender is not None and not self._sender.done()
            if sending:
                assert self._sender is not None
                waiters.add(self._sender)
            done, _ = await asyncio.wait(
                waiters,
                timeout=None if sending else self._client.read_timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if self._sender is not None and self._sender in done:
                self._check_sender()
            if self._read_task in done:
                task, self._read_task = self._read_task, None
                return task.result()
            if not done:
                raise KokoroTimeoutError(
                    f"no answer from the server for {self._client.read_timeout} s"
                )

    def _check_sender(self) -> None:
        """Raise what made sending fail, unless the answer may explain it.

        A server that refuses a request (unknown voice, say) sends `error`
        and closes, so sending the next text delta fails. The `error` is
        the useful part: on a connection failure keep reading, and the next
        read returns it (or fails itself). Any other failure comes from the
        text stream and is raised as it is.
        """
        assert self._sender is not None
        if self._sender.cancelled():
            raise KokoroConnectionError("sending was cancelled")
        err = self._sender.exception()
        if err is not None and not isinstance(err, KokoroError):
            raise err
        if err is not None:
            _LOGGER.debug("Sending failed (%s); reading the answer", err)

    async def _next_audio(self) -> tuple[str, AudioFormat | None, bytes]:
        """Next audio-relevant event as (kind, format, payload).

        kind is `start`, `chunk` or `end`. Events this client does not know
        are skipped, as Wyoming asks of every peer.
        """
        while True:
            event = await self._next_event()
            _raise_for_error(event)
            if event.type == _PONG:
                self._accepted.set()
                continue
            if event.type == _AUDIO_START:
                self._accepted.set()
                return "start", _audio_format(event.data or {}), b""
            if event.type == _AUDIO_CHUNK:
                return "chunk", _audio_format(event.data or {}), event.payload or b""
            if event.type == _AUDIO_STOP and not self._streaming:
                return "end", None, b""
            if event.type == _SYNTHESIZE_STOPPED and self._streaming:
                return "end", None, b""

    async def wait_for_start(self) -> None:
        """Read up to the first audio-start so the format is known."""
        kind, fmt, payload = await self._next_audio()
        if kind == "end":
            self._ended = True
            return
        self.audio_format = fmt
        if kind == "chunk":
            # A server may skip audio-start; keep the chunk for chunks().
            self._pending = payload

    async def chunks(self) -> AsyncIterator[bytes]:
        """Yield the audio payloads until the end of the response."""
        try:
            if self._pending:
                pending, self._pending = self._pending, None
                self._record_audio(pending)
                yield pending
            while not self._ended:
                kind, fmt, payload = await self._next_audio()
                if kind == "end":
                    self._ended = True
                elif kind == "start":
                    if fmt != self.audio_format:
                        # One response is one file; a format change would
                        # make the joined payloads unplayable.
                        raise KokoroServerError(f"audio format changed within one response: {fmt}")
                elif payload:
                    self._record_audio(payload)
                    yield payload
            self._latency.total_s = time.monotonic() - self._started
        except (Exception, asyncio.CancelledError) as err:
            # GeneratorExit (the caller stopped early) is left to aclose().
            if self._latency.error is None:
                self._latency.error = _error_text(err)
            raise
        finally:
            await self.aclose()

    def _record_audio(self, payload: bytes) -> None:
        if self._latency.first_audio_s is None:
            self._latency.first_audio_s = time.monotonic() - self._started
        self._latency.audio_bytes += len(payload)

    async def aclose(self) -> None:
        """Stop sending, close the connection and record the latency."""
        if self._closed:
            return
        self._closed = True
        if not self._ended and self._latency.error is None:
            self._latency.error = "closed before the end of the audio"
        for task in (self._sender, self._read_task):
            if task is not None and not task.done():
                task.cancel()
        for task in (self._sender, self._read_task):
            if task is not None:
                # The outcome was already seen (or does not matter any more);
                # awaiting here only makes sure no task outlives the request.
                with contextlib.suppress(BaseException):
                    await task
        await self._conn.close()
        self._client.last_latency = self._latency


class KokoroClient:
    """Requests to one Kokoro (or any Wyoming TTS) server."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        connect_timeout: float = CONNECT_TIMEOUT,
        describe_timeout: float = DESCRIBE_TIMEOUT,
        accept_timeout: float = ACCEPT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        write_timeout: float = WRITE_TIMEOUT,
    ) -> None:
        """Store the address and timeouts; nothing is opened yet."""
        self.host = host
        self.port = port
        self.connect_timeout = connect_timeout
        self.describe_timeout = describe_timeout
        self.accept_timeout = accept_timeout
        self.read_timeout = read_timeout
        self.write_timeout = write_timeout
        self.last_latency: Latency | None = None

    async def _connect(self) -> _Connection:
        return await _Connection.open(
            self.host, self.port, self.connect_timeout, self.write_timeout
        )

    async def describe(self) -> ServerInfo:
        """Send `describe` and parse the `info` answer."""
        conn = await self._connect()
        try:
            async with asyncio.timeout(self.describe_timeout):
                await conn.write(Describe().event())
                while True:
                    event = await conn.read()
                    _raise_for_error(event)
                    if event.type == _INFO:
                        return parse_info(event.data or {})
        except TimeoutError as err:
            raise KokoroTimeoutError(
                f"no `info` from {self.host}:{self.port} within {self.describe_timeout} s"
            ) from err
        finally:
            await conn.close()

    async def open_synthesis(
        self,
        *,
        text: str | None = None,
        text_stream: AsyncIterable[str] | None = None,
        voice: str | None = None,
        language: str | None = None,
        kokoro: dict[str, Any] | None = None,
    ) -> AudioStream:
        """Start one request and return once its audio format is known.

        With `text`, one `synthesize` is sent. With `text_stream`,
        `synthesize-start`, one `synthesize-chunk` per delta (sent by a task
        while the caller reads audio) and `synthesize-stop`.
        """
        if (text is None) == (text_stream is None):
            raise ValueError("give exactly one of text and text_stream")
        streaming = text_stream is not None
        data: dict[str, Any] = {}
        if voice:
            data["voice"] = {"name": voice}
        elif language:
            # The server picks its default voice when that speaks the
            # language, or else its first voice that does.
            data["voice"] = {"language": language}
        if kokoro:
            data["kokoro"] = kokoro
        latency = Latency(
            mode="stream" if streaming else "synthesize",
            format=(kokoro or {}).get("format"),
        )

        conn = await self._connect()
        stream = AudioStream(self, conn, latency, streaming)
        try:
            if text_stream is not None:
                await conn.write(Event(_SYNTHESIZE_START, data))
                stream.start_sender(text_stream)
            else:
                await conn.write(Event(_SYNTHESIZE, {"text": text, **data}))
            await stream.wait_for_start()
        except BaseException as err:
            latency.error = _error_text(err)
            await stream.aclose()
            raise
        _LOGGER.debug("%s to %s:%s: %s", latency.mode, self.host, self.port, stream.audio_format)
        return stream

    async def synthesize(
        self,
        text: str,
        *,
        voice: str | None = None,
        language: str | None = None,
        kokoro: dict[str, Any] | None = None,
    ) -> tuple[AudioFormat | None, bytes]:
        """One `synthesize`; return the format and all audio bytes joined."""
        stream = await self.open_synthesis(text=text, voice=voice, language=language, kokoro=kokoro)
        audio = b"".join([chunk async for chunk in stream.chunks()])
        return stream.audio_format, audio


__all__ = [
    "AudioFormat",
    "AudioStream",
    "KokoroClient",
    "KokoroConnectionError",
    "KokoroError",
    "KokoroServerError",
    "KokoroTimeoutError",
]
