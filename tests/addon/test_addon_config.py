"""addon/config.yaml, translations and repository.yaml, checked the way the
Supervisor and the add-on linter read them."""

from __future__ import annotations

import re
import sys
from pathlib import PurePosixPath

import pytest

from .helpers import ADDON, ROOT, addon_config, load_yaml

# The Supervisor's grammar for one schema element: a type, a type with limits
# in parentheses, match(REGEX) or list(a|b|c), and a trailing "?" for optional.
SCHEMA_ELEMENT = re.compile(
    r"^(?:"
    r"bool"
    r"|email"
    r"|url"
    r"|port"
    r"|device(?:\((?P<filter>subsystem=[a-z]+)\))?"
    r"|str(?:\((?P<s_min>\d+)?,(?P<s_max>\d+)?\))?"
    r"|password(?:\((?P<p_min>\d+)?,(?P<p_max>\d+)?\))?"
    r"|int(?:\((?P<i_min>-?\d+)?,(?P<i_max>-?\d+)?\))?"
    r"|float(?:\((?P<f_min>-?\d*\.?\d+)?,(?P<f_max>-?\d*\.?\d+)?\))?"
    r"|match\((?P<match>.*)\)"
    r"|list\((?P<list>.+)\)"
    r")(?P<optional>\?)?$"
)

REQUIRED_KEYS = ("name", "version", "slug", "description", "arch")
ARCHES = {"amd64", "aarch64", "armhf", "armv7", "i386"}
DEPRECATED_ARCHES = {"armhf", "armv7", "i386"}
SLUG = re.compile(r"^[-_.A-Za-z0-9]+$")

# Keys the Supervisor knows, and the default of those that have one; the
# linter flags a key that is set to its default value.
DEFAULTS = {
    "advanced": False,
    "apparmor": True,
    "audio": False,
    "auth_api": False,
    "auto_uart": False,
    "backup": "hot",
    "boot": "auto",
    "devicetree": False,
    "docker_api": False,
    "full_access": False,
    "gpio": False,
    "hassio_api": False,
    "hassio_role": "default",
    "homeassistant_api": False,
    "host_dbus": False,
    "host_ipc": False,
    "host_network": False,
    "host_pid": False,
    "host_uts": False,
    "ingress": False,
    "ingress_port": 8099,
    "ingress_stream": False,
    "init": True,
    "journald": False,
    "kernel_modules": False,
    "legacy": False,
    "options": {},
    "panel_admin": True,
    "panel_icon": "mdi:puzzle",
    "realtime": False,
    "schema": {},
    "stage": "stable",
    "startup": "application",
    "stdin": False,
    "timeout": 10,
    "tmpfs": False,
    "uart": False,
    "udev": False,
    "ulimits": {},
    "usb": False,
    "video": False,
}
KNOWN_KEYS = set(DEFAULTS) | {
    "arch",
    "backup_exclude",
    "backup_post",
    "backup_pre",
    "breaking_versions",
    "codenotary",
    "description",
    "devices",
    "discovery",
    "environment",
    "homeassistant",
    "image",
    "ingress_entry",
    "machine",
    "map",
    "name",
    "panel_title",
    "ports",
    "ports_description",
    "privileged",
    "services",
    "slug",
    "url",
    "version",
    "watchdog",
    "webui",
}
OBSOLETE_KEYS = {"auto_uart", "watchdog"}


@pytest.fixture(scope="module")
def config() -> dict:
    return addon_config()


# --- a validator of the schema grammar ---------------------------------------


def parse_element(element: str) -> re.Match:
    match = SCHEMA_ELEMENT.match(element)
    if match is None:
        raise ValueError(f"not a Supervisor schema element: {element!r}")
    if match["match"] is not None:
        re.compile(match["match"])
    if match["list"] is not None and any(not item for item in match["list"].split("|")):
        raise ValueError(f"empty choice in {element!r}")
    for low, high in (("i_min", "i_max"), ("f_min", "f_max"), ("s_min", "s_max")):
        if match[low] is not None and match[high] is not None:
            if float(match[low]) > float(match[high]):
                raise ValueError(f"minimum above maximum in {element!r}")
    return match


def walk_schema(schema: object, path: str = "") -> list[tuple[str, str]]:
    """Every (path, element string) in a schema of dicts and one-item lists."""
    if isinstance(schema, str):
        return [(path, schema)]
    if isinstance(schema, dict):
        found = []
        for key, value in schema.items():
            found += walk_schema(value, f"{path}.{key}" if path else key)
        return found
    if isinstance(schema, list):
        if len(schema) != 1:
            raise ValueError(f"{path}: a list schema has exactly one item")
        return walk_schema(schema[0], f"{path}[]")
    raise ValueError(f"{path}: {schema!r} is not a schema element")


def value_errors(schema: object, value: object, path: str = "option") -> list[str]:
    """Check an option value against its schema, as the Supervisor would."""
    if isinstance(schema, list):
        if not isinstance(value, list):
            return [f"{path}: not a list"]
        errors = []
        for index, item in enumerate(value):
            errors += value_errors(schema[0], item, f"{path}[{index}]")
        return errors
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            return [f"{path}: not a mapping"]
        errors = [f"{path}.{key}: unknown" for key in value if key not in schema]
        for key, sub in schema.items():
            if key not in value or value[key] is None:
                if not (isinstance(sub, str) and sub.endswith("?")):
                    errors.append(f"{path}.{key}: missing")
                continue
            errors += value_errors(sub, value[key], f"{path}.{key}")
        return errors
    m = parse_element(schema)
    kind = schema.split("(")[0].rstrip("?")
    if kind == "bool":
        return [] if isinstance(value, bool) else [f"{path}: not a bool"]
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return [f"{path}: not an int"]
        low, high = m["i_min"], m["i_max"]
    elif kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return [f"{path}: not a number"]
        low, high = m["f_min"], m["f_max"]
    elif kind == "str":
        if not isinstance(value, str):
            return [f"{path}: not a string"]
        length = len(value)
        low, high = m["s_min"], m["s_max"]
        if (low and length < int(low)) or (high and length > int(high)):
            return [f"{path}: length out of range"]
        return []
    elif kind == "match":
        ok = isinstance(value, str) and re.fullmatch(m["match"], value) is not None
        return [] if ok else [f"{path}: {value!r} does not match {m['match']}"]
    elif kind == "list":
        ok = str(value) in m["list"].split("|")
        return [] if ok else [f"{path}: {value!r} not in {m['list']}"]
    else:
        return []
    if (low is not None and value < float(low)) or (high is not None and value > float(high)):
        return [f"{path}: {value} out of range"]
    return []


@pytest.mark.parametrize(
    "element",
    [
        "str",
        "str?",
        "bool",
        "int(1,10)",
        "int(-5,)",
        "float(0.5,2.0)",
        "float(.5,2)?",
        "list(auto|cpu)",
        "match(^[a-z]+$)",
        "port",
        "password",
        "email?",
        "device(subsystem=tty)",
    ],
)
def test_grammar_accepts_valid_elements(element: str) -> None:
    parse_element(element)


@pytest.mark.parametrize(
    "element",
    [
        "string",
        "str=foo",
        "integer",
        "int(1-10)",
        "float(0.5;2)",
        "list()",
        "list(a||b)",
        "match([)",
        "bool??",
        "int(10,1)",
        "Str",
        " str",
        "float(a,b)",
    ],
)
def test_grammar_rejects_invalid_elements(element: str) -> None:
    with pytest.raises((ValueError, re.error)):
        parse_element(element)


# --- the linter's rules ----------------------------------------------------------


def test_required_keys(config: dict) -> None:
    missing = [key for key in REQUIRED_KEYS if not config.get(key)]
    assert not missing, f"config.yaml lacks {missing}"
    assert SLUG.match(config["slug"])
    assert config["slug"] == "kokoro"


def test_no_unknown_or_obsolete_keys(config: dict) -> None:
    assert not set(config) - KNOWN_KEYS, f"unknown keys: {set(config) - KNOWN_KEYS}"
    assert not set(config) & OBSOLETE_KEYS
    assert not any(value is None for value in config.values()), "a key set to null"


def test_arch_is_current(config: dict) -> None:
    assert config["arch"], "no architecture"
    assert set(config["arch"]) <= ARCHES
    assert not set(config["arch"]) & DEPRECATED_ARCHES
    assert sorted(config["arch"]) == ["aarch64", "amd64"]


def test_no_key_left_at_its_default(config: dict) -> None:
    at_default = [
        key for key, default in DEFAULTS.items() if key in config and config[key] == default
    ]
    assert not at_default, f"remove keys that use their default value: {at_default}"


def test_s6_overlay_v3_needs_init_false(config: dict) -> None:
    assert config["init"] is False


def test_wyoming_discovery_and_port(config: dict) -> None:
    assert config["discovery"] == ["wyoming"]
    assert list(config["ports"]) == ["10210/tcp"]
    host_port = config["ports"]["10210/tcp"]
    assert host_port is None or 1 <= host_port <= 65535


def test_url(config: dict) -> None:
    assert re.match(r"^https://", config["url"])


def test_version_matches_pyproject(config: dict) -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    project = re.search(r"^\[project\]\n(.*?)(?=^\[|\Z)", pyproject, re.M | re.S)
    assert project, "pyproject.toml has no [project] table"
    version = re.search(r'^version\s*=\s*"([^"]+)"', project.group(1), re.M)
    assert version, "pyproject.toml has no project.version"
    assert isinstance(config["version"], str), "quote the version so YAML keeps it a string"
    assert config["version"] == version.group(1)


def test_changelog_has_the_version(config: dict) -> None:
    changelog = (ADDON / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## {re.escape(config['version'])}\s*$", changelog, re.M)


def test_no_build_yaml() -> None:
    for name in ("build.yaml", "build.yml", "build.json"):
        assert not (ADDON / name).exists(), f"{name} is deprecated: BUILD_FROM is in the Dockerfile"


# --- options and schema ------------------------------------------------------------


def test_every_schema_element_parses(config: dict) -> None:
    for path, element in walk_schema(config["schema"]):
        try:
            parse_element(element)
        except (ValueError, re.error) as err:
            pytest.fail(f"schema {path}: {err}")


def test_options_and_schema_match(config: dict) -> None:
    options, schema = config["options"], config["schema"]
    no_schema = set(options) - set(schema)
    assert not no_schema, f"options without a schema entry: {no_schema}"
    for key in set(schema) - set(options):
        element = schema[key]
        assert isinstance(element, str) and element.endswith("?"), (
            f"schema entry {key!r} has no option and is not optional"
        )


def test_defaults_satisfy_the_schema(config: dict) -> None:
    assert value_errors(config["schema"], config["options"]) == []


def test_schema_values(config: dict) -> None:
    schema = config["schema"]
    assert set(schema) == {
        "voice",
        "speed",
        "device",
        "presets",
        "max_requests",
        "max_queued_sentences",
        "max_text_length",
        "output_rate",
        "debug_logging",
    }
    assert schema["speed"] == "float(0.5,2.0)"
    assert parse_element(schema["device"])["list"].split("|") == ["auto", "cpu", "cuda"]
    assert schema["debug_logging"] == "bool"
    assert set(schema["presets"][0]) == {"name", "voice", "speed"}
    assert schema["presets"][0]["speed"].endswith("?")


@pytest.mark.parametrize(
    ("options", "ok"),
    [
        ({"presets": [{"name": "calm", "voice": "af_bella:0.7+af_sky:0.3", "speed": 0.9}]}, True),
        ({"presets": [{"name": "butler", "voice": "bm_george"}]}, True),
        ({"presets": [{"name": "my voice", "voice": "af_sky"}]}, False),
        ({"presets": [{"name": "a=b", "voice": "af_sky"}]}, False),
        ({"presets": [{"name": "", "voice": "af_sky"}]}, False),
        ({"presets": [{"name": "calm", "voice": ""}]}, False),
        ({"presets": [{"name": "calm", "voice": "af_sky@1.2"}]}, False),
        ({"presets": [{"name": "calm", "voice": "af_sky", "speed": 3}]}, False),
        ({"presets": [{"name": "calm"}]}, False),
        ({"voice": ""}, False),
        ({"voice": "af heart"}, False),
        ({"speed": 0.4}, False),
        ({"speed": 2.0}, True),
        ({"device": "gpu"}, False),
        ({"output_rate": 7999}, False),
        ({"output_rate": 48000}, True),
        ({"max_requests": 0}, False),
        ({"debug_logging": "yes"}, False),
    ],
)
def test_schema_accepts_and_refuses(config: dict, options: dict, ok: bool) -> None:
    merged = {**config["options"], **options}
    errors = value_errors(config["schema"], merged)
    assert (errors == []) is ok, errors


def test_defaults_match_the_server_defaults(config: dict) -> None:
    """The add-on's defaults are the server's own (wyoming-kokoro.yaml at the root)."""
    server = load_yaml(ROOT / "wyoming-kokoro.yaml")
    options = config["options"]
    assert options["voice"] == server["voices"]["default"]
    assert options["speed"] == server["voices"]["speed"]
    assert options["device"] == server["model"]["device"]
    assert options["presets"] == []
    assert options["max_requests"] == server["synthesis"]["max_requests"]
    assert options["max_queued_sentences"] == server["synthesis"]["max_queued_sentences"]
    assert options["max_text_length"] == server["synthesis"]["max_text_length"]
    assert options["output_rate"] == server["audio"]["output_rate"]
    assert options["debug_logging"] == server["log"]["debug"]


def test_backup_excludes_the_model_only(config: dict) -> None:
    patterns = config["backup_exclude"]

    def excluded(path: str) -> bool:
        # Supervisor tests each path under /data against every pattern.
        p = PurePosixPath(path)
        if any(p.match(pattern) for pattern in patterns):
            return True
        if sys.version_info >= (3, 13):
            rel = PurePosixPath("data") / p.relative_to("/data")
            return any(rel.full_match(f"data/{pattern}") for pattern in patterns)
        return False

    assert excluded("/data/models")
    assert excluded("/data/models--hexgrad--Kokoro-82M")
    assert excluded("/data/hub/models--hexgrad--Kokoro-82M")
    assert not excluded("/data/options.json")
    assert not excluded("/data")


# --- translations -----------------------------------------------------------------


def test_translations_cover_options_and_ports(config: dict) -> None:
    translations = load_yaml(ADDON / "translations" / "en.yaml")
    assert set(translations) <= {"configuration", "network"}
    configuration = translations["configuration"]
    assert set(configuration) == set(config["options"])
    for key, text in configuration.items():
        assert set(text) == {"name", "description"}, key
        assert text["name"].strip() and text["description"].strip(), key
    assert set(translations["network"]) == set(config["ports"])
    assert all(str(v).strip() for v in translations["network"].values())


def test_docs_describe_every_option(config: dict) -> None:
    docs = (ADDON / "DOCS.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^### Option: `([a-z_]+)`", docs, re.M))
    assert documented == set(config["options"])


# --- repository.yaml ----------------------------------------------------------------


def test_repository_yaml(config: dict) -> None:
    repository = load_yaml(ROOT / "repository.yaml")
    assert set(repository) == {"name", "url", "maintainer"}
    assert all(isinstance(v, str) and v.strip() for v in repository.values())
    assert repository["url"].startswith("https://")
    assert config["url"].startswith(repository["url"].rstrip("/") + "/")
