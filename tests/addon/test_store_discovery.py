"""The Supervisor store finds exactly our two add-ons (released and edge) in this repository.

When a user adds the repository, the store clones it and treats every file
named ``config.<json|yaml|yml>`` at any depth as an add-on config, skipping
paths with a part that starts with "." or is "rootfs". A file found that way
which is not a valid add-on config is logged as a warning on every store
reload ("Can't read ..."), so the server's own settings file must not be
named ``config.yaml``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path, PurePosixPath

import pytest

from .helpers import ROOT

# The store's rule: Supervisor's StoreData._find_addons globs "**/config.*",
# drops paths with a part starting with "." or equal to "rootfs", and keeps
# the suffixes of FILE_SUFFIX_CONFIGURATION.
_SUFFIXES = frozenset({".json", ".yaml", ".yml"})


def store_addon_configs(paths: list[str]) -> list[str]:
    """The paths (relative to the repository root) the store reads as add-on configs."""
    found = []
    for text in paths:
        path = PurePosixPath(text)
        if path.stem != "config" or path.suffix not in _SUFFIXES:
            continue
        if any(part.startswith(".") or part == "rootfs" for part in path.parts):
            continue
        found.append(text)
    return sorted(found)


def tracked_files() -> list[str]:
    """What a clone of the repository holds."""
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout to list the repository's files")
    proc = subprocess.run([git, "ls-files", "-z"], cwd=ROOT, capture_output=True,
                          check=True, timeout=60)
    # Files renamed or deleted in the work tree but not yet committed.
    return [name for name in proc.stdout.decode().split("\0") if name and (ROOT / name).exists()]


def test_rule_matches_what_the_store_would_pick_up() -> None:
    paths = ["config.yaml", "addon/config.yaml", "a/b/config.json", "x/config.yml",
             "addon/rootfs/etc/config.yaml", ".github/config.yaml", "config.py",
             "wyoming-kokoro.yaml", "addon/configuration.yaml"]
    assert store_addon_configs(paths) == [
        "a/b/config.json", "addon/config.yaml", "config.yaml", "x/config.yml"
    ]


ADDON_CONFIGS = ["addon-edge/config.yaml", "addon/config.yaml"]


def test_only_the_addon_configs_are_picked_up() -> None:
    files = tracked_files()
    assert "wyoming-kokoro.yaml" in files
    assert store_addon_configs(files) == ADDON_CONFIGS


def test_the_glob_on_disk_agrees(tmp_path: Path) -> None:
    """The rule above, run as the store runs it (Path.glob), on a copy of the tree."""
    for name in tracked_files():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch()
    found = sorted(
        str(path.relative_to(tmp_path).as_posix())
        for path in tmp_path.glob("**/config.*")
        if not [p for p in path.relative_to(tmp_path).parts if p.startswith(".") or p == "rootfs"]
        and path.suffix in _SUFFIXES
    )
    assert found == ADDON_CONFIGS
