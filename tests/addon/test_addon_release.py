"""How the add-on reaches a device: the released add-on pulls prebuilt images
that the release workflow builds; the edge add-on builds from the source.

The image entry is checked with the Supervisor's own rule for it, and the
workflows with zizmor and GitHub's workflow schema (the dev dependencies).
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from .helpers import ADDON, ROOT, VENV_BIN, addon_config, load_yaml
from .test_addon_config import ARCHES, KNOWN_KEYS, parse_element, value_errors, walk_schema

EDGE = ROOT / "addon-edge"
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
RELEASE = ROOT / ".github" / "workflows" / "release.yaml"

# The Supervisor's `docker_image` validator for the `image` key (its
# supervisor/validate.py): registry and path parts, then name, no tag.
SUPERVISOR_DOCKER_IMAGE = re.compile(r"^([a-zA-Z\-\.:\d{}]+/)*?([\-\w{}]+)/([\-\w{}]+)$")


def sync_edge() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sync_edge", ADDON / "tools" / "sync_edge.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, cwd=ROOT, timeout=120, check=False
    )


# --- the released add-on: prebuilt images -------------------------------------------


def test_image_follows_the_supervisor_rule() -> None:
    image = addon_config()["image"]
    assert SUPERVISOR_DOCKER_IMAGE.match(image), image
    assert ":" not in image.rsplit("/", 1)[-1], "no tag: the Supervisor adds the version"
    # One image per architecture; the Supervisor fills in {arch}.
    assert "{arch}" in image
    for arch in addon_config()["arch"]:
        assert arch in ARCHES
        assert SUPERVISOR_DOCKER_IMAGE.match(image.replace("{arch}", arch))


def test_supervisor_rule_refuses_bad_images() -> None:
    for bad in ("kokoro", "ghcr.io/x/kokoro:1.0", "ghcr.io/x/ko koro", "ghcr.io/x/kokoro/"):
        assert not SUPERVISOR_DOCKER_IMAGE.match(bad), bad


def release_workflow() -> dict:
    workflow = load_yaml(RELEASE)
    assert workflow, "release.yaml is empty"
    return workflow


def test_release_workflow_builds_the_images_the_addon_pulls() -> None:
    workflow = release_workflow()
    env = workflow["env"]
    # prepare-multi-arch-matrix names each image PREFIX/ARCH-NAME.
    assert f"{env['REGISTRY_PREFIX']}/{{arch}}-{env['IMAGE_NAME']}" == addon_config()["image"]
    assert sorted(yaml.safe_load(env["ARCHITECTURES"])) == sorted(addon_config()["arch"])
    build = next(
        step
        for step in workflow["jobs"]["image"]["steps"]
        if "home-assistant/builder/actions/build-image@" in step.get("uses", "")
    )
    assert build["with"]["context"] == "./addon"
    assert build["with"]["version"] == "${{ needs.package.outputs.version }}"
    # The wheel that goes to PyPI is what the image installs (vendor/ wins).
    fetch = next(
        step
        for step in workflow["jobs"]["image"]["steps"]
        if "actions/download-artifact@" in step.get("uses", "")
    )
    assert fetch["with"]["path"] == "addon/vendor/"


def test_release_workflow_publishes_with_trusted_publishing() -> None:
    workflow = release_workflow()
    assert workflow["permissions"] == {}, "no default permissions; each job asks for its own"
    pypi = workflow["jobs"]["pypi"]
    assert pypi["permissions"] == {"id-token": "write"}
    assert pypi["environment"]["name"] == "pypi"
    publish = pypi["steps"][-1]
    assert publish["uses"].startswith("pypa/gh-action-pypi-publish@")
    # No token: trusted publishing exchanges the job's OIDC token.
    assert "with" not in publish or "password" not in publish["with"]
    # Only a real release publishes anything.
    assert pypi["if"] == "github.event_name == 'release'"
    assert workflow["jobs"]["manifest"]["if"] == "github.event_name == 'release'"


def test_release_workflow_checks_the_versions() -> None:
    text = RELEASE.read_text(encoding="utf-8")
    assert "addon/config.yaml" in text and "pyproject.toml" in text


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_schema(path: Path) -> None:
    result = run(VENV_BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor() -> None:
    result = run(VENV_BIN / "zizmor", "--offline", "--quiet", *WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_linters_catch_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - run: echo ${{ github.event.head_commit.message }}\n",
        encoding="utf-8",
    )
    assert run(VENV_BIN / "zizmor", "--offline", "--quiet", bad).returncode != 0
    no_runner = tmp_path / "no_runner.yaml"
    no_runner.write_text("on: push\njobs:\n  x:\n    steps: []\n", encoding="utf-8")
    result = run(
        VENV_BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", no_runner
    )
    assert result.returncode != 0


# --- the edge add-on: built on the device from the source ------------------------------


def test_edge_is_generated_from_the_addon() -> None:
    stale = sync_edge().stale_files()
    assert not stale, f"run addon/tools/sync_edge.py; stale: {stale}"


def test_edge_builds_from_the_repository_source() -> None:
    edge = load_yaml(EDGE / "config.yaml")
    assert "image" not in edge, "edge has no image: the Supervisor builds it"
    dockerfile = (EDGE / "Dockerfile").read_text(encoding="utf-8")
    source = re.search(r'^ARG KOKORO_SOURCE="([^"]+)"$', dockerfile, re.M)
    assert source, "the edge Dockerfile names no KOKORO_SOURCE"
    repository = load_yaml(ROOT / "repository.yaml")["url"].rstrip("/")
    assert source.group(1) == f"{repository}/archive/refs/heads/main.tar.gz"
    assert "wyoming-kokoro==" not in dockerfile, "edge must not install from PyPI"


def test_edge_can_be_installed_beside_the_release() -> None:
    stable, edge = addon_config(), load_yaml(EDGE / "config.yaml")
    assert edge["slug"] != stable["slug"]
    assert edge["name"] != stable["name"]
    assert edge["version"].startswith(stable["version"]) and edge["version"] != stable["version"]
    assert edge["stage"] == "experimental"
    # Otherwise the same add-on: same options, schema, ports and discovery.
    for key in ("options", "schema", "ports", "discovery", "arch", "init"):
        assert edge[key] == stable[key], key


def test_edge_config_follows_the_supervisor_rules() -> None:
    edge = load_yaml(EDGE / "config.yaml")
    assert not set(edge) - KNOWN_KEYS
    assert re.match(r"^[-_.A-Za-z0-9]+$", edge["slug"])
    assert edge["url"].endswith("/addon-edge")
    for path, element in walk_schema(edge["schema"]):
        try:
            parse_element(element)
        except (ValueError, re.error) as err:
            pytest.fail(f"schema {path}: {err}")
    assert value_errors(edge["schema"], edge["options"]) == []
    assert (EDGE / "translations" / "en.yaml").exists()


def test_sync_edge_notices_drift(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = sync_edge()
    copy = tmp_path / "addon-edge"
    module.write(copy)
    monkeypatch.setattr(module, "EDGE_DIR", copy)
    assert module.stale_files() == []
    (copy / "rootfs" / "etc" / "s6-overlay" / "s6-rc.d" / "kokoro" / "run").write_text(
        "#!/bin/sh\n", encoding="utf-8"
    )
    (copy / "config.yaml").write_text(
        (copy / "config.yaml").read_text(encoding="utf-8") + "image: x/y\n", encoding="utf-8"
    )
    assert module.stale_files() == [
        "config.yaml",
        "rootfs/etc/s6-overlay/s6-rc.d/kokoro/run",
    ]
