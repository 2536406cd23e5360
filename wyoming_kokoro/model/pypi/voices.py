"""Convert the wheel's voice table (one .npz) into kokoro's voices/NAME.pt files."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import torch

from wyoming_kokoro.errors import ModelError

VOICE_SHAPE = (510, 1, 256)
"""One style row per phoneme count (up to 510), 256 values each: kokoro's pack."""


def convert_voices(npz: bytes, out_dir: Path) -> tuple[str, ...]:
    """Write out_dir/NAME.pt for every voice in the archive; return the names."""
    try:
        table = np.load(io.BytesIO(npz), allow_pickle=False)
    except (OSError, ValueError) as err:
        raise ModelError(f"cannot read the voice table: {err}") from None
    out_dir.mkdir(parents=True, exist_ok=True)
    names: list[str] = []
    with table:
        for name in sorted(table.files):
            if not name.replace("_", "").isalnum():
                raise ModelError(f"voice table has an unusable voice name {name!r}")
            pack = table[name]
            if pack.shape != VOICE_SHAPE:
                raise ModelError(
                    f"voice {name} has shape {pack.shape}, kokoro expects {VOICE_SHAPE}"
                )
            tensor = torch.from_numpy(np.ascontiguousarray(pack, dtype=np.float32))
            torch.save(tensor, out_dir / f"{name}.pt")
            names.append(name)
    if not names:
        raise ModelError("the voice table holds no voices")
    return tuple(names)
