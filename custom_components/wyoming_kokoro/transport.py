"""One TCP connection to a Wyoming server, with every wait bounded.

Events are read and written as raw wyoming Events: the streaming events are
not in the wyoming version that Home Assistant 2025.4 pins (1.5.4).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Final

from wyoming.event import Event, async_read_event, async_write_event

from .errors import KokoroConnectionError, KokoroServerError, KokoroTimeoutError

_LOGGER = logging.getLogger(__name__)

SYNTHESIZE: Final = "synthesize"
SYNTHESIZE_START: Final = "synthesize-start"
SYNTHESIZE_CHUNK: Final = "synthesize-chunk"
SYNTHESIZE_STOP: Final = "synthesize-stop"
SYNTHESIZE_STOPPED: Final = "synthesize-stopped"
AUDIO_START: Final = "audio-start"
AUDIO_CHUNK: Final = "audio-chunk"
AUDIO_STOP: Final = "audio-stop"
INFO: Final = "info"
ERROR: Final = "error"
PING: Final = "ping"
PONG: Final = "pong"

# Waiting for a close: a peer that vanished must not hold the request open.
_CLOSE_TIMEOUT: Final = 1.0


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


class Connection:
    """One TCP connection whose every wait is bounded."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, write_timeout: float
    ) -> None:
        """Wrap an open reader and writer; use Connection.open to connect."""
        self._reader = reader
        self._writer = writer
        self._write_timeout = write_timeout

    @classmethod
    async def open(
        cls, host: str, port: int, connect_timeout: float, write_timeout: float
    ) -> Connection:
        """Connect within connect_timeout, or raise a KokoroError."""
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
        """Send one event within the write timeout."""
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
        """Close, waiting a bounded time for the peer."""
        self._writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            async with asyncio.timeout(_CLOSE_TIMEOUT):
                await self._writer.wait_closed()


def raise_for_error(event: Event) -> None:
    """Raise KokoroServerError when the event is the server's `error`."""
    if event.type == ERROR:
        data = event.data or {}
        text = data.get("text") or "the server reported an error"
        code = data.get("code")
        raise KokoroServerError(str(text), code=code if isinstance(code, str) else None)
