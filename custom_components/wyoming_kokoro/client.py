"""A small Wyoming client for one Kokoro server.

Every request opens its own TCP connection and closes it when done, so a
request that fails or is abandoned can never confuse the next one, and the
server sees exactly what Home Assistant's own Wyoming integration would send.
Every wait is bounded (see const.py); failures surface as KokoroError. The
connection is transport.py's, a synthesis request's life is stream.py's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable
from typing import Any

from wyoming.event import Event
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
from .stream import AudioFormat, AudioStream, StreamTimeouts, error_text
from .transport import INFO, SYNTHESIZE, SYNTHESIZE_START, Connection, raise_for_error

_LOGGER = logging.getLogger(__name__)


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
        """The latest finished request's timing, for diagnostics."""

    async def _connect(self) -> Connection:
        return await Connection.open(self.host, self.port, self.connect_timeout, self.write_timeout)

    def _request_done(self, latency: Latency) -> None:
        self.last_latency = latency

    async def describe(self) -> ServerInfo:
        """Send `describe` and parse the `info` answer."""
        conn = await self._connect()
        try:
            async with asyncio.timeout(self.describe_timeout):
                await conn.write(Describe().event())
                while True:
                    event = await conn.read()
                    raise_for_error(event)
                    if event.type == INFO:
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
        # With no name, the server picks its default voice when that speaks
        # the language, or else its first voice that does. With a name, the
        # language tells the server how to read the text when the voice
        # speaks another one (a Japanese voice in an English pipeline).
        voice_data: dict[str, str] = {}
        if voice:
            voice_data["name"] = voice
        if language:
            voice_data["language"] = language
        if voice_data:
            data["voice"] = voice_data
        if kokoro:
            data["kokoro"] = kokoro
        latency = Latency(
            mode="stream" if streaming else "synthesize",
            format=(kokoro or {}).get("format"),
        )

        conn = await self._connect()
        stream = AudioStream(
            conn,
            latency,
            streaming=streaming,
            timeouts=StreamTimeouts(accept=self.accept_timeout, read=self.read_timeout),
            on_close=self._request_done,
        )
        try:
            if text_stream is not None:
                await conn.write(Event(SYNTHESIZE_START, data))
                stream.start_sender(text_stream)
            else:
                await conn.write(Event(SYNTHESIZE, {"text": text, **data}))
            await stream.wait_for_start()
        except BaseException as err:
            latency.error = error_text(err)
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
