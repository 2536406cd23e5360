"""The kokoro service's run script: the server command line it builds from the
add-on options, and the clear stop it makes on a bad option."""

from __future__ import annotations

import copy
import re
import subprocess
from pathlib import Path

import pytest

from .helpers import RUN_SCRIPT, addon_config, run_with_stubs

PREFIX = ["-m", "wyoming_kokoro", "--uri", "tcp://0.0.0.0:10210", "--data-dir", "/data"]


def command(
    voice: str = "af_heart",
    speed: str = "1.0",
    device: str = "auto",
    max_requests: str = "32",
    max_queued_sentences: str = "2000",
    max_text_length: str = "20000",
    output_rate: str = "24000",
    extra: tuple[str, ...] = (),
) -> list[str]:
    """The argv of `python3` for these values, in the fixed order."""
    return [
        *PREFIX,
        "--no-zeroconf",
        "--voice",
        voice,
        "--speed",
        speed,
        "--device",
        device,
        "--max-requests",
        max_requests,
        "--max-queued-sentences",
        max_queued_sentences,
        "--max-text-length",
        max_text_length,
        "--output-rate",
        output_rate,
        *extra,
    ]


@pytest.fixture
def options() -> dict:
    """The add-on's default options, as Supervisor writes them."""
    return copy.deepcopy(addon_config()["options"])


def test_script_parses() -> None:
    subprocess.run(["bash", "-n", str(RUN_SCRIPT)], check=True)


def test_defaults_build_the_documented_command_line(tmp_path: Path, options: dict) -> None:
    """The exact command line for the default options. (Numbers appear as the
    options JSON has them, as jq 1.7 prints them; jq 1.6 prints 1.0 as 1, which
    the server reads the same.)"""
    result = run_with_stubs(RUN_SCRIPT, tmp_path, options)
    assert result.returncode == 0, result.stderr
    assert result.argv == [
        "-m",
        "wyoming_kokoro",
        "--uri",
        "tcp://0.0.0.0:10210",
        "--data-dir",
        "/data",
        "--no-zeroconf",
        "--voice",
        "af_heart",
        "--speed",
        "1.0",
        "--device",
        "auto",
        "--max-requests",
        "32",
        "--max-queued-sentences",
        "2000",
        "--max-text-length",
        "20000",
        "--output-rate",
        "24000",
    ]
    assert "[ERROR]" not in result.stderr
    assert "[WARNING]" not in result.stderr


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("voice", "bf_emma", {"voice": "bf_emma"}),
        ("voice", "af_bella:0.7+af_sky:0.3", {"voice": "af_bella:0.7+af_sky:0.3"}),
        ("speed", 1.25, {"speed": "1.25"}),
        ("speed", 0.5, {"speed": "0.5"}),
        ("device", "cpu", {"device": "cpu"}),
        ("max_requests", 4, {"max_requests": "4"}),
        ("max_queued_sentences", 50, {"max_queued_sentences": "50"}),
        ("max_text_length", 500, {"max_text_length": "500"}),
        ("output_rate", 16000, {"output_rate": "16000"}),
    ],
)
def test_each_option_reaches_its_flag(
    tmp_path: Path, options: dict, key: str, value: object, expected: dict
) -> None:
    options[key] = value
    result = run_with_stubs(RUN_SCRIPT, tmp_path, options)
    assert result.returncode == 0, result.stderr
    assert result.argv == command(**expected)


def test_cuda_is_passed_on_with_a_warning(tmp_path: Path, options: dict) -> None:
    options["device"] = "cuda"
    result = run_with_stubs(RUN_SCRIPT, tmp_path, options)
    assert result.returncode == 0, result.stderr
    assert result.argv == command(device="cuda")
    assert "[WARNING]" in result.stderr and "CPU-only" in result.stderr


def test_debug_logging_adds_debug_last(tmp_path: Path, options: dict) -> None:
    options["debug_logging"] = True
    options["presets"] = [{"name": "calm", "voice": "af_bella"}]
    result = run_with_stubs(RUN_SCRIPT, tmp_path, options)
    assert result.returncode == 0, result.stderr
    assert result.argv == command(extra=("--preset", "calm=af_bella", "--debug"))


def test_presets_in_order_with_and_without_speed(tmp_path: Path, options: dict) -> None:
    options["presets"] = [
        {"name": "calm", "voice": "af_bella:0.7+af_sky:0.3", "speed": 0.9},
        {"name": "butler", "voice": "bm_george"},
        {"name": "fast-news.v2", "voice": "af_heart", "speed": 1.5},
    ]
    result = run_with_stubs(RUN_SCRIPT, tmp_path, options)
    assert result.returncode == 0, result.stderr
    assert result.argv == command(
        extra=(
            "--preset",
            "calm=af_bella:0.7+af_sky:0.3@0.9",
            "--preset",
            "butler=bm_george",
            "--preset",
            "fast-news.v2=af_heart@1.5",
        )
    )


def test_preset_with_null_speed_omits_it(tmp_path: Path, options: dict) -> None:
    options["presets"] = [{"name": "calm", "voice": "af_bella", "speed": None}]
    result = run_with_stubs(RUN_SCRIPT, tmp_path, options)
    assert result.returncode == 0, result.stderr
    assert result.argv == command(extra=("--preset", "calm=af_bella"))


def test_every_option_at_once(tmp_path: Path) -> None:
    options = {
        "voice": "calm",
        "speed": 0.8,
        "device": "cpu",
        "presets": [{"name": "calm", "voice": "af_sky", "speed": 1.1}],
        "max_requests": 2,
        "max_queued_sentences": 10,
        "max_text_length": 100,
        "output_rate": 48000,
        "debug_logging": True,
    }
    result = run_with_stubs(RUN_SCRIPT, tmp_path, options)
    assert result.returncode == 0, result.stderr
    assert result.argv == command(
        voice="calm",
        speed="0.8",
        device="cpu",
        max_requests="2",
        max_queued_sentences="10",
        max_text_length="100",
        output_rate="48000",
        extra=("--preset", "calm=af_sky@1.1", "--debug"),
    )


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"voice": ""}, ["'voice' is empty"]),
        ({"voice": None}, ["'voice' is empty"]),
        ({"voice": "af heart"}, ["'voice' is 'af heart'"]),
        ({"speed": "fast"}, ["'speed' is 'fast'"]),
        ({"device": "gpu"}, ["'device' is 'gpu'", "auto, cpu or cuda"]),
        ({"max_requests": -1}, ["'max_requests' is '-1'"]),
        ({"max_queued_sentences": 1.5}, ["'max_queued_sentences' is '1.5'"]),
        ({"max_text_length": ""}, ["'max_text_length' is empty"]),
        ({"output_rate": "24 kHz"}, ["'output_rate' is '24 kHz'"]),
        ({"presets": [{"name": "my voice", "voice": "af_sky"}]}, ["'my voice'", "no spaces"]),
        ({"presets": [{"name": "a=b", "voice": "af_sky"}]}, ["'a=b'", "'='"]),
        ({"presets": [{"name": "", "voice": "af_sky"}]}, ["preset 1 has no name"]),
        ({"presets": [{"voice": "af_sky"}]}, ["preset 1 has no name"]),
        ({"presets": [{"name": "calm", "voice": ""}]}, ["preset 'calm' has no voice"]),
        ({"presets": [{"name": "calm"}]}, ["preset 'calm' has no voice"]),
        ({"presets": [{"name": "calm", "voice": "af_sky@2"}]}, ["'af_sky@2'"]),
        ({"presets": [{"name": "calm", "voice": "af_sky", "speed": "slow"}]}, ["'slow'"]),
        (
            {
                "presets": [
                    {"name": "calm", "voice": "af_sky"},
                    {"name": "calm", "voice": "af_bella"},
                ]
            },
            ["two presets named 'calm'"],
        ),
        (
            {"presets": [{"name": "ok", "voice": "af_sky"}, {"name": "bad name", "voice": "x"}]},
            ["preset 2", "'bad name'"],
        ),
    ],
)
def test_bad_option_stops_with_a_clear_error(
    tmp_path: Path, options: dict, change: dict, words: list[str]
) -> None:
    options.update(change)
    result = run_with_stubs(RUN_SCRIPT, tmp_path, options)
    assert result.returncode != 0
    assert result.argv is None, "the server must not be started"
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("[ERROR]")]
    assert len(error_lines) == 1, result.stderr
    assert error_lines[0].startswith("[ERROR] Invalid configuration: ")
    for word in words:
        assert word in error_lines[0]
    assert "[FATAL]" in result.stderr


def test_script_checks_match_the_schema() -> None:
    """The run script refuses exactly what the schema refuses, so its checks
    and the Supervisor's never disagree on a name or a voice."""
    schema = addon_config()["schema"]
    text = RUN_SCRIPT.read_text(encoding="utf-8")

    def script_regex(name: str) -> str:
        match = re.search(rf"^readonly {name}='([^']+)'$", text, re.M)
        assert match, name
        return match.group(1)

    def schema_regex(element: str) -> str:
        match = re.fullmatch(r"match\((.*)\)", element)
        assert match, element
        return match.group(1)

    assert script_regex("preset_name_re") == schema_regex(schema["presets"][0]["name"])
    assert script_regex("voice_re") == schema_regex(schema["voice"])
    assert script_regex("voice_re") == schema_regex(schema["presets"][0]["voice"])
