"""SIGTERM at each moment of start-up: exit 0, and no stale zeroconf record.

A real server process on the tiny model and a free port, advertising on
loopback, and a separate zeroconf browser watching it.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest

from tests.test_shutdown import STARTUP_TIMEOUT, ServerProcess, spawn, stop_process
from tests.test_zeroconf import Browser, _unique
from wyoming_kokoro.process.app import WARMUP_DELAY_ENV
from wyoming_kokoro.process.discovery import SERVICE_TYPE

pytestmark = pytest.mark.slow

# Far longer than any test waits: a warm-up held this long must be cut off.
HELD_WARMUP_S = 120
# From SIGTERM to exit: the goodbye takes well under a second, the rest is slack
# for a busy machine. Much less than HELD_WARMUP_S, so that waiting for the
# held thread would fail the test.
EXIT_TIMEOUT = 20.0
# How long the browser is given to see the goodbye once the process has gone.
GOODBYE_TIMEOUT = 5.0


async def start(model_dir: Path, name: str, *flags: str,
                env: dict[str, str] | None = None) -> ServerProcess:
    return await spawn(model_dir, "--zeroconf-name", name, "--zeroconf-interface", "127.0.0.1",
                       *flags, env=env)


async def terminate(server: ServerProcess) -> str:
    """SIGTERM now; the whole log once the process has exited with code 0."""
    signalled = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    try:
        returncode = await asyncio.wait_for(server.process.wait(), EXIT_TIMEOUT)
    finally:
        await stop_process(server)
    log = "\n".join(server.lines)
    assert returncode == 0, log
    assert time.monotonic() - signalled < EXIT_TIMEOUT
    assert "Traceback" not in log, log
    return log


async def no_stale_record(browser: Browser, full: str) -> None:
    """Whenever the browser saw the service, it has also seen it go."""
    if full in browser.added:
        assert await browser.wait_for(browser.removed, full, GOODBYE_TIMEOUT), "no goodbye seen"


async def test_sigterm_during_model_load(model_dir):
    name = _unique()
    full = f"{name}.{SERVICE_TYPE}"
    async with Browser() as browser:
        server = await start(model_dir, name)
        # The load imports torch and builds the model: seconds, even on the tiny model.
        await server.wait_for_line(r"Loading the model", STARTUP_TIMEOUT)
        log = await terminate(server)
        assert "Stopped during model load" in log, log
        assert "Ready on" not in log, log
        assert not await browser.wait_for(browser.added, full, timeout=1)


async def test_sigterm_during_warmup(model_dir):
    name = _unique()
    full = f"{name}.{SERVICE_TYPE}"
    async with Browser() as browser:
        server = await start(model_dir, name, env={WARMUP_DELAY_ENV: str(HELD_WARMUP_S)})
        await server.wait_for_line(r"Warming up the model", STARTUP_TIMEOUT)
        log = await terminate(server)
        assert "Stopped during warm-up" in log, log
        assert "Ready on" not in log, log
        # The warm-up still holds its thread: the process leaves it behind.
        assert "Leaving the cut-off start-up work" in log, log
        assert not await browser.wait_for(browser.added, full, timeout=1)


async def test_sigterm_during_the_zeroconf_name_check(model_dir):
    name = _unique()
    full = f"{name}.{SERVICE_TYPE}"
    async with Browser() as browser:
        server = await start(model_dir, name, "--no-warmup")
        await server.wait_for_line(r"Zeroconf: checking that the name \S+ is free", STARTUP_TIMEOUT)
        log = await terminate(server)
        assert "Ready on" in log, log
        assert f"Zeroconf: stopped during the name check of {name}" in log, log
        assert "advertising" not in log, log
        # Nothing was registered, so nothing may have been announced either.
        assert not await browser.wait_for(browser.added, full, timeout=1)


async def test_sigterm_while_the_announcement_goes_out(model_dir):
    name = _unique()
    full = f"{name}.{SERVICE_TYPE}"
    async with Browser() as browser:
        server = await start(model_dir, name, "--no-warmup")
        await server.wait_for_line(r"Zeroconf: registering", STARTUP_TIMEOUT)
        # The first announcement has reached the browser; the later ones
        # (registration ends after three) may still be on their way.
        assert await browser.wait_for(browser.added, full), browser.added
        log = await terminate(server)
        assert "Stopped:" in log, log
        await no_stale_record(browser, full)


async def test_sigterm_just_after_ready(model_dir):
    name = _unique()
    full = f"{name}.{SERVICE_TYPE}"
    async with Browser() as browser:
        server = await start(model_dir, name, "--no-warmup")
        await server.wait_for_line(r"Ready on tcp://127\.0\.0\.1:(\d+)", STARTUP_TIMEOUT)
        log = await terminate(server)
        assert "Shutting down" in log, log
        assert "Stopped:" in log, log
        await no_stale_record(browser, full)


async def test_sigterm_once_advertised(model_dir):
    name = _unique()
    full = f"{name}.{SERVICE_TYPE}"
    async with Browser() as browser:
        server = await start(model_dir, name, "--no-warmup")
        await server.wait_for_line(rf"Zeroconf: advertising {name} at", STARTUP_TIMEOUT)
        assert await browser.wait_for(browser.added, full), browser.added
        log = await terminate(server)
        assert f"Zeroconf: {name} unregistered" in log, log
        assert await browser.wait_for(browser.removed, full, GOODBYE_TIMEOUT), "no goodbye seen"
