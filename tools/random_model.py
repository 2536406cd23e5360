"""Build a random-weight Kokoro model in the --model-dir layout.

Tests about the protocol, timing and robustness do not need speech, so they
build a model with kokoro's own KModel and random weights (the bench's --quick
smoke run uses the tiny one too; real measurements use the real weights):

    python tools/random_model.py OUT_DIR --size tiny   # ~58 M params, fast tests
    python tools/random_model.py OUT_DIR --size full   # the real 82 M architecture, random

The folder then holds config.json, kokoro-v1_0.pth and voices/NAME.pt, exactly
as a real download would.
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path
from typing import Any

import torch

REAL_CONFIG = Path(__file__).resolve().parent / "data" / "kokoro-82m-config.json"
COMPONENTS = ("bert", "bert_encoder", "predictor", "text_encoder", "decoder")
DEFAULT_VOICES = (
    "af_heart", "af_bella", "af_sky", "am_adam", "bf_emma",
    "ef_dora", "em_alex", "ff_siwis", "if_sara", "pf_dora", "hf_alpha",
)
# Every token gets exactly this many frames in the tiny model (max_dur 1), so a
# test can predict the audio length: (len(phonemes) + 2) * 600 samples.
SAMPLES_PER_FRAME = 600


def real_config() -> dict[str, Any]:
    """Return the full-size Kokoro-82M config."""
    return json.loads(REAL_CONFIG.read_text(encoding="utf-8"))


def tiny_config() -> dict[str, Any]:
    """Shrink what can shrink; the decoder's sizes are hard-coded in kokoro."""
    config = copy.deepcopy(real_config())
    config["plbert"].update(
        hidden_size=64, num_attention_heads=2, intermediate_size=128,
        num_hidden_layers=1, embedding_size=32,
    )
    config["n_layer"] = 1
    config["text_encoder_kernel_size"] = 3
    config["max_dur"] = 1
    config["istftnet"]["resblock_kernel_sizes"] = [3]
    config["istftnet"]["resblock_dilation_sizes"] = [[1, 3, 5]]
    return config


def build(out_dir: Path, size: str, voices: tuple[str, ...], seed: int) -> Path:
    """Write config.json, kokoro-v1_0.pth and voices/*.pt into out_dir."""
    # Imported here so that `--help` stays fast.
    from wyoming_kokoro.model.pypi.build import empty_model

    torch.manual_seed(seed)
    config = tiny_config() if size == "tiny" else real_config()
    out_dir.mkdir(parents=True, exist_ok=True)
    model = empty_model(config, out_dir)
    torch.save({name: getattr(model, name).state_dict() for name in COMPONENTS},
               out_dir / "kokoro-v1_0.pth")
    (out_dir / "config.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    voice_dir = out_dir / "voices"
    voice_dir.mkdir(exist_ok=True)
    for name in voices:
        torch.save(torch.randn(510, 1, 256) * 0.1, voice_dir / f"{name}.pt")
    return out_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--size", choices=("tiny", "full"), default="tiny")
    parser.add_argument("--voices", default=",".join(DEFAULT_VOICES),
                        help="comma-separated voice names to create")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    build(args.out_dir, args.size, tuple(v for v in args.voices.split(",") if v), args.seed)
    print(args.out_dir)


if __name__ == "__main__":
    main()
