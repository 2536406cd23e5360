"""Checks that stand in for hassfest and the HACS action, and the pure helpers.

hassfest and HACS validation cannot run here (they need HA core's tree and
GitHub), so their rules that matter for this integration are mirrored with
voluptuous and checked against the files, and the manifest is loaded through
Home Assistant's own loader.
"""

from __future__ import annotations

import ast
import io
import json
import re
import struct
import wave
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import voluptuous as vol
from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
from homeassistant import loader
from homeassistant.core import HomeAssistant
from homeassistant.util import package
from packaging.requirements import InvalidRequirement, Requirement

from custom_components.wyoming_kokoro.audio import wav_file, wav_header
from custom_components.wyoming_kokoro.const import DOMAIN
from custom_components.wyoming_kokoro.data import (
    parse_blends,
    parse_info,
    voices_for_language,
)
from custom_components.wyoming_kokoro.errors import KokoroNoTtsError

REPO_ROOT = Path(__file__).resolve().parent.parent
INTEGRATION_DIR = REPO_ROOT / "custom_components" / DOMAIN
# The oldest Home Assistant the integration supports and is tested on, and
# the wyoming version its built-in wyoming integration pins.
OLDEST_HA = "2025.4.4"
OLDEST_HA_WYOMING = "1.5.4"


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


# --- manifest.json -----------------------------------------------------------

IOT_CLASSES = [
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
]
INTEGRATION_TYPES = [
    "device",
    "entity",
    "hardware",
    "helper",
    "hub",
    "service",
    "system",
    "virtual",
]


def _lowercase(value: str) -> str:
    if value.lower() != value:
        raise vol.Invalid("must be lowercase")
    return value


def _version(value: str) -> str:
    strategies = [
        AwesomeVersionStrategy.CALVER,
        AwesomeVersionStrategy.SEMVER,
        AwesomeVersionStrategy.SIMPLEVER,
        AwesomeVersionStrategy.BUILDVER,
        AwesomeVersionStrategy.PEP440,
    ]
    if AwesomeVersion(value).strategy not in strategies:
        raise vol.Invalid(f"{value!r} is not a valid version")
    return value


def _https(value: str) -> str:
    if not value.startswith("https://"):
        raise vol.Invalid("must be an https URL")
    return vol.Url()(value)


def _bounded(value: str) -> str:
    """A valid requirement with a lower bound (== or >=) and no exclusions.

    A lower bound rather than a pin: Home Assistant's built-in wyoming
    integration pins its own version, which changes between releases, and
    the integration must install beside every one of them.
    """
    try:
        requirement = Requirement(value)
    except InvalidRequirement as err:
        raise vol.Invalid(f"requirement {value!r} is not valid: {err}") from err
    operators = {spec.operator for spec in requirement.specifier}
    if not operators & {"==", ">="}:
        raise vol.Invalid(f"requirement {value!r} has no lower bound (== or >=)")
    if operators & {"!=", "<", "<=", "~=", "===", ">"} or requirement.marker:
        raise vol.Invalid(f"requirement {value!r} may conflict with a later Home Assistant")
    return value


def _codeowner(value: str) -> str:
    if not re.fullmatch(r"@[A-Za-z0-9][A-Za-z0-9\-]*(/[A-Za-z0-9\-]+)?", value):
        raise vol.Invalid(f"{value!r} is not a GitHub handle")
    return value


# hassfest's rules for a custom integration, as far as they apply here.
MANIFEST_SCHEMA = vol.Schema(
    {
        vol.Required("domain"): vol.All(str, vol.Match(r"^[a-z0-9_]+$")),
        vol.Required("name"): vol.All(str, vol.Length(min=1)),
        vol.Required("codeowners"): vol.All([_codeowner], vol.Length(min=1)),
        vol.Optional("config_flow"): bool,
        vol.Optional("dependencies"): [str],
        vol.Optional("after_dependencies"): [str],
        vol.Required("documentation"): vol.All(str, _https),
        vol.Optional("integration_type"): vol.In(INTEGRATION_TYPES),
        vol.Required("iot_class"): vol.In(IOT_CLASSES),
        vol.Required("issue_tracker"): vol.All(str, _https),
        vol.Optional("loggers"): [str],
        vol.Optional("requirements"): [_bounded],
        vol.Required("version"): vol.All(str, _version),
        vol.Optional("zeroconf"): [
            vol.Any(
                str,
                {
                    vol.Required("type"): str,
                    vol.Optional("name"): vol.All(str, _lowercase),
                    vol.Optional("properties"): {str: vol.All(str, _lowercase)},
                },
            )
        ],
    }
)


def test_manifest_schema_and_order() -> None:
    """The manifest passes hassfest's schema and key order (domain, name, a-z)."""
    manifest = _load(INTEGRATION_DIR / "manifest.json")
    MANIFEST_SCHEMA(manifest)
    assert manifest["domain"] == INTEGRATION_DIR.name
    assert manifest["version"] == "0.1.0"
    assert manifest["config_flow"] is True
    assert manifest["iot_class"] == "local_push"
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:]), f"keys after name must be sorted: {keys[2:]}"
    # The wildcard filter keeps other Wyoming services out of our flow.
    assert {"type": "_wyoming._tcp.local.", "name": "kokoro*"} in manifest["zeroconf"]


def test_manifest_schema_rejects_bad_manifests() -> None:
    """The mirrored schema is not a rubber stamp."""
    good = _load(INTEGRATION_DIR / "manifest.json")
    for change in (
        {"iot_class": "local_pushy"},
        {"requirements": ["wyoming"]},
        {"requirements": ["wyoming<2"]},
        {"requirements": ["wyoming>=1.5,<1.6"]},
        {"requirements": ["wyoming>=>1.5"]},
        {"version": "not a version"},
        {"codeowners": ["nobody"]},
        {"documentation": "http://example.com"},
        {"zeroconf": [{"type": "_wyoming._tcp.local.", "name": "Kokoro*"}]},
        {"unknown_key": True},
    ):
        with pytest.raises(vol.Invalid):
            MANIFEST_SCHEMA({**good, **change})


async def test_manifest_loads_through_ha_loader(hass: HomeAssistant) -> None:
    """Home Assistant's loader finds the integration and reads its manifest."""
    integration = await loader.async_get_integration(hass, DOMAIN)
    assert isinstance(integration, loader.Integration)
    assert not integration.is_built_in
    assert integration.domain == DOMAIN
    assert str(integration.version) == "0.1.0"
    assert integration.config_flow is True
    assert integration.iot_class == "local_push"
    # The zeroconf matcher is registered with its name filter.
    matchers = (await loader.async_get_zeroconf(hass))["_wyoming._tcp.local."]
    assert {"domain": DOMAIN, "name": "kokoro*"} in matchers
    # The config flow module and TTS platform import in Home Assistant.
    await integration.async_get_component()
    assert integration.get_platform("config_flow") is not None
    await integration.async_get_platform("tts")


async def test_wyoming_requirement_fits_home_assistant(hass: HomeAssistant) -> None:
    """The running HA's own wyoming pin satisfies our requirement, so pip keeps it.

    Read from the built-in wyoming integration's manifest, so the check holds
    on every Home Assistant in the test matrix (1.5.4 in 2025.4, 1.10.2 in
    2026.10) instead of naming one version.
    """
    ours = await loader.async_get_integration(hass, DOMAIN)
    builtin = await loader.async_get_integration(hass, "wyoming")
    pins = [Requirement(req) for req in builtin.requirements]
    pinned = [req for req in pins if req.name == "wyoming"]
    assert len(pinned) == 1, builtin.requirements
    (pin,) = pinned[0].specifier
    assert pin.operator == "==", pinned
    required = [Requirement(req) for req in ours.requirements]
    assert [req.name for req in required] == ["wyoming"]
    assert required[0].specifier.contains(pin.version), (ours.requirements, pin)
    # What is installed beside this HA is that pin, and it satisfies us too.
    installed = metadata.version("wyoming")
    assert installed == pin.version
    assert required[0].specifier.contains(installed)
    # Home Assistant's own test before it runs pip: installed means no install.
    for req in ours.requirements:
        assert package.is_installed(req), req


def test_wyoming_lower_bound_is_oldest_home_assistant() -> None:
    """The lower bound is the pin of the oldest HA we support (hacs.json).

    Home Assistant 2025.4's wyoming integration pins 1.5.4; a higher bound
    would make pip upgrade wyoming under it, a lower one would promise a
    version nothing tests.
    """
    manifest = _load(INTEGRATION_DIR / "manifest.json")
    (requirement,) = (Requirement(req) for req in manifest["requirements"])
    bounds = [spec.version for spec in requirement.specifier if spec.operator == ">="]
    assert bounds == [OLDEST_HA_WYOMING], requirement
    assert _load(REPO_ROOT / "hacs.json")["homeassistant"] == OLDEST_HA


# --- strings.json and translations ---------------------------------------------


def _flow_keys() -> tuple[set[str], set[str], set[str], set[str]]:
    """Steps, config errors, aborts and option errors used in config_flow.py."""
    tree = ast.parse((INTEGRATION_DIR / "config_flow.py").read_text(encoding="utf-8"))
    steps: set[str] = set()
    errors: set[str] = set()
    aborts: set[str] = set()
    option_errors: set[str] = set()
    option_class = next(
        node
        for node in tree.body
        if isinstance(node, ast.ClassDef) and node.name == "KokoroOptionsFlow"
    )
    option_nodes = {id(node) for node in ast.walk(option_class)}
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and isinstance(node.value, ast.Constant):
            if node.arg == "step_id" and id(node) not in option_nodes:
                steps.add(node.value.value)
            elif node.arg == "reason":
                aborts.add(node.value.value)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            target = node.targets[0]
            if (
                isinstance(target, ast.Subscript)
                and isinstance(target.value, ast.Name)
                and target.value.id == "errors"
            ):
                (option_errors if id(node) in option_nodes else errors).add(node.value.value)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") in (
            "_abort_if_unique_id_configured",
            "_async_abort_entries_match",
        ):
            aborts.add("already_configured")
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", "") == ("async_update_reload_and_abort")
            and not any(kw.arg == "reason" for kw in node.keywords)
        ):
            aborts.add("reconfigure_successful")
    return steps, errors, aborts, option_errors


def test_translations_identical_to_strings() -> None:
    """translations/en.json is a copy of strings.json, as HA loads it."""
    assert _load(INTEGRATION_DIR / "strings.json") == _load(
        INTEGRATION_DIR / "translations" / "en.json"
    )


def test_strings_cover_every_flow_key() -> None:
    """Every step, error and abort reason of the flows has text."""
    strings = _load(INTEGRATION_DIR / "strings.json")
    steps, errors, aborts, option_errors = _flow_keys()
    # The parse itself must have found the flow (or this test proves nothing).
    assert {"user", "zeroconf_confirm", "hassio_confirm", "reconfigure"} <= steps
    assert {"cannot_connect", "no_tts"} <= errors
    assert {"not_kokoro", "already_configured", "reconfigure_successful"} <= aborts
    assert {"invalid_blend", "unknown_voice"} <= option_errors

    config = strings["config"]
    assert steps <= set(config["step"]), steps - set(config["step"])
    assert errors <= set(config["error"]), errors - set(config["error"])
    assert aborts <= set(config["abort"]), aborts - set(config["abort"])
    assert option_errors <= set(strings["options"]["error"])
    assert "init" in strings["options"]["step"]
    # Form fields have labels.
    for step in ("user", "reconfigure"):
        assert set(config["step"][step]["data"]) == {"host", "port"}
    assert set(strings["options"]["step"]["init"]["data"]) == {"streaming", "blends"}
    # Placeholders used in the flow exist in the text that shows them.
    assert "{name}" in config["flow_title"]
    assert "{addon}" in config["step"]["hassio_confirm"]["description"]
    # hassfest refuses URLs in translatable text.
    assert "http" not in json.dumps(strings)


# --- hacs.json ---------------------------------------------------------------

# The keys HACS accepts in hacs.json, with their types (HACS's own schema).
HACS_SCHEMA = vol.Schema(
    {
        vol.Required("name"): vol.All(str, vol.Length(min=1)),
        vol.Optional("content_in_root"): bool,
        vol.Optional("country"): vol.Any(str, [str]),
        vol.Optional("filename"): str,
        vol.Optional("hacs"): str,
        vol.Optional("hide_default_branch"): bool,
        vol.Optional("homeassistant"): vol.All(str, vol.Match(r"^\d{4}\.\d{1,2}\.\d+$")),
        vol.Optional("persistent_directory"): str,
        vol.Optional("render_readme"): bool,
        vol.Optional("zip_release"): bool,
    },
    extra=vol.PREVENT_EXTRA,
)


def test_hacs_json() -> None:
    """hacs.json holds only keys HACS knows; the layout is what HACS expects."""
    hacs = _load(REPO_ROOT / "hacs.json")
    HACS_SCHEMA(hacs)
    with pytest.raises(vol.Invalid):
        HACS_SCHEMA({**hacs, "domains": ["tts"]})
    # Home Assistant's minimum is one this integration was tested with or older.
    assert AwesomeVersion(hacs["homeassistant"]) <= AwesomeVersion("2025.4.4")
    assert not hacs.get("content_in_root", False)
    # HACS installs exactly one integration from custom_components/.
    assert [
        p.name
        for p in (REPO_ROOT / "custom_components").iterdir()
        if p.is_dir() and p.name != "__pycache__"
    ] == [DOMAIN]
    assert (REPO_ROOT / "README.md").exists()


# --- pure helpers --------------------------------------------------------------

INFO_DATA = {
    "tts": [
        {"name": "piper", "installed": False, "voices": []},
        {
            "name": "kokoro",
            "description": "Kokoro-82M",
            "version": "0.1.0",
            "installed": True,
            "supports_synthesize_streaming": True,
            "voices": [
                {
                    "name": "af_heart",
                    "languages": ["en-US"],
                    "installed": True,
                    "description": "Heart",
                },
                {"name": "ef_dora", "languages": ["es"], "installed": True},
                {"name": "bm_gone", "languages": ["en-GB"], "installed": False},
                {
                    "name": "calm",
                    "languages": ["en-US"],
                    "installed": True,
                    "description": "Calm preset",
                },
                {"name": 5, "languages": ["en-US"]},
                "junk",
            ],
        },
    ]
}


def test_parse_info() -> None:
    """The first installed TTS program; junk and uninstalled voices left out."""
    info = parse_info(INFO_DATA)
    assert info.program == "kokoro"
    assert info.supports_streaming is True
    assert info.languages == ["en-US", "es"]
    assert [v.name for v in info.voices] == ["af_heart", "ef_dora", "bm_gone", "calm"]
    assert info.voice("bm_gone") is None
    with pytest.raises(KokoroNoTtsError):
        parse_info({"tts": [{"name": "x", "installed": False}]})
    with pytest.raises(KokoroNoTtsError):
        parse_info({"asr": []})


def test_blends_and_voice_lists() -> None:
    """Blends parse per line and join the voice list of their first voice."""
    blends = parse_blends("Calm mix = af_heart:0.7+ef_dora:0.3\n\n# note\nef_dora+af_heart\n")
    assert [(b.label, b.voice) for b in blends] == [
        ("Calm mix", "af_heart:0.7+ef_dora:0.3"),
        ("ef_dora+af_heart", "ef_dora+af_heart"),
    ]
    assert parse_blends("a = af_heart : 2 + ef_dora")[0].voice == "af_heart:2+ef_dora"
    for bad in ("af_heart:x", "af_heart:0+ef_dora", "af heart", "a/b", "=", "x:-1"):
        with pytest.raises(ValueError):
            parse_blends(bad)
    info = parse_info(INFO_DATA)
    english = voices_for_language(info, blends, "en-US")
    # Server voices sorted by what the menu shows, then the blends.
    assert [(v.voice_id, v.name) for v in english] == [
        ("calm", "Calm preset"),
        ("af_heart", "Heart"),
        ("af_heart:0.7+ef_dora:0.3", "Calm mix"),
    ]
    spanish = voices_for_language(info, blends, "es")
    assert [v.voice_id for v in spanish] == ["ef_dora", "ef_dora+af_heart"]
    assert voices_for_language(info, blends, "en-GB") == []


def test_wav_framing() -> None:
    """PCM wrapped by the integration is a valid WAV file (complete or streamed)."""
    pcm = struct.pack("<4h", 0, 1000, -1000, 32767)
    with wave.open(io.BytesIO(wav_file(22050, 2, 1, pcm))) as wav:
        assert (wav.getframerate(), wav.getsampwidth(), wav.getnchannels()) == (22050, 2, 1)
        assert wav.readframes(10) == pcm
    header = wav_header(24000, 2, 1, None)
    assert len(header) == 44
    assert struct.unpack("<I", header[40:44])[0] == 0xFFFFFFFF
    with wave.open(io.BytesIO(header + pcm)) as wav:
        assert wav.getframerate() == 24000
        assert wav.readframes(10) == pcm
