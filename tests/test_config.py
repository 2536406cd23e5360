"""Settings: defaults, YAML, flags, and clear errors without tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from wyoming_kokoro.cli import build_parser, overrides_from_args, parse_preset
from wyoming_kokoro.config import SCHEMA, load_config, validate
from wyoming_kokoro.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_documented_defaults_match_the_schema():
    documented = yaml.safe_load((ROOT / "wyoming-kokoro.yaml").read_text(encoding="utf-8"))
    assert SCHEMA(documented) == SCHEMA({})
    # Every section and key of the schema is documented.
    built = SCHEMA({})
    assert set(documented) == set(built)
    for section, values in built.items():
        assert set(documented[section]) == set(values), section


def test_defaults():
    config = validate({})
    assert config.server.uri == "tcp://0.0.0.0:10210"
    assert config.voices.default == "af_heart"
    assert config.audio.output_rate == 24000
    assert config.zeroconf.enabled is True
    assert config.text.normalize is True


def test_yaml_then_flags(tmp_path):
    path = tmp_path / "settings.yaml"
    path.write_text(
        "voices:\n  default: ef_dora\n  speed: 1.2\nsynthesis:\n  max_requests: 3\n",
        encoding="utf-8",
    )
    from_yaml = load_config(path)
    assert from_yaml.voices.default == "ef_dora"
    assert from_yaml.voices.speed == 1.2
    assert from_yaml.synthesis.max_requests == 3
    args = build_parser().parse_args(["--voice", "ff_siwis", "--no-zeroconf", "--debug",
                                      "--preset", "calm=af_bella:0.7+af_sky:0.3@0.9"])
    config = load_config(path, overrides_from_args(args))
    assert config.voices.default == "ff_siwis"       # the flag wins
    assert config.voices.speed == 1.2                # YAML stays where no flag is given
    assert config.synthesis.max_requests == 3
    assert config.zeroconf.enabled is False
    assert config.log.debug is True
    (calm,) = config.voices.presets
    assert (calm.name, calm.voice, calm.speed) == ("calm", "af_bella:0.7+af_sky:0.3", 0.9)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"synthesis": {"max_requests": 0}}, "synthesis.max_requests"),
        ({"voices": {"speed": 3}}, "voices.speed"),
        ({"server": {"uri": "http://x"}}, "server.uri"),
        ({"server": {"allowed_networks": ["not-a-net"]}}, "server.allowed_networks"),
        ({"model": {"device": "tpu"}}, "model.device"),
        ({"audio": {"output_rate": 100}}, "audio.output_rate"),
        ({"nonsense": 1}, "nonsense: unknown setting"),
        ({"voices": {"colour": "red"}}, "voices.colour: unknown setting"),
        ({"voices": {"presets": {"has space": {"voice": "af_heart"}}}}, "voices.presets"),
    ],
)
def test_bad_settings_name_the_key(raw, expected):
    with pytest.raises(ConfigError) as info:
        validate(raw)
    assert expected in info.value.message


def test_bad_yaml_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("voices: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path)
    path.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")


@pytest.mark.parametrize("text", ["calm", "=af_heart", "calm=", "calm=af_heart@fast"])
def test_bad_preset_flag(text):
    with pytest.raises(ConfigError, match="--preset"):
        parse_preset(text)


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["--max-requests", "0"], "synthesis.max_requests"),
        (["--speed", "9"], "voices.speed"),
        (["--allow-network", "300.1.1.1/8"], "server.allowed_networks"),
    ],
)
def test_cli_bad_value_is_one_line_and_exit_2(args, key, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "wyoming_kokoro", "--model-dir", str(tmp_path), *args],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert key in lines[0]
    assert "Traceback" not in proc.stderr


def test_cli_unknown_key_in_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("server:\n  prot: 1\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "wyoming_kokoro", "--config", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "wyoming-kokoro: config error: server.prot: unknown setting"
