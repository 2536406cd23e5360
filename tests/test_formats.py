"""Encoded output: every format decodes, honours rate and speed, and survives concurrency."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pytest
from wyoming.client import AsyncTcpClient
from wyoming.event import Event

from tests.wyoming_client import AudioResult, read_until, stream, synthesize, synthesize_event
from tools.audio_decode import decode
from wyoming_kokoro.config import MODEL_RATE
from wyoming_kokoro.pipeline.output import FORMATS, OutputFormat, choose_format, create_output

TEXT = "Hola a todos. Las luces del salón están encendidas."
# Codec delay and padding to whole frames (two frames at 16 kHz for mp3 and aac), in seconds.
PADDING = {"wav": 0.001, "flac": 0.001, "mp3": 0.15, "aac": 0.15, "opus": 0.04}


@pytest.mark.parametrize("fmt", ["wav", "mp3", "opus", "flac", "aac"])
async def test_each_format_decodes_with_the_right_rate_and_length(start_server, fmt):
    server = await start_server()
    pcm = await synthesize(server, TEXT, "ef_dora")
    pcm_seconds = pcm.samples / MODEL_RATE
    for rate in (MODEL_RATE, 16000, 48000):
        result = await synthesize(server, TEXT, "ef_dora", format=fmt, rate=rate)
        assert result.error is None, result.error
        assert result.start.data["format"] == fmt
        assert result.start.data["rate"] == rate
        assert all(c.data["format"] == fmt for c in result.chunks)
        decoded = decode(result.audio, fmt)
        # Opus always decodes at 48 kHz, whatever rate it was encoded from.
        assert decoded.rate == (48000 if fmt == "opus" else rate)
        assert abs(decoded.seconds - pcm_seconds) <= PADDING[fmt], (rate, decoded, pcm_seconds)


@pytest.mark.parametrize("fmt", ["wav", "mp3", "opus", "flac", "aac"])
async def test_streaming_session_is_one_encoded_stream(start_server, fmt):
    server = await start_server()
    deltas = ["Primera frase. Segun", "da frase. Tercera ", "frase."]
    plain = await stream(server, deltas, "ef_dora")
    result = await stream(server, deltas, "ef_dora", format=fmt)
    assert result.types.count("audio-start") == 1
    decoded = decode(result.audio, fmt)
    assert abs(decoded.seconds - plain.samples / MODEL_RATE) <= PADDING[fmt]
    # One header only: a second container header would show up as a restart.
    if fmt == "wav":
        assert result.audio.count(b"RIFF") == 1
    if fmt == "flac":
        assert result.audio.count(b"fLaC") == 1


async def test_speed_reaches_the_model(start_server, loaded_model):
    speeds: list[float] = []

    def recording(text, voice, speed):
        speeds.append(speed)
        return loaded_model.engine.synthesize(text, voice, speed)

    server = await start_server(synthesize=recording,
                                voices={"presets": {"quick": {"voice": "ef_dora", "speed": 1.5}}})
    await synthesize(server, "Hola.", "ef_dora", format="mp3", speed=0.5)
    await synthesize(server, "Hola.", "quick")
    await synthesize(server, "Hola.", "quick", speed=0.8)
    await synthesize(server, "Hola.", "ef_dora")
    assert speeds == [0.5, 1.5, 0.8, 1.0]


def test_speed_changes_the_real_models_durations(loaded_model):
    import torch

    from wyoming_kokoro.model.voices import VoiceCatalogue

    voice = VoiceCatalogue(["ef_dora"]).resolve("ef_dora")
    text = "La temperatura en el salón es agradable esta tarde."
    model = loaded_model.engine._model
    bias = model.predictor.duration_proj.linear_layer.bias
    saved = bias.detach().clone()
    try:
        # Saturate the duration head: each token is then 1/speed frames long.
        with torch.no_grad():
            bias.fill_(20.0)
        slow = sum(len(a) for a in loaded_model.engine.synthesize(text, voice, 0.5))
        normal = sum(len(a) for a in loaded_model.engine.synthesize(text, voice, 1.0))
    finally:
        with torch.no_grad():
            bias.copy_(saved)
    assert slow == 2 * normal


@pytest.mark.parametrize(
    ("kokoro", "field"),
    [
        ({"format": "ogg-vorbis"}, "kokoro.format"),
        ({"format": 3}, "kokoro.format"),
        ({"rate": 7000}, "kokoro.rate"),
        ({"rate": "16000"}, "kokoro.rate"),
        ({"rate": 96000}, "kokoro.rate"),
        ({"format": "mp3", "rate": 17000}, "kokoro.rate"),
        ({"format": "opus", "rate": 44100}, "kokoro.rate"),
        ({"speed": 2.5}, "kokoro.speed"),
        ({"speed": 0.1}, "kokoro.speed"),
        ({"speed": "fast"}, "kokoro.speed"),
    ],
)
async def test_invalid_options_get_an_error_naming_the_field(start_server, kokoro, field):
    server = await start_server()
    result = await synthesize(server, "Hola.", "ef_dora", **kokoro)
    assert result.types == ["error"]
    assert result.error.data["code"] == "bad_request"
    assert field in result.error.data["text"]


def test_default_rates_suit_each_codec():
    assert choose_format("opus", None, MODEL_RATE) == OutputFormat("opus", 48000)
    assert choose_format("mp3", None, MODEL_RATE) == OutputFormat("mp3", MODEL_RATE)
    assert choose_format("pcm", None, 16000) == OutputFormat("pcm", 16000)
    assert choose_format(None, None, 22050) == OutputFormat("pcm", 22050)


@pytest.mark.parametrize("fmt", ["wav", "mp3", "opus", "flac", "aac"])
def test_first_bytes_leave_within_one_chunk_of_audio(fmt):
    output = create_output(choose_format(fmt, None, MODEL_RATE), 1024)
    try:
        tone = (0.2 * np.sin(np.arange(2400) / MODEL_RATE * 2 * np.pi * 440)).astype(np.float32)
        assert b"".join(output.push(tone)), fmt  # 100 ms in, bytes out
    finally:
        output.close()


@pytest.mark.parametrize("fmt", ["wav", "mp3", "opus", "flac", "aac"])
def test_an_abandoned_encoder_closes_cleanly(fmt):
    output = create_output(choose_format(fmt, None, MODEL_RATE), 1024)
    output.push(np.zeros(3000, dtype=np.float32))
    output.close()
    output.close()


# -- the concurrency stress the peer server failed -------------------------------


async def _one_client(port: int, index: int, round_: int) -> tuple[str, bytes | None]:
    fmt = FORMATS[(index + round_) % len(FORMATS)]
    kokoro = {} if fmt == "pcm" else {"format": fmt}
    text = f"Cliente {index}, ronda {round_}. Las luces están encendidas."
    async with AsyncTcpClient("127.0.0.1", port) as client:
        if index % 5 == 4:
            # This one vanishes mid-stream.
            await client.write_event(synthesize_event(text, "ef_dora", **kokoro))
            await asyncio.wait_for(client.read_event(), 60)
            return fmt, None
        if index % 2:
            data = {"voice": {"name": "ef_dora"}, "kokoro": kokoro} if kokoro else {}
            await client.write_event(Event(type="synthesize-start", data=data))
            for part in (text[:10], text[10:25], text[25:]):
                await client.write_event(Event(type="synthesize-chunk", data={"text": part}))
            await client.write_event(Event(type="synthesize-stop"))
            result = await read_until(client, AudioResult(), "synthesize-stopped")
        else:
            await client.write_event(synthesize_event(text, "ef_dora", **kokoro))
            result = await read_until(client, AudioResult(), "audio-stop")
        assert result.error is None, result.error.data
        return fmt, result.audio


def _start_subprocess_server(model_dir: Path) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [sys.executable, "-X", "faulthandler", "-m", "wyoming_kokoro",
         "--uri", "tcp://127.0.0.1:0", "--model-dir", str(model_dir), "--voice", "ef_dora",
         "--no-zeroconf", "--no-warmup", "--language", "e", "--max-requests", "64"],
        stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        match = re.search(r"Ready on tcp://127\.0\.0\.1:(\d+)", line)
        if match:
            return proc, int(match.group(1))
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError("server did not start")


def _stop(proc: subprocess.Popen) -> str:
    proc.terminate()
    _, err = proc.communicate(timeout=60)
    return err


@pytest.mark.slow
async def test_many_clients_mixing_every_format_never_crash(model_dir):
    proc, port = _start_subprocess_server(model_dir)
    try:
        completed = 0
        for round_ in range(3):
            results = await asyncio.gather(*(_one_client(port, i, round_) for i in range(18)))
            for fmt, audio in results:
                if audio is None:
                    continue
                if fmt == "pcm":
                    assert len(audio) > 0
                else:
                    assert decode(audio, fmt).samples > 0
                completed += 1
        assert completed == 3 * 18 - 3 * 3
        async with AsyncTcpClient("127.0.0.1", port) as client:
            await client.write_event(Event(type="describe"))
            info = await asyncio.wait_for(client.read_event(), 10)
        assert info.type == "info"
        assert proc.poll() is None
    finally:
        log = _stop(proc)
    assert proc.returncode == 0, log[-3000:]
    assert "Fatal Python error" not in log
    assert "Traceback" not in log
    assert " ERROR " not in log, log[-3000:]


@pytest.mark.slow
async def test_memory_stays_flat_over_encoded_requests(model_dir):
    proc, port = _start_subprocess_server(model_dir)
    try:
        process = psutil.Process(proc.pid)

        async def batch(n: int) -> None:
            for i in range(0, n, 8):
                await asyncio.gather(*(
                    synthesize_rss_client(port, FORMATS[1 + (i + k) % 5]) for k in range(8)))

        # Warm up: allocator arenas, codec tables and torch's buffers settle
        # within the first ~100 encoded requests.
        await batch(96)
        # Measured idle: the server trims freed memory once its queue is empty.
        samples = []
        for _ in range(3):
            await asyncio.sleep(1)
            samples.append(process.memory_info().rss)
            await batch(96)
        await asyncio.sleep(1)
        samples.append(process.memory_info().rss)
    finally:
        _stop(proc)
    growth_mb = [(b - a) / 2**20 for a, b in zip(samples, samples[1:], strict=False)]
    print("RSS growth per 96 encoded requests (MB):", ", ".join(f"{g:.1f}" for g in growth_mb))
    # A leak grows every window by the same amount; an allocator arena that
    # settles late grows one window and then stays. So at least one of the last
    # two windows must stay flat (5 MB per 96 requests is about 50 kB each).
    assert min(growth_mb[1:]) < 5, growth_mb


async def synthesize_rss_client(port: int, fmt: str) -> None:
    async with AsyncTcpClient("127.0.0.1", port) as client:
        await client.write_event(synthesize_event("Hola.", "ef_dora", format=fmt))
        result = await read_until(client, AudioResult(), "audio-stop")
    assert result.error is None
