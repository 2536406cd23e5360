"""Hostile bytes on the wire: malformed headers, lying lengths, floods, silence, too many sockets.

Every test sends its input over a real socket and then checks, from a NEW
connection, that the server still answers describe.
"""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from tests.fakes import (
    FakeSynth,
    RawConnection,
    assert_still_serving,
    event_bytes,
    fast_synth,
    header,
    rss_bytes,
    send_and_collect,
    settle,
)

MB = 1024 * 1024


def _server_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """ERROR records: an exception that escaped a connection shows up here (asyncio logs it)."""
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def _logged(caplog: pytest.LogCaptureFixture, *fragments: str) -> bool:
    messages = [r.getMessage() for r in caplog.records]
    return any(all(f in m for f in fragments) for m in messages)


# -- malformed header lines ------------------------------------------------

BAD_HEADERS: dict[str, bytes] = {
    "not-json": b"hello there\n",
    "truncated-json": b'{"type": "describe"\n',
    "invalid-utf8": b'{"type": "\xff\xfe"}\n',
    "array": header([1, 2]),
    "string": header("x"),
    "number": header(42),
    "null": header(None),
    "type-missing": header({"data": {"text": "hola"}}),
    "type-number": header({"type": 5}),
    "type-empty": header({"type": ""}),
    "type-huge": header({"type": "x" * 20000}),
    "type-object": header({"type": {"a": 1}}),
    "data-list": header({"type": "synthesize", "data": ["text", "hola"]}),
    "data-string": header({"type": "synthesize", "data": "hola"}),
    "data-length-string": header({"type": "describe", "data_length": "10"}),
    "data-length-float": header({"type": "describe", "data_length": 10.0}),
    "data-length-bool": header({"type": "describe", "data_length": True}),
    "payload-length-string": header({"type": "describe", "payload_length": "4"}),
    # json's C decoder recurses once per nesting level; 30 000 levels fit in
    # the default 64 KiB header limit.
    "deeply-nested": b"[" * 30000 + b"\n",
    "deeply-nested-object": b'{"type": "describe", "data": ' + b'{"a": ' * 8000 + b"\n",
}


@pytest.mark.parametrize("line", BAD_HEADERS.values(), ids=BAD_HEADERS.keys())
async def test_malformed_header_closes_only_that_connection(start_server, caplog, line):
    caplog.set_level(logging.INFO)
    server = await start_server(synthesize=fast_synth())
    events = await send_and_collect(server, line)
    # A broken wire format gets no answer: the connection is simply closed.
    assert events == []
    assert _logged(caplog, "closing the connection"), [r.getMessage() for r in caplog.records]
    assert _server_errors(caplog) == []
    await assert_still_serving(server)


async def test_deeply_nested_event_data_closes_only_that_connection(start_server, caplog):
    caplog.set_level(logging.INFO)
    server = await start_server(synthesize=fast_synth())
    body = b'{"text": ' + b"[" * 30000
    events = await send_and_collect(
        server, header({"type": "synthesize", "data_length": len(body)}) + body)
    assert events == []
    assert _logged(caplog, "closing the connection")
    assert _server_errors(caplog) == []
    await assert_still_serving(server)


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'"text"', b"\xff\xfe\xfd"],
                         ids=["not-json", "array", "string", "invalid-utf8"])
async def test_malformed_data_section_closes_the_connection(start_server, caplog, body):
    caplog.set_level(logging.INFO)
    server = await start_server(synthesize=fast_synth())
    events = await send_and_collect(
        server, header({"type": "synthesize", "data_length": len(body)}) + body)
    assert events == []
    assert _logged(caplog, "event data")
    await assert_still_serving(server)


async def test_header_without_newline_then_eof_is_logged_and_closed(start_server, caplog):
    caplog.set_level(logging.INFO)
    server = await start_server(synthesize=fast_synth())
    conn = await RawConnection.open(server)
    await conn.send(b'{"type": "describe"}')
    conn.writer.write_eof()
    assert await conn.events_until_closed(5) == []
    await conn.close()
    assert _logged(caplog, "middle of a header line")
    await assert_still_serving(server)


async def test_header_over_the_size_limit_is_cut_off_at_once(start_server, caplog):
    caplog.set_level(logging.INFO)
    server = await start_server(synthesize=fast_synth(), server={"max_header_bytes": 1024})
    conn = await RawConnection.open(server)
    await conn.send(b"x" * 5000)
    # Closed as soon as the limit is passed, not after an idle timeout.
    assert await conn.closed_within(3) < 3
    await conn.close()
    assert _logged(caplog, "header line exceeds the size limit")
    await assert_still_serving(server)


async def test_header_of_exactly_the_size_limit_is_served(start_server):
    server = await start_server(synthesize=fast_synth(), server={"max_header_bytes": 1024})
    line = header({"type": "describe", "padding": ""})
    line = header({"type": "describe", "padding": "p" * (1024 - len(line))})
    assert len(line) == 1024
    conn = await RawConnection.open(server)
    await conn.send(line)
    info = await conn.read_event(10)
    await conn.close()
    assert info is not None and info.type == "info"


async def test_endless_header_does_not_consume_memory(start_server, caplog):
    caplog.set_level(logging.INFO)
    server = await start_server(synthesize=fast_synth(), server={"max_header_bytes": 1024})
    before = rss_bytes()
    conn = await RawConnection.open(server)
    sent = 0
    block = b"y" * 65536
    with pytest.raises(ConnectionError):
        # The server must hang up long before 64 MiB arrive; a server that
        # buffered the line would grow by all of it.
        while sent < 64 * MB:
            conn.writer.write(block)
            await asyncio.wait_for(conn.writer.drain(), 10)
            sent += len(block)
        # Still open after 64 MiB: let the assertion below report it.
        raise AssertionError(f"server accepted {sent} bytes of one header line")
    await conn.close()
    assert sent < 16 * MB
    assert rss_bytes() - before < 32 * MB
    assert _logged(caplog, "header line exceeds the size limit")
    await assert_still_serving(server)


# -- lengths that lie ------------------------------------------------------

LYING_LENGTHS = {
    "data-negative": {"data_length": -1},
    "data-10GB": {"data_length": 10 * 1024**3},
    "data-over-limit": {"data_length": 2 * MB + 1},
    "payload-negative": {"payload_length": -5},
    "payload-10GB": {"payload_length": 10 * 1024**3},
    "payload-over-limit": {"payload_length": MB + 1},
}


@pytest.mark.parametrize("lengths", LYING_LENGTHS.values(), ids=LYING_LENGTHS.keys())
async def test_impossible_length_is_refused_before_reading(start_server, caplog, lengths):
    caplog.set_level(logging.INFO)
    server = await start_server(synthesize=fast_synth())
    before = rss_bytes()
    conn = await RawConnection.open(server)
    # A few bytes follow and the socket stays open: only the claim is judged.
    await conn.send(header({"type": "synthesize", **lengths}) + b'{"text": ')
    assert await conn.closed_within(3) < 3
    await conn.close()
    assert rss_bytes() - before < 32 * MB
    key = next(iter(lengths))
    assert _logged(caplog, key), [r.getMessage() for r in caplog.records]
    await assert_still_serving(server)


async def test_configured_data_and_payload_limits_are_enforced(start_server, caplog):
    caplog.set_level(logging.INFO)
    server = await start_server(
        synthesize=fast_synth(), server={"max_data_bytes": 1024, "max_payload_bytes": 16})
    ok_data = b'{"text": "' + b"a" * 1000 + b'"}'
    assert len(ok_data) <= 1024
    conn = await RawConnection.open(server)
    await conn.send(header({"type": "ping", "data_length": len(ok_data)}) + ok_data)
    pong = await conn.read_event(10)
    assert pong is not None and pong.type == "pong"
    await conn.send(event_bytes("ping", payload=b"p" * 16))
    pong = await conn.read_event(10)
    assert pong is not None and pong.type == "pong"
    await conn.close()

    big = b'{"text": "' + b"a" * 1100 + b'"}'
    assert await send_and_collect(server, header({"type": "ping", "data_length": len(big)}) + big) == []
    assert _logged(caplog, "data_length", "exceeds the limit of 1024")
    assert await send_and_collect(server, event_bytes("ping", payload=b"p" * 17)) == []
    assert _logged(caplog, "payload_length", "exceeds the limit of 16")
    await assert_still_serving(server)


@pytest.mark.parametrize("key", ["data_length", "payload_length"])
async def test_length_larger_than_what_follows_then_eof(start_server, caplog, key):
    caplog.set_level(logging.INFO)
    server = await start_server(synthesize=fast_synth())
    conn = await RawConnection.open(server)
    await conn.send(header({"type": "ping", key: 1000}) + b"{}")
    conn.writer.write_eof()
    assert await conn.events_until_closed(5) == []
    await conn.close()
    assert _logged(caplog, "before the announced data arrived")
    await assert_still_serving(server)


@pytest.mark.parametrize("key", ["data_length", "payload_length"])
async def test_length_larger_than_what_follows_then_stall(start_server, caplog, key):
    caplog.set_level(logging.INFO)
    server = await start_server(synthesize=fast_synth(), server={"idle_timeout": 1})
    before = rss_bytes()
    conn = await RawConnection.open(server)
    # Claims the most it may; sends almost nothing, then waits.
    limit = 2 * MB if key == "data_length" else MB
    await conn.send(header({"type": "ping", key: limit}) + b"{")
    started = time.monotonic()
    assert await conn.closed_within(8) < 8
    assert time.monotonic() - started >= 0.8
    await conn.close()
    assert rss_bytes() - before < 32 * MB
    assert _logged(caplog, "did not arrive within")
    await assert_still_serving(server)


# -- floods ----------------------------------------------------------------


async def test_flood_of_unknown_events_is_ignored_cheaply(start_server):
    server = await start_server(synthesize=fast_synth())
    conn = await RawConnection.open(server)
    flood = bytearray()
    for i in range(10_000):
        data = {"n": i, "junk": "z" * 20} if i % 10 == 0 else None
        flood += event_bytes(f"x-unknown-{i % 50}", data)
    started = time.monotonic()
    await conn.send(bytes(flood) + event_bytes("describe"))
    # Nothing answers an unknown event: the first thing back is describe's info.
    first = await conn.read_event(30)
    elapsed = time.monotonic() - started
    assert first is not None and first.type == "info"
    assert elapsed < 15, f"10 000 ignored events took {elapsed:.1f} s"
    await conn.send(event_bytes("ping", {"text": "still here"}))
    pong = await conn.read_event(10)
    assert pong is not None and pong.type == "pong" and pong.data["text"] == "still here"
    await conn.close()
    await assert_still_serving(server)


async def test_stray_stream_events_outside_a_stream_are_ignored(start_server):
    server = await start_server(synthesize=fast_synth())
    conn = await RawConnection.open(server)
    await conn.send(event_bytes("synthesize-chunk", {"text": "Hola."})
                    + event_bytes("synthesize-stop") + event_bytes("describe"))
    first = await conn.read_event(10)
    await conn.close()
    assert first is not None and first.type == "info"
    await assert_still_serving(server)


# -- silence and slowness --------------------------------------------------


async def test_silent_client_is_closed_after_the_idle_timeout(start_server, caplog):
    caplog.set_level(logging.INFO)
    server = await start_server(synthesize=fast_synth(), server={"idle_timeout": 1})
    conn = await RawConnection.open(server)
    waited = await conn.closed_within(8)
    await conn.close()
    assert 0.8 <= waited < 8
    assert _logged(caplog, "idle", "idle_timeout")
    await assert_still_serving(server)


async def test_slowloris_header_does_not_reset_the_idle_clock(start_server, caplog):
    caplog.set_level(logging.INFO)
    server = await start_server(synthesize=fast_synth(), server={"idle_timeout": 1})
    conn = await RawConnection.open(server)
    started = time.monotonic()
    closed = False
    # One byte every 0.25 s: a server that reset its clock on every byte
    # would keep this connection for the whole 10 s.
    for byte in (b'{"type": "describe", "pad": "' + b"s" * 200):
        try:
            await conn.send(bytes([byte]))
        except ConnectionError:
            closed = True
            break
        if conn.reader.at_eof():
            closed = True
            break
        await asyncio.sleep(0.25)
        if time.monotonic() - started > 10:
            break
    if not closed:
        await conn.closed_within(1)
    elapsed = time.monotonic() - started
    await conn.close()
    assert elapsed < 6, f"slow header kept the connection for {elapsed:.1f} s"
    assert _logged(caplog, "idle_timeout")
    await assert_still_serving(server)


async def test_slowloris_data_section_is_closed(start_server, caplog):
    caplog.set_level(logging.INFO)
    server = await start_server(synthesize=fast_synth(), server={"idle_timeout": 1})
    conn = await RawConnection.open(server)
    await conn.send(header({"type": "synthesize", "data_length": 400}))
    started = time.monotonic()
    try:
        for _ in range(40):
            await conn.send(b" ")
            if conn.reader.at_eof():
                break
            await asyncio.sleep(0.25)
    except ConnectionError:
        pass
    await conn.closed_within(3)
    elapsed = time.monotonic() - started
    await conn.close()
    assert elapsed < 6
    assert _logged(caplog, "did not arrive within")
    await assert_still_serving(server)


async def test_open_stream_left_silent_is_closed_and_its_job_freed(start_server, caplog):
    """synthesize-start, one chunk, then silence: the stream can never end by itself."""
    caplog.set_level(logging.INFO)
    server = await start_server(synthesize=fast_synth(), server={"idle_timeout": 1})
    scheduler = server.app.running.scheduler
    conn = await RawConnection.open(server)
    await conn.send(event_bytes("synthesize-start", {"voice": {"name": "ef_dora"}})
                    + event_bytes("synthesize-chunk", {"text": "Hola a todos. "}))
    # It gets the audio of what it sent, then must not hold the connection
    # and a request slot forever.
    events = await conn.events_until_closed(8)
    await conn.close()
    assert events[0].type == "audio-start"
    assert await settle(lambda: scheduler.active_jobs == 0, 5), scheduler.active_jobs
    await assert_still_serving(server)


async def test_receiving_client_is_not_cut_off_by_the_idle_timeout(start_server):
    """A client that waits for a long answer sends nothing; that is not idleness."""
    server = await start_server(synthesize=FakeSynth(delay=0.4), server={"idle_timeout": 1})
    conn = await RawConnection.open(server)
    text = " ".join(f"Frase numero {i}." for i in range(6))
    await conn.send(event_bytes("synthesize", {"text": text}))
    # Six sentences at 0.4 s each: well past the 1 s idle timeout.
    events = await conn.read_until("audio-stop", timeout=30)
    await conn.close()
    assert [e.type for e in events if e.type != "audio-chunk"] == ["audio-start", "audio-stop"]
    assert len([e for e in events if e.type == "audio-chunk"]) >= 6
    await assert_still_serving(server)


async def test_client_that_stops_reading_is_dropped_and_its_job_freed(start_server, caplog):
    """A client that asks for a lot of audio and never reads it must not pin a request."""
    caplog.set_level(logging.INFO)
    # About 20 MB of PCM: far more than the socket buffers hold.
    server = await start_server(synthesize=FakeSynth(seconds_per_char=1.0),
                                server={"idle_timeout": 1})
    running = server.app.running
    conn = await RawConnection.open(server)
    text = " ".join(f"Frase numero {i}." for i in range(30))
    await conn.send(event_bytes("synthesize", {"text": text, "voice": {"name": "ef_dora"}}))
    # Never read. The server's writes stall, and after idle_timeout it gives up.
    assert await settle(lambda: running.scheduler.active_jobs == 0, 15), (
        running.scheduler.active_jobs)
    assert await settle(lambda: running.server.connections == 0, 10), running.server.connections
    assert _logged(caplog, "left mid-stream")
    conn.writer.transport.abort()
    await assert_still_serving(server)


# -- connection limits -----------------------------------------------------


async def test_max_connections_refuses_the_extra_one_and_recovers(start_server, caplog):
    caplog.set_level(logging.INFO)
    server = await start_server(synthesize=fast_synth(), server={"max_connections": 3})
    held = []
    for _ in range(3):
        conn = await RawConnection.open(server)
        await conn.send(event_bytes("describe"))
        info = await conn.read_event(10)
        assert info is not None and info.type == "info"
        held.append(conn)

    extra = await RawConnection.open(server)
    await extra.send(event_bytes("describe"))
    assert await extra.events_until_closed(3) == []
    await extra.close()
    assert _logged(caplog, "refused", "max_connections")

    # The held ones were not disturbed.
    await held[0].send(event_bytes("ping"))
    pong = await held[0].read_event(10)
    assert pong is not None and pong.type == "pong"

    await held.pop().close()
    running = server.app.running.server
    assert await settle(lambda: running.connections == 2, 5), running.connections
    await assert_still_serving(server)
    for conn in held:
        await conn.close()
