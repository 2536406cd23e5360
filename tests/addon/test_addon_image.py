"""The image: the Dockerfile, its health check, the s6-overlay services
(finish and discovery included) and the pictures shown in the store."""

from __future__ import annotations

import json
import os
import re
import socket
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from .helpers import (
    ADDON,
    DISCOVERY_SCRIPT,
    FINISH_SCRIPT,
    ROOT,
    RUN_SCRIPT,
    S6,
    OneShotServer,
    ScriptResult,
    addon_config,
    run_with_stubs,
)

DOCKERFILE = (ADDON / "Dockerfile").read_text(encoding="utf-8")
SHEBANG = "#!/command/with-contenv bashio"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined."""
    logical, current = [], ""
    for line in DOCKERFILE.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if current and line.lstrip().startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + "\n"
            continue
        logical.append(current + line)
        current = ""
    pairs = []
    for text in logical:
        word, _, rest = text.strip().partition(" ")
        pairs.append((word.upper(), rest.strip()))
    return pairs


# --- Dockerfile --------------------------------------------------------------------


def test_build_from_is_a_pinned_default_before_from() -> None:
    pairs = instructions()
    assert pairs[0][0] == "ARG"
    name, _, default = pairs[0][1].partition("=")
    assert name == "BUILD_FROM"
    image, _, tag = default.partition(":")
    assert image in {
        "ghcr.io/home-assistant/base-debian",
        "ghcr.io/home-assistant/base-python",
    }, image
    assert tag and tag not in {"latest", "bookworm", "trixie"}, f"pin a dated tag, not {tag!r}"
    assert pairs[1] == ("FROM", "${BUILD_FROM}")
    assert [word for word, _ in pairs].count("FROM") == 1


def test_build_version_default_is_the_addon_version() -> None:
    args = dict(rest.partition("=")[::2] for word, rest in instructions() if word == "ARG")
    assert args["BUILD_VERSION"] == addon_config()["version"]


def test_installs_cpu_torch_then_the_package_and_the_spacy_model() -> None:
    run = next(rest for word, rest in instructions() if word == "RUN" and "torch" in rest)
    torch_at = run.index("download.pytorch.org/whl/cpu")
    package_at = run.index('pip install --no-cache-dir "${KOKORO_SOURCE}"')
    spacy_at = run.index("spacy download en_core_web_sm")
    assert torch_at < package_at < spacy_at
    assert "find vendor" in run and "wyoming_kokoro-*.whl" in run
    args = dict(rest.partition("=")[::2] for word, rest in instructions() if word == "ARG")
    # Without a vendored wheel, the released add-on installs its own release.
    assert args["KOKORO_SOURCE"] == '"wyoming-kokoro==${BUILD_VERSION}"'
    setup = (ROOT / "script" / "setup").read_text(encoding="utf-8")
    pinned = re.search(r"TORCH_VERSION:=([0-9.]+)", setup)
    assert pinned, "script/setup no longer pins TORCH_VERSION"
    assert args["TORCH_VERSION"] == pinned.group(1), (
        "the image and script/setup pin different torches"
    )
    assert (ADDON / "vendor" / "README.md").exists(), "COPY vendor/ needs the folder"


def test_rootfs_is_copied_and_no_cmd_overrides_s6() -> None:
    pairs = instructions()
    assert ("COPY", "rootfs /") in pairs
    assert not [word for word, _ in pairs if word in {"CMD", "ENTRYPOINT"}]


def healthcheck_command(port: int) -> list[str]:
    rest = next(rest for word, rest in instructions() if word == "HEALTHCHECK")
    exec_form = rest[rest.index("CMD") + 3 :].strip()
    argv = json.loads(exec_form)
    assert argv[0] == "python3" and argv[1] == "-c"
    assert "10210" in argv[2]
    return [sys.executable, "-c", argv[2].replace("10210", str(port))]


def run_healthcheck(port: int) -> int:
    return subprocess.run(healthcheck_command(port), timeout=30, capture_output=True).returncode


def test_healthcheck_passes_when_the_server_answers_info() -> None:
    info = json.dumps({"type": "info", "data_length": 2, "version": "1.10.2"}) + "\n{}"
    with OneShotServer(info.encode()) as server:
        assert run_healthcheck(server.port) == 0
    assert server.received and json.loads(server.received[0]) == {"type": "describe"}


@pytest.mark.parametrize("reply", [b'{"type": "error", "data": {}}\n', b"", None])
def test_healthcheck_fails_on_a_wrong_or_no_answer(reply: bytes | None) -> None:
    with OneShotServer(reply) as server:
        assert run_healthcheck(server.port) != 0


def test_healthcheck_fails_when_nothing_listens() -> None:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]
    assert run_healthcheck(port) != 0


# --- s6-overlay layout --------------------------------------------------------------


def test_service_definitions() -> None:
    assert (S6 / "kokoro" / "type").read_text().strip() == "longrun"
    assert (S6 / "discovery" / "type").read_text().strip() == "oneshot"
    up = (S6 / "discovery" / "up").read_text().strip()
    assert up == "/etc/s6-overlay/s6-rc.d/discovery/run"
    assert (ADDON / "rootfs" / up.lstrip("/")).is_file()
    assert (S6 / "kokoro" / "dependencies.d" / "base").is_file()
    assert (S6 / "discovery" / "dependencies.d" / "kokoro").is_file()
    contents = sorted(p.name for p in (S6 / "user" / "contents.d").iterdir())
    assert contents == ["discovery", "kokoro"]
    services = sorted(p.name for p in S6.iterdir() if (p / "type").exists())
    assert services == ["discovery", "kokoro"]


@pytest.mark.parametrize("script", [RUN_SCRIPT, FINISH_SCRIPT, DISCOVERY_SCRIPT], ids=str)
def test_scripts_are_executable_bashio(script: Path) -> None:
    assert script.read_text(encoding="utf-8").startswith(SHEBANG + "\n")
    assert os.access(script, os.X_OK), f"chmod +x {script}"


def test_run_script_execs_the_server() -> None:
    text = RUN_SCRIPT.read_text(encoding="utf-8")
    assert re.search(r"^exec python3 -m wyoming_kokoro \\$", text, re.M)


# --- finish -------------------------------------------------------------------------


def run_finish(tmp_path: Path, container_code: str, *args: str) -> tuple[ScriptResult, str, bool]:
    """Run the finish script with its s6 paths moved into tmp_path."""
    results = tmp_path / "exitcode"
    results.write_text(container_code + "\n")
    halted = tmp_path / "halted"
    halt = tmp_path / "halt"
    halt.write_text(f"#!/bin/sh\ntouch {halted}\n")
    halt.chmod(0o755)
    text = FINISH_SCRIPT.read_text(encoding="utf-8")
    assert "/run/s6-linux-init-container-results/exitcode" in text
    assert "/run/s6/basedir/bin/halt" in text
    text = text.replace("/run/s6-linux-init-container-results/exitcode", str(results))
    text = text.replace("/run/s6/basedir/bin/halt", str(halt))
    script = tmp_path / "finish"
    script.write_text(text)
    result = run_with_stubs(script, tmp_path, {}, *args)
    return result, results.read_text().strip(), halted.exists()


@pytest.mark.parametrize(
    ("container", "args", "code", "halt"),
    [
        ("0", ("0", "0"), "0", False),  # clean exit: s6 decides
        ("0", ("1", "0"), "1", True),  # crash: record it and stop
        ("0", ("256", "15"), "143", True),  # SIGTERM: stop, 128 + 15
        ("0", ("256", "9"), "137", False),  # killed: record, let s6 restart
        ("3", ("1", "0"), "3", True),  # an earlier code is kept
    ],
)
def test_finish(
    tmp_path: Path, container: str, args: tuple[str, ...], code: str, halt: bool
) -> None:
    result, recorded, halted = run_finish(tmp_path, container, *args)
    assert result.returncode == 0, result.stderr
    assert recorded == code
    assert halted is halt


# --- discovery ------------------------------------------------------------------------


def test_discovery_waits_for_the_server_then_announces_it(tmp_path: Path) -> None:
    info = json.dumps({"type": "info"}) + "\n"
    with OneShotServer(info.encode()) as server:
        text = DISCOVERY_SCRIPT.read_text(encoding="utf-8")
        assert "readonly port=10210" in text
        script = tmp_path / "discovery"
        script.write_text(text.replace("readonly port=10210", f"readonly port={server.port}"))
        result = run_with_stubs(script, tmp_path, {})
    assert result.returncode == 0, result.stderr
    assert json.loads(server.received[0]) == {"type": "describe"}
    line = next(line for line in result.stderr.splitlines() if line.startswith("DISCOVERY "))
    _, service, payload = line.split(" ", 2)
    assert service == "wyoming"
    assert json.loads(payload) == {"uri": f"tcp://5f3a2b1c-kokoro:{server.port}"}


# --- pictures -------------------------------------------------------------------------


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    offset, idat, size = 8, b"", None
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {path.name} {kind!r}"
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            size = (width, height)
            channels = {0: 1, 2: 3, 4: 2, 6: 4}[color]
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    assert size and kind == b"IEND"
    assert len(zlib.decompress(idat)) == size[1] * (1 + size[0] * channels * depth // 8)
    return size


def test_icon_is_square() -> None:
    width, height = png_size(ADDON / "icon.png")
    assert width == height and 128 <= width <= 512


def test_logo_is_wide() -> None:
    width, height = png_size(ADDON / "logo.png")
    assert (width, height) == (250, 100)
