"""Paths and small helpers shared by the add-on tests."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ADDON = ROOT / "addon"
S6 = ADDON / "rootfs" / "etc" / "s6-overlay" / "s6-rc.d"
RUN_SCRIPT = S6 / "kokoro" / "run"
FINISH_SCRIPT = S6 / "kokoro" / "finish"
DISCOVERY_SCRIPT = S6 / "discovery" / "run"
STUBS = Path(__file__).resolve().parent / "stubs"
RUNNER = STUBS / "runner.sh"
VENV_BIN = Path(sys.executable).parent


def load_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def addon_config() -> dict:
    return load_yaml(ADDON / "config.yaml")


@dataclass
class ScriptResult:
    returncode: int
    stdout: str
    stderr: str
    argv: list[str] | None  # what `exec python3 ...` was given; None: never reached


def run_with_stubs(
    script: Path, tmp_path: Path, options: dict, *args: str, timeout: float = 20
) -> ScriptResult:
    """Run an s6 script with bashio stubs, the options as /data/options.json,
    and a fake python3 first on PATH that records its argv."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    argv_file = tmp_path / "argv"
    argv_file.unlink(missing_ok=True)
    fake_python = bin_dir / "python3"
    fake_python.write_text(
        '#!/usr/bin/env bash\nprintf \'%s\\0\' "$@" > "${STUB_ARGV_FILE}"\n', encoding="utf-8"
    )
    fake_python.chmod(0o755)
    fake_hostname = bin_dir / "hostname"
    fake_hostname.write_text("#!/bin/sh\necho 5f3a2b1c-kokoro\n", encoding="utf-8")
    fake_hostname.chmod(0o755)
    options_file = tmp_path / "options.json"
    options_file.write_text(json.dumps(options), encoding="utf-8")

    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "STUB_PYTHON": sys.executable,
        "STUB_OPTIONS": str(options_file),
        "STUB_ARGV_FILE": str(argv_file),
        "LANG": "C.UTF-8",
    }
    proc = subprocess.run(
        ["bash", str(RUNNER), str(script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    argv = None
    if argv_file.exists():
        argv = argv_file.read_bytes().decode("utf-8").split("\0")[:-1]
    return ScriptResult(proc.returncode, proc.stdout, proc.stderr, argv)


class OneShotServer:
    """A TCP server on 127.0.0.1 that answers each connection's first line."""

    def __init__(self, reply: bytes | None) -> None:
        self.reply = reply
        self.received: list[bytes] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)  # so the loop sees _stop soon
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    line = conn.makefile("rb").readline()
                except OSError:
                    line = b""
                self.received.append(line)
                if self.reply is not None and line:
                    try:
                        conn.sendall(self.reply)
                    except OSError:
                        pass

    def __enter__(self) -> OneShotServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()
