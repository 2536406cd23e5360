"""The other listeners: Unix sockets and stdio."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

from wyoming.client import AsyncUnixClient
from wyoming.event import Event

from tests.wyoming_client import AudioResult, read_until, synthesize_event


async def test_unix_socket(start_server, tmp_path):
    path = tmp_path / "kokoro.sock"
    server = await start_server(server={"uri": f"unix://{path}"})
    assert server.app.running.server.uri == f"unix://{path}"
    async with AsyncUnixClient(str(path)) as client:
        await client.write_event(Event(type="describe"))
        assert (await asyncio.wait_for(client.read_event(), 10)).type == "info"
        await client.write_event(synthesize_event("Hola.", "ef_dora"))
        result = await read_until(client, AudioResult(), "audio-stop")
    assert result.samples > 0


def test_stdio(model_dir):
    request = b'{"type": "describe"}\n' + json.dumps(
        {"type": "synthesize", "data": {"text": "Hola.", "voice": {"name": "ef_dora"}}}
    ).encode() + b"\n"
    proc = subprocess.run(
        [sys.executable, "-m", "wyoming_kokoro", "--uri", "stdio://", "--model-dir",
         str(model_dir), "--voice", "ef_dora", "--no-warmup", "--language", "e"],
        input=request, capture_output=True, timeout=120,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    types = []
    out = proc.stdout
    while out:
        line, _, out = out.partition(b"\n")
        header = json.loads(line)
        types.append(header["type"])
        out = out[header.get("data_length", 0) + header.get("payload_length", 0):]
    assert types[0] == "info"
    assert types[1] == "audio-start"
    assert types[-1] == "audio-stop"
    assert set(types[2:-1]) == {"audio-chunk"}
