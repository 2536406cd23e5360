"""Write ../addon-edge, the add-on that builds from this repository's source.

addon/ is the one home of the add-on: its options, services, translations,
pictures and Dockerfile. addon-edge differs in a few lines only, so it is
generated from addon/ rather than kept by hand:

- config.yaml: its own name and slug (both add-ons can be installed side by
  side), a `-edge` version, `stage: experimental`, and no `image:`, so the
  Supervisor builds it on the device;
- Dockerfile: KOKORO_SOURCE is the source archive of the repository's main
  branch instead of the PyPI release;
- DOCS.md and README.md start with a note saying what edge is.

Run it after changing anything in addon/ (the add-on tests fail until then):

    python3 addon/tools/sync_edge.py          # write addon-edge
    python3 addon/tools/sync_edge.py --check  # exit 1 if addon-edge is stale
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ADDON_DIR = Path(__file__).resolve().parents[1]
EDGE_DIR = ADDON_DIR.parent / "addon-edge"
REPOSITORY = "https://github.com/wyoming-kokoro/wyoming-kokoro"
SOURCE_ARCHIVE = f"{REPOSITORY}/archive/refs/heads/main.tar.gz"

# Copied as they are.
SHARED = (
    "CHANGELOG.md",
    "icon.png",
    "logo.png",
    "rootfs",
    "translations",
    "vendor/README.md",
    ".gitignore",
)

EDGE_NOTE = f"""\
> **Edge:** this add-on builds the `wyoming-kokoro` server from the newest
> source of this repository ({REPOSITORY}, branch `main`) on your own
> machine. Building takes long (it installs PyTorch and spaCy) and the code
> is not a release. Use the **Kokoro TTS** add-on for released versions: it
> downloads a prebuilt image. Both can be installed side by side; they
> listen on the same port inside their containers but have different
> hostnames.

"""


def _replace(text: str, old: str, new: str, where: str) -> str:
    if text.count(old) != 1:
        raise SystemExit(f"{where}: expected exactly one {old!r}; update sync_edge.py")
    return text.replace(old, new)


def edge_config(text: str) -> str:
    """config.yaml of the edge add-on, from the stable one (comments kept)."""
    where = "addon/config.yaml"
    text = _replace(text, "name: Kokoro TTS\n", "name: Kokoro TTS (edge)\n", where)
    version_line = next(line for line in text.splitlines() if line.startswith("version: "))
    version = version_line.split(":", 1)[1].strip().strip('"')
    text = _replace(text, version_line + "\n", f'version: "{version}-edge"\n', where)
    text = _replace(text, "slug: kokoro\n", "slug: kokoro_edge\nstage: experimental\n", where)
    text = _replace(text, "/tree/main/addon\n", "/tree/main/addon-edge\n", where)
    kept = []
    lines = text.splitlines()
    for line in lines:
        # The image entry and the comment block right above it.
        if line.startswith("image:"):
            while kept and kept[-1].startswith("#"):
                kept.pop()
            continue
        kept.append(line)
    if len(kept) == len(lines):
        raise SystemExit(f"{where}: no image entry; update sync_edge.py")
    return "\n".join(kept) + "\n"


def edge_dockerfile(text: str) -> str:
    """The Dockerfile, installing the repository's source instead of the release."""
    return _replace(
        text,
        'ARG KOKORO_SOURCE="wyoming-kokoro==${BUILD_VERSION}"\n',
        f'ARG KOKORO_SOURCE="{SOURCE_ARCHIVE}"\n',
        "addon/Dockerfile",
    )


def write(target: Path) -> None:
    """Write the whole edge add-on into target (which must not exist)."""
    target.mkdir(parents=True)
    for name in SHARED:
        source = ADDON_DIR / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        else:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    read = lambda name: (ADDON_DIR / name).read_text(encoding="utf-8")  # noqa: E731
    (target / "config.yaml").write_text(edge_config(read("config.yaml")), encoding="utf-8")
    (target / "Dockerfile").write_text(edge_dockerfile(read("Dockerfile")), encoding="utf-8")
    for name in ("DOCS.md", "README.md"):
        title, _, body = read(name).partition("\n\n")
        (target / name).write_text(f"{title} (edge)\n\n{EDGE_NOTE}{body}", encoding="utf-8")


def _files(folder: Path) -> dict[str, tuple[bytes, bool]]:
    """Relative path -> (content, executable) of every file, ignoring local wheels."""
    return {
        path.relative_to(folder).as_posix(): (path.read_bytes(), bool(path.stat().st_mode & 0o111))
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.suffix != ".whl"
    }


def stale_files() -> list[str]:
    """Paths in addon-edge that differ from what this script would write."""
    with tempfile.TemporaryDirectory() as tmp:
        expected_dir = Path(tmp) / "addon-edge"
        write(expected_dir)
        expected = _files(expected_dir)
    actual = _files(EDGE_DIR) if EDGE_DIR.is_dir() else {}
    return sorted(
        path for path in set(expected) | set(actual) if expected.get(path) != actual.get(path)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args()
    if args.check:
        stale = stale_files()
        if stale:
            print("addon-edge is stale; run addon/tools/sync_edge.py:", *stale, sep="\n  ")
            sys.exit(1)
        return
    if EDGE_DIR.exists():
        shutil.rmtree(EDGE_DIR)
    write(EDGE_DIR)
    print(EDGE_DIR)


if __name__ == "__main__":
    main()
