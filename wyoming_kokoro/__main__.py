"""Entry point: flags and config file in, a running server out."""

from __future__ import annotations

import asyncio
import logging
import sys

from .app import run_app
from .cli import build_parser, overrides_from_args
from .config import load_config
from .errors import ConfigError, KokoroError

_LOGGER = logging.getLogger("wyoming_kokoro")


def run() -> None:
    """Parse, load, serve; start-up failures end in one clear line and exit code."""
    args = build_parser().parse_args()
    try:
        config = load_config(args.config, overrides_from_args(args))
    except ConfigError as err:
        print(f"wyoming-kokoro: config error: {err.message}", file=sys.stderr)
        sys.exit(2)
    logging.basicConfig(
        level=logging.DEBUG if config.log.debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not config.log.debug:
        # Third-party libraries are chatty at INFO.
        for noisy in ("httpx", "huggingface_hub", "urllib3", "phonemizer"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        asyncio.run(run_app(config))
    except KokoroError as err:
        _LOGGER.error("%s", err.message)
        sys.exit(1)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    run()
