"""One soak request over a raw connection, and the check of its answer."""

from __future__ import annotations

import asyncio
from typing import Any

import av

from tools.audio_decode import decode
from tools.raw_wire import RawConnection, event_bytes

from .plan import RequestSpec

OK = "ok"
DISCONNECTED = "disconnected (planned)"
READ_TIMEOUT = 60.0


def check_audio(fmt: str, audio: bytes) -> str | None:
    """None if the joined payloads are playable audio of that format, else what is wrong."""
    if not audio:
        return "no audio"
    if fmt == "pcm":
        return None if len(audio) % 2 == 0 else "odd PCM length"
    try:
        samples = decode(audio, fmt).samples
    except (av.FFmpegError, ValueError, OSError) as err:
        return f"{fmt} does not decode: {err}"
    return None if samples > 0 else f"{fmt} decodes to nothing"


async def run_request(host: str, port: int, spec: RequestSpec) -> str:
    """Send one request, check the answer; returns OK, DISCONNECTED or what went wrong."""
    conn = await RawConnection.open(_Address(host, port))
    try:
        data: dict[str, Any] = {"voice": {"name": spec.voice}}
        kokoro: dict[str, Any] = {"format": spec.format}
        if spec.speed is not None:
            kokoro["speed"] = spec.speed
        data["kokoro"] = kokoro
        if spec.streaming:
            words = spec.text.split(" ")
            deltas = [" ".join(words[i:i + 3]) + " " for i in range(0, len(words), 3)]
            wire = event_bytes("synthesize-start", data)
            wire += b"".join(event_bytes("synthesize-chunk", {"text": d}) for d in deltas)
            # Home Assistant repeats the text for servers without streaming.
            wire += event_bytes("synthesize", {**data, "text": spec.text})
            wire += event_bytes("synthesize-stop")
        else:
            wire = event_bytes("synthesize", {**data, "text": spec.text})
        await conn.send(wire)

        end = "synthesize-stopped" if spec.streaming else "audio-stop"
        types: list[str] = []
        audio = bytearray()
        while True:
            event = await conn.read_event(READ_TIMEOUT)
            if event is None:
                return f"closed early after {types[-3:]}"
            types.append(event.type)
            if event.type == "error":
                return f"error: {event.data.get('code')}"
            if event.type == "audio-chunk":
                if event.data.get("format", "pcm") != spec.format:
                    return "chunk of the wrong format"
                audio += event.payload or b""
                if spec.disconnect:
                    return DISCONNECTED
            if event.type == end:
                break
        expected = ["audio-start", "audio-stop"] + (["synthesize-stopped"] if spec.streaming else [])
        if [t for t in types if t != "audio-chunk"] != expected:
            return f"bad event order {types[:2]}...{types[-2:]}"
        problem = await asyncio.to_thread(check_audio, spec.format, bytes(audio))
        return OK if problem is None else f"bad audio: {problem}"
    except asyncio.TimeoutError:
        return "timeout (no answer)"
    except (ConnectionError, asyncio.IncompleteReadError) as err:
        return f"connection lost: {type(err).__name__}"
    finally:
        if spec.disconnect:
            # An abrupt reset, like a client that crashes.
            conn.writer.transport.abort()
        else:
            await conn.close()


class _Address:
    """Where the in-process server listens (RawConnection takes any host and port)."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
