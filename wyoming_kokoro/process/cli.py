"""Command-line flags, derived from the settings table and turned into overrides for ``load_config``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from wyoming_kokoro import __version__
from wyoming_kokoro.config import SETTINGS, Setting, parse_preset

__all__ = ["build_parser", "overrides_from_args", "parse_preset"]


def _add_flag(parser: argparse.ArgumentParser, setting: Setting) -> None:
    flag = setting.flag
    assert flag is not None
    help_text = flag.help or setting.help
    if flag.switch is not None:
        parser.add_argument(flag.name, action="store_true", help=help_text)
        return
    if setting.default not in (None, [], {}):
        help_text += f" (default {setting.default})"
    options: dict[str, Any] = {"help": help_text, "metavar": flag.metavar}
    if flag.choices is not None:
        options["choices"] = flag.choices
        options.pop("metavar")
    if flag.repeat:
        options["action"] = "append"
    parser.add_argument(flag.name, type=flag.type, **options)


def build_parser() -> argparse.ArgumentParser:
    """Return the parser; every flag maps to one setting in wyoming-kokoro.yaml."""
    parser = argparse.ArgumentParser(
        prog="wyoming-kokoro",
        description="Wyoming text-to-speech server for Kokoro-82M",
    )
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument("--config", type=Path, help="YAML settings file (see wyoming-kokoro.yaml)")
    for setting in SETTINGS:
        if setting.flag is not None:
            _add_flag(parser, setting)
    return parser


def overrides_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """Turn parsed flags into a nested settings mapping; only flags that were given override."""
    overrides: dict[str, dict[str, Any]] = {}
    for setting in SETTINGS:
        flag = setting.flag
        if flag is None:
            continue
        value = getattr(args, flag.dest)
        if flag.switch is not None:
            if not value:
                continue
            value = flag.switch
        elif value is None:
            continue
        elif flag.convert is not None:
            value = flag.convert(value)
        overrides.setdefault(setting.section, {})[setting.key] = value
    return overrides
