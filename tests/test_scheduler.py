"""The single worker: fairness, responsiveness, cancellation and bounds.

These tests are about timing, so they use a fake synthesiser with a known
cost per sentence; the real model's path is covered in test_protocol.py.
"""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
from wyoming.event import Event

from tests.wyoming_client import (
    AudioResult,
    describe,
    read_until,
    stream,
    synthesize,
    synthesize_event,
)

SENTENCE_SECONDS = 0.3


class SlowFake:
    """Sleeps SENTENCE_SECONDS per sentence in the model thread and records the order."""

    def __init__(self, seconds: float = SENTENCE_SECONDS) -> None:
        self.seconds = seconds
        self.calls: list[str] = []
        self.threads: set[str] = set()
        self.running = 0
        self.max_running = 0
        self._lock = threading.Lock()

    def __call__(self, text, voice, speed):
        with self._lock:
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        self.threads.add(threading.current_thread().name)
        self.calls.append(text)
        time.sleep(self.seconds)
        with self._lock:
            self.running -= 1
        return [np.zeros(2400, dtype=np.float32)]


async def wait_until_idle(scheduler) -> None:
    """Give cancellations a moment to reach the scheduler."""
    for _ in range(50):
        if scheduler.active_jobs == 0:
            return
        await asyncio.sleep(0.05)


def long_text(n: int, tag: str = "Long") -> str:
    return " ".join(f"{tag} sentence number {i}." for i in range(n))


async def test_describe_is_answered_at_once_while_the_model_is_busy(start_server):
    fake = SlowFake()
    server = await start_server(synthesize=fake)
    busy = [asyncio.create_task(synthesize(server, long_text(10))) for _ in range(3)]
    await asyncio.sleep(0.5)
    latencies = []
    for _ in range(20):
        info, latency = await describe(server)
        assert info.type == "info"
        latencies.append(latency)
        await asyncio.sleep(0.02)
    assert fake.running == 1  # the model really was busy meanwhile
    assert max(latencies) < 0.25, latencies
    for task in busy:
        task.cancel()
    await asyncio.gather(*busy, return_exceptions=True)


async def test_one_model_thread_never_two_at_once(start_server):
    fake = SlowFake(0.05)
    server = await start_server(synthesize=fake)
    results = await asyncio.gather(*(synthesize(server, long_text(3, f"C{i}")) for i in range(6)))
    assert all(r.error is None for r in results)
    assert fake.max_running == 1
    assert len(fake.threads) == 1
    assert len(fake.calls) == 18


async def test_short_request_overtakes_a_long_one(start_server):
    fake = SlowFake()
    server = await start_server(synthesize=fake)
    long_task = asyncio.create_task(synthesize(server, long_text(30)))
    await asyncio.sleep(SENTENCE_SECONDS * 2.5)
    short = await synthesize(server, "Turning on the lights.")
    # At most the sentence running now, then ours.
    assert short.ttfa < SENTENCE_SECONDS * 2 + 0.3, short.ttfa
    assert fake.calls.index("Turning on the lights.") <= 5
    assert not long_task.done()
    long_task.cancel()
    await asyncio.gather(long_task, return_exceptions=True)


async def test_round_robin_between_two_long_requests(start_server):
    fake = SlowFake(0.05)
    server = await start_server(synthesize=fake)
    await asyncio.gather(synthesize(server, long_text(5, "A")), synthesize(server, long_text(5, "B")))
    tags = [call[0] for call in fake.calls]
    # After the first, the two requests take turns.
    assert tags[1:9] in (list("BABABABA"), list("ABABABAB")), tags


async def test_disconnect_cancels_queued_work(start_server):
    fake = SlowFake()
    server = await start_server(synthesize=fake)
    async with server.client() as client:
        await client.write_event(synthesize_event(long_text(40)))
        first = await asyncio.wait_for(client.read_event(), 10)
        assert first.type == "audio-start"
    scheduler = server.app.running.scheduler
    await wait_until_idle(scheduler)
    assert scheduler.active_jobs == 0
    assert scheduler.queued_sentences == 0
    # The next client waits for at most the abandoned sentence that was running.
    nxt = await synthesize(server, "Next one.")
    assert nxt.ttfa < SENTENCE_SECONDS * 2 + 0.3
    assert len(fake.calls) < 8


async def test_streaming_disconnect_cancels_work(start_server):
    fake = SlowFake(0.1)
    server = await start_server(synthesize=fake)
    async with server.client() as client:
        await client.write_event(Event(type="synthesize-start"))
        await client.write_event(Event(type="synthesize-chunk", data={"text": long_text(20)}))
        await asyncio.wait_for(client.read_event(), 10)
    scheduler = server.app.running.scheduler
    await wait_until_idle(scheduler)
    assert scheduler.active_jobs == 0
    assert scheduler.queued_sentences == 0


async def test_full_queue_answers_busy_at_once(start_server):
    fake = SlowFake()
    server = await start_server(synthesize=fake, synthesis={"max_requests": 2})
    running = [asyncio.create_task(synthesize(server, long_text(20))) for _ in range(2)]
    await asyncio.sleep(0.3)
    started = time.perf_counter()
    rejected = await synthesize(server, "One more.")
    assert rejected.types == ["error"]
    assert rejected.error.data["code"] == "busy"
    assert time.perf_counter() - started < 0.5
    for task in running:
        task.cancel()
    await asyncio.gather(*running, return_exceptions=True)
    await wait_until_idle(server.app.running.scheduler)
    accepted = await synthesize(server, "Now it fits.")
    assert accepted.error is None


async def test_too_many_queued_sentences_is_busy(start_server):
    server = await start_server(synthesize=SlowFake(0.01),
                                synthesis={"max_queued_sentences": 5})
    result = await synthesize(server, long_text(12))
    assert result.error.data["code"] == "busy"
    ok = await synthesize(server, long_text(3))
    assert ok.error is None


class TaggingFake(SlowFake):
    """Audio whose every sample names the request its sentence came from."""

    LEVELS = {"First": 1000, "Second": 2000}

    def __call__(self, text, voice, speed):
        super().__call__(text, voice, speed)
        level = self.LEVELS[text.split()[0]]
        return [np.full(2400, level / 32767, dtype=np.float32)]


async def test_requests_on_one_connection_are_answered_in_order(start_server):
    # The first request is longer, so round-robin finishes the second one's
    # audio first: only the handler's ordering keeps the answers apart.
    server = await start_server(synthesize=TaggingFake(0.05))
    async with server.client() as client:
        await client.write_event(synthesize_event(
            "First request. First again. First once more. First at last."))
        await client.write_event(synthesize_event("Second request."))
        first = await read_until(client, AudioResult(), "audio-stop")
        second = await read_until(client, AudioResult(), "audio-stop")
    assert first.types[0] == "audio-start" and second.types[0] == "audio-start"
    assert first.types[-1] == "audio-stop" and second.types[-1] == "audio-stop"
    first_samples = np.frombuffer(first.audio, dtype="<i2")
    second_samples = np.frombuffer(second.audio, dtype="<i2")
    assert set(first_samples.tolist()) == {1000} and len(first_samples) == 4 * 2400
    assert set(second_samples.tolist()) == {2000} and len(second_samples) == 2400


async def test_streaming_sentences_are_queued_as_they_complete(start_server):
    fake = SlowFake(0.01)
    server = await start_server(synthesize=fake)
    result = await stream(server, ["One. Tw", "o. Three"], delay=0.2)
    # The normaliser ends the last, unpunctuated line with a full stop.
    assert fake.calls == ["One.", "Two.", "Three."]
    assert result.types[-1] == "synthesize-stopped"
