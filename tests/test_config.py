"""Settings: defaults, YAML, flags, and clear errors without tracebacks."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from wyoming_kokoro.config import (
    MODEL_RATE,
    SCHEMA,
    SECTIONS,
    SETTINGS,
    Config,
    load_config,
    merge,
    validate,
)
from wyoming_kokoro.errors import ConfigError
from wyoming_kokoro.process.cli import build_parser, overrides_from_args, parse_preset

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
    assert config.audio.output_rate == MODEL_RATE
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


# --- the settings table is the one declaration of every setting -------------

README_FLAG = re.compile(
    r"^\| `(?P<flag>--[a-z0-9-]+)(?: (?P<arg>[^`]+))?`(?P<note> \(repeatable\))? \| "
    r"`(?P<path>[a-z0-9_]+\.[a-z0-9_]+)(?:: (?P<value>true|false))?`"
)


def test_every_setting_is_a_field_of_its_section_and_back():
    table = {(s.section, s.key) for s in SETTINGS}
    assert len(table) == len(SETTINGS), "a setting is declared twice"
    fields = {(name, f.name) for name, cls in SECTIONS.items() for f in dataclasses.fields(cls)}
    assert table == fields
    assert [f.name for f in dataclasses.fields(Config)] == list(SECTIONS)


def test_every_setting_is_documented_with_its_default():
    documented = yaml.safe_load((ROOT / "wyoming-kokoro.yaml").read_text(encoding="utf-8"))
    for setting in SETTINGS:
        assert setting.key in documented[setting.section], setting.path
        assert documented[setting.section][setting.key] == setting.default, setting.path


def test_readme_flag_table_matches_the_settings():
    rows = [m for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
            if (m := README_FLAG.match(line))]
    readme = {m["flag"]: m for m in rows if m["flag"] != "--config"}
    flags = {s.flag.name: s for s in SETTINGS if s.flag is not None}
    assert set(readme) == set(flags)
    for name, setting in flags.items():
        row, flag = readme[name], setting.flag
        assert row["path"] == setting.path, name
        assert bool(row["note"]) == flag.repeat, name
        if flag.switch is not None:
            assert row["value"] == str(flag.switch).lower() and row["arg"] is None, name
        elif flag.choices is not None:
            assert row["arg"] == "\\|".join(flag.choices), name
        else:
            assert row["arg"] == flag.metavar, name


def test_every_flag_reaches_its_setting():
    """Each flag, given alone, changes exactly its own setting away from the default."""
    samples = {int: "7", float: "1.5"}
    for setting in SETTINGS:
        flag = setting.flag
        if flag is None:
            continue
        argv = [flag.name]
        if flag.switch is None:
            if flag.choices:
                value = flag.choices[-1]
            elif setting.path == "voices.presets":
                value = "calm=af_bella@0.9"
            elif setting.key in ("host", "interfaces"):
                value = "192.168.1.9"
            elif setting.key == "allowed_networks":
                value = "10.0.0.0/8"
            elif setting.key == "languages":
                value = "e"
            elif setting.key == "uri":
                value = "tcp://127.0.0.1:1234"
            elif setting.key == "output_rate":
                value = "16000"
            elif setting.key == "samples_per_chunk":
                value = "512"
            else:
                value = samples.get(flag.type, "x")
            argv.append(value)
        overrides = overrides_from_args(build_parser().parse_args(argv))
        assert overrides.keys() == {setting.section}, argv
        assert overrides[setting.section].keys() == {setting.key}, argv
        config = validate(overrides)
        changed = getattr(getattr(config, setting.section), setting.key)
        default = getattr(getattr(validate({}), setting.section), setting.key)
        assert changed != default, argv


def test_merge_is_deep_and_leaves_its_inputs_alone():
    base = {"server": {"uri": "a", "max_connections": 2}, "log": {"debug": False}}
    merged = merge(base, {"server": {"uri": "b"}, "text": {"normalize": False}})
    assert merged == {"server": {"uri": "b", "max_connections": 2}, "log": {"debug": False},
                      "text": {"normalize": False}}
    assert base["server"]["uri"] == "a"
