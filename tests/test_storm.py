"""Connection storms: many clients start requests and vanish mid-stream.

Afterwards nothing may be left behind: no job in the scheduler, no task, no
file descriptor, and the next request is as quick as before the storm.
"""

from __future__ import annotations

import asyncio
import statistics
from typing import Any

import pytest

from tests.fakes import FakeSynth, RawConnection, event_bytes, open_fds, settle
from tests.wyoming_client import RunningServer, synthesize

CLIENTS = 100
ROUNDS = 3
TEXT = " ".join(f"Frase número {i} de la tormenta." for i in range(12))

pytestmark = pytest.mark.slow


async def _first_audio_time(server: RunningServer, samples: int = 5) -> float:
    """Median time to first audio of a short request, in seconds."""
    times = []
    for _ in range(samples):
        result = await synthesize(server, "Hola a todos. Qué tal.", "ef_dora")
        assert result.error is None and result.types[-1] == "audio-stop"
        times.append(result.ttfa)
    return statistics.median(times)


async def _vanishing_client(server: RunningServer, index: int) -> str:
    """Start a request and leave in one of several rude ways; returns what it did."""
    conn = await RawConnection.open(server)
    kind = index % 5
    kokoro: dict[str, Any] = {}
    if index % 3 == 1:
        kokoro = {"format": ("mp3", "opus", "flac", "aac", "wav")[index % 5]}
    try:
        if kind in (0, 1, 2):
            await conn.send(event_bytes("synthesize", {
                "text": TEXT, "voice": {"name": "ef_dora"}, **({"kokoro": kokoro} if kokoro else {})}))
        else:
            await conn.send(
                event_bytes("synthesize-start", {"voice": {"name": "ef_dora"},
                                                 **({"kokoro": kokoro} if kokoro else {})})
                + event_bytes("synthesize-chunk", {"text": TEXT[: len(TEXT) // 2]}))
        if kind == 0:
            return "dropped before any answer"
        # Wait for audio to flow, then vanish mid-stream.
        for _ in range(3):
            event = await conn.read_event(30)
            if event is None:
                return "closed by server"
            if event.type == "error":
                return f"error {event.data.get('code')}"
        return "dropped mid-stream"
    finally:
        if index % 2:
            # A reset instead of an orderly close: the server sees ECONNRESET.
            conn.writer.transport.abort()
        else:
            await conn.close()


async def test_storms_of_vanishing_clients_leave_nothing_behind(start_server):
    # Limits above the storm's size: every client really starts a request.
    server = await start_server(synthesize=FakeSynth(delay=0.003),
                                server={"max_connections": 2 * CLIENTS},
                                synthesis={"max_requests": 2 * CLIENTS})
    running = server.app.running
    scheduler = running.scheduler

    # Warm every lazily created part (encoders, thread pools) before the baseline.
    for fmt in ("pcm", "mp3", "opus", "flac", "aac", "wav"):
        result = await synthesize(server, "Hola.", "ef_dora", format=fmt)
        assert result.error is None
    baseline_ttfa = await _first_audio_time(server)
    await asyncio.sleep(0.2)
    baseline_tasks = len(asyncio.all_tasks())
    baseline_fds = open_fds()

    outcomes: dict[str, int] = {}
    for _ in range(ROUNDS):
        results = await asyncio.gather(
            *(_vanishing_client(server, i) for i in range(CLIENTS)), return_exceptions=True)
        for result in results:
            key = result if isinstance(result, str) else f"client raised {type(result).__name__}"
            outcomes[key] = outcomes.get(key, 0) + 1
    assert not [k for k in outcomes if k.startswith("client raised")], outcomes
    # Every client got as far as it meant to: nobody was refused or failed.
    assert set(outcomes) == {"dropped before any answer", "dropped mid-stream"}, outcomes
    assert outcomes["dropped mid-stream"] == ROUNDS * CLIENTS * 4 // 5, outcomes

    assert await settle(lambda: scheduler.active_jobs == 0 and scheduler.queued_sentences == 0,
                        15), (scheduler.active_jobs, scheduler.queued_sentences)
    assert await settle(lambda: running.server.connections == 0, 10), running.server.connections
    assert await settle(lambda: len(asyncio.all_tasks()) <= baseline_tasks, 10), (
        f"{len(asyncio.all_tasks()) - baseline_tasks} tasks leaked: "
        f"{[t.get_coro() for t in asyncio.all_tasks()]}")
    assert await settle(lambda: open_fds() <= baseline_fds, 10), (
        f"{open_fds() - baseline_fds} file descriptors leaked")

    after_ttfa = await _first_audio_time(server)
    assert after_ttfa <= 2 * baseline_ttfa + 0.05, (baseline_ttfa, after_ttfa)
    # The last request left nothing behind either.
    assert await settle(lambda: scheduler.active_jobs == 0, 5)
