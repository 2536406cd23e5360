"""A second opinion: the independent wyoming-bench tool against the same server.

Its output goes into the report verbatim; if it fails, its error does.
"""

from __future__ import annotations

import json
import logging
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .server import ServerProcess
from .texts import PEER_TEXTS, VOICE

_LOGGER = logging.getLogger(__name__)

TIMEOUT = 900.0


@dataclass(frozen=True)
class PeerResult:
    """What wyoming-bench printed and how it ended."""

    command: str
    returncode: int | None
    """None when it could not be run or timed out."""
    output: str
    seconds: float


def run(server: ServerProcess, rounds: int, texts: int) -> PeerResult:
    """`wyoming-bench tts HOST:PORT --rounds N`, with our voice and the first texts."""
    chosen = PEER_TEXTS[:texts]
    executable = Path(sys.executable).with_name("wyoming-bench")
    args = [
        str(executable), "tts", f"{server.host}:{server.port}",
        # --no-unique: its nonce guards against a synthesis cache, which this server
        # does not have; appended, it is spoken as one more sentence of letters.
        "--rounds", str(rounds), "--warmup", "1", "--timeout", "300", "--no-unique",
        "--config", json.dumps({"voice": VOICE}),
        "--texts", *chosen,
    ]
    shown = shlex.join(["wyoming-bench", *args[1:]])
    started = time.perf_counter()
    if not executable.exists():
        return PeerResult(shown, None, f"{executable} not found: install the dev dependencies "
                          "(script/setup)", 0.0)
    _LOGGER.info("Running %s", shown)
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT,
                              errors="replace")
    except subprocess.TimeoutExpired as err:
        output = (err.stdout or "") if isinstance(err.stdout, str) else ""
        return PeerResult(shown, None, f"{output}\n(timed out after {TIMEOUT:.0f} s)",
                          time.perf_counter() - started)
    output = done.stdout.rstrip()
    if done.returncode != 0 and done.stderr.strip():
        output = f"{output}\n{done.stderr.rstrip()}".strip()
    # Each request it makes counts towards the server's total.
    server.requests += rounds * 2 * len(chosen) + 2
    return PeerResult(shown, done.returncode, output, time.perf_counter() - started)
