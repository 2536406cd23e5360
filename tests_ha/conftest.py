"""Fixtures: a real wyoming-kokoro server in a subprocess, and Home Assistant.

The server runs from the server's own environment (.venv, Python 3.11) with a
tiny random-weight model built once per session; Home Assistant runs here
through pytest-homeassistant-custom-component, in .venv-ha (2025.4.4, Python
3.13) or .venv-ha-2026 (2026.10.4, Python 3.14). Debian's ffmpeg, unpacked by
script/setup into .ffmpeg, is put on PATH so HA's own audio conversion runs.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Generator
from pathlib import Path
from unittest.mock import patch

import pytest
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant
from kokoro_helpers import add_entry_by_user_step

# Imported before any `hass` fixture starts, or the loader cannot find the
# custom integration (IntegrationNotFound).
import custom_components.wyoming_kokoro  # noqa: F401

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVER_PYTHON = REPO_ROOT / ".venv" / "bin" / "python"
RANDOM_MODEL = REPO_ROOT / "tools" / "random_model.py"
READY = re.compile(r"Ready on tcp://127\.0\.0\.1:(\d+)")
FFMPEG_DIR = REPO_ROOT / ".ffmpeg" / "bin"
START_TIMEOUT = 120.0
PRESET = "calm"
PRESET_VOICE = "af_bella:0.7+af_sky:0.3"


class KokoroServer:
    """One server process and where it listens."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log: Path) -> None:
        """Remember the process, its port and its log file."""
        self.process = process
        self.host = "127.0.0.1"
        self.port = port
        self.log = log

    def log_text(self) -> str:
        """Everything the server has logged so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def pause(self) -> None:
        """Freeze the process: the socket stays open but nothing answers."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused process run again."""
        self.process.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        """Die at once, as a crash would."""
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Terminate, then kill after a few seconds."""
        stop_process(self.process)


def stop_process(*processes: subprocess.Popen[bytes]) -> None:
    """Terminate (resuming first, in case one was paused), then kill after 5 s."""
    running = [process for process in processes if process.poll() is None]
    for process in running:
        process.send_signal(signal.SIGCONT)
        process.terminate()
    for process in running:
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def launch_server(model_dir: Path, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    """Start a server on a free port; wait_ready() then finds the port.

    KOKORO_TEST_SERVER_ARGS adds flags (for example `--device cuda`). The log
    goes to a file rather than a pipe: nothing has to drain it (a reader
    thread would trip Home Assistant's lingering-thread check), and a
    failing test can show it.
    """
    command = [
        str(SERVER_PYTHON),
        "-m",
        "wyoming_kokoro",
        "--uri",
        "tcp://127.0.0.1:0",
        "--model-dir",
        str(model_dir),
        "--voice",
        "ef_dora",
        "--no-zeroconf",
        "--no-warmup",
        "--english-g2p",
        "espeak",
        # Debug logging: a failing test's server log then says what the server did.
        "--debug",
        *shlex.split(os.environ.get("KOKORO_TEST_SERVER_ARGS", "")),
        *extra,
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    with log.open("wb") as log_file:
        return subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )


def wait_ready(process: subprocess.Popen[bytes], log: Path) -> KokoroServer:
    """Wait for the `Ready on tcp://127.0.0.1:PORT` line."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        text = log.read_text(encoding="utf-8", errors="replace")
        if match := READY.search(text):
            return KokoroServer(process, int(match.group(1)), log)
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{text[-4000:]}")
        time.sleep(0.1)
    process.kill()
    process.wait()
    pytest.fail(f"server not ready in {START_TIMEOUT} s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-weight model, built once per test session (~15 s)."""
    if not SERVER_PYTHON.exists():
        pytest.fail(f"the server environment is missing: {SERVER_PYTHON} (run script/setup)")
    out = tmp_path_factory.mktemp("kokoro") / "model"
    result = subprocess.run(
        [str(SERVER_PYTHON), str(RANDOM_MODEL), str(out), "--size", "tiny"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"random_model.py failed:\n{result.stderr[-4000:]}")
    return out


@pytest.fixture(scope="session")
def _servers(
    model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Generator[tuple[KokoroServer, KokoroServer]]:
    """Two servers started side by side (start-up is mostly imports).

    The first is shared by every test that leaves it running, and has a
    preset; the second is for the one test that kills its server.
    """
    logs = tmp_path_factory.mktemp("logs")
    shared = launch_server(
        model_dir, logs / "shared.log", "--preset", f"{PRESET}={PRESET_VOICE}@0.9"
    )
    spare = launch_server(model_dir, logs / "spare.log")
    servers: list[KokoroServer] = []
    try:
        servers.append(wait_ready(shared, logs / "shared.log"))
        servers.append(wait_ready(spare, logs / "spare.log"))
        yield servers[0], servers[1]
    finally:
        stop_process(shared, spare)


@pytest.fixture
def kokoro_server(_servers: tuple[KokoroServer, KokoroServer]) -> KokoroServer:
    """The shared server."""
    return _servers[0]


@pytest.fixture
def disposable_server(_servers: tuple[KokoroServer, KokoroServer]) -> KokoroServer:
    """A server that this test may kill; only one test gets it."""
    server = _servers[1]
    if server.process.poll() is not None:
        pytest.fail("the disposable server was already used")
    return server


@pytest.fixture
def closed_port(socket_enabled: None) -> int:
    """A local port that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def kokoro_entry(
    hass: HomeAssistant, socket_enabled: None, kokoro_server: KokoroServer
) -> ConfigEntry:
    """An entry for the shared server, added through the real user step."""
    entry = await add_entry_by_user_step(hass, kokoro_server.host, kokoro_server.port)
    assert entry.state is ConfigEntryState.LOADED
    return entry


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let the loader see custom_components/wyoming_kokoro."""


@pytest.fixture(autouse=True)
def tts_cache_dir(tmp_path: Path) -> Generator[Path]:
    """Keep Home Assistant's TTS file cache in the test's own folder."""
    with patch("homeassistant.components.tts.DEFAULT_CACHE_DIR", str(tmp_path / "tts")):
        yield tmp_path / "tts"


@pytest.fixture(scope="session", autouse=True)
def ffmpeg_on_path() -> Generator[None]:
    """Debian's ffmpeg from script/setup first on PATH, where HA looks for it.

    Home Assistant converts TTS audio with the `ffmpeg` it finds on PATH, as
    it does on a user's machine; a system-wide ffmpeg also serves.
    """
    with pytest.MonkeyPatch.context() as monkeypatch:
        if FFMPEG_DIR.is_dir():
            monkeypatch.setenv("PATH", f"{FFMPEG_DIR}{os.pathsep}{os.environ.get('PATH', '')}")
        yield


@pytest.fixture
def ffmpeg_binary() -> str:
    """The ffmpeg Home Assistant will run; fails (not skips) when there is none."""
    binary = shutil.which("ffmpeg")
    if binary is None:
        pytest.fail(f"no ffmpeg on PATH or in {FFMPEG_DIR} (run script/setup --ha)")
    return binary
