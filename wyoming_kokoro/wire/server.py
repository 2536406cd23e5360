"""Listening: TCP, Unix socket or stdio; connection limits; graceful shutdown."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from wyoming_kokoro.config import ServerSettings
from wyoming_kokoro.wire.connection import ConnectionHandler

_LOGGER = logging.getLogger(__name__)

HandlerFactory = Callable[..., ConnectionHandler]
"""(reader, writer, peer, finish_on_eof=False) -> ConnectionHandler"""


@dataclass(frozen=True)
class ShutdownReport:
    """What a graceful shutdown had to do."""

    connections: int
    """Connections open when the shutdown began."""
    cut_off: int
    """Requests that did not finish within the grace period."""


class Server:
    """Accepts clients and gives each its own ConnectionHandler."""

    def __init__(self, settings: ServerSettings, make_handler: HandlerFactory) -> None:
        self._settings = settings
        self._make_handler = make_handler
        self._networks = [ipaddress.ip_network(n) for n in settings.allowed_networks]
        self._handlers: set[ConnectionHandler] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.AbstractServer | None = None
        self._stdio_task: asyncio.Task[None] | None = None
        self.host: str | None = None
        self.port: int | None = None
        self.uri = settings.uri

    @property
    def connections(self) -> int:
        return len(self._handlers)

    @property
    def is_tcp(self) -> bool:
        return self.uri.startswith("tcp://")

    async def start(self) -> str:
        """Start listening; returns the uri with the real port."""
        parsed = urlparse(self._settings.uri)
        # The reader's limit bounds a header line, the only unbounded read.
        limit = self._settings.max_header_bytes + 1
        if parsed.scheme == "tcp":
            self._server = await asyncio.start_server(
                self._accept, parsed.hostname, parsed.port, limit=limit, reuse_address=True
            )
            sockname = self._server.sockets[0].getsockname()
            self.host, self.port = parsed.hostname, int(sockname[1])
            self.uri = f"tcp://{self.host}:{self.port}"
        elif parsed.scheme == "unix":
            path = Path(self._settings.uri[len("unix://"):])
            if path.is_socket():
                path.unlink()
            self._server = await asyncio.start_unix_server(self._accept, str(path), limit=limit)
        else:
            self._stdio_task = asyncio.create_task(self._serve_stdio(limit))
        return self.uri

    async def wait_closed(self) -> None:
        """For stdio://, returns when stdin ends; otherwise never."""
        if self._stdio_task is not None:
            await self._stdio_task
        else:
            await asyncio.Event().wait()

    async def stop(self, grace: float) -> ShutdownReport:
        """Stop accepting, give requests in flight `grace` seconds, close everything."""
        if self._server is not None:
            self._server.close()
        handlers = list(self._handlers)
        results = await asyncio.gather(*(h.shutdown(grace) for h in handlers))
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=grace + 3)
        # Whoever is still connected (a client that never closes) is closed now,
        # or waiting for the listener to close would wait for them.
        for handler in list(self._handlers):
            await handler.close()
        if self._server is not None:
            await self._server.wait_closed()
        if self.uri.startswith("unix://"):
            Path(self.uri[len("unix://"):]).unlink(missing_ok=True)
        return ShutdownReport(connections=len(handlers), cut_off=sum(results))

    def _allowed(self, peer: object) -> bool:
        if not self._networks or not isinstance(peer, tuple):
            return True
        try:
            address = ipaddress.ip_address(peer[0])
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return any(address in network for network in self._networks)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peername = writer.get_extra_info("peername")
        peer = f"{peername[0]}:{peername[1]}" if isinstance(peername, tuple) else "unix"
        if not self._allowed(peername):
            _LOGGER.warning("Connection from %s refused: not in allowed_networks", peer)
            writer.close()
            return
        if len(self._handlers) >= self._settings.max_connections:
            _LOGGER.warning("Connection from %s refused: %s connections open (max_connections)",
                            peer, len(self._handlers))
            writer.close()
            return
        handler = self._make_handler(reader, writer, peer)
        self._handlers.add(handler)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        _LOGGER.debug("Client %s connected (%s open)", peer, len(self._handlers))
        try:
            await handler.run()
        finally:
            self._handlers.discard(handler)
            if task is not None:
                self._tasks.discard(task)
            _LOGGER.debug("Client %s disconnected", peer)

    async def _serve_stdio(self, limit: int) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=limit)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        transport, protocol = await loop.connect_write_pipe(
            asyncio.streams.FlowControlMixin, os.fdopen(sys.stdout.fileno(), "wb", 0)
        )
        writer = asyncio.StreamWriter(transport, protocol, reader, loop)
        handler = self._make_handler(reader, writer, "stdio", finish_on_eof=True)
        self._handlers.add(handler)
        try:
            await handler.run()
        finally:
            self._handlers.discard(handler)
