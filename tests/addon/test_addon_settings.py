"""Every server setting is accounted for by the add-on: an option, fixed by the
run script, or deliberately left at the server's default."""

from __future__ import annotations

import copy
from pathlib import Path

from wyoming_kokoro.config import SETTINGS, Setting, validate
from wyoming_kokoro.process.cli import build_parser, overrides_from_args

from .helpers import RUN_SCRIPT, addon_config, run_with_stubs

# Add-on option -> the server setting it sets.
ADDON_OPTIONS = {
    "voice": "voices.default",
    "speed": "voices.speed",
    "device": "model.device",
    "presets": "voices.presets",
    "max_requests": "synthesis.max_requests",
    "max_queued_sentences": "synthesis.max_queued_sentences",
    "max_text_length": "synthesis.max_text_length",
    "output_rate": "audio.output_rate",
    "debug_logging": "log.debug",
}
# Set by the run script to what the container needs, not offered as options.
FIXED_BY_RUN_SCRIPT = {
    "server.uri": "tcp://0.0.0.0:10210",  # the port the add-on publishes
    "model.data_dir": Path("/data"),  # the add-on's persistent folder
    "zeroconf.enabled": False,  # Supervisor discovery announces the server instead
}
# Left at the server's default in the add-on. Each is either about running
# outside a container (model.dir, zeroconf.*), a protocol or tuning limit whose
# default suits Home Assistant, or a front-end switch users have not needed.
LEFT_AT_DEFAULT = {
    "server.max_connections", "server.idle_timeout", "server.max_header_bytes",
    "server.max_data_bytes", "server.max_payload_bytes", "server.allowed_networks",
    "server.shutdown_grace",
    "model.dir", "model.source", "model.repo_id", "model.threads", "model.warmup", "model.english_g2p",
    "model.languages",
    "synthesis.sentence_timeout", "synthesis.fast_first_clause",
    "audio.samples_per_chunk",
    "text.normalize",
    "zeroconf.name", "zeroconf.host", "zeroconf.interfaces",
}


def _value(setting: Setting, config: object) -> object:
    return getattr(getattr(config, setting.section), setting.key)


def test_every_setting_is_accounted_for_once() -> None:
    paths = [s.path for s in SETTINGS]
    groups = [set(ADDON_OPTIONS.values()), set(FIXED_BY_RUN_SCRIPT), LEFT_AT_DEFAULT]
    assert sum(len(group) for group in groups) == len(set().union(*groups)), "listed twice"
    assert set().union(*groups) == set(paths)


def test_the_options_are_the_addon_options() -> None:
    config = addon_config()
    assert set(config["options"]) == set(ADDON_OPTIONS)
    assert set(config["schema"]) == set(ADDON_OPTIONS)


def test_the_run_script_sets_exactly_the_options_and_the_fixed_settings(tmp_path: Path) -> None:
    """Run the script on options that differ from every default; parse what it starts."""
    options = copy.deepcopy(addon_config()["options"])
    options.update(voice="ef_dora", speed=1.25, device="cpu", max_requests=3,
                   max_queued_sentences=30, max_text_length=300, output_rate=16000,
                   debug_logging=True, presets=[{"name": "calm", "voice": "af_bella"}])
    result = run_with_stubs(RUN_SCRIPT, tmp_path, options)
    assert result.returncode == 0, result.stderr
    assert result.argv is not None and result.argv[:2] == ["-m", "wyoming_kokoro"]
    overrides = overrides_from_args(build_parser().parse_args(result.argv[2:]))
    given = {f"{section}.{key}" for section, values in overrides.items() for key in values}
    assert given == set(ADDON_OPTIONS.values()) | set(FIXED_BY_RUN_SCRIPT)

    config, default = validate(overrides), validate({})
    by_path = {s.path: s for s in SETTINGS}
    for path, value in FIXED_BY_RUN_SCRIPT.items():
        assert _value(by_path[path], config) == value, path
    for path in ADDON_OPTIONS.values():
        assert _value(by_path[path], config) != _value(by_path[path], default), path
