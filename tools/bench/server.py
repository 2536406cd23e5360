"""The server under test, in its own process, so its memory and CPU can be read.

It is started exactly as a user would start it (``python -m wyoming_kokoro``),
on a free loopback port; the port is read from the ``Ready on`` log line.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path

import psutil

from .texts import VOICE

_LOGGER = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
_READY = re.compile(r"Ready on tcp://([0-9.]+):(\d+)")
# A server is idle when it uses less than this share of one core.
_IDLE_SHARE = 0.10
_IDLE_POLL = 0.05


class ServerFailed(RuntimeError):
    """The server did not start, or died; carries the end of its log."""


class ServerProcess:
    """One `python -m wyoming_kokoro` subprocess and its vital signs."""

    def __init__(self, label: str, model_dir: Path, args: Sequence[str] = (),
                 device: str = "cpu") -> None:
        self.label = label
        self.args = [
            "--uri", "tcp://127.0.0.1:0", "--model-dir", str(model_dir), "--voice", VOICE,
            "--no-zeroconf", "--device", device, *args,
        ]
        self.host = "127.0.0.1"
        self.port = 0
        self.requests = 0
        """Requests sent to it so far (counted by the client helpers)."""
        self.startup_peak_rss = 0
        self._quiet_at = -1
        """The request count when the server was last seen idle."""
        self._proc: subprocess.Popen[str] | None = None
        self._ps: psutil.Process | None = None
        self._log: deque[str] = deque(maxlen=200)
        self._log_lock = threading.Lock()
        self._ready = threading.Event()
        self._started_at = 0.0
        self.startup_seconds = 0.0

    # -- life --------------------------------------------------------------

    def start(self) -> None:
        """Launch it; returns at once (wait_ready waits for the port)."""
        env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")
        cmd = [sys.executable, "-m", "wyoming_kokoro", *self.args]
        _LOGGER.info("Starting server %s: %s", self.label, " ".join(cmd[1:]))
        self._started_at = time.perf_counter()
        self._proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True, errors="replace",
        )
        self._ps = psutil.Process(self._proc.pid)
        # Drain stderr for the whole life of the process: a full pipe would block it.
        threading.Thread(target=self._read_log, name=f"log-{self.label}", daemon=True).start()

    def _read_log(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        for line in self._proc.stderr:
            with self._log_lock:
                self._log.append(line.rstrip())
            if not self._ready.is_set():
                match = _READY.search(line)
                if match:
                    self.host, self.port = match.group(1), int(match.group(2))
                    self.startup_seconds = time.perf_counter() - self._started_at
                    self._ready.set()
        self._ready.set()  # the process ended: wake a waiter, which then sees no port

    def wait_ready(self, timeout: float = 300.0) -> None:
        """Block until `Ready on` was logged; raise with the log tail otherwise."""
        self._ready.wait(timeout)
        if not self.port:
            raise ServerFailed(f"server {self.label} did not start:\n{self.log_tail()}")
        self.startup_peak_rss = self.peak_rss()
        # Peak RSS while serving is what matters; loading the checkpoint peaks higher.
        self.reset_peak()
        _LOGGER.info("Server %s ready on port %s after %.1f s", self.label, self.port,
                     self.startup_seconds)

    def stop(self) -> None:
        """SIGTERM (graceful shutdown), then SIGKILL if it hangs."""
        if self._proc is None or self._proc.poll() is not None:
            return
        self._proc.send_signal(signal.SIGTERM)
        try:
            self._proc.wait(20)
        except subprocess.TimeoutExpired:
            _LOGGER.warning("Server %s ignored SIGTERM; killing it", self.label)
            self._proc.kill()
            self._proc.wait(10)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def check_alive(self) -> None:
        """Raise ServerFailed, with its log, if the process has ended."""
        if self._proc is None or self._proc.poll() is not None:
            raise ServerFailed(f"server {self.label} exited:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        """The last lines the server logged, for error messages."""
        with self._log_lock:
            return "\n".join(list(self._log)[-lines:])

    # -- vital signs ---------------------------------------------------------

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def rss(self) -> int:
        """Resident memory now, in bytes."""
        assert self._ps is not None
        return int(self._ps.memory_info().rss)

    def peak_rss(self) -> int:
        """Peak resident memory (VmHWM), in bytes; the current RSS where unavailable."""
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text(encoding="ascii").splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return self.rss()

    def reset_peak(self) -> bool:
        """Start a new peak-RSS period: writing 5 to clear_refs resets VmHWM (Linux ≥ 4.0).

        Returns False where that is not allowed; the peak then covers the whole life.
        """
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5", encoding="ascii")
        except OSError:
            _LOGGER.debug("Cannot reset the peak RSS of %s", self.label)
            return False
        return True

    def cpu_seconds(self) -> float:
        """User + system CPU time of every thread so far."""
        assert self._ps is not None
        times = self._ps.cpu_times()
        return float(times.user + times.system)

    async def wait_idle(self, timeout: float = 180.0) -> float:
        """Wait until the model is not working (e.g. on a sentence an early-leaving
        client abandoned), so the next measurement starts on a quiet server.

        Returns the seconds waited. A server that got no request since it was
        last seen idle is not polled again: this is called before every timed
        step, and each poll costs a tenth of a second.
        """
        if self.requests == self._quiet_at:
            return 0.0
        started = time.perf_counter()
        quiet = 0
        before = self.cpu_seconds()
        while time.perf_counter() - started < timeout:
            await asyncio.sleep(_IDLE_POLL)
            self.check_alive()
            now = self.cpu_seconds()
            quiet = quiet + 1 if now - before < _IDLE_SHARE * _IDLE_POLL else 0
            before = now
            if quiet >= 2:
                self._quiet_at = self.requests
                return time.perf_counter() - started
        _LOGGER.warning("Server %s still busy after %.0f s", self.label, timeout)
        return time.perf_counter() - started
