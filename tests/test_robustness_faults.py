"""Bad requests and failing models: one request fails cleanly, everyone else is served.

A bad field gets an error event whose text names the field, and then the
server closes the connection (clients that ignore error events must stop
waiting). A model failure fails only the request it hit.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from wyoming.event import Event

from tests.fakes import (
    FakeSynth,
    RawConnection,
    assert_still_serving,
    event_bytes,
    fast_synth,
    header,
    send_and_collect,
    settle,
    tone,
    within,
)
from tests.wyoming_client import RunningServer, stream, synthesize
from wyoming_kokoro.model.voices import VoiceChoice

KNOWN_CODES = {"unknown_voice", "bad_blend", "bad_request", "text_too_long", "busy",
               "timeout", "synthesis_failed", "shutting_down"}


def _assert_error_then_closed(events: list[Event], code: str, *named: str) -> None:
    """Exactly one event, an error with this code whose text names the field."""
    assert [e.type for e in events] == ["error"], [e.type for e in events]
    error = events[0]
    assert error.data["code"] == code, error.data
    assert isinstance(error.data["text"], str) and error.data["text"]
    for fragment in named:
        assert fragment in error.data["text"], error.data["text"]


def _assert_clean_cycle(events: list[Event]) -> None:
    """audio-start, audio-chunk..., audio-stop, nothing else."""
    types = [e.type for e in events]
    assert types[0] == "audio-start" and types[-1] == "audio-stop", types
    assert set(types[1:-1]) <= {"audio-chunk"}, types


# -- fields of the wrong type ----------------------------------------------

BAD_FIELDS: dict[str, tuple[dict[str, Any], str]] = {
    "text-number": ({"text": 42}, "text"),
    "text-list": ({"text": ["Hola."]}, "text"),
    "text-object": ({"text": {"es": "Hola."}}, "text"),
    "voice-list": ({"text": "Hola.", "voice": ["ef_dora"]}, "voice"),
    "voice-string": ({"text": "Hola.", "voice": "ef_dora"}, "voice"),
    "voice-name-number": ({"text": "Hola.", "voice": {"name": 7}}, "voice.name"),
    "voice-name-list": ({"text": "Hola.", "voice": {"name": ["ef_dora"]}}, "voice.name"),
    "voice-language-number": ({"text": "Hola.", "voice": {"language": 3}}, "voice.language"),
    "kokoro-string": ({"text": "Hola.", "kokoro": "mp3"}, "kokoro"),
    "kokoro-list": ({"text": "Hola.", "kokoro": ["mp3"]}, "kokoro"),
    "rate-string": ({"text": "Hola.", "kokoro": {"rate": "16000"}}, "kokoro.rate"),
    "rate-float": ({"text": "Hola.", "kokoro": {"rate": 16000.5}}, "kokoro.rate"),
    "rate-bool": ({"text": "Hola.", "kokoro": {"rate": True}}, "kokoro.rate"),
    "rate-too-low": ({"text": "Hola.", "kokoro": {"rate": 100}}, "kokoro.rate"),
    "rate-huge": ({"text": "Hola.", "kokoro": {"rate": 10**30}}, "kokoro.rate"),
    "rate-not-for-opus": ({"text": "Hola.", "kokoro": {"format": "opus", "rate": 44100}},
                          "kokoro.rate"),
    "speed-too-fast": ({"text": "Hola.", "kokoro": {"speed": 5.0}}, "kokoro.speed"),
    "speed-zero": ({"text": "Hola.", "kokoro": {"speed": 0}}, "kokoro.speed"),
    "speed-negative": ({"text": "Hola.", "kokoro": {"speed": -1}}, "kokoro.speed"),
    "speed-nan": ({"text": "Hola.", "kokoro": {"speed": float("nan")}}, "kokoro.speed"),
    "speed-infinity": ({"text": "Hola.", "kokoro": {"speed": float("inf")}}, "kokoro.speed"),
    "speed-string": ({"text": "Hola.", "kokoro": {"speed": "fast"}}, "kokoro.speed"),
    "speed-bool": ({"text": "Hola.", "kokoro": {"speed": True}}, "kokoro.speed"),
    "format-unknown": ({"text": "Hola.", "kokoro": {"format": "ogg-vorbis"}}, "kokoro.format"),
    "format-number": ({"text": "Hola.", "kokoro": {"format": 3}}, "kokoro.format"),
    "format-path": ({"text": "Hola.", "kokoro": {"format": "../mp3"}}, "kokoro.format"),
}


@pytest.mark.parametrize("data,field", BAD_FIELDS.values(), ids=BAD_FIELDS.keys())
async def test_bad_field_gets_an_error_naming_it_then_close(start_server, data, field):
    synth = fast_synth()
    server = await start_server(synthesize=synth)
    # json.dumps writes NaN and Infinity as the bare tokens a sloppy client sends.
    events = await send_and_collect(server, event_bytes("synthesize", data), timeout=10)
    _assert_error_then_closed(events, "bad_request", field)
    assert synth.calls == []
    assert server.app.running.scheduler.active_jobs == 0
    await assert_still_serving(server)


@pytest.mark.parametrize("name", ["speed-nan", "voice-name-number", "format-unknown"])
async def test_bad_field_in_synthesize_start_gets_the_same_error(start_server, name):
    data, field = BAD_FIELDS[name]
    data = {k: v for k, v in data.items() if k != "text"}
    server = await start_server(synthesize=fast_synth())
    events = await send_and_collect(
        server, event_bytes("synthesize-start", data)
        + event_bytes("synthesize-chunk", {"text": "Hola."}) + event_bytes("synthesize-stop"),
        timeout=10)
    _assert_error_then_closed(events, "bad_request", field)
    await assert_still_serving(server)


async def test_bad_text_inside_a_stream_fails_the_stream(start_server):
    server = await start_server(synthesize=fast_synth())
    conn = await RawConnection.open(server)
    await conn.send(event_bytes("synthesize-start", {"voice": {"name": "ef_dora"}})
                    + event_bytes("synthesize-chunk", {"text": ["not", "text"]}))
    events = await conn.events_until_closed(10)
    await conn.close()
    errors = [e for e in events if e.type == "error"]
    assert len(errors) == 1 and errors[0].data["code"] == "bad_request"
    assert "text" in errors[0].data["text"]
    assert events[-1].type == "error"
    assert await settle(lambda: server.app.running.scheduler.active_jobs == 0, 5)
    await assert_still_serving(server)


async def test_second_synthesize_start_inside_a_stream_is_refused(start_server):
    server = await start_server(synthesize=fast_synth())
    events = await send_and_collect(
        server, event_bytes("synthesize-start") + event_bytes("synthesize-start"), timeout=10)
    errors = [e for e in events if e.type == "error"]
    assert len(errors) == 1 and errors[0].data["code"] == "bad_request"
    await assert_still_serving(server)


# -- odd text --------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t \n", None],
                         ids=["empty", "spaces", "blank-lines", "null"])
async def test_empty_text_gets_an_empty_cycle(start_server, text):
    synth = fast_synth()
    server = await start_server(synthesize=synth)
    conn = await RawConnection.open(server)
    await conn.send(event_bytes("synthesize", {"text": text, "voice": {"name": "ef_dora"}}))
    events = await conn.read_until("audio-stop", timeout=10)
    await conn.close()
    assert [e.type for e in events] == ["audio-start", "audio-stop"]
    assert synth.calls == []
    await assert_still_serving(server)


async def test_nul_and_control_bytes_never_reach_the_model(start_server):
    synth = fast_synth()
    server = await start_server(synthesize=synth)
    result = await synthesize(server, "Hola\x00 mundo.\x01\x1b[31m Adiós\x7f.", "ef_dora")
    _assert_clean_cycle(result.events)
    assert synth.calls, "nothing was synthesised"
    for call in synth.calls:
        assert not any(ord(ch) < 32 and ch not in "\n\t" for ch in call), repr(call)
    await assert_still_serving(server)


# Real tiny model: no G2P for Arabic or Hebrew, emoji have no phonemes.
# Whatever the server does must be a clean result within a bounded time.
ODD_TEXTS = {
    "emoji-only": "😀🎉👍🏽",
    "arabic": "مرحبا بالعالم. كيف حالك؟",
    "hebrew": "שלום עולם. מה שלומך?",
    "nul-bytes": "Hola\x00\x00 mundo\x00.",
    "mixed-scripts": "Hola 世界 мир 😀 עולם.",
    "combining-marks": "e\u0301\u0301\u0301\u0301 a\u0300" * 5,
    "lone-punctuation": "?!.,;:…—",
}


@pytest.mark.parametrize("text", ODD_TEXTS.values(), ids=ODD_TEXTS.keys())
async def test_odd_text_on_the_real_model_gives_a_clean_result(start_server, text):
    server = await start_server()
    result = await within(synthesize(server, text, "ef_dora"), 60, "audio-stop or error")
    if result.error is not None:
        # A clean failure: the error is the last thing, after at most some audio.
        assert result.types[-1] == "error", result.types
        assert result.error.data["code"] in KNOWN_CODES
    else:
        _assert_clean_cycle(result.events)
    await assert_still_serving(server)


async def test_odd_text_in_a_stream_on_the_real_model(start_server):
    server = await start_server()
    result = await within(
        stream(server, ["مرحبا ", "😀 بالعالم. ", "שלום\x00 עולם."], "ef_dora", compat=False),
        60, "audio-stop or error")
    types = result.types
    if result.error is not None:
        assert types[-1] == "error", types
        assert result.error.data["code"] in KNOWN_CODES
    else:
        assert types[0] == "audio-start" and types[-2:] == ["audio-stop", "synthesize-stopped"]
    await assert_still_serving(server)


async def test_one_megabyte_text_is_read_then_rejected_as_too_long(start_server):
    synth = fast_synth()
    server = await start_server(synthesize=synth)
    text = "Hola mundo. " * (1024 * 1024 // 12)
    assert len(text.encode()) > 1_000_000
    events = await send_and_collect(server, event_bytes("synthesize", {"text": text}), timeout=30)
    _assert_error_then_closed(events, "text_too_long", "max_text_length")
    assert synth.calls == []
    assert server.app.running.scheduler.queued_sentences == 0
    await assert_still_serving(server)


async def test_max_text_length_is_configurable(start_server):
    server = await start_server(synthesize=fast_synth(), synthesis={"max_text_length": 100})
    fits = await synthesize(server, "a" * 99 + ".", "ef_dora")
    _assert_clean_cycle(fits.events)
    too_long = await synthesize(server, "a" * 100 + ".", "ef_dora")
    assert too_long.types == ["error"]
    assert too_long.error.data["code"] == "text_too_long"
    await assert_still_serving(server)


# -- model faults ----------------------------------------------------------


async def test_model_failure_fails_only_that_request(start_server, caplog):
    caplog.set_level(logging.INFO)
    synth = FakeSynth(fail_marker="BOOM", delay=0.05)
    server = await start_server(synthesize=synth)
    bad_text = "Uno dos. Tres cuatro. BOOM cinco. Seis siete."
    good_text = " ".join(f"Frase {i} de la otra persona." for i in range(8))
    bad, good = await asyncio.gather(
        synthesize(server, bad_text, "ef_dora"), synthesize(server, good_text, "ef_dora"))

    assert bad.error is not None
    assert bad.error.data["code"] == "synthesis_failed"
    assert bad.types[-1] == "error"
    assert "audio-stop" not in bad.types
    # Sentences after the failing one are dropped, not synthesised.
    assert not any("Seis" in call for call in synth.calls)

    assert good.error is None
    _assert_clean_cycle(good.events)
    assert sum(1 for call in synth.calls if "otra persona" in call) == 8

    # The worker keeps serving.
    after = await synthesize(server, "Todo bien.", "ef_dora")
    _assert_clean_cycle(after.events)
    stats = server.app.running.scheduler.stats
    assert stats.by_error.get("synthesis_failed") == 1
    await assert_still_serving(server)


async def test_model_failure_in_a_stream_ends_it_with_an_error(start_server):
    server = await start_server(synthesize=FakeSynth(fail_marker="BOOM"))
    result = await stream(server, ["Hola. ", "BOOM. ", "Adiós."], "ef_dora", compat=False)
    assert result.error is not None and result.error.data["code"] == "synthesis_failed"
    assert "synthesize-stopped" not in result.types
    assert await settle(lambda: server.app.running.scheduler.active_jobs == 0, 5)
    again = await stream(server, ["Hola. ", "Adiós."], "ef_dora", compat=False)
    assert again.error is None
    assert again.types[-2:] == ["audio-stop", "synthesize-stopped"]
    await assert_still_serving(server)


async def test_sentence_timeout_fails_the_request_and_the_next_is_served(start_server):
    synth = FakeSynth(slow_marker="SLOW", slow_seconds=0.9)
    server = await start_server(synthesize=synth, synthesis={"sentence_timeout": 0.5})
    started = time.monotonic()
    slow = await synthesize(server, "SLOW sentence.", "ef_dora")
    waited = time.monotonic() - started
    assert slow.types == ["error"]
    assert slow.error.data["code"] == "timeout"
    assert "sentence_timeout" in slow.error.data["text"] or "0.5" in slow.error.data["text"]
    # Failed at the timeout, not when the slow sentence finally ended.
    assert 0.4 <= waited < 0.85, waited

    # The model thread cannot be interrupted; once it is free, the worker serves again.
    assert await settle(lambda: synth.finished >= 1, 5)
    after = await synthesize(server, "Hola.", "ef_dora")
    assert after.error is None, after.error.data if after.error else None
    _assert_clean_cycle(after.events)
    assert server.app.running.scheduler.stats.timeouts == 1
    await assert_still_serving(server)


async def test_sentence_that_timed_out_before_it_started_is_never_run(start_server):
    """A request that timed out while the model thread was stuck must not run later.

    Otherwise every request that timed out behind a stuck sentence still takes
    its turn on the model once the thread is free, and new requests time out
    behind that backlog in turn.
    """
    synth = FakeSynth(slow_marker="SLOW", slow_seconds=1.5)
    server = await start_server(synthesize=synth, synthesis={"sentence_timeout": 0.5})

    async def behind_the_stuck_one() -> object:
        await asyncio.sleep(0.1)
        return await synthesize(server, "Detrás del atasco.", "ef_dora")

    slow, waiting = await asyncio.gather(
        synthesize(server, "SLOW.", "ef_dora"), behind_the_stuck_one())
    assert slow.error is not None and slow.error.data["code"] == "timeout"
    # Stuck thread: the waiting request is told so within its own timeout.
    assert waiting.error is not None and waiting.error.data["code"] == "timeout"

    assert await settle(lambda: synth.finished >= 1, 5)
    await asyncio.sleep(0.3)
    assert not any("atasco" in call for call in synth.calls), synth.calls
    after = await synthesize(server, "Hola.", "ef_dora")
    assert after.error is None, after.error.data if after.error else None
    _assert_clean_cycle(after.events)
    await assert_still_serving(server)


async def test_request_behind_a_hung_model_gets_a_timeout_not_a_hang(start_server):
    """The model thread is stuck far past the timeout: later requests must still get answers."""
    synth = FakeSynth(slow_marker="SLOW", slow_seconds=6.0)
    server = await start_server(synthesize=synth, synthesis={"sentence_timeout": 0.5})
    slow = await synthesize(server, "SLOW.", "ef_dora")
    assert slow.error is not None and slow.error.data["code"] == "timeout"
    # The stuck sentence holds the thread for 5.5 s more; a request waiting
    # for it must be told within about one more sentence_timeout.
    started = time.monotonic()
    waiting = await within(synthesize(server, "Hola.", "ef_dora"), 3, "audio-stop or error")
    assert time.monotonic() - started < 3
    assert waiting.error is not None and waiting.error.data["code"] == "timeout", waiting.types
    assert not any("Hola" in call for call in synth.calls), synth.calls
    await assert_still_serving(server)


def _returning(audio: list[np.ndarray]) -> Callable[[str, VoiceChoice, float], list[np.ndarray]]:
    """A fake model whose every sentence gives this (broken) audio."""

    def synthesize(text: str, voice: VoiceChoice, speed: float) -> list[np.ndarray]:
        return [a.copy() for a in audio]

    return synthesize


NAN = np.full(4800, np.nan, dtype=np.float32)
INF = np.full(4800, np.inf, dtype=np.float32)
EMPTY = np.zeros(0, dtype=np.float32)
BROKEN_AUDIO = {
    "nan-pcm": ([NAN], "pcm", None),
    "nan-aac": ([NAN], "aac", None),
    "inf-mp3": ([INF], "mp3", None),
    "empty-pcm": ([EMPTY], "pcm", None),
    "empty-pcm-resampled": ([EMPTY], "pcm", 16000),
    "empty-mp3": ([EMPTY], "mp3", None),
    "empty-then-audio-opus": ([EMPTY, tone(0.2)], "opus", None),
    "float64-flac": ([tone(0.2).astype(np.float64)], "flac", None),
}


@pytest.mark.parametrize("audio,fmt,rate", BROKEN_AUDIO.values(), ids=BROKEN_AUDIO.keys())
async def test_broken_model_audio_gets_an_answer_not_a_hang(start_server, caplog, audio, fmt, rate):
    """A model may return NaN or empty arrays; the client must still get an ending."""
    # Collect earlier tests' garbage now, so that what is logged below is ours.
    gc.collect()
    caplog.clear()
    caplog.set_level(logging.INFO)
    server = await start_server(synthesize=_returning(audio))
    kokoro: dict[str, Any] = {"format": fmt}
    if rate:
        kokoro["rate"] = rate
    # The default idle timeout is 300 s: a client left without audio-stop or
    # an error would wait that long, so 8 s is a hang.
    result = await within(synthesize(server, "Hola a todos.", "ef_dora", **kokoro), 8,
                          "audio-stop or error")
    if result.error is not None:
        assert result.error.data["code"] == "synthesis_failed", result.error.data
        assert result.types[-1] == "error"
    else:
        _assert_clean_cycle(result.events)
    gc.collect()
    assert "exception was never retrieved" not in caplog.text
    await assert_still_serving(server)


async def test_error_reaches_a_client_that_sent_more_events_after_it(start_server):
    """Pipelined events after a failing one are not answered: the connection is closed."""
    server = await start_server(synthesize=fast_synth())
    events = await send_and_collect(
        server,
        event_bytes("synthesize", {"text": "Hola.", "voice": {"name": "xx_nobody"}})
        + event_bytes("describe") + event_bytes("synthesize", {"text": "Hola."}),
        timeout=10)
    assert events[0].type == "error" and events[0].data["code"] == "unknown_voice"
    assert "audio-start" not in [e.type for e in events]
    await assert_still_serving(server)


async def _open_many(server: RunningServer, count: int) -> list[RawConnection]:
    conns = []
    for _ in range(count):
        conns.append(await RawConnection.open(server))
    return conns


async def test_queue_limit_gives_busy_and_recovers(start_server):
    server = await start_server(synthesize=FakeSynth(delay=0.3),
                                synthesis={"max_requests": 2})
    conns = await _open_many(server, 3)
    for conn in conns[:2]:
        await conn.send(event_bytes("synthesize", {"text": "Uno. Dos. Tres."}))
    await asyncio.sleep(0.2)
    await conns[2].send(event_bytes("synthesize", {"text": "Hola."}))
    busy = await conns[2].events_until_closed(10)
    _assert_error_then_closed(busy, "busy")
    for conn in conns[:2]:
        _assert_clean_cycle(await conn.read_until("audio-stop", timeout=20))
        await conn.close()
    await conns[2].close()
    after = await synthesize(server, "Hola.", "ef_dora")
    _assert_clean_cycle(after.events)
    await assert_still_serving(server)


async def test_ping_with_odd_text_still_pongs(start_server):
    server = await start_server(synthesize=fast_synth())
    conn = await RawConnection.open(server)
    await conn.send(header({"type": "ping", "data": {"text": {"nested": [1, 2]}}}))
    pong = await conn.read_event(10)
    await conn.close()
    assert pong is not None and pong.type == "pong"
    assert pong.data.get("text") is None
    await assert_still_serving(server)
