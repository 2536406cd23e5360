"""One client connection: the Wyoming events and the connection's state.

The read loop never waits for synthesis: audio is sent by a task per request,
so describe and ping are answered at once however busy the model is.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import InitVar, dataclass, field
from enum import Enum

from wyoming.event import Event
from wyoming.info import Describe
from wyoming.ping import Ping, Pong
from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop

from wyoming_kokoro.config import Config
from wyoming_kokoro.errors import (
    BadRequestError,
    KokoroError,
    ShuttingDownError,
    SynthesisError,
    SynthesisTimeoutError,
)
from wyoming_kokoro.model.scheduler import Scheduler
from wyoming_kokoro.model.voices import VoiceCatalogue, VoiceChoice
from wyoming_kokoro.pipeline.request import RequestFactory, parse_text
from wyoming_kokoro.pipeline.synthesis import Synthesis, TextFilter
from wyoming_kokoro.wire.protocol import (
    ProtocolError,
    WireLimits,
    encode_event,
    parse_header,
    read_body,
    read_header_line,
)

_LOGGER = logging.getLogger(__name__)

# After an error, how long unread input is drained before the socket closes.
LINGER_SECONDS = 2.0


class ConnectionState(Enum):
    """Where a connection is in its life."""

    IDLE = "idle"
    """No request in progress."""
    SYNTHESIZING = "synthesizing"
    """Audio of a request is being made and sent."""
    STREAMING = "streaming"
    """Between synthesize-start and synthesize-stop: text still arrives."""
    CLOSED = "closed"
    """Done; nothing more is read or sent."""


@dataclass(frozen=True)
class Services:
    """The shared parts every connection uses, passed in explicitly."""

    config: Config
    catalogue: VoiceCatalogue
    scheduler: Scheduler
    info: Event
    """The prebuilt answer to describe."""
    prepare_voice: InitVar[Callable[[VoiceChoice], Awaitable[None]]]
    text_filter: InitVar[Callable[[str], TextFilter] | None]
    encoders: InitVar[Executor]
    requests: RequestFactory = field(init=False)
    """Builds each request's Synthesis; the last three arguments are its parts."""

    def __post_init__(
        self,
        prepare_voice: Callable[[VoiceChoice], Awaitable[None]],
        text_filter: Callable[[str], TextFilter] | None,
        encoders: Executor,
    ) -> None:
        # Built once here so that every connection shares one factory.
        factory = RequestFactory(
            config=self.config,
            catalogue=self.catalogue,
            scheduler=self.scheduler,
            prepare_voice=prepare_voice,
            text_filter=text_filter,
            encoders=encoders,
        )
        object.__setattr__(self, "requests", factory)


class ConnectionHandler:
    """Reads events from one client and answers them."""

    def __init__(
        self,
        services: Services,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        peer: str,
        finish_on_eof: bool = False,
    ) -> None:
        """finish_on_eof: at the end of input, answer what was asked before closing
        (stdio, where input ends by design); on sockets the end means the client left."""
        self._services = services
        self._finish_on_eof = finish_on_eof
        self._config = services.config
        self._reader = reader
        self._writer = writer
        self.peer = peer
        self._limits = WireLimits(
            max_header_bytes=self._config.server.max_header_bytes,
            max_data_bytes=self._config.server.max_data_bytes,
            max_payload_bytes=self._config.server.max_payload_bytes,
        )
        self._write_lock = asyncio.Lock()
        self._stream: Synthesis | None = None
        self._deliveries: set[asyncio.Task[None]] = set()
        self._last_delivery: asyncio.Task[None] | None = None
        self._closed = False
        self._writer_closed = False
        self._accepting = True

    @property
    def state(self) -> ConnectionState:
        if self._closed:
            return ConnectionState.CLOSED
        if self._stream is not None:
            return ConnectionState.STREAMING
        if self._deliveries:
            return ConnectionState.SYNTHESIZING
        return ConnectionState.IDLE

    async def run(self) -> None:
        """Serve the connection until the client leaves or breaks the protocol."""
        try:
            while not self._closed:
                event = await self._read_event()
                if event is None:
                    if self._finish_on_eof and self._deliveries:
                        await asyncio.wait(set(self._deliveries))
                    break
                await self._handle(event)
        except ProtocolError as err:
            _LOGGER.warning("Client %s: %s; closing the connection", self.peer, err)
        except (ConnectionError, asyncio.IncompleteReadError) as err:
            _LOGGER.debug("Client %s went away: %s", self.peer, err)
        finally:
            await self.close()

    async def shutdown(self, grace: float) -> int:
        """Stop taking requests, let those in flight finish within grace, then close.

        Returns the number of requests that had to be cut off.
        """
        self._accepting = False
        if self._stream is not None:
            # A stream whose text never ended cannot finish by itself.
            await self._fail(ShuttingDownError("the server is shutting down"))
            return 1
        cut_off = 0
        if self._deliveries:
            _, pending = await asyncio.wait(set(self._deliveries), timeout=grace)
            if pending:
                cut_off = len(pending)
                await self._fail(ShuttingDownError("the server is shutting down"))
        await self.close()
        return cut_off

    async def close(self) -> None:
        """Cancel this connection's requests and close the socket."""
        if self._closed:
            return
        self._closed = True
        if self._stream is not None:
            self._stream.cancel()
            self._stream = None
        for task in list(self._deliveries):
            task.cancel()
        if self._deliveries:
            await asyncio.wait(set(self._deliveries))
        self._writer.close()
        try:
            await asyncio.wait_for(self._writer.wait_closed(), 1.0)
        except (ConnectionError, asyncio.TimeoutError):
            pass  # the client is gone either way

    # -- reading -----------------------------------------------------------

    async def _read_event(self) -> Event | None:
        idle = self._config.server.idle_timeout
        while True:
            try:
                line = await asyncio.wait_for(read_header_line(self._reader), idle)
                break
            except asyncio.TimeoutError:
                # A client receiving audio sends nothing meanwhile; only an
                # idle connection times out. A cancelled readline keeps what
                # it had read, so a slow header cannot reset the clock for long.
                if self.state is ConnectionState.SYNTHESIZING:
                    continue
                if self.state is ConnectionState.STREAMING:
                    # A stream whose text stopped coming can never end by itself;
                    # it would hold this connection and a request slot forever.
                    await self._fail(SynthesisTimeoutError(
                        f"no text for {idle:.0f} s in an open stream (idle_timeout)"))
                    return None
                _LOGGER.info("Client %s idle for %.0f s (idle_timeout); closing", self.peer, idle)
                return None
        if not line:
            return None
        header = parse_header(line)
        try:
            return await asyncio.wait_for(read_body(self._reader, header, self._limits), idle)
        except asyncio.TimeoutError:
            raise ProtocolError(f"event data did not arrive within {idle:.0f} s") from None

    # -- events ------------------------------------------------------------

    async def _handle(self, event: Event) -> None:
        if self._writer_closed:
            return  # after an error: read and ignore until the socket closes
        if Describe.is_type(event.type):
            await self._send(self._services.info)
        elif Ping.is_type(event.type):
            text = event.data.get("text")
            await self._send(Pong(text=text if isinstance(text, str) else None).event())
        elif SynthesizeStart.is_type(event.type):
            await self._guard(self._start_stream(event))
        elif SynthesizeChunk.is_type(event.type):
            if self._stream is None:
                _LOGGER.debug("Client %s: synthesize-chunk outside a stream ignored", self.peer)
                return
            await self._guard(self._stream_text(event))
        elif SynthesizeStop.is_type(event.type):
            if self._stream is not None:
                await self._guard(self._end_stream())
        elif Synthesize.is_type(event.type):
            if self._stream is not None:
                # Home Assistant repeats the whole text for old servers; the
                # stream already has it.
                return
            await self._guard(self._synthesize(event))
        else:
            _LOGGER.debug("Client %s: event %r ignored", self.peer, event.type)

    async def _guard(self, work: Awaitable[None]) -> None:
        try:
            await work
        except KokoroError as err:
            await self._fail(err)

    async def _synthesize(self, event: Event) -> None:
        synthesis = await self._open(event, streaming=False)
        try:
            synthesis.add_text(parse_text(event.data))
            synthesis.end_text()
        except KokoroError:
            synthesis.close()
            raise
        self._begin_delivery(synthesis)

    async def _start_stream(self, event: Event) -> None:
        if self._stream is not None:
            raise BadRequestError("synthesize-start inside a stream that has not stopped")
        synthesis = await self._open(event, streaming=True)
        self._stream = synthesis
        self._begin_delivery(synthesis)

    async def _stream_text(self, event: Event) -> None:
        assert self._stream is not None
        self._stream.add_text(parse_text(event.data))

    async def _end_stream(self) -> None:
        assert self._stream is not None
        stream, self._stream = self._stream, None
        stream.end_text()

    async def _open(self, event: Event, streaming: bool) -> Synthesis:
        if not self._accepting:
            raise ShuttingDownError("the server is shutting down")
        return await self._services.requests.open(event.data, streaming, self.peer)

    def _begin_delivery(self, synthesis: Synthesis) -> None:
        previous = self._last_delivery
        task = asyncio.create_task(self._deliver(synthesis, previous))
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)
        self._last_delivery = task

    async def _deliver(self, synthesis: Synthesis, previous: asyncio.Task[None] | None) -> None:
        try:
            if previous is not None:
                # Requests on one connection are answered in order.
                await asyncio.wait([previous])
            await synthesis.deliver(self._send)
        except KokoroError as err:
            await self._fail(err)
        except (ConnectionError, asyncio.TimeoutError) as err:
            _LOGGER.info("Client %s left mid-stream (%s); its work is cancelled", self.peer,
                         type(err).__name__)
            self._abort()
        except Exception as err:
            # An encoder or resampler choking on the model's audio (NaN, an
            # empty array): this request fails, and its client is told so
            # instead of waiting for an audio-stop that never comes.
            _LOGGER.exception("Client %s: audio output failed", self.peer)
            await self._fail(SynthesisError(f"audio output failed: {type(err).__name__}"))
        finally:
            synthesis.close()

    # -- writing -----------------------------------------------------------

    async def _send(self, event: Event) -> None:
        if self._closed or self._writer_closed:
            raise ConnectionResetError("connection closed")
        data = encode_event(event)
        async with self._write_lock:
            self._writer.write(data)
            # A client that stops reading must not hold its request forever.
            await asyncio.wait_for(self._writer.drain(), self._config.server.idle_timeout)

    async def _fail(self, err: KokoroError) -> None:
        """Tell the client, then close: clients that ignore error events
        (Home Assistant's built-in TTS reads until audio-stop) stop waiting."""
        log = _LOGGER.info if err.code in ("unknown_voice", "bad_blend", "bad_request") else _LOGGER.warning
        log("Client %s: %s (%s)", self.peer, err.message, err.code)
        if self._closed or self._writer_closed:
            return
        try:
            await self._send(_error_event(err))
        except (ConnectionError, asyncio.TimeoutError):
            pass  # the client is already gone; closing is all that is left
        self._abort()

    def _abort(self) -> None:
        """Stop answering; close once the client has had time to read.

        Closing at once while the client is still sending makes the kernel
        reset the connection, and a reset throws away the error event the
        client has not read yet. So the write side is shut, input is read
        and ignored for a moment, and then the socket closes.
        """
        if self._stream is not None:
            self._stream.cancel()
            self._stream = None
        self._accepting = False
        if self._writer_closed:
            return
        self._writer_closed = True
        try:
            if self._writer.can_write_eof():
                self._writer.write_eof()
        except OSError:
            pass  # already gone: nothing left to linger for
        asyncio.get_running_loop().call_later(LINGER_SECONDS, self._writer.close)


def _error_event(err: KokoroError) -> Event:
    return Event(type="error", data={"text": err.message, "code": err.code})
