"""Soak test: many mixed requests against an in-process server; reports leaks and errors.

    python -m tools.soak                        # 1000 fake-engine requests + 30 on a tiny model
    python -m tools.soak --requests 200 --real 0
    python -m tools.soak --model-dir DIR        # use this model folder instead of building one

The bulk runs with a fake synthesiser (fast, so the server's own code is what
is exercised): every output format, streaming and not, blends and presets,
and some clients that disconnect mid-stream. A slice then runs on a real
model (by default a tiny random-weight one built here). The report gives RSS
drift, file descriptors, asyncio tasks, what is left in the scheduler, and
the outcome of every request by type. It exits non-zero when a target is
missed: RSS drift under 30 MB, every other figure zero.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from pathlib import Path

from tools.random_model import build
from wyoming_kokoro.process.app import LoadedModel, load_model

from .phase import run_soak, soak_config
from .plan import MODEL_VOICES
from .report import RSS_LIMIT_MB


def _load(model_dir: Path | None, scratch: Path) -> tuple[LoadedModel, Path]:
    if model_dir is None:
        print("Building a tiny random-weight model...", file=sys.stderr)
        model_dir = build(scratch / "model", "tiny", MODEL_VOICES, seed=0)
    return load_model(soak_config(model_dir)), model_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="fake-engine requests")
    parser.add_argument("--real", type=int, default=30, help="requests on the real model")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model-dir", type=Path,
                        help=f"model folder with voices {', '.join(MODEL_VOICES)}; "
                             "default: build a tiny random one")
    parser.add_argument("--rss-limit-mb", type=float, default=RSS_LIMIT_MB)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with tempfile.TemporaryDirectory() as scratch:
        model, model_dir = _load(args.model_dir, Path(scratch))
        report = asyncio.run(run_soak(model, model_dir, args.requests, args.real,
                                      args.concurrency, args.seed, args.rss_limit_mb))
    print(report.table())
    sys.exit(0 if report.passed else 1)


if __name__ == "__main__":
    main()
