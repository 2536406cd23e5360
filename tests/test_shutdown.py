"""SIGTERM with streams in flight, against a real server process on the tiny model."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.fakes import RawConnection, event_bytes

ROOT = Path(__file__).resolve().parent.parent
GRACE = 2.0
# Importing torch and loading the model takes a while on a busy machine.
STARTUP_TIMEOUT = 120.0

pytestmark = pytest.mark.slow


@dataclass
class ServerProcess:
    """A `python -m wyoming_kokoro` child and the lines of its log so far."""

    process: asyncio.subprocess.Process
    lines: list[str] = field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 0
    _reader: asyncio.Task[None] | None = None

    async def _read_log(self) -> None:
        assert self.process.stderr is not None
        while True:
            raw = await self.process.stderr.readline()
            if not raw:
                return
            self.lines.append(raw.decode("utf-8", "replace").rstrip())

    async def wait_for_line(self, pattern: str, timeout: float) -> re.Match[str]:
        """The first log line matching pattern; fails with the whole log if none comes."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines:
                match = regex.search(line)
                if match:
                    return match
            if self.process.returncode is not None and self._reader and self._reader.done():
                break
            await asyncio.sleep(0.05)
        log = "\n".join(self.lines)
        raise AssertionError(f"no log line matching {pattern!r}; log:\n{log}")


async def spawn(model_dir: Path, *flags: str, env: dict[str, str] | None = None) -> ServerProcess:
    """Start the server on the tiny model and a free port; does not wait for it."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wyoming_kokoro",
        "--uri", "tcp://127.0.0.1:0", "--model-dir", str(model_dir), "--voice", "ef_dora",
        "--english-g2p", "espeak", "--language", "e", "--shutdown-grace", str(GRACE), *flags,
        cwd=ROOT, env=dict(os.environ, HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1", **(env or {})),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )
    server = ServerProcess(process)
    server._reader = asyncio.create_task(server._read_log())
    return server


async def start_process(model_dir: Path) -> ServerProcess:
    server = await spawn(model_dir, "--no-zeroconf", "--no-warmup")
    match = await server.wait_for_line(r"Ready on tcp://127\.0\.0\.1:(\d+)", STARTUP_TIMEOUT)
    server.port = int(match.group(1))
    return server


async def stop_process(server: ServerProcess) -> None:
    """Cleanup for a failed test: the child never outlives it."""
    if server.process.returncode is None:
        server.process.kill()
        await server.process.wait()
    if server._reader is not None:
        await asyncio.wait([server._reader], timeout=5)


async def test_sigterm_lets_streams_end_then_exits_cleanly(model_dir):
    server = await start_process(model_dir)
    endpoint = server
    try:
        # A: a stream whose text never ends; it cannot finish by itself.
        open_stream = await RawConnection.open(endpoint)
        await open_stream.send(
            event_bytes("synthesize-start", {"voice": {"name": "ef_dora"}})
            + event_bytes("synthesize-chunk", {"text": "Hola a todos. Esto es una prueba. "}))
        first = await open_stream.read_event(60)
        assert first is not None and first.type == "audio-start"

        # B: a long request that needs far more than the grace period.
        long_request = await RawConnection.open(endpoint)
        long_text = " ".join(f"Esta es la frase número {i} de un texto largo." for i in range(60))
        await long_request.send(event_bytes("synthesize", {"text": long_text}))
        first = await long_request.read_event(60)
        assert first is not None and first.type == "audio-start"

        # C: a short request that can finish within the grace period.
        short_request = await RawConnection.open(endpoint)
        await short_request.send(event_bytes("synthesize", {"text": "Uno. Dos. Adiós."}))
        first = await short_request.read_event(60)
        assert first is not None and first.type == "audio-start"

        signalled = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        await server.wait_for_line(r"Shutting down", 10)

        # The listening socket is closed: a new client is refused (or dropped unanswered).
        try:
            late = await asyncio.wait_for(RawConnection.open(endpoint), 5)
        except (ConnectionRefusedError, OSError):
            late = None
        if late is not None:
            await late.send(event_bytes("describe"))
            assert await late.events_until_closed(GRACE + 5) == []
            await late.close()

        async def ending(conn: RawConnection) -> tuple[list[str], dict, float]:
            events = await conn.events_until_closed(GRACE + 10)
            errors = [e.data for e in events if e.type == "error"]
            return [e.type for e in events], errors[0] if errors else {}, time.monotonic() - signalled

        (a_types, a_error, a_at), (b_types, b_error, b_at), (c_types, c_error, c_at) = (
            await asyncio.gather(ending(open_stream), ending(long_request), ending(short_request)))

        # A is cut off at once, B when the grace period ends.
        assert a_error.get("code") == "shutting_down", a_types
        assert a_at < GRACE + 1.5, a_at
        assert b_error.get("code") == "shutting_down", b_types
        assert "audio-stop" not in b_types
        assert b_at < GRACE + 3, b_at
        # C either finished or was told why not; never left without an ending.
        assert c_types and (c_types[-1] == "audio-stop" or c_error.get("code") == "shutting_down"), c_types

        returncode = await asyncio.wait_for(server.process.wait(), GRACE + 10)
        exited_after = time.monotonic() - signalled
        assert returncode == 0, "\n".join(server.lines)
        assert exited_after < GRACE + 10
        await asyncio.wait([server._reader], timeout=5)
        log = "\n".join(server.lines)
        stopped = re.search(r"Stopped: (\d+) connections closed, (\d+) requests cut off", log)
        assert stopped, log
        assert int(stopped.group(1)) >= 2
        assert int(stopped.group(2)) >= 2, log
        assert "Traceback" not in log, log
        for conn in (open_stream, long_request, short_request):
            await conn.close()
    finally:
        await stop_process(server)
